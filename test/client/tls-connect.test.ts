// connect() to a wss:// server whose certificate this machine does not trust. Trying again cannot change
// that, yet it was tried attemptsMax times (delayMs apart) and rejected as retryable, so an application's
// retry loop went on retrying it. And `ca` given a file's path, a common slip for its PEM text, was passed
// to TLS as is and failed the same way, saying nothing of the option.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from '../../src/index.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { rejection } from '../support/rejection.js'

function selfSigned(): { cert: string; key: string } {
  const { dir } = tempDir()
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  return { cert, key }
}

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('an untrusted certificate fails at the first attempt, not retryable; ca as a path is TYPE_MISMATCH; its PEM connects', async () => {
  const tls = selfSigned()
  server = await startServer({ args: ['--tls-cert', tls.cert, '--tls-key', tls.key, '--token', 'tt'] })
  // Three attempts 20 s apart would take 40 s: one attempt takes milliseconds.
  const started = Date.now()
  const untrusted = await rejection(connect(server.url, { token: 'tt', reconnect: { attemptsMax: 3, delayMs: 20_000 } }))
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms: it was tried again`)
  assert.match(untrusted.message, /self[- ]signed/)
  assert.not.ok(untrusted.retryable)
  const path = await rejection(connect(server.url, { token: 'tt', ca: tls.cert }))
  assert.is(path.code, 'TYPE_MISMATCH')
  assert.match(path.message, /ca.*PEM/)
  const db = await connect(server.url, { token: 'tt', ca: readFileSync(tls.cert) })
  try {
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
  } finally {
    await db.close()
  }
  // The same PEM as a plain Uint8Array (what the client's types name, so they need no @types/node), in a list.
  const pem = readFileSync(tls.cert)
  const plain = new Uint8Array(pem.byteLength)
  plain.set(pem)
  const db2 = await connect(server.url, { token: 'tt', ca: [plain] })
  try {
    assert.equal((await db2.query('SELECT 1')).rows, [[1]])
  } finally {
    await db2.close()
  }
})

test.run()
