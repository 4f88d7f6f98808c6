// A follower adopts the writer's executions of a batch only when they are recognisably that batch's
// (src/txn/adopted.ts); otherwise it executes the batch itself.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { adoptedExecutions } from '../../src/txn/adopted.js'
import { executionsToBytes } from '../../src/txn/execution-codec.js'
import type { Execution, SequencedTxn } from '../../src/txn/types.js'

const txns: SequencedTxn[] = [5, 6, 7].map((id) => ({ id, input: { kind: 'call', fn: 'account.deposit', key: `k${id}`, args: [1n] }, timeMs: 0 }))
const exec = (id: number, over: Partial<Execution> = {}): Execution => ({
  id, accessed: [`account\u0000k${id}`], writes: [{ rowKey: `account\u0000k${id}`, table: 'account', key: `k${id}`, row: [`k${id}`, BigInt(id)] }],
  result: { value: BigInt(id), rowsAffected: 0 }, failure: null, lockMiss: null, ...over,
})

test('the executions of the batch are adopted, results, failures and row images intact', () => {
  const execs = [exec(5), exec(6, { writes: [], result: null, failure: { code: 'TXN_ABORTED', message: 'no' } }), exec(7)]
  const got = adoptedExecutions(txns, executionsToBytes(execs))
  assert.ok(got !== null)
  assert.equal(got.map((e) => e.id), [5, 6, 7])
  assert.equal(got[0]?.result, { value: 5n, rowsAffected: 0 })
  assert.equal(got[1]?.failure, { code: 'TXN_ABORTED', message: 'no' })
  assert.equal(got[2]?.writes.map((w) => [w.rowKey, w.row]), [['account\u0000k7', ['k7', 7n]]])
})

test('executions of another batch, of part of it, or unreadable bytes are not adopted', () => {
  assert.is(adoptedExecutions(txns, executionsToBytes([exec(6), exec(7), exec(8)])), null, 'other ids')
  assert.is(adoptedExecutions(txns, executionsToBytes([exec(5), exec(6)])), null, 'fewer')
  assert.is(adoptedExecutions(txns, executionsToBytes([exec(5), exec(6), exec(7), exec(8)])), null, 'more')
  assert.is(adoptedExecutions(txns, executionsToBytes([exec(5), exec(6, { lockMiss: 'account\u0000x' }), exec(7)])), null, 'not final')
  assert.is(adoptedExecutions(txns, new Uint8Array([1, 2, 3, 4])), null, 'not executions')
  assert.ok(adoptedExecutions(txns, executionsToBytes([exec(6), exec(7), exec(8)]), true) !== null, 'unchecked (the fault) takes them')
})

test.run()
