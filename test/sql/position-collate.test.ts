// `ORDER BY 1 COLLATE NOCASE` and `GROUP BY 1 COLLATE NOCASE` name the first result column, sorted or
// grouped by that collation, as in SQLite (which looks through the COLLATE for a position) and as a
// compound's ORDER BY already read them. Found by the differential property: the position was taken for
// the constant 1, so the rows came in the order the partitions were read and nothing was grouped.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import Database from 'better-sqlite3'
import { open, type EmbeddedDatabase } from '../../src/index.js'

const ROWS = "INSERT INTO t VALUES (1, 'b'), (2, 'A'), (3, 'a'), (4, 'C'), (5, 'B'), (6, 'c')"

async function withBoth(run: (db: EmbeddedDatabase, lite: Database.Database) => Promise<void>): Promise<void> {
  const db = await open({ memory: true, partitions: 3 })
  const lite = new Database(':memory:')
  try {
    await db.sql(`CREATE TABLE t (k INTEGER PRIMARY KEY, b TEXT) PARTITIONS 3; ${ROWS}`)
    lite.exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, b TEXT) STRICT, WITHOUT ROWID; ${ROWS}`)
    await run(db, lite)
  } finally {
    lite.close()
    await db.close()
  }
}

const sqlite = (lite: Database.Database, sql: string): unknown[][] => lite.prepare(sql).raw(true).all() as unknown[][]

test('ORDER BY a position with COLLATE sorts that column by the collation, as SQLite does', async () => {
  await withBoth(async (db, lite) => {
    for (const sql of ['SELECT b, k FROM t ORDER BY 1 COLLATE NOCASE, 2', 'SELECT b, k FROM t ORDER BY 1 COLLATE NOCASE DESC, k DESC',
      'SELECT k, b FROM t ORDER BY 2 COLLATE BINARY, 1', 'SELECT k, b FROM t WHERE k > 1 ORDER BY 2 COLLATE NOCASE, 1 LIMIT 3']) {
      assert.equal((await db.query(sql)).rows, sqlite(lite, sql), sql)
    }
    assert.equal((await db.query('SELECT b FROM t ORDER BY 1 COLLATE NOCASE, k')).rows, [['A'], ['a'], ['b'], ['B'], ['C'], ['c']])
  })
})

test('GROUP BY a position with COLLATE groups that column by the collation, as SQLite does', async () => {
  await withBoth(async (db, lite) => {
    const sql = 'SELECT LOWER(b), COUNT(*), MIN(k) FROM t GROUP BY 1 COLLATE NOCASE ORDER BY 1'
    assert.equal((await db.query(sql)).rows, sqlite(lite, sql))
    assert.equal((await db.query(sql)).rows, [['a', 2, 2], ['b', 2, 1], ['c', 2, 4]])
    // A position out of range, or naming an aggregate, is refused through the COLLATE too.
    for (const bad of ['SELECT b FROM t ORDER BY 2 COLLATE NOCASE', 'SELECT b, COUNT(*) FROM t GROUP BY 2 COLLATE NOCASE']) {
      const e = await db.query(bad).then(() => null, (x: unknown) => x as { code: string })
      assert.is(e?.code, 'SYNTAX_ERROR', bad)
    }
  })
})

test.run()
