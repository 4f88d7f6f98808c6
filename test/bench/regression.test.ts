// The results file and the regression check of `acheron bench --save`, on fixed records: which points
// are the same across runs, how a run's points replace the file's, and when a warning names a row —
// on the Acheron/peer ratio where both runs have a peer, on absolute numbers otherwise.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatResults, mergeResults, parseResults, peerOf, pointKey, type SavedRecord } from '../../src/bench/record.js'
import { findRegressions, P99_RISE_MAX, regressionLine, THROUGHPUT_DROP_MAX } from '../../src/bench/regression.js'
import type { SystemName } from '../../src/bench/settings.js'

const MACHINE = { cores: 2, cpu: 'test', memoryGiB: 24, node: 'v20.0.0', loadavg: [1, 1, 1] }

function rec(system: SystemName, date: string, txnPerSec: number, p99Ms: number, over: Record<string, unknown> = {}): SavedRecord {
  const settings = {
    keys: 100_000, theta: 0, seed: 1, durationS: 10, warmupS: 2, load: system === 'sqlite' ? '1 thread, 1000/commit' : '32 × 1',
    ...(system === 'sqlite' ? { group: 1000 } : { clients: 32, inflight: 1 }),
    ...(system === 'acheron' ? { partitions: 8, workers: null, protocol: 'aria', sync: 'full' } : {}),
    ...(system === 'postgres' ? { isolation: 'serializable', triesMax: 10 } : {}),
    ...over,
  }
  return {
    workload: 'ycsbt', system, settings, txnPerSec, p50Ms: p99Ms / 3, p99Ms, maxMs: p99Ms * 2, aborts: 0, abortRate: 0,
    conflictAborts: 0, retries: 0, failed: 0, serverCores: 1, clientCores: 0.3, command: 'acheron bench ycsbt --peers', machine: MACHINE, date,
  }
}

const OLD = '2026-11-01T00:00:00.000Z'
const NEW = '2026-11-30T00:00:00.000Z'

test('a point is the same across runs whatever its seed and durations, and differs by theta, protocol, workers or clients', () => {
  const a = rec('acheron', OLD, 1000, 20)
  assert.is(pointKey(rec('acheron', NEW, 5, 5, { seed: 9, durationS: 3, warmupS: 0 })), pointKey(a))
  for (const over of [{ theta: 0.99 }, { protocol: 'calvin' }, { workers: 2 }, { clients: 16, load: '16 × 1' }, { keys: 1000 }]) {
    assert.is.not(pointKey(rec('acheron', OLD, 1000, 20, over)), pointKey(a), JSON.stringify(over))
  }
  assert.is.not(pointKey(rec('postgres', OLD, 1000, 20)), pointKey(a), 'the system is part of the point')
})

test("an Acheron point's peer is the same run's peer at the same data and clients, whatever Acheron's protocol", () => {
  const records = [rec('acheron', NEW, 1, 1, { protocol: 'serial', workers: 2 }), rec('postgres', NEW, 2, 2), rec('postgres', OLD, 3, 3), rec('postgres', NEW, 4, 4, { theta: 0.99 }), rec('sqlite', NEW, 5, 5)]
  assert.is(peerOf(records[0]!, 'postgres', records)?.txnPerSec, 2)
  assert.is(peerOf(records[0]!, 'sqlite', records)?.txnPerSec, 5, 'SQLite has no clients: only the data must match')
  assert.is(peerOf(rec('acheron', NEW, 1, 1, { clients: 4, load: '4 × 1' }), 'postgres', records), undefined)
})

test('merging replaces the points a run measured and keeps the others; the file reads back', () => {
  const old = { about: '', records: [rec('acheron', OLD, 1000, 20), rec('acheron', OLD, 900, 20, { theta: 0.99 }), rec('postgres', OLD, 500, 30)] }
  const merged = mergeResults(old, [rec('acheron', NEW, 1100, 18), rec('postgres', NEW, 600, 25)])
  assert.equal(merged.records.map((r) => [r.system, r.settings.theta, r.date]), [['acheron', 0.99, OLD], ['acheron', 0, NEW], ['postgres', 0, NEW]])
  // A peer's old record stays while an Acheron point of its run stays: it is that point's yardstick.
  const protocols = mergeResults({ about: '', records: [rec('acheron', OLD, 1000, 20), rec('postgres', OLD, 500, 30), rec('postgres', OLD, 400, 30, { theta: 0.6 })] },
    [rec('acheron', NEW, 900, 20, { protocol: 'serial' }), rec('postgres', NEW, 600, 25)])
  assert.equal(protocols.records.map((r) => [r.system, r.settings.protocol ?? '', r.settings.theta, r.date]),
    [['acheron', 'aria', 0, OLD], ['postgres', '', 0, OLD], ['postgres', '', 0.6, OLD], ['acheron', 'serial', 0, NEW], ['postgres', '', 0, NEW]])
  const twice = mergeResults(null, [rec('sqlite', NEW, 1, 1, { seed: 2 }), rec('sqlite', NEW, 2, 2, { seed: 3 })])
  assert.equal(twice.records.map((r) => r.txnPerSec), [2], 'a point measured twice in one run is kept once, the last')
  const text = formatResults(merged)
  assert.equal(parseResults(text, 'x.json'), merged)
  assert.is(text.split('\n').filter((l) => l.startsWith('    {')).length, 3, 'one record per line')
  assert.throws(() => parseResults('{"records": [{"system": "acheron"}]}', 'bad.json'), /bad\.json: record 0 lacks/)
  assert.throws(() => parseResults('[', 'bad.json'), /bad\.json is not JSON/)
  assert.equal(parseResults(' \n', 'empty.json').records, [], 'an empty file holds no points')
})

test('throughput: compared as the Acheron/PostgreSQL ratio when both runs have PostgreSQL', () => {
  const baseline = [rec('acheron', OLD, 4000, 20), rec('postgres', OLD, 2000, 30)]
  // The whole machine was 2× slower: both fell by half, the ratio (2.0) is the same: no warning.
  assert.equal(findRegressions([rec('acheron', NEW, 2000, 40), rec('postgres', NEW, 1000, 60)], baseline), [])
  // Acheron alone fell: ratio 1.4 against 2.0 is −30%, beyond 25%.
  const found = findRegressions([rec('acheron', NEW, 2800, 20), rec('postgres', NEW, 2000, 30)], baseline)
  assert.is(found.length, 1)
  assert.is(found[0]!.row, 'ycsbt θ 0, 32 × 1, aria, default workers')
  assert.match(found[0]!.what, /^Acheron\/PostgreSQL: throughput ratio 1\.40, was 2\.00 \(-30%; warns below −25%\) against the run of 2026-11-01/)
  assert.match(regressionLine(found[0]!), /^acheron bench: WARNING: regression at ycsbt θ 0, 32 × 1, aria, default workers: /)
  // −20% is inside the threshold.
  assert.equal(findRegressions([rec('acheron', NEW, 3200, 20), rec('postgres', NEW, 2000, 30)], baseline), [])
  assert.is(THROUGHPUT_DROP_MAX, 0.25)
})

test('p99: its ratio to the peer rising by more than 50% warns; SQLite is the yardstick when PostgreSQL is missing from a run', () => {
  const baseline = [rec('acheron', OLD, 4000, 20), rec('sqlite', OLD, 40000, 10)]
  const fresh = [rec('acheron', NEW, 4000, 35), rec('sqlite', NEW, 40000, 10), rec('postgres', NEW, 2000, 30)]
  const found = findRegressions(fresh, baseline)
  assert.is(found.length, 1)
  assert.match(found[0]!.what, /^Acheron\/SQLite: p99 ratio 3\.50, was 2\.00 \(\+75%; warns above \+50%\)/)
  assert.equal(findRegressions([rec('acheron', NEW, 4000, 29), rec('sqlite', NEW, 40000, 10)], baseline), [], '+45% is inside')
  assert.is(P99_RISE_MAX, 0.5)
})

test('without a peer in both runs the absolute numbers are compared; peers and new points are never warned about', () => {
  const baseline = [rec('acheron', OLD, 4000, 20), rec('postgres', OLD, 2000, 30)]
  const found = findRegressions([rec('acheron', NEW, 2000, 40)], baseline)
  assert.is(found.length, 1)
  assert.match(found[0]!.what, /^absolute, no peer in both runs: throughput 2000, was 4000 \(-50%; .*\); p99 ms 40\.00, was 20\.00 \(\+100%; /)
  assert.equal(findRegressions([rec('postgres', NEW, 100, 900), rec('acheron', NEW, 10, 900, { theta: 0.6 })], baseline), [])
})

test.run()
