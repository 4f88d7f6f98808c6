// A connection that went silent without closing: the server's host vanished, or a NAT or load balancer
// dropped the flow, and no FIN or RST ever arrives. TCP alone notices nothing, so the SDK kept using the
// socket: each request timed out (requestTimeoutMs) as outcome unknown, and the next was sent on the same
// dead socket, for ever; it never reconnected. Now a request that times out makes the client ping the
// socket, and one that answers nothing within requestTimeoutMs more (10 s at least: a server running a
// transaction on its main thread answers pings late) is dropped, so the next request reconnects. The silence is made by a TCP relay in front of a real `acheron serve` that stops relaying the
// connections it holds (keeping them open) while new ones still get through.
import { createServer, connect as tcpConnect, type AddressInfo, type Socket } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, isOutcomeUnknown } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'
import { abiModule } from '../wasm-exec/wat.js'

/** A relay to `port`; `silence()` stops relaying on the connections open now, in both directions. */
async function relay(port: number): Promise<{ url: string; silence: () => void; close: () => void }> {
  const flows: { a: Socket; b: Socket }[] = []
  const server = createServer((a) => {
    const b = tcpConnect(port, '127.0.0.1')
    a.pipe(b)
    b.pipe(a)
    a.on('error', () => {})
    b.on('error', () => {})
    flows.push({ a, b })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    silence: () => {
      for (const { a, b } of flows.splice(0)) {
        a.unpipe(b)
        b.unpipe(a)
        // Read and drop what arrives, as a network that lost the route would.
        a.on('data', () => {})
        b.on('data', () => {})
      }
    },
    close: () => server.close(),
  }
}

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('a silent connection is dropped after a timed-out request and an unanswered ping; the next request reconnects', async () => {
  server = await startServer()
  const r = await relay(server.port)
  const db = await connect(r.url, { requestTimeoutMs: 300 })
  try {
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
    r.silence()
    let lost: unknown = null
    try {
      await db.query('SELECT 2')
    } catch (err) {
      lost = err
    }
    assert.instance(lost, AcheronError)
    assert.ok(isOutcomeUnknown(lost))
    // The ping gets no answer within 10 s; then the socket is dropped.
    await new Promise((resolve) => setTimeout(resolve, 12_000))
    assert.equal((await db.query('SELECT 3')).rows, [[3]])
    assert.is(db.connections, 2)
  } finally {
    await db.close()
    r.close()
  }
})

test('a request that times out on a busy server keeps the connection: the server answers the ping once it can', async () => {
  // --workers 0: transactions run on the server's main thread, which answers no ping while one runs.
  const busy = await startServer({ args: ['--workers', '0'] })
  // Spins until its fuel or TXN_WALL_MS_MAX (5 s) is out, well past 300 ms.
  const spin = Buffer.from(abiModule('(func (export "spin") (loop $l (br $l)))', '(memory (export "memory") 1 1)')).toString('hex')
  const other = await connect(busy.url)
  await other.sql(`CREATE TABLE slow (k INTEGER PRIMARY KEY) PARTITIONS 1; CREATE FUNCTION slow.spin FROM WASM X'${spin}' WITH (FUEL = 1000000000);`)
  const db = await connect(busy.url, { requestTimeoutMs: 300 })
  try {
    let lost: unknown = null
    try {
      await db.call('slow.spin', 1)
    } catch (err) {
      lost = err
    }
    assert.ok(isOutcomeUnknown(lost), String(lost))
    // Answered once the spin is over; db's ping, sent before, has had its pong by then.
    await other.query('SELECT 1')
    assert.equal((await db.query('SELECT 2')).rows, [[2]])
    assert.is(db.connections, 1)
  } finally {
    await db.close()
    await other.close()
    await busy.kill()
  }
})

test.run()
