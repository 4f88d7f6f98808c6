/**
 * Trace bases: copies of the checkpoint kept so that EXPLAIN COMMIT can re-run positions older than the
 * checkpoint after the log's first segments are gone.
 *
 * EXPLAIN COMMIT rebuilds the state before (b, s) from a state that holds only batches before b plus the
 * log after it (commit-trace-thread.ts). The checkpoint is such a state only for positions after it (it
 * moves every second or so), and an empty state only while the log still starts at batch 1. Kept log
 * segments alone buy nothing: without a state from before them they cannot be replayed. So the database
 * keeps up to TRACE_BASES_KEPT copies of its checkpoint in `<data>/trace-bases/`, taken one at a time
 * off the serving thread (trace-base-copy.ts, trace-base-thread.ts), and the log keeps every batch after the oldest copy.
 * A new copy is taken at a durable checkpoint once the newest is TRACE_BASE_INTERVAL_MS old or
 * TRACE_BASE_LOG_BYTES of log were appended since; then the oldest beyond TRACE_BASES_KEPT goes, and
 * with it the log before the next. Every position after the oldest base can be re-run: with two bases,
 * at least the last interval's (or the last TRACE_BASE_LOG_BYTES of log's) positions, whatever the
 * checkpoints did meanwhile.
 *
 * What it costs: disk for the copies (each the checkpoint's size) and the log since the oldest, and one
 * copy per interval on a thread of its own. A checkpoint bigger than EXPLAIN COMMIT loads
 * (COMMIT_TRACE_IMAGE_BYTES_MAX) is not copied, and a copy that fails holds no log back: the log then
 * goes as it would without bases (positions before the checkpoint can no longer be re-run), and the
 * copy is tried again an interval later.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { BatchLog, LogEntry } from '../log/batch-log.js'
import { TRACE_BASE_NAME, TRACE_BASE_TEMP, type TraceBaseCopyReply, type TraceBaseCopyRequest } from './trace-base-copy.js'

/** Copies of the checkpoint kept for EXPLAIN COMMIT; 0 keeps none (the log goes after each checkpoint). */
export const TRACE_BASES_KEPT = 2
/** A new base is taken at the first durable checkpoint this long after the newest. */
export const TRACE_BASE_INTERVAL_MS = 60_000
/** … or once this many bytes of log entries were appended since the newest (two default log segments). */
export const TRACE_BASE_LOG_BYTES = 128 * 1024 * 1024
/** The directory of the bases inside the data directory. */
export const TRACE_BASES_DIR = 'trace-bases'

export interface TraceBase {
  readonly file: string
  /** The last batch its state holds. */
  readonly batch: number
}

/** The bases in `dir`, oldest first (none when the directory does not exist). */
export function listTraceBases(dir: string): TraceBase[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const bases: TraceBase[] = []
  for (const name of names) {
    const m = TRACE_BASE_NAME.exec(name)
    if (m !== null) bases.push({ file: join(dir, name), batch: Number(m[1]) })
  }
  return bases.sort((a, b) => a.batch - b.batch)
}

export interface TraceBaseOptions {
  /** `<data>/trace-bases`. */
  readonly dir: string
  readonly checkpointFile: string
  readonly kept: number
  readonly intervalMs: number
  readonly logBytes: number
  /** A checkpoint bigger than this is not copied. */
  readonly bytesMax: number
  readonly log: (line: string) => void
  /** Deliberate bugs (EngineFaults.traceBaseUnheld, traceBaseBatchBehind). */
  readonly unheld?: boolean
  readonly batchBehind?: boolean
}

/** Keeps a database's trace bases and says how much of the log they need. */
export class TraceBaseKeeper {
  private bases: TraceBase[]
  private copying: { readonly worker: Worker; readonly done: Promise<void> } | null = null
  /** When the newest base was taken (or the last copy failed), performance.now(); -Infinity: not yet here. */
  private lastCopyAt = -Infinity
  private bytesSinceCopy = 0
  /** The last copy failed: no log is held back for the bases until one succeeds. */
  private failed = false
  private closed = false

  constructor(private readonly o: TraceBaseOptions) {
    mkdirSync(o.dir, { recursive: true })
    // A copy cut short by a crash, and bases beyond the bound (a crash between a copy and the deletion).
    for (const name of readdirSync(o.dir)) if (TRACE_BASE_TEMP.test(name)) rmSync(join(o.dir, name), { force: true })
    this.bases = listTraceBases(o.dir)
    this.dropBeyondBound()
    // The newest base's age carries over a restart (by its file's time): restarts neither take a copy each
    // nor put the next one off for ever.
    const newest = this.bases[this.bases.length - 1]
    if (newest !== undefined) this.lastCopyAt = performance.now() - Math.max(0, Date.now() - statSync(newest.file).mtimeMs)
  }

  /** The bases now, oldest first. */
  get current(): readonly TraceBase[] {
    return this.bases
  }

  /**
   * The log may drop batches up to this one: every batch after the oldest base stays (0 before the first
   * base exists: the whole log stays, an empty state being the base); Infinity when no base is kept.
   */
  get holdBatch(): number {
    if (this.o.kept === 0 || this.failed || this.o.unheld === true) return Infinity
    return this.bases[0]?.batch ?? 0
  }

  /** An entry was appended to the log (it counts towards the next base). */
  appended(entry: LogEntry): void {
    if (entry.kind === 'batch') this.bytesSinceCopy += entry.body.length
  }

  /** A checkpoint is durable: time for a new base, if one is due (it copies whatever the checkpoint holds then). */
  checkpointed(): void {
    if (this.o.kept === 0 || this.closed || this.copying !== null) return
    const due = this.bases.length === 0 && !this.failed ||
      performance.now() - this.lastCopyAt >= this.o.intervalMs ||
      (!this.failed && this.bytesSinceCopy >= this.o.logBytes)
    if (due) this.copy()
  }

  /** Resolves once no copy is under way (tests). */
  async settled(): Promise<void> {
    while (this.copying !== null) await this.copying.done
  }

  private copy(): void {
    this.bytesSinceCopy = 0
    const worker = new Worker(new URL('./trace-base-thread.js', import.meta.url))
    const request: TraceBaseCopyRequest = {
      checkpointFile: this.o.checkpointFile, dir: this.o.dir, bytesMax: this.o.bytesMax,
      ...(this.o.batchBehind === true ? { batchBehind: true } : {}),
    }
    const done = new Promise<void>((resolve) => {
      let answered = false
      worker.once('message', (reply: TraceBaseCopyReply) => {
        answered = true
        this.copied(reply)
        void worker.terminate()
      })
      worker.once('error', (err) => {
        answered = true
        this.copied({ ok: false, message: err.message })
      })
      worker.once('exit', () => {
        if (!answered && !this.closed) this.copied({ ok: false, message: 'the copying thread stopped without an answer' })
        this.copying = null
        resolve()
      })
    })
    this.copying = { worker, done }
    worker.postMessage(request)
  }

  private copied(reply: TraceBaseCopyReply): void {
    this.lastCopyAt = performance.now()
    if (!reply.ok) {
      if (!this.failed) this.o.log(`EXPLAIN COMMIT's copy of the checkpoint failed (${reply.message}): positions before the checkpoint may not be re-run; trying again in ${this.o.intervalMs} ms`)
      this.failed = true
      return
    }
    this.failed = false
    this.bases = [...this.bases.filter((b) => b.batch !== reply.batch), { file: reply.file, batch: reply.batch }].sort((a, b) => a.batch - b.batch)
    this.dropBeyondBound()
  }

  /** Deletes the oldest bases beyond the bound (the log before the next may go at the next checkpoint). */
  private dropBeyondBound(): void {
    while (this.bases.length > Math.max(this.o.kept, 0)) {
      const oldest = this.bases.shift() as TraceBase
      rmSync(oldest.file, { force: true })
    }
  }

  /** Stops a copy under way (its temporary file is deleted at the next open). */
  async close(): Promise<void> {
    this.closed = true
    const c = this.copying
    if (c !== null) {
      await c.worker.terminate()
      await c.done
    }
  }
}

/**
 * The database's log, holding back for the trace bases: a checkpoint lets it drop only the batches no
 * base needs, and every append counts towards the next base.
 */
export function holdForTraceBases(log: BatchLog, keeper: TraceBaseKeeper): BatchLog {
  const held: BatchLog = {
    get lastBatch() { return log.lastBatch },
    entries: () => log.entries(),
    append: (entry, options) => {
      keeper.appended(entry)
      return log.append(entry, options)
    },
    resume: () => log.resume(),
    checkpointed: (batch) => {
      keeper.checkpointed()
      return log.checkpointed(Math.min(batch, keeper.holdBatch))
    },
    close: () => log.close(),
  }
  if (log.released !== undefined) held.released = log.released.bind(log)
  if (log.follow !== undefined) held.follow = log.follow.bind(log)
  if (log.takeOver !== undefined) held.takeOver = log.takeOver.bind(log)
  if (log.refusingForGood !== undefined) held.refusingForGood = log.refusingForGood.bind(log)
  return held
}
