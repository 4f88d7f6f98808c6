// The health and metrics view of one database (SHOW STATS, GET /stats): the engine's cumulative counters,
// rates and latency percentiles over a recent window (window.ts), and gauges of what is in flight. Metric
// names are stable and documented in docs/sql.md; add new ones, never rename.
import { LatencyHistogram } from './histogram.js'
import type { HistorySample } from './history.js'
import { StatsWindow, type EngineCounters, type WindowOptions } from './window.js'

/** Gauges only a server knows; 0 for an embedded database. */
export interface ServerGauges {
  readonly connections: number
  readonly requestsInFlight: number
}

export const NO_SERVER: ServerGauges = { connections: 0, requestsInFlight: 0 }

/** Every metric, in the order SHOW STATS lists them, with its meaning (docs/sql.md repeats this table). */
export const STATS_METRICS = [
  ['uptime_s', 'seconds since the database was opened'],
  ['window_s', 'seconds the rates and latencies below cover (the last 10 s; less just after start)'],
  ['txns_per_s', 'transactions that ran (committed or rolled back) per second'],
  ['committed_per_s', 'committed transactions per second'],
  ['aborted_per_s', 'transactions that ran and rolled themselves back (TXN_ABORTED, WASM_TRAP, ...) per second'],
  ['batches_per_s', 'batches made durable per second'],
  ['batch_size_mean', 'transactions per batch'],
  ['fallback_share', 'fraction of the transactions that the fallback executed again (0 to 1)'],
  ['latency_p50_ms', 'median latency, submit to outcome, in milliseconds'],
  ['latency_p95_ms', '95th percentile latency'],
  ['latency_p99_ms', '99th percentile latency'],
  ['latency_max_ms', 'largest latency'],
  ['latency_samples', 'outcomes the latencies are computed from'],
  ['txns_in_flight', 'transactions submitted and not yet answered'],
  ['connections', 'open WebSocket connections (server only)'],
  ['requests_in_flight', 'wire requests received and not yet answered (server only)'],
  ['txns_total', 'transactions that ran since open'],
  ['committed_total', 'committed transactions since open'],
  ['aborted_total', 'transactions that failed since open: rolled back, or a read or DDL statement that failed (as PostgreSQL counts xact_rollback)'],
  ['aborted_txn_aborted_total', 'of those, rolled back by their function (TXN_ABORTED)'],
  ['aborted_wasm_trap_total', 'of those, by a WebAssembly trap (WASM_TRAP)'],
  ['aborted_out_of_fuel_total', 'of those, out of fuel (OUT_OF_FUEL)'],
  ['aborted_memory_limit_total', 'of those, over their memory limit (MEMORY_LIMIT)'],
  ['aborted_call_depth_total', 'of those, over the call depth (CALL_DEPTH_EXCEEDED)'],
  ['aborted_constraint_total', 'of those, by a constraint: NOT NULL, a key column changed, CREATE of a name that exists (CONSTRAINT)'],
  ['aborted_duplicate_key_total', 'of those, by an INSERT of a key that exists (DUPLICATE_KEY)'],
  ['aborted_other_total', 'of those, for any other reason (an unknown table or column at execution, a refused EXPLAIN COMMIT, ...)'],
  ['batches_total', 'batches since open'],
  ['fallback_txns_total', 'fallback re-executions since open'],
  ['contended_batches_total', 'batches walked serially, without phase 1, because they were contended (aria, calvin) since open'],
  ['last_batch', 'number of the last durable batch'],
  ['reads_total', 'read-only transactions answered at a position, outside any batch, since open'],
  ['checkpoint_batch', 'the last batch the durable checkpoint holds (the log after it is what recovery replays)'],
  ['dirty_writes', 'row writes released and in no durable checkpoint yet (bounded; past the bound, batches wait)'],
  ['replayed_batches', 'batches replayed from the log when the database was opened'],
] as const

export type MetricName = (typeof STATS_METRICS)[number][0]

/** The latencies, submit to outcome, of every transaction since open: GET /metrics's histogram. */
export interface LatencyTotals {
  readonly histogram: LatencyHistogram
  readonly sumMs: number
}
export type StatsRow = readonly [MetricName, number]

/** The engine's gauges of its log and checkpoints (a subset of EngineStats). */
export interface DurabilityCounters {
  /** Batches a protocol walked serially because they were contended (EngineStats.contendedBatches). */
  readonly contendedBatches: number
  readonly reads: number
  readonly checkpointBatch: number
  readonly dirtyWrites: number
  readonly replayedBatches: number
}

/** The engine's rollbacks by failure code (EngineStats.rolledBackByCode). */
export interface AbortCounters {
  readonly rolledBackByCode: Readonly<Partial<Record<string, number>>>
}

/** What the metrics read from the engine. */
export interface StatsSource {
  readonly counters: EngineCounters & Partial<DurabilityCounters> & Partial<AbortCounters>
  lastBatch(): number
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

/**
 * Counts the transactions of one database: call `begin()` at submit and `end(t0)` at its outcome (`abandon()`
 * when the submit failed without an outcome). Cheap enough for every transaction.
 */
export class DatabaseStats {
  readonly window: StatsWindow
  private readonly now: () => number
  private readonly openedMs: number
  private inFlight = 0
  /** Latencies since the last history sample; null until the first sample asks (an embedded database never does). */
  private sinceSample: LatencyHistogram | null = null
  /** Every latency since open, and their sum (GET /metrics's histogram). */
  private readonly sinceOpen = new LatencyHistogram()
  private sinceOpenSumMs = 0

  constructor(private readonly source: StatsSource, options: WindowOptions = {}) {
    this.now = options.now ?? (() => performance.now())
    this.window = new StatsWindow({ ...options, now: this.now })
    this.openedMs = this.now()
    this.window.observe(source.counters)
  }

  begin(): number {
    this.inFlight++
    return this.now()
  }

  end(startedMs: number): void {
    this.inFlight--
    const t = this.now()
    this.window.observe(this.source.counters, t)
    this.window.recordLatency(t - startedMs, t)
    this.sinceSample?.record(t - startedMs)
    this.sinceOpen.record(t - startedMs)
    this.sinceOpenSumMs += t - startedMs
  }

  /** Every latency since open (a copy of the histogram's counts: the caller may keep it), and their sum. */
  latencySinceOpen(): LatencyTotals {
    const copy = new LatencyHistogram()
    copy.add(this.sinceOpen)
    return { histogram: copy, sumMs: this.sinceOpenSumMs }
  }

  abandon(): void {
    this.inFlight--
  }

  /** One row per metric, in STATS_METRICS order. */
  rows(server: ServerGauges = NO_SERVER): StatsRow[] {
    this.window.observe(this.source.counters)
    const w = this.window.snapshot()
    const c = this.source.counters
    const values: Record<MetricName, number> = {
      uptime_s: Math.floor((this.now() - this.openedMs) / 1000),
      window_s: round3(w.seconds),
      txns_per_s: round3(w.txnsPerS),
      committed_per_s: round3(w.committedPerS),
      aborted_per_s: round3(w.abortedPerS),
      batches_per_s: round3(w.batchesPerS),
      batch_size_mean: round3(w.batchSizeMean),
      fallback_share: round3(w.fallbackShare),
      latency_p50_ms: w.latencyP50Ms,
      latency_p95_ms: w.latencyP95Ms,
      latency_p99_ms: w.latencyP99Ms,
      latency_max_ms: w.latencyMaxMs,
      latency_samples: w.replies,
      txns_in_flight: this.inFlight,
      connections: server.connections,
      requests_in_flight: server.requestsInFlight,
      txns_total: c.txns,
      committed_total: c.committed,
      aborted_total: c.rolledBack,
      ...abortsByCode(c.rolledBack, c.rolledBackByCode ?? {}),
      batches_total: c.batches,
      fallback_txns_total: c.fallbackTxns,
      contended_batches_total: c.contendedBatches ?? 0,
      last_batch: this.source.lastBatch(),
      reads_total: c.reads ?? 0,
      checkpoint_batch: c.checkpointBatch ?? 0,
      dirty_writes: c.dirtyWrites ?? 0,
      replayed_batches: c.replayedBatches ?? 0,
    }
    return STATS_METRICS.map(([name]) => [name, values[name]] as const)
  }

  /**
   * One sample for the server's history (history.ts), labelled `tUnixMs`: the totals and gauges as of now,
   * and the latencies of the replies since the previous sample (the first sample starts counting them).
   */
  sample(tUnixMs: number, server: ServerGauges = NO_SERVER): HistorySample {
    const c = this.source.counters
    const latency = this.sinceSample ?? (this.sinceSample = new LatencyHistogram())
    const values = {
      txns_total: c.txns,
      committed_total: c.committed,
      aborted_total: c.rolledBack,
      batches_total: c.batches,
      latency_p50_ms: latency.quantileMs(0.5),
      latency_p99_ms: latency.quantileMs(0.99),
      latency_max_ms: latency.maxMs,
      latency_samples: latency.count,
      txns_in_flight: this.inFlight,
      requests_in_flight: server.requestsInFlight,
      connections: server.connections,
    }
    latency.clear()
    const byCode: Record<string, number> = {}
    for (const [code, n] of Object.entries(c.rolledBackByCode ?? {})) if (n !== undefined && n > 0) byCode[code] = n
    return { t: tUnixMs, values, abortedByCode: byCode }
  }
}

/** The codes a rolled-back transaction most often carries, each with its own metric. */
const ABORT_CODE_METRICS = {
  TXN_ABORTED: 'aborted_txn_aborted_total',
  WASM_TRAP: 'aborted_wasm_trap_total',
  OUT_OF_FUEL: 'aborted_out_of_fuel_total',
  MEMORY_LIMIT: 'aborted_memory_limit_total',
  CALL_DEPTH_EXCEEDED: 'aborted_call_depth_total',
  CONSTRAINT: 'aborted_constraint_total',
  DUPLICATE_KEY: 'aborted_duplicate_key_total',
} as const satisfies Record<string, MetricName>

type AbortMetric = (typeof ABORT_CODE_METRICS)[keyof typeof ABORT_CODE_METRICS] | 'aborted_other_total'

/** aborted_total broken down by code; whatever no named code counts is `aborted_other_total`. */
function abortsByCode(total: number, byCode: Readonly<Partial<Record<string, number>>>): Record<AbortMetric, number> {
  const out = { aborted_other_total: total } as Record<AbortMetric, number>
  for (const [code, metric] of Object.entries(ABORT_CODE_METRICS)) {
    const n = byCode[code] ?? 0
    out[metric] = n
    out.aborted_other_total -= n
  }
  return out
}

/** The JSON object GET /stats answers: metric name → value. */
export function statsObject(rows: readonly StatsRow[]): Record<string, number> {
  return Object.fromEntries(rows)
}
