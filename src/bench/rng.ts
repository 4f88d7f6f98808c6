// Seeded randomness for the benchmark driver (and the tests and research benchmarks that import it): one
// seed replays the same stream of transactions, and the key distribution is uniform or Zipf.

/** mulberry32: a small seeded PRNG returning uint32s, so that every test and benchmark run replays. */
export function uint32Random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** The same generator as floats in [0, 1). */
export function unitRandom(seed: number): () => number {
  const next = uint32Random(seed)
  return () => next() / 4294967296
}

/**
 * Keys 0..n-1 as a function of a uniform draw u in [0, 1): uniform (theta 0) or Zipf-distributed with
 * exponent theta, the ranks scrambled by a bijection so that the hot keys spread over partitions (as
 * YCSB's scrambled Zipfian does). The CDF is built once; many clients may share the result.
 */
export function keyDistribution(n: number, theta: number): (u: number) => number {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new Error(`keys must be a positive integer, not ${n}`)
  if (!(theta >= 0 && theta < 1)) throw new Error(`theta must be in [0, 1), not ${theta}`)
  if (theta === 0) return (u) => Math.floor(u * n)
  const cdf = new Float64Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, theta)
    cdf[i] = sum
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / sum
  return (u) => {
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

/** keyDistribution drawing from `rand`. */
export function keyChooser(n: number, theta: number, rand: () => number): () => number {
  const key = keyDistribution(n, theta)
  return () => key(rand())
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}
