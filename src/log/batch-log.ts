import { ACHERON_VERSION } from '../version.js'
import { LOG_FORMAT } from './frame.js'

/**
 * The batch log: the sequenced input of the engine, which is what makes state durable. Execution is
 * deterministic, so the log of batches (every transaction's input, in id order, with its batch
 * boundaries) is the database; SQLite checkpoints only shorten recovery. A batch is acknowledged once
 * its entry is durable here and it has executed.
 *
 * This interface is the seam for other logs: `FileBatchLog` (segmented files, the default),
 * `MemoryBatchLog` (tests, `open({ memory: true })`), and `JetStreamBatchLog` (a NATS JetStream stream
 * replicated over a cluster, the log that will feed several machines). An implementation stores
 * entries opaquely; what a body means is src/txn/batch-codec.ts.
 */

/**
 * How durable an append is when it resolves: `full`, flushed to the disk (fdatasync); `normal`, written
 * to the operating system (survives a process kill; a power loss may lose the last ~200 ms); `off`,
 * written to the operating system and never flushed by Acheron.
 */
export type SyncMode = 'full' | 'normal' | 'off'

export type LogEntry =
  /** Batch `batch`: its encoded transactions (src/txn/batch-codec.ts). */
  | { readonly kind: 'batch'; readonly batch: number; readonly body: Uint8Array }
  /**
   * Batch `batch`, logged earlier, never takes effect: its execution failed for reasons outside the
   * transactions (a worker died, memory ran out), and its clients were told so. Replay skips it.
   */
  | { readonly kind: 'void'; readonly batch: number }

/**
 * A replicated log's takeover fence: a void of batch 0, which no batch has, so every reader skips it.
 * A writer that takes a stream over appends it first, expecting the last message it read: stored, it
 * fences off the writer before (whose next append expects an earlier message); refused, that writer
 * appended since (paused, it did not know yet that its lease lapsed), and the new one reads on.
 */
export const TAKEOVER_FENCE: LogEntry = { kind: 'void', batch: 0 }

/** How an append is best written (a hint: a log that has no choice to make ignores it). */
export interface AppendOptions {
  /**
   * The calling thread has work to do right after the append (the batch's execution): write the entry
   * off this thread, so that the device's wait overlaps that work, instead of blocking the thread.
   */
  readonly overlap?: boolean
}

export interface BatchLog {
  /** Highest batch number of any entry: 0 for an empty log. */
  readonly lastBatch: number
  /** Every entry, in log order (recovery reads it, skipping what the checkpoint already holds). */
  entries(): Iterable<LogEntry>
  /**
   * Appends an entry; resolves once it is durable as the log's sync mode defines it, and rejects with
   * LogAppendError if it could not be written. Nothing of a refused entry is in the log, and every
   * append after it is refused too, until `resume`: so no entry ever follows a missing one.
   * `options` may tell the log how best to write it; they never change what is written or when it
   * resolves relative to the entries before it.
   */
  append(entry: LogEntry, options?: AppendOptions): Promise<void>
  /** Accepts appends again after a refusal; the next entry follows the last whole one (`lastBatch`). */
  resume(): void
  /**
   * A checkpoint holding every batch up to `batch` is durable: entries at or before it are no longer
   * needed for recovery, and the log may drop them (keeping what its retention says).
   */
  checkpointed(batch: number): Promise<void>
  /**
   * A replicated log the engine is about to write, its entries replayed: it cuts off any other writer
   * before this one serves (JetStreamBatchLog: a fence after the last message read, as at a takeover).
   * Rejects with WriterRaceError when another writer appended after what was read.
   */
  fenceForWriting?(): Promise<void>
  close(): Promise<void>
  /**
   * The engine released `batch` (durable, executed, replied): a replicated log tells its followers.
   * `executions` gives the batch's final executions as bytes (execution-codec.ts), which the log may
   * hand its followers so that they need not execute the batch again.
   */
  released?(batch: number, executions?: () => Uint8Array): void
  /**
   * A follower's log: calls `apply` with each batch entry the writer has released, in order, from the
   * start of the log (voided batches left out); a follower's `entries()` is empty. `executions`: the
   * writer's final executions of that batch when they reached this follower (else it executes the
   * batch itself, with the same result). `purged`: given with the first entry when the log no longer
   * starts at its beginning, saying where it starts: whoever holds no batch just before that entry
   * cannot follow. Resolves when the log closes; rejects if it cannot go on (the stream is damaged,
   * `apply` failed).
   */
  follow?(apply: (entry: Extract<LogEntry, { kind: 'batch' }>, executions: Uint8Array | undefined, purged: string | null) => Promise<void>): Promise<void>
  /** A follower turns writer: `follow` applies the rest of the log, released or not, and returns. */
  takeOver?(): Promise<void>
  /**
   * A replicated log: resolves (with why) once it refuses every append for good, until it is closed
   * and opened again: another writer appended (this one is fenced off), or an entry's fate is unknown.
   * A writer that may hand its role over (`--failover`) does so then: as the writer it can write nothing.
   */
  refusingForGood?(): Promise<string>
  /** A replicated log's way to share phase 1 with the followers (absent: the writer executes everything). */
  readonly phase1?: Phase1Transport
  /**
   * A replicated log's name for itself in messages ("the stream NAME"): its first batches may be gone
   * because they were purged behind a writer's checkpoints, not because a directory was damaged.
   */
  readonly replicatedAs?: string
}

/** A follower's answer: the executions of its share, in batch order, made on its state after batch `position`. */
export interface PeerAnswer {
  readonly position: number
  readonly executions: Uint8Array
}

/**
 * How a writer shares a batch's phase 1 with its followers (src/txn/shared-phase1.ts): a replicated log
 * implements it (JetStreamBatchLog, over plain NATS). Stateless about batches: the engine decides what
 * goes where and what it waits for.
 */
export interface Phase1Transport {
  /** Followers that said lately that they follow and execute shares, by node id. */
  phase1Peers(): readonly string[]
  /**
   * Sends batch `number` (its log body) with `owners` (a slot per transaction; slot i ≥ 1 is
   * `peers[i - 1]`); `answer` is called once per follower that answers (null: it declined).
   */
  sharePhase1(number: number, body: Uint8Array, owners: Uint8Array, peers: readonly string[], answer: (peer: string, a: PeerAnswer | null) => void): void
  /** No more answers for batch `number` are wanted. */
  sharePhase1Done(number: number): void
  /**
   * A follower executes the shares sent to it: `run` gets a batch's number, body and the indexes of the
   * transactions in this follower's slot, and gives the answer (null: declined). Returns a stop function.
   */
  servePhase1(run: (number: number, body: Uint8Array, indexes: readonly number[]) => Promise<PeerAnswer | null>): () => void
}


/** Another writer appended to a replicated log after what this node read to open it as the writer. */
export class WriterRaceError extends Error {
  override readonly name = 'WriterRaceError'
}

/**
 * What a batch log says about a failure to append: the log is full or the disk refused the write.
 * The engine fails the batches it held (retryably) and the log stays usable.
 */
export class LogAppendError extends Error {
  /**
   * `uncertain`: the entry may be in the log after all (a replicated log that stopped answering). Its
   * batch's clients cannot be told it failed, so the engine stops; the next start reads the log and decides.
   */
  constructor(message: string, readonly full: boolean, readonly uncertain = false) {
    super(message)
    this.name = 'LogAppendError'
  }
}

/** The log is damaged before its tail: recovery cannot go on without losing acknowledged batches. */
/**
 * The log holds an entry of a later format than this version reads: written by a newer acheron. It is
 * not damage, and nothing is cut or changed.
 */
export class LogFormatError extends Error {
  /** `offset`: a byte offset of a file, or (`unit` 'message') a stream sequence. */
  constructor(readonly file: string, readonly offset: number, what: string, unit: 'byte' | 'message' = 'byte') {
    super(`batch log ${file} holds at ${unit} ${offset} ${what}, and acheron ${ACHERON_VERSION} reads log format ${LOG_FORMAT}: it was written by a newer acheron; run that version (or a later one) on this directory. It is not damaged: do not restore it from a backup (nothing was changed or cut)`)
    this.name = 'LogFormatError'
  }
}

export class LogCorruptError extends Error {
  /** `offset`: a byte offset of a file, or (`unit` 'message') a stream sequence. */
  constructor(readonly file: string, readonly offset: number, reason: string, unit: 'byte' | 'message' = 'byte') {
    super(`batch log ${file} is damaged at ${unit} ${offset}: ${reason}`)
    this.name = 'LogCorruptError'
  }
}
