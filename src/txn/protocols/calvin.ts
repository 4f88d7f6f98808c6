import type { Execution, SequencedTxn } from '../types.js'
import { switchingOnContention } from './contention.js'
import { deterministicFallback } from './fallback.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/**
 * Calvin-style deterministic locking only: a reconnaissance run on the snapshot finds each
 * transaction's rows (as Calvin's OLLP does), then every transaction executes under the id-order
 * schedule of its conflict component. Nothing from the reconnaissance is kept. A batch is walked
 * serially instead (its components would be one) while the batches before it were contended, or once
 * a sample of its reconnaissance predicts that it is (contention.ts).
 */
export const calvin: Protocol = {
  name: 'calvin',
  runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
    return switchingOnContention('calvin', txns, exec, false, (recon) => calvinFallback(txns, recon, exec))
  },
}

/** Calvin after its reconnaissance: every transaction walks in its component. */
export function calvinFallback(txns: readonly SequencedTxn[], recon: readonly Execution[], exec: BatchExecutor): Promise<BatchRun> {
  return deterministicFallback(txns, recon.map((e) => e.accessed), txns.map(() => null), txns.map(() => true), exec)
}
