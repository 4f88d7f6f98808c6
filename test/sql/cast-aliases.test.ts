// CAST takes the type names CREATE TABLE takes as aliases: CAST(x AS BIGINT) is an INTEGER, as a BIGINT
// column is one (it was a SYNTAX_ERROR, where a PostgreSQL or SQLite user writes it by habit).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'

test('CAST(x AS BIGINT | INT) is INTEGER and CAST(x AS DOUBLE | FLOAT) is REAL', async () => {
  const db = await open({ memory: true })
  try {
    const r = await db.query("SELECT CAST('7' AS BIGINT), typeof(CAST('7' AS bigint)), CAST(2.9 AS INT), CAST('1.5' AS DOUBLE), typeof(CAST(1 AS FLOAT))")
    assert.equal(r.rows, [[7, 'integer', 2, 1.5, 'real']])
  } finally {
    await db.close()
  }
})

test.run()
