// ALTER TABLE account PARTITIONS while transfers run: what it costs. Closed-loop callers keep transfers
// going over a table of `--keys` accounts; after a steady window the table moves from `--from` to
// `--to` partitions. Prints the ALTER's own latency (a DDL batch: nothing moves then), how long the
// checkpoint that moves every row took (on the state thread, timed by the engine's checkpoint stats),
// and transfers/s in the windows before, while the checkpoint holding the ALTER is pending, and after.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../src/index.js'
import { keyChooser, mulberry32 } from './support/rng.js'

const { values: args } = parseArgs({ options: {
  keys: { type: 'string', default: '100000' }, from: { type: 'string', default: '4' }, to: { type: 'string', default: '16' },
  callers: { type: 'string', default: '256' }, workers: { type: 'string', default: '2' }, seconds: { type: 'string', default: '3' },
} })
const KEYS = Number(args.keys)
const WINDOW_MS = Number(args.seconds) * 1000
const wasm = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))

const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-repartition-'))
try {
  const db = await open({ dir, workers: Number(args.workers), sync: 'full' })
  await db.sql(`CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS ${args.from};`)
  for (const f of ['deposit', 'transfer']) await db.createFunction(`account.${f}`, wasm, { export: f })
  for (let i = 0; i < KEYS; i += 20_000) await db.insert('account', Array.from({ length: Math.min(20_000, KEYS - i) }, (_, j) => [i + j, 1_000_000]))
  await db.checkpoint()
  const choose = keyChooser(KEYS, 0, mulberry32(11))
  let done = 0
  let stop = false
  const callers = Array.from({ length: Number(args.callers) }, async () => {
    while (!stop) {
      const a = choose()
      let b = choose()
      if (b === a) b = (a + 1) % KEYS
      await db.call('account.transfer', a, b, 1)
      done++
    }
  })
  const rate = async (ms: number): Promise<number> => {
    const [d0, t0] = [done, performance.now()]
    await new Promise((r) => setTimeout(r, ms))
    return (done - d0) / ((performance.now() - t0) / 1000)
  }
  await rate(WINDOW_MS) // warm-up: JIT, and every thread's rows read once from the checkpoint
  const [cps0, cpMs0] = [db.stats.checkpoints, db.stats.checkpointMs]
  const before = await rate(WINDOW_MS)
  const usualCheckpointMs = (db.stats.checkpointMs - cpMs0) / Math.max(1, db.stats.checkpoints - cps0)
  const [checkpointsBefore, checkpointMsBefore] = [db.stats.checkpoints, db.stats.checkpointMs]
  const t0 = performance.now()
  const { commit } = (await db.sql(`ALTER TABLE account PARTITIONS ${args.to}`))[0] as { commit: { batch: number } }
  const alterMs = performance.now() - t0
  // Until a checkpoint holds the ALTER's batch: that checkpoint moved the rows.
  const [d0, p0] = [done, performance.now()]
  while (db.stats.checkpointBatch < commit.batch) await new Promise((r) => setTimeout(r, 5))
  const pendingMs = performance.now() - p0
  const during = (done - d0) / (pendingMs / 1000)
  const moveCheckpoints = db.stats.checkpoints - checkpointsBefore
  const moveCheckpointMs = db.stats.checkpointMs - checkpointMsBefore
  const after = await rate(WINDOW_MS)
  stop = true
  await Promise.all(callers)
  const [sum] = await db.sql('SELECT SUM(balance), COUNT(*) FROM account')
  const [total, count] = (sum?.rows[0] ?? []) as [number, number]
  if (Number(count) !== KEYS || Number(total) !== KEYS * 1_000_000) throw new Error(`state changed: ${count} rows, total ${total}`)
  await db.close()
  process.stdout.write(`repartition ${KEYS} rows ${args.from} -> ${args.to} partitions, ${args.callers} callers, ${args.workers} workers:\n` +
    `  ALTER replied in ${alterMs.toFixed(1)} ms; the checkpoint holding it came ${pendingMs.toFixed(0)} ms later and took ${moveCheckpointMs.toFixed(0)} ms ` +
    `(${moveCheckpoints} checkpoint(s); ${usualCheckpointMs.toFixed(0)} ms each before)\n` +
    `  transfers/s: ${before.toFixed(0)} before, ${during.toFixed(0)} until that checkpoint, ${after.toFixed(0)} after\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
