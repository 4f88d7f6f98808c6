// GET /metrics: the metrics of SHOW STATS (metrics.ts) in Prometheus's text exposition format (version
// 0.0.4), so that a Prometheus server, or anything that scrapes it (Grafana Agent, VictoriaMetrics, the
// OpenTelemetry collector), reads them without an adapter. One sample per metric, named `acheron_` and the
// SHOW STATS name; a name ending in `_total` is a counter (it only grows while the database is open), every
// other one a gauge. The rates and latency percentiles are the server's own over its recent window
// (window_s): a scraper that wants its own windows computes rate() of the counters instead. Beside them,
// `acheron_latency_seconds` is a histogram of every transaction's latency since open, which sums across
// servers and gives quantiles over any window (histogram_quantile of its rate).
import { bucketUpperUs, HISTOGRAM_BUCKETS } from './histogram.js'
import { STATS_METRICS, type LatencyTotals } from './metrics.js'

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

/**
 * The bounds (seconds) of the latency histogram's buckets: 0.5 ms to 10 s, three a decade, as Prometheus's
 * client libraries space them. A latency counts in the first bucket whose bound is at least the upper end of
 * the fine bucket it was recorded in (histogram.ts: at most 1/32 above it), so a latency within 3% below a
 * bound may count in the next bucket.
 */
export const LATENCY_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

function latencyHistogramLines(latency: LatencyTotals): string[] {
  const name = `${PROMETHEUS_PREFIX}latency_seconds`
  const lines = [
    `# HELP ${name} latency of every transaction since open, submit to outcome`,
    `# TYPE ${name} histogram`,
  ]
  const counts = latency.histogram.counts
  let i = 0
  let cumulative = 0
  for (const bound of LATENCY_BUCKETS_S) {
    const boundUs = bound * 1e6
    for (; i < HISTOGRAM_BUCKETS && bucketUpperUs(i) <= boundUs; i++) cumulative += counts[i] as number
    lines.push(`${name}_bucket{le="${bound}"} ${cumulative}`)
  }
  lines.push(`${name}_bucket{le="+Inf"} ${latency.histogram.count}`)
  lines.push(`${name}_sum ${sampleValue(latency.sumMs / 1000)}`)
  lines.push(`${name}_count ${latency.histogram.count}`)
  return lines
}

/**
 * `metrics`: name → value, in SHOW STATS order (GET /stats's object); `latency`: the histogram since open
 * (none: no histogram).
 */
export function prometheusText(metrics: Readonly<Record<string, number>>, version: string, latency?: LatencyTotals): string {
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
  if (latency !== undefined) lines.push(...latencyHistogramLines(latency))
  return lines.join('\n') + '\n'
}
