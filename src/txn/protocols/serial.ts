import type { SequencedTxn } from '../types.js'
import { walkSerially } from './contention.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/** One transaction at a time in id order on one thread: the baseline every other protocol must equal. */
export const serial: Protocol = {
  name: 'serial',
  runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
    return walkSerially(txns, exec)
  },
}
