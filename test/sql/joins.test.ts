// Joins, subqueries, compounds (UNION, INTERSECT, EXCEPT) and WITH (also inside subqueries) in a SELECT: what they answer over a partitioned state, where a name that does not
// resolve is reported, the bound on the rows a query may examine, and that a logged transaction holding
// one keeps every table it reads. (The differential property, test/property/sql-differential.test.ts,
// compares random ones with SQLite.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { productTables } from '../support/product-tables.js'
import { rejection } from '../support/rejection.js'
import { decodeBatch, encodeBatch } from '../../src/txn/batch-codec.js'
import { QUERY_ROWS_EXAMINED_MAX } from '../../src/storage/sqlite-schema.js'
import { tempDir } from '../support/tmp.js'

async function withShop(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE customer (id TEXT PRIMARY KEY, name TEXT, city TEXT) PARTITIONS 2;
      CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount INTEGER) PARTITIONS 3;
      INSERT INTO customer VALUES ('c1', 'Ann', 'Delft'), ('c2', 'Bob', 'Paris'), ('c3', 'Cy', NULL);
      INSERT INTO orders VALUES (1, 'c1', 10), (2, 'c1', 20), (3, 'c2', 5), (4, 'zz', 7)`)
    await run(db)
  } finally {
    await db.close()
  }
}

test('inner, left, full and comma joins, USING, aliases and qualified stars', async () => {
  await withShop(async (db) => {
    const inner = await db.query('SELECT c.name, o.amount FROM customer c JOIN orders o ON o.customer = c.id ORDER BY o.id')
    assert.equal([inner.columns, inner.rows], [['name', 'amount'], [['Ann', 10], ['Ann', 20], ['Bob', 5]]])
    const left = await db.query('SELECT name, COUNT(o.id) AS n, SUM(amount) AS total FROM customer c LEFT OUTER JOIN orders o ON o.customer = c.id GROUP BY name ORDER BY name')
    assert.equal(left.rows, [['Ann', 2, 30], ['Bob', 1, 5], ['Cy', 0, null]])
    const full = await db.query('SELECT o.id, c.name FROM orders o FULL JOIN customer c ON c.id = o.customer ORDER BY o.id, c.name')
    assert.equal(full.rows, [[null, 'Cy'], [1, 'Ann'], [2, 'Ann'], [3, 'Bob'], [4, null]])
    const comma = await db.query('SELECT * FROM customer c, orders o WHERE o.customer = c.id AND amount > ? ORDER BY o.id', [6])
    assert.equal(comma.columns, ['id', 'name', 'city', 'id', 'customer', 'amount'])
    assert.equal(comma.rows, [['c1', 'Ann', 'Delft', 1, 'c1', 10], ['c1', 'Ann', 'Delft', 2, 'c1', 20]])
    // USING merges the column: `*` lists it once, and unqualified it is not ambiguous.
    const using = await db.query('SELECT *, city FROM customer a JOIN customer b USING (city) ORDER BY a.id')
    assert.equal(using.columns, ['id', 'name', 'city', 'id', 'name', 'city'])
    assert.equal(using.rows, [['c1', 'Ann', 'Delft', 'c1', 'Ann', 'Delft'], ['c2', 'Bob', 'Paris', 'c2', 'Bob', 'Paris']])
    const star = await db.query('SELECT o.*, c.name FROM orders o CROSS JOIN customer c WHERE c.id = o.customer AND o.id = 3')
    assert.equal([star.columns, star.rows], [['id', 'customer', 'amount', 'name'], [[3, 'c2', 5, 'Bob']]])
  })
})

test('subqueries: IN, EXISTS, scalar, correlated, and in FROM', async () => {
  await withShop(async (db) => {
    assert.equal((await db.query('SELECT name FROM customer WHERE id IN (SELECT customer FROM orders WHERE amount >= 10) ORDER BY name')).rows, [['Ann']])
    assert.equal((await db.query('SELECT id FROM orders WHERE customer NOT IN (SELECT id FROM customer) ORDER BY id')).rows, [[4]])
    assert.equal((await db.query('SELECT name FROM customer c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer = c.id)')).rows, [['Cy']])
    // `customer` inside is the orders column; `customer.id` names the outer query's table.
    const correlated = await db.query('SELECT name, (SELECT SUM(amount) FROM orders WHERE customer = customer.id) AS total FROM customer ORDER BY name')
    assert.equal(correlated.rows, [['Ann', 30], ['Bob', 5], ['Cy', null]])
    const derived = await db.query('SELECT t.customer, t.total FROM (SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer) AS t WHERE t.total > 6 ORDER BY 1')
    assert.equal(derived.rows, [['c1', 30], ['zz', 7]])
    // A derived table's columns are called as the subquery's result names them, aliases or not.
    const unnamed = await db.query('SELECT * FROM (SELECT COUNT(*), MAX(amount) AS top FROM orders)')
    assert.equal([unnamed.columns, unnamed.rows], [['COUNT(*)', 'top'], [[4, 20]]])
    const noFrom = await db.query('SELECT (SELECT COUNT(*) FROM orders) AS n, (SELECT MAX(name) FROM customer) AS last')
    assert.equal([noFrom.columns, noFrom.rows], [['n', 'last'], [[4, 'Cy']]])
    // Parameters bind in the order they are written, across the subqueries.
    assert.equal((await db.query('SELECT ? AS a, (SELECT COUNT(*) FROM orders WHERE amount > ?) AS b FROM customer WHERE id = ?', ['x', 6, 'c2'])).rows, [['x', 3]])
  })
})

test('UNION [ALL], INTERSECT and EXCEPT, ordered by a result column by name or position', async () => {
  await withShop(async (db) => {
    assert.equal((await db.query('SELECT id FROM customer UNION SELECT customer FROM orders ORDER BY id')).rows, [['c1'], ['c2'], ['c3'], ['zz']])
    assert.equal((await db.query('SELECT id FROM customer UNION ALL SELECT customer FROM orders ORDER BY 1 DESC LIMIT 3')).rows, [['zz'], ['c3'], ['c2']])
    assert.equal((await db.query('SELECT id FROM customer INTERSECT SELECT customer FROM orders ORDER BY id')).rows, [['c1'], ['c2']])
    assert.equal((await db.query('SELECT id AS who FROM customer EXCEPT SELECT customer FROM orders WHERE amount > ? ORDER BY who', [6])).rows, [['c2'], ['c3']])
    const e = await rejection(db.query('SELECT id FROM customer UNION SELECT customer FROM orders ORDER BY LENGTH(id)'))
    assert.equal([e.code, e.column], ['SYNTAX_ERROR', 68])
    assert.match(e.message, /^ORDER BY of a compound SELECT \(UNION, INTERSECT, EXCEPT\) names a result column, by name \(id\) or by position$/)
    const width = await rejection(db.query('SELECT id, name FROM customer UNION SELECT customer FROM orders'))
    assert.equal([width.code, width.column], ['SYNTAX_ERROR', 31])
    assert.match(width.message, /different numbers of result columns \(2 and 1\)/)
  })
})

test('WITH: named queries that read tables and each other, shadow a table, and name their columns', async () => {
  await withShop(async (db) => {
    const r = await db.query('WITH big AS (SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer) SELECT c.name, big.total FROM big JOIN customer c ON c.id = big.customer ORDER BY 2 DESC')
    assert.equal([r.columns, r.rows], [['name', 'total'], [['Ann', 30], ['Bob', 5]]])
    assert.equal((await db.query('WITH a(x) AS (SELECT amount FROM orders WHERE amount > ?), b AS (SELECT x * 2 AS y FROM a) SELECT SUM(y) AS s FROM b', [6])).rows, [[74]])
    assert.equal((await db.query('WITH orders AS (SELECT 1 AS id) SELECT * FROM orders')).rows, [[1]])
    const twice = await rejection(db.query('WITH a AS (SELECT 1 AS x), A AS (SELECT 2 AS x) SELECT * FROM a'))
    assert.equal([twice.code, twice.column], ['SYNTAX_ERROR', 28])
    // A WITH query may be called "recursive": the keyword is only the word before a name.
    assert.equal((await db.query('WITH recursive AS (SELECT 3 AS x) SELECT x FROM recursive')).rows, [[3]])
    const columns = await rejection(db.query('WITH a(x, y) AS (SELECT 1) SELECT * FROM a'))
    assert.match(columns.message, /^a names 2 columns, its query returns 1$/)
    // Reading itself takes RECURSIVE (SQLite would assume it; PostgreSQL, like this parser, wants the word).
    const self = await rejection(db.query('WITH c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c'))
    assert.equal([self.code, self.message, self.column], ['UNKNOWN_TABLE', 'no such table: c (the WITH query c reads itself: say WITH RECURSIVE)', 52])
  })
})

test('WITH RECURSIVE: sequences, walks of a tree and of a graph with a cycle, and a recursion stopped at the bound', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE emp (id INTEGER PRIMARY KEY, boss INTEGER, name TEXT) PARTITIONS 3;
      INSERT INTO emp VALUES (1, NULL, 'ceo'), (2, 1, 'cto'), (3, 2, 'dev'), (4, 2, 'ops'), (5, 1, 'cfo'), (6, 3, 'intern');
      CREATE TABLE edge (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER) PARTITIONS 2;
      INSERT INTO edge VALUES (1, 1, 2), (2, 2, 3), (3, 3, 1), (4, 5, 6)`)
    const seq = await db.query('WITH RECURSIVE r(n, fact) AS (SELECT 1, 1 UNION ALL SELECT n + 1, fact * (n + 1) FROM r WHERE n < ?) SELECT n, fact FROM r', [5])
    assert.equal(seq.rows, [[1, 1], [2, 2], [3, 6], [4, 24], [5, 120]])
    // Everyone under the CTO, with their depth; the columns are the first SELECT's names when not given.
    const tree = await db.query('WITH RECURSIVE under AS (SELECT id, name, 0 AS depth FROM emp WHERE id = 2 UNION ALL SELECT e.id, e.name, depth + 1 FROM emp e JOIN under u ON e.boss = u.id) SELECT name, depth FROM under ORDER BY depth, name')
    assert.equal([tree.columns, tree.rows], [['name', 'depth'], [['cto', 0], ['dev', 1], ['ops', 1], ['intern', 2]]])
    // UNION (not ALL) drops rows already found, so a walk of a cycle ends.
    assert.equal((await db.query('WITH RECURSIVE reach(n) AS (SELECT 1 UNION SELECT b FROM edge JOIN reach ON a = n) SELECT n FROM reach ORDER BY n')).rows, [[1], [2], [3]])
    // A recursion without end: a LIMIT ends it; a long one stops at the bound on rows examined (one
    // of twice the bound, not an endless one, so that an engine without the bound fails here rather than hangs).
    assert.equal((await db.query('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 3')).rows, [[1], [2], [3]])
    const endless = await rejection(db.query('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT COUNT(*) FROM c', [2 * QUERY_ROWS_EXAMINED_MAX]))
    assert.is(endless.code, 'PAYLOAD_TOO_LARGE')
    assert.match(endless.message, /examined more than 10000000 rows .* end a WITH RECURSIVE query's recursion with one$/)
    assert.equal((await db.query('SELECT COUNT(*) FROM emp')).rows, [[6]])
    const first = await rejection(db.query('WITH RECURSIVE c AS (SELECT x + 1 FROM c) SELECT * FROM c'))
    assert.equal([first.code, first.column], ['SYNTAX_ERROR', 16])
    assert.match(first.message, /^the first SELECT of recursive c reads c: start from rows it does not read/)
    // What SQLite refuses in a recursive query is a CONSTRAINT with its reason.
    const twice = await rejection(db.query('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x IN (SELECT x FROM c)) SELECT * FROM c'))
    assert.equal([twice.code, twice.message], ['CONSTRAINT', 'query failed: multiple recursive references: c'])
  } finally {
    await db.close()
  }
})

test('WITH inside a subquery: in FROM, IN, EXISTS, a scalar and a WITH query, correlated, shadowing, read only inside it', async () => {
  await withShop(async (db) => {
    const derived = await db.query('SELECT name, total FROM (WITH t AS (SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer) SELECT * FROM t) AS s JOIN customer c ON c.id = s.customer ORDER BY name')
    assert.equal(derived.rows, [['Ann', 30], ['Bob', 5]])
    // Correlated: its WITH query reads the outer row (as SQLite allows).
    const correlated = await db.query('SELECT id, (WITH mine AS (SELECT amount FROM orders WHERE customer = c.id) SELECT SUM(amount) FROM mine) AS total FROM customer c ORDER BY id')
    assert.equal(correlated.rows, [['c1', 30], ['c2', 5], ['c3', null]])
    const within = await db.query('SELECT id FROM orders WHERE customer IN (WITH far AS (SELECT id FROM customer WHERE city IS NOT ?) SELECT id FROM far) ORDER BY id', ['Delft'])
    assert.equal(within.rows, [[3]])
    const exists = await db.query('SELECT name FROM customer c WHERE EXISTS (WITH o AS (SELECT * FROM orders WHERE amount > ?) SELECT 1 FROM o WHERE o.customer = c.id) ORDER BY name', [6])
    assert.equal(exists.rows, [['Ann']])
    // A WITH query whose own query has a WITH; and an inner name that shadows an outer one, only inside.
    assert.equal((await db.query('WITH x AS (WITH y AS (SELECT COUNT(*) AS n FROM orders) SELECT n * 2 AS m FROM y) SELECT m FROM x')).rows, [[8]])
    assert.equal((await db.query('WITH x AS (SELECT 1 AS a) SELECT (WITH x AS (SELECT 2 AS a) SELECT a FROM x) AS inner_a, a FROM x')).rows, [[2, 1]])
    assert.equal((await db.query('SELECT (WITH orders AS (SELECT 9 AS amount) SELECT SUM(amount) FROM orders) AS shadowed, (SELECT SUM(amount) FROM orders) AS real')).rows, [[9, 42]])
    // Every part of a compound reads the subquery's WITH; a parameter inside it keeps its place.
    assert.equal((await db.query('SELECT (WITH x AS (SELECT ? AS a) SELECT a FROM x UNION SELECT a + ? FROM x ORDER BY 1 DESC LIMIT 1) AS top', [1, 10])).rows, [[11]])
    const outside = await rejection(db.query('SELECT (WITH x AS (SELECT 1 AS a) SELECT a FROM x) + (SELECT COUNT(*) FROM x)'))
    assert.equal([outside.code, outside.message, outside.column], ['UNKNOWN_TABLE', 'no such table: x', 76])
    const twice = await rejection(db.query('SELECT * FROM (WITH a AS (SELECT 1 AS x), A AS (SELECT 2 AS x) SELECT * FROM a) AS s'))
    assert.equal([twice.code, twice.column], ['SYNTAX_ERROR', 43])
    // WITH is not reserved: a parenthesized column called "with" is still a column.
    assert.equal((await db.query('SELECT ("with" + 1) AS n FROM (SELECT 1 AS "with") AS w')).rows, [[2]])
    // A recursion inside a subquery, or inside a WITH query's own WITH, is counted like any other.
    assert.equal((await db.query('SELECT id FROM orders WHERE id IN (WITH RECURSIVE c(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c) ORDER BY id')).rows, [[2], [3]])
    for (const sql of [
      'SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT COUNT(*) FROM c) AS n',
      'WITH w AS (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c) SELECT COUNT(*) FROM w',
    ]) {
      const endless = await rejection(db.query(sql, [2 * QUERY_ROWS_EXAMINED_MAX]))
      assert.is(endless.code, 'PAYLOAD_TOO_LARGE', sql)
    }
  })
})

test('GROUP_CONCAT and STRING_AGG, in an order of their own', async () => {
  await withShop(async (db) => {
    const r = await db.query("SELECT customer, GROUP_CONCAT(amount, '+' ORDER BY amount DESC) AS amounts, STRING_AGG(id, ',' ORDER BY id) AS ids, GROUP_CONCAT(DISTINCT customer) FROM orders GROUP BY customer ORDER BY customer")
    assert.equal(r.rows, [['c1', '20+10', '1,2', 'c1'], ['c2', '5', '3', 'c2'], ['zz', '7', '4', 'zz']])
    assert.match((await rejection(db.query('SELECT STRING_AGG(id) FROM orders'))).message, /^STRING_AGG takes 2 arguments, got 1$/)
    assert.match((await rejection(db.query("SELECT GROUP_CONCAT(DISTINCT id, '-') FROM orders"))).message, /takes one argument \(SQLite's rule\)/)
  })
})

test('names that do not resolve are reported at the reference', async () => {
  await withShop(async (db) => {
    const cases: [string, string, number, number, RegExp][] = [
      ['SELECT id FROM customer JOIN orders ON orders.customer = customer.id', 'SYNTAX_ERROR', 1, 8, /^ambiguous column name: id \(in customer and orders: qualify it, as customer\.id\)$/],
      ['SELECT 1 FROM customer JOIN\n  nope ON 1', 'UNKNOWN_TABLE', 2, 3, /^no such table: nope$/],
      ['SELECT 1 FROM customer c JOIN orders o ON o.nope = c.id', 'UNKNOWN_COLUMN', 1, 43, /^no such column: o\.nope \(o has id, customer, amount\)$/],
      ['SELECT x.id FROM customer c JOIN orders o ON o.id = 1', 'UNKNOWN_TABLE', 1, 8, /^no such table: x$/],
      ['SELECT 1 FROM customer JOIN customer ON 1', 'SYNTAX_ERROR', 1, 29, /^customer is named twice in FROM/],
      ['SELECT 1 FROM customer a JOIN orders b USING (city)', 'UNKNOWN_COLUMN', 1, 47, /^cannot join using column city: it is not in both sides/],
      ['SELECT name FROM customer WHERE id IN (SELECT id, customer FROM orders)', 'SYNTAX_ERROR', 1, 40, /^this subquery must return one column, it returns 2 \(id, customer\)$/],
      ['SELECT * FROM (SELECT id, id FROM orders)', 'SYNTAX_ERROR', 1, 15, /^the subquery in FROM has two columns named id/],
      ['SELECT (SELECT nope FROM orders)', 'UNKNOWN_COLUMN', 1, 16, /^no such column: nope \(table orders has id, customer, amount\)$/],
    ]
    for (const [sql, code, line, column, message] of cases) {
      const e = await rejection(db.query(sql))
      assert.equal([e.code, e.line, e.column], [code, line, column], `${sql}: ${e.message}`)
      assert.match(e.message, message, sql)
    }
  })
})

test(`a query that examines more than ${QUERY_ROWS_EXAMINED_MAX} rows fails, and the server goes on; a combination of n tables counts n`, async () => {
  const db = await open({ memory: true })
  try {
    const side = await productTables(db)
    const e = await rejection(db.query('SELECT COUNT(*) FROM a, b WHERE a.x + b.y = 3'))
    assert.is(e.code, 'PAYLOAD_TOO_LARGE')
    assert.match(e.message, /examined more than 10000000 rows \(QUERY_ROWS_EXAMINED_MAX; a combination of n tables' rows counts n\)/)
    // A correlated subquery is counted too; a join on a key examines a row per row and passes.
    assert.is((await rejection(db.query('SELECT COUNT(*) FROM a WHERE x > (SELECT AVG(y) FROM b WHERE b.y < a.x)'))).code, 'PAYLOAD_TOO_LARGE')
    assert.equal((await db.query('SELECT COUNT(*) FROM a JOIN b ON b.id = a.id WHERE a.x = b.y')).rows, [[side]])
    // A single-table scan is linear, and not counted.
    assert.equal((await db.query('SELECT COUNT(*) FROM a WHERE x >= 0')).rows, [[side]])
    // A cross join of many small tables: each combination counts a row of each table (counted once, 60
    // tables of 8 rows held the state thread for 28 s before the bound stopped them).
    await db.sql("CREATE TABLE ctr (k TEXT PRIMARY KEY); INSERT INTO ctr VALUES ('w0'), ('w1'), ('w2'), ('w3'), ('w4'), ('w5'), ('w6'), ('w7')")
    const many = await rejection(db.query(`SELECT COUNT(*) FROM ${Array.from({ length: 60 }, (_, i) => `ctr t${i}`).join(', ')}`))
    assert.is(many.code, 'PAYLOAD_TOO_LARGE')
    assert.equal((await db.query('SELECT COUNT(*) FROM ctr t0, ctr t1, ctr t2')).rows, [[512]])
    // 200³ = 8,000,000 combinations, under the bound as combinations and past it as rows (24,000,000).
    await db.sql('CREATE TABLE c200 (k INTEGER PRIMARY KEY)')
    await db.insert('c200', Array.from({ length: 200 }, (_, i) => [i]))
    assert.is((await rejection(db.query('SELECT COUNT(*) FROM c200 x, c200 y, c200 z WHERE x.k + y.k + z.k >= 0'))).code, 'PAYLOAD_TOO_LARGE')
  } finally {
    await db.close()
  }
})

test('a logged BEGIN … COMMIT with a join reads its own writes, and its log entry names every table', async () => {
  const tmp = tempDir()
  try {
    const db = await open({ dir: tmp.dir })
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER); CREATE TABLE u (id INTEGER PRIMARY KEY, tk INTEGER, v TEXT); INSERT INTO t VALUES (1, 1), (2, 2)")
    const r = await db.sql("BEGIN; UPDATE t SET a = a * 10; INSERT INTO u VALUES (7, 2, 'x'); SELECT k, a, v FROM t LEFT JOIN u ON tk = k ORDER BY k; COMMIT")
    assert.equal(r[3]?.rows, [[1, 10, null], [2, 20, 'x']])
    await db.close()
    const again = await open({ dir: tmp.dir })
    assert.equal((await again.query('SELECT k, a, v FROM t JOIN u ON tk = k')).rows, [[2, 20, 'x']])
    await again.close()
  } finally {
    tmp.cleanup()
  }
  const input = { kind: 'multi-exclusive' as const, steps: [{ kind: 'select' as const, table: 't', joined: ['u'], sql: 'SELECT 1', values: [] }] }
  assert.equal(decodeBatch(encodeBatch(1, 0, [input]).body).inputs, [input])
})

test.run()
