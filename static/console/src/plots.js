// The console's plots of GET /stats/history (docs/console-browser.md): the history kept in the page,
// per-second rates from its cumulative counters, round axis ticks, clock labels, and drawing on a canvas.
// Everything above the drawing section is pure (no DOM, no clock), so test/unit/plot-ticks.test.ts runs
// it in Node; the drawing takes its canvas and legend element as arguments and touches no globals.

// ---- the history kept in the page -----------------------------------------------------------

/** An empty history in the shape of the server's reply (docs/console-browser.md, GET /stats/history). */
export function emptyHistory() {
  return { t: [], series: {}, byCode: {} }
}

/** The newest sample's time (unix ms), or null: the `since` of the next poll. */
export function newestT(h) {
  return h.t.length === 0 ? null : h.t[h.t.length - 1]
}

/**
 * The history with a reply of /stats/history appended, keeping at most `samplesMax` samples. A reply that
 * is not newer than what the page has (another server, or the server's clock stepped back) replaces it.
 * Codes the page had not seen get 0 for its earlier samples: totals count from the server's start.
 */
export function mergeHistory(h, reply, samplesMax) {
  const t = Array.isArray(reply.t) ? reply.t : []
  const series = reply.series || {}
  const byCode = reply.aborted_by_code || {}
  const restart = t.length > 0 && h.t.length > 0 && t[0] <= h.t[h.t.length - 1]
  const base = restart ? emptyHistory() : h
  const n = base.t.length
  const out = { t: base.t.concat(t), series: {}, byCode: {} }
  const names = new Set([...Object.keys(base.series), ...Object.keys(series)])
  for (const name of names) out.series[name] = column(base.series[name], n, series[name], t.length)
  for (const code of new Set([...Object.keys(base.byCode), ...Object.keys(byCode)])) {
    out.byCode[code] = column(base.byCode[code], n, byCode[code], t.length)
  }
  const drop = out.t.length - samplesMax
  if (drop > 0) {
    out.t = out.t.slice(drop)
    for (const k of Object.keys(out.series)) out.series[k] = out.series[k].slice(drop)
    for (const k of Object.keys(out.byCode)) out.byCode[k] = out.byCode[k].slice(drop)
  }
  return out
}

/** `old` (n values, zeros when absent) followed by `added` (m values, zeros when absent). */
function column(old, n, added, m) {
  const a = Array.isArray(old) && old.length === n ? old : new Array(n).fill(0)
  const b = Array.isArray(added) && added.length === m ? added : new Array(m).fill(0)
  return a.concat(b)
}

// ---- rates ----------------------------------------------------------------------------------

/**
 * Per-second rates of a cumulative counter sampled at times `t` (ms): value i is the increase from sample
 * i-1 to i divided by the seconds actually between them. null for the first sample, where time did not
 * advance, and where the counter went down (a restarted server counts from 0 again): a gap, never a guess.
 */
export function ratesPerSecond(t, counter) {
  const out = new Array(t.length).fill(null)
  for (let i = 1; i < t.length; i++) {
    const dt = (t[i] - t[i - 1]) / 1000
    const dc = counter[i] - counter[i - 1]
    if (dt > 0 && dc >= 0 && Number.isFinite(dc)) out[i] = dc / dt
  }
  return out
}

/** Latencies of the samples with replies; null (a gap) for a second without any. */
export function latencySeries(h, name) {
  const values = h.series[name] || []
  const samples = h.series.latency_samples || []
  return values.map((v, i) => ((samples[i] ?? 0) > 0 ? v : null))
}

/**
 * Stacks series (arrays of equal length, null as 0 unless every series is null there): result k, point i
 * is the sum of series 0..k at i, the top edge of band k in a stacked plot.
 */
export function stack(seriesList) {
  const out = []
  let below = null
  for (const s of seriesList) {
    const top = s.map((v, i) => {
      const under = below === null ? null : below[i]
      if (v === null && under === null) return null
      return (v ?? 0) + (under ?? 0)
    })
    out.push(top)
    below = top
  }
  return out
}

// ---- axis ticks -----------------------------------------------------------------------------

/**
 * The smallest "nice" step — 1, 2 or 5 × 10^k — that cuts [0, max] into at most `ticksMax` intervals.
 * A max of 0 or less (nothing happened yet) is treated as 1.
 */
export function niceStep(max, ticksMax = 4) {
  const span = max > 0 && Number.isFinite(max) ? max : 1
  const raw = span / Math.max(1, ticksMax)
  const p = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) {
    const step = m * p
    if (step * ticksMax >= span * (1 - 1e-12)) return roundTo(step, p)
  }
  return 10 * p
}

/** The y axis for values up to `max`: ticks from 0 in nice steps, the last one ≥ max (the axis top). */
export function niceTicks(max, ticksMax = 4) {
  const step = niceStep(max, ticksMax)
  const span = max > 0 && Number.isFinite(max) ? max : 1
  const count = Math.max(1, Math.ceil(span / step - 1e-9))
  const ticks = []
  for (let i = 0; i <= count; i++) ticks.push(roundTo(i * step, step))
  return { step, top: ticks[ticks.length - 1], ticks }
}

/** x rounded to the decimals of `unit` (so 3 × 0.1 is 0.3, not 0.30000000000000004). */
function roundTo(x, unit) {
  const decimals = Math.max(0, -Math.floor(Math.log10(unit)) + 1)
  return Number(x.toFixed(Math.min(20, decimals)))
}

/** A tick label: 0.5, 20, 1.5k, 2M — short enough for the axis. */
export function formatTick(v) {
  const a = Math.abs(v)
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`
  if (a >= 1e3) return `${+(v / 1e3).toFixed(2)}k`
  return String(+v.toFixed(3))
}

/** A measured value for a legend: three significant digits, with k and M (12.031 → 12, 1234.5 → 1.23k). */
export function formatValue(v) {
  const a = Math.abs(v)
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`
  return a === 0 ? '0' : String(+v.toPrecision(3))
}

/** Steps of the time axis, in ms: each divides the next larger unit, so ticks fall on round clock times. */
export const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000)

/**
 * Ticks of a time axis from t0 to t1 (unix ms): the smallest step of TIME_STEPS_MS giving at most
 * `ticksMax` ticks, at multiples of it in local time (`tzOffsetMin` as Date#getTimezoneOffset gives it).
 */
export function timeTicks(t0, t1, ticksMax = 5, tzOffsetMin = 0) {
  const span = Math.max(1, t1 - t0)
  const step = TIME_STEPS_MS.find((s) => span / s <= ticksMax) ?? Math.ceil(span / ticksMax / 3_600_000) * 3_600_000
  const shift = -tzOffsetMin * 60_000
  const ticks = []
  for (let t = Math.ceil((t0 + shift) / step) * step - shift; t <= t1; t += step) ticks.push(t)
  return { step, ticks }
}

/** A clock label for a tick: HH:MM:SS, or HH:MM when the step is whole minutes; local per `tzOffsetMin`. */
export function formatClock(t, stepMs, tzOffsetMin = 0) {
  const d = new Date(t - tzOffsetMin * 60_000)
  const two = (n) => String(n).padStart(2, '0')
  const hm = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
  return stepMs % 60_000 === 0 ? hm : `${hm}:${two(d.getUTCSeconds())}`
}

/**
 * The time span a plot shows, ending at the newest sample: all the history, but at least `minMs` (a
 * fresh server's few points do not fill the width) and at most `maxMs`.
 */
export function timeWindow(t, minMs, maxMs) {
  if (t.length === 0) return null
  const end = t[t.length - 1]
  const span = Math.min(maxMs, Math.max(minMs, end - t[0]))
  return { start: end - span, end }
}

// ---- what is plotted ------------------------------------------------------------------------

/** Colours of the abort codes that a transaction can roll back with (errors.ts ROLLBACK_CODES); others grey. */
const CODE_COLORS = {
  TXN_ABORTED: '#b42318', WASM_TRAP: '#7a2e9c', OUT_OF_FUEL: '#dc6803', MEMORY_LIMIT: '#c11574',
  CALL_DEPTH_EXCEEDED: '#4e5ba6', CONSTRAINT: '#0e7090', DUPLICATE_KEY: '#3b7c0f', TYPE_MISMATCH: '#a15c07',
  UNKNOWN_FUNCTION: '#5d6b98', UNKNOWN_TABLE: '#6941c6', UNKNOWN_COLUMN: '#107569',
  // Failures that are no rollback of the transaction's own (a batch that failed whole, a refused
  // EXPLAIN COMMIT, a failed DDL) count too: each code its own colour, so the bands stay told apart.
  INTERNAL: '#101828', STORAGE_FULL: '#e31b54', POSITION_UNAVAILABLE: '#0086c9', SYNTAX_ERROR: '#66c61c',
  INVALID_WASM: '#ee46bc', WASM_IMPORT_NOT_ALLOWED: '#875bf7', UNAUTHORIZED: '#98a2b3', FORBIDDEN: '#475467',
  PAYLOAD_TOO_LARGE: '#fdb022', OVERLOADED: '#f97066', SHUTTING_DOWN: '#b692f6', DATA_DIR_IN_USE: '#2e90fa',
  // Never on the wire (open() and the client's own), listed so that every code has its own colour.
  DATABASE_CLOSED: '#344054', DATA_DIR_DAMAGED: '#93370d', DATA_DIR_UNUSABLE: '#0b4a6f',
}

export function codeColor(code) {
  return CODE_COLORS[code] ?? '#667085'
}

/**
 * The three plots' lines from the history: throughput (committed and aborted per second), aborts per
 * second by code (stacked, codes with any abort in view only, most frequent at the bottom), latency.
 */
export function plotLines(h) {
  const s = (name) => h.series[name] || new Array(h.t.length).fill(0)
  const codes = Object.keys(h.byCode)
    .map((code) => ({ code, rates: ratesPerSecond(h.t, h.byCode[code]) }))
    .map((c) => ({ ...c, sum: c.rates.reduce((a, v) => a + (v ?? 0), 0) }))
    .filter((c) => c.sum > 0)
    .sort((a, b) => b.sum - a.sum || (a.code < b.code ? -1 : 1))
  return {
    throughput: [
      { name: 'committed', color: '#2f5fd0', values: ratesPerSecond(h.t, s('committed_total')) },
      { name: 'aborted', color: '#b42318', values: ratesPerSecond(h.t, s('aborted_total')) },
    ],
    aborts: codes.map((c) => ({ name: c.code, color: codeColor(c.code), values: c.rates })),
    latency: [
      { name: 'p50', color: '#067647', values: latencySeries(h, 'latency_p50_ms') },
      { name: 'p99', color: '#dc6803', values: latencySeries(h, 'latency_p99_ms') },
    ],
  }
}

// ---- drawing (canvas and legend passed in) --------------------------------------------------

const MARGIN = { left: 44, right: 8, top: 8, bottom: 18 }

/**
 * Draws lines (or, with `stacked`, bands summing to the total) over time on a canvas: y from 0 to a nice
 * top with its ticks, x the `window` with clock ticks. Records what it drew in the canvas's data
 * attributes (`points`, `series`, `yTop`, `yTicks`, `xTicks`) for tests and for a person inspecting the page.
 */
export function drawTimePlot(canvas, { t, lines, window: span, stacked = false, tzOffsetMin = 0, ratio = 1 }) {
  const w = canvas.clientWidth || canvas.width / ratio
  const h = canvas.clientHeight || canvas.height / ratio
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio)
  if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio)
  const g = canvas.getContext('2d')
  g.setTransform(ratio, 0, 0, ratio, 0, 0)
  g.clearRect(0, 0, w, h)
  const pw = w - MARGIN.left - MARGIN.right
  const ph = h - MARGIN.top - MARGIN.bottom
  const tops = stacked ? stack(lines.map((l) => l.values)) : lines.map((l) => l.values)
  const inView = (i) => span !== null && t[i] >= span.start
  let max = 0
  for (const values of tops) values.forEach((v, i) => { if (v !== null && inView(i) && v > max) max = v })
  const y = niceTicks(max, 4)
  const xOf = (ti) => MARGIN.left + (span === null ? 0 : ((ti - span.start) / Math.max(1, span.end - span.start)) * pw)
  const yOf = (v) => MARGIN.top + ph - (Math.min(v, y.top) / y.top) * ph

  g.font = '10px system-ui, sans-serif'
  g.lineWidth = 1
  g.textBaseline = 'middle'
  for (const v of y.ticks) {
    const py = Math.round(yOf(v)) + 0.5
    g.strokeStyle = '#e4e7ec'
    g.beginPath(); g.moveTo(MARGIN.left, py); g.lineTo(MARGIN.left + pw, py); g.stroke()
    g.fillStyle = '#667085'
    g.textAlign = 'right'
    g.fillText(formatTick(v), MARGIN.left - 4, py)
  }
  const xLabels = []
  if (span !== null) {
    const x = timeTicks(span.start, span.end, Math.max(2, Math.floor(pw / 70)), tzOffsetMin)
    g.textAlign = 'center'
    g.textBaseline = 'top'
    for (const tick of x.ticks) {
      const px = Math.round(xOf(tick)) + 0.5
      g.strokeStyle = '#eef0f3'
      g.beginPath(); g.moveTo(px, MARGIN.top); g.lineTo(px, MARGIN.top + ph); g.stroke()
      g.fillStyle = '#667085'
      const label = formatClock(tick, x.step, tzOffsetMin)
      // Centred under its tick, but never past the canvas's edges (the last label was cut off).
      const half = g.measureText(label).width / 2
      g.fillText(label, Math.min(Math.max(px, half), w - half), MARGIN.top + ph + 4)
      xLabels.push(label)
    }
  }

  g.save()
  g.beginPath(); g.rect(MARGIN.left, MARGIN.top, pw, ph); g.clip()
  // Stacked bands draw from the top band down, each filled to the axis, so each shows its own share.
  const order = stacked ? [...lines.keys()].reverse() : [...lines.keys()]
  for (const k of order) {
    const line = lines[k]
    const values = tops[k]
    g.strokeStyle = line.color
    g.fillStyle = line.color
    g.lineWidth = 1.5
    for (const run of runs(values)) {
      g.beginPath()
      if (stacked) {
        // A rate covers the interval since the previous sample: a band is a step over each interval.
        const from = (i) => xOf(i > 0 ? t[i - 1] : t[i])
        g.moveTo(from(run[0]), yOf(0))
        for (const i of run) { g.lineTo(from(i), yOf(values[i])); g.lineTo(xOf(t[i]), yOf(values[i])) }
        g.lineTo(xOf(t[run[run.length - 1]]), yOf(0))
        g.closePath()
        g.fill()
        continue
      }
      run.forEach((i, j) => { const px = xOf(t[i]), py = yOf(values[i]); if (j === 0) g.moveTo(px, py); else g.lineTo(px, py) })
      if (run.length === 1) {
        g.fillRect(xOf(t[run[0]]) - 1.5, yOf(values[run[0]]) - 1.5, 3, 3)
      } else g.stroke()
    }
  }
  g.restore()
  g.strokeStyle = '#d9dde5'
  g.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, pw - 1, ph - 1)

  canvas.dataset.points = String(t.length)
  canvas.dataset.series = lines.map((l) => l.name).join(',')
  canvas.dataset.yTop = String(y.top)
  canvas.dataset.yTicks = y.ticks.map(formatTick).join(' ')
  canvas.dataset.xTicks = xLabels.join(' ')
}

/** Index runs of non-null values (a null is a gap in the line). */
function runs(values) {
  const out = []
  let cur = []
  values.forEach((v, i) => {
    if (v === null) { if (cur.length > 0) out.push(cur); cur = [] } else cur.push(i)
  })
  if (cur.length > 0) out.push(cur)
  return out
}

/**
 * Fills a legend element: one entry per line with its colour, name and latest value (`unit` after it);
 * `empty` when there are no lines. Colours are set through the CSSOM (allowed by the page's CSP).
 */
export function renderLegend(legend, lines, unit, empty = '') {
  const doc = legend.ownerDocument
  legend.replaceChildren()
  if (lines.length === 0 && empty !== '') {
    const li = doc.createElement('li')
    li.className = 'empty'
    li.textContent = empty
    legend.appendChild(li)
  }
  for (const line of lines) {
    const li = doc.createElement('li')
    li.dataset.series = line.name
    const swatch = doc.createElement('span')
    swatch.className = 'swatch'
    swatch.style.backgroundColor = line.color
    const last = [...line.values].reverse().find((v) => v !== null)
    li.append(swatch, `${line.name} ${last === undefined ? '–' : formatValue(last)}${unit}`)
    legend.appendChild(li)
  }
}
