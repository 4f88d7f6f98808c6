// Network access to `acheron serve` (docs/operations.md "Access"), end to end against the real CLI: the
// Origin rule, the authentication deadline and the pre-authentication frame limit, the separate cap on
// connections still authenticating, the listen-address rule, admin and application tokens, TLS, slow
// readers, error replies that keep their id, and a bounded wait for the close handshake at SIGTERM.
// The browser side of the Origin rule and of the roles is in browser-access.test.ts.
import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, type RemoteDatabase } from '../../src/index.js'
import { startServer, tempDir, WsClient, type Reply, type ServerProcess } from '../support/server-process.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

const openClients = new Set<WsClient>()
const sdkClients = new Set<RemoteDatabase>()
const servers = new Set<ServerProcess>()

async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServer({ args, env })
  servers.add(s)
  return s
}

async function raw(url: string, headers: Record<string, string> = {}, ca?: string): Promise<WsClient> {
  const c = await WsClient.connect(url, { headers, ...(ca !== undefined ? { ca } : {}) })
  openClients.add(c)
  return c
}

async function sdk(url: string, options: Parameters<typeof connect>[1] = {}): Promise<RemoteDatabase> {
  const db = await connect(url, { reconnect: { attemptsMax: 1 }, ...options })
  sdkClients.add(db)
  return db
}

test.after.each(async () => {
  for (const c of openClients) c.terminate()
  openClients.clear()
  for (const db of sdkClients) await db.close()
  sdkClients.clear()
  for (const s of servers) await s.kill()
  servers.clear()
})

function show(x: unknown): string {
  return JSON.stringify(x)?.slice(0, 1500) ?? String(x)
}

function expectOk(r: Reply, what: string): void {
  assert.ok(r.ok, `${what}: expected ok, got ${show(r)}`)
}

function expectError(r: Reply, code: string, what: string): string {
  if (r.ok) assert.unreachable(`${what}: expected ${code}, got ${show(r)}`)
  else assert.is(r.error.code, code, `${what}: ${show(r)}`)
  return r.ok ? '' : r.error.message
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** `acheron serve` run directly: resolves at its exit, or with its ready line (and then kills it). */
function serveOnce(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { dir } = tempDir()
  const child = spawn(process.execPath, [MAIN, 'serve', '--data', dir, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s
    if (stdout.includes('\n')) setTimeout(() => child.kill('SIGTERM'), 200)
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) }))
}

/** The underlying TCP socket of a ws client, to stop reading from it (a client that does not read). */
function socketOf(c: WsClient): Socket {
  return (c.ws as unknown as { _socket: Socket })._socket
}

// ---------------------------------------------------------------------------------------------
// Origin

test('Origin: a foreign Origin is refused at the upgrade (403); no Origin, the own origin and --allow-origin are served', async () => {
  const s = await serve(['--allow-origin', 'http://app.example:8080'])
  const evil = await rejection(raw(s.url, { Origin: 'http://evil.example' }))
  assert.match(evil.message, /403/, evil.message)
  const otherPort = await rejection(raw(s.url, { Origin: `http://127.0.0.1:${s.port + 1}` }))
  assert.match(otherPort.message, /403/)
  const otherScheme = await rejection(raw(s.url, { Origin: `https://127.0.0.1:${s.port}` }))
  assert.match(otherScheme.message, /403/)
  // DNS rebinding: a name that resolves to this machine, page and socket on the same (foreign) origin.
  const rebound = await rejection(raw(s.url, { Origin: `http://rebind.example:${s.port}`, Host: `rebind.example:${s.port}` }))
  assert.match(rebound.message, /403/)
  const near = await rejection(raw(s.url, { Origin: 'http://app.example:8081' }))
  assert.match(near.message, /403/)

  const none = await raw(s.url)
  await none.ok('CREATE TABLE survivor (id INTEGER PRIMARY KEY);')
  const own = await raw(s.url, { Origin: `http://127.0.0.1:${s.port}` })
  await own.ok('SELECT COUNT(*) FROM survivor;')
  const allowed = await raw(s.url, { Origin: 'http://app.example:8080' })
  await allowed.ok('SELECT COUNT(*) FROM survivor;')
  assert.match(s.stderr(), /origin not allowed/)
})

// ---------------------------------------------------------------------------------------------
// Authentication: deadline, frame limit, pending slots

test('auth deadline: a connection that does not authenticate in ACHERON_AUTH_DEADLINE_MS gets UNAUTHORIZED and is closed (1008)', async () => {
  const s = await serve(['--token', 's3cret'], { ACHERON_AUTH_DEADLINE_MS: '300' })
  const idle = await raw(s.url)
  const bearer = await raw(s.url, { Authorization: 'Bearer s3cret' })
  const close = await idle.closedWithin(5000)
  assert.ok(close !== null, 'closed after the deadline')
  assert.is(close!.code, 1008)
  const frame = idle.messages.find((m) => (m as { error?: { code?: string } }).error?.code === 'UNAUTHORIZED') as { error: { message: string } } | undefined
  assert.ok(frame !== undefined, `an UNAUTHORIZED frame: ${show(idle.messages)}`)
  assert.match(frame!.error.message, /300 ms/)
  await sleep(400)
  assert.ok(bearer.isOpen, 'an authenticated connection is not subject to the deadline')
  await bearer.ok('SHOW TABLES;')
})

test('pre-auth frames are at most 64 KiB (close 1009); after first-frame auth, large frames are served', async () => {
  const s = await serve(['--token', 's3cret'])
  const big = await raw(s.url)
  big.sendRaw(JSON.stringify({ op: 'auth', token: 'x'.repeat(70_000) }))
  const close = await big.closedWithin(5000)
  assert.ok(close !== null, 'closed')
  assert.is(close!.code, 1009, show(close))

  const ok = await raw(s.url)
  ok.sendRaw(JSON.stringify({ op: 'auth', token: 's3cret' }))
  await ok.ok('CREATE TABLE big (id INTEGER PRIMARY KEY, t TEXT);')
  expectOk(await ok.sql('INSERT INTO big VALUES (1, ?);', ['y'.repeat(100_000)]), '100 KB after auth')
})

test('connections still authenticating have their own cap: they never lock out the owner', async () => {
  const s = await serve(['--token', 's3cret'], { ACHERON_CONNECTIONS_MAX: '4', ACHERON_PENDING_AUTH_CONNECTIONS_MAX: '3' })
  const idle: WsClient[] = []
  for (let i = 0; i < 6; i++) idle.push(await raw(s.url))
  await sleep(300)
  const open = idle.filter((c) => c.isOpen)
  assert.is(open.length, 3, `three pending connections kept: ${show(idle.map((c) => c.closeInfo))}`)
  for (const c of idle.slice(3)) {
    const close = await c.closedWithin(2000)
    assert.is(close?.code, 1013)
    assert.ok(c.messages.some((m) => (m as { error?: { code?: string } }).error?.code === 'OVERLOADED'), show(c.messages))
  }
  const owner = await raw(s.url, { Authorization: 'Bearer s3cret' })
  await owner.ok('SHOW TABLES;')
  const db = await sdk(s.url, { token: 's3cret' })
  await db.sql('SHOW TABLES;')
  // A pending connection that authenticates moves to the authenticated ones and frees its pending slot.
  idle[0]!.sendRaw(JSON.stringify({ op: 'auth', token: 's3cret' }))
  await idle[0]!.ok('SHOW TABLES;')
  const another = await raw(s.url)
  await sleep(200)
  assert.ok(another.isOpen, 'a pending slot is free again')
})

test('a refused connection that ignores the close handshake frees its slot within the close wait, not 30 s', async () => {
  const s = await serve(['--token', 's3cret'], { ACHERON_AUTH_DEADLINE_MS: '200', ACHERON_PENDING_AUTH_CONNECTIONS_MAX: '1' })
  const deaf = await raw(s.url)
  socketOf(deaf).pause()
  await sleep(200 + 2000 + 800)
  const next = await raw(s.url)
  await sleep(150)
  assert.ok(next.isOpen, `a pending slot is free again: ${show(next.messages)} ${show(next.closeInfo)}`)
  next.sendRaw(JSON.stringify({ op: 'auth', token: 's3cret' }))
  await next.ok('SHOW TABLES;')
})

test('frames that reach a connection after its refusal are not run (an auth and an INSERT after the deadline)', async () => {
  const s = await serve(['--token', 's3cret'], { ACHERON_AUTH_DEADLINE_MS: '300' })
  const owner = await raw(s.url, { Authorization: 'Bearer s3cret' })
  await owner.ok('CREATE TABLE t (id INTEGER PRIMARY KEY);')
  const late = await raw(s.url)
  socketOf(late).pause()   // it does not see the refusal, so it still sends
  await sleep(800)
  late.sendRaw(JSON.stringify({ op: 'auth', token: 's3cret' }))
  late.sendRaw(JSON.stringify({ id: 1, op: 'sql', sql: 'INSERT INTO t VALUES (1);' }))
  await sleep(800)
  assert.equal((await owner.ok('SELECT COUNT(*) FROM t;'))[0]!.rows, [[0]])
})

// ---------------------------------------------------------------------------------------------
// Listen address, tokens and roles

test('listen address: no token → 127.0.0.1 only, said on stderr; --host 0.0.0.0 without a token is refused; with one it is served', async () => {
  const plain = await serveOnce([])
  assert.match(plain.stdout, /^acheron listening on ws:\/\/127\.0\.0\.1:\d+\n/)
  assert.match(plain.stderr, /no token: listening on 127\.0\.0\.1 only/)
  const refused = await serveOnce(['--host', '0.0.0.0'])
  assert.is.not(refused.code, 0)
  assert.is(refused.stdout, '')
  assert.match(refused.stderr, /--host 0\.0\.0\.0 is not a loopback address: give --admin-token/)
  const both = await serveOnce(['--token', 'a', '--admin-token', 'b'])
  assert.is.not(both.code, 0)
  assert.match(both.stderr, /--token or --admin-token, not both/)
  const same = await serveOnce(['--admin-token', 'a', '--app-token', 'a'])
  assert.is.not(same.code, 0)
  assert.match(same.stderr, /must differ/)

  const help = execFileSync(process.execPath, [MAIN, 'serve', '--help']).toString()
  for (const option of ['--admin-token-file F', '--app-token T', '--allow-origin ORIGIN', '--tls-cert F --tls-key F', 'default 127.0.0.1', 'ACHERON_AUTH_DEADLINE_MS']) {
    assert.ok(help.includes(option), `serve --help mentions ${option}`)
  }

  const s = await serve(['--host', '0.0.0.0', '--admin-token', 'adm'])
  assert.match(s.readyLine, /^acheron listening on ws:\/\/0\.0\.0\.0:\d+$/)
  const c = await raw(`ws://127.0.0.1:${s.port}`, { Authorization: 'Bearer adm' })
  await c.ok('SHOW TABLES;')
})

test('roles: the application token may CALL, DML and SELECT; its DDL is FORBIDDEN (SDK and raw frames); the admin token may do all', async () => {
  const { dir } = tempDir()
  const appFile = join(dir, 'app-token')
  writeFileSync(appFile, 'app-t\n')
  const s = await serve(['--admin-token', 'adm-t', '--app-token-file', appFile, '--partitions', '2'])
  const admin = await sdk(s.url, { token: 'adm-t' })
  await admin.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;')
  const bank = new Uint8Array(execFileSync('cat', [fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))]))
  for (const f of ['deposit', 'withdraw', 'transfer']) await admin.createFunction(`account.${f}`, bank)

  const app = await sdk(s.url, { token: 'app-t' })
  await app.sql("INSERT INTO account VALUES ('alice', 100), ('bob', 0);")
  const t = await app.call('account.transfer', 'alice', 'bob', 10)
  assert.is(t.value, 90)
  await app.sql("UPDATE account SET balance = balance + 1 WHERE id = 'bob';")
  const q = await app.query('SELECT id, balance FROM account ORDER BY id')
  assert.equal(q.rows, [['alice', 90], ['bob', 11]])
  await app.sql('SHOW TABLES; SHOW FUNCTIONS; DESCRIBE account;')
  for (const ddl of ['DROP TABLE account;', 'CREATE TABLE x (id INTEGER PRIMARY KEY);', 'DROP FUNCTION account.transfer;']) {
    const e = await rejection(app.sql(ddl))
    assert.instance(e, AcheronError)
    assert.is((e as AcheronError).code, 'FORBIDDEN', `${ddl}: ${e.message}`)
    assert.match(e.message, /admin token/)
  }
  const create = await rejection(app.createFunction('account.t2', bank))
  assert.is((create as AcheronError).code, 'FORBIDDEN')
  // A script with DDL after DML runs none of it.
  const mixed = await rejection(app.sql("INSERT INTO account VALUES ('carol', 1); DROP TABLE account;"))
  assert.is((mixed as AcheronError).code, 'FORBIDDEN')
  assert.is((mixed as AcheronError).statement, 1)
  assert.equal((await admin.query("SELECT COUNT(*) FROM account WHERE id = 'carol'")).rows, [[0]])

  // Raw frames: first-frame auth with the application token.
  const r = await raw(s.url)
  r.sendRaw(JSON.stringify({ op: 'auth', token: 'app-t' }))
  await r.ok('SELECT COUNT(*) FROM account;')
  expectError(await r.sql('DROP TABLE account;'), 'FORBIDDEN', 'raw DROP with the app token')
  const bearer = await raw(s.url, { Authorization: 'Bearer app-t' })
  expectError(await bearer.sql('DROP TABLE IF EXISTS account;'), 'FORBIDDEN', 'Bearer app token DROP')
  // The admin token sent again on an application connection is FORBIDDEN, not "ok" (the role stays).
  bearer.sendRaw(JSON.stringify({ id: 77, op: 'auth', token: 'adm-t' }))
  const upgrade = await bearer.waitFor((m) => (m as { id?: unknown }).id === 77, 5000, 'the reply to the admin token sent again') as { ok: boolean; error?: { code: string; message: string } }
  assert.equal([upgrade.ok, upgrade.error?.code], [false, 'FORBIDDEN'])
  assert.match(upgrade.error?.message ?? '', /authenticated with the application token, and a connection's role does not change: open another connection with the admin token$/)
  expectError(await bearer.sql('DROP TABLE IF EXISTS account;'), 'FORBIDDEN', 'still the app role')
  assert.equal((await admin.query('SELECT COUNT(*) FROM account')).rows, [[2]])
  await admin.sql('DROP FUNCTION account.transfer;')
})

// ---------------------------------------------------------------------------------------------
// TLS

function selfSigned(): { cert: string; key: string; certPem: string } {
  const { dir } = tempDir()
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  return { cert, key, certPem: execFileSync('cat', [cert]).toString() }
}

function httpsGet(url: string, ca: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (s: string) => { body += s }).on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('TLS: --tls-cert/--tls-key serve wss:// and https://; the SDK connects with ca or rejectUnauthorized: false', async () => {
  const tls = selfSigned()
  const s = await serve(['--tls-cert', tls.cert, '--tls-key', tls.key, '--token', 'tt'])
  assert.match(s.readyLine, /^acheron listening on wss:\/\/127\.0\.0\.1:\d+$/)
  const db = await sdk(s.url, { token: 'tt', ca: tls.certPem })
  await db.sql('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO kv VALUES (\'a\', 1);')
  assert.equal((await db.query('SELECT v FROM kv')).rows, [[1]])
  const loose = await sdk(s.url, { token: 'tt', rejectUnauthorized: false })
  assert.equal((await loose.query('SELECT v FROM kv')).rows, [[1]])
  const untrusted = await rejection(sdk(s.url, { token: 'tt' }))
  assert.match(untrusted.message, /self[- ]signed|certificate/i)
  const r = await raw(s.url, { Authorization: 'Bearer tt' }, tls.certPem)
  await r.ok('SELECT COUNT(*) FROM kv;')
  const page = await httpsGet(`https://127.0.0.1:${s.port}/`, tls.certPem)
  assert.is(page.status, 200)
  assert.match(page.type, /^text\/html/)
  const stats = await httpsGet(`https://127.0.0.1:${s.port}/stats?token=tt`, tls.certPem)
  assert.is(stats.status, 200)
  assert.match(s.stderr(), /https:\/\/127\.0\.0\.1:\d+\//)
})

// ---------------------------------------------------------------------------------------------
// Slow readers

async function bigRow(s: ServerProcess): Promise<void> {
  const c = await raw(s.url)
  await c.ok('CREATE TABLE blobs (id INTEGER PRIMARY KEY, t TEXT); CREATE TABLE marker (id INTEGER PRIMARY KEY);')
  await c.ok('INSERT INTO blobs VALUES (1, ?);', ['x'.repeat(200_000)])
}

test('slow reader: past the pause bound the server stops reading that connection, and resumes when it drains', async () => {
  const s = await serve([], { ACHERON_REPLY_BUFFER_BYTES_PAUSE: String(1 << 20), ACHERON_REPLY_BUFFER_BYTES_MAX: String(1 << 30) })
  await bigRow(s)
  const slow = await raw(s.url)
  socketOf(slow).pause()
  const replies: Promise<Reply>[] = []
  // A failure must fail this test, not crash the file as an unhandled rejection before it is awaited.
  const quiet = <T>(p: Promise<T>): Promise<T> => { p.catch(() => {}); return p }
  for (let i = 0; i < 100; i++) replies.push(quiet(slow.sql('SELECT t FROM blobs WHERE id = 1;', undefined)))
  await sleep(1500)
  const insert = quiet(slow.sql('INSERT INTO marker VALUES (1);'))
  await sleep(1000)
  const other = await raw(s.url)
  assert.equal((await other.ok('SELECT COUNT(*) FROM marker;'))[0]!.rows, [[0]], 'the paused connection\'s next request was not read')
  socketOf(slow).resume()
  expectOk(await insert, 'the INSERT after resuming')
  for (const r of await Promise.all(replies)) expectOk(r, 'every SELECT is answered')
  assert.equal((await other.ok('SELECT COUNT(*) FROM marker;'))[0]!.rows, [[1]])
})

/** Fills a paused connection past the bounds, and waits for the one "slow reader" line; returns it. */
async function stallUntilClosed(s: ServerProcess, slow: WsClient): Promise<string> {
  socketOf(slow).pause()
  for (let i = 0; i < 200; i++) void slow.sql('SELECT t FROM blobs WHERE id = 1;', undefined).catch(() => null)
  const deadline = Date.now() + 15_000
  while (!/slow reader/.test(s.stderr()) && Date.now() < deadline) await sleep(100)
  await sleep(500)
  const lines = s.stderr().split('\n').filter((l) => /slow reader/.test(l))
  assert.is(lines.length, 1, `logged once: ${s.stderr().slice(-3000)}`)
  assert.match(lines[0]!, /OVERLOADED/)
  // Read at once: the server destroys a socket that has not read its close frame within
  // CLOSE_HANDSHAKE_WAIT_MS (2 s), and a close seen that way is 1006. Opening another connection and running
  // a query first made that race: on a loaded machine it failed 2 runs of 3 with 1006.
  socketOf(slow).resume()
  const close = await slow.closedWithin(10_000)
  assert.ok(close !== null, 'the slow connection is closed')
  assert.is(close.code, 1013)
  const other = await raw(s.url)
  await other.ok('SELECT COUNT(*) FROM blobs;')
  return lines[0]!
}

test('slow reader: past the maximum a connection that reads nothing for ACHERON_REPLY_STALL_MS is closed (1013 OVERLOADED), logged once; others are served', async () => {
  const s = await serve([], { ACHERON_REPLY_BUFFER_BYTES_PAUSE: String(1 << 20), ACHERON_REPLY_BUFFER_BYTES_MAX: String(4 << 20), ACHERON_REPLY_BUFFER_BYTES_HARD_MAX: String(1 << 30), ACHERON_REPLY_STALL_MS: '1000' })
  await bigRow(s)
  const started = Date.now()
  const line = await stallUntilClosed(s, await raw(s.url))
  assert.match(line, /read nothing for 1000 ms with more than 4194304 bytes of replies unread/)
  assert.ok(Date.now() - started >= 1000, 'not before the stall time')
  const exit = await s.stop('SIGTERM')
  assert.equal(exit, { code: 0, signal: null })
})

test('slow reader: past the hard maximum the connection is closed at once, reading or not', async () => {
  const s = await serve([], { ACHERON_REPLY_BUFFER_BYTES_PAUSE: String(1 << 20), ACHERON_REPLY_BUFFER_BYTES_MAX: String(2 << 20), ACHERON_REPLY_BUFFER_BYTES_HARD_MAX: String(4 << 20), ACHERON_REPLY_STALL_MS: '600000' })
  await bigRow(s)
  const line = await stallUntilClosed(s, await raw(s.url))
  assert.match(line, /more than 4194304 bytes of replies unread/)
  assert.not.match(line, /read nothing/)
  const exit = await s.stop('SIGTERM')
  assert.equal(exit, { code: 0, signal: null })
})

test('slow reader: a client that keeps reading, more slowly than replies come, is served in full past the maximum', async () => {
  // Before, the connection was closed as soon as another reply was ready with the maximum unread, though
  // the client was reading: the requests it sent before the pause lost their replies (outcome unknown).
  const s = await serve([], { ACHERON_REPLY_BUFFER_BYTES_PAUSE: String(1 << 20), ACHERON_REPLY_BUFFER_BYTES_MAX: String(2 << 20), ACHERON_REPLY_BUFFER_BYTES_HARD_MAX: String(1 << 30), ACHERON_REPLY_STALL_MS: '2000' })
  await bigRow(s)
  const reader = await raw(s.url)
  const socket = socketOf(reader)
  // Reads in spurts: 20 ms of every 150 ms.
  socket.pause()
  let reading = true
  const spurts = (async () => {
    while (reading) {
      socket.resume()
      await sleep(20)
      socket.pause()
      await sleep(130)
    }
    socket.resume()
  })()
  const replies = Array.from({ length: 120 }, () => reader.sql('SELECT t FROM blobs WHERE id = 1;', undefined))
  let settled: Reply[]
  try {
    settled = await Promise.all(replies)
  } finally {
    reading = false
    await spurts
  }
  for (const r of settled) expectOk(r, 'every SELECT is answered')
  assert.not.match(s.stderr(), /slow reader/)
  const exit = await s.stop('SIGTERM')
  assert.equal(exit, { code: 0, signal: null })
})

// ---------------------------------------------------------------------------------------------
// Error replies, nesting, function names

test('error replies keep the request id; deep nesting is SYNTAX_ERROR; a too-long "fn" is refused before any lookup', async () => {
  const s = await serve()
  const c = await raw(s.url)
  const big = String(2n ** 70n)
  expectError(await c.requestWithId(5, { op: 'call', fn: 't.f', key: { $int: big } }), 'TYPE_MISMATCH', '$int 2^70 key')
  expectError(await c.requestWithId(6, { op: 'sql', sql: 'SELECT ?;', params: [{ $int: big }] }), 'TYPE_MISMATCH', '$int 2^70 param')
  expectError(await c.requestWithId(7, { op: 'sql', sql: 'SELECT ?;', params: [{ $blob: 5 }] }), 'TYPE_MISMATCH', 'bad $blob')
  // 20 digits pass the wire's shape check but exceed 64 bits: refused later, still with the id.
  expectError(await c.requestWithId(15, { op: 'call', fn: 't.f', key: { $int: String(2n ** 65n) } }), 'TYPE_MISMATCH', '$int 2^65 key')
  expectError(await c.requestWithId(8, { op: 'nope' }), 'SYNTAX_ERROR', 'unknown op')
  expectError(await c.requestWithId(9, { op: 'sql' }), 'SYNTAX_ERROR', 'no sql')

  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  c.sendRaw(`{"id":10,"op":"sql","sql":"SELECT ?;","params":[${deep}]}`)
  const nested = await c.waitFor((m) => (m as { id?: unknown }).id === 10, 5000) as Reply
  const msg = expectError(nested, 'SYNTAX_ERROR', 'deep nesting')
  assert.match(msg, /nested deeper than 32/)
  c.sendRaw(`{"id":11,"op":"call","fn":"t.f","key":1,"extra":${deep}}`)
  expectError(await c.waitFor((m) => (m as { id?: unknown }).id === 11, 5000) as Reply, 'SYNTAX_ERROR', 'deep nesting in another field')

  // A numeric id that is not a safe integer is echoed too.
  c.sendRaw('{"id":1.5,"op":"sql","sql":"SHOW TABLES;"}')
  expectError(await c.waitFor((m) => (m as { id?: unknown }).id === 1.5, 5000) as Reply, 'SYNTAX_ERROR', 'fractional id')

  const long = 'a'.repeat(200) + '.f'
  assert.match(expectError(await c.requestWithId(12, { op: 'call', fn: long, key: 1 }), 'SYNTAX_ERROR', 'long fn'), /at most 129 characters/)
  assert.match(expectError(await c.requestWithId(13, { op: 'call', fn: 'x'.repeat(1_000_000), key: 1 }), 'SYNTAX_ERROR', '1 MB fn'), /at most 129 characters/)
  expectError(await c.requestWithId(14, { op: 'call', fn: `${'a'.repeat(64)}.${'b'.repeat(64)}`, key: 1 }), 'UNKNOWN_FUNCTION', '129 characters is looked up')
  // The SDK refuses it itself, with embedded's code and words (test/client/call-function-name.test.ts);
  // the wire's SYNTAX_ERROR above is for a client that writes frames by hand.
  const db = await sdk(s.url)
  const e = await rejection(db.call(long, 1))
  assert.is((e as AcheronError).code, 'UNKNOWN_FUNCTION')
  assert.match((e as AcheronError).message, /longer than any/)
  assert.ok(c.isOpen)
})

test('PAYLOAD_TOO_LARGE keeps the id of a frame that starts with it, so the SDK rejects at once instead of after its 60 s timeout', async () => {
  const s = await serve([], { ACHERON_PAYLOAD_BYTES_MAX: '4096' })
  const c = await raw(s.url)
  const r = await c.requestWithId(42, { op: 'sql', sql: 'SELECT ?;', params: ['z'.repeat(6000)] }, 5000)
  expectError(r, 'PAYLOAD_TOO_LARGE', 'raw oversized frame')
  const db = await sdk(s.url)
  const started = Date.now()
  const e = await rejection(db.sql('SELECT ?;', ['z'.repeat(6000)]))
  assert.is((e as AcheronError).code, 'PAYLOAD_TOO_LARGE', e.message)
  assert.ok(Date.now() - started < 5000, `rejected after ${Date.now() - started} ms`)
  await db.sql('SHOW TABLES;')
})

// ---------------------------------------------------------------------------------------------
// Shutdown

test('SIGTERM: a client that ignores the close handshake delays the exit by at most the close wait (2 s), not 30 s', async () => {
  const s = await serve()
  const c = await raw(s.url)
  await c.ok('SHOW TABLES;')
  socketOf(c).pause()
  const started = Date.now()
  const exit = await s.stop('SIGTERM')
  const ms = Date.now() - started
  assert.equal(exit, { code: 0, signal: null })
  assert.ok(ms < 8000, `exited after ${ms} ms`)
})

test.run()
