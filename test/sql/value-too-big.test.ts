// A statement that builds a value past SQLite's bound on one value (SQLITE_MAX_LENGTH) fails as
// PAYLOAD_TOO_LARGE naming that bound, as every size limit does, in each place SQL is evaluated: a query,
// an UPDATE's SET over one row, and a query inside BEGIN … COMMIT. It was CONSTRAINT "query failed:
// string or blob too big". Nothing is written, and the database goes on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { SQLITE_VALUE_BYTES_MAX } from '../../src/storage/query-failure.js'
import { rejection } from '../support/rejection.js'

// 1,000 characters, each replaced by 1,000, then each of those by 1,001: 1,001,000,000 bytes, just past
// the bound (about a second of copying, not a minute).
const A = (n: number): string => `'${'a'.repeat(n)}'`
const BIG = `replace(replace(${A(1000)}, 'a', ${A(1000)}), 'a', ${A(1001)})`

async function withTable(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x')")
    await run(db)
  } finally {
    await db.close()
  }
}

function assertTooBig(err: { code: string; message: string }, what: string): void {
  assert.is(err.code, 'PAYLOAD_TOO_LARGE', err.message)
  assert.ok(err.message.startsWith(`${what} failed: it built a text or blob value longer than ${SQLITE_VALUE_BYTES_MAX} bytes`), err.message)
  assert.match(err.message, /SQLITE_MAX_LENGTH/)
}

test('a SELECT building a value past the bound: PAYLOAD_TOO_LARGE, and the next query is answered', () => withTable(async (db) => {
  assertTooBig(await rejection(db.query(`SELECT length(${BIG}) FROM t`)), 'query')
  assert.equal((await db.query('SELECT k, v FROM t')).rows, [[1, 'x']])
}))

test("an UPDATE by key whose SET builds it: PAYLOAD_TOO_LARGE, the row unchanged", () => withTable(async (db) => {
  assertTooBig(await rejection(db.sql(`UPDATE t SET v = ${BIG} WHERE k = 1`)), 'expression')
  assert.equal((await db.query('SELECT v FROM t WHERE k = 1')).rows, [['x']])
}))

test('a query inside BEGIN … COMMIT: the whole transaction fails alike, its insert not kept', () => withTable(async (db) => {
  assertTooBig(await rejection(db.sql(`BEGIN; INSERT INTO t VALUES (2, 'y'); SELECT length(${BIG}) FROM t; COMMIT`)), 'query')
  assert.equal((await db.query('SELECT COUNT(*) FROM t')).rows, [[1]])
}))

test('other refusals of SQLite stay CONSTRAINT with its words', () => withTable(async (db) => {
  const err = await rejection(db.query('SELECT abs(-9223372036854775807 - 1) FROM t'))
  assert.equal([err.code, err.message], ['CONSTRAINT', 'query failed: integer overflow'])
}))

test.run()
