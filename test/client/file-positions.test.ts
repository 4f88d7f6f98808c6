// The remote SDK replaces each `FROM WASM FILE 'path'` of a script with X'<the module's hex>' before
// sending it, so the server's line and column are in that text. An error after a FILE on the same line
// came back thousands of columns to the right (column 9281 for the script's 144), where no console or
// editor could show it. sql() now gives positions in the caller's script, as open()'s database does.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open, type Database } from '../../src/index.js'
import { startServer } from '../support/server-process.js'
import { tempDir } from '../support/tmp.js'

const BANK = readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url)))

async function positions(db: Database, dir: string): Promise<unknown[]> {
  const bank = join(dir, 'bank.wasm')
  const text = join(dir, 'not.wasm')
  const q = (p: string): string => `'${p.replaceAll("'", "''")}'`
  const scripts = [
    // an unknown column after a FILE on the same line
    `CREATE TABLE ff (id TEXT PRIMARY KEY, balance INTEGER); CREATE FUNCTION ff.deposit FROM WASM FILE ${q(bank)}; SELECT nope FROM ff;`,
    // a function's abort after two FILEs, one on an earlier line
    `CREATE OR REPLACE FUNCTION ff.deposit FROM WASM FILE ${q(bank)};\n  CREATE OR REPLACE FUNCTION ff.withdraw FROM WASM FILE ${q(bank)}; CALL ff.deposit('a', 'x');`,
    // the module itself refused, after a FILE on the same line: the error is at its own FILE
    `CREATE OR REPLACE FUNCTION ff.deposit FROM WASM FILE ${q(bank)}; CREATE FUNCTION ff.other FROM WASM FILE ${q(text)};`,
  ]
  const out: unknown[] = []
  for (const script of scripts) {
    try {
      await db.sql(script)
      out.push('ran')
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      out.push([e.code, e.statement, e.line, e.column])
    }
  }
  return out
}

test('errors after a FROM WASM FILE are at their place in the caller script, remote as embedded', async () => {
  const tmp = tempDir()
  try {
    mkdirSync(tmp.dir, { recursive: true })
    writeFileSync(join(tmp.dir, 'bank.wasm'), BANK)
    writeFileSync(join(tmp.dir, 'not.wasm'), 'not a module')
    const embedded = await open({ memory: true })
    let local: unknown[]
    try {
      local = await positions(embedded, tmp.dir)
    } finally {
      await embedded.close()
    }
    const nope = `CREATE TABLE ff (id TEXT PRIMARY KEY, balance INTEGER); CREATE FUNCTION ff.deposit FROM WASM FILE '${join(tmp.dir, 'bank.wasm')}'; SELECT `.length + 1
    assert.equal(local[0], ['UNKNOWN_COLUMN', 2, 1, nope])
    assert.equal((local[1] as unknown[]).slice(0, 3), ['TXN_ABORTED', 2, 2])
    assert.equal((local[2] as unknown[]).slice(0, 3), ['INVALID_WASM', 1, 1])
    const server = await startServer()
    const db = await connect(server.url)
    try {
      assert.equal(await positions(db, tmp.dir), local)
    } finally {
      await db.close()
      await server.stop()
    }
  } finally {
    tmp.cleanup()
  }
})

test.run()
