// EXPLAIN COMMIT's cost (docs/sql.md): the bank over ACCOUNTS accounts, checkpointed, then TXNS
// transfers with no checkpoint after them (the log holds them all), then the last position re-run three
// times: the first starts the trace thread (binaryen loads), the others find it warm. Each answer's
// `rebuilt` row counts the transactions replayed. `npm run bench` runs it.
import { readFileSync, rmSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../src/index.js'

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000)
const TXNS = Number(process.env.BENCH_TXNS ?? 20_000)
const ROUND = 1000

const bank = readFileSync(new URL('../guest/bank.wasm', import.meta.url)).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-explain-'))
try {
  const db = await open({ dir, checkpointIntervalMs: 3_600_000, checkpointWritesMax: 1e9, dirtyWritesMax: 1e9 })
  try {
    await db.sql(`CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0); CREATE FUNCTIONS account.* FROM WASM X'${bank}'`)
    for (let i = 0; i < ACCOUNTS; i += 10_000) {
      await db.sql(`INSERT INTO account VALUES ${Array.from({ length: Math.min(10_000, ACCOUNTS - i) }, (_, j) => `('a${i + j}', 1000)`).join(',')}`)
    }
    await db.checkpoint()
    let last = { batch: 0, seq: 0 }
    for (let r = 0; r < TXNS / ROUND; r++) {
      const replies = await Promise.all(Array.from({ length: ROUND }, (_, j) => db.call('account.transfer', `a${(r * 7919 + j * 31) % ACCOUNTS}`, `a${(r * 104729 + j * 17) % ACCOUNTS}`, 1)))
      last = (replies[replies.length - 1] as { commit: typeof last }).commit
    }
    console.log(`EXPLAIN COMMIT (${last.batch}, ${last.seq}): ${ACCOUNTS} accounts in the checkpoint, ${TXNS} transfers after it\n`)
    console.log('| trace | ms | replayed | txns/s replayed |')
    console.log('|---|---:|---:|---:|')
    for (const label of ['cold thread', 'warm thread', 'warm thread']) {
      const started = performance.now()
      const [trace] = await db.sql(`EXPLAIN COMMIT (${last.batch}, ${last.seq})`)
      const ms = performance.now() - started
      const replayed = Number(/(\d+) transactions? replayed/.exec(String(trace?.rows[0]?.[6]))?.[1] ?? 0)
      console.log(`| ${label} | ${ms.toFixed(0)} | ${replayed} | ${(replayed / (ms / 1000)).toFixed(0)} |`)
    }
  } finally {
    await db.close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
