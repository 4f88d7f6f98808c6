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

/** Where a database's committed transactions can be re-run from. */
export interface CommitTraceSource {
  /** The batch log: its segment directory (`<data>/log`), or its NATS JetStream stream. */
  readonly log: { readonly dir: string } | { readonly servers: readonly string[]; readonly stream: string | undefined }
  /** The checkpoint (`<data>/acheron.db`). */
  readonly checkpointFile: string
  /** The database's default partitions (a replayed CREATE TABLE without PARTITIONS takes them). */
  readonly partitions: number
  /** The function runtimes beyond WebAssembly the database loaded (research runtimes), by module URL. */
  readonly runtimes: RuntimeModules
  /** A deliberate bug for tests (EngineFaults.commitTraceSkipsBatchPrefix). */
  readonly skipBatchPrefix?: boolean
}

export interface CommitTraceRequest {
  readonly source: CommitTraceSource
  readonly at: CommitPosition
}

/** The thread's answer: the trace's rows (src/txn/explain.ts), or why there is none. */
export type CommitTraceReply =
  | { readonly ok: true; readonly result: TxnResult }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly retryable: boolean }

/** Re-runs committed transactions of one database, each on a thread of its own. */
export class CommitTracer {
  private readonly running = new Set<Worker>()

  constructor(private readonly source: CommitTraceSource) {}

  trace(at: CommitPosition): Promise<TxnResult> {
    if (this.running.size >= COMMIT_TRACES_IN_FLIGHT_MAX) {
      return Promise.reject(new AcheronError('OVERLOADED', `${this.running.size} EXPLAIN COMMITs are rebuilding state already (COMMIT_TRACES_IN_FLIGHT_MAX ${COMMIT_TRACES_IN_FLIGHT_MAX}); try again when one is done`, { retryable: true }))
    }
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./commit-trace-thread.js', import.meta.url), { workerData: { source: this.source, at } satisfies CommitTraceRequest })
      this.running.add(worker)
      let settled = false
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        this.running.delete(worker)
        fn()
      }
      worker.once('message', (m: CommitTraceReply) => {
        settle(() => m.ok ? resolve(m.result) : reject(new AcheronError(m.code, m.message, { retryable: m.retryable })))
      })
      worker.once('error', (err) => settle(() => reject(new AcheronError('INTERNAL', `EXPLAIN COMMIT (${at.batch}, ${at.seq}) failed: ${err.message}`))))
      worker.once('exit', (code) => settle(() => reject(new AcheronError('SHUTTING_DOWN', `the thread re-running (${at.batch}, ${at.seq}) stopped (${code}) without an answer`, { retryable: true }))))
    })
  }

  /** Stops the traces under way; their requests fail with SHUTTING_DOWN. */
  async close(): Promise<void> {
    await Promise.all([...this.running].map((w) => w.terminate()))
  }
}
