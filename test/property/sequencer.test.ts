// The sequencer under random interleavings of arrivals, flushes, time and takes: batches partition the
// arrivals in id order, respect the size bound, keep exclusive transactions alone, honour every flush cut,
// and with a manual (Infinity) interval never cut anywhere else.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Sequencer, type Sequenced } from '../../src/txn/sequencer.js'
import { isExclusive, type TxnInput } from '../../src/txn/types.js'

const call: TxnInput = { kind: 'call', fn: 'a.f', key: 1n, args: [] }
const ddl: TxnInput = { kind: 'drop-table', name: 'a', ifExists: true }
const select: TxnInput = { kind: 'select', table: 'a', sql: 'SELECT 1', values: [] }

type Op =
  | { op: 'submit'; input: TxnInput }
  | { op: 'flush' }
  | { op: 'tick'; ms: number }
  | { op: 'take'; idle: boolean }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(call, call, call, ddl, select).map((input) => ({ op: 'submit' as const, input })) },
  { weight: 2, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }).map((ms) => ({ op: 'tick' as const, ms })) },
  { weight: 4, arbitrary: fc.boolean().map((idle) => ({ op: 'take' as const, idle })) },
)

function run(ops: Op[], batchTxnsMax: number, batchIntervalMs: number) {
  const clock = { t: 0 }
  const s = new Sequencer({ batchTxnsMax, batchIntervalMs, pendingTxnsMax: 1_000_000 }, 1, () => clock.t)
  const submitted: { id: number; input: TxnInput }[] = []
  const cutsAfter = new Set<number>()
  const batches: Sequenced[][] = []
  let nextId = 1
  for (const o of ops) {
    if (o.op === 'submit') {
      void s.submit(o.input)
      submitted.push({ id: nextId++, input: o.input })
    } else if (o.op === 'flush') {
      s.flush()
      const last = submitted[submitted.length - 1]
      if (last !== undefined && !batches.flat().some((b) => b.id === last.id)) cutsAfter.add(last.id)
    } else if (o.op === 'tick') clock.t += o.ms
    else {
      const can = s.takeable(o.idle)
      const b = s.takeBatch(o.idle)
      assert.is(b !== null, can, 'takeable() agrees with takeBatch()')
      if (b !== null) batches.push(b)
    }
  }
  s.close('end')
  for (let b = s.takeBatch(); b !== null; b = s.takeBatch()) batches.push(b)
  return { submitted, batches, cutsAfter }
}

test('batches partition the arrivals in order and respect every bound', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(3, Infinity), (ops, max, interval) => {
    const { submitted, batches, cutsAfter } = run(ops, max, interval)
    assert.equal(batches.flat().map((b) => b.id), submitted.map((x) => x.id), 'every transaction once, in id order')
    for (const b of batches) {
      assert.ok(b.length >= 1 && b.length <= max, 'size bound')
      if (b.some((x) => isExclusive(x.input))) assert.is(b.length, 1, 'an exclusive transaction is alone')
      for (const x of b.slice(0, -1)) assert.not.ok(cutsAfter.has(x.id), 'a flush cut ends its batch')
    }
    if (interval === Infinity) {
      // Manual batching: a batch ends only at the size bound, a flush cut, an exclusive transaction, or close.
      batches.forEach((b, i) => {
        const last = b[b.length - 1] as Sequenced
        const next = batches[i + 1]?.[0]
        const ended = b.length === max || cutsAfter.has(last.id) || isExclusive(last.input) || (next !== undefined && isExclusive(next.input)) || i === batches.length - 1
        assert.ok(ended || next === undefined, `batch ${i} ended for no reason`)
      })
    }
  }), { numRuns: 2000 })
})

test.run()
