import type { RowKey } from '../../schema/keys.js'
import type { Execution, SequencedTxn } from '../types.js'
import { switchingOnContention } from './contention.js'
import { deterministicFallback } from './fallback.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/**
 * Aria-style: every transaction runs on the batch snapshot in parallel; a transaction keeps that
 * execution unless a lower id reserved (wrote) a row it read or wrote — the write-write and
 * read-after-write rules. The conflicting ones run again in the deterministic fallback, in id order,
 * so no transaction is ever aborted because of a conflict. A batch is walked serially instead while
 * the batches before it were contended, or once a sample of its phase 1 predicts that it is
 * (contention.ts).
 */
export const aria: Protocol = {
  name: 'aria',
  runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
    return switchingOnContention('aria', txns, exec, true, (phase1) => ariaFallback(txns, phase1, exec))
  },
}

/** Aria after its phase 1: the executions that conflict under its rules go to the fallback. */
export function ariaFallback(txns: readonly SequencedTxn[], phase1: readonly Execution[], exec: BatchExecutor): Promise<BatchRun> {
  const reserved = new Set<RowKey>()
  const conflicted = phase1.map((e) => {
    const hit = e.stale === true || e.accessed.some((rk) => reserved.has(rk))
    for (const w of e.writes) reserved.add(w.rowKey)
    return hit
  })
  return deterministicFallback(txns, phase1.map((e) => e.accessed), phase1, conflicted, exec)
}
