// `acheron check [--seed S] [--runs N] [--txns N] [--partitions N] [--workers N] [--crash] [--mutant NAME]
// [--list-mutants] [--property P]... [--path P] [--no-shrink]` (CONTRACT.md §7).
import { randomInt } from 'node:crypto'
import { writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { WORKERS_MAX } from '../embedded.js'
import { LOCAL_NATS_SERVERS_MAX } from '../cluster/local-nats.js'
import { PARTITIONS_MAX } from '../schema/catalog.js'
import { exitOnSignals } from '../child-processes.js'
import { loadProtocol } from './protocol-loader.js'
import { PathNotReplayable, PROPERTIES, runCheck, SHRINK_SECONDS_DEFAULT } from '../testing/check.js'
import { MUTANTS } from '../testing/mutants.js'
import { UsageError } from './usage-error.js'
import { joinNegativeValues } from './negative-values.js'
import { decimal } from './decimal.js'
import { refuseRepeatedOptions } from './repeated-options.js'

/** The largest --seed: fast-check draws from the seed's low 32 bits, so a larger one repeats a smaller one. */
export const SEED_MAX = 2 ** 32 - 1

/** The longest --shrink-seconds: a day. */
const SHRINK_SECONDS_MAX = 86_400

function int(name: string, v: string | undefined, fallback: number, min: number, max?: number): number {
  if (v === undefined) return fallback
  // Number('') is 0: `--seed ""` ran seed 0 as though it had been asked for.
  const n = decimal(v)
  const given = v.trim() === '' ? JSON.stringify(v) : v
  if (max !== undefined && (!Number.isSafeInteger(n) || n < min || n > max)) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${given}`)
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, not ${given}`)
  return n
}

/** `acheron check --help` (docs/research.md has the details). */
export const CHECK_USAGE = `usage: acheron check [options]

The property-test harness (docs/research.md): random workloads checked by declared-order replay,
determinism across workers and protocols, an Elle-style anomaly checker over WebSocket and (--crash)
kill -9 recovery. Prints one line per property and "N passed, N failed"; exits 1 if anything failed,
with the seed, a shrunk counterexample and the command that replays it.

  --seed S              picks the workloads, 0 to 4294967295 (default random; printed on every run)
  --runs N              runs per property (default 100)
  --txns N              transactions per history, at most (default 100)
  --partitions N        partitions of every table (default: each run draws 1-8)
  --workers N           worker threads of the engine under test (default 2)
  --crash               adds the crash-recovery property (kill -9 of a real server), with --property too
  --property P          only these properties (repeatable): replay, determinism, elle, crash, trace (EXPLAIN COMMIT re-runs positions)
  --mutant NAME         a deliberately broken engine, with every property able to catch it
  --list-mutants        lists the mutants
  --protocol NAME|FILE  a built-in protocol (aria, calvin, serial) or a module exporting a Protocol
  --path P              replays one failing run of one --property (printed with the failure)
  --no-shrink           stops at the first failure without shrinking it
  --shrink-seconds N    shrinks a failure for at most N seconds, then prints the smallest
                        counterexample found (default ${SHRINK_SECONDS_DEFAULT}; a crash run takes seconds each)
  --nats N              the crash property keeps each server's batch log on a JetStream stream, on N
                        NATS servers this run starts (nats-server; 1 to ${LOCAL_NATS_SERVERS_MAX}; 3: a cluster, the
                        stream R3), and restarts it on a new, empty data directory: the stream alone
                        must recover it
  --failover            with --nats: each crash scenario runs a writer and a follower (acheron serve
                        --failover), sends its stream through the follower and kills the writer: the
                        follower's take-over must give what a restart gives
  --cluster             the crash property on a cluster: 3 NATS servers (R3), a writer and a follower
                        (--nats 3 --failover), and each scenario also SIGKILLs one NATS server at a
                        chosen reply count; no acknowledged transaction may be lost`

/** The options of `acheron check`, as node:util parseArgs takes them. */
const CHECK_OPTIONS = {
  seed: { type: 'string' },
  runs: { type: 'string' },
  txns: { type: 'string' },
  partitions: { type: 'string' },
  workers: { type: 'string' },
  crash: { type: 'boolean', default: false },
  mutant: { type: 'string' },
  'list-mutants': { type: 'boolean', default: false },
  property: { type: 'string', multiple: true },
  path: { type: 'string' },
  protocol: { type: 'string' },
  'no-shrink': { type: 'boolean', default: false },
  'shrink-seconds': { type: 'string' },
  nats: { type: 'string' },
  failover: { type: 'boolean', default: false },
  cluster: { type: 'boolean', default: false },
} as const

export async function checkCommand(args: string[], out: (line: string) => void): Promise<number> {
  // `--seed -3` is a seed out of range, refused below in our words (parseArgs called it "ambiguous").
  const { values, tokens } = parseArgs({ args: joinNegativeValues(args, CHECK_OPTIONS), options: CHECK_OPTIONS, tokens: true })
  refuseRepeatedOptions(tokens, CHECK_OPTIONS)
  if (values['list-mutants']) {
    // `--list-mutants --mutant nope` listed them and exited 0, the unknown name unremarked.
    const others = [...new Set(tokens.flatMap((t) => (t.kind === 'option' && t.name !== 'list-mutants' ? [`--${t.name}`] : [])))]
    if (others.length > 0) throw new UsageError(`--list-mutants lists the mutants and runs nothing: give it alone (not with ${others.join(', ')})`)
    const width = Math.max(...MUTANTS.map((m) => m.name.length)) + 1
    for (const m of MUTANTS) out(`${m.name.padEnd(width)} ${m.bug}${m.cluster === true ? ' (runs on a local NATS cluster, as --cluster)' : ''}`)
    return 0
  }
  if (values.failover && values.nats === undefined) throw new UsageError('--failover goes with --nats N')
  if (values.cluster && (values.nats !== undefined || values.failover)) throw new UsageError('--cluster is --nats 3 --failover with NATS servers killed too: give it alone')
  // Names that do not exist are the command line's fault (exit 2): exit 1 says the check failed.
  for (const p of values.property ?? []) {
    if (!PROPERTIES.some((x) => x.name === p)) throw new UsageError(`unknown property '${p}' (known: ${PROPERTIES.map((x) => x.name).join(', ')})`)
  }
  if (values.mutant !== undefined && !MUTANTS.some((m) => m.name === values.mutant)) {
    throw new UsageError(`unknown mutant '${values.mutant}' (known: ${MUTANTS.map((m) => m.name).join(', ')})`)
  }
  // A path is one property's fast-check run: under another property's arbitrary it replays nothing (the
  // printed replay command names its property; without it every default property took that path).
  // --crash adds the crash property, to the ones --property names too (it was dropped there, silently:
  // `--crash --property replay` ran replay alone). A property named twice runs once.
  const properties = values.property === undefined ? undefined : [...new Set([...values.property, ...(values.crash ? ['crash'] : [])])]
  if (values.path !== undefined && properties?.length !== 1) throw new UsageError(`--path replays one failing run of one property: give it with exactly one --property (the failure prints both)${values.crash && !values.property?.includes('crash') ? '; --crash adds crash to the properties named' : ''}`)
  const protocolMutant = MUTANTS.find((m) => m.name === values.mutant && m.protocol !== undefined)
  if (protocolMutant !== undefined && values.protocol !== undefined) {
    // It ran the mutant's protocol in place of the one named, saying so only in the header line.
    throw new UsageError(`--mutant ${protocolMutant.name} is a broken variant of ${protocolMutant.protocol?.name.split('/')[0]}: it replaces the protocol, so it takes no --protocol`)
  }
  // The seed only picks workloads; it is printed, so any run can be replayed. fast-check keeps a seed's
  // low 32 bits (`seed | 0`): --seed 4294967297 ran the workloads of --seed 1 under another name.
  const seed = int('seed', values.seed, randomInt(2 ** 31), 0, SEED_MAX)
  // Checked before any NATS server starts: each is a process, and beyond the bound it started them all.
  const nats = values.nats === undefined ? undefined : int('nats', values.nats, 1, 1, LOCAL_NATS_SERVERS_MAX)
  // Bounded as the engine bounds them: beyond, every run failed and read as a caught bug.
  const partitions = values.partitions === undefined ? undefined : int('partitions', values.partitions, 1, 1, PARTITIONS_MAX)
  // Stopped by a signal (a CI job's timeout, kill), the servers and NATS servers it started go with it.
  // (Written at once: process.exit does not wait for a pipe to take what `out` queued.)
  exitOnSignals((signal) => writeSync(2, `acheron check: stopped by ${signal} (seed ${seed})\n`))
  const report = await runCheckOrRefuse({
    seed,
    runs: int('runs', values.runs, 100, 1),
    txns: int('txns', values.txns, 100, 1),
    workers: int('workers', values.workers, 2, 0, WORKERS_MAX),
    crash: values.crash || values.cluster,
    mutant: values.mutant ?? null,
    shrink: !values['no-shrink'],
    shrinkSecondsMax: int('shrink-seconds', values['shrink-seconds'], SHRINK_SECONDS_DEFAULT, 0, SHRINK_SECONDS_MAX),
    out,
    ...(partitions !== undefined ? { partitions } : {}),
    ...(properties !== undefined ? { properties } : {}),
    ...(values.path !== undefined ? { path: values.path } : {}),
    ...(nats !== undefined ? { nats } : {}),
    ...(values.failover ? { failover: true } : {}),
    ...(values.cluster ? { cluster: true } : {}),
    ...(values.protocol !== undefined ? { protocol: await loadProtocol(values.protocol), protocolSpec: values.protocol } : {}),
  })
  return report.failed === 0 ? 0 : 1
}

/** A --path that replays no run is the command line's fault (exit 2), found once fast-check reads it. */
async function runCheckOrRefuse(o: Parameters<typeof runCheck>[0]): ReturnType<typeof runCheck> {
  try {
    return await runCheck(o)
  } catch (err) {
    if (err instanceof PathNotReplayable) throw new UsageError(err.message)
    throw err
  }
}
