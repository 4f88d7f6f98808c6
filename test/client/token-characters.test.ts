// A token the server accepts (`--admin-token 'tök€n'`, a token file with a newline inside) could not be used
// by connect(): the SDK put every token in `Authorization: Bearer T`, and Node refuses a header holding
// anything but Latin-1 without control characters ("Invalid character in header content"), so connect()
// failed with INTERNAL, retryable, every attempt alike; and HTTP drops a header's surrounding spaces, so
// 'apptok ' authenticated as 'apptok' at the upgrade and then failed the auth frame with "wrong token (this
// connection stays authenticated with the application token)". Such a token now travels in the auth frame
// alone, which the SDK sends on every connection anyway.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect } from '../../src/index.js'
import { startServer } from '../support/server-process.js'

const ADMIN = 'tök€n'
const APP = 'app token'

async function refusal(url: string, token: string): Promise<[string, string, boolean | undefined]> {
  const e = await connect(url, { token, reconnect: { attemptsMax: 1 } }).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
  assert.instance(e, AcheronError, JSON.stringify(token))
  const err = e as AcheronError
  return [err.code, err.message, err.retryable]
}

test('a token that cannot go in an HTTP header authenticates with the auth frame; surrounding spaces are no match', async () => {
  const server = await startServer({ args: ['--admin-token', ADMIN, '--app-token', APP] })
  try {
    const admin = await connect(server.url, { token: ADMIN })
    try {
      await admin.sql('CREATE TABLE kv (id TEXT PRIMARY KEY, v INTEGER)')
    } finally {
      await admin.close()
    }
    // A space inside is visible ASCII: still the header, and the application role.
    const app = await connect(server.url, { token: APP })
    try {
      const e = await app.sql('DROP TABLE kv').then(() => null, (err: unknown) => err as AcheronError)
      assert.is(e?.code, 'FORBIDDEN')
    } finally {
      await app.close()
    }
    for (const token of ['tök€n\n', 'tök€', `${APP} `, ` ${APP}`, 'a\nb']) {
      assert.equal(await refusal(server.url, token), ['UNAUTHORIZED', 'wrong token', undefined], JSON.stringify(token))
    }
  } finally {
    await server.stop()
  }
})

test.run()
