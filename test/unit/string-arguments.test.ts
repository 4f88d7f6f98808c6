// What the SDK takes as a string (SQL text, a function name) may come from JavaScript as anything. Given
// something else it is TYPE_MISMATCH at once, embedded and remote alike. Before, embedded, db.call(5, 1)
// never settled and every later transaction of that database waited for ever with it; db.sql(5) and
// db.query() failed with a TypeError from inside the lexer ("src.charCodeAt is not a function").
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open, type Database } from '../../src/index.js'
import { startServer, tempDir } from '../support/server-process.js'

const WAIT_MS = 5_000

/** The message of the TYPE_MISMATCH `p` rejects with, within WAIT_MS (a promise that never settles fails). */
async function mismatch(p: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`not settled within ${WAIT_MS} ms`)), WAIT_MS) })
  try {
    await Promise.race([p, late])
  } catch (e) {
    if (!(e instanceof AcheronError)) throw e
    assert.is(e.code, 'TYPE_MISMATCH', e.message)
    return e.message
  } finally {
    clearTimeout(timer)
  }
  throw new Error('accepted')
}

async function check(db: Database): Promise<void> {
  const anyDb = db as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
  const call = (...a: unknown[]) => (anyDb.call as (...a: unknown[]) => Promise<unknown>).apply(db, a)
  const withLogs = (...a: unknown[]) => (anyDb.callWithLogs as (...a: unknown[]) => Promise<unknown>).apply(db, a)
  const sql = (...a: unknown[]) => (anyDb.sql as (...a: unknown[]) => Promise<unknown>).apply(db, a)
  const query = (...a: unknown[]) => (anyDb.query as (...a: unknown[]) => Promise<unknown>).apply(db, a)
  assert.is(await mismatch(call(5, 1)), 'the function name ("table.function") is a string, got number 5')
  assert.is(await mismatch(withLogs(null, 1)), 'the function name ("table.function") is a string, got null')
  assert.is(await mismatch(sql(5)), 'the SQL script is a string, got number 5')
  assert.is(await mismatch(sql(['SELECT 1'])), 'the SQL script is a string, got an array')
  assert.is(await mismatch(query()), 'the SQL of query() is a string, got undefined')
  // The database goes on: nothing was sequenced, nothing waits.
  await db.sql('INSERT INTO t VALUES (1, 1)')
  assert.equal((await db.query('SELECT v FROM t')).rows, [[1]])
}

test('embedded: not a string is TYPE_MISMATCH, and the engine goes on', async () => {
  const db = await open({ memory: true, partitions: 1 })
  try {
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)')
    await check(db)
    const create = (db as unknown as { createFunction: (...a: unknown[]) => Promise<unknown> }).createFunction.bind(db)
    assert.is(await mismatch(create(5, new Uint8Array(8))), 'the function name ("table.function") is a string, got number 5')
  } finally {
    await db.close()
  }
})

test('remote: the same, before anything is sent', async () => {
  const data = tempDir()
  const server = await startServer({ dataDir: data.dir })
  try {
    const db = await connect(server.url)
    try {
      await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)')
      await check(db)
    } finally {
      await db.close()
    }
  } finally {
    await server.kill()
    data.cleanup()
  }
})

test.run()
