// The Rust and C banks over the WebSocket server: registered from bytes with connect().createFunction and
// called by a remote client, as the AssemblyScript one is in test/client/remote.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, type RemoteDatabase } from '../../src/index.js'
import { guestModule, guestTest, type GuestLanguage } from '../support/guest-toolchains.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

let server: Promise<ServerProcess> | null = null
const serverUrl = async (): Promise<string> => (await (server ??= startServer({ args: ['--partitions', '4', '--workers', '2'] }))).url
let client: RemoteDatabase | null = null
test.after(async () => {
  await client?.close()
  const s = server === null ? null : await server.catch(() => null)
  if (s !== null) await s.kill()
})

for (const lang of ['rust', 'c'] as GuestLanguage[]) {
  guestTest(lang)(`bank (${lang}) over the server: transfers commit, an overdraft aborts with the guest's message`, async () => {
    client ??= await connect(await serverUrl())
    const db = client
    // The module's transfer calls account.deposit by name, so it runs on `account`; each language
    // registers its own module there and uses its own keys.
    await db.sql('CREATE TABLE IF NOT EXISTS account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;')
    const bytes = guestModule('bank', lang)
    for (const f of ['balance', 'deposit', 'withdraw', 'transfer']) await db.createFunction(`account.${f}`, bytes, { export: f, orReplace: true })
    const [alice, bob] = [`alice-${lang}`, `bob-${lang}`]
    assert.is((await db.call('account.deposit', alice, 100)).value, 100)
    assert.is((await db.call('account.transfer', alice, bob, 30)).value, 70)
    assert.is((await db.call('account.withdraw', alice, 20)).value, 50)
    let error: unknown = null
    try {
      await db.call('account.transfer', alice, bob, 51)
    } catch (e) {
      error = e
    }
    assert.instance(error, AcheronError)
    assert.is((error as AcheronError).code, 'TXN_ABORTED')
    assert.is((error as AcheronError).message, 'insufficient funds')
    const rows = (await db.query('SELECT id, balance FROM account WHERE id IN (?, ?) ORDER BY id', [alice, bob])).rows
    assert.equal(rows, [[alice, 50], [bob, 30]])
  })
}

test.run()
