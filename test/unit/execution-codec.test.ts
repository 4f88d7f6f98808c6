import fc from 'fast-check'
import { test } from 'uvu'
import { decodeTxnAt, encodeBatch } from '../../src/txn/batch-codec.js'
import * as assert from 'uvu/assert'
import {
  decodeExecutions, decodeWalkResult, decodeWalkTask, encodeExecutions, encodeWalkResult, encodeWalkTask,
} from '../../src/txn/execution-codec.js'
import type { Execution, TxnResult } from '../../src/txn/types.js'
import type { SqlValue } from '../../src/values.js'

/** Plain objects, as the engine makes them (uvu's deep equality compares prototypes). */
const PLAIN = { noNullPrototype: true } as const

const valueArb: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.constant(null), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.double({ noNaN: true }),
  fc.string(), fc.uint8Array({ maxLength: 8 }),
)
const rowKeyArb = fc.tuple(fc.constantFrom('a', 'b'), fc.string({ maxLength: 6 })).map(([t, k]) => `${t}\u0000${k}`)
const resultArb: fc.Arbitrary<TxnResult | null> = fc.oneof(
  fc.constant(null),
  fc.record({ value: valueArb, rowsAffected: fc.nat(5) }, PLAIN),
  fc.record({ value: valueArb, rowsAffected: fc.nat(5), logs: fc.array(fc.string(), { maxLength: 3 }) }, PLAIN),
  fc.record({ rowsAffected: fc.nat(5) }, PLAIN),
  fc.record({ rows: fc.array(fc.array(valueArb, { maxLength: 3 }), { maxLength: 2 }), rowsAffected: fc.constant(0) }, PLAIN),
  fc.record({ rows: fc.array(fc.array(valueArb, { maxLength: 2 }), { maxLength: 2 }), columns: fc.array(fc.string(), { maxLength: 2 }), rowsAffected: fc.constant(0) }, PLAIN),
  fc.record({ steps: fc.array(fc.record({ value: valueArb, rowsAffected: fc.nat(3) }, PLAIN), { maxLength: 3 }), rowsAffected: fc.nat(5) }, PLAIN),
)
const executionArb: fc.Arbitrary<Execution> = fc.record({
  id: fc.nat(),
  accessed: fc.array(rowKeyArb, { maxLength: 4 }),
  writes: fc.array(fc.record({ rowKey: rowKeyArb, table: fc.constantFrom('a', 'b'), key: valueArb, row: fc.option(fc.array(valueArb, { maxLength: 3 }), { nil: null }) }, PLAIN), { maxLength: 3 }),
  result: resultArb,
  failure: fc.option(fc.oneof(
    fc.record({ code: fc.constant('TXN_ABORTED' as const), message: fc.string() }, PLAIN),
    fc.record({ code: fc.constant('DUPLICATE_KEY' as const), message: fc.string(), step: fc.nat(4) }, PLAIN),
    fc.record({ code: fc.constant('TXN_ABORTED' as const), message: fc.string(), logs: fc.array(fc.string(), { maxLength: 3 }) }, PLAIN),
  ), { nil: null }),
  lockMiss: fc.option(rowKeyArb, { nil: null }),
}, PLAIN).chain((e) => fc.boolean().map((stale) => (stale ? { ...e, stale: true as const } : e)))

/** Writes as plain objects: the coordinator keeps them in record form, decoding fields on demand. */
function plain(execs: readonly Execution[]): Execution[] {
  return execs.map((e) => ({ ...e, writes: e.writes.map((w) => ({ rowKey: w.rowKey, table: w.table, key: w.key, row: w.row })) }))
}

test('executions survive the wire encoding unchanged', () => {
  fc.assert(fc.property(fc.array(executionArb, { maxLength: 12 }), (execs) => {
    const back = decodeExecutions(structuredClone(encodeExecutions(execs)))
    assert.equal(plain(back), execs)
    // Encoded again (a walk's priors go back to a worker), the records are copied as they are.
    assert.equal(plain(decodeExecutions(structuredClone(encodeExecutions(back)))), execs)
  }), { numRuns: 300 })
})

test('walk tasks and walk results survive the wire encoding unchanged', () => {
  fc.assert(fc.property(fc.array(fc.option(executionArb, { nil: null }), { maxLength: 6 }), fc.option(fc.record({ id: fc.nat(), rowKey: rowKeyArb }, PLAIN), { nil: null }), (priors, lockMiss) => {
    const txns = priors.map((_, i) => ({ id: i, input: { kind: 'get' as const, table: 'a', key: BigInt(i) }, timeMs: 1_700_000_000_123 }))
    const task = { txns, priors, keys: ['a\u00001'] }
    // As objects, and as indexes into a batch body that holds them.
    const same = (t: { txns: unknown; priors: readonly (Execution | null)[]; keys: unknown }) => ({ ...t, priors: t.priors.map((p) => (p === null ? null : (plain([p])[0] as Execution))) })
    assert.equal(same(decodeWalkTask(structuredClone(encodeWalkTask(task, null)), () => { throw new Error('no body') })), task)
    const body = encodeBatch(0, 1_700_000_000_123, txns.map((t) => t.input), true)
    const viaBody = structuredClone(encodeWalkTask(task, (id) => id))
    assert.is(viaBody.txns, null, 'sent by index')
    assert.equal(same(decodeWalkTask(viaBody, (i) => ({ id: i, input: decodeTxnAt(body.body, body.offsets[i] as number) as typeof txns[number]['input'], timeMs: body.timeMs }))), task)
    const executions = priors.filter((p): p is Execution => p !== null)
    const result = { executions, lockMiss, reexecuted: executions.length }
    const back = decodeWalkResult(structuredClone(encodeWalkResult(result)))
    assert.equal({ ...back, executions: plain(back.executions) }, result)
  }), { numRuns: 200 })
})

test.run()
