// A field an "sql" or "call" request does not have was ignored: a hand-written frame with "arg" for "args"
// ran the function with no arguments, one with "param" for "params" ran the script without them, and "log"
// for "logs" answered without the lines, each as if nothing were wrong. Such a frame is SYNTAX_ERROR now,
// naming the field and the request's fields; nothing of it runs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, WsClient } from '../support/server-process.js'

test('a field a request does not have is SYNTAX_ERROR, nothing runs; the connection goes on', async () => {
  const server = await startServer()
  const client = await WsClient.connect(server.url)
  try {
    assert.equal((await client.sql('CREATE TABLE kv (id TEXT PRIMARY KEY, v INTEGER)')).ok, true)
    const refused = [
      [{ op: 'sql', sql: "INSERT INTO kv VALUES ('a', 1)", param: [] }, 'a "sql" request has no field "param" (its fields are "id", "op", "sql", "params")'],
      [{ op: 'call', fn: 'kv.f', key: 'a', arg: [5] }, 'a "call" request has no field "arg" (its fields are "id", "op", "fn", "key", "args", "logs")'],
      [{ op: 'call', fn: 'kv.f', key: 'a', args: [], log: true }, 'a "call" request has no field "log" (its fields are "id", "op", "fn", "key", "args", "logs")'],
    ] as const
    for (const [body, message] of refused) {
      const r = await client.request(body)
      assert.equal(r, { id: (r as { id: number }).id, ok: false, error: { code: 'SYNTAX_ERROR', message } }, JSON.stringify(body))
    }
    assert.equal((await client.ok('SELECT count(*) FROM kv'))[0]?.rows, [[0]], 'the INSERT did not run')
    // The fields a request has, all of them, are taken.
    assert.equal((await client.request({ op: 'sql', sql: 'SELECT ?', params: [1] })).ok, true)
    assert.equal((await client.request({ op: 'call', fn: 'kv.nope', key: 'a', args: [], logs: true })).ok, false)
  } finally {
    client.terminate()
    await server.stop()
  }
})

test.run()
