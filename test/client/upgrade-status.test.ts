// connect() against something that answers the WebSocket upgrade with another HTTP status than 101 (a
// proxy, another web server, a server shutting down): a 4xx would come again at every attempt and is final
// at once, with what it means; a 5xx (or 408, 429) may pass and is tried again. Before, every status was a
// retryable INTERNAL, so a wrong URL was tried attemptsMax times before connect() said so.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect } from '../../src/index.js'

/** An HTTP server answering every request, upgrades included, with `status`; counts the upgrade attempts. */
async function answering(status: number): Promise<{ url: string; upgrades: () => number; close: () => Promise<void> }> {
  let upgrades = 0
  const server: Server = createServer((_req, res) => { res.writeHead(status).end() })
  server.on('upgrade', (_req, socket) => {
    upgrades++
    socket.end(`HTTP/1.1 ${status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `ws://127.0.0.1:${port}`, upgrades: () => upgrades, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

async function refusal(url: string): Promise<AcheronError> {
  const e = await connect(url, { reconnect: { attemptsMax: 3, delayMs: 10 } }).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
  assert.instance(e, AcheronError)
  return e as AcheronError
}

for (const [status, code, says] of [
  [404, 'INTERNAL', /answered the WebSocket upgrade with HTTP 404: not an acheron server's answer .*check the URL's host and port/],
  [400, 'INTERNAL', /HTTP 400: not an acheron server's answer/],
  [401, 'UNAUTHORIZED', /HTTP 401: something before the server \(a proxy\) asks for credentials of its own/],
  [403, 'FORBIDDEN', /HTTP 403: refused there/],
] as const) {
  test(`HTTP ${status} to the upgrade: ${code}, not retryable, after one attempt`, async () => {
    const s = await answering(status)
    try {
      const e = await refusal(s.url)
      assert.is(e.code, code)
      assert.match(e.message, says)
      assert.is(e.retryable === true, false, 'not retryable')
      assert.is(s.upgrades(), 1, 'tried once')
    } finally {
      await s.close()
    }
  })
}

for (const status of [502, 503, 429]) {
  test(`HTTP ${status} to the upgrade: tried again up to attemptsMax, then a retryable INTERNAL saying so`, async () => {
    const s = await answering(status)
    try {
      const e = await refusal(s.url)
      assert.is(e.code, 'INTERNAL')
      assert.match(e.message, new RegExp(`HTTP ${status}; tried again`))
      assert.is(e.retryable, true)
      assert.is(s.upgrades(), 3, 'every attempt')
    } finally {
      await s.close()
    }
  })
}

test.run()
