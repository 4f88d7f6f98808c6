// A bounded latency histogram: log-linear buckets over whole microseconds (like HdrHistogram with 5
// significant bits), so recording is O(1), memory is fixed, and two histograms merge by adding counts.
// A value is reported as its bucket's upper bound (never above the exact maximum seen): at most 1/32
// (~3%) above the true value.

const SUB_BITS = 5
const SUB = 1 << SUB_BITS
/** Largest value tracked, in microseconds (~71 minutes); anything longer counts as this. */
export const LATENCY_US_MAX = 0xffff_ffff
/** Buckets for 0 … LATENCY_US_MAX: 32 exact values, then 32 per power of two up to 2^32. */
export const HISTOGRAM_BUCKETS = (32 - SUB_BITS + 1) * SUB

export function bucketOf(us: number): number {
  if (us < SUB) return us
  const e = 31 - Math.clz32(us)
  return (e - SUB_BITS + 1) * SUB + ((us >>> (e - SUB_BITS)) & (SUB - 1))
}

/** The largest value (µs) that falls into bucket `i`. */
export function bucketUpperUs(i: number): number {
  if (i < SUB) return i
  const e = Math.floor(i / SUB) + SUB_BITS - 1
  const lower = (SUB + (i % SUB)) * 2 ** (e - SUB_BITS)
  return lower + 2 ** (e - SUB_BITS) - 1
}

export function toMicros(ms: number): number {
  if (!(ms > 0)) return 0
  return Math.min(LATENCY_US_MAX, Math.round(ms * 1000))
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(HISTOGRAM_BUCKETS)
  count = 0
  maxUs = 0

  record(ms: number): void {
    const us = toMicros(ms)
    const i = bucketOf(us)
    this.counts[i] = (this.counts[i] as number) + 1
    this.count++
    if (us > this.maxUs) this.maxUs = us
  }

  add(other: LatencyHistogram): void {
    if (other.count === 0) return
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number)
    this.count += other.count
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs
  }

  clear(): void {
    if (this.count === 0) return
    this.counts.fill(0)
    this.count = 0
    this.maxUs = 0
  }

  /** The q-quantile (0 < q ≤ 1) in milliseconds: the value at rank ⌈q·count⌉; 0 when empty. */
  quantileMs(q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i] as number
      if (seen >= rank) return Math.min(bucketUpperUs(i), this.maxUs) / 1000
    }
    return this.maxUs / 1000
  }

  get maxMs(): number {
    return this.maxUs / 1000
  }
}
