// The Prometheus text format of the metrics (src/stats/prometheus.ts), line by line.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LatencyHistogram } from '../../src/stats/histogram.js'
import { prometheusText } from '../../src/stats/prometheus.js'

test('one HELP, TYPE and sample per metric, in the order given; _total is a counter, the rest gauges', () => {
  const text = prometheusText({ uptime_s: 42, committed_total: 7, latency_p99_ms: 1.25 }, '0.1.0')
  assert.equal(text.split('\n'), [
    "# HELP acheron_info the server's software version; always 1",
    '# TYPE acheron_info gauge',
    'acheron_info{version="0.1.0"} 1',
    '# HELP acheron_uptime_s seconds since the database was opened',
    '# TYPE acheron_uptime_s gauge',
    'acheron_uptime_s 42',
    '# HELP acheron_committed_total committed transactions since open',
    '# TYPE acheron_committed_total counter',
    'acheron_committed_total 7',
    '# HELP acheron_latency_p99_ms 99th percentile latency',
    '# TYPE acheron_latency_p99_ms gauge',
    'acheron_latency_p99_ms 1.25',
    '',
  ])
})

test('values the format names (NaN, infinities) and a label value with quotes, backslashes and a line break are escaped', () => {
  const lines = prometheusText({ fallback_share: NaN, latency_max_ms: Infinity, window_s: -Infinity }, 'a"b\\c\nd').split('\n')
  assert.ok(lines.includes('acheron_info{version="a\\"b\\\\c\\nd"} 1'), lines[2])
  assert.ok(lines.includes('acheron_fallback_share NaN'))
  assert.ok(lines.includes('acheron_latency_max_ms +Inf'))
  assert.ok(lines.includes('acheron_window_s -Inf'))
})

test('a metric with no documented meaning still gets its TYPE and sample, without a HELP line', () => {
  const lines = prometheusText({ not_a_known_metric: 3 }, '1')
  assert.equal(lines.split('\n').slice(3), ['# TYPE acheron_not_a_known_metric gauge', 'acheron_not_a_known_metric 3', ''])
})

test('the latency histogram: cumulative buckets in seconds from 0.5 ms to 10 s, +Inf, the sum in seconds and the count', () => {
  const h = new LatencyHistogram()
  for (const ms of [0.3, 2, 40, 20_000]) h.record(ms)
  const lines = prometheusText({}, '1', { histogram: h, sumMs: 20_042.3 }).split('\n')
  const at = lines.indexOf('# TYPE acheron_latency_seconds histogram')
  assert.ok(at > 0)
  assert.equal(lines.slice(at + 1), [
    'acheron_latency_seconds_bucket{le="0.0005"} 1',
    'acheron_latency_seconds_bucket{le="0.001"} 1',
    'acheron_latency_seconds_bucket{le="0.0025"} 2',
    'acheron_latency_seconds_bucket{le="0.005"} 2',
    'acheron_latency_seconds_bucket{le="0.01"} 2',
    'acheron_latency_seconds_bucket{le="0.025"} 2',
    'acheron_latency_seconds_bucket{le="0.05"} 3',
    'acheron_latency_seconds_bucket{le="0.1"} 3',
    'acheron_latency_seconds_bucket{le="0.25"} 3',
    'acheron_latency_seconds_bucket{le="0.5"} 3',
    'acheron_latency_seconds_bucket{le="1"} 3',
    'acheron_latency_seconds_bucket{le="2.5"} 3',
    'acheron_latency_seconds_bucket{le="5"} 3',
    'acheron_latency_seconds_bucket{le="10"} 3',
    'acheron_latency_seconds_bucket{le="+Inf"} 4',
    'acheron_latency_seconds_sum 20.0423',
    'acheron_latency_seconds_count 4',
    '',
  ])
})

test.run()
