import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { Sequencer } from '../../src/txn/sequencer.js'
import type { TxnInput } from '../../src/txn/types.js'

const call: TxnInput = { kind: 'call', fn: 'a.f', key: 1n, args: [] }
const ddl: TxnInput = { kind: 'drop-table', name: 'a', ifExists: true }

function seq(limits: Partial<ConstructorParameters<typeof Sequencer>[0]> = {}, clock = { t: 0 }) {
  return new Sequencer({ batchTxnsMax: 3, batchIntervalMs: 5, pendingTxnsMax: 100, ...limits }, 1, () => clock.t)
}

const ids = (b: { id: number }[] | null) => b?.map((s) => s.id) ?? null

test('ids are given in arrival order and continue from the stored next id', () => {
  const s = new Sequencer({ batchTxnsMax: 10, batchIntervalMs: 0, pendingTxnsMax: 10 }, 42, () => 0)
  void s.submit(call)
  void s.submit(call)
  assert.equal(ids(s.takeBatch()), [42, 43])
  assert.is(s.nextTxnId, 44)
})

test('a batch closes at the size bound', () => {
  const s = seq()
  for (let i = 0; i < 7; i++) void s.submit(call)
  assert.equal(ids(s.takeBatch()), [1, 2, 3])
  assert.equal(ids(s.takeBatch()), [4, 5, 6])
  assert.is(s.takeBatch(), null, 'the last one waits for its interval')
})

test('an idle engine does not wait for the interval; a manual (Infinity) interval still does', () => {
  const clock = { t: 0 }
  const s = seq({}, clock)
  void s.submit(call)
  void s.submit(call)
  assert.is(s.takeBatch(), null, 'a busy engine lets the batch fill')
  assert.ok(s.takeable(true))
  assert.equal(ids(s.takeBatch(true)), [1, 2])
  const manual = seq({ batchIntervalMs: Infinity })
  void manual.submit(call)
  assert.not.ok(manual.takeable(true))
  assert.is(manual.takeBatch(true), null)
})

test('a batch closes when its first transaction has waited the interval', () => {
  const clock = { t: 0 }
  const s = seq({}, clock)
  void s.submit(call)
  clock.t = 3
  void s.submit(call)
  assert.is(s.takeBatch(), null)
  assert.is(s.msUntilDue(), 2)
  clock.t = 5
  assert.ok(s.takeable())
  assert.equal(ids(s.takeBatch()), [1, 2])
})

test('DDL is a batch of its own and closes the batch before it', () => {
  const s = seq({ batchTxnsMax: 100, batchIntervalMs: Infinity })
  void s.submit(call)
  void s.submit(ddl)
  void s.submit(call)
  assert.ok(s.takeable())
  assert.equal(ids(s.takeBatch()), [1])
  assert.equal(ids(s.takeBatch()), [2])
  assert.is(s.takeBatch(), null)
})

test('flush cuts exactly after the last submitted transaction', () => {
  const s = seq({ batchTxnsMax: 100, batchIntervalMs: Infinity })
  void s.submit(call)
  void s.submit(call)
  s.flush()
  void s.submit(call)
  s.flush()
  void s.submit(call)
  assert.equal(ids(s.takeBatch()), [1, 2])
  assert.equal(ids(s.takeBatch()), [3])
  assert.is(s.takeBatch(), null)
})

test('beyond pendingTxnsMax a transaction is refused with OVERLOADED, retryable', async () => {
  const s = seq({ pendingTxnsMax: 2 })
  void s.submit(call)
  void s.submit(call)
  const err = await s.submit(call).then(() => null, (e: unknown) => e)
  assert.instance(err, AcheronError)
  assert.is((err as AcheronError).code, 'OVERLOADED')
  assert.is((err as AcheronError).retryable, true)
  s.flush()
  assert.equal(ids(s.takeBatch()), [1, 2])
  void s.submit(call)
  assert.is(s.pending, 1, 'room again once a batch is taken')
})

test('after close new transactions get SHUTTING_DOWN and accepted ones are flushed', async () => {
  const s = seq({ batchTxnsMax: 100, batchIntervalMs: Infinity })
  void s.submit(call)
  s.close('bye')
  const err = await s.submit(call).then(() => null, (e: unknown) => e)
  assert.is((err as AcheronError).code, 'SHUTTING_DOWN')
  assert.equal(ids(s.takeBatch()), [1])
})

test.run()
