// Table names SQLite or the engine reserve are refused up front, with a clear error, never INTERNAL.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

const fail = (p: Promise<unknown>): Promise<AcheronError> => p.then(() => { throw new Error('expected a failure') }, (e: unknown) => e as AcheronError)

test('CREATE TABLE sqlite_x / _acheron_x is a SYNTAX_ERROR at the name, in SQL and in the engine API', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 1 })
  try {
    for (const name of ['sqlite_x', 'SQLite_Stat1', '_acheron_meta', '_ACHERON']) {
      const e = await fail(db.sql(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY)`))
      assert.is(e.code, 'SYNTAX_ERROR', name)
      assert.match(e.message, /reserved/)
      assert.is(e.column, 14, 'the error points at the name')
      const e2 = await fail(db.createTable({ name, columns: [{ name: 'id', type: 'INTEGER', primaryKey: true }] }))
      assert.is(e2.code, 'SYNTAX_ERROR', `${name} through createTable`)
      assert.match(e2.message, /reserved/)
    }
    // The engine goes on: names that merely contain the words are fine.
    await db.sql('CREATE TABLE my_sqlite_x (id INTEGER PRIMARY KEY); INSERT INTO my_sqlite_x VALUES (1);')
    assert.equal((await db.query('SELECT COUNT(*) AS n FROM my_sqlite_x')).rows, [[1]])
  } finally {
    await db.close()
    cleanup()
  }
})

test.run()
