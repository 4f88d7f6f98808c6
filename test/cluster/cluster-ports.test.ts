// `acheron cluster --port BASE`: node N listens on BASE+N-1, the same port each time the cluster starts
// (before, every start drew random ports). A value that is no port for every node is a usage error, and
// a taken port is refused before anything starts.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { nodePorts } from '../../src/cli/cluster-command.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

function listening(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ host: '127.0.0.1', port }, () => resolve(s))
  })
}

function portOf(s: Server): number {
  const a = s.address()
  if (a === null || typeof a === 'string') throw new Error('not listening on TCP')
  return a.port
}

const closed = (s: Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()))

test('nodePorts: node N on BASE+N-1; 0 is any free port; values that are no port for every node are usage errors', () => {
  const ports = nodePorts('7000', 3)
  assert.equal([1, 2, 3].map(ports), [7000, 7001, 7002])
  assert.is(nodePorts('0', 5)(4), 0)
  assert.is(nodePorts('65533', 3)(3), 65535)
  for (const bad of ['65534', '-1', 'x', '7000.5', '', '1e3', '123456']) {
    assert.throws(() => nodePorts(bad, 3), /--port must be 0 \(any free ports\) or a port from 1 to 65533/, bad)
  }
})

test('acheron cluster --port: a bad value exits 2 saying why; a taken port exits 1 naming it, before a directory or NATS server is made', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-ports-')
  const taken = await listening()
  try {
    const data = join(dir, 'cluster')
    const bad = spawnSync(process.execPath, [CLI, 'cluster', '--nodes', '2', '--port', '65535', '--data', data], { encoding: 'utf8', timeout: 30_000 })
    assert.is(bad.status, 2, bad.stderr)
    assert.match(bad.stderr, /--port must be 0 \(any free ports\) or a port from 1 to 65534/)
    // Node 2 of the cluster would listen on the taken port.
    const busy = spawnSync(process.execPath, [CLI, 'cluster', '--nodes', '2', '--port', String(portOf(taken) - 1), '--data', data], { encoding: 'utf8', timeout: 30_000 })
    assert.is(busy.status, 1, busy.stderr)
    assert.match(busy.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${portOf(taken)}: another process is using the port`))
    assert.not.ok(existsSync(data), 'nothing was made')
  } finally {
    await closed(taken)
    cleanup()
  }
})

/** Runs `acheron cluster --nodes 1 --port port` on `dir` until its node line; stops it with SIGTERM. */
async function nodeLine(dir: string, port: number): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', '1', '--port', String(port), '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no node line within 90 s: ${stderr}`)), 90_000)
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`acheron cluster exited (${code}): ${stderr}`)) })
      createInterface({ input: child.stdout }).once('line', (line) => { clearTimeout(timer); resolve(line) })
    })
  } finally {
    child.kill('SIGTERM')
    assert.is(await exited, 0, stderr)
  }
}

natsTest('acheron cluster --port BASE: node 1 listens on BASE, and on BASE again when started again', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-ports-')
  try {
    const probe = await listening()
    const base = portOf(probe)
    await closed(probe)
    for (let run = 0; run < 2; run++) assert.is(await nodeLine(dir, base), `acheron node 1 listening on ws://127.0.0.1:${base}`, `start ${run + 1}`)
  } finally {
    cleanup()
  }
})

test.run()
