// Recovery speed: a run of WebAssembly bank transfers leaves its batch log; its checkpoint file is then
// deleted, so the next open replays the whole log through the engine (the worst case: the checkpoint is
// empty). Prints batches/s and transactions/s of the replay, and checks the state came back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../src/index.js'
import { keyChooser, mulberry32 } from './support/rng.js'

const { values: args } = parseArgs({ options: {
  txns: { type: 'string', default: '200000' }, keys: { type: 'string', default: '100000' }, workers: { type: 'string', default: '2' },
  theta: { type: 'string', default: '0' },
} })
const TXNS = Number(args.txns)
const KEYS = Number(args.keys)
const wasm = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))

const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-recovery-'))
try {
  const options = { dir, workers: Number(args.workers), sync: 'full' as const, logSegmentsKept: Number.MAX_SAFE_INTEGER }
  const db = await open(options)
  await db.sql('CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;')
  for (const f of ['deposit', 'transfer']) await db.createFunction(`account.${f}`, wasm, { export: f })
  for (let i = 0; i < KEYS; i += 20_000) await db.insert('account', Array.from({ length: Math.min(20_000, KEYS - i) }, (_, j) => [i + j, 1_000_000_000]))
  const choose = keyChooser(KEYS, Number(args.theta), mulberry32(5))
  const t0 = performance.now()
  for (let done = 0; done < TXNS; done += 4000) {
    await Promise.all(Array.from({ length: Math.min(4000, TXNS - done) }, () => {
      const a = choose()
      let b = choose()
      if (b === a) b = (a + 1) % KEYS
      return db.call('account.transfer', a, b, 1)
    }))
  }
  const runSecs = (performance.now() - t0) / 1000
  const digest = await db.digest()
  const batches = db.stats.batches
  await db.close()
  for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm']) rmSync(join(dir, f), { force: true })
  const t1 = performance.now()
  const again = await open(options)
  const openSecs = (performance.now() - t1) / 1000
  const s = again.stats
  const ok = (await again.digest()) === digest
  await again.close()
  console.log(`recovery from an empty checkpoint: ${TXNS.toLocaleString('en-US')} transfers (${batches} batches, run in ${runSecs.toFixed(1)} s), ${KEYS.toLocaleString('en-US')} keys, theta ${args.theta}, ${args.workers} workers`)
  console.log('| replayed batches | replayed txns | replay s | batches/s | txns/s | open (incl. replay) s | state equal |')
  console.log('|---|---|---|---|---|---|---|')
  console.log(`| ${s.replayedBatches} | ${s.replayedTxns.toLocaleString('en-US')} | ${(s.replayMs / 1000).toFixed(2)} | ${Math.round(s.replayedBatches / (s.replayMs / 1000)).toLocaleString('en-US')} | ${Math.round(s.replayedTxns / (s.replayMs / 1000)).toLocaleString('en-US')} | ${openSecs.toFixed(2)} | ${ok ? 'yes' : 'NO'} |`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
