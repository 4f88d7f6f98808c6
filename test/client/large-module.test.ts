// A module of 10 MiB registered through the remote SDK, with createFunction() and with FROM WASM FILE.
// The SDK sent the bytes as X'<hex>', two characters a byte, so a module over 8 MiB made a frame over the
// server's 16 MiB and was refused unsent (PAYLOAD_TOO_LARGE), though the server takes the module in one
// frame as BASE64 (4 characters for 3 bytes, about 12 MiB at most) and open()'s database takes it too.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from '../../src/index.js'
import { createFunctionSql } from '../../src/client/remote.js'
import { startServer } from '../support/server-process.js'
import { tempDir } from '../support/tmp.js'

const BANK = readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url)))

/** `module` with a custom section of `n` bytes at its end: valid, and as large as wanted. */
function padded(module: Uint8Array, n: number): Uint8Array {
  const name = Buffer.from('pad')
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.alloc(n, 7)])
  const size: number[] = []
  for (let v = body.length; ; ) {
    const low = v & 0x7f
    v >>>= 7
    size.push(v === 0 ? low : low | 0x80)
    if (v === 0) break
  }
  return new Uint8Array(Buffer.concat([module, Buffer.from([0]), Buffer.from(size), body]))
}

test('createFunction sends the module as BASE64', () => {
  assert.match(createFunctionSql('t.f', Buffer.from([0, 0x61])), /FROM WASM BASE64 'AGE=';$/)
})

test('a module of 10 MiB registers over WebSocket, by createFunction and by FROM WASM FILE', async () => {
  const tmp = tempDir()
  const server = await startServer()
  const db = await connect(server.url)
  try {
    const big = padded(BANK, 10 * 1024 * 1024)
    const file = join(tmp.dir, 'big.wasm')
    writeFileSync(file, big)
    await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0)')
    await db.createFunction('account.deposit', big)
    await db.sql(`CREATE FUNCTION account.withdraw FROM WASM FILE '${file.replaceAll("'", "''")}'`)
    assert.is((await db.call('account.deposit', 'a', 5)).value, 5)
    assert.is((await db.call('account.withdraw', 'a', 2)).value, 3)
  } finally {
    await db.close()
    await server.stop()
    tmp.cleanup()
  }
})

test.run()
