// `acheron cluster --data DIR`: one cluster per DIR. A second one on a running cluster's DIR is refused
// before it starts anything, naming the holder (it started NATS servers on the running ones' stores and
// rewrote their configuration files); a cluster killed with SIGKILL leaves nothing that blocks the next
// start. A regular file, or a single node's data directory, as DIR is a usage error.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'
import { processesUnder } from '../support/processes.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

function killUnder(dir: string): void {
  for (const line of processesUnder(dir)) {
    try { process.kill(Number(line.split(' ')[0]), 'SIGKILL') } catch { /* gone */ }
  }
}

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
  }
}

/** `acheron cluster --nodes 1 --data dir`, resolved once its node line is printed. */
async function startCluster(dir: string): Promise<{ child: ReturnType<typeof spawn>; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', '1', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no node line within 90 s: ${stderr}`)), 90_000)
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`acheron cluster exited (${code}): ${stderr}`)) })
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer)
      if (/^acheron node 1 listening on ws:\/\//.test(line)) resolve()
      else reject(new Error(`unexpected line ${JSON.stringify(line)}`))
    })
  })
  return { child, stderr: () => stderr, exited }
}

test('acheron cluster --data: a regular file, or a single node\'s data directory, is a usage error; nothing is made in it', () => {
  const { dir, cleanup } = tempDir('acheron-cluster-dir-')
  try {
    const file = join(dir, 'file')
    writeFileSync(file, 'x')
    const onFile = spawnSync(process.execPath, [CLI, 'cluster', '--nodes', '1', '--data', file], { encoding: 'utf8', timeout: 30_000 })
    assert.is(onFile.status, 2, onFile.stderr)
    // It said "ENOTDIR: not a directory, mkdir '…/nats'".
    assert.match(onFile.stderr, `--data ${file} is not a directory`)
    for (const own of ['acheron.db', 'log', 'nats-log.json']) {
      const single = join(dir, `single-${own}`)
      mkdirSync(single)
      if (own === 'log') mkdirSync(join(single, own))
      else writeFileSync(join(single, own), '')
      const r = spawnSync(process.execPath, [CLI, 'cluster', '--nodes', '1', '--data', single], { encoding: 'utf8', timeout: 30_000 })
      assert.is(r.status, 2, r.stderr)
      assert.match(r.stderr, `--data ${single} is the data directory of a single node (it holds ${own})`)
      // It added nats/ and node1/ beside the node's own files, and ran a cluster there.
      assert.equal(readdirSync(single), [own], own)
    }
  } finally {
    cleanup()
  }
})

natsTest('acheron cluster on a DIR another one runs on is refused before it starts anything, naming the holder; after a SIGKILL of the holder it starts', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-dir-')
  let first: Awaited<ReturnType<typeof startCluster>> | null = null
  let again: Awaited<ReturnType<typeof startCluster>> | null = null
  try {
    first = await startCluster(dir)
    const conf = readFileSync(join(dir, 'nats', 'n1.conf'), 'utf8')
    const running = processesUnder(dir)
    const second = spawnSync(process.execPath, [CLI, 'cluster', '--nodes', '1', '--data', dir], { encoding: 'utf8', timeout: 60_000 })
    assert.is(second.status, 1, second.stderr)
    assert.match(second.stderr, `the cluster directory ${dir} is in use by process ${first.child.pid} (since `)
    // It started a NATS server on n1's store with a configuration file of its own, then failed at node 1.
    assert.not.match(second.stderr, /acheron cluster: NATS servers|acheron node \d listening/)
    assert.is(readFileSync(join(dir, 'nats', 'n1.conf'), 'utf8'), conf, 'n1.conf as the running cluster wrote it')
    assert.equal(processesUnder(dir), running, 'no process started')
    assert.is(first.child.exitCode, null, 'the first cluster runs on')
    // Killed with SIGKILL, it leaves its pid file; its orphan guard stops its children; the next start takes the directory.
    first.child.kill('SIGKILL')
    await first.exited
    await until('the orphan guard stopped the first cluster\'s node and NATS server', 10_000, () => processesUnder(dir).length === 0)
    assert.ok(existsSync(join(dir, 'acheron.pid')), 'a SIGKILL leaves the pid file')
    again = await startCluster(dir)
    assert.is(readFileSync(join(dir, 'acheron.pid'), 'utf8').split('\n')[0], String(again.child.pid))
    again.child.kill('SIGTERM')
    assert.is(await again.exited, 0, again.stderr())
    assert.not.ok(existsSync(join(dir, 'acheron.pid')), 'a clean stop removes the pid file')
    assert.equal(processesUnder(dir), [])
  } finally {
    first?.child.kill('SIGKILL')
    again?.child.kill('SIGKILL')
    killUnder(dir)
    cleanup()
  }
})

test.run()
