// The Authorization header's scheme name is case-insensitive, and one or more spaces separate it from the
// token (RFC 7235, 2.1). `bearer T` (as some HTTP clients write it) or `Bearer  T` with the right token
// was refused as "wrong token" (UNAUTHORIZED, close 1008) at the WebSocket upgrade, and 401 at /stats.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, WsClient } from '../support/server-process.js'

test('bearer, BEARER and Bearer with two spaces authenticate, at the upgrade and at /stats', async () => {
  const server = await startServer({ args: ['--admin-token', 'secret', '--app-token', 'apptok'] })
  try {
    for (const [authorization, ddl] of [['bearer secret', true], ['BEARER secret', true], ['Bearer  secret', true], ['bearer apptok', false]] as const) {
      const client = await WsClient.connect(server.url, { headers: { authorization } })
      try {
        const r = await client.sql('CREATE TABLE IF NOT EXISTS kv (id TEXT PRIMARY KEY)')
        assert.equal(r.ok ? 'ok' : r.error.code, ddl ? 'ok' : 'FORBIDDEN', authorization)
      } finally {
        client.terminate()
      }
      const stats = await fetch(`http://127.0.0.1:${server.port}/stats`, { headers: { authorization } })
      assert.is(stats.status, 200, `/stats with ${authorization}`)
    }
    // Another scheme, or a wrong token, is still refused.
    for (const authorization of ['Basic c2VjcmV0', 'bearer nope', 'bearersecret']) {
      const client = await WsClient.connect(server.url, { headers: { authorization } })
      const [first] = await Promise.all([client.waitFor(() => true), client.closed])
      assert.equal(first, { id: null, ok: false, error: { code: 'UNAUTHORIZED', message: 'wrong token' } }, authorization)
      assert.is(client.closeInfo?.code, 1008)
      assert.is((await fetch(`http://127.0.0.1:${server.port}/stats`, { headers: { authorization } })).status, 401)
    }
  } finally {
    await server.stop()
  }
})

test.run()
