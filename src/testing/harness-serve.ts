// `acheron serve` children for the harness's properties: the arguments that put the engine under test
// in them (mutant, protocol) and, for a cluster, a writer and a follower on one JetStream stream.
import { startServeChild, type ServeChild } from '../cli/serve-child.js'
import { PROTOCOLS } from '../txn/protocols/index.js'
import { scratchDir } from './engine-run.js'
import type { CheckConfig } from './properties.js'

/** How long a harness server may take to start (a cluster's follower reads the stream first). */
export const HARNESS_SERVE_START_TIMEOUT_MS = 60_000

/** `--mutant` and `--protocol` as the engine under test needs them. */
export function engineUnderTestArgs(config: CheckConfig): string[] {
  const args: string[] = []
  if (config.mutant !== null) args.push('--mutant', config.mutant.name)
  const protocol = config.protocolSpec ?? serveProtocolName(config.protocol)
  if (protocol !== undefined) args.push('--protocol', protocol)
  return args
}

/**
 * How a child is told a protocol given without `protocolSpec`: a name, or a built-in protocol object by
 * its name. Any other object lives in this process only; serving aria in its place would check the
 * wrong protocol, so it is refused.
 */
function serveProtocolName(protocol: CheckConfig['protocol']): string | undefined {
  if (protocol === undefined || typeof protocol === 'string') return protocol
  if (PROTOCOLS[protocol.name] === protocol) return protocol.name
  throw new Error(`the protocol '${protocol.name}' is an object in this process, and the crash property (like elle on a cluster) runs the engine in an \`acheron serve\` child: give protocolSpec, the path of a module that exports it (what --protocol takes)`)
}

export interface HarnessCluster {
  /** The writer's URL first, then the follower's. */
  readonly urls: readonly string[]
  readonly children: readonly ServeChild[]
  stop(): Promise<void>
}

/**
 * A writer and a follower (`acheron serve --failover`, each on a scratch directory) on a new stream of
 * `config.natsLog`: the first started takes the writer lease; the follower forwards to it.
 */
export async function startHarnessCluster(config: CheckConfig, extra: readonly string[] = []): Promise<HarnessCluster> {
  const nats = config.natsLog
  if (nats === undefined) throw new Error('a harness cluster needs NATS servers (acheron check --cluster)')
  const stream = nats.stream()
  const dirs = [scratchDir('acheron-cluster-a-'), scratchDir('acheron-cluster-b-')]
  const children: ServeChild[] = []
  const stop = async (): Promise<void> => {
    for (const c of children) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        const gone = new Promise((r) => c.child.once('exit', r))
        c.child.kill('SIGKILL')
        await gone
      }
    }
    for (const d of dirs) d.cleanup()
  }
  try {
    for (const d of dirs) {
      children.push(await startServeChild([
        '--failover', '--data', d.dir, '--port', '0', '--sync', 'full', '--workers', String(config.workers),
        '--log-nats', nats.urls.join(','), '--log-stream', stream, '--log-replicas', String(nats.replicas),
        ...engineUnderTestArgs(config), ...extra,
      ], { timeoutMs: HARNESS_SERVE_START_TIMEOUT_MS, stderr: 'capture' }))
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { urls: children.map((c) => c.url), children, stop }
}
