// A request frame over the server's payloadBytesMax (16 MiB; docs/operations.md, "Server and connections").
// Up to 1 MiB over, the server answers PAYLOAD_TOO_LARGE with the request's id: it did not run, and the
// connection stays. Beyond that ws closes the connection (1009) without reading the frame; the requests
// in flight on it reject as outcome unknown (those sent before it may have run), and the SDK said only
// "connection lost (1009)": the message now says the server closed it over a frame's size.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, isOutcomeUnknown } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'
import { rejection } from '../support/rejection.js'

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('PAYLOAD_TOO_LARGE just over the limit; far over it, the lost connection says the frame was too large', async () => {
  server = await startServer()
  const db = await connect(server.url)
  try {
    await db.sql('CREATE TABLE doc (k TEXT PRIMARY KEY, v TEXT) PARTITIONS 1')
    const over = await rejection(db.sql('INSERT INTO doc VALUES (?, ?)', ['a', 'x'.repeat(16 * 1024 * 1024 + 100)]))
    assert.is(over.code, 'PAYLOAD_TOO_LARGE')
    assert.not.ok(isOutcomeUnknown(over))
    assert.is(db.connections, 1)
    const far = await rejection(db.sql('INSERT INTO doc VALUES (?, ?)', ['b', 'x'.repeat(18 * 1024 * 1024)]))
    assert.ok(isOutcomeUnknown(far))
    assert.match(far.message, /1009/)
    assert.match(far.message, /frame over the server's size limit \(payloadBytesMax/)
    assert.equal((await db.query('SELECT COUNT(*) FROM doc')).rows, [[0]])
  } finally {
    await db.close()
  }
})

test('a request too long to encode fails as PAYLOAD_TOO_LARGE, unsent, and leaves nothing in flight', async () => {
  server ??= await startServer()
  const db = await connect(server.url)
  try {
    // Each '"' is two characters of JSON: past the longest string Node can make (about 2^29).
    const huge = '"'.repeat(2 ** 28 + 2 ** 20)
    const e = await rejection(db.query('SELECT ?', [huge]))
    assert.is(e.code, 'PAYLOAD_TOO_LARGE')
    assert.match(e.message, /it was not sent/)
    assert.not.ok(isOutcomeUnknown(e))
    assert.is(db.inFlight, 0)
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
  } finally {
    await db.close()
  }
})

test.run()
