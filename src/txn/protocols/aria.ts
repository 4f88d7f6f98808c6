import type { RowKey } from '../../schema/keys.js'
import type { SequencedTxn } from '../types.js'
import { deterministicFallback } from './fallback.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/**
 * Aria-style: every transaction runs on the batch snapshot in parallel; a transaction keeps that
 * execution unless a lower id reserved (wrote) a row it read or wrote — the write-write and
 * read-after-write rules. The conflicting ones run again in the deterministic fallback, in id order,
 * so no transaction is ever aborted because of a conflict.
 */
export const aria: Protocol = {
  name: 'aria',
  async runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
    const phase1 = await exec.runOnSnapshot(txns)
    const reserved = new Set<RowKey>()
    const conflicted = phase1.map((e) => {
      const hit = e.stale === true || e.accessed.some((rk) => reserved.has(rk))
      for (const w of e.writes) reserved.add(w.rowKey)
      return hit
    })
    return deterministicFallback(txns, phase1.map((e) => e.accessed), phase1, conflicted, exec)
  },
}
