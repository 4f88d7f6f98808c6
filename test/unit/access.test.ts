// The Origin rule and the roles of src/server/access.ts, case by case (the end-to-end checks are in
// test/server/access.test.ts and browser-access.test.ts).
import type { IncomingMessage } from 'node:http'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { parseScript } from '../../src/sql/parse.js'
import { authorizeStatement, originRefusal, roleOf, type OriginRule } from '../../src/server/access.js'
import { checkFunctionName, FUNCTION_NAME_CHARS_MAX, leadingRequestId } from '../../src/server/wire.js'

function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage
}
const plain: OriginRule = { tls: false, allowedOrigins: [], authRequired: false }
const withToken: OriginRule = { ...plain, authRequired: true }

test('origin: absent is allowed; own origin under an IP or localhost; scheme, port and host must match', () => {
  assert.is(originRefusal(plain, req({ host: '127.0.0.1:7878' })), null)
  assert.is(originRefusal(plain, req({ host: '127.0.0.1:7878', origin: 'http://127.0.0.1:7878' })), null)
  assert.is(originRefusal(plain, req({ host: 'LOCALHOST:7878', origin: 'http://localhost:7878' })), null)
  assert.is(originRefusal(plain, req({ host: '[::1]:7878', origin: 'http://[::1]:7878' })), null)
  assert.is(originRefusal(plain, req({ host: '10.0.0.5', origin: 'http://10.0.0.5:80' })), null, 'default port normalised')
  assert.type(originRefusal(plain, req({ host: '127.0.0.1:7878', origin: 'http://127.0.0.1:7879' })), 'string')
  assert.type(originRefusal(plain, req({ host: '127.0.0.1:7878', origin: 'https://127.0.0.1:7878' })), 'string')
  assert.type(originRefusal(plain, req({ host: '127.0.0.1:7878', origin: 'null' })), 'string')
  assert.type(originRefusal(plain, req({ origin: 'http://127.0.0.1:7878' })), 'string', 'no Host header')
  assert.is(originRefusal({ ...plain, tls: true }, req({ host: '127.0.0.1:7878', origin: 'https://127.0.0.1:7878' })), null)
})

test('origin: a DNS name is own only with a token (rebinding); --allow-origin lists others exactly', () => {
  const rebound = req({ host: 'evil.example:7878', origin: 'http://evil.example:7878' })
  assert.match(originRefusal(plain, rebound) ?? '', /without a token/)
  assert.is(originRefusal(withToken, rebound), null)
  const allow: OriginRule = { ...plain, allowedOrigins: ['https://app.example'] }
  assert.is(originRefusal(allow, req({ host: '127.0.0.1:7878', origin: 'https://app.example' })), null)
  assert.is(originRefusal(allow, req({ host: '127.0.0.1:7878', origin: 'https://APP.example:443' })), null)
  assert.type(originRefusal(allow, req({ host: '127.0.0.1:7878', origin: 'http://app.example' })), 'string')
  assert.type(originRefusal(allow, req({ host: '127.0.0.1:7878', origin: 'https://app.example.evil' })), 'string')
})

test('roles: tokens map to roles; the app role may not run DDL', () => {
  const tokens = { admin: 'a-token', app: 'p-token' }
  assert.is(roleOf(tokens, 'a-token'), 'admin')
  assert.is(roleOf(tokens, 'p-token'), 'app')
  assert.is(roleOf(tokens, 'x'), null)
  assert.is(roleOf({ admin: null, app: 'p-token' }, 'a-token'), null)
  const allowed = "CALL t.f(1); INSERT INTO t VALUES (1); UPDATE t SET v = 1; DELETE FROM t; SELECT * FROM t; SHOW TABLES; SHOW FUNCTIONS; DESCRIBE t; SHOW STATS;"
  for (const s of parseScript(allowed)) authorizeStatement('app', s)
  const ddl = 'CREATE TABLE x (id INTEGER PRIMARY KEY); DROP TABLE t; DROP FUNCTION t.f; CREATE FUNCTION t.f FROM WASM X\'00\'; CREATE FUNCTIONS t.* FROM WASM X\'00\';'
  for (const s of parseScript(ddl)) {
    authorizeStatement('admin', s)
    try {
      authorizeStatement('app', s)
      assert.unreachable(`${s.kind} allowed for the app role`)
    } catch (e) {
      assert.instance(e, AcheronError)
      assert.is((e as AcheronError).code, 'FORBIDDEN')
      assert.is((e as AcheronError).statement, s.index)
    }
  }
})

test('wire: function-name bound and the id at the start of an oversized frame', () => {
  checkFunctionName('a'.repeat(64) + '.' + 'b'.repeat(64))
  assert.throws(() => checkFunctionName('a'.repeat(FUNCTION_NAME_CHARS_MAX + 1)), /at most 129 characters/)
  assert.is(leadingRequestId(Buffer.from('{"id":17,"op":"sql"')), 17)
  assert.is(leadingRequestId(Buffer.from(' { "id" : 3 }')), 3)
  assert.is(leadingRequestId(Buffer.from('{"op":"sql","id":17}')), null)
  assert.is(leadingRequestId(Buffer.from('{"id":99999999999999999,')), null)
  assert.is(leadingRequestId(Buffer.from('{"id":1.5,')), null)
})

test.run()
