// Latencies of a benchmark run in bounded memory: a log-bucketed histogram (1% wide buckets from 1 µs
// to ~1,000 s) instead of one number per transaction, so a long run at a high rate cannot grow without
// bound. Percentiles are accurate to the bucket width (1%); the maximum is kept exactly.

/** Each bucket's upper bound is this factor above the previous one. */
const BUCKET_RATIO = 1.01
const BUCKET_FIRST_MS = 0.001
/** Buckets from 1 µs up to BUCKET_FIRST_MS · 1.01^2100 ≈ 1.2 million ms; anything slower is in the last. */
const BUCKETS = 2100
const LOG_RATIO = Math.log(BUCKET_RATIO)

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  count = 0
  maxMs = 0

  record(ms: number): void {
    const i = ms <= BUCKET_FIRST_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BUCKET_FIRST_MS) / LOG_RATIO))
    this.counts[i] = (this.counts[i] as number) + 1
    this.count++
    if (ms > this.maxMs) this.maxMs = ms
  }

  /** The latency at or below which a fraction p of the samples lie (a bucket's upper bound); NaN if empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(p * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number
      if (seen >= rank) return Math.min(this.maxMs, BUCKET_FIRST_MS * Math.pow(BUCKET_RATIO, i))
    }
    return this.maxMs
  }
}
