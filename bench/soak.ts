// Memory and disk stay bounded at full speed: WebAssembly bank transfers for a while (closed loop, 4,000
// in flight), sampling every second the process RSS, the batch log's bytes on disk, the row writes no
// durable checkpoint holds yet (what the executors keep in memory beside the checkpoint) and how far
// the checkpoint lags. Growth would show as a rising column; backpressure keeps them flat.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../src/index.js'
import { keyChooser, mulberry32 } from './support/rng.js'

const { values: args } = parseArgs({ options: {
  seconds: { type: 'string', default: '30' }, keys: { type: 'string', default: '100000' }, theta: { type: 'string', default: '0' },
  'checkpoint-writes-max': { type: 'string', default: '500000' },
} })
const SECONDS = Number(args.seconds)
const KEYS = Number(args.keys)
const wasm = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))

function logBytes(dir: string): number {
  try {
    return readdirSync(join(dir, 'log')).reduce((n, f) => n + statSync(join(dir, 'log', f)).size, 0)
  } catch {
    return 0
  }
}

const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-soak-'))
const db = await open({ dir, workers: 2, sync: 'full', checkpointWritesMax: Number(args['checkpoint-writes-max']) })
try {
  await db.sql('CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;')
  for (const f of ['deposit', 'transfer']) await db.createFunction(`account.${f}`, wasm, { export: f })
  for (let i = 0; i < KEYS; i += 20_000) await db.insert('account', Array.from({ length: Math.min(20_000, KEYS - i) }, (_, j) => [i + j, 1_000_000_000]))
  const choose = keyChooser(KEYS, Number(args.theta), mulberry32(9))
  let stop = false
  const client = async (): Promise<void> => {
    while (!stop) {
      const a = choose()
      let b = choose()
      if (b === a) b = (a + 1) % KEYS
      await db.call('account.transfer', a, b, 1)
    }
  }
  const clients = Array.from({ length: 4000 }, client)
  console.log(`soak: ${SECONDS} s of transfers, ${KEYS.toLocaleString('en-US')} keys, theta ${args.theta}, 2 workers, sync full, checkpointWritesMax ${args['checkpoint-writes-max']}`)
  console.log('| s | txn/s | RSS MiB | heap MiB | log MiB on disk | dirty writes | checkpoint lag (batches) |')
  console.log('|---|---|---|---|---|---|---|')
  let last = db.stats.txns
  const max = { rss: 0, log: 0, dirty: 0 }
  for (let t = 1; t <= SECONDS; t++) {
    await new Promise((r) => setTimeout(r, 1000))
    const s = db.stats
    const rss = process.memoryUsage().rss / 2 ** 20
    const log = logBytes(dir) / 2 ** 20
    max.rss = Math.max(max.rss, rss)
    max.log = Math.max(max.log, log)
    max.dirty = Math.max(max.dirty, s.dirtyWrites)
    if (t % 5 === 0 || t === 1) {
      console.log(`| ${t} | ${(s.txns - last).toLocaleString('en-US')} | ${rss.toFixed(0)} | ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} | ${log.toFixed(1)} | ${s.dirtyWrites.toLocaleString('en-US')} | ${db.engine.lastCommittedBatch - s.checkpointBatch} |`)
    }
    last = s.txns
  }
  stop = true
  await Promise.all(clients)
  console.log(`max: RSS ${max.rss.toFixed(0)} MiB (main thread and workers), log ${max.log.toFixed(1)} MiB, dirty writes ${max.dirty.toLocaleString('en-US')}; ${db.stats.checkpoints} checkpoints, ${db.stats.backpressureWaits} waits for one`)
} finally {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
}
