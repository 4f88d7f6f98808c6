// Keys for pgbench scripts drawn from the same distribution as bench/support/rng.ts `keyChooser`:
// uniform over 0..n-1, or Zipf with exponent theta (0 < theta < 1) with the same rank → key scramble.
//
// pgbench 15's random_zipfian accepts only parameters in [1.001, 1000], so Zipf 0.99 is drawn by
// inverting the CDF inside the script. Let H(k) = Σ_{i ≤ k} i^-θ and T uniform in [0, H(n)): the rank is
// the smallest k with H(k) > T. The first HEAD_RANKS bounds H(1..K) are exact constants (a CASE chain);
// beyond K, H(k) ≈ H(K) + ((k+½)^(1-θ) - (K+½)^(1-θ)) / (1-θ) (midpoint rule), inverted in closed form:
// k = floor(((T - H(K))(1-θ) + (K+½)^(1-θ))^(1/(1-θ)) - ½) + 1. `zipfTotalVariation` measures what that
// approximation moves: 1.2e-5 of the probability mass for n = 100,000, θ = 0.99, K = 16.

const HEAD_RANKS = 16
/** u = random(0, 2^53 - 1) / 2^53: uniform in [0, 1) with a double's full resolution. */
const U_MAX = 9007199254740991
const U_SPAN = '9007199254740992.0'
/** keyChooser's scramble, rank r (1-based) → key ((r - 1) · SCRAMBLE + OFFSET) mod n. */
const SCRAMBLE = 7919
const OFFSET = 13

function harmonic(n: number, theta: number): Float64Array {
  const h = new Float64Array(n + 1)
  for (let i = 1; i <= n; i++) h[i] = (h[i - 1] as number) + Math.pow(i, -theta)
  return h
}

const lit = (x: number): string => {
  const s = x.toPrecision(17)
  if (s.includes('e')) throw new Error(`constant ${s} needs an exponent; keep pgbench literals plain`)
  return s
}

/** The approximate bound Ĥ(k) the script uses: exact up to HEAD_RANKS, the midpoint integral beyond. */
function boundApprox(h: Float64Array, k: number, theta: number): number {
  const om = 1 - theta
  return k <= HEAD_RANKS ? (h[k] as number) : (h[HEAD_RANKS] as number) + (Math.pow(k + 0.5, om) - Math.pow(HEAD_RANKS + 0.5, om)) / om
}

/** Total variation distance between the script's rank distribution and the exact Zipf(θ) over n ranks. */
export function zipfTotalVariation(n: number, theta: number): number {
  const h = harmonic(n, theta)
  const total = h[n] as number
  let tv = 0
  let previous = 0
  for (let k = 1; k <= n; k++) {
    const upper = k === n ? total : Math.min(boundApprox(h, k, theta), total)
    tv += Math.abs(Math.max(0, upper - previous) / total - Math.pow(k, -theta) / total)
    previous = Math.max(previous, upper)
  }
  return tv / 2
}

/** pgbench meta-commands that set `:name` to a key in 0..n-1 (uniform when theta is 0). */
export function pgbenchKeyLines(name: string, n: number, theta: number): string[] {
  if (theta === 0) return [`\\set ${name} random(0, ${n - 1})`]
  if (!(theta > 0 && theta < 1)) throw new Error(`Zipf keys for pgbench need 0 < theta < 1, not ${theta}`)
  if (n <= HEAD_RANKS) throw new Error(`Zipf keys for pgbench need more than ${HEAD_RANKS} keys`)
  const h = harmonic(n, theta)
  const om = 1 - theta
  const head = Array.from({ length: HEAD_RANKS }, (_, i) => `when :${name}_t < ${lit(h[i + 1] as number)} then ${i + 1}`).join(' ')
  const tail = `least(int(pow((:${name}_t - ${lit(h[HEAD_RANKS] as number)}) * ${lit(om)} + ${lit(Math.pow(HEAD_RANKS + 0.5, om))}, ${lit(1 / om)}) - 0.5) + 1, ${n})`
  return [
    `\\set ${name}_t random(0, ${U_MAX}) / ${U_SPAN} * ${lit(h[n] as number)}`,
    `\\set ${name}_r case ${head} else ${tail} end`,
    `\\set ${name} ((:${name}_r - 1) * ${SCRAMBLE} + ${OFFSET}) % ${n}`,
  ]
}

/** Shares of the hottest key, the 10 hottest and the hottest 1% of keys in a sample (or exact, for p). */
export function hotShares(counts: Float64Array | number[]): { top1: number; top10: number; top1pct: number } {
  const sorted = Float64Array.from(counts).sort().reverse()
  const total = sorted.reduce((a, b) => a + b, 0)
  const share = (k: number): number => sorted.subarray(0, k).reduce((a, b) => a + b, 0) / total
  return { top1: share(1), top10: share(10), top1pct: share(Math.max(1, Math.floor(sorted.length / 100))) }
}

/** Exact Zipf(θ) probabilities over n keys (the order of keys does not matter to hotShares). */
export function zipfProbabilities(n: number, theta: number): Float64Array {
  const h = harmonic(n, theta)
  return Float64Array.from({ length: n }, (_, i) => Math.pow(i + 1, -theta) / (h[n] as number))
}
