export { unitRandom as mulberry32 } from '../../test/support/rng.js'

/**
 * Keys 0..n-1 drawn uniformly (theta 0) or Zipf-distributed with exponent theta, scrambled by a
 * bijection so that the hot keys spread over partitions (as YCSB's scrambled Zipfian does).
 */
export function keyChooser(n: number, theta: number, rand: () => number): () => number {
  if (theta === 0) return () => Math.floor(rand() * n)
  const cdf = new Float64Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, theta)
    cdf[i] = sum
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / sum
  return () => {
    const u = rand()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((cdf[mid] as number) < u) lo = mid + 1
      else hi = mid
    }
    return (lo * 7919 + 13) % n
  }
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}
