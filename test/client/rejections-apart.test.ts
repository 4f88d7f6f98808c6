// The requests a close fails (the client's close(), the server's close of the connection) each get an
// error of their own. They were all rejected with one AcheronError instance, so what a caller added to the
// rejection of one request (its message prefixed with the request's name, a field) showed on every other.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer, type WebSocket } from 'ws'
import type { AddressInfo } from 'node:net'
import { AcheronError, connect, isOutcomeUnknown } from '../../src/index.js'

/**
 * A server that answers the SDK's auth frame and nothing else; `received(n)` resolves once n other
 * frames came in, on the connection it gives.
 */
async function silentServer(): Promise<{ url: string; received: (n: number) => Promise<WebSocket>; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const waiters: { n: number; resolve: (ws: WebSocket) => void }[] = []
  let count = 0
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id: number; op: string }
      if (m.op === 'auth') return ws.send(JSON.stringify({ id: m.id, ok: true, results: [] }))
      count++
      for (const w of waiters.filter((x) => x.n <= count)) w.resolve(ws)
    })
  })
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    received: (n) => new Promise((resolve) => { waiters.push({ n: count + n, resolve }) }),
    close: () => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()) }),
  }
}

const failure = (p: Promise<unknown>): Promise<AcheronError> => p.then(() => { throw new Error('resolved') }, (e: unknown) => e as AcheronError)

test("the requests the client's close() fails get an error each", async () => {
  const server = await silentServer()
  try {
    const db = await connect(server.url, { requestTimeoutMs: 0 })
    const sent = server.received(2)
    const a = failure(db.sql('SELECT 1'))
    const b = failure(db.call('t.f', 'k'))
    await sent
    await db.close()
    const [ea, eb] = await Promise.all([a, b])
    assert.ok(isOutcomeUnknown(ea) && isOutcomeUnknown(eb))
    assert.equal([ea.code, ea.message], [eb.code, eb.message])
    assert.is.not(ea, eb, 'one instance for both')
  } finally {
    await server.close()
  }
})

test("the requests the server's close fails get an error each", async () => {
  const server = await silentServer()
  try {
    const db = await connect(server.url, { requestTimeoutMs: 0 })
    const sent = server.received(2)
    const a = failure(db.sql('SELECT 1'))
    const b = failure(db.sql('SELECT 2'))
    ;(await sent).close(1011, 'gone')
    const [ea, eb] = await Promise.all([a, b])
    assert.ok(isOutcomeUnknown(ea) && isOutcomeUnknown(eb))
    assert.equal(ea.message, eb.message)
    assert.is.not(ea, eb, 'one instance for both')
    await db.close()
  } finally {
    await server.close()
  }
})

test('a refusal before the close: each request gets a copy, code and words kept', async () => {
  const server = await silentServer()
  try {
    const db = await connect(server.url, { requestTimeoutMs: 0 })
    const sent = server.received(2)
    const a = failure(db.sql('SELECT 1'))
    const b = failure(db.sql('SELECT 2'))
    const ws = await sent
    ws.send(JSON.stringify({ id: null, ok: false, error: { code: 'OVERLOADED', message: 'at most 1 connections; retry later', retryable: true } }))
    ws.close(1013, 'OVERLOADED')
    const [ea, eb] = await Promise.all([a, b])
    assert.equal([ea.code, ea.message, ea.retryable, ea.outcomeUnknown], ['OVERLOADED', 'at most 1 connections; retry later', true, undefined])
    assert.equal([eb.code, eb.message, eb.retryable], [ea.code, ea.message, ea.retryable])
    assert.is.not(ea, eb, 'one instance for both')
    await db.close()
  } finally {
    await server.close()
  }
})

test.run()
