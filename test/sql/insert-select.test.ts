// INSERT … SELECT (and WITH … INSERT … SELECT): the query's rows, read on the state before the statement,
// meet the rules rows of VALUES meet (defaults, conversions, duplicates, OR REPLACE / OR IGNORE, upsert,
// RETURNING), all or nothing, inside BEGIN … COMMIT too; what is refused and where. (The differential
// property, test/property/sql-differential.test.ts, compares random ones with SQLite's own, and
// test/unit/recovery.test.ts replays one from the log.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { decodeBatch, encodeBatch } from '../../src/txn/batch-codec.js'
import type { TxnInput } from '../../src/txn/types.js'
import { INSERT_SELECT_BYTES_MAX } from '../../src/txn/exclusive-txns.js'
import { rejection } from '../support/rejection.js'

async function withTables(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER DEFAULT 7, s TEXT NOT NULL DEFAULT 'd') PARTITIONS 2;
      INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c');
      CREATE TABLE u (id INTEGER PRIMARY KEY, tk INTEGER, note TEXT) PARTITIONS 3;
      INSERT INTO u VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 3, NULL)`)
    await run(db)
  } finally {
    await db.close()
  }
}

const sorted = (rows: readonly unknown[][]): unknown[][] => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]))

test('the rows of a SELECT are inserted with the defaults of the columns it leaves out, and RETURNING gives them', async () => {
  await withTables(async (db) => {
    const [r] = await db.sql('INSERT INTO t (k, v) SELECT id + 10, tk FROM u RETURNING *')
    assert.equal([r?.rowsAffected, sorted(r?.rows ?? [])], [3, [[11, 1, 'd'], [12, 1, 'd'], [13, 3, 'd']]])
    // From its own table: it reads the rows before the statement, not the ones it inserts.
    const [own] = await db.sql("INSERT INTO t SELECT k + 100, v * 2, s || '!' FROM t WHERE k < 3 OR k > 10")
    assert.is(own?.rowsAffected, 5)
    assert.equal((await db.query('SELECT COUNT(*) FROM t WHERE k > 100')).rows, [[5]])
    // Values are converted to the column's type as VALUES are: a REAL 2.0 into an INTEGER column is 2.
    await db.sql('INSERT INTO t (k, v) SELECT 50, 2.0')
    assert.equal((await db.query('SELECT v, typeof(v) FROM t WHERE k = 50')).rows, [[2, 'integer']])
  })
})

test('duplicates, OR REPLACE, OR IGNORE and ON CONFLICT mean what they mean for VALUES', async () => {
  await withTables(async (db) => {
    const dup = await rejection(db.sql('INSERT INTO t (k) SELECT tk FROM u'))
    assert.equal([dup.code, dup.message], ['DUPLICATE_KEY', 'duplicate key 1 in t'])
    // All or nothing: the rows before the duplicate are not there either.
    assert.equal((await db.query('SELECT COUNT(*) FROM t')).rows, [[3]])
    const [ignored] = await db.sql('INSERT OR IGNORE INTO t (k, v) SELECT id, 0 FROM u')
    assert.is(ignored?.rowsAffected, 0)
    const [replaced] = await db.sql("INSERT OR REPLACE INTO t (k, v, s) SELECT id, -1, COALESCE(note, 'none') FROM u WHERE id > 2 RETURNING k, v, s")
    assert.equal(replaced?.rows, [[3, -1, 'none']])
    const [up] = await db.sql('INSERT INTO t (k, v) SELECT tk, COUNT(*) FROM u GROUP BY tk ON CONFLICT (k) DO UPDATE SET v = v + excluded.v RETURNING k, v')
    assert.equal(sorted(up?.rows ?? []), [[1, 12], [3, 0]])
    const notNull = await rejection(db.sql('INSERT INTO t (k, s) SELECT id + 40, note FROM u'))
    assert.equal([notNull.code, notNull.message], ['CONSTRAINT', 'NOT NULL constraint failed: t.s'])
  })
})

test('WITH before INSERT or before its SELECT; inside BEGIN … COMMIT it sees the transaction\'s own rows', async () => {
  await withTables(async (db) => {
    const [a] = await db.sql('WITH n AS (SELECT 200 AS k UNION ALL SELECT 201) INSERT INTO t (k) SELECT k FROM n RETURNING k, v, s')
    assert.equal(sorted(a?.rows ?? []), [[200, 7, 'd'], [201, 7, 'd']])
    const [b] = await db.sql("INSERT INTO t (k, s) WITH RECURSIVE c(x) AS (SELECT 300 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x, 'r' FROM c", [302])
    assert.is(b?.rowsAffected, 3)
    const txn = await db.sql("BEGIN; INSERT INTO u VALUES (9, 9, 'z'); INSERT INTO t (k, s) SELECT id + 500, note FROM u WHERE id = 9; SELECT k, s FROM t WHERE k > 500; COMMIT")
    assert.equal([txn[2]?.rowsAffected, txn[3]?.rows], [1, [[509, 'z']]])
    // A failure later in the transaction takes the inserted rows with it.
    await rejection(db.sql('BEGIN; INSERT INTO t (k) SELECT id + 600 FROM u; INSERT INTO t (k) VALUES (1); COMMIT'))
    assert.equal((await db.query('SELECT COUNT(*) FROM t WHERE k > 600')).rows, [[0]])
  })
})

test('what is refused, before anything runs, and where', async () => {
  await withTables(async (db) => {
    const width = await rejection(db.sql('INSERT INTO t SELECT k FROM t'))
    assert.equal([width.code, width.message, width.column], ['SYNTAX_ERROR', 'the SELECT gives 1 column but table t has 3 (k, v, s); name the columns to give fewer', 15])
    const named = await rejection(db.sql('INSERT INTO t (k, v) SELECT id FROM u'))
    assert.equal([named.code, named.message], ['SYNTAX_ERROR', 'the SELECT gives 1 column but 2 are named'])
    const values = await rejection(db.sql("WITH x AS (SELECT 1) INSERT INTO t VALUES (5, 5, 'e')"))
    assert.equal([values.code, values.column], ['SYNTAX_ERROR', 1])
    assert.match(values.message, /^the WITH queries of INSERT are read by its SELECT, and it has VALUES/)
    const twice = await rejection(db.sql('WITH x AS (SELECT 1 AS k) INSERT INTO t (k) WITH y AS (SELECT 2 AS k) SELECT k FROM y'))
    assert.equal([twice.code, twice.column], ['SYNTAX_ERROR', 45])
    const unknown = await rejection(db.sql('INSERT INTO t (k) SELECT nope FROM u'))
    assert.equal([unknown.code, unknown.column], ['UNKNOWN_COLUMN', 26])
    const neither = await rejection(db.sql('INSERT INTO t (k) (1)'))
    assert.equal([neither.code, neither.message], ['SYNTAX_ERROR', "expected VALUES or SELECT after the column names, found '('"])
    assert.equal((await db.query('SELECT COUNT(*) FROM t')).rows, [[3]])
  })
})

test('a row the table refuses points at the SELECT item that gave the value, as a VALUES row at its literal', async () => {
  await withTables(async (db) => {
    for (const [sql, code, column] of [
      ['INSERT INTO t (k, s) SELECT id + 100, tk FROM u', 'TYPE_MISMATCH', 39],
      ['INSERT INTO t (s, k) SELECT note, id + 100 FROM u', 'CONSTRAINT', 29],
      ['INSERT INTO t (k) SELECT tk FROM u', 'DUPLICATE_KEY', 26],
      // `*` gives several columns, and a compound's rows come from several SELECTs: at the table, as before.
      ['INSERT INTO t SELECT * FROM t', 'DUPLICATE_KEY', 13],
      ['INSERT INTO t (k) SELECT 200 UNION ALL SELECT 1', 'DUPLICATE_KEY', 13],
    ] as const) {
      const err = await rejection(db.sql(sql))
      assert.equal([err.code, err.line, err.column], [code, 1, column], `${sql}: ${err.message}`)
    }
  })
})

test(`a SELECT whose rows pass INSERT_SELECT_BYTES_MAX fails whole with PAYLOAD_TOO_LARGE, and the next statement runs`, async () => {
  await withTables(async (db) => {
    // 30 rows of 10,000,000 characters each: past the bound at row 27.
    const mb = "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('aaaaaaaaaa', 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'bbbbbbbbbb')"
    const e = await rejection(db.sql(`INSERT INTO t (k, s) WITH RECURSIVE c(x) AS (SELECT 1000 UNION ALL SELECT x + 1 FROM c WHERE x < 1029) SELECT x, ${mb} FROM c`))
    assert.equal([e.code, e.message], ['PAYLOAD_TOO_LARGE', `the SELECT of an INSERT gives at most INSERT_SELECT_BYTES_MAX (${INSERT_SELECT_BYTES_MAX} bytes) of rows: insert them in parts (a WHERE on the key, or LIMIT … OFFSET)`])
    const [r] = await db.sql(`INSERT INTO t (k, s) SELECT 1000, CAST(LENGTH(${mb}) AS TEXT) RETURNING s`)
    assert.equal(r?.rows, [['10000000']])
    assert.equal((await db.query('SELECT COUNT(*) FROM t')).rows, [[4]])
  })
})

test('its logged input keeps the query and every table it reads', () => {
  const input: TxnInput = {
    kind: 'insert-select', table: 't', columns: ['k'], select: { sql: 'SELECT "id" FROM "u$all"', values: [1n] }, reads: ['u'], replace: false, ignore: true,
    returning: { sql: 'SELECT "k" FROM x', values: [] },
  }
  assert.equal(decodeBatch(encodeBatch(1, 0, [input]).body).inputs, [input])
})

test.run()
