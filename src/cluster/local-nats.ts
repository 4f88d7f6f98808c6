/**
 * NATS servers with JetStream on this machine, on loopback: one, or a cluster of several whose routes
 * join them (so that streams can be replicated R3). For trying a replicated batch log out on one machine
 * and for the tests; the servers are Debian's `nats-server` (NATS_SERVER overrides the path), each with
 * its store in a folder of `dir`, stopped by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect as tcpConnect } from 'node:net'
import { join } from 'node:path'

export const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server'

/** Why no NATS server can be started here, or null when one can. */
export function natsServerMissing(): string | null {
  return existsSync(NATS_SERVER) ? null : `no nats-server: ${NATS_SERVER} does not exist (apt-get install nats-server, or set NATS_SERVER)`
}

export interface NatsNode {
  readonly name: string
  readonly url: string
  readonly process: ChildProcess
  /** SIGKILL, as a crashed machine (its store stays for a restart). */
  kill(): void
  /** Starts it again on the same ports and store. */
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

/**
 * Resolves once something listens on `port`; rejects when `child` exits first (with what it said on
 * stderr, `said()`) or after `ms`.
 */
function waitForPort(port: number, ms: number, child: ChildProcess, said: () => string): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new NatsStartError(`nats-server exited before listening on port ${port}: ${said().trim().split('\n').pop() ?? ''}`, said()))
        return
      }
      const sock = tcpConnect({ port, host: '127.0.0.1' })
      sock.once('connect', () => { sock.destroy(); resolve() })
      sock.once('error', () => {
        sock.destroy()
        if (Date.now() > deadline) reject(new NatsStartError(`nats-server did not listen on port ${port} within ${ms} ms`, said()))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
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
 * Starts `nodes` NATS servers with JetStream (routes joining them when more than one) under `dir`.
 * `pickPort` chooses each port (tests hand out a taken one).
 */
export async function startLocalNats(dir: string, nodes = 1, pickPort: () => Promise<number> = freePort): Promise<LocalNats> {
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
  const launch = (i: number): ChildProcess => {
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
    let err = ''
    child.stderr?.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString() })
    said[i] = () => err
    // A server that dies once the cluster is up says why on stderr (a stopped one exits 1 on SIGTERM:
    // not news; one that fails to start is reported by the start's error, or retried).
    child.once('exit', (code) => { if (up && !stopping && code !== 0 && code !== null && err !== '') process.stderr.write(`nats-server ${name} exited ${code}: ${err}\n`) })
    return child
  }
  /** What each server wrote on stderr (its current process). */
  const said: (() => string)[] = []
  try {
    for (let i = 0; i < nodes; i++) {
      const node: NatsNode = {
        name: `n${i + 1}`,
        url: `nats://127.0.0.1:${(ports[i] as { client: number }).client}`,
        process: launch(i),
        kill() { this.process.kill('SIGKILL') },
        async restart() {
          (this as { process: ChildProcess }).process = launch(i)
          await waitForPort((ports[i] as { client: number }).client, 10_000, this.process, said[i] as () => string)
        },
      }
      started.push(node)
    }
    // Both ports: a server listens for clients first, and may then find its route port taken and exit.
    await Promise.all(started.flatMap((n, i) => {
      const p = ports[i] as { client: number; route: number }
      return (nodes > 1 ? [p.client, p.route] : [p.client]).map((port) => waitForPort(port, 10_000, n.process, said[i] as () => string))
    }))
    up = true
  } catch (err) {
    stopping = true
    await Promise.all(started.map((n) => new Promise<void>((resolve) => {
      if (n.process.exitCode !== null || n.process.signalCode !== null) return resolve()
      n.process.once('exit', () => resolve())
      n.process.kill('SIGKILL')
    })))
    throw err
  }
  return {
    nodes: started,
    urls: started.map((n) => n.url),
    async stop() {
      stopping = true
      await Promise.all(started.map((n) => new Promise<void>((resolve) => {
        const p = n.process
        if (p.exitCode !== null || p.signalCode !== null) return resolve()
        p.once('exit', () => resolve())
        p.kill('SIGTERM')
      })))
    },
  }
}
