// The benchmark's workloads are the same on every system: a seed replays the same transactions, the mix
// is SmallBank's, and the SQLite peer's TypeScript logic reaches the same outcomes and the same rows as
// the guest functions on Acheron for the same stream (YCSB-T, SmallBank, TPC-C).
import Database from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LatencyHistogram } from '../../src/bench/latency.js'
import { invariantBroken, laneStreams, scale, type BenchSettings } from '../../src/bench/settings.js'
import { TPCC } from '../../src/bench/tpcc.js'
import { SMALLBANK, SMALLBANK_MIX, YCSBT, type Workload } from '../../src/bench/workloads.js'
import { AcheronError, open } from '../../src/index.js'

function settings(workload: Workload, over: Partial<BenchSettings> = {}): BenchSettings {
  return { workload, keys: 50, warehouses: 2, items: 50, clients: 2, inflight: 1, durationS: 1, warmupS: 0, theta: 0, seed: 1, partitions: 4, workers: undefined, protocol: 'aria', sqliteGroup: 10, ...over }
}

const take = <T>(next: () => T, n: number): T[] => Array.from({ length: n }, next)

test('a seed replays the same streams; lanes and seeds differ; two-key transactions use distinct keys', () => {
  for (const w of [YCSBT, SMALLBANK, TPCC]) {
    for (const theta of [0, 0.99]) {
      const s = settings(w, { theta })
      assert.equal(take(laneStreams(s)(3), 200), take(laneStreams(s)(3), 200))
      assert.not.equal(take(laneStreams(s)(3), 50), take(laneStreams(s)(4), 50))
      assert.not.equal(take(laneStreams(s)(0), 50), take(laneStreams({ ...s, seed: 2 })(0), 50))
      for (const t of take(laneStreams(s)(0), 2000)) {
        if (w !== TPCC) assert.ok(t.key >= 0 && t.key < s.keys)
        if (t.type === 'transfer' || t.type === 'amalgamate' || t.type === 'send_payment') assert.is.not(t.args[0], t.key)
      }
    }
  }
})

test('SmallBank draws the standard mix', () => {
  const n = 20_000
  const counts = new Map<string, number>()
  for (const t of take(laneStreams(settings(SMALLBANK))(0), n)) counts.set(t.type, (counts.get(t.type) ?? 0) + 1)
  for (const m of SMALLBANK_MIX) {
    const share = (counts.get(m.type) ?? 0) / n * 100
    assert.ok(Math.abs(share - m.percent) < 1.5, `${m.type}: ${share.toFixed(1)}% drawn, ${m.percent}% meant`)
  }
})

test('the invariants: a value off, or queries that disagree, are reported; SmallBank has none', () => {
  const y = settings(YCSBT, { keys: 10 })
  assert.is(invariantBroken(y, [10 * 1_000_000_000]), null)
  assert.match(invariantBroken(y, [10 * 1_000_000_000 + 1]) ?? '', /the total is unchanged: SELECT SUM\(value\) FROM usertable = 10000000001, expected 10000000000/)
  assert.is(invariantBroken(y, []) === null, false, 'a missing value is not a pass')
  const t = settings(TPCC)
  assert.is(invariantBroken(t, [500, 500]), null)
  assert.match(invariantBroken(t, [500, 499]) ?? '', /warehouse ytd = the districts' ytd/)
  assert.is(invariantBroken(settings(SMALLBANK), []), null)
})

test('the latency histogram: percentiles within its 1% buckets, the maximum exact', () => {
  const h = new LatencyHistogram()
  assert.ok(Number.isNaN(h.percentile(0.5)))
  for (let i = 1; i <= 1000; i++) h.record(i / 10)
  assert.is(h.count, 1000)
  assert.is(h.maxMs, 100)
  assert.ok(Math.abs(h.percentile(0.5) - 50) <= 0.5, String(h.percentile(0.5)))
  assert.ok(Math.abs(h.percentile(0.99) - 99) <= 1, String(h.percentile(0.99)))
  assert.is(h.percentile(1), 100)
})

/** Runs one lane's stream one transaction at a time on Acheron (the guest functions) and on SQLite (the peer's logic). */
/** Integers as numbers (Acheron may answer bigints), text as it is. */
const plain = (rows: unknown[][]): unknown[][] => rows.map((r) => r.map((v) => (v === null || typeof v === 'string' ? v : Number(v))))

async function sameOutcomes(w: Workload, txns: number, theta: number): Promise<void> {
  const s = settings(w, { keys: 20, theta })
  const db = await open({ memory: true, partitions: 4 })
  const lite = new Database(':memory:')
  try {
    const a = w.acheron
    const hex = readFileSync(new URL(`../../guest/${a.guest}.wasm`, import.meta.url)).toString('hex')
    await db.sql(a.ddl(4, hex))
    for (const sql of a.load(scale(s))) await db.sql(sql)
    lite.exec(w.sqlite!.schema)
    w.sqlite!.load(lite, scale(s))
    const apply = w.sqlite!.prepare(lite)
    const next = laneStreams(s)(0)
    let aborted = 0
    for (let i = 0; i < txns; i++) {
      const t = next()
      const c = a.call(t)
      let acheron: 'committed' | 'aborted' = 'committed'
      try {
        await db.call(c.fn, c.key, ...c.args)
      } catch (e) {
        if (!(e instanceof AcheronError && e.code === 'TXN_ABORTED')) throw e
        acheron = 'aborted'
      }
      assert.is(apply(t), acheron, `transaction ${i}: ${JSON.stringify(t)}`)
      if (acheron === 'aborted') aborted++
    }
    for (const table of a.tables) {
      const rows = plain((await db.query(`SELECT * FROM ${table} ORDER BY id`)).rows)
      assert.equal(rows, plain(lite.prepare(`SELECT * FROM ${table} ORDER BY id`).raw().all() as unknown[][]), table)
    }
    if (w !== YCSBT) assert.ok(aborted > 0, 'the stream exercised the abort paths')
  } finally {
    await db.close()
    lite.close()
  }
}

test('YCSB-T: the SQLite peer\'s logic and the guest functions agree, transaction by transaction and row by row', async () => {
  await sameOutcomes(YCSBT, 300, 0.99)
})

test('SmallBank: the SQLite peer\'s logic and the guest functions agree, aborts included', async () => {
  await sameOutcomes(SMALLBANK, 600, 0.99)
})

test('TPC-C: the SQLite peer\'s logic and the guest functions agree, rolled-back orders included', async () => {
  await sameOutcomes(TPCC, 400, 0)
})

test.run()
