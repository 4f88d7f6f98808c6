// OVERLOADED past an in-flight limit says which limit and its number: per connection (the client's own
// pipelining: await some replies) or over the whole server. Before, both were "too many requests in
// flight; retry later". Requests are held in flight by a forward that never answers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open, type RemoteDatabase } from '../../src/index.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'

async function refusal(p: Promise<unknown>): Promise<AcheronError> {
  const e = await p.then(() => null, (err: unknown) => err)
  assert.instance(e, AcheronError)
  assert.is((e as AcheronError).code, 'OVERLOADED')
  assert.is((e as AcheronError).retryable, true)
  return e as AcheronError
}

test('the per-connection and the server-wide in-flight limits are told apart', async () => {
  const db = await open({ memory: true })
  const limits = { ...DEFAULT_SERVER_LIMITS, inFlightPerConnectionMax: 2, inFlightTotalMax: 3 }
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits, log: () => {} })
  const clients: RemoteDatabase[] = []
  try {
    const a = await connect(server.url, { requestTimeoutMs: 0 })
    const b = await connect(server.url, { requestTimeoutMs: 0 })
    clients.push(a, b)
    server.setForward({ forward: () => new Promise<string>(() => {}) })
    const held = [a.sql('SELECT 1'), a.sql('SELECT 2')].map((p) => p.catch(() => null))
    await new Promise((r) => setTimeout(r, 200))
    const own = await refusal(a.sql('SELECT 3'))
    assert.is(own.message, 'too many requests in flight: 2 requests are in flight on this connection (its limit): await replies before sending more; retry later')
    const held3 = b.sql('SELECT 4').catch(() => null)
    await new Promise((r) => setTimeout(r, 200))
    const all = await refusal(b.sql('SELECT 5'))
    assert.is(all.message, 'too many requests in flight: 3 requests are in flight on this server (its limit over all connections); retry later')
    void held
    void held3
  } finally {
    for (const c of clients) await c.close()
    await server.close()
    await db.close()
  }
})

test.run()
