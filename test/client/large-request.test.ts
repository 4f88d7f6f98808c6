// A request frame over the server's payloadBytesMax (16 MiB; docs/operations.md, "Server and connections").
// The server says its limit on the WebSocket upgrade (PAYLOAD_BYTES_MAX_HEADER), and the SDK refuses a
// longer request itself: PAYLOAD_TOO_LARGE, unsent, the connection and the requests in flight beside it
// untouched. Before, a frame more than 1 MiB over reached the server, which closed the connection (1009)
// without reading it, and every request in flight on that connection rejected as outcome unknown.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, isOutcomeUnknown } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'
import { rejection } from '../support/rejection.js'

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('a request over the limit, just or far, fails alone as PAYLOAD_TOO_LARGE, unsent; the requests in flight beside it commit', async () => {
  server = await startServer()
  const db = await connect(server.url)
  try {
    await db.sql('CREATE TABLE doc (k TEXT PRIMARY KEY, v TEXT) PARTITIONS 1')
    for (const [name, chars] of [['just over', 16 * 1024 * 1024 + 100], ['far over', 18 * 1024 * 1024]] as const) {
      const beside = Array.from({ length: 20 }, (_, i) => db.sql('INSERT INTO doc VALUES (?, ?)', [`${name} ${i}`, 'small']))
      const big = rejection(db.sql('INSERT INTO doc VALUES (?, ?)', [`${name} big`, 'x'.repeat(chars)]))
      const after = Array.from({ length: 20 }, (_, i) => db.sql('INSERT INTO doc VALUES (?, ?)', [`${name} after ${i}`, 'small']))
      const settled = await Promise.allSettled([...beside, ...after])
      const e = await big
      assert.is(e.code, 'PAYLOAD_TOO_LARGE', `${name}: ${e.message}`)
      assert.not.ok(isOutcomeUnknown(e), name)
      assert.match(e.message, /at most 16777216 bytes on this server \(payloadBytesMax\), this one is \d+: it was not sent/)
      assert.equal(settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], name)
    }
    assert.is(db.connections, 1, 'no connection was lost')
    assert.equal((await db.query('SELECT COUNT(*) FROM doc')).rows, [[80]])
    assert.equal((await db.query("SELECT COUNT(*) FROM doc WHERE k LIKE '%big'")).rows, [[0]])
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
