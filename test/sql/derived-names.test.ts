// A subquery's column without an alias is named by its expression's text as written, as SQLite names it
// (PostgreSQL says ?column?): `SELECT * FROM (SELECT k+1 FROM t)` has a column "k+1". Such a name is no
// identifier, so the query around it reads it by * alone; naming it ("k+1") said only that the name was
// invalid, not how to reach the column.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import Database from 'better-sqlite3'
import { open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'

test('a derived column is named as SQLite names it: its alias, its column, else its text as written', async () => {
  const db = await open({ memory: true })
  const lite = new Database(':memory:')
  try {
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')")
    lite.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')")
    for (const sql of ['SELECT * FROM (SELECT k+1, k  *  2, v, t.k AS n, UPPER(v) FROM t)', 'SELECT * FROM (SELECT COUNT(*), MAX(k) FROM t)', 'SELECT * FROM (SELECT (k) FROM t)']) {
      const ours = await db.query(sql)
      assert.equal(ours.columns, lite.prepare(sql).columns().map((c) => c.name), sql)
    }
    assert.equal((await db.query('SELECT n FROM (SELECT k + 1 AS n FROM t)')).rows, [[2]])
  } finally {
    lite.close()
    await db.close()
  }
})

test('naming such a column says to give it an alias', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    const quoted = await rejection(db.query('SELECT "k+1" FROM (SELECT k+1 FROM t)'))
    assert.equal([quoted.code, quoted.column], ['SYNTAX_ERROR', 8])
    assert.is(quoted.message, `invalid column name 'k+1': use letters, digits and _ (at most 64), not starting with a digit; a column named by its expression's text (SELECT k+1 …) is read by * alone: give it an alias in its SELECT (k+1 AS name)`)
    // Where a name is declared, not read, a name that is no identifier is only that.
    const renamed = await rejection(db.sql('ALTER TABLE t RENAME COLUMN k TO "k+1"'))
    assert.is(renamed.message, "invalid column name 'k+1': use letters, digits and _ (at most 64), not starting with a digit")
    const unknown = await rejection(db.query('SELECT k FROM (SELECT k+1 FROM t)'))
    assert.equal([unknown.code, unknown.message], ['UNKNOWN_COLUMN', 'no such column: k (table (subquery) has k+1; a column named by its expression\'s text is read by * alone: give it an alias in its SELECT, k+1 AS name)'])
  } finally {
    await db.close()
  }
})

test.run()
