// `acheron cluster`: a NATS server killed with SIGKILL is started again after a short delay, said on
// stderr, and the cluster heals: with one node and one server, the node writes again once it is back.
import { execFileSync, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect } from '../../src/index.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/** Pids of the processes whose command line names `pattern`. */
function pids(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '').map(Number)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  return what()
}

natsTest('a NATS server killed is restarted after a short delay and said so; the node writes again', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-')
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', '1', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no node line within 90 s: ${stderr}`)), 90_000)
      createInterface({ input: child.stdout }).once('line', (line) => { clearTimeout(timer); resolve(line.replace(/^acheron node 1 listening on /, '')) })
    })
    const db = await connect(url, { requestTimeoutMs: 5000 })
    try {
      await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)')
      await db.sql('INSERT INTO t VALUES (1, 1)')
      const [first] = pids(`${dir}/nats/n1.conf`)
      assert.ok(first !== undefined, 'a NATS server runs')
      process.kill(first as number, 'SIGKILL')
      // Before: "exited (SIGKILL); the stream goes on while a majority of its servers live", and it
      // stayed dead until the whole cluster was started again.
      assert.ok(await until(() => /acheron cluster: NATS server 1 \(nats:\/\/[^)]+\) exited \(SIGKILL\); the stream goes on while a majority of its servers live; restarting it in 2 s/.test(stderr), 10_000), stderr)
      assert.ok(await until(() => /acheron cluster: NATS server 1 \(nats:\/\/[^)]+\) restarted on its store/.test(stderr), 20_000), stderr)
      const now = pids(`${dir}/nats/n1.conf`)
      assert.is(now.length, 1, now.join(' '))
      assert.is.not(now[0], first, 'a new process')
      // The cluster heals: the node (which lost its only server) writes the stream again.
      let written = false
      let lastError = ''
      const deadline = Date.now() + 90_000
      for (let v = 2; !written && Date.now() < deadline; v++) {
        written = await db.sql(`INSERT OR REPLACE INTO t VALUES (1, ${v})`).then(() => true, (e: Error) => { lastError = e.message; return false })
        if (!written) await new Promise((r) => setTimeout(r, 500))
      }
      assert.ok(written, `no write after the restart: ${lastError}; ${stderr}`)
    } finally {
      await db.close()
    }
    child.kill('SIGTERM')
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))])
    assert.is(code, 0, stderr)
    assert.equal(pids(dir), [], 'no node or NATS server left running')
  } finally {
    child.kill('SIGKILL')
    for (const p of pids(dir)) { try { process.kill(p, 'SIGKILL') } catch { /* gone */ } }
    cleanup()
  }
})

test.run()
