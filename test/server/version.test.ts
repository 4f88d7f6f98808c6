// The server tells what it is: {"op":"version"} is answered with server {name, version} (the version of
// package.json, as `acheron --version` prints it), to admin and application tokens alike, and only after
// authentication; the SDK's serverVersion()/serverInfo() read it, and give null for a server older than
// the op (one that answers SYNTAX_ERROR "unknown op"), which a stand-in server plays here.
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer } from 'ws'
import { AcheronError, connect } from '../../src/index.js'
import { startServer, WsClient, type ServerProcess } from '../support/server-process.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
const ADMIN = 'admin-token-for-version-test'
const APP = 'app-token-for-version-test'

let server: ServerProcess | null = null
test.before(async () => {
  server = await startServer({ args: ['--admin-token', ADMIN, '--app-token', APP] })
})
test.after(async () => {
  await server?.stop()
})
const url = (): string => (server as ServerProcess).url

test('{"op":"version"} is answered with the package version, to an admin and to an application token', async () => {
  assert.match(VERSION, /^\d+\.\d+\.\d+/)
  for (const token of [ADMIN, APP]) {
    const c = await WsClient.connect(url(), { headers: { authorization: `Bearer ${token}` } })
    try {
      const r = await c.request({ op: 'version' })
      assert.equal(r, { id: 1, ok: true, results: [], server: { name: 'acheron', version: VERSION } })
      // An ordinary request on the same connection is unchanged: no "server" field.
      const q = await c.request({ op: 'sql', sql: 'SELECT 1 AS one' })
      assert.is((q as Record<string, unknown>).server, undefined)
    } finally {
      await c.close()
    }
  }
})

test('before authentication "version" is refused like any frame but auth: UNAUTHORIZED and closed', async () => {
  const c = await WsClient.connect(url())
  try {
    c.sendRaw(JSON.stringify({ id: 1, op: 'version' }))
    const refusal = await c.waitFor((m) => (m as { ok?: unknown }).ok === false, undefined, 'the refusal')
    assert.is((refusal as { error: { code: string } }).error.code, 'UNAUTHORIZED')
    assert.is((await c.closed).code, 1008)
  } finally {
    await c.close()
  }
})

test('the SDK: serverVersion() and serverInfo()', async () => {
  const db = await connect(url(), { token: APP })
  try {
    assert.is(await db.serverVersion(), VERSION)
    assert.equal(await db.serverInfo(), { name: 'acheron', version: VERSION })
  } finally {
    await db.close()
  }
})

test('the SDK against a server older than the op: null, not an error; other failures still reject', async () => {
  // A stand-in for an older server: it answers everything but auth as the old decoder did (the stand-in is
  // closed even when connect() fails, or the test process would never end).
  const old = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  let garbled = false
  old.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id: number; op: string }
      if (m.op === 'auth') ws.send(JSON.stringify({ id: m.id, ok: true, results: [] }))
      else if (garbled) ws.send(JSON.stringify({ id: m.id, ok: true, results: [] }))
      else ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: 'SYNTAX_ERROR', message: `unknown op ${JSON.stringify(m.op)}: use "sql", "call" or "auth"` } }))
    })
  })
  await new Promise<void>((resolve) => old.once('listening', () => resolve()))
  try {
    const db = await connect(`ws://127.0.0.1:${(old.address() as AddressInfo).port}`)
    try {
      assert.is(await db.serverVersion(), null)
      assert.is(await db.serverInfo(), null)
      garbled = true // an ok reply without "server" is a broken server, said as such
      const broken = await db.serverVersion().then(() => null, (e: unknown) => e)
      assert.ok(broken instanceof AcheronError && broken.code === 'INTERNAL' && /no server \{name, version\}/.test(broken.message), String(broken))
    } finally {
      await db.close()
    }
  } finally {
    for (const ws of old.clients) ws.terminate()
    await new Promise<void>((resolve) => old.close(() => resolve()))
  }
})

test.run()
