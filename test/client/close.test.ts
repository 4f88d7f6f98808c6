// close() with requests in flight (docs/client.md, "Retrying"): a request already sent rejects as outcome
// unknown; one not yet sent rejects with "the client is closed", which no retry can change. The requests
// close() overtook (issued, waiting for their turn to send) rejected as retryable "connection closed before
// the request was sent", so a retry loop tried again on a client its own code had closed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, isOutcomeUnknown } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('requests close() overtakes reject as "the client is closed", not retryable; those sent are outcome unknown', async () => {
  server = await startServer()
  const db = await connect(server.url)
  const requests = Array.from({ length: 50 }, (_, i) => db.query(`SELECT ${i}`))
  for (const r of requests) r.catch(() => {})
  await db.close()
  for (const r of await Promise.allSettled(requests)) {
    if (r.status === 'fulfilled') continue
    const e = r.reason as unknown
    assert.instance(e, AcheronError)
    const err = e as AcheronError
    if (isOutcomeUnknown(err)) continue
    assert.is(err.message, 'the client is closed')
    assert.is(err.code, 'DATABASE_CLOSED')
    assert.not.ok(err.retryable)
  }
  // A request after close() is the same, and a second close() is fine.
  const after = await db.query('SELECT 1').then(() => null, (e: unknown) => e as AcheronError)
  assert.is(after?.code, 'DATABASE_CLOSED')
  assert.is(after?.message, 'the client is closed')
  assert.not.ok(after?.retryable)
  await db.close()
})

test.run()
