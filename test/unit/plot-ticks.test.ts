// The console's plot arithmetic (static/console/src/plots.js), run in Node: nice axis ticks, clock
// ticks and labels, per-second rates from cumulative counters over the real elapsed time, stacking, and
// merging the server's history replies into the page's (bounded, restart-safe).
//
// plots.js is a browser module outside tsc's project, loaded from the source tree at run time (this file
// runs from dist/test/unit); the shape below is what this test relies on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ERROR_CODES } from '../../src/errors.js'

type Series = (number | null)[]
interface History { t: number[]; series: Record<string, number[]>; byCode: Record<string, number[]> }
interface Reply { t: number[]; series: Record<string, number[]>; aborted_by_code: Record<string, number[]>; samples_max?: number }
interface Line { name: string; color: string; values: Series }
interface PlotsModule {
  niceStep(max: number, ticksMax?: number): number
  niceTicks(max: number, ticksMax?: number): { step: number; top: number; ticks: number[] }
  formatTick(v: number): string
  formatValue(v: number): string
  TIME_STEPS_MS: number[]
  timeTicks(t0: number, t1: number, ticksMax?: number, tzOffsetMin?: number): { step: number; ticks: number[] }
  formatClock(t: number, stepMs: number, tzOffsetMin?: number): string
  timeWindow(t: number[], minMs: number, maxMs: number): { start: number; end: number } | null
  ratesPerSecond(t: number[], counter: number[]): Series
  latencySeries(h: History, name: string): Series
  stack(series: Series[]): Series[]
  emptyHistory(): History
  newestT(h: History): number | null
  mergeHistory(h: History, reply: Reply, samplesMax: number): History
  plotLines(h: History): { throughput: Line[]; aborts: Line[]; latency: Line[] }
  codeColor(code: string): string
}

const plots = (await import(new URL('../../../static/console/src/plots.js', import.meta.url).href)) as PlotsModule

function isNice(step: number): boolean {
  const p = 10 ** Math.floor(Math.log10(step))
  return [1, 2, 5].some((m) => Math.abs(step / p - m) < 1e-9)
}

test('nice ticks: steps are 1, 2 or 5 × 10^k, start at 0, reach the maximum, at most ticksMax intervals', () => {
  assert.equal(plots.niceTicks(7), { step: 2, top: 8, ticks: [0, 2, 4, 6, 8] })
  assert.equal(plots.niceTicks(100), { step: 50, top: 100, ticks: [0, 50, 100] })
  assert.equal(plots.niceTicks(0.3).ticks, [0, 0.1, 0.2, 0.3], 'no 0.30000000000000004')
  assert.equal(plots.niceTicks(0), { step: 0.5, top: 1, ticks: [0, 0.5, 1] }, 'nothing yet: 0 to 1')
  assert.equal(plots.niceTicks(Number.NaN).top, 1)
  assert.equal(plots.niceTicks(1234).ticks, [0, 500, 1000, 1500])
  for (let max = 0.0013; max < 5e7; max *= 1.37) {
    for (const ticksMax of [3, 4, 5, 8]) {
      const { step, top, ticks } = plots.niceTicks(max, ticksMax)
      assert.ok(isNice(step), `step ${step} for ${max}`)
      assert.ok(top >= max, `top ${top} ≥ ${max}`)
      assert.ok(top - step < max, `no empty interval on top: ${top} for ${max}`)
      assert.ok(ticks.length - 1 <= ticksMax, `${ticks.length - 1} intervals for ${max} (at most ${ticksMax})`)
      assert.is(ticks[0], 0)
      ticks.forEach((v, i) => assert.ok(Math.abs(v - i * step) <= step * 1e-9, `tick ${i} of ${max}: ${v}`))
    }
  }
})

test('tick labels: short, k and M, no float noise', () => {
  assert.is(plots.formatTick(0), '0')
  assert.is(plots.formatTick(0.5), '0.5')
  assert.is(plots.formatTick(20), '20')
  assert.is(plots.formatTick(1500), '1.5k')
  assert.is(plots.formatTick(2000), '2k')
  assert.is(plots.formatTick(2_500_000), '2.5M')
  assert.is(plots.formatTick(0.1 + 0.2), '0.3')
})

test('legend values: three significant digits', () => {
  assert.equal([12.031, 0.111, 0, 1234.5, 999.94, 20, 0.000123, 7_654_321].map(plots.formatValue), ['12', '0.111', '0', '1.23k', '1000', '20', '0.000123', '7.65M'])
})

test('time ticks: round clock times in local time, within the range, the smallest step that fits', () => {
  const t0 = Date.UTC(2026, 11, 1, 3, 59, 47)
  const { step, ticks } = plots.timeTicks(t0, t0 + 10 * 60_000, 5)
  assert.is(step, 120_000, '10 minutes in at most 5 ticks: every 2 minutes')
  assert.equal(ticks.map((t) => plots.formatClock(t, step)), ['04:00', '04:02', '04:04', '04:06', '04:08'])
  const s = plots.timeTicks(t0, t0 + 60_000, 5)
  assert.is(s.step, 15_000)
  assert.equal(s.ticks.map((t) => plots.formatClock(t, s.step)), ['04:00:00', '04:00:15', '04:00:30', '04:00:45'])
  // UTC+5:30 (getTimezoneOffset −330): ticks fall on round local minutes.
  const india = plots.timeTicks(t0, t0 + 10 * 60_000, 5, -330)
  assert.equal(india.ticks.map((t) => plots.formatClock(t, india.step, -330)), ['09:30', '09:32', '09:34', '09:36', '09:38'])
  for (const span of [500, 7_000, 45_000, 333_000, 3_600_000, 50_000_000]) {
    const r = plots.timeTicks(t0, t0 + span, 6)
    assert.ok(r.ticks.length <= 6 && r.ticks.length >= 1, `${r.ticks.length} ticks over ${span} ms`)
    for (const t of r.ticks) {
      assert.ok(t >= t0 && t <= t0 + span)
      assert.is(t % r.step, 0)
    }
  }
  assert.equal(plots.timeWindow([], 60_000, 600_000), null)
  assert.equal(plots.timeWindow([1000, 2000], 60_000, 600_000), { start: 2000 - 60_000, end: 2000 }, 'at least a minute')
  assert.equal(plots.timeWindow([0, 900_000], 60_000, 600_000), { start: 300_000, end: 900_000 }, 'at most the ring')
})

test('rates: counter differences over the real elapsed time; gaps at the start, at a reset, when time stands still', () => {
  const t = [10_000, 11_000, 12_000, 14_000, 14_500, 14_500, 15_500, 16_500]
  const c = [100, 150, 150, 350, 400, 410, 5, 25]
  assert.equal(plots.ratesPerSecond(t, c), [null, 50, 0, 100, 100, null, null, 20])
  assert.equal(plots.ratesPerSecond([], []), [])
  assert.equal(plots.ratesPerSecond([1], [7]), [null])
})

test('latency: a second without replies is a gap, not 0 ms', () => {
  const h = { t: [1, 2, 3], series: { latency_p50_ms: [0, 4, 0], latency_samples: [0, 10, 0] }, byCode: {} }
  assert.equal(plots.latencySeries(h, 'latency_p50_ms'), [null, 4, null])
})

test('stack: each band on the ones below; null only where every band below is null too', () => {
  assert.equal(plots.stack([[1, 2, null], [3, null, null], [1, 1, 1]]), [[1, 2, null], [4, 2, null], [5, 3, 1]])
  assert.equal(plots.stack([]), [])
})

function reply(t: number[], committed: number[], byCode: Record<string, number[]> = {}): Reply {
  return { t, series: { committed_total: committed, aborted_total: t.map(() => 0) }, aborted_by_code: byCode }
}

test('merge: appends newer samples, pads a new code with zeros, keeps at most samplesMax', () => {
  let h = plots.emptyHistory()
  assert.is(plots.newestT(h), null)
  h = plots.mergeHistory(h, reply([1000, 2000, 3000], [1, 2, 3]), 5)
  h = plots.mergeHistory(h, reply([4000], [4], { TXN_ABORTED: [2] }), 5)
  assert.equal(h.t, [1000, 2000, 3000, 4000])
  assert.equal(h.byCode, { TXN_ABORTED: [0, 0, 0, 2] })
  h = plots.mergeHistory(h, reply([], []), 5)
  assert.is(h.t.length, 4, 'nothing new: unchanged')
  h = plots.mergeHistory(h, reply([5000, 6000], [5, 6], { TXN_ABORTED: [2, 3] }), 5)
  assert.equal(h.t, [2000, 3000, 4000, 5000, 6000])
  assert.equal(h.series.committed_total, [2, 3, 4, 5, 6])
  assert.equal(h.byCode.TXN_ABORTED, [0, 0, 2, 2, 3])
  assert.is(plots.newestT(h), 6000)
  // A reply not newer than the page's samples comes from a restarted server (or a clock set back): start over.
  h = plots.mergeHistory(h, reply([500, 1500], [0, 1]), 5)
  assert.equal(h.t, [500, 1500])
  assert.equal(h.series.committed_total, [0, 1])
  assert.equal(h.byCode, {})
})

test('plot lines: throughput rates, abort bands by code (busiest first, codes without aborts left out), latency', () => {
  const h: History = {
    t: [0, 1000, 2000, 4000],
    series: {
      committed_total: [0, 10, 30, 70], aborted_total: [0, 3, 3, 9],
      latency_p50_ms: [0, 1, 0, 2], latency_p99_ms: [0, 5, 0, 9], latency_samples: [0, 13, 0, 46],
    },
    byCode: { WASM_TRAP: [0, 1, 1, 1], TXN_ABORTED: [0, 2, 2, 8], CONSTRAINT: [0, 0, 0, 0] },
  }
  const l = plots.plotLines(h)
  assert.equal(l.throughput.map((x) => [x.name, x.values]), [['committed', [null, 10, 20, 20]], ['aborted', [null, 3, 0, 3]]])
  assert.equal(l.aborts.map((x) => [x.name, x.values]), [['TXN_ABORTED', [null, 2, 0, 3]], ['WASM_TRAP', [null, 1, 0, 0]]])
  assert.is.not(l.aborts[0]!.color, l.aborts[1]!.color)
  assert.equal(l.latency.map((x) => x.values), [[null, 1, null, 2], [null, 5, null, 9]])
  assert.equal(plots.plotLines(plots.emptyHistory()).aborts, [])
})

test('abort bands: every error code has a colour of its own (codes other than a rollback\'s were all one grey)', () => {
  const colors = ERROR_CODES.map((c) => plots.codeColor(c))
  colors.forEach((color, i) => assert.match(color, /^#[0-9a-f]{6}$/, ERROR_CODES[i]))
  assert.is(new Set(colors).size, ERROR_CODES.length, colors.join(' '))
  assert.not.ok(colors.includes(plots.codeColor('NO_SUCH_CODE')), 'the fallback grey is no code\'s colour')
})

test.run()
