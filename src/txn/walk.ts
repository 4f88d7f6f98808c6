import type { RowKey } from '../schema/keys.js'
import type { Row } from '../values.js'
import type { TableDef } from '../schema/catalog.js'
import type { BaseReader } from '../schema/rows.js'
import type { Execution, SequencedTxn } from './types.js'

/**
 * A fallback walk over one conflict component: its transactions in id order, each either keeping
 * its phase-1 execution (when nothing it touched was written by an earlier one in the walk) or
 * executing again on the state the earlier ones left. The result equals running the component one
 * transaction at a time in id order.
 */
export interface WalkTask {
  readonly txns: readonly SequencedTxn[]
  /** Phase-1 executions on the batch snapshot, one per txn, or null to always execute. */
  readonly priors: readonly (Execution | null)[]
  /** The rows this component may touch; null for no restriction (the serial protocol's single walk). */
  readonly keys: readonly RowKey[] | null
  /** Which parts of a prior's footprint invalidate it; absent: all of them (Aria's rule). */
  readonly checks?: PriorChecks
  /**
   * The first `fixed` priors are final already (an earlier round of the same walk got that far before a
   * lock miss): they are applied as they are, never validated or executed again. Absent: 0.
   */
  readonly fixed?: number
}

/**
 * What invalidates a prior when an earlier transaction of the walk wrote a row: its reads, its writes,
 * and having run on a lagging snapshot. Every protocol checks all three; the harness's mutants
 * (src/testing/mutants.ts) turn one off to show that the properties notice.
 */
export interface PriorChecks {
  readonly reads: boolean
  readonly writes: boolean
  readonly stale: boolean
}

export const ALL_PRIOR_CHECKS: PriorChecks = { reads: true, writes: true, stale: true }

export interface WalkResult {
  /** Final executions, in id order; shorter than the task when a lock miss stopped the walk. */
  readonly executions: readonly Execution[]
  /** The first execution that touched a row outside the component, which stopped the walk. */
  readonly lockMiss: { readonly id: number; readonly rowKey: RowKey } | null
  /** How many transactions executed again (not counting a lock-missed one). */
  readonly reexecuted: number
}

/** Executes one transaction on a base, restricted to `allowed` rows. */
export type ExecuteFn = (base: BaseReader, allowed: ReadonlySet<RowKey> | null, txn: SequencedTxn) => Execution

/**
 * Aria's rule in id order: no row the execution read or wrote was written by an earlier transaction
 * (with `checks`, only the rows it read, or only those it wrote).
 */
export function priorStillValid(prior: Execution, writtenEarlier: ReadonlyMap<RowKey, unknown>, checks: PriorChecks = ALL_PRIOR_CHECKS): boolean {
  if (checks.reads && checks.writes) {
    for (const rk of prior.accessed) if (writtenEarlier.has(rk)) return false
    return true
  }
  const own = new Set(prior.writes.map((w) => w.rowKey))
  for (const rk of prior.accessed) if (writtenEarlier.has(rk) && (own.has(rk) ? checks.writes : checks.reads)) return false
  return true
}

const DELETED = Symbol('deleted')

export function walk(task: WalkTask, snapshot: BaseReader, execute: ExecuteFn): WalkResult {
  const checks = task.checks ?? ALL_PRIOR_CHECKS
  // The last image each row got in this walk; a deleted row maps to DELETED, so that a read is one lookup.
  const written = new Map<RowKey, Row | typeof DELETED>()
  const base: BaseReader = {
    read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
      const w = written.get(rk)
      if (w === undefined) return snapshot.read(table, key, rk)
      return w === DELETED ? undefined : w
    },
  }
  const allowed = task.keys === null ? null : new Set(task.keys)
  const executions: Execution[] = []
  let reexecuted = 0
  const fixed = task.fixed ?? 0
  for (let i = 0; i < task.txns.length; i++) {
    const txn = task.txns[i] as SequencedTxn
    const prior = task.priors[i] ?? null
    let exec: Execution
    if (i < fixed && prior !== null) {
      exec = prior
    } else if (prior !== null && prior.lockMiss === null && (prior.stale !== true || !checks.stale) && priorStillValid(prior, written, checks)) {
      exec = prior
    } else {
      exec = execute(base, allowed, txn)
      if (exec.lockMiss !== null) return { executions, lockMiss: { id: txn.id, rowKey: exec.lockMiss }, reexecuted }
      reexecuted++
    }
    for (const w of exec.writes) written.set(w.rowKey, w.row ?? DELETED)
    executions.push(exec)
  }
  return { executions, lockMiss: null, reexecuted }
}
