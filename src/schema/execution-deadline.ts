/**
 * The wall-clock deadline of the transaction this thread executes. Time never decides an outcome: a
 * runtime that finds the deadline passed at one of its preemption points (WebAssembly: every fuel slice,
 * src/wasm-exec/fuel-slice.ts; every function invocation, src/txn/txn-state.ts) throws TxnWallClockExceeded, which is no outcome of the transaction but a
 * failure of the environment, so its whole batch is voided (retryably, with no position), as when an
 * execution worker is terminated by its watchdog (src/txn/worker-pool.ts).
 */

/**
 * The deadline (performance.now() milliseconds) of the transaction this thread executes (Infinity: none),
 * and the limit it was set from (for the error's text).
 */
export const executionDeadline = { atMs: Number.POSITIVE_INFINITY, limitMs: 0 }

/** A transaction ran longer than its thread allows: the batch is voided, not the transaction rolled back. */
export class TxnWallClockExceeded extends Error {
  constructor(readonly fn: string, readonly limitMs: number) {
    super(`function ${fn} was stopped: its transaction ran longer than ${limitMs} ms of wall-clock time (TXN_WALL_MS_MAX)`)
    this.name = 'TxnWallClockExceeded'
  }
}

/**
 * Throws TxnWallClockExceeded when the thread's transaction has run past its deadline: at every fuel
 * slice, and at every function invocation, since a chain of nested calls that each spend little fuel
 * (but instantiate a module, and zero its memory) may never reach a slice. No clock is read when no
 * deadline is set (an execution worker, a replay).
 */
export function checkDeadline(fn: string): void {
  if (executionDeadline.atMs !== Number.POSITIVE_INFINITY && performance.now() > executionDeadline.atMs) {
    throw new TxnWallClockExceeded(fn, executionDeadline.limitMs)
  }
}

/** Runs `body` as one transaction with a deadline `limitMs` from now (none when limitMs is null). */
export function withDeadline<T>(limitMs: number | null, body: () => T): T {
  if (limitMs === null) return body()
  executionDeadline.atMs = performance.now() + limitMs
  executionDeadline.limitMs = limitMs
  try {
    return body()
  } finally {
    executionDeadline.atMs = Number.POSITIVE_INFINITY
  }
}
