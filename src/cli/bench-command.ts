// `acheron bench ycsbt|smallbank|tpcc [options]` (CONTRACT.md §7, §8): runs one workload on Acheron and,
// with --peers, the same transactions on PostgreSQL 15 and on SQLite alone in the same run, and prints one
// row per system and the throughput ratios. Only same-run ratios mean much on a shared, noisy machine.
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { WORKERS_MAX } from '../embedded.js'
import { runAcheron } from '../bench/acheron-system.js'
import { expand, parseList, plan, settingsLabel, type Axes, type Group } from '../bench/matrix.js'
import { PG_CONNECTIONS_MAX, PG_TRIES_MAX, postgresMissing, runPostgres } from '../bench/postgres-system.js'
import { progressLine, type ProgressLine } from '../bench/progress.js'
import { formatResults, mergeResults, parseResults, pointKey, pointRecord, thisMachine, type PointRecord, type ResultsFile, type SavedRecord } from '../bench/record.js'
import { findRegressions, P99_RISE_MAX, regressionLine, THROUGHPUT_DROP_MAX } from '../bench/regression.js'
import { ratioText } from '../bench/report-markdown.js'
import { BENCH_PROTOCOLS, invariantBroken, type BenchProtocolChoice, type BenchSettings, type SystemName, type SystemResult } from '../bench/settings.js'
import { runSqlite } from '../bench/sqlite-system.js'
import { WORKLOADS } from '../bench/workload-list.js'
import { PARTITIONS_MAX } from '../schema/catalog.js'
import { UsageError } from './usage-error.js'
import { joinNegativeValues } from './negative-values.js'
import { decimal } from './decimal.js'

/** Bounds on the options: a run must fit the machine and end. */
const CLIENTS_MAX = 1_000
/** The server's own bound per connection (inFlightPerConnectionMax): more would be answered OVERLOADED. */
const INFLIGHT_PER_CLIENT_MAX = 4_096
const LANES_MAX = 10_000
const DURATION_S_MAX = 3_600
const KEYS_MAX = 10_000_000
const WAREHOUSES_MAX = 100
const ITEMS_MAX = 100_000

/** `acheron bench --help`. */
export const BENCH_USAGE = `usage: acheron bench ycsbt|smallbank|tpcc [options]

Runs a workload on a fresh Acheron server (acheron serve on a temporary data directory, --sync full,
loopback WebSocket) with closed-loop clients, and prints one row per system: throughput (committed
txn/s), p50/p99/max latency in ms, aborts and the abort rate, conflict aborts, client retries and
failures. With --peers it runs the same seeded transactions in the same run on PostgreSQL 15
(SERIALIZABLE, PL/pgSQL, fsync on; retries serialization failures up to ${PG_TRIES_MAX} tries) and on SQLite
alone (one thread, WAL, synchronous=FULL, --sqlite-group transactions per commit), and prints the
Acheron/PostgreSQL and Acheron/SQLite throughput ratios (docs/benchmarks.md).

workloads:
  ycsbt       transfers between 2 keys: 2 reads + 2 writes (usertable.transfer)
  smallbank   the six SmallBank transactions in the standard mix (sb_account.*)
  tpcc        TPC-C NewOrder and Payment (45 : 43) over warehouse, district, customer, item, stock, orders

  --clients N        client connections (default 32)
  --inflight N       requests each client keeps outstanding (default 1)
  --duration S       seconds measured (default 10)
  --warmup S         seconds run before measuring (default 2)
  --keys N           rows (accounts) loaded (default 100000)
  --theta Z          key skew: 0 uniform, else Zipf with this exponent, 0 <= Z < 1 (default 0)
  --warehouses N     tpcc: warehouses (default 1; TPC-C's scale factor), each with 10 districts,
                     30,000 customers and a stock row per item
  --items N          tpcc: items (default 100000, as in TPC-C)
  --seed S           seeds the transaction streams; a seed replays the same transactions (default 1)
  --partitions N     partitions of the Acheron table (default 8)
  --workers N        execution worker threads of the Acheron server (default: acheron serve's: 0 on two cores or fewer, else 2)
  --protocol P       the Acheron server's concurrency control: aria, calvin, serial or default (default:
                     acheron serve's own, serial with no workers and aria with workers)
  --peers            also runs PostgreSQL 15 (needs its binaries, /usr/lib/postgresql/15/bin or PG_BIN)
                     and SQLite, and prints the ratios
  --sqlite-group N   transactions per fsynced SQLite transaction of the SQLite peer (default 1000)
  --json             one JSON object per system and point on stdout (workload, system, settings, txnPerSec,
                     p50Ms, p99Ms, maxMs, aborts, retries, ...); everything else goes to stderr
  --save FILE        adds the run's points to the results file FILE (JSON; docs/bench-results.json is the
                     committed one), replacing the same points measured before; npm run bench:report draws
                     docs/benchmarks.md's tables and plots from it
  --baseline FILE    the results to compare with (default: FILE of --save if it exists, else this
                     package's docs/bench-results.json): an Acheron point whose throughput fell by more
                     than ${THROUGHPUT_DROP_MAX * 100}% or whose p99 rose by more than ${P99_RISE_MAX * 100}% against the same point there
                     gets a WARNING line on stderr; compared as ratios to a peer where both runs ran one;
                     an empty file (/dev/null) compares with nothing

A matrix in one command: --theta, --clients, --inflight, --warehouses, --protocol and --workers take
comma-separated lists (--theta 0,0.6,0.9,0.99 --protocol aria,calvin,serial --workers 1,2) and every
combination runs; the peers run once per combination of the options they have (not protocol or workers).
On a terminal a progress line on stderr shows the workload, system, point and seconds left.`

function number(name: string, v: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (v === undefined) return fallback
  const n = decimal(v, !integer)
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n)) || n < min || n > max) {
    // An empty item of a list (--clients 2,,3) printed as nothing after "not".
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${v.trim() === '' ? JSON.stringify(v) : v}`)
  }
  return n
}

function parseTheta(v: string): number {
  const n = decimal(v, true)
  if (v.trim() === '' || !(n >= 0 && n < 1)) throw new UsageError(`--theta must be a number in [0, 1) (0: uniform keys; 0.99: YCSB's Zipf skew), not ${v}`)
  return n
}

function parseProtocol(v: string): BenchProtocolChoice {
  if (v !== 'default' && !(BENCH_PROTOCOLS as readonly string[]).includes(v)) throw new UsageError(`--protocol must be ${BENCH_PROTOCOLS.join(', ')} or default, not ${v}`)
  return v as BenchProtocolChoice
}

interface Parsed { settings: BenchSettings; axes: Axes; peers: boolean; json: boolean; save: string | undefined; baseline: string | undefined }

/** The options of `acheron bench`, as node:util parseArgs takes them. */
const BENCH_OPTIONS = {
  clients: { type: 'string' }, inflight: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
  keys: { type: 'string' }, theta: { type: 'string' }, seed: { type: 'string' }, partitions: { type: 'string' },
  workers: { type: 'string' }, protocol: { type: 'string' }, peers: { type: 'boolean', default: false }, 'sqlite-group': { type: 'string' },
  json: { type: 'boolean', default: false }, warehouses: { type: 'string' }, items: { type: 'string' },
  save: { type: 'string' }, baseline: { type: 'string' },
} as const

function parse(args: string[]): Parsed {
  // `--seed -1` is refused by the range check below, in our words (parseArgs called it "ambiguous").
  const { values, positionals } = parseArgs({ args: joinNegativeValues(args, BENCH_OPTIONS), allowPositionals: true, options: BENCH_OPTIONS })
  const [name, ...extra] = positionals
  if (name === undefined) throw new UsageError('give a workload: acheron bench ycsbt|smallbank|tpcc [options] (acheron bench --help)')
  if (extra.length > 0) throw new UsageError(`one workload at a time, not ${positionals.join(' ')}`)
  const workload = WORKLOADS[name]
  if (workload === undefined || !Object.hasOwn(WORKLOADS, name)) throw new UsageError(`'${name}' is not a workload: give ycsbt, smallbank or tpcc`)
  const tpcc = workload.name === 'tpcc'
  for (const option of ['keys', 'theta'] as const) {
    if (tpcc && values[option] !== undefined) throw new UsageError(`--${option} is for ycsbt and smallbank: tpcc draws its keys as TPC-C does (NURand); give --warehouses and --items`)
  }
  for (const option of ['warehouses', 'items'] as const) {
    if (!tpcc && values[option] !== undefined) throw new UsageError(`--${option} is for tpcc; ${name} has --keys and --theta`)
  }
  for (const option of ['save', 'baseline'] as const) {
    if (values[option] !== undefined && values[option].trim() === '') throw new UsageError(`--${option} needs a file name`)
  }
  const axes: Axes = {
    clients: parseList(values.clients, 32, (v) => number('clients', v, 32, 1, CLIENTS_MAX, true)),
    inflight: parseList(values.inflight, 1, (v) => number('inflight', v, 1, 1, INFLIGHT_PER_CLIENT_MAX, true)),
    theta: parseList(values.theta, 0, parseTheta),
    warehouses: parseList(values.warehouses, 1, (v) => number('warehouses', v, 1, 1, WAREHOUSES_MAX, true)),
    protocol: parseList<BenchProtocolChoice>(values.protocol, 'default', parseProtocol),
    workers: parseList<number | undefined>(values.workers, undefined, (v) => number('workers', v, 0, 0, WORKERS_MAX, true)),
  }
  const lanes = Math.max(...axes.clients) * Math.max(...axes.inflight)
  if (lanes > LANES_MAX) throw new UsageError(`--clients × --inflight must be at most ${LANES_MAX}, not ${lanes}`)
  if (values.peers && lanes > PG_CONNECTIONS_MAX) {
    throw new UsageError(`with --peers, --clients × --inflight must be at most ${PG_CONNECTIONS_MAX} (PostgreSQL needs a connection per request in flight), not ${lanes}`)
  }
  const settings: BenchSettings = {
    workload, clients: axes.clients[0] as number, inflight: axes.inflight[0] as number, protocol: axes.protocol[0] as BenchProtocolChoice,
    durationS: number('duration', values.duration, 10, 0.1, DURATION_S_MAX, false),
    warmupS: number('warmup', values.warmup, 2, 0, DURATION_S_MAX, false),
    keys: number('keys', values.keys, 100_000, 2, KEYS_MAX, true),
    warehouses: axes.warehouses[0] as number,
    items: number('items', values.items, 100_000, 1, ITEMS_MAX, true),
    theta: axes.theta[0] as number,
    seed: number('seed', values.seed, 1, 0, 2 ** 32 - 1, true),
    partitions: number('partitions', values.partitions, 8, 1, PARTITIONS_MAX, true),
    workers: axes.workers[0],
    sqliteGroup: number('sqlite-group', values['sqlite-group'], 1000, 1, 100_000, true),
  }
  return { settings, axes, peers: values.peers, json: values.json, save: values.save, baseline: values.baseline }
}

const SYSTEM_TITLES: Record<SystemName, string> = { acheron: 'Acheron', postgres: 'PostgreSQL', sqlite: 'SQLite' }
const ms = (x: number | null): string => (x === null ? '–' : x.toFixed(2))

/** A system's row at one point: its result, or why there is none. */
type Outcome = { system: SystemName; settings: BenchSettings; result: SystemResult; record: PointRecord } | { system: SystemName; settings: BenchSettings; why: string }

function label(o: Outcome): string {
  return settingsLabel(o.settings, o.system === 'acheron' ? 'acheron' : 'peer')
}

function tableRow(o: Outcome): string {
  if (!('result' in o)) return `| ${SYSTEM_TITLES[o.system]} | ${label(o)} | ${o.why} |`
  const r = o.record
  const failures = [...o.result.measured.failures].map(([code, n]) => `${code}: ${n}`).join(', ')
  return `| ${SYSTEM_TITLES[o.system]} | ${label(o)} | ${o.result.load} | ${r.txnPerSec} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} `
    + `| ${r.aborts} | ${(r.abortRate * 100).toFixed(2)}% | ${r.conflictAborts} | ${r.retries} | ${r.failed}${failures === '' ? '' : ` (${failures})`} |`
}

/** Runs the command's steps (matrix.ts's plan) one after the other. */
async function runMatrix(groups: Group[], peers: boolean, pgMissing: string | null, cleanups: (() => void)[], err: (line: string) => void, progress: ProgressLine): Promise<{ rows: Outcome[]; failed: boolean }> {
  const rows: Outcome[] = []
  let failed = false
  const steps = plan(groups, peers)
  for (const [i, { system, settings: s }] of steps.entries()) {
    if (system === 'postgres' && pgMissing !== null) {
      rows.push({ system, settings: s, why: `NOT RUN: ${pgMissing}` })
      continue
    }
    const measureS = s.warmupS + s.durationS
    progress.begin({ workload: s.workload.name, system: SYSTEM_TITLES[system], point: settingsLabel(s, system === 'acheron' ? 'acheron' : 'peer'), step: i + 1, steps: steps.length, measureS, secondsAfter: (steps.length - i - 1) * measureS })
    const onStart = (): void => progress.measuring()
    try {
      const result = await (system === 'acheron' ? runAcheron(s, cleanups, onStart) : system === 'postgres' ? runPostgres(s, cleanups, onStart) : runSqlite(s, cleanups, onStart))
      rows.push({ system, settings: s, result, record: pointRecord(s, result) })
    } catch (e) {
      if (system === 'acheron') throw e
      // A peer that fails does not hide the others' numbers, but the run fails.
      failed = true
      rows.push({ system, settings: s, why: `FAILED: ${(e as Error).message.split('\n')[0] ?? ''}` })
      progress.clear()
      err(`acheron bench: ${SYSTEM_TITLES[system]} failed: ${(e as Error).message}`)
    }
  }
  progress.clear()
  return { rows, failed }
}

function printHeader(s: BenchSettings, axes: Axes, info: (line: string) => void): void {
  const cpu = cpus()
  const list = (xs: readonly unknown[]): string => xs.join(', ')
  info(`acheron bench ${s.workload.name}: ${s.workload.description}`)
  const data = s.workload.name === 'tpcc'
    ? `${list(axes.warehouses)} warehouse${axes.warehouses.length === 1 && axes.warehouses[0] === 1 ? '' : 's'}, ${s.items} items`
    : `${s.keys} keys, theta ${list(axes.theta)}${axes.theta.length > 1 ? '' : s.theta === 0 ? ' (uniform)' : ' (Zipf)'}`
  info(`${data}, seed ${s.seed}; ${s.durationS} s measured after ${s.warmupS} s of warm-up; Acheron: protocol ${list(axes.protocol)}, ${s.partitions} partitions, ${list(axes.workers.map((w) => w ?? 'default'))} workers`)
  info(`machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${new Date().toISOString()}; on a shared machine only same-run ratios mean much`)
}

function printReport(rows: Outcome[], peers: boolean, json: boolean, out: (line: string) => void, info: (line: string) => void): void {
  const measured = rows.flatMap((r) => ('result' in r ? [r] : []))
  if (json) for (const r of measured) out(JSON.stringify(r.record))
  else {
    out('')
    out('| system | settings | clients × in flight | txn/s | p50 ms | p99 ms | max ms | aborts | abort rate | conflict aborts | retries | failed |')
    out('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for (const r of rows) out(tableRow(r))
  }
  // One Acheron point: the ratio lines name no settings; in a matrix each names its point.
  const single = rows.filter((r) => r.system === 'acheron').length === 1
  const load = (r: Outcome): string => (r.system === 'sqlite' ? '' : `, ${r.settings.clients} × ${r.settings.inflight}`)
  const named = (r: Outcome): string => `${SYSTEM_TITLES[r.system]}${single ? '' : ` (${label(r)}${load(r)})`}`
  if (peers) {
    info('')
    for (const a of measured) {
      if (a.system !== 'acheron') continue
      for (const peer of ['postgres', 'sqlite'] as const) {
        const row = rows.find((r) => r.system === peer && settingsLabel(r.settings, 'peer') === settingsLabel(a.settings, 'peer')
          && (peer === 'sqlite' || (r.settings.clients === a.settings.clients && r.settings.inflight === a.settings.inflight)))
        const p = row !== undefined && 'result' in row ? row.record : undefined
        const ratio = p === undefined || p.txnPerSec === 0 ? null : a.record.txnPerSec / p.txnPerSec
        const why = row !== undefined && 'why' in row ? row.why : 'no result'
        info(`${named(a)} / ${SYSTEM_TITLES[peer]} throughput: ${ratio === null ? `not measured (${why})` : ratioText(ratio)}`)
      }
    }
  }
  info('')
  for (const r of measured) {
    const m = r.result.measured
    const cores = r.system === 'sqlite'
      ? `${m.clientCores.toFixed(2)} cores busy (this process, no server)`
      : `${m.serverCores === null ? '?' : m.serverCores.toFixed(2)} cores busy in the server, ${m.clientCores.toFixed(2)} in the clients (this process)`
    info(`- ${named(r)}: ${[...r.result.notes, cores].join('; ')}`)
  }
  info('- txn/s: committed transactions per second in the measured window; aborts: transactions their own logic rolled back; '
    + 'conflict aborts: aborts for a concurrency conflict (retried); retries: times a client sent a transaction again; failed: gave up or an error')
}

/** The committed results this package ships (docs/bench-results.json), the default baseline. */
const PACKAGE_RESULTS = fileURLToPath(new URL('../../../docs/bench-results.json', import.meta.url))

function readResults(path: string): ResultsFile | null {
  return existsSync(path) ? parseResults(readFileSync(path, 'utf8'), path) : null
}

/**
 * Reads the files the run ends with before it starts, so that one that cannot serve is refused in words
 * before minutes of measuring, not after: the baseline (named, it must exist; an empty file is "none"),
 * and a --save file that exists, which must be a results file for the run's points to be merged into it.
 */
function checkResultFiles(save: string | undefined, baseline: string | undefined): void {
  if (baseline !== undefined && !existsSync(baseline)) throw new UsageError(`--baseline ${baseline}: no such file`)
  for (const [option, path] of [['save', save], ['baseline', baseline]] as const) {
    if (path === undefined) continue
    try {
      readResults(path)
    } catch (e) {
      throw new UsageError(`--${option}: ${(e as Error).message}`)
    }
  }
  // One that cannot be written (a directory that is not there, /proc) failed only after the whole run.
  if (save !== undefined) {
    try {
      if (existsSync(save)) closeSync(openSync(save, 'r+'))
      else {
        closeSync(openSync(save, 'wx'))
        unlinkSync(save)
      }
    } catch (e) {
      throw new UsageError(`--save ${save}: cannot be written (${(e as Error).message})`)
    }
  }
}

/** Warns (on stderr) about each Acheron point worse than the same point in the baseline file. */
function checkRegressions(fresh: SavedRecord[], baselinePath: string, err: (line: string) => void, info: (line: string) => void): void {
  const baseline = readResults(baselinePath)
  if (baseline === null) return
  const found = findRegressions(fresh, baseline.records)
  for (const r of found) err(regressionLine(r))
  const compared = fresh.filter((r) => r.system === 'acheron' && baseline.records.some((b) => pointKey(b) === pointKey(r))).length
  if (compared > 0) info(`- compared with ${baselinePath}: ${compared} Acheron point${compared === 1 ? '' : 's'}, ${found.length} regression warning${found.length === 1 ? '' : 's'} (throughput down > ${THROUGHPUT_DROP_MAX * 100}% or p99 up > ${P99_RISE_MAX * 100}%, on the ratio to a peer of the same run where both runs have one)`)
}

export async function benchCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { settings: s, axes, peers, json, save, baseline } = parse(args)
  checkResultFiles(save, baseline)
  const info = json ? err : out
  const date = new Date().toISOString()
  const machine = thisMachine()
  // Everything started is stopped and deleted by `cleanup`, also on an error or a signal.
  const cleanups: (() => void)[] = []
  const progress = progressLine()
  const cleanup = (): void => {
    progress.clear()
    while (cleanups.length > 0) {
      try { cleanups.pop()?.() } catch (e) { err(`cleanup: ${(e as Error).message}`) }
    }
  }
  const onSignal = (signal: string): void => {
    err(`${signal}: stopping the servers and deleting their data`)
    cleanup()
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', cleanup)

  printHeader(s, axes, info)
  const pgMissing = peers ? postgresMissing() : null
  if (pgMissing !== null) err(`acheron bench: WARNING: PostgreSQL IS NOT RUN: ${pgMissing}. The other systems run.`)
  let run: { rows: Outcome[]; failed: boolean }
  try {
    run = await runMatrix(expand(s, axes), peers, pgMissing, cleanups, err, progress)
  } finally {
    cleanup()
  }
  printReport(run.rows, peers, json, out, info)
  // A run whose data is wrong afterwards measured nothing worth printing as fine, nor saving.
  let broken = false
  for (const r of run.rows) {
    if (!('result' in r)) continue
    const why = invariantBroken(r.settings, r.result.invariant)
    if (why !== null) {
      broken = true
      err(`acheron bench: ${SYSTEM_TITLES[r.system]} (${label(r)}): INVARIANT BROKEN: ${why}`)
    }
  }
  if (s.workload.invariant !== undefined && !broken) info(`- checked after the run on every system: ${s.workload.invariant.description}`)
  const command = ['acheron', 'bench', ...args].join(' ')
  const fresh: SavedRecord[] = run.rows.flatMap((r) => ('result' in r ? [{ ...r.record, command, machine, date }] : []))
  const baselinePath = baseline ?? (save !== undefined && existsSync(save) ? save : PACKAGE_RESULTS)
  checkRegressions(fresh, baselinePath, err, info)
  if (save !== undefined && !broken) {
    try {
      writeFileSync(save, formatResults(mergeResults(readResults(save), fresh)))
    } catch (e) {
      throw new Error(`--save ${save}: the run's points were not saved (${(e as Error).message}); they are in the table above${json ? ' and the --json lines' : ''}`)
    }
    info(`- saved ${fresh.length} point${fresh.length === 1 ? '' : 's'} to ${save} (npm run bench:report draws the plots and tables from it)`)
  }
  return run.failed || broken ? 1 : 0
}
