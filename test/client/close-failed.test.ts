// A close() that failed (the batch log or the last checkpoint could not be closed: a disk gone) left the
// database refusing every request with the engine's SHUTTING_DOWN, retryable, for ever: a loop retrying on
// `retryable` (docs/client.md, "Retrying") spun, and nothing said the close had failed. The database is
// closed after such a close too: requests get DATABASE_CLOSED, not retryable, naming the failure; close()
// rejects with INTERNAL (not retryable, the failure as its cause), and so does every later close(): the
// close did not succeed, and the data directory stays held until the process exits.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { failingClose } from '../support/failing-close.js'

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  const e = await p.then(() => null, (err: unknown) => err)
  assert.instance(e, AcheronError)
  return e as AcheronError
}

test('after a close() that failed: requests are DATABASE_CLOSED (not retryable), close() keeps saying it failed', async () => {
  const db = await open({ memory: true, wrapBatchLog: failingClose })
  await db.sql('CREATE TABLE kv (id TEXT PRIMARY KEY, v INTEGER)')
  const closing = await failure(db.close())
  assert.equal([closing.code, closing.retryable], ['INTERNAL', undefined])
  assert.match(closing.message, /^close\(\) failed: the disk went away; the database is closed, but its data directory stays held until this process exits/)
  assert.equal(((closing as Error & { cause?: unknown }).cause as Error | undefined)?.message, 'the disk went away')
  const expected = 'the database was closed, and its close() failed (the disk went away): its data directory can be opened again once this process exits'
  for (const request of [db.sql('SELECT 1'), db.query('SELECT 1'), db.call('kv.f', 'k'), db.callWithLogs('kv.f', 'k'), db.sql("INSERT INTO kv VALUES ('a', 1)")]) {
    const e = await failure(request)
    assert.equal([e.code, e.message, e.retryable, e.outcomeUnknown], ['DATABASE_CLOSED', expected, undefined, undefined])
  }
  const again = await failure(db.close())
  assert.equal([again.code, again.message], [closing.code, closing.message], 'a later close() says the same')
})

test('a close() that succeeded: DATABASE_CLOSED with its usual words', async () => {
  const db = await open({ memory: true })
  await db.close()
  const e = await failure(db.sql('SELECT 1'))
  assert.equal([e.code, e.message], ['DATABASE_CLOSED', 'the database was closed: open() it again to use it'])
})

test.run()
