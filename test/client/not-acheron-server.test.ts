// connect() to a WebSocket server that is not acheron's (a wrong port that happens to speak WebSocket, a
// proxy's own endpoint). Every connection attempt sends an auth frame and waits for its reply. An echo
// server returned the frame itself, which connect() read as an error reply without an error: INTERNAL
// "server error undefined". A server that answers nothing failed as "no WebSocket handshake within N ms",
// though the handshake had completed. Both now say what happened, and to check the URL.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer } from 'ws'
import { AcheronError, connect } from '../../src/index.js'

async function listening(server: WebSocketServer): Promise<string> {
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('no address')
  return `ws://127.0.0.1:${address.port}`
}

async function failure(url: string, connectTimeoutMs = 5000): Promise<AcheronError> {
  const e = await connect(url, { connectTimeoutMs, reconnect: { attemptsMax: 1 } }).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
  if (!(e instanceof AcheronError)) throw new Error(`expected an AcheronError, got ${String(e)}`)
  return e
}

test('an echo server: the reply to the auth frame is no reply of the protocol, said so', async () => {
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  echo.on('connection', (s) => s.on('message', (d) => s.send(d.toString())))
  try {
    const url = await listening(echo)
    const e = await failure(url)
    assert.is(e.code, 'INTERNAL')
    assert.is(e.message, `${url} answered the authentication frame with no reply of the acheron protocol (it sent the frame back): is it an acheron server? check the URL's port`)
    // The frame it sent back carries the token: the message must not.
    const withToken = await connect(url, { token: 's3cret', reconnect: { attemptsMax: 1 } }).then(() => null, (err: unknown) => err)
    assert.ok(withToken instanceof AcheronError)
    assert.not.match(withToken.message, /s3cret/)
  } finally {
    echo.close()
  }
})

test('a server that never answers: the handshake completed, the auth frame got no reply', async () => {
  const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  try {
    const url = await listening(silent)
    const e = await failure(url, 300)
    assert.is(e.code, 'INTERNAL')
    assert.is(e.message, `${url} accepted the WebSocket connection but answered no authentication frame within 300 ms: is it an acheron server? check the URL's port`)
    assert.is(e.retryable, true)
  } finally {
    silent.close()
  }
})

test.run()
