/**
 * The positions of read-only queries (docs/guarantees.md): a read takes the position after the last
 * released batch, sharing that batch after its transactions, numbered in arrival order; it writes nothing
 * and has no batch of its own. A follower's reads (src/cluster/follower-reads.ts) reserve their seqs here
 * too, at the batch the follower held, so that no two reads anywhere share a position.
 */
import type { CommitPosition } from '../errors.js'

/** Released batches whose next free read seq is kept, for followers that read at an older batch. */
export const READ_SEQ_BATCHES_KEPT = 4096

export class ReadPositionBook {
  /** The transactions of the last released batch, and the reads numbered after them since. */
  private lastTxns: number
  private readsSince = 0
  /** The next free read seq of each of the last READ_SEQ_BATCHES_KEPT batches released before the last (oldest first). */
  private readonly seqs = new Map<number, number>()

  constructor(private last: number, lastTxns: number) {
    this.lastTxns = lastTxns
  }

  /** The last released batch. */
  get lastReleased(): number {
    return this.last
  }

  /** Positions for `count` reads at the last released batch: the first is returned, the others follow it in seq. */
  take(count: number): CommitPosition {
    const first: CommitPosition = { batch: this.last, seq: this.lastTxns + this.readsSince }
    this.readsSince += count
    return first
  }

  /**
   * Positions for `count` reads at `batch`, after every read position handed out there (the first is
   * returned); null for a batch not among the last READ_SEQ_BATCHES_KEPT released.
   */
  reserve(count: number, batch: number): CommitPosition | null {
    if (batch === this.last) return this.take(count)
    const seq = this.seqs.get(batch)
    if (seq === undefined) return null
    this.seqs.set(batch, seq + count)
    return { batch, seq }
  }

  /** Batch `number`, of `txns` transactions, is released: reads now take positions after it. */
  released(number: number, txns: number): void {
    // Followers may still read at the batch released before: its next free read seq is kept.
    this.seqs.set(this.last, this.lastTxns + this.readsSince)
    if (this.seqs.size > READ_SEQ_BATCHES_KEPT) this.seqs.delete(this.seqs.keys().next().value as number)
    this.last = number
    this.lastTxns = txns
    this.readsSince = 0
  }
}
