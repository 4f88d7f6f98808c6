// A subquery used as a value, `(SELECT …)`, gives one row's value, NULL without rows, and fails the
// statement at a second row, as PostgreSQL does ("more than one row returned by a subquery used as an
// expression"). It took the first row SQLite met, silently: a value that depended on the order rows were
// read in, which is partition by partition, not one anybody chose.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type Database, type EmbeddedDatabase } from '../../src/index.js'
import { embeddedThenRemote } from '../support/both-sdks.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'
import { renderSelect } from '../../src/sql/render.js'
import { SCALAR_ROWS_FUNCTION } from '../../src/storage/sql-guards.js'
import { oneOf } from './support.js'

const SHOP = `CREATE TABLE customer (id TEXT PRIMARY KEY, spent INTEGER DEFAULT 0) PARTITIONS 2;
  CREATE TABLE orders (id INTEGER PRIMARY KEY, cust TEXT, total INTEGER) PARTITIONS 3;
  INSERT INTO customer (id) VALUES ('ann'), ('bob'), ('cy');
  INSERT INTO orders VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'ann', 30), (4, 'cy', 5)`

const TWO_ROWS = /^more than one row returned by a subquery used as an expression \(/

async function withShop(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(SHOP)
    await run(db)
  } finally {
    await db.close()
  }
}

test('one row gives its value and no row NULL; a second row fails the query at the subquery', async () => {
  await withShop(async (db) => {
    assert.equal((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'bob')")).rows, [[20]])
    assert.equal((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'dan')")).rows, [[null]])
    const two = await rejection(db.query("SELECT id,\n  (SELECT total FROM orders WHERE cust = 'ann') FROM customer"))
    assert.is(two.code, 'CONSTRAINT')
    assert.match(two.message, TWO_ROWS)
    assert.equal([two.line, two.column, two.statement], [2, 3, 0])
    assert.ok(two.commit !== undefined, 'the query ran, at a position, as every CONSTRAINT failure does')
    // Correlated: the rows with one match are fine, the one with two fails the whole query.
    assert.equal((await db.query("SELECT id, (SELECT total FROM orders o WHERE o.cust = c.id) FROM customer c WHERE id <> 'ann' ORDER BY id")).rows, [['bob', 20], ['cy', 5]])
    assert.match((await rejection(db.query('SELECT id, (SELECT total FROM orders o WHERE o.cust = c.id) FROM customer c'))).message, TWO_ROWS)
    assert.match((await rejection(db.query('SELECT id FROM customer c WHERE 10 < (SELECT total FROM orders o WHERE o.cust = c.id)'))).message, TWO_ROWS)
    // A compound is one subquery: UNION ALL of two rows is two rows, UNION of the same row one.
    assert.match((await rejection(db.query('SELECT (SELECT 1 UNION ALL SELECT 2)'))).message, TWO_ROWS)
    assert.equal((await db.query('SELECT (SELECT 1 UNION SELECT 1)')).rows, [[1]])
  })
})

test('an aggregate, LIMIT 1 or a LIMIT that leaves one row picks the row; a LIMIT of more does not', async () => {
  await withShop(async (db) => {
    assert.equal((await db.query("SELECT (SELECT MAX(total) FROM orders WHERE cust = 'ann'), (SELECT COUNT(*) FROM orders)")).rows, [[30, 4]])
    assert.equal((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'ann' ORDER BY total DESC LIMIT 1)")).rows, [[30]])
    assert.equal((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'ann' ORDER BY total LIMIT ?)", [1])).rows, [[10]])
    assert.equal((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'ann' ORDER BY total LIMIT 5 OFFSET 1)")).rows, [[30]])
    assert.match((await rejection(db.query("SELECT (SELECT total FROM orders WHERE cust = 'ann' LIMIT 5)"))).message, TWO_ROWS)
    assert.match((await rejection(db.query('SELECT (SELECT cust FROM orders GROUP BY cust HAVING COUNT(*) = 1)'))).message, TWO_ROWS)
    // A GROUP BY that leaves one group is one row.
    assert.equal((await db.query("SELECT (SELECT SUM(total) FROM orders WHERE cust = 'ann' GROUP BY cust)")).rows, [[40]])
    // The value keeps its column's type for comparisons, as SQLite's own subquery does: an INTEGER
    // column's value equals the text '10' (SQLite applies the column's affinity to the text).
    assert.equal((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'bob') = '20', (SELECT total FROM orders WHERE cust = 'bob') = ?, (SELECT id FROM customer WHERE spent = 0 AND id < 'b') = ?", ['20', 'ann'])).rows, [[1, 1, 1]])
  })
})

test('a lookup by key reads one row as it did, unless SQLite compares the key as a number', async () => {
  await withShop(async (db) => {
    await db.sql(`CREATE TABLE tk (id TEXT PRIMARY KEY, v INTEGER); CREATE TABLE n (k INTEGER PRIMARY KEY, num INTEGER, txt TEXT);
      INSERT INTO tk VALUES ('5', 1), ('05', 2); INSERT INTO n VALUES (1, 5, '5'), (2, 7, '05')`)
    assert.equal((await db.query('SELECT k, (SELECT v FROM tk WHERE tk.id = n.txt) FROM n ORDER BY k')).rows, [[1, 1], [2, 2]])
    assert.equal((await db.query('SELECT (SELECT v FROM tk WHERE id = ?), (SELECT v FROM tk WHERE id = 5)', ['05'])).rows, [[2, 1]])
    assert.equal((await db.query('SELECT o.id, (SELECT c.spent FROM customer c WHERE c.id = o.cust AND c.spent = 0) FROM orders o WHERE o.id < 3 ORDER BY 1')).rows, [[1, 0], [2, 0]])
    // An INTEGER column against a TEXT key: SQLite compares as numbers, '5' and '05' are both 5.
    const numeric = await rejection(db.query('SELECT k, (SELECT v FROM tk WHERE tk.id = n.num) FROM n'))
    assert.match(numeric.message, TWO_ROWS)
    // A key compared with a column of its own table is no lookup.
    assert.match((await rejection(db.query('SELECT (SELECT total FROM orders WHERE id = id)'))).message, TWO_ROWS)
  })
  // The lookups are written as they were, without the count (the same plan and cost); the rest count.
  const tables = new Map([
    ['u', { name: 'u', source: '"u"', columns: ['k', 'w', 's'], typed: { types: ['INTEGER', 'INTEGER', 'TEXT'] as const, key: 'k' } }],
    ['tk', { name: 'tk', source: '"tk"', columns: ['id', 'v'], typed: { types: ['TEXT', 'INTEGER'] as const, key: 'id' } }],
  ])
  const counted = (sql: string): boolean => {
    const r = renderSelect(oneOf('select', sql), { source: '', columns: [], params: [], table: (name) => tables.get(name) })
    return r.sql.includes(SCALAR_ROWS_FUNCTION)
  }
  assert.equal([
    counted('SELECT (SELECT w FROM u WHERE u.k = t.k) FROM u AS t'),
    counted('SELECT (SELECT w FROM u WHERE k = t.s + 1 AND w > 0) FROM u AS t'),
    counted('SELECT (SELECT v FROM tk WHERE tk.id = t.s) FROM u AS t'),
    counted('SELECT (SELECT v FROM tk WHERE id = 5) FROM u AS t'),
  ], [false, false, false, false])
  assert.equal([
    counted('SELECT (SELECT v FROM tk WHERE tk.id = t.w) FROM u AS t'),
    counted('SELECT (SELECT v FROM tk WHERE tk.id = t.s COLLATE NOCASE) FROM u AS t'),
    counted('SELECT (SELECT w FROM u WHERE k = w) FROM u AS t'),
    counted('SELECT (SELECT w FROM u WHERE k = t.k OR w = 1) FROM u AS t'),
    counted('SELECT (SELECT w FROM u WHERE k = (SELECT MAX(k) FROM u)) FROM u AS t'),
    counted('SELECT (SELECT w FROM u AS x WHERE u.k = 1) FROM u'),
  ], [true, true, true, true, true, true])
})

test('UPDATE, DELETE and INSERT … SELECT fail whole at a second row, and write nothing', async () => {
  await withShop(async (db) => {
    const before = (await db.query('SELECT * FROM customer ORDER BY id')).rows
    const update = await rejection(db.sql('UPDATE customer SET spent = (SELECT total FROM orders WHERE orders.cust = customer.id)'))
    assert.equal([update.code, update.line, update.column], ['CONSTRAINT', 1, 29])
    assert.match(update.message, TWO_ROWS)
    assert.ok(update.commit !== undefined, 'the UPDATE ran and rolled back at its position')
    assert.match((await rejection(db.sql("DELETE FROM customer WHERE spent < (SELECT total FROM orders WHERE cust = 'ann')"))).message, TWO_ROWS)
    assert.match((await rejection(db.sql("INSERT INTO customer (id, spent) SELECT 'dan', (SELECT total FROM orders WHERE cust = 'ann')"))).message, TWO_ROWS)
    assert.equal((await db.query('SELECT * FROM customer ORDER BY id')).rows, before)
    // Where each row has one, the UPDATE runs.
    const [done] = await db.sql("UPDATE customer SET spent = (SELECT total FROM orders WHERE orders.cust = customer.id) WHERE id <> 'ann'")
    assert.is(done?.rowsAffected, 2)
    assert.equal((await db.query('SELECT id, spent FROM customer ORDER BY id')).rows, [['ann', 0], ['bob', 20], ['cy', 5]])
    // Inside BEGIN … COMMIT: the whole transaction, at its statement.
    const inTxn = await rejection(db.sql("BEGIN; UPDATE customer SET spent = 1 WHERE id = 'cy'; SELECT (SELECT id FROM orders); COMMIT"))
    assert.equal([inTxn.code, inTxn.statement], ['CONSTRAINT', 2])
    assert.equal((await db.query("SELECT spent FROM customer WHERE id = 'cy'")).rows, [[5]])
  })
})

test('the same statement fails the same way after a reopen (replay), and the state is as before it', async () => {
  const tmp = tempDir()
  try {
    const db = await open({ dir: tmp.dir })
    let first: AcheronError
    try {
      await db.sql(SHOP)
      first = await rejection(db.sql('UPDATE customer SET spent = (SELECT total FROM orders WHERE orders.cust = customer.id)'))
    } finally {
      await db.close()
    }
    const again = await open({ dir: tmp.dir })
    try {
      assert.equal((await again.query('SELECT id, spent FROM customer ORDER BY id')).rows, [['ann', 0], ['bob', 0], ['cy', 0]])
      const second = await rejection(again.sql('UPDATE customer SET spent = (SELECT total FROM orders WHERE orders.cust = customer.id)'))
      assert.equal([second.code, second.message, second.line, second.column], [first.code, first.message, first.line, first.column])
    } finally {
      await again.close()
    }
  } finally {
    tmp.cleanup()
  }
})

async function failures(db: Database): Promise<unknown[]> {
  await db.sql(SHOP)
  const out: unknown[] = []
  for (const sql of ["SELECT (SELECT total FROM orders WHERE cust = 'ann')", 'UPDATE customer SET spent = (SELECT id FROM orders)']) {
    try {
      await db.sql(sql)
      out.push('ran')
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      out.push([e.code, e.message, e.statement, e.line, e.column])
    }
  }
  out.push((await db.query("SELECT (SELECT total FROM orders WHERE cust = 'dan'), (SELECT total FROM orders WHERE cust = 'cy')")).rows)
  return out
}

test('embedded and remote give the same error and the same values', async () => {
  const { embedded, remote } = await embeddedThenRemote(failures)
  assert.is((embedded[0] as unknown[])[0], 'CONSTRAINT')
  assert.equal(embedded[2], [[null, 5]])
  assert.equal(remote, embedded)
})

test.run()
