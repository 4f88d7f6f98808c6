// What trace bases (copies of the checkpoint kept for EXPLAIN COMMIT, src/inspect/trace-bases.ts) cost:
// 1. one copy (`copyTraceBase`: VACUUM INTO, flush, rename) of a checkpoint of ACCOUNTS rows, in ms and
//    MB/s, on this thread;
// 2. embedded transfers while copies roll as often as the options allow (a copy at every checkpoint,
//    on the copy thread) against none (`traceBasesKept: 0`), alternated, in the same run.
// `npm run bench` runs it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open, type EmbeddedDatabase } from '../src/index.js'
import { copyTraceBase } from '../src/inspect/trace-base-copy.js'
import { TRACE_BASES_DIR } from '../src/inspect/trace-bases.js'
import { DATABASE_FILE } from '../src/storage/sqlite-schema.js'
import { mulberry32 } from './support/rng.js'

const SIZES = (process.env.BENCH_ACCOUNTS ?? '100000,1000000').split(',').map(Number)
const KEYS = 100_000
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const INFLIGHT = 4000
const bank = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))

async function load(db: EmbeddedDatabase, rows: number): Promise<void> {
  await db.createTable({ name: 'account', columns: [{ name: 'id', type: 'INTEGER', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }] })
  for (const f of ['deposit', 'transfer']) await db.createFunction(`account.${f}`, bank)
  for (let i = 0; i < rows; i += 20_000) {
    await db.insert('account', Array.from({ length: Math.min(20_000, rows - i) }, (_, j) => [i + j, 1_000_000_000]))
  }
}

console.log('One copy of the checkpoint (VACUUM INTO a temporary file, flushed, renamed), on this thread:\n')
console.log('| rows in the checkpoint | checkpoint MB | copy ms | MB/s |')
console.log('|---:|---:|---:|---:|')
for (const rows of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-tracebase-'))
  try {
    const db = await open({ dir, traceBasesKept: 0, checkpointIntervalMs: 3_600_000 })
    await load(db, rows)
    await db.checkpoint()
    await db.close()
    const out = mkdtempSync(join(tmpdir(), 'acheron-bench-tracebase-out-'))
    const times: number[] = []
    let bytes = 0
    for (let i = 0; i < 3; i++) {
      const r = copyTraceBase({ checkpointFile: join(dir, DATABASE_FILE), dir: out, bytesMax: Number.MAX_SAFE_INTEGER })
      if (!r.ok) throw new Error(r.message)
      times.push(r.ms)
      bytes = r.bytes
      rmSync(r.file)
    }
    rmSync(out, { recursive: true, force: true })
    const ms = times.sort((a, b) => a - b)[1] as number
    console.log(`| ${rows.toLocaleString('en-US')} | ${(bytes / 2 ** 20).toFixed(1)} | ${ms.toFixed(0)} | ${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} |`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Transfers for SECONDS with INFLIGHT in flight; copies as often as `rolling` allows, or none. */
async function transfers(rolling: boolean): Promise<{ tps: number; copies: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-tracebase-run-'))
  try {
    const db = await open({ dir, ...(rolling ? { traceBaseIntervalMs: 1, traceBaseLogBytes: 1 } : { traceBasesKept: 0 }) })
    await load(db, KEYS)
    const rand = mulberry32(7)
    let done = 0
    let stop = false
    const names = new Set<string>()
    const seen = setInterval(() => { for (const n of readdirSync(join(dir, TRACE_BASES_DIR))) if (n.startsWith('base-')) names.add(n) }, 20)
    const start = performance.now()
    const client = async (): Promise<void> => {
      while (!stop) {
        const a = Math.floor(rand() * KEYS)
        const b = (a + 1 + Math.floor(rand() * (KEYS - 1))) % KEYS
        await db.call('account.transfer', a, b, 1)
        done++
        if (performance.now() - start >= SECONDS * 1000) stop = true
      }
    }
    await Promise.all(Array.from({ length: INFLIGHT }, client))
    const secs = (performance.now() - start) / 1000
    clearInterval(seen)
    await db.close()
    return { tps: done / secs, copies: names.size }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`\nEmbedded transfers (${KEYS.toLocaleString('en-US')} accounts, ${INFLIGHT} in flight, ${SECONDS} s per row, default workers), alternated:\n`)
console.log('| trace bases | txn/s | copies made |')
console.log('|---|---:|---:|')
for (let r = 0; r < ROUNDS; r++) {
  for (const rolling of [false, true]) {
    const { tps, copies } = await transfers(rolling)
    console.log(`| ${rolling ? 'a copy at every checkpoint (interval 1 ms, 1 byte of log)' : 'none (traceBasesKept: 0)'} | ${Math.round(tps).toLocaleString('en-US')} | ${rolling ? copies : '–'} |`)
  }
}
