// The metrics of SHOW STATS: the latency histogram, rates over the sliding window (with a fake clock, so
// every number is exact), the metric rows, and SHOW STATS through the embedded db.sql / db.query.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/index.js'
import { bucketOf, bucketUpperUs, HISTOGRAM_BUCKETS, LatencyHistogram, LATENCY_US_MAX } from '../../src/stats/histogram.js'
import { DatabaseStats, STATS_METRICS, type StatsSource } from '../../src/stats/metrics.js'
import { StatsWindow, type EngineCounters } from '../../src/stats/window.js'
import { openBank } from '../support/bank.js'

/** A clock the test moves by hand. */
function fakeClock(startMs = 0): { now: () => number; advance: (ms: number) => void } {
  let t = startMs
  return { now: () => t, advance: (ms) => { t += ms } }
}

function counters(c: Partial<EngineCounters> = {}): EngineCounters {
  return { txns: 0, committed: 0, rolledBack: 0, batches: 0, fallbackTxns: 0, ...c, batchedTxns: c.batchedTxns ?? c.txns ?? 0 }
}

// ---- histogram ------------------------------------------------------------------------------------

test('histogram buckets: exact below 64 µs, at most 1/32 above the value beyond, monotone, bounded', () => {
  for (let us = 0; us < 64; us++) assert.is(bucketUpperUs(bucketOf(us)), us)
  let previous = -1
  for (let us = 0; us <= 5_000_000; us = us < 1000 ? us + 1 : Math.floor(us * 1.013) + 1) {
    const i = bucketOf(us)
    assert.ok(i >= previous, `bucket index never decreases (${us} µs)`)
    previous = i
    const upper = bucketUpperUs(i)
    assert.ok(upper >= us && upper - us <= us / 32, `${us} µs → bucket ${i} up to ${upper}`)
  }
  assert.is(bucketOf(LATENCY_US_MAX), HISTOGRAM_BUCKETS - 1)
  assert.is(bucketUpperUs(HISTOGRAM_BUCKETS - 1), LATENCY_US_MAX)
})

test('histogram quantiles: 1..100 ms → p50 50, p95 95, p99 99 (within 1/32), max exact; empty is 0', () => {
  const h = new LatencyHistogram()
  assert.is(h.quantileMs(0.5), 0)
  for (let ms = 100; ms >= 1; ms--) h.record(ms)
  for (const [q, want] of [[0.5, 50], [0.95, 95], [0.99, 99]] as const) {
    const got = h.quantileMs(q)
    assert.ok(got >= want && got <= want * (1 + 1 / 32), `p${q * 100}: ${got}`)
  }
  assert.is(h.maxMs, 100)
  assert.is(h.quantileMs(1), 100, 'never above the exact maximum')
  h.record(-5)
  h.record(Number.NaN)
  h.record(1e12)
  assert.is(h.count, 103)
  assert.is(h.maxUs, LATENCY_US_MAX, 'an absurd latency is clamped, not lost')
})

// ---- window ---------------------------------------------------------------------------------------

test('window: rates over the time since start, then over the last 10 s; old buckets fall out', () => {
  const clock = fakeClock(5_000)
  const w = new StatsWindow({ now: clock.now })
  w.observe(counters()) // baseline
  clock.advance(2_000)
  w.observe(counters({ txns: 100, committed: 90, rolledBack: 10, batches: 4, fallbackTxns: 25 }))
  let s = w.snapshot()
  assert.is(s.seconds, 2)
  assert.is(s.txnsPerS, 50)
  assert.is(s.committedPerS, 45)
  assert.is(s.abortedPerS, 5)
  assert.is(s.batchesPerS, 2)
  assert.is(s.batchSizeMean, 25)
  assert.is(s.fallbackShare, 0.25)

  // 20 s later nothing happened: the window is full (10 s) and empty.
  clock.advance(20_000)
  s = w.snapshot()
  assert.is(s.seconds, 9, 'at 27.0 s the window is buckets 18..27: from 18.0 s to now')
  assert.is(s.txnsPerS, 0)
  assert.is(s.batchSizeMean, 0)
  assert.is(s.fallbackShare, 0)
})

test('window: a partial current bucket counts for its elapsed part; events 10 s old leave the sum', () => {
  const clock = fakeClock(0)
  const w = new StatsWindow({ now: clock.now, bucketMs: 1000, windowMs: 10_000 })
  w.observe(counters())
  clock.advance(20_500) // t = 20.5 s; the window is buckets 11..20, i.e. 11.0 s … 20.5 s
  w.observe(counters({ txns: 95, committed: 95, batches: 1 }))
  let s = w.snapshot()
  assert.is(s.seconds, 9.5)
  assert.is(s.txnsPerS, 10)
  clock.advance(9_000) // t = 29.5 s: the bucket of 20 s is still in (20..29)
  assert.is(w.snapshot().txnsPerS, 95 / 9.5)
  clock.advance(1_000) // t = 30.5 s: buckets 21..30, the events are gone
  s = w.snapshot()
  assert.is(s.txnsPerS, 0)
  // The slot of bucket 20 is reused by bucket 30 and starts empty.
  w.observe(counters({ txns: 96, committed: 96, batches: 2 }))
  s = w.snapshot()
  assert.is(s.txnsPerS, 1 / 9.5)
  assert.is(s.batchSizeMean, 1)
})

test('window: latency percentiles over the window only; counters that go backwards reset the baseline', () => {
  const clock = fakeClock(0)
  const w = new StatsWindow({ now: clock.now })
  for (let i = 1; i <= 100; i++) w.recordLatency(1000) // old and slow
  clock.advance(15_000)
  for (let i = 1; i <= 100; i++) w.recordLatency(i / 10) // 0.1 … 10 ms
  const s = w.snapshot()
  assert.is(s.replies, 100)
  assert.ok(s.latencyP50Ms >= 5 && s.latencyP50Ms <= 5 * (1 + 1 / 32), `p50 ${s.latencyP50Ms}`)
  assert.ok(s.latencyP99Ms >= 9.9 && s.latencyP99Ms <= 9.9 * (1 + 1 / 32), `p99 ${s.latencyP99Ms}`)
  assert.is(s.latencyMaxMs, 10)

  w.observe(counters({ txns: 50 }))
  w.observe(counters({ txns: 60 }))
  w.observe(counters({ txns: 5 })) // a new engine: not a negative rate
  w.observe(counters({ txns: 7 }))
  assert.is(w.snapshot().txnsPerS, 12 / 9, 'at 15.0 s: buckets 6..15, 9 s')
})

test('window: bounds are checked', () => {
  assert.throws(() => new StatsWindow({ bucketMs: 0 }), RangeError)
  assert.throws(() => new StatsWindow({ bucketMs: 1000, windowMs: 500 }), RangeError)
  assert.throws(() => new StatsWindow({ bucketMs: 1, windowMs: 1e9 }), RangeError)
})

// ---- metric rows ----------------------------------------------------------------------------------

test('DatabaseStats: one row per metric in STATS_METRICS order, in-flight counts, server gauges', () => {
  const clock = fakeClock(0)
  const engine = counters() as { -readonly [K in keyof EngineCounters]: number }
  const source: StatsSource = { counters: engine, lastBatch: () => engine.batches }
  const stats = new DatabaseStats(source, { now: clock.now })
  const t0 = stats.begin()
  stats.begin()
  clock.advance(2_000)
  engine.txns = engine.committed = 1
  engine.batches = 1
  stats.end(t0)
  stats.abandon()
  const rows = stats.rows({ connections: 3, requestsInFlight: 7 })
  assert.equal(rows.map(([n]) => n), STATS_METRICS.map(([n]) => n))
  const m = Object.fromEntries(rows)
  assert.is(m.uptime_s, 2)
  assert.is(m.window_s, 2)
  assert.is(m.committed_per_s, 0.5)
  assert.is(m.latency_p50_ms, 2000)
  assert.is(m.latency_max_ms, 2000)
  assert.is(m.latency_samples, 1)
  assert.is(m.txns_in_flight, 0)
  assert.is(m.connections, 3)
  assert.is(m.requests_in_flight, 7)
  assert.is(m.committed_total, 1)
  assert.is(m.last_batch, 1)
  assert.equal(new Set(STATS_METRICS.map(([n]) => n)).size, STATS_METRICS.length, 'names are unique')
  for (const [name] of STATS_METRICS) assert.match(name, /^[a-z0-9_]+$/)
})

// ---- SHOW STATS, embedded -------------------------------------------------------------------------

test('SHOW STATS in db.sql and db.query: (metric, value) rows after real traffic; not a transaction', async () => {
  const db = await openBank({ memory: true })
  try {
    await db.insert('account', [['alice', 100], ['bob', 0]])
    await Promise.all(Array.from({ length: 20 }, () => db.call('account.transfer', 'alice', 'bob', 1)))
    await db.call('account.withdraw', 'bob', 1_000).catch(() => {})
    const [r] = await db.sql('show   Stats;')
    assert.ok(r !== undefined)
    assert.equal(r.columns, ['metric', 'value'])
    assert.equal(r.rows.map((row) => row[0]), STATS_METRICS.map(([n]) => n))
    const m = Object.fromEntries(r.rows as [string, number][])
    assert.ok((m.committed_total as number) >= 21, `committed_total ${m.committed_total}`)
    assert.ok((m.aborted_total as number) >= 1)
    // The overdraft is the function's own abort; the breakdown adds up to the total.
    assert.ok((m.aborted_txn_aborted_total as number) >= 1, `aborted_txn_aborted_total ${m.aborted_txn_aborted_total}`)
    const byCode = STATS_METRICS.map(([n]) => n).filter((n) => n.startsWith('aborted_') && n !== 'aborted_total' && n.endsWith('_total'))
    assert.is(byCode.length, 8)
    assert.is(byCode.reduce((sum, n) => sum + (m[n] as number), 0), m.aborted_total)
    assert.ok((m.committed_per_s as number) > 0)
    assert.ok((m.latency_samples as number) >= 22, 'every submit is measured')
    assert.ok((m.latency_p99_ms as number) >= (m.latency_p50_ms as number))
    assert.is(m.txns_in_flight, 0)
    assert.is(m.connections, 0)
    assert.is(r.rowsAffected, 0)
    const last = db.engine.lastCommittedBatch
    assert.equal(r.commit, { batch: last, seq: -1 }, 'the last durable batch, no position of its own')

    // No batch was taken by SHOW STATS.
    await db.query('SHOW STATS')
    await db.sql('SHOW STATS; SHOW STATS')
    assert.is(db.engine.lastCommittedBatch, last)
    const q = await db.query('SHOW STATS')
    assert.equal(q.columns, ['metric', 'value'])

    try {
      await db.sql('BEGIN;\n  SHOW STATS;\nCOMMIT;')
      assert.unreachable('SHOW STATS inside BEGIN … COMMIT')
    } catch (err) {
      assert.instance(err, AcheronError)
      assert.is((err as AcheronError).code, 'SYNTAX_ERROR')
      assert.is((err as AcheronError).line, 2)
      assert.is((err as AcheronError).column, 3)
      assert.match((err as AcheronError).message, /outside BEGIN … COMMIT/)
    }
  } finally {
    await db.close()
  }
})

test('aborted_total counts every statement that failed, as xact_rollback does: a failed DDL and a refused EXPLAIN COMMIT too, each under its code', async () => {
  const db = await openBank({ memory: true })
  try {
    const metrics = async (): Promise<Record<string, number>> => Object.fromEntries((await db.query('SHOW STATS')).rows as [string, number][])
    const before = await metrics()
    const failures: [string, string, string][] = [
      ['CREATE TABLE account (id TEXT PRIMARY KEY)', 'CONSTRAINT', 'aborted_constraint_total'],
      ['DROP TABLE no_such_table', 'UNKNOWN_TABLE', 'aborted_other_total'],
      ['EXPLAIN COMMIT (999, 0)', 'POSITION_UNAVAILABLE', 'aborted_other_total'],
    ]
    const expected: Record<string, number> = {}
    for (const [sql, code, metric] of failures) {
      const err = await db.sql(sql).then(() => null, (e: unknown) => e)
      assert.instance(err, AcheronError, sql)
      assert.is((err as AcheronError).code, code, sql)
      expected[metric] = (expected[metric] ?? before[metric]!) + 1
    }
    const after = await metrics()
    assert.is(after.aborted_total, before.aborted_total! + failures.length)
    assert.is(after.txns_total, before.txns_total! + failures.length)
    assert.is(after.committed_total, before.committed_total)
    for (const [metric, n] of Object.entries(expected)) assert.is(after[metric], n, metric)
  } finally {
    await db.close()
  }
})

test.run()
