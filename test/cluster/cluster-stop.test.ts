// Ctrl-C of `acheron cluster` stops everything in bounded time even when a node does not exit: every node
// is signalled at once, one left after CLUSTER_NODE_STOP_MS is SIGKILLed (said on stderr), then NATS is
// stopped. Before, the nodes were stopped one at a time without a bound: a node that did not exit held
// the stop for ever, and the nodes after it and the NATS servers were never signalled.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { CLUSTER_NODE_STOP_MS } from '../../src/cli/cluster-command.js'
import { NATS_STOP_MS } from '../../src/cluster/local-nats.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'
import { alive, processesUnder } from '../support/processes.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

const pidOf = (line: string): number => Number(line.split(' ')[0])

natsTest('acheron cluster: SIGINT with a node that does not exit (SIGSTOPped) SIGKILLs it after CLUSTER_NODE_STOP_MS, saying so, and stops every other node and NATS server', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-stop-')
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', '2', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let started: number[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 2 node lines within 90 s: ${stderr}`)), 90_000)
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`acheron cluster exited (${code}): ${stderr}`)) })
      let lines = 0
      createInterface({ input: child.stdout }).on('line', () => { if (++lines === 2) { clearTimeout(timer); resolve() } })
    })
    started = processesUnder(dir).map(pidOf)
    assert.ok(started.length >= 4, `two nodes and two NATS servers: ${processesUnder(dir).join('; ')}`)
    const writer = processesUnder(`${dir}/node1 `)
    assert.is(writer.length, 1, writer.join('\n'))
    // A node that ignores SIGTERM: stopped, it never runs its handler (SIGKILL still ends it).
    process.kill(pidOf(writer[0] as string), 'SIGSTOP')
    child.kill('SIGINT')
    // A bound on a hang, not on speed: the stop's own bounds and a wide margin.
    const bound = CLUSTER_NODE_STOP_MS + NATS_STOP_MS + 60_000
    let timer: NodeJS.Timeout | undefined
    const code = await Promise.race([exited, new Promise<'hung'>((r) => { timer = setTimeout(() => r('hung'), bound) })])
    clearTimeout(timer)
    assert.is(code, 0, `acheron cluster exited after SIGINT: ${stderr}`)
    assert.match(stderr, `acheron cluster: node 1 did not stop within ${CLUSTER_NODE_STOP_MS / 1000} s of SIGTERM; killing it (SIGKILL)`)
    assert.equal(processesUnder(dir), [], 'no node or NATS server left running')
    assert.equal(started.filter(alive), [], 'every child it started has exited')
  } finally {
    child.kill('SIGKILL')
    for (const pid of [...started, ...processesUnder(dir).map(pidOf)]) {
      try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
    cleanup()
  }
})

test.run()
