// The fallback under data-dependent footprints: pointer chasing (each transaction follows pointers that
// earlier transactions of its batch re-point, so re-executions stray outside their conflict components
// and miss locks). Batches of 1,000, 2 workers, each protocol; the time per batch against `serial`'s.
// The bar: no protocol more than 2x slower than serial on any batch, so each batch's time is also
// compared with serial's time on the same batch (every protocol gets the same batches: one seed).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../src/index.js'
import { JS_RUNTIME } from '../test/support/js-runtime.js'
import { mulberry32 } from './support/rng.js'

const { values: args } = parseArgs({ options: {
  nodes: { type: 'string', default: '5000' }, hops: { type: 'string', default: '4' }, batches: { type: 'string', default: '10' },
  txns: { type: 'string', default: '1000' }, workers: { type: 'string', default: '2' },
} })
const NODES = Number(args.nodes)
const HOPS = Number(args.hops)
const BATCHES = Number(args.batches)
const TXNS = Number(args.txns)

interface Result { msPerBatch: number; maxMs: number; perBatchMs: number[]; misses: number; rounds: number; reexecuted: number; contended: number; digest: string }

async function run(protocol: string, batches = BATCHES): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-fallback-'))
  const db = await open({ dir, workers: Number(args.workers), protocol, sync: 'off', runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity, batchTxnsMax: TXNS })
  try {
    await db.createTable({ name: 'node', partitions: 8, columns: [
      { name: 'k', type: 'INTEGER', primaryKey: true }, { name: 'next', type: 'INTEGER', notNull: true, default: 0 }, { name: 'hits', type: 'INTEGER', notNull: true, default: 0 },
    ] })
    await db.createFunction('node.chase', new Uint8Array(0), { runtime: 'js' })
    const rnd = mulberry32(3)
    const load = db.insert('node', Array.from({ length: NODES }, (_, k) => [k, Math.floor(rnd() * NODES), 0]))
    db.flush()
    await load
    const before = { ...db.stats }
    let total = 0
    let maxMs = 0
    const perBatchMs: number[] = []
    for (let b = 0; b < batches; b++) {
      const t0 = performance.now()
      const calls = Array.from({ length: TXNS }, () => db.call('node.chase', Math.floor(rnd() * NODES), HOPS, NODES))
      db.flush()
      await Promise.all(calls)
      const ms = performance.now() - t0
      total += ms
      perBatchMs.push(ms)
      maxMs = Math.max(maxMs, ms)
    }
    const s = db.stats
    return {
      msPerBatch: total / batches, maxMs, perBatchMs, misses: s.lockMisses - before.lockMisses, rounds: s.walkRounds - before.walkRounds,
      reexecuted: s.fallbackTxns - before.fallbackTxns, contended: s.contendedBatches - before.contendedBatches, digest: await db.digest(),
    }
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`pointer chasing: ${NODES} nodes, ${HOPS} hops, ${BATCHES} batches of ${TXNS}, ${args.workers} workers`)
console.log('| protocol | ms per batch | slowest batch ms | vs serial | worst batch vs serial\'s same batch | lock misses | walk rounds | re-executions | batches walked serially (contended) |')
console.log('|---|---|---|---|---|---|---|---|---|')
const PROTOCOL_NAMES = ['serial', 'aria', 'calvin']
// A short unmeasured run of each first, so that no protocol's first batches pay for the others' JIT warm-up.
for (const p of PROTOCOL_NAMES) await run(p, 2)
const results = new Map<string, Result>()
for (const p of PROTOCOL_NAMES) results.set(p, await run(p))
const serialRun = results.get('serial') as Result
const base = serialRun.msPerBatch
for (const [p, r] of results) {
  const worst = Math.max(...r.perBatchMs.map((ms, b) => ms / (serialRun.perBatchMs[b] as number)))
  console.log(`| ${p} | ${r.msPerBatch.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${(r.msPerBatch / base).toFixed(2)}x | ${worst.toFixed(2)}x | ${r.misses} | ${r.rounds} | ${r.reexecuted} | ${r.contended} |`)
  if (r.digest !== results.get('serial')?.digest) console.log(`  !! ${p} ended in another state than serial`)
}
