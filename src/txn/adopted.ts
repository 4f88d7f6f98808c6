/**
 * A follower's shortcut: instead of executing a released batch again, it adopts the final executions
 * the writer sent with the release (src/log/jetstream-log.ts). Execution is deterministic, so they are
 * what its own execution would give; it takes them only when they are recognisably that batch's (one
 * per transaction, the same ids in order), and executes the batch itself otherwise.
 */
import { executionsFromBytes } from './execution-codec.js'
import type { Execution, SequencedTxn } from './types.js'

/** The executions in `bytes` if they are `txns`' (else null: the batch is executed here). */
export function adoptedExecutions(txns: readonly SequencedTxn[], bytes: Uint8Array, unchecked = false): Execution[] | null {
  let execs: Execution[]
  try {
    execs = executionsFromBytes(bytes)
  } catch {
    return null
  }
  if (unchecked) return execs
  if (execs.length !== txns.length) return null
  for (let i = 0; i < execs.length; i++) {
    const e = execs[i] as Execution
    if (e.id !== (txns[i] as SequencedTxn).id || e.lockMiss !== null) return null
  }
  return execs
}
