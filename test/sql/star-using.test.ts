// `t.*` of a table left of a RIGHT or FULL JOIN lists a column a later USING (or NATURAL) joined as the
// joined value, as SQLite expands it (select.c, selectExpander: such a column is written unqualified),
// so a row the right side alone gave has its key there, not NULL. It listed t's own column. Found by
// differential probes against SQLite.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import Database from 'better-sqlite3'
import { open } from '../../src/index.js'

const DDL = 'CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER); CREATE TABLE u (id INTEGER PRIMARY KEY, tk INTEGER, v TEXT)'
const ROWS = "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30); INSERT INTO u VALUES (0, 1, 'p'), (1, NULL, 'q'), (2, 3, 'r'), (3, 9, 's')"

test('t.* and x.* of RIGHT, FULL, LEFT and NATURAL joins with USING give what SQLite gives', async () => {
  const db = await open({ memory: true, partitions: 3 })
  const lite = new Database(':memory:')
  try {
    await db.sql(`${DDL.replace(/\)(;|$)/g, ') PARTITIONS 3$1')}; ${ROWS}`)
    lite.exec(`${DDL.replace(/\)(;|$)/g, ') STRICT, WITHOUT ROWID$1')}; ${ROWS}`)
    const x = '(SELECT tk AS k, v FROM u) AS x'
    for (const sql of [
      `SELECT t.*, x.* FROM t FULL JOIN ${x} USING (k) ORDER BY 1, 4`,
      `SELECT t.* FROM t RIGHT JOIN ${x} USING (k) ORDER BY 1, 2`,
      `SELECT x.*, t.* FROM t NATURAL FULL JOIN ${x} ORDER BY 1, 2`,
      `SELECT t.*, v FROM t LEFT JOIN ${x} USING (k) ORDER BY 1`,
      `SELECT p.*, q.* FROM (SELECT k, a FROM t) AS p JOIN (SELECT tk AS k, id FROM u) AS q USING (k) RIGHT JOIN (SELECT id AS k FROM u) AS r USING (k) ORDER BY 1, 3, 4`,
    ]) {
      assert.equal((await db.query(sql)).rows, lite.prepare(sql).raw(true).all(), sql)
    }
    assert.equal((await db.query(`SELECT t.* FROM t FULL JOIN ${x} USING (k) WHERE t.a IS NULL ORDER BY 1`)).rows, [[null, null], [9, null]])
  } finally {
    lite.close()
    await db.close()
  }
})

test.run()
