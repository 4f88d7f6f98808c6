// `acheron check`: runs the properties on random workloads and prints `N passed, N failed`. A failure
// prints the seed, the fast-check path and the shrunk counterexample; `--seed` (and `--path`) replay it.
import fc from 'fast-check'
import { performance } from 'node:perf_hooks'
import { crashRecovery } from './crash-recovery.js'
import { startLocalNats, type LocalNats } from '../cluster/local-nats.js'

/** NATS servers of `acheron check --cluster` (a JetStream cluster, the streams R3). */
const CLUSTER_NATS_SERVERS = 3
import { EngineCache, scratchDir } from './engine-run.js'
import { engineUnderTestArgs } from './harness-serve.js'
import { PropertyFailure } from './failure.js'
import { AcheronError } from '../errors.js'
import { replayPath, type PathReplay } from './path-replay.js'
import { listAppendAnomalies } from './list-append.js'
import { mutantByName } from './mutants.js'
import type { Protocol } from '../txn/protocols/protocol.js'
import { PROTOCOLS } from '../txn/protocols/index.js'
import { commitTraces, declaredOrderReplay, determinism, type CheckConfig, type Property } from './properties.js'

/** Every property, by name; `crash` runs only when asked (`--crash`): it starts server processes. */
export const PROPERTIES: readonly Property<never>[] = [declaredOrderReplay, determinism, listAppendAnomalies, crashRecovery, commitTraces] as unknown as Property<never>[]
export const DEFAULT_PROPERTIES = ['replay', 'determinism', 'elle'] as const

export interface CheckOptions {
  readonly seed: number
  readonly runs: number
  readonly txns: number
  readonly partitions?: number
  readonly workers: number
  readonly crash: boolean
  readonly mutant: string | null
  /** Only these properties (default: replay, determinism, elle, and crash with `crash`). */
  readonly properties?: readonly string[]
  /** A fast-check path from a failure report: replays that run directly. */
  readonly path?: string
  /** Stop at the first failure without shrinking (what the mutant table measures). */
  readonly shrink: boolean
  /**
   * Shrinking stops this many seconds after the first failure (default SHRINK_SECONDS_DEFAULT): the
   * smallest counterexample found by then is reported, and its path replays it. 0 reports the first.
   */
  readonly shrinkSecondsMax?: number
  /** The protocol under test (default aria); a mutant's protocol replaces it. */
  readonly protocol?: Protocol
  /** How `acheron serve` is told the protocol (a built-in name or a module path), for the crash property. */
  readonly protocolSpec?: string
  /** The crash property on a JetStream batch log: NATS servers started for the run (1, or 3 with R3). */
  readonly nats?: number
  /** With `nats`: each scenario runs a writer and a follower, and the kill is a fail-over. */
  readonly failover?: boolean
  /**
   * `acheron check --cluster`: three NATS servers (R3), a writer and a follower, and each scenario also
   * SIGKILLs one NATS server at a chosen reply count (restarted after the scenario, on its store).
   */
  readonly cluster?: boolean
  readonly out: (line: string) => void
  /**
   * Told when one run of a property has not finished after STALLED_RUN_NOTICE_MS, and again each period
   * after (default: a line on stderr). A protocol whose runBatch never settles stops a run for good; a
   * researcher must hear of it rather than watch a silent terminal. Time decides only this notice.
   */
  readonly notice?: (line: string) => void
  /** The period of `notice` (default STALLED_RUN_NOTICE_MS). */
  readonly stalledRunNoticeMs?: number
}

/**
 * How long a failure is shrunk, at most. A crash counterexample took 901 s to shrink (each try starts
 * and kills real servers) while the researcher waited without a word; past this, the smallest one found
 * is reported, said to be cut short, and `--shrink-seconds` gives more time. Time decides only how small
 * the printed counterexample is: every one printed is a real failure, and its path replays it.
 */
export const SHRINK_SECONDS_DEFAULT = 300

/** A run of a property this long is reported as stalled (a crash run takes up to ~30 s on a loaded machine). */
export const STALLED_RUN_NOTICE_MS = 120_000

export interface PropertyReport {
  readonly property: string
  readonly runs: number
  readonly failed: boolean
  readonly seconds: number
  /** When it failed: the error, the counterexample and how to replay it. */
  readonly failure?: { readonly message: string; readonly counterexample: string; readonly path: string }
}

export interface CheckReport {
  readonly seed: number
  readonly passed: number
  readonly failed: number
  readonly properties: readonly PropertyReport[]
}

/**
 * The properties to run: those asked for; else the defaults, plus `crash` with `--crash` or when the
 * mutant named can only be caught by it — a mutant never passes because its catcher was off.
 */
export function selectedProperties(o: Pick<CheckOptions, 'properties' | 'crash' | 'mutant'>): Property<unknown>[] {
  const mutant = o.mutant === null || o.mutant === undefined ? null : mutantByName(o.mutant)
  const names = o.properties ?? [...new Set<string>([...DEFAULT_PROPERTIES, ...(o.crash ? ['crash'] : []), ...(mutant?.caughtBy ?? [])])]
  return names.map((n) => {
    const p = PROPERTIES.find((x) => x.name === n)
    if (p === undefined) throw new Error(`unknown property '${n}' (known: ${PROPERTIES.map((x) => x.name).join(', ')})`)
    return p as Property<unknown>
  })
}

/** A word of the printed replay command, quoted for a POSIX shell when it needs it (a module path with a space). */
function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The replay command's `--protocol`: the spec it was given, else a built-in protocol object's name. A
 * Protocol object of the caller's own (runCheck from code, without protocolSpec) has no name the command
 * line knows: the command says so, in a word it refuses (exit 2), where it named no protocol before and
 * replayed the counterexample on aria, which passed it. A mutant's protocol comes with `--mutant`.
 */
export function replayProtocolArg(o: Pick<CheckOptions, 'protocol' | 'protocolSpec'>, mutantProtocol: boolean): string {
  if (mutantProtocol) return ''
  if (o.protocolSpec !== undefined) return ` --protocol ${shellWord(o.protocolSpec)}`
  if (o.protocol === undefined) return ''
  if (PROTOCOLS[o.protocol.name] === o.protocol) return ` --protocol ${o.protocol.name}`
  return ` --protocol ${shellWord(`<the module that exports ${o.protocol.name}>`)}`
}

/** `--path` names no run these options generate (another --seed, --runs, --txns or --partitions). */
export class PathNotReplayable extends Error {}

/**
 * Runs one property's fast-check, and refuses a `--path` that replays nothing: a path past `--runs` ran
 * no run and printed `ok replay 0 runs`, exit 0 (a failure "replayed" as a pass), and one the options do
 * not generate said fast-check's bare "Unable to replay, got wrong path=…".
 */
async function replayable<T extends { failed: boolean; numRuns: number }>(o: Pick<CheckOptions, 'path' | 'runs'>, property: string, run: () => Promise<T>): Promise<T> {
  const refuse = (why: string): PathNotReplayable => new PathNotReplayable(
    `--path ${o.path ?? ''} replays no run of ${property} here (${why}): give it with the --seed, --runs, --txns and --partitions its failure printed`)
  // Its first step is the run that failed: one past --runs is no run of these (fast-check ran none, or
  // ran more than --runs asked for, and passed).
  // As a failure prints it: fast-check read '0:-1', '0:0.5' or '' as some other path and replayed that.
  if (o.path !== undefined && !/^(0|[1-9]\d*)(:(0|[1-9]\d*))*$/.test(o.path)) throw refuse("a path is the run and its shrink steps, whole numbers from 0 joined by ':', as a failure prints it")
  const first = Number(o.path?.split(':')[0])
  if (o.path !== undefined && (!Number.isSafeInteger(first) || first < 0 || first >= o.runs)) throw refuse(`its run ${o.path.split(':')[0]} is past the ${o.runs} runs asked for`)
  let details: T
  try {
    details = await run()
  } catch (err) {
    if (o.path !== undefined && /Unable to replay/.test(String(err))) throw refuse(`fast-check: ${(err as Error).message}`)
    throw err
  }
  if (o.path !== undefined && !details.failed && details.numRuns === 0) throw refuse('fast-check ran no run of it')
  return details
}

function message(err: unknown): string {
  if (err instanceof PropertyFailure) return err.message
  // The engine's refusal is a verdict, not a fault of the harness: its stack ran through ws's receiver.
  if (err instanceof AcheronError) return `${err.code}: ${err.message}`
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}

export async function runCheck(o: CheckOptions): Promise<CheckReport> {
  const mutant = o.mutant === null ? null : mutantByName(o.mutant)
  // A mutant that lives on a cluster alone brings the cluster along.
  if (mutant?.cluster === true && o.cluster !== true) return runCheck({ ...o, cluster: true })
  const engines = new EngineCache()
  // A mutant that lives in one configuration (say, the coordinator thread's executor) brings it along.
  const workers = mutant?.workers ?? o.workers
  let config: CheckConfig = {
    txns: o.txns, workers, mutant, engines,
    ...(o.partitions !== undefined ? { partitions: o.partitions } : {}), ...(o.protocol !== undefined ? { protocol: o.protocol } : {}),
    ...(o.protocolSpec !== undefined ? { protocolSpec: o.protocolSpec } : {}),
  }
  const props = selectedProperties(o)
  let nats: LocalNats | null = null
  let natsDir: { dir: string; cleanup: () => void } | null = null
  const natsServers = o.cluster === true ? CLUSTER_NATS_SERVERS : o.nats
  // The crash property, and with a fail-over cluster the anomaly checker too, run on them.
  const crashes = props.some((p) => p.name === 'crash')
  const onNats = props.some((p) => p.name === 'crash' || (p.name === 'elle' && (o.failover === true || o.cluster === true)))
  // Properties whose engine runs in an `acheron serve` child: it must be told the protocol (refused
  // here, before anything starts, when it cannot be).
  if (onNats) engineUnderTestArgs(config)
  if (natsServers !== undefined && natsServers > 0 && onNats) {
    natsDir = scratchDir('acheron-check-nats-')
    nats = await startLocalNats(natsDir.dir, natsServers)
    let streams = 0
    const urls = nats.urls
    config = { ...config, natsLog: {
      urls, replicas: Math.min(3, natsServers), stream: () => `CHECK_${o.seed}_${++streams}`, failover: o.failover === true || o.cluster === true,
      ...(o.cluster === true ? { killable: nats.nodes } : {}),
    } }
  }
  o.out(`acheron check: seed ${o.seed}, ${o.runs} runs of ${props.map((p) => p.name).join(', ')}, ${o.txns} transactions, ${workers} workers, protocol ${mutant?.protocol?.name ?? o.protocol?.name ?? 'aria'}${mutant ? `, mutant ${mutant.name}` : ''}${config.natsLog !== undefined ? `, batch log on ${natsServers} NATS server${natsServers === 1 ? '' : 's'} (R${config.natsLog.replicas})${config.natsLog.failover === true ? `, writer and follower${crashes ? `: the kill is a fail-over${config.natsLog.killable !== undefined ? ', and a NATS server is killed too' : ''}` : ''}` : ''}` : ''}`)
  if (!onNats && o.nats !== undefined) o.out(`note: --nats puts the batch log of the crash property (and, with --failover, elle's) on NATS; none of the properties named runs there, so --nats ${o.nats} changes nothing here`)
  // Naming properties none of which can catch the mutant is allowed (to measure it), but its passes say
  // nothing of the harness: say so, where it passed silently, read as a mutant the harness misses.
  if (mutant !== null && !props.some((p) => mutant.caughtBy.includes(p.name))) {
    o.out(`note: mutant ${mutant.name} is caught by ${mutant.caughtBy.join(', ')}, none of the properties named: a pass here does not say the harness misses it`)
  }
  const reports: PropertyReport[] = []
  try {
    await runProperties(props, config, o, reports)
  } finally {
    await engines.close()
    await nats?.stop()
    natsDir?.cleanup()
  }
  const failed = reports.filter((r) => r.failed).length
  const passed = reports.reduce((n, r) => n + (r.failed ? r.runs - 1 : r.runs), 0)
  o.out(`${passed} passed, ${failed} failed`)
  return { seed: o.seed, passed, failed, properties: reports }
}

async function runProperties(props: readonly Property<unknown>[], config: CheckConfig, o: CheckOptions, reports: PropertyReport[]): Promise<void> {
  const mutant = config.mutant
  const notice = o.notice ?? ((line: string) => { process.stderr.write(`${line}\n`) })
  const noticeMs = o.stalledRunNoticeMs ?? STALLED_RUN_NOTICE_MS
  for (const p of props) {
    const started = performance.now()
    let run = 0
    // Set by the first failure: fast-check only shrinks from then on. Past the budget every try passes
    // without running, so fast-check ends its shrinking with the smallest failure it has.
    let failedAt: number | null = null
    let shrinkCut = false
    const shrinkMs = (o.shrinkSecondsMax ?? SHRINK_SECONDS_DEFAULT) * 1000
    const runOnce = async (input: unknown): Promise<void> => {
      if (failedAt !== null && performance.now() - failedAt >= shrinkMs) {
        shrinkCut = true
        return
      }
      const thisRun = ++run
      const runStarted = performance.now()
      const stalled = setInterval(() => {
        const s = ((performance.now() - runStarted) / 1000).toFixed(0)
        notice(`acheron check: ${p.name} run ${thisRun} (seed ${o.seed}) has not finished after ${s} s; a protocol whose runBatch never settles stops it here for good${o.protocolSpec !== undefined ? ` (protocol ${o.protocolSpec})` : ''}`)
      }, noticeMs)
      try {
        await p.check(input as never, config)
      } catch (err) {
        failedAt ??= performance.now()
        throw err
      } finally {
        clearInterval(stalled)
      }
    }
    const property = fc.asyncProperty(p.arbitrary(config), runOnce)
    const path = o.path
    const details = await replayable<PathReplay<unknown> | fc.RunDetails<[unknown]>>(o, p.name, () => path !== undefined
      ? replayPath(property, o.seed, path, runOnce)
      : fc.check(property, { seed: o.seed, numRuns: o.runs, endOnFailure: !o.shrink }))
    const seconds = (performance.now() - started) / 1000
    if (!details.failed) {
      reports.push({ property: p.name, runs: details.numRuns, failed: false, seconds })
      o.out(path !== undefined
        ? `ok   ${p.name.padEnd(12)} the counterexample at --path ${path} passed (1 run)  ${seconds.toFixed(1)}s`
        : `ok   ${p.name.padEnd(12)} ${details.numRuns} runs  ${seconds.toFixed(1)}s`)
      continue
    }
    const failure = {
      message: message(details.errorInstance),
      counterexample: details.counterexample === null ? '?' : p.show(details.counterexample[0] as never),
      path: details.counterexamplePath ?? '',
    }
    reports.push({ property: p.name, runs: details.numRuns, failed: true, seconds, failure })
    o.out(path !== undefined
      ? `FAIL ${p.name.padEnd(12)} the counterexample at --path ${path} (1 run, ${seconds.toFixed(1)}s): ${failure.message}`
      : `FAIL ${p.name.padEnd(12)} at run ${details.numRuns} (${seconds.toFixed(1)}s, ${details.numShrinks} shrinks${shrinkCut ? `, shrinking cut short after ${shrinkMs / 1000} s: --shrink-seconds gives it more` : ''}): ${failure.message}`)
    o.out(`     counterexample: ${failure.counterexample}`)
    o.out(`     replay: acheron check --seed ${o.seed} --runs ${o.runs} --txns ${o.txns} --workers ${config.workers}${o.partitions !== undefined ? ` --partitions ${o.partitions}` : ''} --property ${p.name} --path '${failure.path}'${mutant ? ` --mutant ${mutant.name}` : ''}${replayProtocolArg(o, mutant?.protocol !== undefined)}${o.cluster === true ? ' --cluster' : `${o.nats !== undefined ? ` --nats ${o.nats}` : ''}${o.failover === true ? ' --failover' : ''}`}`)
  }
}
