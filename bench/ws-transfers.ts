// Transfers over the WebSocket protocol: `acheron serve` in its own process (sync full, default workers), C
// clients in this one (1, 16, 64), each a connection keeping D calls in flight (closed loop: 1, then 4
// pipelined). Latency is the client's, send to reply. Batch size and fallback share come from the
// server's own counters (SHOW STATS totals before and after each row).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { threadSeconds, threadTicks } from './support/thread-cpu.js'
import { percentile, unitRandomKeys } from './support/ws-support.js'
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js'

const KEYS = 10_000
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 6) * 1000
/** BENCH_WORKERS (default: the server's own default) and BENCH_SYNC (default full). */
const SERVER_ARGS = [
  ...(process.env.BENCH_WORKERS === undefined ? [] : ['--workers', process.env.BENCH_WORKERS]), '--sync', process.env.BENCH_SYNC ?? 'full',
  // BENCH_SERVE_ARGS: more `acheron serve` options, e.g. "--log-nats nats://127.0.0.1:4222 --log-replicas 3".
  ...(process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter((a) => a !== ''),
]
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const wasm = readFileSync(new URL('../guest/bank.wasm', import.meta.url))

async function startServer(dir: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  // The flags `acheron serve` runs with from its bin.
  // BENCH_SERVER_FLAGS adds node flags to the server (e.g. --cpu-prof --cpu-prof-dir=DIR for a profile per thread).
  const extra = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== '')
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...extra, cli, 'serve', '--data', dir, '--port', '0', ...SERVER_ARGS], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim().replace('acheron listening on ', '')))
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)))
  })
  return { url, pid: child.pid ?? 0, stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM') }) }
}

class Client {
  private readonly ws: WebSocket
  private id = 0
  private readonly pending = new Map<number, (m: { ok: boolean }) => void>()
  constructor(url: string) {
    this.ws = new WebSocket(url)
    this.ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id: number; ok: boolean }
      this.pending.get(m.id)?.(m)
      this.pending.delete(m.id)
    })
  }
  ready(): Promise<void> {
    return new Promise((resolve) => this.ws.once('open', () => resolve()))
  }
  request(body: object): Promise<{ ok: boolean; results?: { rows: [string, number][] }[] }> {
    const id = ++this.id
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (m: { ok: boolean }) => void)
      this.ws.send(JSON.stringify({ id, ...body }))
    })
  }
  close(): void {
    this.ws.close()
  }
}

/** A closed loop of transfers on one connection until the row's time is up; latencies are the client's. */
async function transfersUntilDone(c: Client, next: () => number, latencies: number[], started: number, sentAt?: number[]): Promise<void> {
  while (performance.now() - started < DURATION_MS) {
    const a = next()
    let b = next()
    if (b === a) b = (a + 1) % KEYS
    const t0 = performance.now()
    await c.request({ op: 'call', fn: 'account.transfer', key: a, args: [b, 1] })
    latencies.push(performance.now() - t0)
    sentAt?.push(t0 - started)
  }
}

/**
 * BENCH_TAIL=1: where a row's slow requests come from, on stderr: how many took over 1, 2 and 5 ms, and
 * how they spread over the run (slow requests per 100 ms slice: evenly spread, or in bursts).
 */
function tailReport(label: string, latencies: readonly number[], sentAt: readonly number[]): void {
  const over = (ms: number): number => latencies.filter((l) => l > ms).length
  const slices = new Map<number, number>()
  latencies.forEach((l, i) => { if (l > 1) { const s = Math.floor((sentAt[i] ?? 0) / 100); slices.set(s, (slices.get(s) ?? 0) + 1) } })
  const counts = [...slices.values()].sort((a, b) => b - a)
  console.error(`${label}: ${latencies.length} requests; over 1 ms ${over(1)}, over 2 ms ${over(2)}, over 5 ms ${over(5)}; ` +
    `slow ones in ${slices.size} of ${Math.ceil(DURATION_MS / 100)} slices of 100 ms (most in one slice: ${counts.slice(0, 5).join(', ')})`)
}

const dir = mkdtempSync(join(tmpdir(), 'acheron-ws-bench-'))
const server = await startServer(dir)
const admin = new Client(server.url)
await admin.ready()
const hex = wasm.toString('hex')
await admin.request({ op: 'sql', sql: `CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;
  CREATE FUNCTION account.transfer FROM WASM X'${hex}'; CREATE FUNCTION account.deposit FROM WASM X'${hex}';` })
for (let i = 0; i < KEYS; i += 5000) {
  await admin.request({ op: 'sql', sql: `INSERT INTO account VALUES ${Array.from({ length: 5000 }, (_, j) => `(${i + j}, 1000000000)`).join(', ')}` })
}
console.log(`WebSocket transfers (wasm bank, ${KEYS} keys, uniform), server: acheron serve ${SERVER_ARGS.join(' ')}, ${DURATION_MS / 1000}s per row`)
async function totals(): Promise<Record<string, number>> {
  const r = await admin.request({ op: 'sql', sql: 'SHOW STATS' })
  return Object.fromEntries(r.results?.[0]?.rows ?? [])
}

console.log('| clients × in flight each | txn/s | p50 ms | p99 ms | batch size | fallback share |')
console.log('|---|---|---|---|---|---|')
// BENCH_ROWS picks rows, e.g. "32x1,64x4"; BENCH_READERS=0 skips the readers' table.
const rows = process.env.BENCH_ROWS === undefined
  ? [[1, 1], [16, 1], [64, 1], [1, 4], [16, 4], [64, 4]] as const
  : process.env.BENCH_ROWS.split(',').map((r) => r.split('x').map(Number) as [number, number])
for (const [clients, depth] of rows) {
  const before = await totals()
  const ticks = threadTicks(server.pid)
  const conns = Array.from({ length: clients }, () => new Client(server.url))
  await Promise.all(conns.map((c) => c.ready()))
  const latencies: number[] = []
  const sentAt: number[] = []
  const next = unitRandomKeys(KEYS, clients * 7919 + depth)
  const started = performance.now()
  const clientCpu0 = process.cpuUsage()
  await Promise.all(conns.flatMap((c) => Array.from({ length: depth }, () => transfersUntilDone(c, next, latencies, started, sentAt))))
  const secs = (performance.now() - started) / 1000
  if (process.env.BENCH_TAIL) tailReport(`${clients} × ${depth}`, latencies, sentAt)
  const sorted = Float64Array.from(latencies).sort()
  const after = await totals()
  const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0)
  // SHOW STATS is not a transaction: the deltas are exactly this row's transfers (and their batches).
  if (process.env.BENCH_THREADS) {
    // Server threads by creation order: main, V8's platform threads (GC, compilation), then the state
    // thread and the execution workers (the busiest); libuv's pool does the log's fdatasync.
    const rows = threadSeconds(ticks, threadTicks(server.pid), 0.05, server.pid)
    const clientCpu = process.cpuUsage(clientCpu0)
    console.error(`server threads, CPU µs per txn (${latencies.length} txns): ${rows.map((r) => `${r.comm}#${r.tid} ${Math.round((r.seconds * 1e6) / latencies.length)}`).join(', ')}; the clients' process ${Math.round((clientCpu.user + clientCpu.system) / latencies.length)}`)
  }
  const batchSize = delta('batches_total') > 0 ? delta('txns_total') / delta('batches_total') : 0
  const fallback = delta('txns_total') > 0 ? delta('fallback_txns_total') / delta('txns_total') : 0
  console.log(`| ${clients} × ${depth} | ${Math.round(latencies.length / secs).toLocaleString('en-US')} | ${percentile(sorted, 0.5).toFixed(2)} | ${percentile(sorted, 0.99).toFixed(2)} | ${batchSize.toFixed(1)} | ${(fallback * 100).toFixed(1)}% |`)
  for (const c of conns) c.close()
}

// Queries take no batch: clients looping `SELECT COUNT(*)` over the whole table cost their own
// execution on the state thread, and nothing of the callers' batches (before the batch log, each such
// query was a batch of its own with an fsync that drained the pipeline).
console.log('')
console.log(`64 callers × 1 in flight, with readers looping SELECT COUNT(*) FROM account (${KEYS} rows)`)
console.log('| readers | calls/s | call p99 ms | queries/s |')
console.log('|---|---|---|---|')
for (const readers of process.env.BENCH_READERS === '0' ? [] : [0, 1, 4]) {
  const conns = Array.from({ length: 64 }, () => new Client(server.url))
  const readerConns = Array.from({ length: readers }, () => new Client(server.url))
  await Promise.all([...conns, ...readerConns].map((c) => c.ready()))
  const latencies: number[] = []
  let queries = 0
  const next = unitRandomKeys(KEYS, readers * 104729 + 1)
  const started = performance.now()
  const callers = conns.map((c) => transfersUntilDone(c, next, latencies, started))
  const loops = readerConns.map(async (c) => {
    while (performance.now() - started < DURATION_MS) {
      const r = await c.request({ op: 'sql', sql: 'SELECT COUNT(*) FROM account' })
      if (r.ok) queries++
    }
  })
  await Promise.all([...callers, ...loops])
  const secs = (performance.now() - started) / 1000
  const sorted = Float64Array.from(latencies).sort()
  console.log(`| ${readers} | ${Math.round(latencies.length / secs).toLocaleString('en-US')} | ${percentile(sorted, 0.99).toFixed(2)} | ${Math.round(queries / secs).toLocaleString('en-US')} |`)
  for (const c of [...conns, ...readerConns]) c.close()
}
admin.close()
await server.stop()
rmSync(dir, { recursive: true, force: true })
