// A token that cannot go in an HTTP header travels in the auth frame alone, and a connection still
// authenticating read at most 4 KiB: a longer token (a JWT with many claims, one with a non-ASCII
// character) made the server close the connection (1009), which connect() took for a dropped connection,
// retryable, and tried again, every attempt alike. The server now reads an auth frame carrying a token of
// up to AUTH_TOKEN_BYTES_MAX (8 KiB) and refuses a longer one with UNAUTHORIZED saying why; the SDK
// refuses such a token itself, unsent, and takes a 1009 at the auth frame (an older server) as final.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer } from 'ws'
import { AcheronError, connect, open } from '../../src/index.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import { AUTH_TOKEN_BYTES_MAX } from '../../src/server/wire.js'
import { startServer, tempDir, WsClient } from '../support/server-process.js'

/** A token of `bytes` UTF-8 bytes that cannot go in a header ('é' is two bytes, not ASCII). */
function frameToken(bytes: number): string {
  return 'é'.repeat(Math.floor(bytes / 2)) + 'x'.repeat(bytes % 2)
}

async function failure(p: Promise<{ close(): Promise<void> }>): Promise<AcheronError> {
  const e = await p.then(async (db) => { await db.close(); return null }, (err: unknown) => err)
  assert.instance(e, AcheronError)
  return e as AcheronError
}

test('a token of up to AUTH_TOKEN_BYTES_MAX authenticates in the auth frame; a longer one is refused, not retried', async () => {
  assert.is(AUTH_TOKEN_BYTES_MAX, 8192)
  const longest = frameToken(AUTH_TOKEN_BYTES_MAX)
  const { dir, cleanup } = tempDir('acheron-long-token-')
  const file = join(dir, 'token')
  writeFileSync(file, longest)
  const server = await startServer({ args: ['--admin-token-file', file] })
  try {
    assert.is(Buffer.byteLength(longest), AUTH_TOKEN_BYTES_MAX)
    const db = await connect(server.url, { token: longest, reconnect: { attemptsMax: 1 } })
    try {
      assert.equal((await db.query('SELECT 1 AS one')).rows, [[1]])
    } finally {
      await db.close()
    }
    // Over the limit: refused by the SDK before it connects, with the numbers; not retryable.
    const tooLong = frameToken(AUTH_TOKEN_BYTES_MAX + 1)
    const started = Date.now()
    const e = await failure(connect(server.url, { token: tooLong, reconnect: { attemptsMax: 5, delayMs: 1000 } }))
    assert.is(e.code, 'UNAUTHORIZED')
    assert.is(e.retryable, undefined)
    assert.is(e.message, 'the token is 8193 bytes, more than a server accepts (AUTH_TOKEN_BYTES_MAX, 8192 bytes of UTF-8): use a shorter token; nothing was sent')
    assert.ok(Date.now() - started < 1000, 'no attempt was retried')

    // The server's side, for a client other than the SDK: the same token in a raw auth frame is
    // UNAUTHORIZED with the reason, closed 1008; a frame past PRE_AUTH_FRAME_BYTES_MAX (64 KiB) still 1009.
    const raw = await WsClient.connect(server.url)
    raw.sendRaw(JSON.stringify({ id: 1, op: 'auth', token: tooLong }))
    const close = await raw.closedWithin(5000)
    assert.is(close?.code, 1008, JSON.stringify(close))
    assert.equal(raw.messages, [{
      id: 1,
      ok: false,
      error: { code: 'UNAUTHORIZED', message: 'the token is 8193 bytes, more than an auth frame may carry (AUTH_TOKEN_BYTES_MAX, 8192 bytes of UTF-8): no token this server accepts is that long (acheron serve refuses a longer one at start)' },
    }])
    const huge = await WsClient.connect(server.url)
    huge.sendRaw(JSON.stringify({ op: 'auth', token: 'x'.repeat(70_000) }))
    assert.is((await huge.closedWithin(5000))?.code, 1009)
  } finally {
    await server.stop()
    cleanup()
  }
})

test('a server that closes 1009 at the auth frame (one reading 4 KiB before authentication) fails connect() once, not retryably', async () => {
  const old = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 4096 })
  await new Promise((resolve) => old.once('listening', resolve))
  let connections = 0
  old.on('connection', (c) => { connections++; c.on('error', () => {}) })
  try {
    const url = `ws://127.0.0.1:${(old.address() as { port: number }).port}`
    const e = await failure(connect(url, { token: frameToken(5000), reconnect: { attemptsMax: 3, delayMs: 10 } }))
    assert.is(e.code, 'UNAUTHORIZED')
    assert.is(e.retryable, undefined)
    assert.match(e.message, /closed the connection \(1009, frame too large\) at the auth frame, which carries the token \(5000 bytes\)/)
    assert.is(connections, 1, 'not retried')
  } finally {
    for (const c of old.clients) c.terminate()
    await new Promise((resolve) => old.close(resolve))
  }
})

test('a visible-ASCII token longer than AUTH_TOKEN_BYTES_MAX is refused unsent too, whether or not it fits a header', async () => {
  // It went in the Authorization header: at 8193 bytes the server answered "wrong token" though the
  // limit is the server's own; past Node's header limit (16 KiB) the upgrade was HTTP 431, retried.
  const { dir, cleanup } = tempDir('acheron-long-token-')
  const file = join(dir, 'token')
  writeFileSync(file, 'admin-token')
  const server = await startServer({ args: ['--admin-token-file', file] })
  try {
    for (const bytes of [AUTH_TOKEN_BYTES_MAX + 1, 20_000]) {
      const started = Date.now()
      const e = await failure(connect(server.url, { token: 'a'.repeat(bytes), reconnect: { attemptsMax: 5, delayMs: 1000 } }))
      assert.is(e.code, 'UNAUTHORIZED', e.message)
      assert.is(e.retryable, undefined)
      assert.is(e.message, `the token is ${bytes} bytes, more than a server accepts (AUTH_TOKEN_BYTES_MAX, 8192 bytes of UTF-8): use a shorter token; nothing was sent`)
      assert.ok(Date.now() - started < 1000, 'no attempt was retried')
    }
  } finally {
    await server.stop()
    cleanup()
  }
})

test('HTTP 431 to the upgrade (headers longer than the server reads) fails connect() once, not retryably', async () => {
  // A server whose Node reads 4 KiB of headers, where a token within AUTH_TOKEN_BYTES_MAX does not fit:
  // each attempt was "Unexpected server response: 431", a retryable INTERNAL, attemptsMax times.
  const token = 'a'.repeat(6000)
  const { dir, cleanup } = tempDir('acheron-long-token-')
  const file = join(dir, 'token')
  writeFileSync(file, token)
  const server = await startServer({ args: ['--admin-token-file', file], env: { NODE_OPTIONS: '--max-http-header-size=4096' } })
  try {
    const started = Date.now()
    const e = await failure(connect(server.url, { token, reconnect: { attemptsMax: 5, delayMs: 1000 } }))
    assert.is(e.code, 'UNAUTHORIZED', e.message)
    assert.is(e.retryable, undefined)
    assert.is(e.message, `${server.url} refused the WebSocket upgrade with HTTP 431 (request header fields too large): the Authorization header carries the token (6000 bytes), more than that server or a proxy before it reads; use a shorter token`)
    assert.ok(Date.now() - started < 1000, 'no attempt was retried')
  } finally {
    await server.stop()
    cleanup()
  }
})

test('a server made in code refuses a token no auth frame can carry, as acheron serve does; the longest is served', async () => {
  const db = await open()
  try {
    for (const [name, options] of [['token', { token: frameToken(AUTH_TOKEN_BYTES_MAX + 1) }], ['appToken', { token: 'admin', appToken: 'x'.repeat(AUTH_TOKEN_BYTES_MAX + 1) }]] as const) {
      const err = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, limits: DEFAULT_SERVER_LIMITS, log: () => {}, ...options }).then(
        async (s) => { await s.close(); return null },
        (e: unknown) => e,
      )
      assert.instance(err, RangeError, name)
      assert.match((err as Error).message, new RegExp(`^ServerOptions.${name} is ${AUTH_TOKEN_BYTES_MAX + 1} bytes, more than a client may present`))
    }
    const longest = frameToken(AUTH_TOKEN_BYTES_MAX)
    const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: longest, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
    try {
      const client = await connect(server.url, { token: longest, reconnect: { attemptsMax: 1 } })
      assert.equal((await client.query('SELECT 1 AS one')).rows, [[1]])
      await client.close()
    } finally {
      await server.close()
    }
  } finally {
    await db.close().catch(() => {})
  }
})

test.run()
