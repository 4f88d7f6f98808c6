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

test.run()
