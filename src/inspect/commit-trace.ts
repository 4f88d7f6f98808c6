/**
 * EXPLAIN COMMIT (batch, seq): the transaction a database committed (or rolled back) at that position,
 * run again on the state before it, with the tracer of EXPLAIN CALL (src/txn/explain.ts).
 *
 * Execution is a pure function of the batch log, and (batch, seq) order is the serial order every
 * execution is equivalent to (CONTRACT.md §5): so the state before (b, s) is the checkpoint, or an empty
 * state, plus every logged batch after it up to b - 1, plus the first s transactions of batch b. A thread
 * of its own (commit-trace-thread.ts) rebuilds that state in a memory-mode engine (serial protocol) and
 * traces transaction s there; the database serving requests only spawns it and waits.
 */
import { Worker } from 'node:worker_threads'
import { AcheronError, type CommitPosition, type ErrorCode } from '../errors.js'
import type { RuntimeModules } from '../schema/function-runtime.js'
import type { TxnResult } from '../txn/types.js'

/** EXPLAIN COMMITs rebuilding state at once; beyond, OVERLOADED (each holds a copy of the checkpoint in memory). */
export const COMMIT_TRACES_IN_FLIGHT_MAX = 2
/** Bytes of the checkpoint an EXPLAIN COMMIT copies into memory; a bigger one is refused (POSITION_UNAVAILABLE). */
export const COMMIT_TRACE_IMAGE_BYTES_MAX = 1024 * 1024 * 1024

/** Where a database's committed transactions can be re-run from. */
export interface CommitTraceSource {
  /** The batch log: its segment directory (`<data>/log`), or its NATS JetStream stream. */
  readonly log: { readonly dir: string } | { readonly servers: readonly string[]; readonly stream: string | undefined }
  /** The checkpoint (`<data>/acheron.db`). */
  readonly checkpointFile: string
  /** The older copies of it kept for EXPLAIN COMMIT (`<data>/trace-bases`, trace-bases.ts). */
  readonly basesDir?: string
  /** The database's default partitions (a replayed CREATE TABLE without PARTITIONS takes them). */
  readonly partitions: number
  /** The function runtimes beyond WebAssembly the database loaded (research runtimes), by module URL. */
  readonly runtimes: RuntimeModules
  /** Tests only: a lower bound than COMMIT_TRACE_IMAGE_BYTES_MAX. */
  readonly imageBytesMax?: number
  /** A deliberate bug for tests (EngineFaults.commitTraceSkipsBatchPrefix). */
  readonly skipBatchPrefix?: boolean
  /** A deliberate bug for tests (EngineFaults.commitTraceReadsClock). */
  readonly readsClock?: boolean
}

/** One request to a trace thread; it answers with the same `id`. */
export interface CommitTraceRequest {
  readonly id: number
  readonly source: CommitTraceSource
  readonly at: CommitPosition
}

/** The thread's answer: the trace's rows (src/txn/explain.ts), or why there is none. */
export type CommitTraceReply = { readonly id: number } & (
  | { readonly ok: true; readonly result: TxnResult }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly retryable: boolean })

/**
 * An idle trace thread is kept this long for the next EXPLAIN COMMIT: its start loads the WebAssembly
 * instrumentation (binaryen), about a second, which a warm thread has done already.
 */
export const COMMIT_TRACE_THREAD_IDLE_MS = 60_000

interface TraceThread {
  readonly worker: Worker
  /** The request it runs, if any. */
  busy: { readonly id: number; readonly resolve: (r: TxnResult) => void; readonly reject: (e: Error) => void } | null
  idleTimer: NodeJS.Timeout | null
}

/**
 * Re-runs committed transactions of one database on threads of its own, one request per thread at a
 * time, at most COMMIT_TRACES_IN_FLIGHT_MAX threads; an idle thread waits COMMIT_TRACE_THREAD_IDLE_MS
 * for the next request, unreferenced (it keeps no process alive).
 */
export class CommitTracer {
  private readonly threads = new Set<TraceThread>()
  private nextId = 1

  constructor(private readonly source: CommitTraceSource) {}

  trace(at: CommitPosition): Promise<TxnResult> {
    let thread = [...this.threads].find((t) => t.busy === null)
    if (thread === undefined) {
      if (this.threads.size >= COMMIT_TRACES_IN_FLIGHT_MAX) {
        return Promise.reject(new AcheronError('OVERLOADED', `${this.threads.size} EXPLAIN COMMITs are rebuilding state already (COMMIT_TRACES_IN_FLIGHT_MAX ${COMMIT_TRACES_IN_FLIGHT_MAX}); try again when one is done`, { retryable: true }))
      }
      thread = this.start()
    }
    const t = thread
    if (t.idleTimer !== null) clearTimeout(t.idleTimer)
    t.idleTimer = null
    t.worker.ref()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      t.busy = { id, resolve, reject }
      t.worker.postMessage({ id, source: this.source, at } satisfies CommitTraceRequest)
    })
  }

  private start(): TraceThread {
    const t: TraceThread = { worker: new Worker(new URL('./commit-trace-thread.js', import.meta.url)), busy: null, idleTimer: null }
    this.threads.add(t)
    t.worker.on('message', (m: CommitTraceReply) => {
      const busy = t.busy
      if (busy === null || busy.id !== m.id) return
      t.busy = null
      if (m.ok) busy.resolve(m.result)
      else busy.reject(new AcheronError(m.code, m.message, { retryable: m.retryable }))
      t.worker.unref()
      t.idleTimer = setTimeout(() => { this.stop(t) }, COMMIT_TRACE_THREAD_IDLE_MS).unref()
    })
    t.worker.once('error', (err) => {
      this.fail(t, new AcheronError('INTERNAL', `EXPLAIN COMMIT failed: ${err.message}`))
    })
    t.worker.once('exit', (code) => {
      this.fail(t, new AcheronError('SHUTTING_DOWN', `the thread re-running a committed transaction stopped (${code}) without an answer`, { retryable: true }))
    })
    return t
  }

  /** The thread is gone: its request fails, and the next request starts another. */
  private fail(t: TraceThread, err: AcheronError): void {
    this.threads.delete(t)
    if (t.idleTimer !== null) clearTimeout(t.idleTimer)
    const busy = t.busy
    t.busy = null
    busy?.reject(err)
  }

  private stop(t: TraceThread): void {
    this.threads.delete(t)
    void t.worker.terminate()
  }

  /** Stops every thread; the traces under way fail with SHUTTING_DOWN. */
  async close(): Promise<void> {
    const threads = [...this.threads]
    for (const t of threads) if (t.idleTimer !== null) clearTimeout(t.idleTimer)
    await Promise.all(threads.map((t) => t.worker.terminate()))
  }
}
