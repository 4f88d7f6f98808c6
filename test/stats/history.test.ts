// The metrics' history behind GET /stats/history: the ring's bound and order, `since`, the abort codes'
// columns, the sampler's timer (unref'd, stopped), and samples of a real embedded database whose aborts by
// code sum to its aborted total.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HISTORY_SERIES, STATS_HISTORY_SAMPLES_MAX, STATS_HISTORY_SECONDS, StatsHistory, StatsSampler, type HistorySample, type HistorySeries } from '../../src/stats/history.js'
import { openBank } from '../support/bank.js'

function sample(t: number, committed: number, byCode: Record<string, number> = {}): HistorySample {
  const values = Object.fromEntries(HISTORY_SERIES.map((n) => [n, 0])) as Record<HistorySeries, number>
  values.committed_total = committed
  values.aborted_total = Object.values(byCode).reduce((a, b) => a + b, 0)
  return { t, values, abortedByCode: byCode }
}

test('history ring: oldest first, bounded at samplesMax (the oldest is replaced), columns of equal length', () => {
  assert.is(new StatsHistory().samplesMax, STATS_HISTORY_SECONDS)
  const h = new StatsHistory(5)
  assert.equal(h.toJson().t, [])
  assert.is(h.newestT, null)
  for (let i = 1; i <= 3; i++) h.push(sample(1000 * i, i * 10))
  assert.equal(h.toJson().t, [1000, 2000, 3000])
  for (let i = 4; i <= 12; i++) h.push(sample(1000 * i, i * 10))
  const j = h.toJson()
  assert.is(h.size, 5)
  assert.equal(j.t, [8000, 9000, 10000, 11000, 12000])
  assert.equal(j.series.committed_total, [80, 90, 100, 110, 120])
  assert.is(j.samples_max, 5)
  assert.is(j.interval_ms, 1000)
  assert.equal(Object.keys(j.series), [...HISTORY_SERIES])
  for (const n of HISTORY_SERIES) assert.is(j.series[n].length, 5, n)
  assert.throws(() => new StatsHistory(STATS_HISTORY_SAMPLES_MAX + 1), /2 to 3600 samples/)
  assert.throws(() => new StatsHistory(1.5), RangeError)
})

test('history since: only newer samples; nothing new is empty; a reader ahead of the newest sample gets all', () => {
  const h = new StatsHistory(10)
  for (let i = 1; i <= 4; i++) h.push(sample(1000 * i, i))
  assert.equal(h.toJson(2000).t, [3000, 4000])
  assert.equal(h.toJson(2500).series.committed_total, [3, 4])
  assert.equal(h.toJson(4000).t, [], 'up to date: nothing')
  assert.equal(h.toJson(0).t, [1000, 2000, 3000, 4000])
  assert.equal(h.toJson(9999).t, [1000, 2000, 3000, 4000], 'another server or a clock stepped back: start over')
})

test('history abort codes: a column per code seen, 0 before its first abort, aligned with t and wrapping with the ring', () => {
  const h = new StatsHistory(4)
  h.push(sample(1000, 1))
  h.push(sample(2000, 2, { TXN_ABORTED: 1 }))
  h.push(sample(3000, 3, { TXN_ABORTED: 1, WASM_TRAP: 2 }))
  let j = h.toJson()
  assert.equal(j.aborted_by_code, { TXN_ABORTED: [0, 1, 1], WASM_TRAP: [0, 0, 2] })
  h.push(sample(4000, 4, { TXN_ABORTED: 3, WASM_TRAP: 2 }))
  h.push(sample(5000, 5, { TXN_ABORTED: 3, WASM_TRAP: 2 }))
  j = h.toJson()
  assert.equal(j.t, [2000, 3000, 4000, 5000])
  assert.equal(j.aborted_by_code, { TXN_ABORTED: [1, 1, 3, 3], WASM_TRAP: [0, 2, 2, 2] })
  assert.equal(h.toJson(3000).aborted_by_code, { TXN_ABORTED: [3, 3], WASM_TRAP: [2, 2] })
})

test('sampler: a baseline sample at start, then one per interval; the timer never holds the process; stop stops it', async () => {
  const history = new StatsHistory(100, 20)
  let n = 0
  const errors: unknown[] = []
  const sampler = new StatsSampler(history, () => {
    n++
    if (n === 3) throw new Error('boom')
    return sample(n, n)
  }, (err) => errors.push(err))
  assert.is(sampler.running, false)
  sampler.start()
  assert.is(history.size, 1, 'the baseline is taken at once')
  assert.is(sampler.running, true)
  assert.is(sampler.keepsProcessAlive, false)
  await new Promise((r) => setTimeout(r, 200))
  sampler.stop()
  assert.is(sampler.running, false)
  const taken = history.size
  assert.ok(taken >= 4, `samples every 20 ms: ${taken}`)
  assert.is(errors.length, 1, 'the failing sample is reported, the sampler goes on')
  assert.match(String(errors[0]), /boom/)
  await new Promise((r) => setTimeout(r, 100))
  assert.is(history.size, taken, 'no sample after stop')
})

test('samples of a real database: totals, aborts by code summing to aborted_total, latencies of the interval only', async () => {
  const db = await openBank({ memory: true })
  try {
    const first = db.statsSample(1_000)
    assert.is(first.values.latency_samples, 0, 'the first sample starts counting')
    await db.insert('account', [['alice', 100], ['bob', 0]])
    for (let i = 0; i < 5; i++) await db.call('account.transfer', 'alice', 'bob', 1)
    await db.call('account.withdraw', 'bob', 1_000).catch(() => {})
    await db.call('account.withdraw', 'bob', 2_000).catch(() => {})
    await db.call('account.nullify', 'bob').catch(() => {})
    const s = db.statsSample(2_000)
    assert.is(s.t, 2_000)
    assert.is(s.values.latency_samples, 9, 'insert, 5 transfers, 3 failures')
    assert.ok(s.values.latency_p99_ms >= s.values.latency_p50_ms && s.values.latency_p50_ms > 0)
    assert.ok(s.values.committed_total - first.values.committed_total >= 6)
    assert.is(s.abortedByCode.TXN_ABORTED, 2)
    assert.is(s.abortedByCode.CONSTRAINT, 1, `the NOT NULL violation: ${JSON.stringify(s.abortedByCode)}`)
    assert.is(Object.keys(s.abortedByCode).length, 2)
    assert.is(Object.values(s.abortedByCode).reduce((a, b) => a + b, 0), s.values.aborted_total)
    const rows = Object.fromEntries(db.statsRows())
    assert.is(rows.aborted_total, s.values.aborted_total)
    const idle = db.statsSample(3_000)
    assert.is(idle.values.latency_samples, 0, 'the next sample has only its own interval')
    assert.is(idle.values.latency_p99_ms, 0)
  } finally {
    await db.close()
  }
})

test.run()
