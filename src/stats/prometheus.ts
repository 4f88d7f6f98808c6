// GET /metrics: the metrics of SHOW STATS (metrics.ts) in Prometheus's text exposition format (version
// 0.0.4), so that a Prometheus server, or anything that scrapes it (Grafana Agent, VictoriaMetrics, the
// OpenTelemetry collector), reads them without an adapter. One sample per metric, named `acheron_` and the
// SHOW STATS name; a name ending in `_total` is a counter (it only grows while the database is open), every
// other one a gauge. The rates and latency percentiles are the server's own over its recent window
// (window_s): a scraper that wants its own windows computes rate() of the counters instead.
import { STATS_METRICS } from './metrics.js'

/** The media type of the format (what a Prometheus scrape asks for in its Accept header). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** The prefix of every metric's name. */
export const PROMETHEUS_PREFIX = 'acheron_'

const MEANINGS: ReadonlyMap<string, string> = new Map(STATS_METRICS)

/** HELP text: a backslash and a line break are the two characters the format escapes there. */
function helpText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** A sample value as the format writes it (Go's float syntax; NaN and the infinities have names). */
function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

/** `metrics`: name → value, in SHOW STATS order (GET /stats's object). */
export function prometheusText(metrics: Readonly<Record<string, number>>, version: string): string {
  const lines: string[] = [
    `# HELP ${PROMETHEUS_PREFIX}info the server's software version; always 1`,
    `# TYPE ${PROMETHEUS_PREFIX}info gauge`,
    `${PROMETHEUS_PREFIX}info{version="${version.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"} 1`,
  ]
  for (const [name, value] of Object.entries(metrics)) {
    const full = PROMETHEUS_PREFIX + name
    const meaning = MEANINGS.get(name)
    if (meaning !== undefined) lines.push(`# HELP ${full} ${helpText(meaning)}`)
    lines.push(`# TYPE ${full} ${name.endsWith('_total') ? 'counter' : 'gauge'}`)
    lines.push(`${full} ${sampleValue(value)}`)
  }
  return lines.join('\n') + '\n'
}
