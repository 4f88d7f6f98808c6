// `npm run bench:report` on fixed inputs: the SVG plots are well-formed, their ticks round and their
// points where the axes put them; the document is rewritten only between its markers; each run's table
// carries its command, machine, date and same-run ratios; the Styx rows say they are from the paper.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatResults, type SavedRecord } from '../../src/bench/record.js'
import { LATENCY_SVG, reportBody, THROUGHPUT_SVG, throughputPlot, writeReport } from '../../src/bench/report.js'
import { goalsTable, REPORT_END, REPORT_START, replaceBetweenMarkers, runTable, runWasShared, styxTable } from '../../src/bench/report-markdown.js'
import { AREA, escapeXml, linearTicks, linePlot, logTicks, niceStep, tickLabel } from '../../src/bench/report-svg.js'
import type { SystemName } from '../../src/bench/settings.js'

/** Every tag opened is closed, in order; returns the element names seen. */
function checkWellFormed(svg: string): string[] {
  const stack: string[] = []
  const names: string[] = []
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m as unknown as [string, string, string, string, string]
    assert.not.match(attrs, /[<&](?!amp;|lt;|gt;|quot;)/, `unescaped text in <${name}${attrs}>`)
    if (closing === '/') assert.is(stack.pop(), name, `</${name}> closes something else`)
    else {
      names.push(name)
      if (selfClosing !== '/') stack.push(name)
    }
  }
  assert.equal(stack, [], 'unclosed elements')
  // Text between tags has no raw < or & either.
  for (const text of svg.split(/<[^>]*>/)) assert.not.match(text, /[<>]|&(?!amp;|lt;|gt;|quot;)/, `text ${text}`)
  return names
}

/** m × 10^k with m in {1, 2, 5}. */
function isRound125(v: number): boolean {
  if (v === 0) return true
  const k = Math.floor(Math.log10(Math.abs(v)))
  const m = Math.abs(v) / Math.pow(10, k)
  return [1, 2, 5, 10].some((r) => Math.abs(m - r) < 1e-9)
}

test('ticks are round: steps of 1, 2 or 5 × 10^k, covering the data', () => {
  assert.is(niceStep(1), 0.2)
  assert.is(niceStep(47_000), 10_000)
  assert.is(niceStep(130), 50)
  assert.equal(linearTicks(0, 0.99), [0, 0.2, 0.4, 0.6, 0.8, 1])
  assert.equal(linearTicks(120, 3300), [0, 1000, 2000, 3000, 4000])
  assert.equal(logTicks(499, 52_000), [200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000])
  assert.equal(logTicks(3, 40_000), [1, 10, 100, 1000, 10_000, 100_000], 'over 3 decades: the powers of ten only')
  assert.equal(logTicks(1, 64), [1, 2, 5, 10, 20, 50, 100])
  assert.is(tickLabel(50_000), '50k')
  assert.is(tickLabel(2500), '2.5k')
  assert.is(tickLabel(0.6), '0.6')
  assert.is(escapeXml('a < b & "c"'), 'a &lt; b &amp; &quot;c&quot;')
})

const PLOT = {
  title: 'T <&> "q"', xLabel: 'θ', yLabel: 'txn/s', xScale: 'linear' as const, yScale: 'log' as const,
  series: [{ name: 'Acheron', points: [{ x: 0, y: 1000 }, { x: 0.99, y: 2000 }, { x: 0.6, y: 5000 }] }, { name: 'PostgreSQL', points: [{ x: 0, y: 500 }, { x: 0.99, y: 200 }] }],
  note: 'a note',
}

test('the SVG is well-formed, with a title, axis labels, a legend entry and a line per series', () => {
  const svg = linePlot(PLOT)
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /)
  const names = checkWellFormed(svg)
  assert.is(names.filter((n) => n === 'polyline').length, 2)
  assert.is(names.filter((n) => n === 'circle').length, 5)
  assert.match(svg, />T &lt;&amp;&gt; &quot;q&quot;</)
  assert.match(svg, />txn\/s \(log scale\)</)
  assert.match(svg, />θ</)
  assert.equal([...svg.matchAll(/class="legend"[^>]*>([^<]*)</g)].map((m) => m[1]), ['Acheron', 'PostgreSQL'])
  assert.throws(() => linePlot({ ...PLOT, series: [] }), /no points to plot/)
})

test("the SVG's tick labels are round and its points sit where the ticks say", () => {
  const svg = linePlot(PLOT)
  const ticks = (cls: string, coord: 'x' | 'y'): [number, number][] =>
    [...svg.matchAll(new RegExp(`class="${cls}" x="([\\d.]+)" y="([\\d.]+)"[^>]*>([^<]*)<`, 'g'))]
      .map((m) => [Number((m[3] as string).replace(/k$/, 'e3')), Number(coord === 'x' ? m[1] : m[2])])
  const xt = ticks('xtick', 'x')
  const yt = ticks('ytick', 'y')
  assert.equal(xt.map(([v]) => v), [0, 0.2, 0.4, 0.6, 0.8, 1])
  assert.equal(yt.map(([v]) => v), [200, 500, 1000, 2000, 5000])
  for (const [v] of [...xt, ...yt]) assert.ok(isRound125(v) || xt.some(([t]) => t === v), `tick ${v} is not round`)
  // The axes span the plotting area from the first tick to the last.
  assert.equal([xt[0]![1], xt.at(-1)![1]], [AREA.left, AREA.right])
  assert.equal([yt[0]![1], yt.at(-1)![1]], [AREA.bottom, AREA.top])
  const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>([^<]*)</g)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]), title: m[3] }))
  const at = (title: string): { cx: number; cy: number } => circles.find((c) => c.title === title)!
  // A point whose value is a tick lies on that tick's line; log-scale points between ticks lie in proportion.
  const y = new Map(yt)
  const x = new Map(xt)
  assert.is(at('Acheron: 0, 1000').cy, y.get(1000))
  assert.is(at('Acheron: 0, 1000').cx, x.get(0))
  assert.is(at('Acheron: 0.6, 5000').cx, x.get(0.6))
  assert.is(at('Acheron: 0.6, 5000').cy, y.get(5000))
  assert.is(at('PostgreSQL: 0.99, 200').cy, y.get(200))
  const x99 = at('Acheron: 0.99, 2000').cx
  assert.ok(Math.abs(x99 - (AREA.left + 0.99 * (AREA.right - AREA.left))) < 0.1, `x of 0.99: ${x99}`)
  // On the log axis 1000 lies halfway between 500 and 2000 (1000² = 500 × 2000).
  const mid = (y.get(500)! + y.get(2000)!) / 2
  assert.ok(Math.abs(y.get(1000)! - mid) < 0.2, `${y.get(1000)} vs ${mid}`)
})

test('the document changes only between its markers; missing or repeated markers are refused', () => {
  const doc = `# Title\n\nprose before\n${REPORT_START}\nold table\n${REPORT_END}\nprose after\n`
  const out = replaceBetweenMarkers(doc, '\nnew table\n')
  assert.is(out, `# Title\n\nprose before\n${REPORT_START}\nnew table\n${REPORT_END}\nprose after\n`)
  assert.is(replaceBetweenMarkers(out, 'new table'), out, 'a second run changes nothing')
  assert.throws(() => replaceBetweenMarkers('no markers', 'x'), /each marker once: found the start 0 times and the end 0 times/)
  assert.throws(() => replaceBetweenMarkers(doc + REPORT_START, 'x'), /found the start 2 times/)
  assert.throws(() => replaceBetweenMarkers(`${REPORT_END}\n${REPORT_START}`, 'x'), /end marker comes before/)
})

const MACHINE = { cores: 2, cpu: 'AMD EPYC', memoryGiB: 24, node: 'v20.20.2', loadavg: [2.5, 1.25, 0.5] }
const RUN1 = '2026-11-30T21:17:14.778Z'
const RUN2 = '2026-11-30T22:00:00.000Z'

function rec(system: SystemName, date: string, theta: number, txnPerSec: number, over: Record<string, unknown> = {}): SavedRecord {
  return {
    workload: 'ycsbt', system,
    settings: {
      keys: 100_000, theta, seed: 1, durationS: 3, warmupS: 1, load: system === 'sqlite' ? '1 thread, 1000/commit' : '32 × 1',
      ...(system === 'sqlite' ? { group: 1000 } : { clients: 32, inflight: 1 }),
      ...(system === 'acheron' ? { partitions: 8, workers: null, protocol: 'aria', sync: 'full' } : {}),
      ...over,
    },
    txnPerSec, p50Ms: 10, p99Ms: 30, maxMs: 40, aborts: 0, abortRate: 0, conflictAborts: 7, retries: 0, failed: 0,
    serverCores: system === 'sqlite' ? null : 1.25, clientCores: 0.3, command: `acheron bench ycsbt --theta ${theta} --peers`, machine: MACHINE, date,
  }
}

const RECORDS = [
  rec('acheron', RUN1, 0, 3000), rec('postgres', RUN1, 0, 1500), rec('sqlite', RUN1, 0, 60_000),
  rec('acheron', RUN1, 0.99, 2000), rec('postgres', RUN1, 0.99, 500), rec('sqlite', RUN1, 0.99, 50_000),
  rec('acheron', RUN2, 0, 2500, { clients: 4, load: '4 × 1' }), rec('postgres', RUN2, 0, 1000, { clients: 4, load: '4 × 1' }),
  rec('acheron', RUN2, 0, 2800, { clients: 64, load: '64 × 1' }), rec('postgres', RUN2, 0, 1200, { clients: 64, load: '64 × 1' }),
]

test("the plots take each peer's point from the run of Acheron's point where that run measured it", () => {
  // A later run measured PostgreSQL at θ 0 again (beside other Acheron settings): the θ 0 point stays the θ run's.
  const later = '2026-11-30T23:00:00.000Z'
  const svg = throughputPlot([...RECORDS, rec('acheron', later, 0, 999, { protocol: 'serial' }), rec('postgres', later, 0, 7777)])!
  const titles = [...svg.matchAll(/<title>([^<]*)</g)].map((m) => m[1])
  assert.ok(titles.includes('PostgreSQL: 0, 1500'), titles.join('; '))
  assert.not.ok(titles.includes('PostgreSQL: 0, 7777'))
  assert.not.ok(titles.includes('Acheron: 0, 999'), 'Acheron at its defaults only (default or aria protocol, default workers)')
})

test("a run's table has its command, machine and date, a row per point and the same-run ratios", () => {
  const t = runTable(RECORDS.slice(0, 6))
  assert.match(t, /^```sh\nacheron bench ycsbt --theta 0 --peers\n```\n/)
  assert.match(t, /Run 2026-11-30 21:17 UTC; 2 cores \(AMD EPYC\), 24 GiB, Node v20\.20\.2; load average 2\.50 1\.25 0\.50 \(1, 5, 15 min\) when it started; each system 3 s measured after 1 s of warm-up\./)
  const rows = t.split('\n').filter((l) => l.startsWith('| ycsbt'))
  assert.is(rows.length, 6)
  assert.is(rows[0], '| ycsbt | θ 0, 100,000 keys, aria, default workers, 8 partitions | Acheron | 32 × 1 | 3,000 | 10.00 | 30.00 | 40.00 | 0 | 7 | 0 | 0 | 1.25 + 0.30 | 2.00 | 0.050 |')
  assert.match(rows[1]!, /^\| ycsbt \| θ 0, 100,000 keys \| PostgreSQL \| 32 × 1 \| 1,500 \|.* \| 1\.25 \+ 0\.30 \|  \|  \|$/)
  assert.match(rows[2]!, /^\| ycsbt \| θ 0, 100,000 keys \| SQLite \| 1 thread, 1000\/commit \| 60,000 \|.* \| 0\.30 \|  \|  \|$/)
  assert.match(rows[3]!, /\| Acheron \| .* \| 4\.00 \| 0\.040 \|$/)
  // Without the peer in the same run: no ratio.
  assert.match(runTable([rec('acheron', RUN1, 0.6, 1000)]), /\| Acheron \| .* \| – \| – \|$/m)
})

test("the goals table judges every Acheron point with a PostgreSQL point of its own run: throughput ratio, conflicts clients saw, p99", () => {
  const records = [
    // Uniform, 6× and a lower p99: every goal met.
    rec('acheron', RUN1, 0, 6000, { }), rec('postgres', RUN1, 0, 1000),
    // Zipf 0.99 wants 10×: 8× is short; a p99 equal to PostgreSQL's is not below it.
    { ...rec('acheron', RUN1, 0.99, 8000), p99Ms: 50 }, { ...rec('postgres', RUN1, 0.99, 1000), p99Ms: 50 },
    // θ 0.6 has no throughput goal, but conflicts a client saw fail it.
    { ...rec('acheron', RUN1, 0.6, 900), retries: 3, failed: 1, p99Ms: 5 }, rec('postgres', RUN1, 0.6, 1000),
    // No PostgreSQL point in its own run (only in another run): not judged.
    rec('acheron', RUN2, 0.9, 5000), rec('postgres', RUN1, 0.9, 100),
  ].map((r) => (r.system === 'postgres' && r.p99Ms === 30 ? { ...r, p99Ms: 40 } : r))
  const t = goalsTable(records)
  assert.match(t, /^1 of 3 points meet every goal\./)
  const rows = t.split('\n').filter((l) => l.startsWith('| ycsbt'))
  assert.is(rows.length, 3)
  assert.is(rows[0], '| ycsbt | θ 0, 100,000 keys, aria, default workers, 8 partitions | 32 × 1 | 6.00× (5×) | 30.00 vs 40.00 | 0 | yes |')
  assert.match(rows[1]!, /\| 8\.00× \(10×\) \| 50\.00 vs 50\.00 \| 0 \| no: throughput 8\.00× < 10×; p99 not below \|$/)
  assert.match(rows[2]!, /\| 0\.90× \| 5\.00 vs 40\.00 \| 4 \| no: 4 conflicts seen \|$/)
  assert.match(goalsTable([rec('acheron', RUN1, 0, 1)]), /No Acheron point has a PostgreSQL point in its own run yet/)
})

test("other work's cores, measured in the window, decide whether a run shared the machine; the load average only for older records", () => {
  const quiet = RECORDS.slice(0, 3).map((r) => ({ ...r, otherCores: 0.05 }))
  const busy = RECORDS.slice(6).map((r, i) => ({ ...r, otherCores: i === 0 ? 0.9 : 0.1 }))
  // The load average when the run started (2.5 on 2 cores) is the run before it, still in the 1-minute average.
  assert.not.ok(runWasShared(quiet), 'measured quiet beats a high load average')
  assert.ok(runWasShared(busy))
  assert.ok(runWasShared(RECORDS.slice(0, 3)), 'without the measurement: the load average')
  assert.not.ok(runWasShared(RECORDS.slice(0, 3).map((r) => ({ ...r, machine: { ...MACHINE, loadavg: [1.5, 1, 1] } }))))
  assert.match(runTable(quiet), /\| 1\.25 \+ 0\.30 \(other work 0\.05\) \| 2\.00 \|/)
  const body = reportBody(quiet, { throughput: false, latency: false })
  assert.match(body, /Every run had the machine to itself/)
  assert.not.match(body, /shared the machine/)
  assert.match(reportBody([...quiet, ...busy], { throughput: false, latency: false }), /\*\*1 of the 2 runs shared the machine with other work\*\*/)
  assert.match(throughputPlot(quiet)!, /machine not shared/)
  assert.match(throughputPlot(RECORDS)!, /noisy shared machine/)
})

test('the Styx rows are marked as from the paper, beside our txn/s per busy server core and per machine core', () => {
  const t = styxTable(RECORDS)
  const ours = t.split('\n').filter((l) => l.startsWith('| Acheron'))
  assert.is(ours.length, 4)
  assert.match(ours[0]!, /\| YCSB-T θ 0, 100,000 keys, aria, default workers, 8 partitions, 4 × 1 \| 2,500 \| 1\.25 \| 2,000 \| 1,250 \(2 cores\) \| 10\.00 \|$/)
  const styx = t.split('\n').filter((l) => l.includes('Styx'))
  assert.is(styx.length, 4)
  for (const l of styx) assert.match(l, /^\| \*\*Styx, from the paper\*\* \|/)
  assert.match(t, /\| 48,000 \| 112 CPUs \| – \| 429 \|/)
  assert.match(t, /\| 6,200 \|/)
  assert.match(t, /\| 3,300 \|/)
  assert.match(t, /median latency at 2,000 txn\/s .* 19 \(median\) \|$/m)
})

test('writeReport draws both plots and rewrites only the marked part of the document', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-report-'))
  try {
    const results = join(dir, 'results.json')
    const doc = join(dir, 'benchmarks.md')
    writeFileSync(results, formatResults({ about: '', records: RECORDS }))
    writeFileSync(doc, `intro\n${REPORT_START}\nstale\n${REPORT_END}\noutro\n`)
    const written = writeReport({ results, doc, outDir: dir })
    assert.equal(written, [join(dir, THROUGHPUT_SVG), join(dir, LATENCY_SVG), doc])
    const text = readFileSync(doc, 'utf8')
    assert.ok(text.startsWith(`intro\n${REPORT_START}\nGenerated by \`npm run bench:report\``), text.slice(0, 300))
    assert.ok(text.endsWith(`${REPORT_END}\noutro\n`))
    assert.not.match(text, /stale/)
    assert.match(text, /!\[YCSB-T throughput against Zipf θ, per system\]\(bench-throughput-vs-theta\.svg\)/)
    assert.is(text.match(/^```sh$/gm)?.length, 2, 'a table per run')
    assert.match(text, /from the paper/)
    const throughput = readFileSync(join(dir, THROUGHPUT_SVG), 'utf8')
    checkWellFormed(throughput)
    assert.equal([...throughput.matchAll(/class="legend"[^>]*>([^<]*)</g)].map((m) => m[1]), ['Acheron', 'PostgreSQL', 'SQLite alone'])
    // The latency plot has the servers only, over the clients of both runs (4, 32, 64).
    const latency = readFileSync(join(dir, LATENCY_SVG), 'utf8')
    checkWellFormed(latency)
    assert.equal([...latency.matchAll(/class="legend"[^>]*>([^<]*)</g)].map((m) => m[1]), ['Acheron', 'PostgreSQL'])
    assert.equal([...latency.matchAll(/<title>Acheron: (\d+),/g)].map((m) => Number(m[1])), [4, 32, 64])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
