// Line plots as hand-written SVG for docs/benchmarks.md (`npm run bench:report`): one line per system,
// round axis ticks (1, 2, 5 × 10^k), a legend and axis labels. Linear or log axes: the systems' numbers
// differ by 10-50× (SQLite alone against servers), which a linear axis would flatten into the floor.

export type AxisScale = 'linear' | 'log'

export interface Series {
  name: string
  points: { x: number; y: number }[]
}

export interface PlotSpec {
  title: string
  xLabel: string
  yLabel: string
  xScale: AxisScale
  yScale: AxisScale
  series: Series[]
  /** A line under the plot: where the numbers come from. */
  note?: string
}

export const WIDTH = 640
export const HEIGHT = 400
/** The plotting area inside the margins (axis labels and ticks left and below, the legend right). */
export const AREA = { left: 70, top: 40, right: WIDTH - 150, bottom: HEIGHT - 70 }
const COLOURS = ['#c0392b', '#2471a3', '#229954', '#7d3c98', '#b9770e', '#5d6d7e']

/** 1, 2 or 5 times a power of ten: the step of round ticks about `span / count` apart. */
export function niceStep(span: number, count = 5): number {
  const raw = span / count
  const power = Math.pow(10, Math.floor(Math.log10(raw)))
  const m = raw / power
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power
}

/** Round ticks covering [min, max] on a linear axis, starting at 0 when the data are all positive. */
export function linearTicks(min: number, max: number): number[] {
  const lo = min > 0 ? 0 : min
  const hi = max > lo ? max : lo + 1
  const step = niceStep(hi - lo)
  const ticks: number[] = []
  // Integer multiples of the step, so that 0.1 + 0.2 never prints as 0.30000000000000004.
  for (let i = Math.floor(lo / step); i <= Math.ceil(hi / step); i++) ticks.push(Number((i * step).toPrecision(12)))
  return ticks
}

/** Round ticks covering [min, max] (both > 0) on a log axis: 1, 2, 5 × 10^k, or only the powers of ten over 3 decades. */
export function logTicks(min: number, max: number): number[] {
  const mantissas = Math.log10(max / min) > 3 ? [1] : [1, 2, 5]
  const all: number[] = []
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)) + 1; k++) {
    for (const m of mantissas) all.push(Number((m * Math.pow(10, k)).toPrecision(12)))
  }
  const first = all.filter((t) => t <= min).at(-1) ?? all[0] as number
  const last = all.find((t) => t >= max) ?? all.at(-1) as number
  return all.filter((t) => t >= first && t <= last)
}

/** Maps a value to a pixel between `from` and `to` over the ticks' span. */
export function scaleOf(ticks: readonly number[], kind: AxisScale, from: number, to: number): (v: number) => number {
  const lo = ticks[0] as number
  const hi = ticks.at(-1) as number
  const f = kind === 'log' ? Math.log10 : (v: number): number => v
  return (v) => from + ((f(v) - f(lo)) / (f(hi) - f(lo))) * (to - from)
}

export function tickLabel(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toPrecision(6))}k`
  return String(v)
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const px = (v: number): string => String(Math.round(v * 10) / 10)

export function linePlot(spec: PlotSpec): string {
  const points = spec.series.flatMap((s) => s.points)
  if (points.length === 0) throw new Error(`${spec.title}: no points to plot`)
  const range = (vs: number[], kind: AxisScale): number[] => {
    const usable = kind === 'log' ? vs.filter((v) => v > 0) : vs
    if (usable.length === 0) throw new Error(`${spec.title}: no positive value for a log axis`)
    const lo = Math.min(...usable)
    const hi = Math.max(...usable)
    return kind === 'log' ? logTicks(lo, hi === lo ? lo * 10 : hi) : linearTicks(lo, hi)
  }
  const xTicks = range(points.map((p) => p.x), spec.xScale)
  const yTicks = range(points.map((p) => p.y), spec.yScale)
  const x = scaleOf(xTicks, spec.xScale, AREA.left, AREA.right)
  const y = scaleOf(yTicks, spec.yScale, AREA.bottom, AREA.top)
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`)
  out.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`)
  for (const t of xTicks) {
    const at = px(x(t))
    out.push(`<line class="grid" x1="${at}" y1="${AREA.top}" x2="${at}" y2="${AREA.bottom}" stroke="#e5e5e5"/>`)
    out.push(`<text class="xtick" x="${at}" y="${AREA.bottom + 18}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`)
  }
  for (const t of yTicks) {
    const at = px(y(t))
    out.push(`<line class="grid" x1="${AREA.left}" y1="${at}" x2="${AREA.right}" y2="${at}" stroke="#e5e5e5"/>`)
    out.push(`<text class="ytick" x="${AREA.left - 8}" y="${at}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(t))}</text>`)
  }
  out.push(`<line x1="${AREA.left}" y1="${AREA.bottom}" x2="${AREA.right}" y2="${AREA.bottom}" stroke="black"/>`)
  out.push(`<line x1="${AREA.left}" y1="${AREA.top}" x2="${AREA.left}" y2="${AREA.bottom}" stroke="black"/>`)
  const log = (kind: AxisScale): string => (kind === 'log' ? ' (log scale)' : '')
  out.push(`<text x="${(AREA.left + AREA.right) / 2}" y="${AREA.bottom + 42}" text-anchor="middle">${escapeXml(spec.xLabel + log(spec.xScale))}</text>`)
  const midY = (AREA.top + AREA.bottom) / 2
  out.push(`<text x="18" y="${midY}" text-anchor="middle" transform="rotate(-90 18 ${midY})">${escapeXml(spec.yLabel + log(spec.yScale))}</text>`)
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string
    const sorted = [...s.points].sort((a, b) => a.x - b.x)
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`)
    if (sorted.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${sorted.map((p) => `${px(x(p.x))},${px(y(p.y))}`).join(' ')}"/>`)
    for (const p of sorted) out.push(`<circle cx="${px(x(p.x))}" cy="${px(y(p.y))}" r="3.5" fill="${colour}"><title>${escapeXml(`${s.name}: ${p.x}, ${p.y}`)}</title></circle>`)
    out.push('</g>')
    const ly = AREA.top + 10 + i * 20
    out.push(`<line x1="${AREA.right + 15}" y1="${ly}" x2="${AREA.right + 35}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`)
    out.push(`<text class="legend" x="${AREA.right + 40}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`)
  })
  if (spec.note !== undefined) out.push(`<text x="${AREA.left}" y="${HEIGHT - 8}" font-size="10" fill="#555">${escapeXml(spec.note)}</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}
