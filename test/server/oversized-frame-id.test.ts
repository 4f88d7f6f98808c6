// PAYLOAD_TOO_LARGE kept a frame's id only when the frame started with it ({"id":n, as the SDK writes
// it): a client whose JSON puts "id" elsewhere (Python's json.dumps keeps a dict's order, {"op": …,
// "id": 7}) got id null, matched the refusal to none of its requests, and each waited for its timeout.
// docs/protocol.md: an error reply carries the id whenever the frame was JSON with a numeric id, frames
// refused for their size included.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, WsClient } from '../support/server-process.js'

test('an oversized frame whose id is not its first field is refused with that id', async () => {
  const server = await startServer({ env: { ACHERON_PAYLOAD_BYTES_MAX: '4096' } })
  const client = await WsClient.connect(server.url)
  try {
    const isError = (m: unknown): boolean => (m as { ok?: unknown }).ok === false
    client.sendRaw(JSON.stringify({ op: 'sql', sql: 'SELECT ?', params: ['z'.repeat(6000)], id: 7 }))
    const first = await client.waitFor(isError)
    assert.equal(first, { id: 7, ok: false, error: { code: 'PAYLOAD_TOO_LARGE', message: 'a frame is at most 4096 bytes, got 6050' } })
    // An oversized frame that is not JSON has no id to carry.
    client.sendRaw(`{"op": "sql", "id": 8, ${'x'.repeat(6000)}`)
    const second = await client.waitFor((m) => isError(m) && m !== first)
    assert.equal(second, { id: null, ok: false, error: { code: 'PAYLOAD_TOO_LARGE', message: 'a frame is at most 4096 bytes, got 6023' } })
    assert.equal((await client.sql('SELECT 1')).ok, true)
  } finally {
    client.terminate()
    await server.stop()
  }
})

test.run()
