// query() of an INSERT, UPDATE or DELETE … RETURNING: the result has the rows it changed (`rowsAffected`),
// as sql()'s result and the wire's R always had; query() used to keep only columns, rows and commit.
// Embedded and against a real `acheron serve`; a SELECT's is 0.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, open, type Database } from '../../src/index.js'
import { startServer } from '../support/server-process.js'

async function scenario(db: Database, what: string): Promise<void> {
  await db.sql('CREATE TABLE q (id INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) PARTITIONS 2')
  const inserted = await db.query('INSERT INTO q VALUES (1, 10), (2, 20), (3, 30) RETURNING id')
  assert.is(inserted.rowsAffected, 3, what)
  assert.equal(inserted.rows, [[1], [2], [3]], what)
  const updated = await db.query('UPDATE q SET v = v + 1 WHERE id > 1 RETURNING v')
  assert.is(updated.rowsAffected, 2, what)
  const deleted = await db.query('DELETE FROM q WHERE id = 1 RETURNING id')
  assert.is(deleted.rowsAffected, 1, what)
  assert.is((await db.query('SELECT * FROM q')).rowsAffected, 0, what)
}

test('embedded: query() of INSERT, UPDATE, DELETE … RETURNING has rowsAffected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-query-affected-'))
  const db = await open({ dir, partitions: 2, workers: 0 })
  try {
    await scenario(db, 'embedded')
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('remote: the same over the wire', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  try {
    const db = await connect(server.url)
    try {
      await scenario(db, 'remote')
    } finally {
      await db.close()
    }
  } finally {
    await server.kill()
  }
})

test.run()
