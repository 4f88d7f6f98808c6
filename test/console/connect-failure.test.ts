// What `acheron console` says when it cannot connect over TLS, or with the wrong scheme: each case names
// what to change. All three ended with "Is acheron serve running there?", though it was running there.
// The messages are those the SDK gives (src/client/remote.ts, "cannot connect to URL: <Node's reason>").
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/index.js'
import { connectionFailureText } from '../../src/console/main.js'
import { unitsOf } from '../../src/console/run-script.js'
import { Session } from '../../src/console/session.js'
import type { Unit } from '../../src/console/units.js'
import { freePort } from '../support/server-process.js'

const failure = (url: string, reason: string): string | null =>
  connectionFailureText(url, new AcheronError('INTERNAL', `cannot connect to ${url}: ${reason}`, { retryable: true }))

test('a certificate this machine does not trust: say so and how to give its CA', () => {
  for (const reason of ['self-signed certificate', 'unable to verify the first certificate', 'certificate has expired']) {
    assert.is(failure('wss://db:7000', reason),
      `acheron console: cannot connect to wss://db:7000: the server's certificate is not trusted here (${reason}). For a private or self-signed certificate, give the certificate that signed it: NODE_EXTRA_CA_CERTS=ca.pem acheron console wss://db:7000`)
  }
  const mismatch = "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1"
  assert.is(failure('wss://127.0.0.2:7000', mismatch),
    `acheron console: cannot connect to wss://127.0.0.2:7000: the server's certificate is not for this host (${mismatch}). Connect with a name or address the certificate lists`)
})

test('wss:// to a server without TLS, and ws:// to one with it: say which scheme to use', () => {
  const plain = 'write EPROTO 80FCAAE2927F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n'
  assert.is(failure('wss://127.0.0.1:7000', plain),
    'acheron console: cannot connect to wss://127.0.0.1:7000: the server does not speak TLS there. Use ws://127.0.0.1:7000 (acheron serve serves wss:// only with --tls-cert and --tls-key)')
  assert.is(failure('ws://127.0.0.1:7000', 'socket hang up'),
    'acheron console: cannot connect to ws://127.0.0.1:7000: the server closed the connection at once. If it serves TLS (--tls-cert), use wss://127.0.0.1:7000')
})

test('a refused connection keeps its words', () => {
  assert.is(failure('ws://127.0.0.1:7000', 'connect ECONNREFUSED 127.0.0.1:7000'),
    'acheron console: cannot connect to ws://127.0.0.1:7000: connection refused. Is "acheron serve" running there (and is the URL\'s port its port)?')
})

test('in the REPL, a server gone since the start is said in the same words under ERROR, not as Node\'s ECONNREFUSED', async () => {
  const url = `ws://127.0.0.1:${await freePort()}`
  const session = new Session(url)
  try {
    const [unit] = unitsOf([{ label: '', text: 'SELECT 1;', baseDir: '.' }])
    const outcome = await session.run(unit as Unit)
    assert.ok(!outcome.ok)
    const said = `cannot connect to ${url}: connection refused. Is "acheron serve" running there (and is the URL's port its port)?`
    if (!outcome.ok) assert.equal([outcome.failure.error.code, outcome.failure.error.message], ['INTERNAL', said])
    const listed = await session.query('SHOW TABLES').then(() => null, (e: unknown) => e as AcheronError)
    assert.is(listed?.message, said)
  } finally {
    await session.close()
  }
})

test.run()
