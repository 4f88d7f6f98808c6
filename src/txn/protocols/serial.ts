import type { SequencedTxn } from '../types.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'
import { invariant } from '../../errors.js'

/** One transaction at a time in id order on one thread: the baseline every other protocol must equal. */
export const serial: Protocol = {
  name: 'serial',
  async runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
    const [res] = await exec.runWalks([{ txns, priors: txns.map(() => null), keys: null }])
    invariant(res !== undefined && res.lockMiss === null, 'an unrestricted walk never misses')
    return { executions: res.executions, fallbackTxns: 0, walkRounds: 1, lockMisses: 0 }
  },
}
