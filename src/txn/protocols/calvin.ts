import type { SequencedTxn } from '../types.js'
import { deterministicFallback } from './fallback.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/**
 * Calvin-style deterministic locking only: a reconnaissance run on the snapshot finds each
 * transaction's rows (as Calvin's OLLP does), then every transaction executes under the id-order
 * schedule of its conflict component. Nothing from the reconnaissance is kept.
 */
export const calvin: Protocol = {
  name: 'calvin',
  async runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
    const recon = await exec.runOnSnapshot(txns)
    return deterministicFallback(txns, recon.map((e) => e.accessed), txns.map(() => null), txns.map(() => true), exec)
  },
}
