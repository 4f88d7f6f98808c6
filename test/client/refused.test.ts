// A connection the server refuses right after the upgrade (docs/operations.md, "Server and connections":
// connectionsMax reached, "an OVERLOADED frame, then close (1013)"). The SDK's outcome is the refusal,
// OVERLOADED and retryable, not "outcome unknown" (which tells the application it must not simply retry).
import { createHash } from 'node:crypto'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, isOutcomeUnknown } from '../../src/index.js'

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** An unmasked server frame: opcode 0x1 (text) or 0x8 (close). */
function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error('short frames only')
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload])
}

/**
 * A server that upgrades every WebSocket connection and refuses it at once, as acheron serve does at
 * connectionsMax: the OVERLOADED frame (id null), then a close frame 1013. It never closes the TCP
 * connection itself, so the client stays in CLOSING once it answered the close: `answered` resolves
 * when the client's close frame arrives, after which the client knows it was refused.
 */
async function refusingServer(): Promise<{ url: string; answered: Promise<void>; close: () => void }> {
  const sockets = new Set<Socket>()
  let answer: () => void = () => {}
  const answered = new Promise<void>((resolve) => { answer = resolve })
  const server = createServer((socket) => {
    sockets.add(socket)
    let head = ''
    let upgraded = false
    socket.on('data', (data: Buffer) => {
      if (upgraded) {
        // A client frame: masked; 0x88 is a close.
        if (data[0] === 0x88) answer()
        return
      }
      head += data.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      upgraded = true
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? ''
      const accept = createHash('sha1').update(key + WS_GUID).digest('base64')
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
      const refusal = JSON.stringify({ id: null, ok: false, error: { code: 'OVERLOADED', message: 'at most 1 connections; retry later', retryable: true } })
      socket.write(Buffer.concat([frame(0x1, Buffer.from(refusal)), frame(0x8, Buffer.concat([Buffer.from([0x03, 0xf5]), Buffer.from('OVERLOADED')]))]))
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    answered,
    close: () => { for (const s of sockets) s.destroy(); server.close() },
  }
}

test('a connection the server refuses fails connect() with the refusal (OVERLOADED, retryable), not outcome unknown', async () => {
  const server = await refusingServer()
  try {
    // connect() makes an auth round trip on every connection, so the refusal, which precedes the close,
    // is what it rejects with: no request was ever sent on the refused connection.
    const err = await connect(server.url, { reconnect: { attemptsMax: 1 } }).then(() => null, (e: unknown) => e)
    assert.instance(err, AcheronError)
    const e = err as AcheronError
    assert.is(e.code, 'OVERLOADED', e.message)
    assert.match(e.message, /at most 1 connections/)
    assert.is(isOutcomeUnknown(e), false, e.message)
    assert.is(e.retryable, true)
  } finally {
    server.close()
  }
})

test.run()
