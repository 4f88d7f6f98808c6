/**
 * NATS servers with JetStream on this machine, on loopback: one, or a cluster of several whose routes
 * join them (so that streams can be replicated R3). For trying a replicated batch log out on one machine
 * and for the tests; the servers are Debian's `nats-server` (NATS_SERVER overrides the path), each with
 * its store in a folder of `dir`, stopped by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { killOnExit } from '../child-processes.js'

export const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server'

/** Why no NATS server can be started here, or null when one can. */
export function natsServerMissing(): string | null {
  return existsSync(NATS_SERVER) ? null : `no nats-server: ${NATS_SERVER} does not exist (apt-get install nats-server, or set NATS_SERVER)`
}

/**
 * Tries of a restart whose port is still taken: a server is restarted on its own ports (the others'
 * routes and the clients name them), and for a moment after a SIGKILL the port may not be free again.
 */
export const NATS_RESTART_TRIES = 5
const NATS_RESTART_RETRY_MS = 200

export interface NatsNode {
  readonly name: string
  readonly url: string
  readonly process: ChildProcess
  /** SIGKILL, as a crashed machine (its store stays for a restart). */
  kill(): void
  /**
   * Starts it again on the same ports and store, once the process before has exited (SIGKILLed first if
   * it still runs); a port still taken is tried again, up to NATS_RESTART_TRIES times.
   */
  restart(): Promise<void>
}

export interface LocalNats {
  readonly nodes: readonly NatsNode[]
  /** Every node's client URL. */
  readonly urls: string[]
  stop(): Promise<void>
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** What one nats-server process said on stderr, and the ports it announced it listens on. */
interface Launched {
  readonly child: ChildProcess
  /** Its stderr so far (the first STDERR_KEPT_CHARS characters). */
  said(): string
  readonly listening: Set<number>
}

const STDERR_KEPT_CHARS = 4096
const LISTENING_LINE = /Listening for (?:client|route) connections on [^\s]*:(\d+)/

/**
 * Resolves once the server announced it listens on `port` ("Listening for client connections on
 * 127.0.0.1:PORT"): a TCP connection that succeeds proves only that *something* listens there, which
 * after a restart may be whatever took the port. Rejects when it exits first (with what it said on
 * stderr) or after `ms`.
 */
function waitForListening(server: Launched, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  const { child } = server
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (server.listening.has(port)) return resolve()
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new NatsStartError(`nats-server exited before listening on port ${port}: ${server.said().trim().split('\n').pop() ?? ''}`, server.said()))
        return
      }
      if (Date.now() > deadline) reject(new NatsStartError(`nats-server did not listen on port ${port} within ${ms} ms`, server.said()))
      else setTimeout(attempt, 20)
    }
    attempt()
  })
}

/** Sends `signal` to `child` unless it has exited, and resolves once it has. */
async function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}

/**
 * How long `stop()` waits for a server to exit after SIGTERM before it SIGKILLs it: a server that does not
 * exit (stopped by SIGSTOP, hung) kept the stop, and `acheron cluster`'s Ctrl-C, waiting for ever.
 */
export const NATS_STOP_MS = 10_000

/** SIGTERM, and SIGKILL if it has not exited NATS_STOP_MS later; resolves once it has exited. */
async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), NATS_STOP_MS)
  await exited
  clearTimeout(timer)
}

/** A server of a local cluster did not come up; `stderr` is what it said. */
class NatsStartError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message)
  }

  /** Another process took one of the ports between `freePort` and the server's bind. */
  get portTaken(): boolean {
    return this.stderr.includes('address already in use')
  }
}

/**
 * Starts of a local cluster on fresh ports when one of its servers found a port taken: `freePort` can
 * only say a port was free a moment ago, and an outgoing connection may be given it before the server
 * binds it (one CI run met this).
 */
export const LOCAL_NATS_START_TRIES = 3

/**
 * The most NATS servers a local cluster starts (`acheron check --nats N`, `acheron cluster --nodes N`):
 * JetStream keeps a stream on at most 5 replicas, so another server holds none of it and is only one
 * more process, store and pair of ports on a machine that runs the whole cluster.
 */
export const LOCAL_NATS_SERVERS_MAX = 5

/**
 * Starts `nodes` NATS servers with JetStream (routes joining them when more than one) under `dir`.
 * `pickPort` chooses each port (tests hand out a taken one).
 */
export async function startLocalNats(dir: string, nodes = 1, pickPort: () => Promise<number> = freePort): Promise<LocalNats> {
  if (!Number.isSafeInteger(nodes) || nodes < 1 || nodes > LOCAL_NATS_SERVERS_MAX) throw new Error(`a local NATS cluster has 1 to ${LOCAL_NATS_SERVERS_MAX} servers, not ${nodes}`)
  const missing = natsServerMissing()
  if (missing !== null) throw new Error(missing)
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(dir, nodes, pickPort)
    } catch (err) {
      if (!(err instanceof NatsStartError && err.portTaken) || attempt >= LOCAL_NATS_START_TRIES) throw err
      // Nothing of the failed start is kept: its servers are gone, and their stores go too.
      for (let i = 0; i < nodes; i++) rmSync(join(dir, `n${i + 1}`), { recursive: true, force: true })
    }
  }
}

async function startOnce(dir: string, nodes: number, pickPort: () => Promise<number>): Promise<LocalNats> {
  const ports = await Promise.all(Array.from({ length: nodes }, async () => ({ client: await pickPort(), route: await pickPort() })))
  const started: NatsNode[] = []
  let stopping = false
  let up = false
  /** Servers being restarted: a failed try is the restart's to report, not the exit handler's. */
  const restarting = new Set<number>()
  /** Each server's current process (a restart replaces it). */
  const servers: Launched[] = []
  const launch = (i: number): Launched => {
    const p = ports[i] as { client: number; route: number }
    const name = `n${i + 1}`
    const conf = join(dir, `${name}.conf`)
    mkdirSync(join(dir, name), { recursive: true })
    const routes = ports.filter((_, j) => j !== i).map((q) => `nats-route://127.0.0.1:${q.route}`)
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${p.client}`,
      `jetstream { store_dir: ${JSON.stringify(join(dir, name))} }`,
      ...(nodes > 1 ? [`cluster { name: acheron, listen: 127.0.0.1:${p.route}, routes: [${routes.join(', ')}] }`] : []),
    ].join('\n') + '\n')
    const child = spawn(NATS_SERVER, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    killOnExit(child)
    let err = ''
    let partial = ''
    const listening = new Set<number>()
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString()
      if (err.length < STDERR_KEPT_CHARS) err += text
      // Whole lines only: the announcement of a port may arrive in two chunks.
      const lines = (partial + text).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        const m = LISTENING_LINE.exec(line)
        if (m !== null) listening.add(Number(m[1]))
      }
    })
    // A server that dies once the cluster is up says why on stderr (a stopped one exits 1 on SIGTERM:
    // not news; one that fails to start is reported by the start's error, or retried).
    child.once('exit', (code) => { if (up && !stopping && !restarting.has(i) && code !== 0 && code !== null && err !== '') process.stderr.write(`nats-server ${name} exited ${code}: ${err}\n`) })
    return { child, said: () => err, listening }
  }
  try {
    for (let i = 0; i < nodes; i++) {
      servers[i] = launch(i)
      const client = (ports[i] as { client: number }).client
      const node: NatsNode = {
        name: `n${i + 1}`,
        url: `nats://127.0.0.1:${client}`,
        get process() { return (servers[i] as Launched).child },
        kill() { this.process.kill('SIGKILL') },
        async restart() {
          await ended(this.process, 'SIGKILL')
          restarting.add(i)
          try {
            for (let attempt = 1; ; attempt++) {
              const server = servers[i] = launch(i)
              try {
                await waitForListening(server, client, 10_000)
                return
              } catch (err) {
                if (!(err instanceof NatsStartError && err.portTaken) || attempt >= NATS_RESTART_TRIES) throw err
                await sleep(NATS_RESTART_RETRY_MS * attempt)
              }
            }
          } finally {
            restarting.delete(i)
          }
        },
      }
      started.push(node)
    }
    // Both ports: a server listens for clients first, and may then find its route port taken and exit.
    await Promise.all(servers.map((server, i) => {
      const p = ports[i] as { client: number; route: number }
      return Promise.all((nodes > 1 ? [p.client, p.route] : [p.client]).map((port) => waitForListening(server, port, 10_000)))
    }))
    up = true
  } catch (err) {
    stopping = true
    await Promise.all(started.map((n) => ended(n.process, 'SIGKILL')))
    throw err
  }
  return {
    nodes: started,
    urls: started.map((n) => n.url),
    async stop() {
      stopping = true
      await Promise.all(started.map((n) => stopped(n.process)))
    },
  }
}
