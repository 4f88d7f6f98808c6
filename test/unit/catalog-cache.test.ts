// The catalog's name lookups run on names a guest chooses (col(), call_begin): a long name is refused
// before any lookup or lower-casing, misses are never cached, and the caches of hits are bounded.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { Catalog, LOOKUP_CACHE_ENTRIES_MAX, type TableDef } from '../../src/schema/catalog.js'

const table: TableDef = {
  name: 'Account', keyIndex: 0, partitions: 1,
  columns: [{ name: 'id', type: 'TEXT', notNull: true, default: null }, { name: 'Balance', type: 'INTEGER', notNull: false, default: 0n }],
}
const catalog = (): Catalog => new Catalog({
  version: 1, tables: [table],
  functions: [{ name: 'Account.deposit', table: 'Account', exportName: 'deposit', runtime: 'wasm', moduleHash: 'h', fuel: 1, memoryBytes: 65536 }],
})

function code(fn: () => unknown): AcheronError {
  try { fn() } catch (e) { if (e instanceof AcheronError) return e; throw e }
  throw new Error('expected an AcheronError')
}

test('hits are found in any case and cached; misses are not cached', () => {
  const c = catalog()
  assert.is(c.columnIndex(table, 'balance'), 1)
  assert.is(c.columnIndex(table, 'BALANCE'), 1)
  assert.is(c.table('account'), table)
  assert.is(c.function('account.DEPOSIT').exportName, 'deposit')
  const cached = c.cachedLookups()
  assert.is(cached, 4)
  for (let i = 0; i < 1000; i++) {
    assert.is(c.columnIndex(table, `nope${i}`), -1)
    assert.is(code(() => c.table(`nope${i}`)).code, 'UNKNOWN_TABLE')
    assert.is(code(() => c.function(`account.nope${i}`)).code, 'UNKNOWN_FUNCTION')
  }
  assert.is(c.cachedLookups(), cached, 'no miss was cached')
})

test('a name longer than any identifier is refused before lookup, and the error does not echo all of it', () => {
  const c = catalog()
  const long = 'a'.repeat(16 * 1024 * 1024)
  assert.is(c.columnIndex(table, long), -1)
  for (const e of [code(() => c.table(long)), code(() => c.function(long)), code(() => c.function(`account.${long}`))]) {
    assert.ok(e.message.length < 300, `message of ${e.message.length} characters`)
    assert.match(e.message, /16777216 characters|longer than/)
  }
  assert.is(c.cachedLookups(), 0)
})

test('the caches of hits are bounded (a 64-character name has 2^64 spellings)', () => {
  const c = catalog()
  let spelling = 'balance'
  for (let i = 0; i < 3 * LOOKUP_CACHE_ENTRIES_MAX; i++) {
    spelling = [...'balance'].map((ch, j) => ((i >> j) & 1 ? ch.toUpperCase() : ch)).join('') + ''.padEnd(0)
    assert.is(c.columnIndex(table, spelling), 1)
    assert.is(c.function(`account.${[...'deposit'].map((ch, j) => ((i >> j) & 1 ? ch.toUpperCase() : ch)).join('')}`).name, 'Account.deposit')
  }
  assert.ok(c.cachedLookups() <= 3 * LOOKUP_CACHE_ENTRIES_MAX, `${c.cachedLookups()} cached`)
})

test.run()
