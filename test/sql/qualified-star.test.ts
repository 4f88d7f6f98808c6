// `t.*` in a select list: every column of the table read, under its name or its alias (it was a
// SYNTAX_ERROR, where SQLite and PostgreSQL take it); another name is UNKNOWN_TABLE at the name.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'

test('t.* selects every column of the table, by its name or alias, beside other items', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE g (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO g VALUES (1, 'a'), (2, 'b')")
    const all = await db.query('SELECT g.* FROM g ORDER BY id')
    assert.equal([all.columns, all.rows], [['id', 'name'], [[1, 'a'], [2, 'b']]])
    const aliased = await db.query('SELECT x.*, id * 10 AS ten FROM g AS x WHERE x.id = 2')
    assert.equal([aliased.columns, aliased.rows], [['id', 'name', 'ten'], [[2, 'b', 20]]])
    const upper = await db.query('SELECT G.* FROM g WHERE id = 1')
    assert.equal(upper.rows, [[1, 'a']])
    const e = await db.sql('SELECT id,\n  h.* FROM g').then(() => null, (err: unknown) => err)
    assert.instance(e, AcheronError)
    assert.equal([(e as AcheronError).code, (e as AcheronError).line, (e as AcheronError).column], ['UNKNOWN_TABLE', 2, 3])
    assert.match((e as AcheronError).message, /^no such table: h \(this SELECT reads g\)$/)
    const noFrom = await db.sql('SELECT g.*').then(() => null, (err: unknown) => err)
    assert.is((noFrom as AcheronError).code, 'SYNTAX_ERROR')
  } finally {
    await db.close()
  }
})

test.run()
