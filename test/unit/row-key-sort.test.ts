import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { sortByRowKey, sortRowKeys } from '../../src/schema/keys.js'

// Row keys are `table\0key`; the strings include surrogates and NULs so that code-unit order is what is tested.
const rowKey = fc.tuple(fc.constantFrom('a', 'b', 'ab'), fc.oneof(fc.string({ unit: 'binary' }), fc.bigInt().map(String)))
  .map(([t, k]) => `${t}\u0000${k}`)

test('sortRowKeys orders as Array.prototype.sort does, short and long arrays', () => {
  fc.assert(fc.property(fc.array(rowKey, { maxLength: 40 }), (keys) => {
    const want = [...keys].sort()
    const got = [...keys]
    assert.is(sortRowKeys(got), got, 'in place')
    assert.equal(got, want)
  }), { numRuns: 2000 })
})

test('sortByRowKey orders records by their row key and keeps each record', () => {
  fc.assert(fc.property(fc.uniqueArray(rowKey, { maxLength: 40 }), (keys) => {
    const records = keys.map((rowKey, i) => ({ rowKey, i }))
    const got = sortByRowKey([...records])
    assert.equal(got.map((r) => r.rowKey), [...keys].sort())
    for (const r of got) assert.is(records[r.i], r)
  }), { numRuns: 2000 })
})

test.run()
