import { AcheronError, invariant } from '../errors.js'
import type { Catalog } from '../schema/catalog.js'
import { isExclusive, type TxnInput, type TxnOutcome } from './types.js'
import type { CallOrigin } from './batch-codec.js'

export interface SequencerLimits {
  /** A batch closes when it holds this many transactions. */
  readonly batchTxnsMax: number
  /** ...or when its first transaction has waited this long (Infinity: only by size, DDL or `flush`). */
  readonly batchIntervalMs: number
  /** Transactions accepted but not yet in an executing batch; beyond it, OVERLOADED. */
  readonly pendingTxnsMax: number
}

/**
 * Bytes a transaction's input holds, roughly (text and blob bytes, 8 per other value), for the bound
 * on what waits (`pendingBytesMax`): the walk is cheap next to what the input costs to log and run.
 */
export function inputBytes(v: unknown): number {
  if (typeof v === 'string') return v.length
  if (v instanceof Uint8Array) return v.byteLength
  if (Array.isArray(v)) { let n = 8; for (const x of v) n += inputBytes(x); return n }
  if (v !== null && typeof v === 'object') { let n = 8; for (const k in v) n += inputBytes((v as Record<string, unknown>)[k]); return n }
  return 8
}

/**
 * How to plan a statement again: SQL is planned when it arrives, against the catalog of that moment; if
 * a DDL sequenced before it changes the catalog first, the coordinator plans it again at its position.
 */
export interface Replan {
  readonly catalogVersion: number
  replan(catalog: Catalog): TxnInput
}

export interface Sequenced {
  readonly id: number
  /** The input as it will run (re-planned, if its catalog changed, when its batch is taken). */
  input: TxnInput
  readonly plan: Replan | null
  readonly resolve: (o: TxnOutcome) => void
  /** Arrival time, only for cutting batches by interval. */
  readonly arrivedAt: number
  /** inputBytes of the input, counted in `pendingBytes` until its batch is taken. */
  readonly bytes?: number
  /** Where a call a follower forwarded came from (logged with its batch: src/txn/batch-codec.ts). */
  readonly origin?: CallOrigin
}

/** Called on each transaction as its batch is cut, before its kind decides where the batch ends. */
export type PrepareFn = (s: Sequenced) => void

/** Taken entries are dropped from the queue's front once this many have piled up. */
const QUEUE_COMPACT_AT = 1024

/**
 * Gives every transaction its id in arrival order and cuts the arrivals into batches: by size, by
 * interval, at `flush` points, and around exclusive transactions (DDL and SELECT are batches of their
 * own, so a catalog change takes effect, and a query reads, exactly between two batches). Only where batches are cut depends on time; what
 * a given sequence of batches does never does.
 */
export class Sequencer {
  private readonly queue: (Sequenced | undefined)[] = []
  private head = 0
  /** Ids after which a batch must end (`flush` points), ascending. */
  private readonly cuts: number[] = []
  /** Exclusive transactions (DDL, SELECT) among the pending: each closes the batch before it. */
  private ddlPending = 0
  private closedReason: string | null = null
  /** inputBytes of every transaction waiting (accepted, not yet taken into a batch). */
  pendingBytes = 0

  constructor(
    private readonly limits: SequencerLimits,
    private nextId: number,
    private readonly now: () => number,
  ) {
    invariant(limits.batchTxnsMax >= 1, 'batchTxnsMax >= 1')
  }

  get pending(): number {
    return this.queue.length - this.head
  }

  get nextTxnId(): number {
    return this.nextId
  }

  submit(input: TxnInput, plan: Replan | null = null, bytes = 0, origin?: CallOrigin): Promise<TxnOutcome> {
    if (this.closedReason !== null) return Promise.reject(new AcheronError('SHUTTING_DOWN', this.closedReason, { retryable: true }))
    if (this.pending >= this.limits.pendingTxnsMax) {
      return Promise.reject(new AcheronError('OVERLOADED', `more than ${this.limits.pendingTxnsMax} transactions are waiting; retry later`, { retryable: true }))
    }
    if (isExclusive(input)) this.ddlPending++
    this.pendingBytes += bytes
    return new Promise<TxnOutcome>((resolve) => {
      this.queue.push(origin === undefined
        ? { id: this.nextId++, input, plan, resolve, arrivedAt: this.now(), bytes }
        : { id: this.nextId++, input, plan, resolve, arrivedAt: this.now(), bytes, origin })
    })
  }

  /** Ends the open batch after the last transaction submitted so far. */
  flush(): void {
    const last = this.queue[this.queue.length - 1]
    if (this.pending > 0 && last !== undefined && this.cuts[this.cuts.length - 1] !== last.id) this.cuts.push(last.id)
  }

  /** The next transaction's id continues from `id` (after recovery replayed the log). */
  resumeAt(id: number): void {
    invariant(this.pending === 0, 'ids are set only while nothing waits')
    this.nextId = id
  }

  /** Refuses new transactions from now on; those already accepted still run. */
  close(reason: string): void {
    this.closedReason = reason
    this.flush()
  }

  /** Milliseconds until the open batch closes by interval, or null when nothing waits. */
  msUntilDue(): number | null {
    if (this.pending === 0) return null
    return Math.max(0, (this.queue[this.head] as Sequenced).arrivedAt + this.limits.batchIntervalMs - this.now())
  }

  /**
   * True when `takeBatch` would return a batch now. `engineIdle`: with a finite interval, an idle engine
   * does not wait for it — the interval bounds how long a transaction waits, it is not a delay (group
   * commit: batches still fill up while a batch executes). An Infinity interval means manual batching.
   */
  takeable(engineIdle = false): boolean {
    const pending = this.pending
    if (pending === 0) return false
    if (engineIdle && Number.isFinite(this.limits.batchIntervalMs)) return true
    if (this.cuts.length > 0 || pending >= this.limits.batchTxnsMax || this.ddlPending > 0) return true
    return this.msUntilDue() === 0
  }

  /** The next closed batch, or null when the open batch is still filling (see `takeable` for `engineIdle`). */
  takeBatch(engineIdle = false, prepare: PrepareFn | null = null): Sequenced[] | null {
    const pending = this.pending
    if (pending === 0) return null
    const first = this.queue[this.head] as Sequenced
    const prepared = (s: Sequenced): Sequenced => {
      if (prepare === null) return s
      const before = isExclusive(s.input)
      prepare(s)
      const after = isExclusive(s.input)
      if (before !== after) this.ddlPending += after ? 1 : -1
      return s
    }
    prepared(first)
    let n = 0
    let closed = false
    if (isExclusive(first.input)) {
      n = 1
      closed = true
      this.ddlPending--
    } else {
      const cut = this.cuts[0]
      while (n < pending && n < this.limits.batchTxnsMax) {
        const s = prepared(this.queue[this.head + n] as Sequenced)
        if (isExclusive(s.input)) { closed = true; break }
        n++
        if (s.id === cut) { closed = true; break }
      }
      closed ||= n === this.limits.batchTxnsMax || this.now() - first.arrivedAt >= this.limits.batchIntervalMs
      closed ||= engineIdle && Number.isFinite(this.limits.batchIntervalMs)
    }
    if (!closed) return null
    const batch = this.queue.slice(this.head, this.head + n) as Sequenced[]
    // Consumed inputs are released at once: the queue must not keep a large input alive.
    this.queue.fill(undefined, this.head, this.head + n)
    for (const s of batch) this.pendingBytes -= s.bytes ?? 0
    this.head += n
    const lastId = (batch[batch.length - 1] as Sequenced).id
    while (this.cuts.length > 0 && (this.cuts[0] as number) <= lastId) this.cuts.shift()
    if (this.head >= QUEUE_COMPACT_AT && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    return batch
  }
}
