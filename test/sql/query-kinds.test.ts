// What query() runs: exactly one statement with a result set. EXPLAIN CALL (and EXPLAIN COMMIT) have one
// and query() has always run them; the docs and the refusal message must say so too.
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'

const BANK = new Uint8Array(readFileSync(new URL('../../guest/bank.wasm', import.meta.url)))

test('query() runs EXPLAIN CALL, and its refusal of anything else names EXPLAIN among what it runs', async () => {
  const db = await open({ memory: true, partitions: 2 })
  try {
    await db.sql("CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0); INSERT INTO account VALUES ('a', 5)")
    await db.createFunction('account.deposit', BANK, { export: 'deposit' })
    const q = await db.query("EXPLAIN CALL account.deposit('a', 1)")
    assert.equal(q.columns, ['step', 'depth', 'event', 'function', 'table', 'key', 'detail', 'fuel'])
    assert.ok(q.rows.length > 0)
    try {
      await db.query("INSERT INTO account VALUES ('b', 1)")
      assert.unreachable('INSERT is not a query')
    } catch (e) {
      assert.instance(e, AcheronError)
      assert.is((e as AcheronError).code, 'SYNTAX_ERROR')
      assert.match((e as AcheronError).message, /^query\(\) runs exactly one SELECT, SHOW, DESCRIBE, CALL, EXPLAIN, or INSERT, UPDATE or DELETE … RETURNING statement, got INSERT/)
    }
  } finally {
    await db.close()
  }
})

test('docs/sql.md lists EXPLAIN among what db.query runs', () => {
  const doc = readFileSync(new URL('../../../docs/sql.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')
  assert.match(doc, 'db.query(sql, params)` runs exactly one SELECT, SHOW, DESCRIBE, CALL or EXPLAIN')
  assert.match(doc, 'or an INSERT, UPDATE or DELETE with `RETURNING`')
})

test.run()
