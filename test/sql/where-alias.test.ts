// WHERE (and ON) cannot name a result alias here, as in PostgreSQL (SQLite allows it): the error says so
// and what to write, at the reference, instead of only listing the table's columns.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'

test('a result alias named in WHERE: UNKNOWN_COLUMN at it, saying it is an alias and what to write', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE emp (id INTEGER PRIMARY KEY, salary REAL); INSERT INTO emp VALUES (1, 100.0)')
    const sql = 'SELECT id, salary * 1.1 AS raised FROM emp WHERE raised > 90'
    const err = await rejection(db.sql(sql))
    assert.is(err.code, 'UNKNOWN_COLUMN')
    assert.is(err.message, 'no such column: raised (table emp has id, salary; raised is an alias of the SELECT\'s items, which only ORDER BY, GROUP BY and HAVING can name: repeat its expression here)')
    assert.equal([err.line, err.column], [1, sql.indexOf('raised >') + 1])
    // Where aliases are allowed they still work, and a name that is no alias keeps the plain message.
    assert.equal((await db.query('SELECT id, salary * 1.1 AS raised FROM emp ORDER BY raised')).rows.length, 1)
    assert.is((await rejection(db.sql('SELECT id FROM emp WHERE nope > 1'))).message, 'no such column: nope (table emp has id, salary)')
  } finally {
    await db.close()
  }
})

test('GROUP BY naming an aggregate item, by position or alias: SYNTAX_ERROR at the term (it was CONSTRAINT "query failed", at the table)', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE ik (id INTEGER PRIMARY KEY, n INTEGER, g TEXT); INSERT INTO ik VALUES (1, 5, 'a'), (2, 6, 'a')")
    const cases: [string, string, string][] = [
      ['SELECT id, COUNT(*) FROM ik GROUP BY 2', 'GROUP BY 2', 'GROUP BY 2 names COUNT(*), an aggregate'],
      ['SELECT COUNT(*) AS c FROM ik GROUP BY c', 'GROUP BY c', 'GROUP BY c names an aggregate'],
      ['SELECT g, MAX(n) + 1 FROM ik GROUP BY 1, 2', ', 2', 'GROUP BY 2 names MAX(n) + 1, an aggregate'],
    ]
    for (const [sql, at, message] of cases) {
      const err = await rejection(db.sql(sql))
      assert.is(err.code, 'SYNTAX_ERROR', sql)
      assert.is(err.message, `${message}: groups are made by the rows' columns and expressions (HAVING filters the groups by an aggregate)`, sql)
      assert.equal([err.line, err.column], [1, sql.indexOf(at) + at.length], sql)
    }
    // A column of the table wins over an alias, as in SQLite; positions and aliases of plain items still group.
    assert.equal((await db.query('SELECT COUNT(*) AS n FROM ik GROUP BY n ORDER BY 1')).rows, [[1], [1]])
    assert.equal((await db.query('SELECT g AS x, COUNT(*) FROM ik GROUP BY x')).rows, [['a', 2]])
    assert.equal((await db.query('SELECT g, COUNT(*) FROM ik GROUP BY 1')).rows, [['a', 2]])
  } finally {
    await db.close()
  }
})

test.run()
