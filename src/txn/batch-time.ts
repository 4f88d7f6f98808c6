/**
 * The time of each batch, stamped once by the sequencer as the batch is taken and logged with it
 * (src/txn/batch-codec.ts): an input like the transactions, so that every execution of the batch — the
 * first, a fallback's, a replay's, a follower's, EXPLAIN COMMIT's — reads the same time. Batch times
 * never go backwards, also across restarts and fail-overs (recovery and following observe each batch's
 * time, and the checkpoint keeps the last: ReleasedEffects.timeMs): a wall clock stepped back by the
 * machine's time service holds at the last batch's time.
 */
export type WallClockMs = () => number

export class BatchClock {
  /** The time of the last batch stamped or observed (0 before any). */
  private latestMs = 0

  constructor(private readonly wallMs: WallClockMs = Date.now) {}

  /** The time of the batch being taken now. */
  stamp(): number {
    this.latestMs = Math.max(this.latestMs, Math.floor(this.wallMs()))
    return this.latestMs
  }

  /** The latest batch time stamped or observed: the checkpoint keeps it (ReleasedEffects.timeMs). */
  get lastMs(): number {
    return this.latestMs
  }

  /** A batch logged earlier (replayed, or followed): batches stamped after it are not earlier. */
  observe(timeMs: number): void {
    if (timeMs > this.latestMs) this.latestMs = timeMs
  }

  /**
   * The time a query reads (it is not logged, and writes nothing): now, and not before the batch whose
   * state it reads.
   */
  readTime(): number {
    return Math.max(this.latestMs, Math.floor(this.wallMs()))
  }
}
