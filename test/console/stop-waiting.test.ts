// Ctrl-C while a statement runs stops the wait, not the statement: the prompt comes back at once, the
// statement still runs, and its outcome is printed when it arrives (tmux, a real server).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bigModule } from '../support/big-module.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { MAIN, shellQuote, Terminal } from './support.js'

test('Ctrl-C during a long CREATE FUNCTION gives the prompt back; the next statement runs; the outcome comes later', async () => {
  const server: ServerProcess = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  const files = tempDir('acheron-console-stop-')
  const wasm = join(files.dir, 'big.wasm')
  // ~3 s of preparation on this machine: long enough to press Ctrl-C while it is awaited.
  writeFileSync(wasm, bigModule(8000))
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote(server.url)}`, { ACHERON_HISTORY: join(files.dir, 'history') })
  try {
    await t.waitForText('acheron>')
    t.line('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER);')
    await t.waitForText('CREATE TABLE  commit')
    t.line(`CREATE FUNCTION t.run FROM WASM FILE '${wasm}';`)
    await new Promise((r) => setTimeout(r, 300))
    t.press('C-c')
    await t.waitForText('Stopped waiting: the statement was sent and runs on the server all the same')
    t.line('SELECT COUNT(*) AS n FROM t;')
    const counted = await t.waitForText('(1 row)')
    assert.ok(!counted.includes('The outcome of the statement you stopped waiting for'), `the SELECT was answered before the CREATE FUNCTION: ${counted}`)
    const late = await t.waitForText('The outcome of the statement you stopped waiting for:')
    await t.waitFor((s) => /stopped waiting for:\nCREATE FUNCTION {2}commit \{batch: \d+/.test(s), 'the late outcome')
    assert.match(late, /\^C\n/)
    t.line('CALL t.run(1);')
    await t.waitForText('(1 row)', 2)
    t.line('SELECT v FROM t WHERE k = 1;')
    await t.waitForText(` ${1 + 45 * 7999}\n(1 row)`)
  } finally {
    t.kill()
    await server.kill()
    files.cleanup()
  }
})

test.run()
