// `acheron bench ycsbt|smallbank|tpcc [options]` (CONTRACT.md §7, §8): runs one workload on Acheron and,
// with --peers, the same transactions on PostgreSQL 15 and on SQLite alone in the same run, and prints one
// row per system and the throughput ratios. Only same-run ratios mean much on a shared, noisy machine.
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { runAcheron } from '../bench/acheron-system.js'
import { PG_CONNECTIONS_MAX, PG_TRIES_MAX, postgresMissing, runPostgres } from '../bench/postgres-system.js'
import { BENCH_PROTOCOLS, invariantBroken, type BenchProtocol, type BenchSettings, type SystemName, type SystemResult } from '../bench/settings.js'
import { runSqlite } from '../bench/sqlite-system.js'
import { WORKLOADS } from '../bench/workload-list.js'
import { PARTITIONS_MAX } from '../schema/catalog.js'

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
  --workers N        execution worker threads of the Acheron server (default: acheron serve's, min(2, cores))
  --protocol P       the Acheron server's concurrency control: aria, calvin or serial (default aria)
  --peers            also runs PostgreSQL 15 (needs its binaries, /usr/lib/postgresql/15/bin or PG_BIN)
                     and SQLite, and prints the ratios
  --sqlite-group N   transactions per fsynced SQLite transaction of the SQLite peer (default 1000)
  --json             one JSON object per system on stdout (workload, system, settings, txnPerSec, p50Ms,
                     p99Ms, maxMs, aborts, retries, ...); everything else goes to stderr`

function number(name: string, v: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n)) || n < min || n > max) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${v}`)
  }
  return n
}

function parseTheta(v: string | undefined): number {
  if (v === undefined) return 0
  const n = Number(v)
  if (v.trim() === '' || !(n >= 0 && n < 1)) throw new Error(`--theta must be a number in [0, 1) (0: uniform keys; 0.99: YCSB's Zipf skew), not ${v}`)
  return n
}

interface Parsed { settings: BenchSettings; peers: boolean; json: boolean }

function parse(args: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      clients: { type: 'string' }, inflight: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
      keys: { type: 'string' }, theta: { type: 'string' }, seed: { type: 'string' }, partitions: { type: 'string' },
      workers: { type: 'string' }, protocol: { type: 'string' }, peers: { type: 'boolean', default: false }, 'sqlite-group': { type: 'string' },
      json: { type: 'boolean', default: false }, warehouses: { type: 'string' }, items: { type: 'string' },
    },
  })
  const [name, ...extra] = positionals
  if (name === undefined) throw new Error('give a workload: acheron bench ycsbt|smallbank|tpcc [options] (acheron bench --help)')
  if (extra.length > 0) throw new Error(`one workload at a time, not ${positionals.join(' ')}`)
  const workload = WORKLOADS[name]
  if (workload === undefined || !Object.hasOwn(WORKLOADS, name)) throw new Error(`'${name}' is not a workload: give ycsbt, smallbank or tpcc`)
  const tpcc = workload.name === 'tpcc'
  for (const option of ['keys', 'theta'] as const) {
    if (tpcc && values[option] !== undefined) throw new Error(`--${option} is for ycsbt and smallbank: tpcc draws its keys as TPC-C does (NURand); give --warehouses and --items`)
  }
  for (const option of ['warehouses', 'items'] as const) {
    if (!tpcc && values[option] !== undefined) throw new Error(`--${option} is for tpcc; ${name} has --keys and --theta`)
  }
  const clients = number('clients', values.clients, 32, 1, CLIENTS_MAX, true)
  const inflight = number('inflight', values.inflight, 1, 1, INFLIGHT_PER_CLIENT_MAX, true)
  if (clients * inflight > LANES_MAX) throw new Error(`--clients × --inflight must be at most ${LANES_MAX}, not ${clients * inflight}`)
  if (values.peers && clients * inflight > PG_CONNECTIONS_MAX) {
    throw new Error(`with --peers, --clients × --inflight must be at most ${PG_CONNECTIONS_MAX} (PostgreSQL needs a connection per request in flight), not ${clients * inflight}`)
  }
  const protocol = values.protocol ?? 'aria'
  if (!(BENCH_PROTOCOLS as readonly string[]).includes(protocol)) throw new Error(`--protocol must be ${BENCH_PROTOCOLS.join(', ')}, not ${protocol}`)
  const settings: BenchSettings = {
    workload, clients, inflight, protocol: protocol as BenchProtocol,
    durationS: number('duration', values.duration, 10, 0.1, DURATION_S_MAX, false),
    warmupS: number('warmup', values.warmup, 2, 0, DURATION_S_MAX, false),
    keys: number('keys', values.keys, 100_000, 2, KEYS_MAX, true),
    warehouses: number('warehouses', values.warehouses, 1, 1, WAREHOUSES_MAX, true),
    items: number('items', values.items, 100_000, 1, ITEMS_MAX, true),
    theta: parseTheta(values.theta),
    seed: number('seed', values.seed, 1, 0, 2 ** 32 - 1, true),
    partitions: number('partitions', values.partitions, 8, 1, PARTITIONS_MAX, true),
    workers: values.workers === undefined ? undefined : number('workers', values.workers, 0, 0, 64, true),
    sqliteGroup: number('sqlite-group', values['sqlite-group'], 1000, 1, 100_000, true),
  }
  return { settings, peers: values.peers, json: values.json }
}

const SYSTEM_TITLES: Record<SystemName, string> = { acheron: 'Acheron', postgres: 'PostgreSQL', sqlite: 'SQLite' }
const ms = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(2))
const round3 = (x: number): number | null => (Number.isNaN(x) ? null : Math.round(x * 1000) / 1000)

function txnPerSec(r: SystemResult): number {
  return r.measured.committed / r.measured.seconds
}

function abortRate(r: SystemResult): number {
  const m = r.measured
  const all = m.committed + m.aborted + m.failed
  return all === 0 ? 0 : m.aborted / all
}

function tableRow(r: SystemResult): string {
  const m = r.measured
  const failures = [...m.failures].map(([code, n]) => `${code}: ${n}`).join(', ')
  return `| ${SYSTEM_TITLES[r.system]} | ${r.load} | ${Math.round(txnPerSec(r))} | ${ms(m.latency.percentile(0.5))} | ${ms(m.latency.percentile(0.99))} | ${ms(m.latency.count === 0 ? NaN : m.latency.maxMs)} `
    + `| ${m.aborted} | ${(abortRate(r) * 100).toFixed(2)}% | ${m.conflicts} | ${m.retries} | ${m.failed}${failures === '' ? '' : ` (${failures})`} |`
}

function jsonRow(s: BenchSettings, r: SystemResult): string {
  const m = r.measured
  return JSON.stringify({
    workload: s.workload.name, system: r.system,
    settings: { ...(s.workload.name === 'tpcc' ? { warehouses: s.warehouses, items: s.items } : { keys: s.keys, theta: s.theta }), seed: s.seed, durationS: s.durationS, warmupS: s.warmupS, load: r.load,
      ...(r.system === 'sqlite' ? { group: s.sqliteGroup } : { clients: s.clients, inflight: s.inflight }),
      ...(r.system === 'acheron' ? { partitions: s.partitions, workers: s.workers ?? null, protocol: s.protocol, sync: 'full' } : {}),
      ...(r.system === 'postgres' ? { isolation: 'serializable', triesMax: PG_TRIES_MAX } : {}) },
    txnPerSec: Math.round(txnPerSec(r)), p50Ms: round3(m.latency.percentile(0.5)), p99Ms: round3(m.latency.percentile(0.99)),
    maxMs: round3(m.latency.count === 0 ? NaN : m.latency.maxMs), aborts: m.aborted, abortRate: abortRate(r),
    conflictAborts: m.conflicts, retries: m.retries, failed: m.failed,
    serverCores: m.serverCores === null ? null : round3(m.serverCores), clientCores: round3(m.clientCores),
  })
}

/** A system's row: its result, or why there is none. */
type Outcome = { system: SystemName; result: SystemResult } | { system: SystemName; why: string }

/** Runs Acheron and (with --peers) the peers one after the other; `failed` is set when a peer failed. */
async function runSystems(s: BenchSettings, peers: boolean, pgMissing: string | null, cleanups: (() => void)[], err: (line: string) => void): Promise<{ rows: Outcome[]; failed: boolean }> {
  const rows: Outcome[] = []
  let failed = false
  const attempt = async (system: SystemName, run: () => Promise<SystemResult> | SystemResult): Promise<void> => {
    try {
      rows.push({ system, result: await run() })
    } catch (e) {
      if (system === 'acheron') throw e
      // A peer that fails does not hide the others' numbers, but the run fails.
      failed = true
      rows.push({ system, why: `FAILED: ${(e as Error).message.split('\n')[0] ?? ''}` })
      err(`acheron bench: ${SYSTEM_TITLES[system]} failed: ${(e as Error).message}`)
    }
  }
  await attempt('acheron', () => runAcheron(s, cleanups))
  if (peers) {
    if (pgMissing === null) await attempt('postgres', () => runPostgres(s, cleanups))
    else rows.push({ system: 'postgres', why: `NOT RUN: ${pgMissing}` })
    await attempt('sqlite', () => runSqlite(s, cleanups))
  }
  return { rows, failed }
}

function printHeader(s: BenchSettings, info: (line: string) => void): void {
  const cpu = cpus()
  info(`acheron bench ${s.workload.name}: ${s.workload.description}`)
  const data = s.workload.name === 'tpcc' ? `${s.warehouses} warehouse${s.warehouses === 1 ? '' : 's'}, ${s.items} items` : `${s.keys} keys, theta ${s.theta}${s.theta === 0 ? ' (uniform)' : ' (Zipf)'}`
  info(`${data}, seed ${s.seed}; ${s.durationS} s measured after ${s.warmupS} s of warm-up; Acheron: protocol ${s.protocol}, ${s.partitions} partitions, ${s.workers === undefined ? 'default' : s.workers} workers`)
  info(`machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${new Date().toISOString()}; on a shared machine only same-run ratios mean much`)
}

function printReport(s: BenchSettings, rows: Outcome[], peers: boolean, json: boolean, out: (line: string) => void, info: (line: string) => void): void {
  const results = rows.flatMap((r) => ('result' in r ? [r.result] : []))
  if (json) for (const r of results) out(jsonRow(s, r))
  else {
    out('')
    out('| system | clients × in flight | txn/s | p50 ms | p99 ms | max ms | aborts | abort rate | conflict aborts | retries | failed |')
    out('|---|---|---|---|---|---|---|---|---|---|---|')
    for (const r of rows) out('result' in r ? tableRow(r.result) : `| ${SYSTEM_TITLES[r.system]} | ${r.why} |`)
  }
  if (peers) {
    info('')
    const acheron = results.find((r) => r.system === 'acheron')
    for (const peer of ['postgres', 'sqlite'] as const) {
      const row = rows.find((r) => r.system === peer)
      const p = row !== undefined && 'result' in row ? row.result : undefined
      const ratio = acheron === undefined || p === undefined || txnPerSec(p) === 0 ? null : txnPerSec(acheron) / txnPerSec(p)
      const why = row !== undefined && 'why' in row ? row.why : 'no result'
      info(`Acheron / ${SYSTEM_TITLES[peer]} throughput: ${ratio === null ? `not measured (${why})` : ratio.toFixed(2)}`)
    }
  }
  info('')
  for (const r of results) {
    const m = r.measured
    const cores = r.system === 'sqlite'
      ? `${m.clientCores.toFixed(2)} cores busy (this process, no server)`
      : `${m.serverCores === null ? '?' : m.serverCores.toFixed(2)} cores busy in the server, ${m.clientCores.toFixed(2)} in the clients (this process)`
    info(`- ${SYSTEM_TITLES[r.system]}: ${[...r.notes, cores].join('; ')}`)
  }
  info('- txn/s: committed transactions per second in the measured window; aborts: transactions their own logic rolled back; '
    + 'conflict aborts: aborts for a concurrency conflict (retried); retries: times a client sent a transaction again; failed: gave up or an error')
}

export async function benchCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { settings: s, peers, json } = parse(args)
  const info = json ? err : out
  // Everything started is stopped and deleted by `cleanup`, also on an error or a signal.
  const cleanups: (() => void)[] = []
  const cleanup = (): void => {
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

  printHeader(s, info)
  const pgMissing = peers ? postgresMissing() : null
  if (pgMissing !== null) err(`acheron bench: WARNING: PostgreSQL IS NOT RUN: ${pgMissing}. The other systems run.`)
  let run: { rows: Outcome[]; failed: boolean }
  try {
    run = await runSystems(s, peers, pgMissing, cleanups, err)
  } finally {
    cleanup()
  }
  printReport(s, run.rows, peers, json, out, info)
  // A run whose data is wrong afterwards measured nothing worth printing as fine.
  let broken = false
  for (const r of run.rows) {
    if (!('result' in r)) continue
    const why = invariantBroken(s, r.result.invariant)
    if (why !== null) {
      broken = true
      err(`acheron bench: ${SYSTEM_TITLES[r.system]}: INVARIANT BROKEN: ${why}`)
    }
  }
  if (s.workload.invariant !== undefined && !broken) info(`- checked after the run on every system: ${s.workload.invariant.description}`)
  return run.failed || broken ? 1 : 0
}
