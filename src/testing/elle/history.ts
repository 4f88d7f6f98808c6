/**
 * The list-append history the checker reads (the Elle workload of Kingsbury & Alvaro, VLDB 2020): each
 * transaction appends unique values to lists and reads whole lists. Whoever records a history against a
 * real database fills these types in; nothing here knows the engine, and no commit order is taken from
 * it: the checker infers every dependency from what the clients observed.
 */

export type ListAppendOp =
  /** Append a value, unique per key, to the list at `key`. */
  | { f: 'append'; key: string; value: number }
  /** The whole list at `key` as read (`null` and `[]` are empty); `null` for a read whose outcome is unknown. */
  | { f: 'read'; key: string; value: readonly number[] | null }

export interface HistoryTxn {
  /** Unique per history. */
  id: number
  /** The client or session that issued it; a process issues one transaction at a time. */
  process: number
  /** ok: committed; fail: definitely did not commit; info: unknown outcome. */
  type: 'ok' | 'fail' | 'info'
  /** Real-time start (monotonic, any unit); real-time edges come from invoke and complete. */
  invoke: number
  /** Real-time completion; Infinity (or any number past the history) for 'info'. */
  complete: number
  /** In program order. Reads of 'fail' and 'info' transactions are ignored: they may be unknown. */
  ops: readonly ListAppendOp[]
}

export type AnomalyKind =
  | 'G0'
  | 'G1a'
  | 'G1b'
  | 'G1c'
  | 'G-single'
  | 'G2'
  | 'lost-update'
  | 'duplicate-append'
  | 'incompatible-order'
  | 'internal'
  | 'G0-realtime'
  | 'G1c-realtime'
  | 'G-single-realtime'
  | 'G2-realtime'

export interface Anomaly {
  kind: AnomalyKind
  /** Ids of the transactions involved; for a cycle, in cycle order (each precedes the next, the last the first). */
  txns: number[]
  explanation: string
}

export interface CheckResult {
  valid: boolean
  anomalies: Anomaly[]
  stats: { txns: number; edges: number; ms?: number }
}

export interface CheckOptions {
  /** Add real-time edges (a completed before b was invoked), checking strict serializability. Default true. */
  realtime?: boolean
}

/** A history the checker cannot read at all: a bug in whatever recorded it, not in the database. */
export class MalformedHistoryError extends Error {
  override readonly name = 'MalformedHistoryError'
}

/** Rejects histories that break the format (not the database's guarantees), so no anomaly is inferred from garbage. */
export function assertWellFormed(history: readonly HistoryTxn[]): void {
  const ids = new Set<number>()
  for (const t of history) {
    if (t === null || typeof t !== 'object') throw new MalformedHistoryError('elle: a history entry is not an object')
    if (!Number.isFinite(t.id)) throw new MalformedHistoryError(`elle: txn ${String(t.id)}: id must be a finite number`)
    if (ids.has(t.id)) throw new MalformedHistoryError(`elle: txn ${String(t.id)}: duplicate id`)
    ids.add(t.id)
    if (t.type !== 'ok' && t.type !== 'fail' && t.type !== 'info') throw new MalformedHistoryError(`elle: txn ${String(t.id)}: type must be ok, fail or info`)
    if (!Number.isFinite(t.invoke)) throw new MalformedHistoryError(`elle: txn ${String(t.id)}: invoke must be a finite number`)
    if (typeof t.complete !== 'number' || Number.isNaN(t.complete) || t.complete < t.invoke) {
      throw new MalformedHistoryError(`elle: txn ${String(t.id)}: complete must be a number >= invoke (Infinity allowed)`)
    }
    if (!Array.isArray(t.ops)) throw new MalformedHistoryError(`elle: txn ${String(t.id)}: ops must be an array`)
    for (const op of t.ops) {
      if (op === null || typeof op !== 'object' || typeof op.key !== 'string') throw new MalformedHistoryError(`elle: txn ${String(t.id)}: an op needs a string key`)
      if (op.f === 'append') {
        if (!Number.isFinite(op.value)) throw new MalformedHistoryError(`elle: txn ${String(t.id)}: append to ${op.key} needs a finite number`)
      } else if (op.f === 'read') {
        if (op.value !== null && !(Array.isArray(op.value) && allFinite(op.value))) {
          throw new MalformedHistoryError(`elle: txn ${String(t.id)}: read of ${op.key} must be null or an array of numbers`)
        }
      } else {
        throw new MalformedHistoryError(`elle: txn ${String(t.id)}: op f must be append or read`)
      }
    }
  }
}

function allFinite(list: readonly unknown[]): boolean {
  for (const v of list) if (!Number.isFinite(v)) return false
  return true
}
