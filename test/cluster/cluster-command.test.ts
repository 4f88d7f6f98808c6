// `acheron cluster --nodes 3`: three NATS servers and three nodes on one R3 stream, one line per node;
// any node answers any request with the same reply (DDL through one follower, calls through the other,
// reads through all three); SIGTERM stops every process it started.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect } from '../../src/index.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const BANK = readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))).toString('hex')

/** Processes whose command line names `dir` (the nodes' --data, the NATS servers' configuration files). */
function processesUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '')
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

natsTest('acheron cluster --nodes 3: a line per node; any node answers any request alike; SIGTERM stops everything', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-')
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', '3', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    const urls = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = []
      const timer = setTimeout(() => reject(new Error(`no three node lines within 90 s: ${JSON.stringify(got)} ${stderr}`)), 90_000)
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^acheron node (\d) listening on (ws:\/\/\S+)$/.exec(line)
        assert.ok(m !== null, `unexpected line ${JSON.stringify(line)}`)
        assert.is(Number(m[1]), got.length + 1)
        got.push(m[2] as string)
        if (got.length === 3) { clearTimeout(timer); resolve(got) }
      })
    })
    const [one, two, three] = await Promise.all(urls.map((u) => connect(u)))
    assert.ok(one !== undefined && two !== undefined && three !== undefined)
    try {
      const ddl = await two.sql(`CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;
        CREATE FUNCTION account.transfer FROM WASM X'${BANK}'; CREATE FUNCTION account.deposit FROM WASM X'${BANK}';
        INSERT INTO account VALUES ('alice', 100), ('bob', 0);`)
      assert.is(ddl.length, 4)
      const moved = await three.call('account.transfer', 'alice', 'bob', 30)
      assert.is(moved.value, 70)
      const refused = await three.call('account.transfer', 'alice', 'bob', 300).then(() => null, (e: { code?: string; commit?: unknown }) => e)
      assert.is(refused?.code, 'TXN_ABORTED')
      assert.ok(refused?.commit !== undefined, 'a rollback that ran carries its position through the follower')
      const again = await one.call('account.transfer', 'bob', 'alice', 5)
      assert.ok(again.commit.batch > moved.commit.batch, 'one order, whichever node took the request')
      for (const db of [one, two, three]) {
        assert.equal((await db.query('SELECT id, balance FROM account ORDER BY id')).rows, [['alice', 75], ['bob', 25]])
      }
    } finally {
      for (const db of [one, two, three]) await db.close()
    }
    child.kill('SIGTERM')
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))])
    assert.is(code, 0, stderr)
    assert.equal(processesUnder(dir), [], 'no node or NATS server left running')
  } finally {
    child.kill('SIGKILL')
    for (const pid of processesUnder(dir)) {
      try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone */ }
    }
    cleanup()
  }
})

test.run()
