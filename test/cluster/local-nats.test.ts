// `startLocalNats` (acheron cluster, acheron check --cluster, the tests) picks ports that were free a
// moment ago; another process may take one before nats-server binds it (a CI run met this: a route port
// already in use). The start is then tried again on fresh ports, and the cluster comes up whole.
import { spawnSync } from 'node:child_process'
import { createServer, connect, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort, startLocalNats } from '../../src/cluster/local-nats.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }))
  })
}

function reachable(url: string): Promise<boolean> {
  const { port } = new URL(url)
  return new Promise((resolve) => {
    const sock = connect({ port: Number(port), host: '127.0.0.1' })
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => resolve(false))
  })
}

for (const which of ['client', 'route'] as const) {
  natsTest(`a 3-server cluster whose first ${which} port is taken starts again on fresh ports`, async () => {
    const taken = await listen()
    const { dir, cleanup } = tempDir('acheron-nats-ports-')
    // The picker's first port (n1's client port) or second (n1's route port) is one held by this process.
    let calls = 0
    const pick = async (): Promise<number> => (++calls === (which === 'client' ? 1 : 2) ? taken.port : freePort())
    try {
      const nats = await startLocalNats(dir, 3, pick)
      try {
        assert.ok(calls > 6, `fresh ports were picked after the taken one (${calls} picks)`)
        assert.not.ok(nats.urls.some((u) => u.endsWith(`:${taken.port}`)), 'no server is on the taken port')
        for (const url of nats.urls) assert.ok(await reachable(url), `${url} listens`)
      } finally {
        await nats.stop()
      }
    } finally {
      taken.server.close()
      cleanup()
    }
  })
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

// A killed server is restarted on its own ports (the others' routes name them): a port not free yet is
// tried again instead of failing the run (acheron check --cluster restarts the server it killed).
natsTest('a restart waits for its port to be free again', async () => {
  const { dir, cleanup } = tempDir('acheron-nats-restart-')
  const nats = await startLocalNats(dir, 1)
  let holder: Server | undefined
  try {
    const node = nats.nodes[0]!
    const before = node.process
    node.kill()
    while (before.exitCode === null && before.signalCode === null) await new Promise((r) => setTimeout(r, 10))
    // Something else holds the server's client port for a while after its death.
    holder = await listenOn(Number(new URL(node.url).port))
    setTimeout(() => holder?.close(), 500)
    await node.restart()
    assert.is.not(node.process, before, 'a new process')
    assert.ok(node.process.exitCode === null, 'the restarted server runs')
    assert.ok(await reachable(node.url), `${node.url} listens again`)
    // A restart of a running server stops it first.
    const running = node.process
    await node.restart()
    assert.ok(running.signalCode === 'SIGKILL', 'the running one was killed first')
    assert.ok(await reachable(node.url), `${node.url} listens after the second restart`)
  } finally {
    holder?.close()
    await nats.stop()
    cleanup()
  }
})

// A process that exits while its servers run (a runner's process.exit mid-test) does not leave them behind.
natsTest('servers do not outlive the process that started them', () => {
  const { dir, cleanup } = tempDir('acheron-nats-orphan-')
  let pid = 0
  try {
    const module = fileURLToPath(new URL('../../src/cluster/local-nats.js', import.meta.url))
    const script = `import { startLocalNats } from ${JSON.stringify(module)}
const nats = await startLocalNats(${JSON.stringify(dir)}, 1)
console.log(nats.nodes[0].process.pid)
process.exit(0)`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    assert.is(r.status, 0, r.stderr)
    pid = Number(r.stdout.trim())
    assert.ok(pid > 0, `a pid: ${r.stdout}`)
    let alive = true
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0)
        spawnSync('sleep', ['0.05'])
      } catch {
        alive = false
      }
    }
    assert.not.ok(alive, `nats-server ${pid} was left running`)
  } finally {
    if (pid > 0) try { process.kill(pid, 'SIGKILL') } catch { /* gone, as it should be */ }
    cleanup()
  }
})

test.run()
