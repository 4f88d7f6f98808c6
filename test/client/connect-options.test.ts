// connect()'s URL and options (docs/client.md, "Options") are checked before any connection attempt: a
// mistake in them is the caller's, so it is TYPE_MISMATCH naming the option, at once and not retryable.
// It was taken for a network failure: an invalid URL was tried attemptsMax times and rejected as a
// retryable INTERNAL "cannot connect"; attemptsMax 'y' made no attempt at all and said "cannot connect";
// a requestTimeoutMs beyond setTimeout's 2^31-1 ms fired after 1 ms, so every request (already sent)
// rejected as outcome unknown; a negative requestTimeoutMs silently meant "never"; and connectTimeoutMs 0
// failed every handshake at once, where requestTimeoutMs 0 means "never".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, type RemoteConnectOptions } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'
import { rejection } from '../support/rejection.js'

let server: Promise<ServerProcess> | null = null
const mainServer = (): Promise<ServerProcess> => (server ??= startServer())
test.after(async () => {
  const s = server === null ? null : await server.catch(() => null)
  if (s !== null) await s.kill()
})

test('a URL that is no ws:// or wss:// URL is TYPE_MISMATCH at once, not a retryable connection failure', async () => {
  // A #fragment: ws refuses it at each attempt ("The URL contains a fragment identifier"), which was retried.
  for (const url of ['not a url', '127.0.0.1:7878', 'ftp://127.0.0.1:7878', undefined as unknown as string, 'ws://127.0.0.1:7878/#db', 'wss://127.0.0.1:7878#x']) {
    const e = await rejection(connect(url, { reconnect: { attemptsMax: 3, delayMs: 10_000 } }))
    assert.is(e.code, 'TYPE_MISMATCH', String(url))
    assert.match(e.message, /url/i)
    assert.not.ok(e.retryable, String(url))
  }
})

test('a URL object is taken as its text, as the ws package takes one (it was refused, its text shown as if it were wrong)', async () => {
  const { port } = await mainServer()
  const db = await connect(new URL(`ws://127.0.0.1:${port}`))
  try {
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
  } finally {
    await db.close()
  }
  const e = await rejection(connect(new URL(`http://127.0.0.1:${port}`), { reconnect: { attemptsMax: 1, delayMs: 10 } }))
  assert.is(e.code, 'TYPE_MISMATCH')
})

test('an http:// or https:// URL (the browser console\'s address) is refused, naming the ws:// or wss:// one to use', async () => {
  // Against a live server: ws would have connected to it over http://, which docs/client.md does not offer.
  const { port } = await mainServer()
  for (const [url, use] of [[`http://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`], [`https://127.0.0.1:${port}/`, `wss://127.0.0.1:${port}/`]] as const) {
    const e = await rejection(connect(url, { reconnect: { attemptsMax: 1, delayMs: 10 } }))
    assert.is(e.code, 'TYPE_MISMATCH', url)
    assert.not.ok(e.retryable, url)
    assert.ok(e.message.startsWith(`connect() url is ws://HOST:PORT or wss://HOST:PORT, got "${url}"`), e.message)
    assert.ok(e.message.includes(`is ${use})`), e.message)
  }
})

test('a misspelt option is TYPE_MISMATCH naming it and the options there are (it was ignored: the defaults applied)', async () => {
  const cases: [object, RegExp][] = [
    [{ requestTimeout: 1000 }, /^connect\(\) has no option 'requestTimeout' \(its options: token, requestTimeoutMs, /],
    [{ reconnect: { attempts: 3 } }, /^connect\(\) reconnect has no option 'attempts' \(its options: attemptsMax, delayMs\)$/],
  ]
  for (const [options, message] of cases) {
    const e = await rejection(connect('ws://127.0.0.1:1', options as RemoteConnectOptions))
    assert.is(e.code, 'TYPE_MISMATCH', JSON.stringify(options))
    assert.match(e.message, message)
  }
})

test('numeric options that are not a count or a duration setTimeout can keep are TYPE_MISMATCH naming the option', async () => {
  const url = (await mainServer()).url
  const bad: [RemoteConnectOptions, RegExp][] = [
    [{ reconnect: { attemptsMax: 'y' as unknown as number } }, /attemptsMax/],
    [{ reconnect: { attemptsMax: 1.5 } }, /attemptsMax/],
    // 0 made one attempt all the same.
    [{ reconnect: { attemptsMax: 0 } }, /^connect\(\) reconnect\.attemptsMax is a whole number of attempts, at least 1 \(each connect and reconnect makes one\), got 0$/],
    [{ reconnect: { delayMs: -1 } }, /delayMs/],
    [{ requestTimeoutMs: -5 }, /requestTimeoutMs/],
    [{ requestTimeoutMs: Number.NaN }, /requestTimeoutMs/],
    [{ requestTimeoutMs: 3e9 }, /requestTimeoutMs.*2147483647/],
    [{ connectTimeoutMs: 'x' as unknown as number }, /connectTimeoutMs/],
    [{ token: 42 as unknown as string }, /token/],
  ]
  for (const [options, message] of bad) {
    const e = await rejection(connect(url, options))
    assert.is(e.code, 'TYPE_MISMATCH', JSON.stringify(options))
    assert.match(e.message, message)
    assert.not.ok(e.retryable)
  }
})

test('the largest requestTimeoutMs waits (it fired after 1 ms), and connectTimeoutMs 0 means no handshake deadline', async () => {
  const url = (await mainServer()).url
  const db = await connect(url, { requestTimeoutMs: 2 ** 31 - 1, connectTimeoutMs: 0 })
  try {
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
  } finally {
    await db.close()
  }
})

test.run()
