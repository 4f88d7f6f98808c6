// Rates and latency percentiles over a sliding window of recent time, for SHOW STATS and the browser
// console. Time is cut into fixed buckets (1 s by default) kept in a ring: an event adds to the bucket of
// the moment it is observed, and a snapshot sums the buckets of the last `windowMs`. Memory is fixed
// (one histogram per bucket) whatever the rate. The clock is injected, so tests are deterministic; it is
// used for observability only and never reaches the engine.
import { LatencyHistogram } from './histogram.js'

/** The engine's cumulative counters the window turns into rates (a subset of EngineStats). */
export interface EngineCounters {
  /** Every transaction that ran: in batches, and reads answered at a position. */
  readonly txns: number
  /** Transactions inside numbered batches (the batch size counts these). */
  readonly batchedTxns: number
  readonly committed: number
  readonly rolledBack: number
  readonly batches: number
  readonly fallbackTxns: number
}

type Counts = { -readonly [K in keyof EngineCounters]: number }

const COUNTER_KEYS: readonly (keyof EngineCounters)[] = ['txns', 'batchedTxns', 'committed', 'rolledBack', 'batches', 'fallbackTxns']

function zero(): Counts {
  return { txns: 0, batchedTxns: 0, committed: 0, rolledBack: 0, batches: 0, fallbackTxns: 0 }
}

export interface WindowOptions {
  /** Milliseconds, monotonic (performance.now() by default). */
  readonly now?: () => number
  readonly bucketMs?: number
  readonly windowMs?: number
}

export const DEFAULT_BUCKET_MS = 1000
export const DEFAULT_WINDOW_MS = 10_000
/** A bound on the ring, so a misconfiguration cannot allocate without limit. */
export const WINDOW_BUCKETS_MAX = 3600

export interface WindowSnapshot {
  /** Seconds the rates and percentiles cover (less than the window just after start). */
  readonly seconds: number
  readonly txnsPerS: number
  readonly committedPerS: number
  readonly abortedPerS: number
  readonly batchesPerS: number
  /** Transactions per batch, over the window; 0 without batches. */
  readonly batchSizeMean: number
  /** Fraction of the window's transactions that the fallback executed again; 0 without transactions. */
  readonly fallbackShare: number
  /** Replies observed in the window (the latency samples). */
  readonly replies: number
  readonly latencyP50Ms: number
  readonly latencyP95Ms: number
  readonly latencyP99Ms: number
  readonly latencyMaxMs: number
}

interface Bucket {
  /** floor(time / bucketMs) of the interval this slot holds; -1 when never used. */
  index: number
  readonly counts: Counts
  readonly latency: LatencyHistogram
}

export class StatsWindow {
  private readonly now: () => number
  private readonly bucketMs: number
  private readonly ring: Bucket[]
  private readonly startedMs: number
  private last: Counts | null = null

  constructor(options: WindowOptions = {}) {
    this.now = options.now ?? (() => performance.now())
    this.bucketMs = options.bucketMs ?? DEFAULT_BUCKET_MS
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS
    if (!(this.bucketMs > 0) || !(windowMs >= this.bucketMs)) throw new RangeError(`need 0 < bucketMs <= windowMs, got ${this.bucketMs} and ${windowMs}`)
    const n = Math.ceil(windowMs / this.bucketMs)
    if (n > WINDOW_BUCKETS_MAX) throw new RangeError(`a window of at most ${WINDOW_BUCKETS_MAX} buckets, got ${n}`)
    this.ring = Array.from({ length: n }, () => ({ index: -1, counts: zero(), latency: new LatencyHistogram() }))
    this.startedMs = this.now()
  }

  get windowMs(): number {
    return this.ring.length * this.bucketMs
  }

  /** The slot for the current moment, cleared if it still holds an older interval. */
  private current(t: number): Bucket {
    const index = Math.floor(t / this.bucketMs)
    const n = this.ring.length
    const b = this.ring[((index % n) + n) % n] as Bucket
    if (b.index !== index) {
      b.index = index
      for (const k of COUNTER_KEYS) b.counts[k] = 0
      b.latency.clear()
    }
    return b
  }

  /**
   * Takes the engine's cumulative counters: what grew since the last call is added to the current
   * bucket. The first call only sets the baseline, as does a counter that went backwards.
   */
  observe(counters: EngineCounters, t: number = this.now()): void {
    const last = this.last
    if (last === null) {
      this.last = pick(counters)
      return
    }
    // Field by field rather than over COUNTER_KEYS: this runs once per transaction.
    const txns = counters.txns - last.txns
    const batchedTxns = counters.batchedTxns - last.batchedTxns
    const committed = counters.committed - last.committed
    const rolledBack = counters.rolledBack - last.rolledBack
    const batches = counters.batches - last.batches
    const fallbackTxns = counters.fallbackTxns - last.fallbackTxns
    if (txns === 0 && committed === 0 && rolledBack === 0 && batches === 0 && fallbackTxns === 0) return
    last.txns = counters.txns
    last.batchedTxns = counters.batchedTxns
    last.committed = counters.committed
    last.rolledBack = counters.rolledBack
    last.batches = counters.batches
    last.fallbackTxns = counters.fallbackTxns
    const c = this.current(t).counts
    if (txns > 0) c.txns += txns
    if (batchedTxns > 0) c.batchedTxns += batchedTxns
    if (committed > 0) c.committed += committed
    if (rolledBack > 0) c.rolledBack += rolledBack
    if (batches > 0) c.batches += batches
    if (fallbackTxns > 0) c.fallbackTxns += fallbackTxns
  }

  /** One reply's latency (submit → outcome), in milliseconds. */
  recordLatency(ms: number, t: number = this.now()): void {
    this.current(t).latency.record(ms)
  }

  snapshot(): WindowSnapshot {
    const t = this.now()
    const index = Math.floor(t / this.bucketMs)
    const oldest = index - this.ring.length + 1
    const sum = zero()
    const latency = new LatencyHistogram()
    for (const b of this.ring) {
      if (b.index < oldest || b.index > index) continue
      for (const k of COUNTER_KEYS) sum[k] += b.counts[k]
      latency.add(b.latency)
    }
    const fromMs = Math.max(this.startedMs, oldest * this.bucketMs)
    const seconds = Math.max(0, t - fromMs) / 1000
    const rate = (n: number): number => (seconds > 0 ? n / seconds : 0)
    return {
      seconds,
      txnsPerS: rate(sum.txns),
      committedPerS: rate(sum.committed),
      abortedPerS: rate(sum.rolledBack),
      batchesPerS: rate(sum.batches),
      batchSizeMean: sum.batches > 0 ? sum.batchedTxns / sum.batches : 0,
      fallbackShare: sum.batchedTxns > 0 ? sum.fallbackTxns / sum.batchedTxns : 0,
      replies: latency.count,
      latencyP50Ms: latency.quantileMs(0.5),
      latencyP95Ms: latency.quantileMs(0.95),
      latencyP99Ms: latency.quantileMs(0.99),
      latencyMaxMs: latency.maxMs,
    }
  }
}

function pick(c: EngineCounters): Counts {
  return { txns: c.txns, batchedTxns: c.batchedTxns, committed: c.committed, rolledBack: c.rolledBack, batches: c.batches, fallbackTxns: c.fallbackTxns }
}
