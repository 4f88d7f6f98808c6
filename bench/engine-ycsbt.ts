// Embedded YCSB-T-style transfers through the whole engine (sequencer, Aria batches, workers, SQLite
// with sync full), and — in the same run — the same reads and writes done directly with better-sqlite3
// in one thread: the physical limit of this storage. `npm run bench` runs it with the
// server's Node flags (SERVER_NODE_FLAGS, src/cli/node-flags.ts): an application embedding the engine picks its own.
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultProtocol } from '../src/embedded.js'
import { open } from '../src/index.js'
import { JS_RUNTIME } from '../test/support/js-runtime.js'
import { keyChooser, mulberry32, percentile } from './support/rng.js'
import { threadSeconds, threadTicks } from './support/thread-cpu.js'

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '6' },
    inflight: { type: 'string', default: '4000' },
    workers: { type: 'string', default: '1,2' },
    theta: { type: 'string', default: '0,0.99' },
    partitions: { type: 'string', default: '8' },
    sync: { type: 'string', default: 'full' },
    direct: { type: 'boolean', default: true },
    runtime: { type: 'string', default: 'js' },
    // Absent: the engine's default for the worker count (serial with 0 workers, aria with more).
    protocol: { type: 'string' },
    'no-direct': { type: 'boolean', default: false },
  },
})
if (args['no-direct']) args.direct = false
const KEYS = Number(args.keys)
const DURATION_MS = Number(args.duration) * 1000
const INFLIGHT = Number(args.inflight)
const BALANCE = 1_000_000_000

interface Result { label: string; tps: number; p50: number; p99: number; fallback: number; stale: number; batch: number; cpuUsPerTxn: number }

/** One thread, better-sqlite3 directly: per transfer 2 point reads + 2 writes, 1,000 per fsynced commit. */
function directSqlite(theta: number): Result {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-direct-'))
  const db = new Database(join(dir, 'direct.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)')
  const ins = db.prepare('INSERT INTO account VALUES (?, ?)')
  db.transaction(() => { for (let i = 0; i < KEYS; i++) ins.run(i, BALANCE) })()
  const get = db.prepare('SELECT balance FROM account WHERE id = ?').pluck()
  const put = db.prepare('UPDATE account SET balance = ? WHERE id = ?')
  const rand = mulberry32(7)
  const choose = keyChooser(KEYS, theta, rand)
  const batch = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      const a = choose()
      let b = choose()
      if (b === a) b = (a + 1) % KEYS
      const ba = get.get(a) as number
      const bb = get.get(b) as number
      put.run(ba - 1, a)
      put.run(bb + 1, b)
    }
  })
  let txns = 0
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  while (performance.now() - start < DURATION_MS) {
    batch(1000)
    txns += 1000
  }
  const secs = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  db.close()
  rmSync(dir, { recursive: true, force: true })
  return { label: `direct better-sqlite3, 1 thread, theta ${theta}`, tps: txns / secs, p50: NaN, p99: NaN, fallback: 0, stale: 0, batch: 1000, cpuUsPerTxn: (cpu.user + cpu.system) / txns }
}

async function engine(workers: number, theta: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-engine-'))
  const db = await open({ dir, workers, sync: args.sync as 'full', runtimes: { js: JS_RUNTIME }, partitions: Number(args.partitions), ...(args.protocol !== undefined ? { protocol: args.protocol } : {}), ...(process.env.CKPT_MS ? { checkpointIntervalMs: Number(process.env.CKPT_MS) } : {}) })
  await db.createTable({ name: 'account', columns: [{ name: 'id', type: 'INTEGER', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }] })
  // 'js': the engine's test runtime (engine cost alone); 'wasm': the AssemblyScript bank example.
  const wasm = args.runtime === 'wasm' ? new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url))) : null
  for (const f of ['deposit', 'transfer']) {
    await db.createFunction(`account.${f}`, wasm ?? new Uint8Array(0), { runtime: wasm === null ? 'js' : 'wasm' })
  }
  for (let i = 0; i < KEYS; i += 20_000) {
    await db.insert('account', Array.from({ length: Math.min(20_000, KEYS - i) }, (_, j) => [i + j, BALANCE]))
  }
  const rand = mulberry32(7)
  const choose = keyChooser(KEYS, theta, rand)
  const latencies: number[] = []
  const before = { ...db.stats }
  let done = 0
  let stop = false
  const start = performance.now()
  // CPU of every thread of this process (coordinator, workers, state thread, the client loop).
  const cpu0 = process.cpuUsage()
  const ticks0 = threadTicks()
  const client = async (): Promise<void> => {
    while (!stop) {
      const a = choose()
      let b = choose()
      if (b === a) b = (a + 1) % KEYS
      const t0 = performance.now()
      await db.call('account.transfer', a, b, 1)
      latencies.push(performance.now() - t0)
      done++
      if (performance.now() - start >= DURATION_MS) stop = true
    }
  }
  await Promise.all(Array.from({ length: INFLIGHT }, client))
  const secs = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  if (process.env.BENCH_THREADS) {
    const rows = threadSeconds(ticks0, threadTicks())
    console.error(`threads (CPU s over ${secs.toFixed(1)} s): ${rows.map((r) => `${r.comm}#${r.tid} ${r.seconds.toFixed(2)}`).join(', ')}`)
  }
  const s = db.stats
  const txns = s.txns - before.txns
  if (process.env.BENCH_PHASES) console.error(`phases: execute ${(s.executeMs - before.executeMs).toFixed(0)} ms, commit ${(s.commitMs - before.commitMs).toFixed(0)} ms of ${(secs * 1000).toFixed(0)} ms; ${s.batches - before.batches} batches`)
  const sorted = Float64Array.from(latencies).sort()
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  return {
    label: `acheron embedded (${args.runtime}, ${args.protocol ?? defaultProtocol(workers)}), ${workers} worker${workers > 1 ? 's' : ''}, theta ${theta}`,
    tps: done / secs, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99),
    fallback: (s.fallbackTxns - before.fallbackTxns) / Math.max(1, txns),
    stale: (s.staleExecutions - before.staleExecutions) / Math.max(1, txns), batch: txns / Math.max(1, s.batches - before.batches),
    cpuUsPerTxn: (cpu.user + cpu.system) / Math.max(1, done),
  }
}

const rows: Result[] = []
const fmt = (r: Result, limit: number) =>
  `| ${r.label} | ${Math.round(r.tps).toLocaleString('en-US')} | ${Number.isNaN(r.p50) ? '–' : r.p50.toFixed(1)} | ${Number.isNaN(r.p99) ? '–' : r.p99.toFixed(1)} | ${(r.fallback * 100).toFixed(1)}% | ${(r.stale * 100).toFixed(1)}% | ${Math.round(r.batch)} | ${r.cpuUsPerTxn.toFixed(1)} | ${Number.isNaN(limit) ? '–' : `${((r.tps / limit) * 100).toFixed(0)}%`} |`
console.log(`YCSB-T transfers: ${KEYS.toLocaleString('en-US')} keys, 2 reads + 2 writes each, sync ${args.sync}, ${args.duration}s per row, ${INFLIGHT} transactions in flight, ${args.runtime} functions`)
console.log('| configuration | txn/s | p50 ms | p99 ms | fallback share | stale phase 1 | txns/batch | CPU µs/txn (all threads) | of direct limit |')
console.log('|---|---|---|---|---|---|---|---|---|')
for (const theta of String(args.theta).split(',').map(Number)) {
  const limit = args.direct ? directSqlite(theta) : { label: 'direct (skipped)', tps: NaN, p50: NaN, p99: NaN, fallback: 0, stale: 0, batch: 0, cpuUsPerTxn: NaN }
  if (args.direct) console.log(fmt(limit, limit.tps))
  for (const w of String(args.workers).split(',').map(Number)) {
    const r = await engine(w, theta)
    rows.push(r)
    console.log(fmt(r, limit.tps))
  }
}
