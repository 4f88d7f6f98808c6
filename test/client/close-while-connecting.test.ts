// close() while a request waits for a reconnect whose handshake hangs (the server's port accepts but the
// process answers nothing: stopped, or wedged). close() returned, but the connection attempt went on: the
// request settled only at connectTimeoutMs (never with connectTimeoutMs 0), and the attempt's socket kept
// the process alive until then. close() now ends the attempt, and the request rejects "the client is closed".
import { createServer, connect as tcpConnect, type AddressInfo, type Socket } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

/** A relay to `port`; after `hang()` its connections are cut and new ones are accepted and never answered. */
async function relay(port: number): Promise<{ url: string; hang: () => void; close: () => void }> {
  const sockets = new Set<Socket>()
  let hung = false
  const server = createServer((a) => {
    sockets.add(a)
    a.on('error', () => {})
    if (hung) return
    const b = tcpConnect(port, '127.0.0.1')
    b.on('error', () => {})
    sockets.add(b)
    a.pipe(b)
    b.pipe(a)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: () => {
      hung = true
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    close: () => { for (const s of sockets) s.destroy(); server.close() },
  }
}

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('close() ends a reconnect that hangs in its handshake; the waiting request rejects at once', async () => {
  server = await startServer()
  const r = await relay(server.port)
  const db = await connect(r.url, { connectTimeoutMs: 0 })
  try {
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
    r.hang()
    await new Promise((resolve) => setTimeout(resolve, 300)) // the client sees its connection close
    const waiting = db.query('SELECT 2')
    waiting.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 300)) // the reconnect is in its handshake
    await db.close()
    const settled = await Promise.race([
      waiting.then(() => 'resolved', (err: unknown) => err),
      new Promise((resolve) => setTimeout(() => resolve('still waiting 5 s after close()'), 5000)),
    ])
    assert.instance(settled, AcheronError)
    assert.is((settled as AcheronError).message, 'the client is closed')
  } finally {
    await db.close()
    r.close()
  }
})

test.run()
