// Window functions (`… OVER (…)`) in a SELECT: what they answer over a partitioned table, with frames of
// every unit and `?` offsets, over groups and joins, inside a logged BEGIN … COMMIT, and where a misuse is
// reported. (The differential property, test/property/sql-differential.test.ts, compares random ones with SQLite.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'

async function withSales(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE sale (id INTEGER PRIMARY KEY, region TEXT, amount INTEGER) PARTITIONS 3;
      CREATE TABLE region (name TEXT PRIMARY KEY, manager TEXT) PARTITIONS 2;
      INSERT INTO sale VALUES (1, 'north', 10), (2, 'south', 30), (3, 'north', 20), (4, 'north', 20), (5, 'south', 5), (6, 'east', NULL);
      INSERT INTO region VALUES ('north', 'Ann'), ('south', 'Bob')`)
    await run(db)
  } finally {
    await db.close()
  }
}

test('ranking and offset functions, per partition of the window, over rows of several partitions', async () => {
  await withSales(async (db) => {
    const r = await db.query(`SELECT id, ROW_NUMBER() OVER (PARTITION BY region ORDER BY amount DESC, id) AS n,
        RANK() OVER (ORDER BY amount DESC) AS rk, DENSE_RANK() OVER (ORDER BY amount DESC) AS drk,
        LAG(amount, 1, -1) OVER (ORDER BY id) AS prev, LEAD(region) OVER (ORDER BY id) AS next,
        NTILE(2) OVER (ORDER BY id) AS half, FIRST_VALUE(id) OVER (PARTITION BY region ORDER BY id) AS first
      FROM sale ORDER BY id`)
    assert.equal(r.columns, ['id', 'n', 'rk', 'drk', 'prev', 'next', 'half', 'first'])
    assert.equal(r.rows, [
      [1, 3, 4, 3, -1, 'south', 1, 1],
      [2, 1, 1, 1, 10, 'north', 1, 2],
      [3, 1, 2, 2, 30, 'north', 1, 1],
      [4, 2, 2, 2, 20, 'south', 2, 1],
      [5, 2, 5, 4, 20, 'east', 2, 2],
      [6, 1, 6, 5, 5, null, 2, 6],
    ])
    // Unnamed, a window function's column is called as written.
    assert.equal((await db.query('SELECT PERCENT_RANK() OVER (ORDER BY id), CUME_DIST() OVER (ORDER BY id) FROM sale WHERE id <= 2 ORDER BY id')).rows, [[0, 0.5], [1, 1]])
  })
})

test('aggregates over frames: ROWS, RANGE and GROUPS, with literal and ? offsets', async () => {
  await withSales(async (db) => {
    const running = await db.query('SELECT id, SUM(amount) OVER (ORDER BY id) AS total, COUNT(*) OVER (PARTITION BY region) AS n FROM sale ORDER BY id')
    assert.equal(running.rows, [[1, 10, 3], [2, 40, 2], [3, 60, 3], [4, 80, 3], [5, 85, 2], [6, 85, 1]])
    const rows = await db.query('SELECT id, SUM(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM sale ORDER BY id')
    assert.equal(rows.rows, [[1, 40], [2, 60], [3, 70], [4, 45], [5, 25], [6, 5]])
    // RANGE by value: the rows whose amount is within 10 of this one's; GROUPS by peers.
    const range = await db.query('SELECT id, COUNT(*) OVER (ORDER BY amount RANGE BETWEEN 10 PRECEDING AND 10 FOLLOWING) AS near, MAX(id) OVER (ORDER BY amount GROUPS CURRENT ROW) AS peers FROM sale WHERE amount IS NOT NULL ORDER BY id')
    assert.equal(range.rows, [[1, 4, 1], [2, 3, 2], [3, 4, 4], [4, 4, 4], [5, 2, 5]])
    const param = await db.query('SELECT id, AVG(amount) OVER (ORDER BY id ROWS BETWEEN ? PRECEDING AND CURRENT ROW) FROM sale WHERE id <= 3 ORDER BY id', [1])
    assert.equal(param.rows, [[1, 10], [2, 20], [3, 25]])
    const e = await rejection(db.query('SELECT SUM(amount) OVER (ORDER BY id ROWS BETWEEN ? PRECEDING AND CURRENT ROW) FROM sale', [-1]))
    assert.equal([e.code, e.column, e.message], ['TYPE_MISMATCH', 51, 'a ROWS frame offset must be a non-negative integer'])
  })
})

test('over a grouped query, over a join, in ORDER BY, and in a point read', async () => {
  await withSales(async (db) => {
    const grouped = await db.query('SELECT region, SUM(amount) AS s, SUM(SUM(amount)) OVER () AS all_, RANK() OVER (ORDER BY SUM(amount) DESC) AS place FROM sale GROUP BY region ORDER BY place')
    assert.equal(grouped.rows, [['north', 50, 85, 1], ['south', 35, 85, 2], ['east', null, 85, 3]])
    const joined = await db.query('SELECT manager, id, ROW_NUMBER() OVER (PARTITION BY manager ORDER BY id DESC) AS n FROM sale JOIN region ON name = region ORDER BY ROW_NUMBER() OVER (ORDER BY id DESC)')
    assert.equal(joined.rows, [['Bob', 5, 1], ['Ann', 4, 1], ['Ann', 3, 2], ['Bob', 2, 2], ['Ann', 1, 3]])
    // A point read evaluates the whole statement over its one row: the window holds that row alone.
    assert.equal((await db.query('SELECT id, COUNT(*) OVER (), ROW_NUMBER() OVER (ORDER BY id) FROM sale WHERE id = 4')).rows, [[4, 1, 1]])
  })
})

test('WINDOW names windows that OVER name uses, in the items and in ORDER BY, with ? bound in text order', async () => {
  await withSales(async (db) => {
    const r = await db.query('SELECT id, SUM(amount) OVER w AS s, ROW_NUMBER() OVER w AS n, MAX(amount) OVER byRegion FROM sale WHERE amount > ? WINDOW w AS (ORDER BY id ROWS BETWEEN ? PRECEDING AND CURRENT ROW), byRegion AS (PARTITION BY region) ORDER BY RANK() OVER w DESC', [1, 1])
    assert.equal(r.rows, [[5, 25, 5, 30], [4, 40, 4, 20], [3, 50, 3, 20], [2, 40, 2, 30], [1, 10, 1, 20]])
    // Based on a named window: its PARTITION BY, and an ORDER BY and frame of the window's own.
    const based = await db.query('SELECT id, SUM(amount) OVER (byRegion ORDER BY id ROWS BETWEEN ? PRECEDING AND CURRENT ROW) AS s, COUNT(*) OVER ordered FROM sale WHERE id < 6 WINDOW byRegion AS (PARTITION BY region), ordered AS (byRegion ORDER BY amount) ORDER BY id', [1])
    assert.equal(based.rows, [[1, 10, 1], [2, 30, 2], [3, 30, 3], [4, 40, 3], [5, 35, 1]])
    const grouped = await db.query('SELECT region, RANK() OVER w FROM sale GROUP BY region HAVING COUNT(*) > ? WINDOW w AS (ORDER BY SUM(amount) DESC) ORDER BY region', [0])
    assert.equal(grouped.rows, [['east', 3], ['north', 1], ['south', 2]])
    const cases: [string, number, RegExp][] = [
      ['SELECT SUM(amount) OVER nope FROM sale', 25, /^no such window: nope \(name one with WINDOW name AS \(…\) after HAVING\)$/],
      ['SELECT SUM(amount) OVER nope FROM sale WINDOW w AS ()', 25, /^no such window: nope \(this SELECT's WINDOW clause names w\)$/],
      ['SELECT SUM(amount) OVER (w ORDER BY id) FROM sale WINDOW w AS (ORDER BY amount)', 37, /^window w has an ORDER BY, which a window based on it cannot override$/],
      ['SELECT SUM(amount) OVER (w) FROM sale WINDOW w AS (ROWS 1 PRECEDING)', 26, /^window w has a frame, which a window based on it cannot override/],
      ['SELECT SUM(amount) OVER (w PARTITION BY id) FROM sale WINDOW w AS ()', 28, /^a window based on w takes its PARTITION BY from it and cannot give one$/],
      // SQLite runs these two without the base's PARTITION BY, without a word.
      ['SELECT SUM(amount) OVER v FROM sale WINDOW v AS (w ORDER BY id), w AS (PARTITION BY region)', 50, /^window v is based on w, which is named after it: name w first$/],
      ['SELECT SUM(amount) OVER v FROM sale WINDOW v AS (nope ORDER BY id)', 50, /^no such window: nope/],
      ['SELECT SUM(amount) OVER v FROM sale WINDOW w AS (), v AS (w), x AS (v)', 69, /^window v is itself based on w: base a window on one written out$/],
      ['SELECT SUM(amount) OVER (w RANGE 5 PRECEDING) FROM sale WINDOW w AS (PARTITION BY region)', 28, /^RANGE with an offset .* it has 0$/],
      ['SELECT 1 FROM sale WINDOW w AS (), W AS ()', 36, /^WINDOW names W twice$/],
    ]
    for (const [sql, column, message] of cases) {
      const e = await rejection(db.query(sql))
      assert.equal([e.code, e.column], ['SYNTAX_ERROR', column], `${sql}: ${e.message}`)
      assert.match(e.message, message, sql)
    }
  })
})

test('FILTER (WHERE …) narrows an aggregate, grouped, over a window, or in a subquery', async () => {
  await withSales(async (db) => {
    const all = await db.query("SELECT COUNT(*) FILTER (WHERE amount > 10) AS big, SUM(amount) FILTER (WHERE region = 'north') AS north, GROUP_CONCAT(id, '-' ORDER BY id DESC) FILTER (WHERE amount IS NOT NULL) AS ids FROM sale")
    assert.equal(all.rows, [[3, 50, '5-4-3-2-1']])
    assert.equal((await db.query('SELECT region, COUNT(*) FILTER (WHERE amount >= 20) AS big FROM sale GROUP BY region ORDER BY region')).rows, [['east', 0], ['north', 2], ['south', 1]])
    const running = await db.query("SELECT id, SUM(amount) FILTER (WHERE region <> 'south') OVER (ORDER BY id) FROM sale ORDER BY id")
    assert.equal(running.rows, [[1, 10], [2, 10], [3, 30], [4, 50], [5, 50], [6, 50]])
    assert.equal((await db.query('SELECT id FROM sale WHERE id IN (SELECT MAX(id) FILTER (WHERE amount < 10) FROM sale)')).rows, [[5]])
    const cases: [string, number, RegExp][] = [
      ['SELECT ROW_NUMBER() FILTER (WHERE id > 1) OVER () FROM sale', 21, /^FILTER applies to aggregates only, not to ROW_NUMBER$/],
      ['SELECT ABS(amount) FILTER (WHERE id > 1) FROM sale', 20, /^FILTER applies to aggregates only, not to ABS$/],
      ['SELECT COUNT(*) FILTER (WHERE SUM(amount) > 1) FROM sale', 31, /^aggregate function SUM is not allowed in FILTER$/],
      ['SELECT COUNT(*) FILTER (id > 1) FROM sale', 25, /^expected WHERE after FILTER \(/],
    ]
    for (const [sql, column, message] of cases) {
      const e = await rejection(db.query(sql))
      assert.equal([e.code, e.column], ['SYNTAX_ERROR', column], `${sql}: ${e.message}`)
      assert.match(e.message, message, sql)
    }
  })
})

test('a logged BEGIN … COMMIT with a window function reads its own writes and survives a reopen', async () => {
  const tmp = tempDir()
  try {
    const db = await open({ dir: tmp.dir })
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER) PARTITIONS 2; INSERT INTO t VALUES (1, 5), (2, 7)')
    const r = await db.sql('BEGIN; INSERT INTO t VALUES (3, 1); UPDATE t SET a = a + 1 WHERE k = 1; SELECT k, SUM(a) OVER (ORDER BY k) FROM t ORDER BY k; COMMIT')
    assert.equal(r[3]?.rows, [[1, 6], [2, 13], [3, 14]])
    await db.close()
    const again = await open({ dir: tmp.dir })
    assert.equal((await again.query('SELECT k, DENSE_RANK() OVER (ORDER BY a) FROM t ORDER BY k')).rows, [[1, 2], [2, 3], [3, 1]])
    await again.close()
  } finally {
    tmp.cleanup()
  }
})

test('misuses are SYNTAX_ERROR at the function, the frame or the word', async () => {
  await withSales(async (db) => {
    const cases: [string, number, RegExp][] = [
      ['SELECT id FROM sale WHERE ROW_NUMBER() OVER () > 1', 27, /^window function ROW_NUMBER … OVER is not allowed here: only in the selected columns and the ORDER BY of a SELECT$/],
      ['SELECT region FROM sale GROUP BY region HAVING RANK() OVER () = 1', 48, /not allowed here/],
      ['SELECT SUM(ROW_NUMBER() OVER ()) FROM sale', 12, /not allowed here/],
      ['SELECT id FROM sale UNION SELECT 1 ORDER BY ROW_NUMBER() OVER ()', 45, /not allowed here/],
      ['SELECT ROW_NUMBER() FROM sale', 8, /^ROW_NUMBER is a window function: it needs OVER, as in ROW_NUMBER\(\) OVER \(ORDER BY …\)$/],
      ['SELECT GROUP_CONCAT(id) OVER () FROM sale', 8, /^GROUP_CONCAT cannot be used with OVER/],
      ['SELECT ABS(id) OVER () FROM sale', 8, /^ABS cannot be used with OVER/],
      ['SELECT SUM(DISTINCT amount) OVER () FROM sale', 12, /^DISTINCT is not allowed in a window function/],
      ['SELECT LAG() OVER (ORDER BY id) FROM sale', 8, /^LAG … OVER takes 1 to 3 arguments, got 0$/],
      ['SELECT SUM(amount) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM sale', 67, /^a frame cannot end \(n PRECEDING\) before it starts \(CURRENT ROW\)$/],
      ['SELECT SUM(amount) OVER (ORDER BY id ROWS UNBOUNDED FOLLOWING) FROM sale', 43, /^a frame cannot start at UNBOUNDED FOLLOWING$/],
      ['SELECT SUM(amount) OVER (ORDER BY id ROWS 1.5 PRECEDING) FROM sale', 43, /^a ROWS frame offset must be a non-negative integer$/],
      ['SELECT SUM(amount) OVER (ORDER BY id, region RANGE 1 PRECEDING) FROM sale', 46, /^RANGE with an offset \(n PRECEDING or FOLLOWING\) needs exactly one ORDER BY term in the window, it has 2$/],
      ['SELECT SUM(amount) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING EXCLUDE TIES) FROM sale', 63, /^EXCLUDE is not supported/],
      ['SELECT COUNT(*) OVER (PARTITION region) FROM sale', 33, /^expected BY after PARTITION/],
    ]
    for (const [sql, column, message] of cases) {
      const e = await rejection(db.query(sql))
      assert.equal([e.code, e.line, e.column], ['SYNTAX_ERROR', 1, column], `${sql}: ${e.message}`)
      assert.match(e.message, message, sql)
    }
    // SQLite's own checks of argument values, at run time.
    assert.match((await rejection(db.query('SELECT NTILE(0) OVER () FROM sale'))).message, /argument of ntile must be a positive integer/)
  })
})

test.run()
