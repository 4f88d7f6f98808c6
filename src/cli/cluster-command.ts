// `acheron cluster --nodes N --data DIR`: for trying a cluster on one machine, as `cockroach demo` does.
// Starts N NATS servers with JetStream on loopback (a routed cluster; the batch log's stream R3 on three
// or more), then N `acheron serve` nodes on that stream: node 1 writes it, the others follow it and
// forward their clients' requests to node 1 (docs/scale-out.md). Prints one line per node,
// "acheron node N listening on ws://HOST:PORT", and stops everything it started on SIGINT, SIGTERM or
// SIGHUP. A node that dies is said, and the others go on: trying a fail-over is what the demo is for. A
// NATS server that dies is said and started again after NATS_RESTART_DELAY_MS, so the cluster heals.
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { joinNegativeValues } from './negative-values.js'
import { LOCAL_NATS_SERVERS_MAX, startLocalNats, type LocalNats, type NatsNode } from '../cluster/local-nats.js'
import { checkpointBatch, databaseFile } from '../storage/state-file.js'
import { probeListen } from './listen-probe.js'
import { startServeChild, type ServeChild } from './serve-child.js'
import { UsageError } from './usage-error.js'
import { takeClusterDir } from './cluster-dir.js'
import { makeDirectory } from '../storage/make-dir.js'
import { decimal } from './decimal.js'

export const CLUSTER_USAGE = `usage: acheron cluster [--nodes N] [--data DIR] [--port BASE]

Starts a cluster on this machine for trying it out: N NATS servers with JetStream on loopback and N
Acheron nodes whose batch log is one stream replicated over them (R3 with three or more). Node 1 writes
the stream (started again, the node whose directory holds the most batches); the others follow it, applying every batch it releases, and forward their clients'
requests to node 1, so any node answers any request with the same reply (docs/scale-out.md). Prints
"acheron node N listening on ws://HOST:PORT" per node; SIGINT, SIGTERM or SIGHUP stops everything it
started (a node still running 15 s after its SIGTERM is killed, and said). Kill a node (kill -9) to see
another take over: when the writer dies, a follower takes the writing over once its lease lapses (about
12 s); the cluster stops when no node is left. Kill a NATS server to see the stream go on without it:
it is started again 2 s later on its store (at most 10 times), and said on stderr.

  --nodes N    nodes, and NATS servers (default 3; 1 to ${LOCAL_NATS_SERVERS_MAX})
  --data DIR   where the NATS stores and the nodes' checkpoints live (default ./acheron-cluster);
               started again on the same DIR, the cluster has its data back; one cluster per DIR
               (refused before anything starts while another runs on it)
  --port BASE  node N listens on port BASE+N-1 (node 1 on BASE), the same each time it starts;
               refused before anything starts if one is taken (default 0: any free ports)`

const NODE_START_TIMEOUT_MS = 60_000
const NODE_HOST = '127.0.0.1'
const PORT_MAX = 65_535

/**
 * `--port BASE`: node i's port, BASE+i-1 (by node number, not start order: node 1 keeps its port when
 * another starts first), or 0 for any free one. Every port must be one (BASE+count-1 at most 65535).
 */
export function nodePorts(given: string, count: number): (node: number) => number {
  const base = /^\d{1,5}$/.test(given) ? Number(given) : NaN
  if (base === 0) return () => 0
  if (!(base >= 1 && base + count - 1 <= PORT_MAX)) {
    throw new UsageError(`--port must be 0 (any free ports) or a port from 1 to ${PORT_MAX - count + 1}, node N listening on BASE+N-1 (${count} node${count === 1 ? '' : 's'}), not ${given}`)
  }
  return (node) => base + node - 1
}

type Node = ServeChild

const startNode = (args: string[]): Promise<Node> => startServeChild(args, { timeoutMs: NODE_START_TIMEOUT_MS, stderr: 'inherit' })

/** A node started, with its number (node N of --nodes). */
interface NumberedNode {
  readonly number: number
  readonly node: Node
}

/**
 * How long a stop waits for the nodes to exit after their SIGTERM before it SIGKILLs the ones left. A
 * node's own stop is bounded (its batch in flight, CLOSE_DRAIN_WAIT_MS, the close handshake, its
 * checkpoint), but one that hangs (stuck taking over, stopped by SIGSTOP) held the whole stop: the nodes
 * were stopped one at a time without a bound, so Ctrl-C hung for ever, and the nodes after it and the
 * NATS servers were never signalled. A node SIGKILLed loses nothing acknowledged (the stream holds it).
 */
export const CLUSTER_NODE_STOP_MS = 15_000

const stillRunning = (n: Node): boolean => n.child.exitCode === null && n.child.signalCode === null

/** SIGTERM to every node at once; after CLUSTER_NODE_STOP_MS, SIGKILL to those left, said on stderr. */
async function stopNodes(nodes: readonly NumberedNode[]): Promise<void> {
  const left = nodes.filter(({ node }) => stillRunning(node))
  // Listened for before the signals: an exit that came first would never resolve a later once().
  const exits = new Map(left.map(({ node }) => [node, once(node.child, 'exit')]))
  for (const { node } of left) node.child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const inTime = await Promise.race([
    Promise.all(exits.values()).then(() => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), CLUSTER_NODE_STOP_MS) }),
  ])
  clearTimeout(timer)
  if (inTime) return
  const stragglers = left.filter(({ node }) => stillRunning(node))
  for (const { number, node } of stragglers) {
    process.stderr.write(`acheron cluster: node ${number} did not stop within ${CLUSTER_NODE_STOP_MS / 1000} s of SIGTERM; killing it (SIGKILL)\n`)
    node.child.kill('SIGKILL')
  }
  await Promise.all(stragglers.map(({ node }) => exits.get(node)))
}

/**
 * The nodes' numbers, the node whose checkpoint holds the most batches first: the first node started
 * takes the writer lease, and a writer must hold every batch before the stream's first. Started again
 * after a fail-over, node 1 (killed long before) took the lease and refused to start, its batches
 * purged behind the others' checkpoints, and the cluster with it. Ties, and new directories, in order.
 */
export function startOrder(dir: string, count: number): number[] {
  const held = (i: number): number => {
    const file = databaseFile(join(dir, `node${i}`))
    try {
      return existsSync(file) ? checkpointBatch(file) : 0
    } catch {
      return 0 // unreadable here: its own open says why
    }
  }
  const batches = Array.from({ length: count }, (_, k) => held(k + 1))
  return Array.from({ length: count }, (_, k) => k + 1).sort((a, b) => (batches[b - 1] as number) - (batches[a - 1] as number) || a - b)
}

/**
 * A NATS server that dies is started again on its ports and store after NATS_RESTART_DELAY_MS, so that
 * whoever is trying fail-over sees the cluster lose a server and heal (it catches up on the stream from
 * the others); at most NATS_SERVER_RESTARTS_MAX times per server and run, so that one that cannot stay
 * up (a damaged store) is not restarted for ever. Before, a killed server stayed dead until the whole
 * cluster was restarted. Only availability depends on the delay: nothing that commits does.
 */
export const NATS_RESTART_DELAY_MS = 2_000
export const NATS_SERVER_RESTARTS_MAX = 10

function superviseNats(server: NatsNode, n: number, stopping: () => boolean, restarts = 0): void {
  server.process.once('exit', (code, signal) => {
    if (stopping()) return
    const left = restarts < NATS_SERVER_RESTARTS_MAX
    const next = left ? `restarting it in ${NATS_RESTART_DELAY_MS / 1000} s` : `not restarting it again (restarted ${NATS_SERVER_RESTARTS_MAX} times already)`
    process.stderr.write(`acheron cluster: NATS server ${n} (${server.url}) exited (${code ?? signal}); the stream goes on while a majority of its servers live; ${next}\n`)
    if (!left) return
    setTimeout(() => {
      if (stopping()) return
      server.restart().then(() => {
        if (stopping()) return void server.kill()
        process.stderr.write(`acheron cluster: NATS server ${n} (${server.url}) restarted on its store; it catches up on the stream from the others\n`)
        superviseNats(server, n, stopping, restarts + 1)
      }, (err: unknown) => {
        if (!stopping()) process.stderr.write(`acheron cluster: NATS server ${n} (${server.url}) could not be restarted (${err instanceof Error ? err.message : String(err)}); the others go on\n`)
      })
    }, NATS_RESTART_DELAY_MS)
  })
}

export async function clusterCommand(args: string[], out: (line: string) => void): Promise<number> {
  const options = { nodes: { type: 'string', default: '3' }, data: { type: 'string', default: './acheron-cluster' }, port: { type: 'string', default: '0' } } as const
  const { values } = parseArgs({ args: joinNegativeValues(args, options), options })
  const count = decimal(values.nodes)
  if (!Number.isInteger(count) || count < 1 || count > LOCAL_NATS_SERVERS_MAX) throw new UsageError(`--nodes must be an integer from 1 to ${LOCAL_NATS_SERVERS_MAX}, not ${values.nodes}`)
  const portOf = nodePorts(values.port, count)
  // A taken port is said before NATS starts or a directory is made: the node on it would fail after
  // the others had started.
  for (let i = 1; i <= count; i++) if (portOf(i) !== 0) await probeListen(NODE_HOST, portOf(i))
  const dir = values.data
  // Its lock too: a second cluster on DIR is refused here, before it starts NATS servers on the stores.
  const lock = takeClusterDir(dir)
  try {
    return await runCluster(dir, count, portOf, out)
  } finally {
    lock.release()
  }
}

async function runCluster(dir: string, count: number, portOf: (node: number) => number, out: (line: string) => void): Promise<number> {
  makeDirectory(join(dir, 'nats'))
  let nats: LocalNats | null = null
  const nodes: NumberedNode[] = []
  let stopping: Promise<void> | null = null
  const stopAll = (): Promise<void> => {
    // Every node at once (each writer finishes its batch in flight), in bounded time, then NATS.
    stopping ??= (async () => {
      await stopNodes(nodes)
      await nats?.stop()
    })()
    return stopping
  }
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
    // The terminal it ran in was closed: Node's default would exit at once, leaving the servers running.
    process.once('SIGHUP', () => resolve())
  })
  let running = 0
  let noneLeft = false
  try {
    nats = await startLocalNats(join(dir, 'nats'), count)
    // Every node with every server: R3 from three (acheron serve --cluster).
    const common = ['--host', NODE_HOST, '--cluster', nats.urls.join(',')]
    // What a node restarted by hand, a client of NATS or `nats` CLI needs; on stderr, beside the logs.
    process.stderr.write(`acheron cluster: NATS servers ${nats.urls.join(',')} (a node by hand: acheron serve --cluster ${nats.urls.join(',')} --data ${join(dir, 'nodeN')})\n`)
    nats.nodes.forEach((server, k) => superviseNats(server, k + 1, () => stopping !== null))
    for (const i of startOrder(dir, count)) {
      const node = await startNode(['--data', join(dir, `node${i}`), '--port', String(portOf(i)), ...common])
      nodes.push({ number: i, node })
      out(`acheron node ${i} listening on ${node.url}`)
      running++
      // A node that dies is said (what it printed on stderr says why); the others go on, and a follower
      // takes the writing over if it was the writer. With none left, the cluster stops.
      node.child.once('exit', (code, signal) => {
        running--
        if (stopping !== null) return
        if (running > 0) {
          process.stderr.write(`acheron cluster: node ${i} exited (${code ?? signal}); the others go on (if it was the writer, a follower takes over within about 12 s)\n`)
          return
        }
        process.stderr.write(`acheron cluster: node ${i} exited (${code ?? signal}); no node is left, stopping\n`)
        noneLeft = true
        void stopAll()
      })
    }
  } catch (err) {
    await stopAll()
    throw err
  }
  await Promise.race([signalled, new Promise<void>((resolve) => { const wait = (): void => { if (stopping !== null) void stopping.then(resolve); else setTimeout(wait, 200) }; wait() })])
  await stopAll()
  return noneLeft ? 1 : 0
}
