// A follower that joins a purged stream from the writer's snapshot (src/log/snapshots.ts): a writer on a
// one-server NATS stream with --keys accounts and some transfers, its stream purged behind a checkpoint;
// then a follower on a new directory is opened and timed until it holds the writer's digest. Prints the
// snapshot's size, the open (request, copy, upload, download) and the catch-up.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../src/index.js'
import { natsServerMissing, startLocalNats } from '../src/cluster/local-nats.js'
import { DATABASE_FILE } from '../src/storage/state-file.js'

const { values: args } = parseArgs({ options: { keys: { type: 'string', default: '100000' }, txns: { type: 'string', default: '20000' } } })
const KEYS = Number(args.keys)
const TXNS = Number(args.txns)
const missing = natsServerMissing()
if (missing !== null) {
  console.log(`NOT RUN: ${missing}`)
  process.exit(0)
}
const wasm = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))
const root = mkdtempSync(join(tmpdir(), 'acheron-bench-snapshot-'))
const nats = await startLocalNats(join(root, 'nats'), 1)
try {
  const natsLog = { servers: nats.urls, stream: 'JOIN', batchesKept: 10 }
  const writer = await open({ dir: join(root, 'writer'), workers: 0, natsLog })
  await writer.sql('CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;')
  for (const f of ['deposit', 'transfer']) await writer.createFunction(`account.${f}`, wasm, { export: f })
  for (let i = 0; i < KEYS; i += 20_000) await writer.insert('account', Array.from({ length: Math.min(20_000, KEYS - i) }, (_, j) => [i + j, 1_000_000]))
  for (let done = 0; done < TXNS; done += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => writer.call('account.transfer', (done + i) % KEYS, (done * 7 + i * 13 + 1) % KEYS, 1)))
  }
  await writer.checkpoint()
  const t0 = performance.now()
  const follower = await open({ dir: join(root, 'follower'), workers: 0, natsLog: { ...natsLog, follow: true } })
  const opened = performance.now() - t0
  const bytes = statSync(join(root, 'follower', DATABASE_FILE)).size
  while (follower.lastCommittedBatch < writer.lastCommittedBatch) await new Promise((r) => setTimeout(r, 5))
  const caughtUp = performance.now() - t0
  const same = (await follower.digest()) === (await writer.digest())
  console.log(`snapshot join: ${KEYS} rows, ${(bytes / 1e6).toFixed(1)} MB checkpoint; open (ask, copy, upload, download) ${opened.toFixed(0)} ms; at the writer's batch ${writer.lastCommittedBatch} after ${caughtUp.toFixed(0)} ms; same digest: ${same}`)
  await follower.close()
  await writer.close()
  if (!same) process.exitCode = 1
} finally {
  await nats.stop()
  rmSync(root, { recursive: true, force: true })
}
