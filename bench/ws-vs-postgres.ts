// Acheron over WebSocket and PostgreSQL 15 SERIALIZABLE, side by side in one run: on this machine the
// fsync speed and the CPU vary a lot from hour to hour, so only ratios measured in the same minutes mean
// anything. The two systems alternate point by point (PostgreSQL n clients, then Acheron n clients).
//
// Both run the bank transfer over 100,000 accounts (2 reads, 2 writes; keys uniform or Zipf 0.99):
// - Acheron: `acheron serve --workers N --sync full` as a child process (N: the server's default, or
//   BENCH_WORKERS); the AssemblyScript bank's
//   account.transfer(a, b, 1) called by C WebSocket connections in this process, D calls in flight each
//   (closed loop). Latency is the client's, send to reply.
// - PostgreSQL: a temporary cluster (fsync and synchronous_commit on), a PL/pgSQL transfer(a, b, amount),
//   driven by pgbench -M prepared at default_transaction_isolation = serializable with up to 10 tries per
//   transaction (serialization failures retried). Latency from pgbench's log: start to end, retries included.
//
// Usage: node dist/bench/ws-vs-postgres.js [--json]   (BENCH_SECONDS=10, BENCH_WARMUP_SECONDS=2)
import { defaultWorkers } from '../src/embedded.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPgCluster, type PgCluster } from '../src/bench/pg-cluster.js'
import { killRunningPgbench, pgbench } from './support/pgbench.js'
import { machineBusySeconds, processCpuSeconds } from '../src/bench/process-cpu.js'
import { hotShares, pgbenchKeyLines, zipfProbabilities, zipfTotalVariation } from './support/pgbench-keys.js'
import { keyChooser, mulberry32, percentile } from './support/rng.js'
import { WsClient } from '../src/bench/ws-client.js'
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js'

const KEYS = 100_000
const BALANCE = 1_000_000_000
const INSERT_ROWS_MAX = 5_000
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2)
/** acheron serve's own default unless BENCH_WORKERS says otherwise. */
const ACHERON_WORKERS = process.env.BENCH_WORKERS !== undefined ? Number(process.env.BENCH_WORKERS) : defaultWorkers()
const PG_THREADS = 2
const PG_MAX_TRIES = 10
/** Draws compared between pgbench's Zipf keys, keyChooser's and the exact distribution. */
const KEY_CHECK_DRAWS = 200_000
const FSYNC_PROBE_MS = 1_000
const JSON_OUT = process.argv.includes('--json')
// Whole seconds: pgbench -T takes no fractions.
if (!(Number.isInteger(SECONDS) && SECONDS > 0 && Number.isInteger(WARMUP_SECONDS) && WARMUP_SECONDS >= 0)) {
  throw new Error('BENCH_SECONDS must be a whole number > 0, BENCH_WARMUP_SECONDS a whole number >= 0')
}

const WORKLOADS = [{ name: 'uniform', theta: 0 }, { name: 'zipf 0.99', theta: 0.99 }] as const
type Workload = (typeof WORKLOADS)[number]
type System = 'acheron' | 'postgres'
/** PostgreSQL first at each client count, so the Acheron row can print its ratio at once. */
const PLAN: readonly { system: System; clients: number; inFlight: number }[] = [
  { system: 'postgres', clients: 32, inFlight: 1 },
  { system: 'acheron', clients: 32, inFlight: 1 },
  { system: 'postgres', clients: 64, inFlight: 1 },
  { system: 'acheron', clients: 64, inFlight: 1 },
  { system: 'acheron', clients: 64, inFlight: 4 },
]

interface Result {
  txnPerSec: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  aborts: number
  retries: number
  /** Cores busy on average during the measured seconds: the server's processes, the client's, the rest. */
  serverCores: number
  clientCores: number
  otherCores: number
  notes: string
}

const out = (line: string): void => void process.stdout.write(line + '\n')
const info = (line: string): void => void (JSON_OUT ? process.stderr : process.stdout).write(line + '\n')
const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`

// Everything started is stopped by `cleanup`, also on an error or a signal: nothing is left running.
const cleanups: (() => void)[] = []
function cleanup(): void {
  while (cleanups.length > 0) {
    try {
      cleanups.pop()?.()
    } catch (e) {
      process.stderr.write(`cleanup: ${(e as Error).message}\n`)
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers and deleting their data\n`)
    killRunningPgbench()
    cleanup()
    process.exit(130)
  })
}
process.once('exit', cleanup)

interface CpuReading { atMs: number; server: number; client: number; machine: number }

function cpuReading(server: number, client: number): CpuReading {
  return { atMs: performance.now(), server, client, machine: machineBusySeconds() }
}

/** Average cores over the interval: the server, the client, and everything else on the machine. */
function coresBetween(a: CpuReading, b: CpuReading): Pick<Result, 'serverCores' | 'clientCores' | 'otherCores'> {
  const seconds = (b.atMs - a.atMs) / 1000
  const server = b.server - a.server
  const client = b.client - a.client
  return { serverCores: server / seconds, clientCores: client / seconds, otherCores: Math.max(0, b.machine - a.machine - server - client) / seconds }
}

// ---- Acheron ----

interface Acheron {
  url: string
  child: ChildProcess
  logPath: string
  /** Why the server exited, once it has; null while it runs. */
  exited: () => string | null
  whenExited: Promise<void>
  stop: () => Promise<void>
}

async function startAcheron(root: string): Promise<Acheron> {
  const dataDir = join(root, 'acheron-data')
  const logPath = join(root, 'acheron-serve.log')
  const logFd = openSync(logPath, 'w')
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, cli, 'serve', '--data', dataDir, '--port', '0',
    '--workers', String(ACHERON_WORKERS), '--sync', 'full'], { stdio: ['ignore', 'pipe', logFd] })
  closeSync(logFd)
  let exitReason: string | null = null
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exitReason = `acheron serve exited with code ${code}, signal ${signal}`
    resolve()
  }))
  cleanups.push(() => {
    if (exitReason === null) child.kill('SIGKILL')
  })
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffered += d
      const m = /^acheron listening on (ws:\/\/\S+)$/m.exec(buffered)
      if (m !== null) resolve(m[1] as string)
    })
    void exited.then(() => reject(new Error(`${exitReason} before it was ready:\n${tail(logPath)}`)))
  })
  return {
    url, child, logPath,
    exited: () => exitReason,
    whenExited: exited,
    stop: async () => {
      if (exitReason !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

async function loadAcheron(admin: WsClient): Promise<void> {
  const hex = readFileSync(new URL('../guest/bank.wasm', import.meta.url)).toString('hex')
  await admin.must({ op: 'sql', sql: `CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;
    CREATE FUNCTION account.transfer FROM WASM X'${hex}'; CREATE FUNCTION account.deposit FROM WASM X'${hex}';` })
  for (let i = 0; i < KEYS; i += INSERT_ROWS_MAX) {
    const rows = Array.from({ length: Math.min(INSERT_ROWS_MAX, KEYS - i) }, (_, j) => `(${i + j}, ${BALANCE})`)
    await admin.must({ op: 'sql', sql: `INSERT INTO account VALUES ${rows.join(', ')}` })
  }
}

async function acheronStats(admin: WsClient): Promise<Record<string, number>> {
  const r = await admin.must({ op: 'sql', sql: 'SHOW STATS' })
  return Object.fromEntries((r.results?.[0]?.rows ?? []) as [string, number][])
}

/** A closed loop: `clients` connections × `inFlight` calls; only replies inside the measured window count. */
async function runAcheron(server: Acheron, admin: WsClient, clients: number, inFlight: number, nextKey: () => number): Promise<Result> {
  const conns = Array.from({ length: clients }, () => new WsClient(server.url))
  await Promise.all(conns.map((c) => c.ready()))
  const latencies: number[] = []
  const failures = new Map<string, number>()
  const start = performance.now()
  const measureStart = start + WARMUP_SECONDS * 1000
  const measureEnd = measureStart + SECONDS * 1000
  const snapshot = async (): Promise<{ stats: Record<string, number>; cpu: CpuReading }> => {
    const cpu = cpuReading(processCpuSeconds(server.child.pid ?? -1), processCpuSeconds(process.pid))
    return { stats: await acheronStats(admin), cpu }
  }
  const at = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())))
  const before = at(measureStart).then(snapshot)
  const after = at(measureEnd).then(snapshot)
  let stop = false
  // Settled either way (a failed point throws below, and its snapshots must not reject unhandled).
  void after.then(() => (stop = true), () => (stop = true))
  void before.catch(() => undefined)
  try {
    await Promise.all(conns.flatMap((c) => Array.from({ length: inFlight }, async () => {
      while (!stop) {
        const a = nextKey()
        let b = nextKey()
        if (b === a) b = (a + 1) % KEYS
        const t0 = performance.now()
        const r = await c.request({ op: 'call', fn: 'account.transfer', key: a, args: [b, 1] })
        const t1 = performance.now()
        if (t1 < measureStart || t1 >= measureEnd) continue
        if (r.ok) latencies.push(t1 - t0)
        else failures.set(r.error?.code ?? '?', (failures.get(r.error?.code ?? '?') ?? 0) + 1)
      }
    })))
  } catch (e) {
    stop = true
    // A lost connection usually means the server died: give its exit a moment to be reported.
    await Promise.race([server.whenExited, new Promise((resolve) => setTimeout(resolve, 1_000))])
    throw new Error(`Acheron point ${clients} × ${inFlight} failed: ${(e as Error).message}; ${server.exited() ?? 'server still running'}\nlast lines of ${server.logPath}:\n${tail(server.logPath)}`)
  } finally {
    for (const c of conns) c.close()
  }
  const [b, a] = [await before, await after]
  const delta = (k: string): number => (a.stats[k] ?? 0) - (b.stats[k] ?? 0)
  const sorted = Float64Array.from(latencies).sort()
  const aborts = [...failures.values()].reduce((x, y) => x + y, 0)
  const batchSize = delta('batches_total') > 0 ? delta('txns_total') / delta('batches_total') : 0
  const fallback = delta('txns_total') > 0 ? delta('fallback_txns_total') / delta('txns_total') : 0
  const failureCodes = [...failures].map(([code, n]) => `${code} ${n}`).join(', ')
  return {
    txnPerSec: latencies.length / SECONDS,
    p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted[sorted.length - 1] ?? NaN,
    aborts, retries: 0,
    ...coresBetween(b.cpu, a.cpu),
    notes: `batch ${batchSize.toFixed(1)}, fallback ${pct(fallback)}${failureCodes === '' ? '' : `; failed: ${failureCodes}`}`,
  }
}

// ---- PostgreSQL ----

const PG_SCHEMA = `
CREATE TABLE account (id INTEGER PRIMARY KEY, balance BIGINT NOT NULL);
INSERT INTO account SELECT g, ${BALANCE} FROM generate_series(0, ${KEYS - 1}) g;
-- The bank's transfer: read and debit a (abort on insufficient funds), then read and credit b.
CREATE FUNCTION transfer(a int, b int, amount int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  cur bigint;
  dst bigint;
BEGIN
  SELECT balance INTO STRICT cur FROM account WHERE id = a;
  IF cur < amount THEN RAISE EXCEPTION 'insufficient funds'; END IF;
  UPDATE account SET balance = cur - amount WHERE id = a;
  SELECT balance INTO STRICT dst FROM account WHERE id = b;
  UPDATE account SET balance = dst + amount WHERE id = b;
  RETURN cur - amount;
END $$;`

const pgEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PGOPTIONS: '-c default_transaction_isolation=serializable' })

function writePgScript(dir: string, w: Workload): string {
  const path = join(dir, `transfer-${w.theta}.sql`)
  writeFileSync(path, [
    ...pgbenchKeyLines('a', KEYS, w.theta),
    ...pgbenchKeyLines('b', KEYS, w.theta),
    '\\if :a = :b',
    `\\set b (:b + 1) % ${KEYS}`,
    '\\endif',
    'SELECT transfer(:a, :b, 1);',
    '',
  ].join('\n'))
  return path
}

/** CPU seconds of this process's reaped children (cutime + cstime): pgbench, once it has exited. */
const reapedChildrenCpu = (): number => processCpuSeconds(process.pid, 'children')

async function runPostgres(cluster: PgCluster, dir: string, script: string, clients: number, seed: number): Promise<Result> {
  const common = { script, clients, threads: PG_THREADS, maxTries: PG_MAX_TRIES, env: { ...pgEnv(), PGBENCH_RANDOM_SEED: String(seed) } }
  if (WARMUP_SECONDS > 0) await pgbench(cluster, { ...common, seconds: WARMUP_SECONDS })
  const cpu0 = cpuReading(cluster.cpuSeconds(), reapedChildrenCpu())
  const r = await pgbench(cluster, { ...common, seconds: SECONDS, logPrefix: join(dir, 'pgbench-log') })
  const cpu1 = cpuReading(cluster.cpuSeconds(), reapedChildrenCpu())
  const sorted = r.latenciesMs
  return {
    txnPerSec: r.txnPerSec,
    p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted[sorted.length - 1] ?? NaN,
    aborts: r.failed, retries: r.retries,
    ...coresBetween(cpu0, cpu1),
    notes: `${fmt(r.retriedTxns)} of ${fmt(r.processed + r.failed)} txns retried`,
  }
}

/** pgbench's Zipf keys against keyChooser's and the exact distribution: shares of the hottest keys. */
async function checkZipfKeys(cluster: PgCluster, dir: string, theta: number): Promise<string> {
  const path = join(dir, 'zipf-check.sql')
  writeFileSync(path, [...pgbenchKeyLines('a', KEYS, theta), '\\set d debug(:a)', ''].join('\n'))
  const r = await pgbench(cluster, { script: path, clients: 1, threads: 1, transactions: KEY_CHECK_DRAWS, maxTries: 1, env: { ...process.env, PGBENCH_RANDOM_SEED: '1' } })
  const fromPg = new Float64Array(KEYS)
  for (const m of r.stderr.matchAll(/^debug\(script=0,command=\d+\): int (\d+)$/gm)) {
    const k = Number(m[1])
    fromPg[k] = (fromPg[k] ?? 0) + 1
  }
  const fromNode = new Float64Array(KEYS)
  const next = keyChooser(KEYS, theta, mulberry32(1))
  for (let i = 0; i < KEY_CHECK_DRAWS; i++) {
    const k = next()
    fromNode[k] = (fromNode[k] ?? 0) + 1
  }
  const [e, p, n] = [hotShares(zipfProbabilities(KEYS, theta)), hotShares(fromPg), hotShares(fromNode)]
  const drawn = fromPg.reduce((x, y) => x + y, 0)
  if (drawn !== KEY_CHECK_DRAWS) throw new Error(`the Zipf key check read ${drawn} keys from pgbench, not ${KEY_CHECK_DRAWS}`)
  const row = (s: typeof e): string => `${pct(s.top1)} / ${pct(s.top10)} / ${pct(s.top1pct)}`
  return `hottest key / 10 hottest / hottest 1% of keys: exact ${row(e)}; pgbench ${row(p)}; `
    + `Acheron's client (keyChooser) ${row(n)} (${fmt(KEY_CHECK_DRAWS)} draws each)`
}

// ---- The run ----

/** The disk's durable-write speed now: 8 KiB written and fdatasync'ed over and over for a second. */
function fsyncProbe(dir: string): string {
  const path = join(dir, 'fsync-probe')
  const fd = openSync(path, 'w')
  const page = Buffer.alloc(8192, 1)
  const times: number[] = []
  const end = performance.now() + FSYNC_PROBE_MS
  try {
    while (performance.now() < end) {
      const t0 = performance.now()
      writeSync(fd, page, 0, page.length, 0)
      fdatasyncSync(fd)
      times.push(performance.now() - t0)
    }
  } finally {
    closeSync(fd)
    rmSync(path)
  }
  const sorted = Float64Array.from(times).sort()
  return `${fmt(times.length / (FSYNC_PROBE_MS / 1000))}/s, median ${(percentile(sorted, 0.5) * 1000).toFixed(0)} µs, p99 ${(percentile(sorted, 0.99) * 1000).toFixed(0)} µs`
}

function header(pgVersion: string, fsync: string): void {
  const cpu = cpus()
  info('# Acheron over WebSocket and PostgreSQL 15 SERIALIZABLE, same run')
  info('')
  info(`- date: ${new Date().toISOString()}`)
  info(`- machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  info(`- Node ${process.version}; PostgreSQL ${pgVersion}`)
  info(`- disk before the run (8 KiB write + fdatasync in ${tmpdir()}, 1 s): ${fsync}`)
  info(`- ${fmt(KEYS)} accounts; ${SECONDS} s per point after ${WARMUP_SECONDS} s of warm-up; systems alternate point by point`)
  info(`- Acheron: acheron serve --workers ${ACHERON_WORKERS} --sync full (node ${SERVER_NODE_FLAGS.join(' ')}), AssemblyScript bank, 8 partitions`)
  info(`- PostgreSQL: fsync on, synchronous_commit on, PL/pgSQL transfer, pgbench -M prepared -j ${PG_THREADS} --max-tries=${PG_MAX_TRIES}, default_transaction_isolation = serializable`)
}

function row(w: Workload, system: System, clients: number, inFlight: number, r: Result, ratio: string): void {
  const settings = system === 'acheron'
    ? { clients, inFlight, keys: KEYS, seconds: SECONDS, workers: ACHERON_WORKERS, sync: 'full', partitions: 8 }
    : { clients, inFlight, keys: KEYS, seconds: SECONDS, threads: PG_THREADS, isolation: 'serializable', maxTries: PG_MAX_TRIES, queryMode: 'prepared' }
  if (JSON_OUT) {
    const ms = (x: number): number => Math.round(x * 1000) / 1000
    out(JSON.stringify({ workload: w.name, system, settings, txnPerSec: Math.round(r.txnPerSec), p50Ms: ms(r.p50Ms), p99Ms: ms(r.p99Ms), maxMs: ms(r.maxMs), aborts: r.aborts, retries: r.retries }))
    return
  }
  out(`| ${w.name} | ${system === 'acheron' ? 'Acheron' : 'PostgreSQL'} | ${clients} × ${inFlight} | ${fmt(r.txnPerSec)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${fmt(r.aborts)} / ${fmt(r.retries)} | ${ratio} | ${r.serverCores.toFixed(2)} + ${r.clientCores.toFixed(2)} + ${r.otherCores.toFixed(2)} | ${r.notes} |`)
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'acheron-ws-pg-'))
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))
  const pgDir = mkdtempSync(join(tmpdir(), 'acheron-ws-pg-postgres-'))
  cleanups.push(() => rmSync(pgDir, { recursive: true, force: true }))
  const scratch = mkdtempSync(join(tmpdir(), 'acheron-ws-pg-scripts-'))
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }))

  const server = await startAcheron(root)
  const admin = new WsClient(server.url)
  await admin.ready()
  cleanups.push(() => admin.close())
  const cluster = await startPgCluster(pgDir)
  cleanups.push(() => cluster.stop())
  await loadAcheron(admin)
  cluster.psql(PG_SCHEMA)
  cluster.psql('VACUUM ANALYZE account')
  cluster.psql('CHECKPOINT')
  const isolation = cluster.psql('SHOW default_transaction_isolation', pgEnv()).trim()
  if (isolation !== 'serializable') throw new Error(`pgbench's sessions would run at ${isolation}, not serializable`)

  header(cluster.version, fsyncProbe(scratch))
  info(`- Zipf 0.99 keys in pgbench (random_zipfian needs a parameter ≥ 1.001): the script inverts the exact CDF for the 16 hottest ranks and a midpoint-rule CDF beyond (bench/support/pgbench-keys.ts), then scrambles ranks as the Acheron client does; total variation from exact Zipf 0.99: ${zipfTotalVariation(KEYS, 0.99).toExponential(1)}`)
  info(`- ${await checkZipfKeys(cluster, scratch, 0.99)}`)
  info('')
  if (!JSON_OUT) {
    out('| workload | system | clients × in flight | txn/s | p50 ms | p99 ms | max ms | failures / retries | Acheron / PostgreSQL | CPU cores: server + client + others | notes |')
    out('|---|---|---|---|---|---|---|---|---|---|---|')
  }
  let seed = 1
  for (const w of WORKLOADS) {
    const script = writePgScript(scratch, w)
    const nextKey = keyChooser(KEYS, w.theta, mulberry32(1000 + seed))
    const pgTxnPerSec = new Map<number, number>()
    for (const p of PLAN) {
      seed++
      if (p.system === 'postgres') {
        const r = await runPostgres(cluster, scratch, script, p.clients, seed)
        pgTxnPerSec.set(p.clients, r.txnPerSec)
        row(w, p.system, p.clients, 1, r, '–')
      } else {
        const r = await runAcheron(server, admin, p.clients, p.inFlight, nextKey)
        const pg = pgTxnPerSec.get(p.clients)
        const ratio = pg === undefined || pg === 0 ? '–' : `${(r.txnPerSec / pg).toFixed(2)}${p.inFlight > 1 ? ` (vs PostgreSQL ${p.clients})` : ''}`
        row(w, p.system, p.clients, p.inFlight, r, ratio)
      }
    }
  }

  // Transfers move money and never create it: both totals must still be KEYS × BALANCE.
  const expected = `${KEYS}, ${KEYS * BALANCE}`
  const acheronRow = (await admin.must({ op: 'sql', sql: 'SELECT COUNT(*) AS n, SUM(balance) AS total FROM account' })).results?.[0]?.rows[0] ?? []
  const acheronTotal = acheronRow.map(String).join(', ')
  const pgTotal = cluster.psql('SELECT COUNT(*), SUM(balance) FROM account').trim().replace('|', ', ')
  const conserved = acheronTotal === expected && pgTotal === expected
  const warnings = readFileSync(server.logPath, 'utf8').split('\n').filter((l) => /"level":"(warn|error|fatal)"/.test(l))
  info('')
  info('- CPU cores: average cores busy during the measured seconds — the server (acheron serve; postgres and its backends), '
    + 'the client (this process; pgbench), and everything else on the machine (/proc/stat busy time minus both)')
  info(`- after the run: rows, total balance: Acheron ${acheronTotal}; PostgreSQL ${pgTotal}; expected ${expected}: ${conserved ? 'money conserved' : 'MISMATCH'}; `
    + `acheron serve logged ${warnings.length} warnings/errors${warnings.length > 0 ? `, first: ${warnings[0]}` : ''}`)
  if (!conserved) process.exitCode = 1
  info(`- disk after the run: ${fsyncProbe(scratch)}`)
  admin.close()
  await server.stop()
  const exit = server.exited()
  if (exit !== null && !/code 0,/.test(exit)) info(`- ${exit} on SIGTERM`)
}

try {
  await main()
} catch (e) {
  process.stderr.write(`ws-vs-postgres: ${(e as Error).stack ?? String(e)}\n`)
  process.exitCode = 1
} finally {
  cleanup()
}
