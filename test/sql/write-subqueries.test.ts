// Subqueries in an UPDATE's SET and WHERE and a DELETE's WHERE: they read other tables (correlated or
// not), read the state before the statement (also their own table), run the statement over its table,
// count toward the query bound, and are logged with every table they read. (The differential property,
// test/property/sql-differential.test.ts, compares random ones with SQLite's own.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { decodeBatch, encodeBatch } from '../../src/txn/batch-codec.js'
import { QUERY_ROWS_EXAMINED_MAX } from '../../src/storage/sqlite-schema.js'
import type { TxnInput } from '../../src/txn/types.js'
import { productTables } from '../support/product-tables.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'

async function withShop(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE customer (id TEXT PRIMARY KEY, vip BOOLEAN, orders INTEGER DEFAULT 0) PARTITIONS 2;
      CREATE TABLE orders (id INTEGER PRIMARY KEY, cust TEXT, total INTEGER) PARTITIONS 3;
      INSERT INTO customer (id, vip) VALUES ('ann', 1), ('bob', 0), ('cy', 1);
      INSERT INTO orders VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'ann', 30), (4, 'cy', 5), (5, 'dan', 7)`)
    await run(db)
  } finally {
    await db.close()
  }
}

test('a correlated subquery in SET counts another table\'s rows; IN and EXISTS in WHERE pick the rows', async () => {
  await withShop(async (db) => {
    const [r] = await db.sql('UPDATE customer SET orders = (SELECT COUNT(*) FROM orders WHERE orders.cust = customer.id)')
    assert.is(r?.rowsAffected, 3)
    assert.equal((await db.query('SELECT id, orders FROM customer ORDER BY id')).rows, [['ann', 2], ['bob', 1], ['cy', 1]])
    // The WHERE pins a key, but the subquery reads orders: it runs over the table all the same.
    await db.sql("UPDATE customer SET orders = orders + (SELECT SUM(total) FROM orders WHERE cust = 'ann') WHERE id = 'ann'")
    assert.equal((await db.query("SELECT orders FROM customer WHERE id = 'ann'")).rows, [[42]])
    const [gone] = await db.sql('DELETE FROM orders WHERE cust NOT IN (SELECT id FROM customer) OR NOT EXISTS (SELECT 1 FROM customer c WHERE c.id = orders.cust AND c.vip) RETURNING id')
    assert.equal(gone?.rows.map((x) => x[0]).sort(), [2, 5])
    assert.equal((await db.query('SELECT id FROM orders ORDER BY id')).rows, [[1], [3], [4]])
  })
})

test('WITH before UPDATE and DELETE: its queries are read by the subqueries of SET and WHERE', async () => {
  await withShop(async (db) => {
    const [up] = await db.sql('WITH spend AS (SELECT cust, SUM(total) AS s FROM orders GROUP BY cust) UPDATE customer SET orders = (SELECT s FROM spend WHERE spend.cust = customer.id) WHERE id IN (SELECT cust FROM spend WHERE s > ?) RETURNING id, orders', [6])
    assert.equal(up?.rows.sort(), [['ann', 40], ['bob', 20]])
    // WITH RECURSIVE, read twice (by two subqueries, and inside one's own subquery), with parameters in both parts.
    const [gone] = await db.sql('WITH RECURSIVE r(x) AS (SELECT ? UNION ALL SELECT x + 2 FROM r WHERE x < ?) DELETE FROM orders WHERE id IN (SELECT x FROM r) AND total < (SELECT MAX(total) FROM orders WHERE id IN (SELECT x FROM r)) RETURNING id', [1, 5])
    assert.equal(gone?.rows.map((x) => x[0]).sort(), [1, 5])
    assert.equal((await db.query('SELECT id FROM orders ORDER BY id')).rows, [[2], [3], [4]])
    // Inside BEGIN … COMMIT its query sees the transaction's own rows.
    const txn = await db.sql("BEGIN; INSERT INTO orders VALUES (9, 'cy', 100); WITH big AS (SELECT cust FROM orders WHERE total >= 100) UPDATE customer SET vip = 0 WHERE id IN (SELECT cust FROM big); COMMIT")
    assert.is(txn[2]?.rowsAffected, 1)
    assert.equal((await db.query("SELECT vip FROM customer WHERE id = 'cy'")).rows, [[0]])
    const unread = await rejection(db.sql('WITH x AS (SELECT 1 AS a) UPDATE customer SET vip = 1'))
    assert.equal([unread.code, unread.column], ['SYNTAX_ERROR', 1])
    assert.match(unread.message, /^the WITH queries of UPDATE are read by subqueries in its SET or WHERE, and it has none/)
    const twice = await rejection(db.sql('WITH x AS (SELECT 1 AS a) DELETE FROM orders WHERE id IN (WITH x AS (SELECT 2 AS a) SELECT a FROM x)'))
    assert.equal([twice.code, twice.column], ['SYNTAX_ERROR', 64])
    const insert = await rejection(db.sql("WITH x AS (SELECT 1 AS a) INSERT INTO customer (id) VALUES ('zed')"))
    assert.equal([insert.code, insert.message], ['SYNTAX_ERROR', 'the WITH queries of INSERT are read by its SELECT, and it has VALUES: drop the WITH, or write INSERT INTO t SELECT … FROM them'])
    const other = await rejection(db.sql('WITH x AS (SELECT 1 AS a) CALL customer.f(1)'))
    assert.equal([other.code, other.message], ['SYNTAX_ERROR', "expected SELECT, INSERT, UPDATE or DELETE after the WITH queries, found 'CALL'"])
    const unknown = await rejection(db.sql('WITH x AS (SELECT nope FROM orders) DELETE FROM orders WHERE id IN (SELECT nope FROM x)'))
    assert.equal([unknown.code, unknown.column], ['UNKNOWN_COLUMN', 19])
    assert.equal((await db.query('SELECT COUNT(*) FROM orders')).rows, [[4]])
  })
})

test('subqueries read the state before the statement, also of its own table (as PostgreSQL)', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE x (k INTEGER PRIMARY KEY, v INTEGER) PARTITIONS 2; INSERT INTO x VALUES (1, 1), (2, 2), (3, 3)')
    // SQLite itself gives 100, 200, 400 here: its correlated subquery sees the rows the UPDATE changed.
    await db.sql('UPDATE x SET v = (SELECT TOTAL(v) FROM x AS y WHERE y.k < x.k) + 100')
    assert.equal((await db.query('SELECT k, v FROM x ORDER BY k')).rows, [[1, 100], [2, 101], [3, 103]])
    await db.sql('DELETE FROM x WHERE v < (SELECT MAX(v) FROM x)')
    assert.equal((await db.query('SELECT k FROM x')).rows, [[3]])
  } finally {
    await db.close()
  }
})

test('inside BEGIN … COMMIT they see the transaction\'s own rows of every table they read', async () => {
  await withShop(async (db) => {
    const r = await db.sql(`BEGIN;
      INSERT INTO orders VALUES (6, 'bob', 1), (7, 'bob', 2);
      DELETE FROM orders WHERE id = 1;
      UPDATE customer SET orders = (SELECT COUNT(*) FROM orders WHERE cust = customer.id) RETURNING id, orders;
      COMMIT`)
    assert.equal([...(r[3]?.rows ?? [])].sort(), [['ann', 1], ['bob', 3], ['cy', 1]])
  })
})

test('a mistake in a subquery of an UPDATE or DELETE is an error at it, and nothing runs', async () => {
  await withShop(async (db) => {
    const cases: [string, string, number, RegExp][] = [
      ['UPDATE customer SET orders = (SELECT nope FROM orders)', 'UNKNOWN_COLUMN', 38, /no such column: nope/],
      ['DELETE FROM orders WHERE cust IN (SELECT id FROM nowhere)', 'UNKNOWN_TABLE', 50, /no such table: nowhere/],
      ['DELETE FROM orders WHERE cust IN (SELECT id, vip FROM customer)', 'SYNTAX_ERROR', 35, /must return one column/],
      ["INSERT INTO orders VALUES (9, 'x', 1) ON CONFLICT DO UPDATE SET total = (SELECT 1)", 'SYNTAX_ERROR', 74, /subquery \(SELECT …\) is not allowed here/],
    ]
    for (const [sql, code, column, message] of cases) {
      const e = await rejection(db.sql(sql))
      assert.equal([e.code, e.column], [code, column], `${sql}: ${e.message}`)
      assert.match(e.message, message, sql)
    }
    assert.equal((await db.query('SELECT SUM(orders) FROM customer')).rows, [[0]])
  })
})

test(`a write whose subqueries examine more than ${QUERY_ROWS_EXAMINED_MAX} row combinations fails whole`, async () => {
  const db = await open({ memory: true })
  try {
    const side = await productTables(db)
    const e = await rejection(db.sql('UPDATE a SET x = (SELECT COUNT(*) FROM b WHERE b.y < a.x)'))
    assert.is(e.code, 'PAYLOAD_TOO_LARGE')
    assert.equal((await db.query('SELECT SUM(x) FROM a')).rows, (await db.query('SELECT SUM(y) FROM b')).rows, 'nothing was written')
    // Through a key it examines a row per row.
    const [r] = await db.sql('UPDATE a SET x = (SELECT y + 1 FROM b WHERE b.id = a.id)')
    assert.is(r?.rowsAffected, side)
  } finally {
    await db.close()
  }
})

test('a logged UPDATE with subqueries names every table it reads, and replays after a reopen', async () => {
  const tmp = tempDir()
  try {
    const db = await open({ dir: tmp.dir })
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER); CREATE TABLE u (id INTEGER PRIMARY KEY, tk INTEGER); INSERT INTO t VALUES (1, 0), (2, 0); INSERT INTO u VALUES (1, 2), (2, 2)")
    await db.sql('UPDATE t SET n = (SELECT COUNT(*) FROM u WHERE u.tk = t.k)')
    await db.close()
    const again = await open({ dir: tmp.dir })
    assert.equal((await again.query('SELECT k, n FROM t ORDER BY k')).rows, [[1, 0], [2, 2]])
    await again.close()
  } finally {
    tmp.cleanup()
  }
  const input: TxnInput = { kind: 'update-scan', table: 't', sets: [], where: { sql: '1', values: [] }, joined: ['u'] }
  assert.equal(decodeBatch(encodeBatch(1, 0, [input]).body).inputs, [input])
})

test.run()
