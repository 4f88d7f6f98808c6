/**
 * NATS servers with JetStream on this machine, on loopback: one, or a cluster of several whose routes
 * join them (so that streams can be replicated R3). For trying a replicated batch log out on one machine
 * and for the tests; the servers are Debian's `nats-server` (NATS_SERVER overrides the path), each with
 * its store in a folder of `dir`, stopped by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
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

function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const sock = tcpConnect({ port, host: '127.0.0.1' })
      sock.once('connect', () => { sock.destroy(); resolve() })
      sock.once('error', () => {
        sock.destroy()
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on port ${port} within ${ms} ms`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

/** Starts `nodes` NATS servers with JetStream (routes joining them when more than one) under `dir`. */
export async function startLocalNats(dir: string, nodes = 1): Promise<LocalNats> {
  const missing = natsServerMissing()
  if (missing !== null) throw new Error(missing)
  const ports = await Promise.all(Array.from({ length: nodes }, async () => ({ client: await freePort(), route: await freePort() })))
  const started: NatsNode[] = []
  let stopping = false
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
    // A server that fails to start says why on stderr (a stopped one exits 1 on SIGTERM: not news).
    child.once('exit', (code) => { if (!stopping && code !== 0 && code !== null && err !== '') process.stderr.write(`nats-server ${name} exited ${code}: ${err}\n`) })
    return child
  }
  try {
    for (let i = 0; i < nodes; i++) {
      const node: NatsNode = {
        name: `n${i + 1}`,
        url: `nats://127.0.0.1:${(ports[i] as { client: number }).client}`,
        process: launch(i),
        kill() { this.process.kill('SIGKILL') },
        async restart() {
          (this as { process: ChildProcess }).process = launch(i)
          await waitForPort((ports[i] as { client: number }).client, 10_000)
        },
      }
      started.push(node)
    }
    await Promise.all(ports.map((p) => waitForPort(p.client, 10_000)))
  } catch (err) {
    for (const n of started) n.process.kill('SIGKILL')
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
