// A binary frame is refused (frames are JSON text), but its reply had id null even when the frame was JSON
// with a numeric id: a client whose WebSocket library sends bytes as binary frames could match the refusal
// to none of its requests, which each waited for its timeout. docs/protocol.md: an error reply carries the
// request's id whenever the frame was JSON with a numeric id.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, WsClient } from '../support/server-process.js'

test('a binary frame is refused with its id; the connection goes on', async () => {
  const server = await startServer()
  const client = await WsClient.connect(server.url)
  try {
    const isError = (m: unknown): boolean => (m as { ok?: unknown }).ok === false
    client.sendRaw(Buffer.from('{"id":7,"op":"sql","sql":"SELECT 1"}'))
    const first = await client.waitFor(isError)
    assert.equal(first, { id: 7, ok: false, error: { code: 'SYNTAX_ERROR', message: 'frames are JSON text, not binary: send each request as a text frame' } })
    // Not JSON, or no numeric id: nothing to carry.
    client.sendRaw(Buffer.from([0xff, 0x00, 0x7b]))
    const second = await client.waitFor((m) => isError(m) && m !== first)
    assert.equal((second as { id: unknown }).id, null)
    assert.equal((await client.sql('SELECT 1')).ok, true)
  } finally {
    client.terminate()
    await server.stop()
  }
})

test.run()
