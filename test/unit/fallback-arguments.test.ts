// deterministicFallback is what a research protocol calls (docs/research.md, "Plugging in a protocol").
// Arguments that cannot make the batch run failed late and in the engine's words: a null prior in a
// component with nothing to walk ended as "acheron invariant violated: transaction 11 has a final
// execution" (an engine bug, by its words), and priors shorter than the batch were returned as they
// were, failing the batch later. Each is now refused at the call, saying which argument and transaction.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { deterministicFallback } from '../../src/txn/protocols/fallback.js'
import type { BatchExecutor } from '../../src/txn/protocols/protocol.js'
import type { Execution, SequencedTxn } from '../../src/txn/types.js'
import type { WalkTask } from '../../src/txn/walk.js'

const txns = [10, 11].map((id) => ({ id, input: { kind: 'get', table: 'kv', key: id } }) as unknown as SequencedTxn)
const execution = (id: number, accessed: string): Execution => ({ id, accessed: [accessed], writes: [], result: { value: id, rowsAffected: 0 }, failure: null, lockMiss: null })
const walked: number[][] = []
const exec: BatchExecutor = {
  runOnSnapshot: () => Promise.reject(new Error('not used')),
  runWalks: async (tasks: readonly WalkTask[]) => tasks.map((t) => {
    walked.push(t.txns.map((x) => x.id))
    return { executions: t.txns.map((x) => execution(x.id, `kv\0${x.id}`)), lockMiss: null, reexecuted: t.txns.length }
  }),
}
const footprints = [['kv\0a'], ['kv\0b']]

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
  } catch (err) {
    return (err as Error).message
  }
  return 'no refusal'
}

test('a null prior in a component with nothing to walk is refused naming the transaction', async () => {
  const said = await refusal(() => deterministicFallback(txns, footprints, [null, null], [true, false], exec))
  assert.is(said, 'deterministicFallback: transaction id 11 (index 1) has a null prior, and no transaction of its conflict component is mustWalk: nothing would run it (give its execution as the prior, or mustWalk it)')
})

test('footprints, priors or mustWalk of another length than txns are refused, each named', async () => {
  const said = await refusal(() => deterministicFallback(txns, footprints, [execution(10, 'kv\0a')], [false], exec))
  assert.is(said, 'deterministicFallback: priors has 1, mustWalk has 1 for 2 transactions: each takes one entry per transaction, in the order of txns')
})

test('arguments that fit still walk what must be walked and keep the rest', async () => {
  walked.length = 0
  const run = await deterministicFallback(txns, footprints, [null, execution(11, 'kv\0b')], [true, false], exec)
  assert.equal(walked, [[10]])
  assert.equal(run.executions.map((e) => e.id), [10, 11])
})

test.run()
