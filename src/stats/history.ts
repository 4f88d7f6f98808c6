// The metrics' recent past, for the browser console's plots (GET /stats/history): the server takes one
// sample a second into a fixed ring of STATS_HISTORY_SECONDS samples, so a page that opens (or reloads)
// shows the last minutes at once instead of starting empty.
//
// A sample holds cumulative counters, not rates: a reader divides the difference of two samples by the
// time actually between them, so a late tick (a busy event loop) skews nothing and a missed poll loses
// nothing. Latencies are of the replies since the previous sample.
//
// Determinism: the wall clock (Date.now) is read only to label these samples; nothing the engine decides,
// and nothing that commits, depends on it or on this module.

/** Samples kept: ten minutes at one a second. */
export const STATS_HISTORY_SECONDS = 600
export const STATS_HISTORY_INTERVAL_MS = 1000
/** A bound on the ring, so a misconfiguration cannot allocate without limit (one hour at 1 s). */
export const STATS_HISTORY_SAMPLES_MAX = 3600

/**
 * The numbers of a sample, under their JSON names: the /stats metric names where they mean the same
 * (totals since the server started, gauges as of the sample); the latencies cover the replies between
 * this sample and the previous one (0 and `latency_samples` 0 when there were none).
 */
export const HISTORY_SERIES = [
  'txns_total', 'committed_total', 'aborted_total', 'batches_total',
  'latency_p50_ms', 'latency_p99_ms', 'latency_max_ms', 'latency_samples',
  'txns_in_flight', 'requests_in_flight', 'connections',
] as const
export type HistorySeries = (typeof HISTORY_SERIES)[number]

export interface HistorySample {
  /** Unix milliseconds (wall clock). */
  readonly t: number
  readonly values: Readonly<Record<HistorySeries, number>>
  /** `aborted_total` by failure code (codes never seen are absent, i.e. 0). */
  readonly abortedByCode: Readonly<Record<string, number>>
}

/** The JSON of GET /stats/history: columns of equal length, oldest sample first (docs/console-browser.md). */
export interface HistoryJson {
  readonly interval_ms: number
  readonly samples_max: number
  readonly t: number[]
  readonly series: Record<HistorySeries, number[]>
  /** Cumulative aborts per failure code, for every code seen since the server started. */
  readonly aborted_by_code: Record<string, number[]>
}

/**
 * A ring of samples in columns of Float64Array: 8 bytes × samplesMax per column, (1 + 11) columns plus
 * one per abort code seen (at most one per stable error code, 21 today). At the default 600 samples that is
 * 57.6 KB, and at most 158 KB with every code; it never grows past that.
 */
export class StatsHistory {
  private readonly t: Float64Array
  private readonly columns: Record<HistorySeries, Float64Array>
  private readonly byCode = new Map<string, Float64Array>()
  /** Slot the next sample goes into. */
  private next = 0
  private count = 0

  constructor(readonly samplesMax: number = STATS_HISTORY_SECONDS, readonly intervalMs: number = STATS_HISTORY_INTERVAL_MS) {
    if (!Number.isInteger(samplesMax) || samplesMax < 2 || samplesMax > STATS_HISTORY_SAMPLES_MAX) {
      throw new RangeError(`a history of 2 to ${STATS_HISTORY_SAMPLES_MAX} samples, got ${samplesMax}`)
    }
    if (!(intervalMs > 0)) throw new RangeError(`a sample interval above 0 ms, got ${intervalMs}`)
    this.t = new Float64Array(samplesMax)
    this.columns = Object.fromEntries(HISTORY_SERIES.map((n) => [n, new Float64Array(samplesMax)])) as Record<HistorySeries, Float64Array>
  }

  /** Samples held (at most samplesMax). */
  get size(): number {
    return this.count
  }

  /** The newest sample's time, or null when empty. */
  get newestT(): number | null {
    return this.count === 0 ? null : (this.t[(this.next - 1 + this.samplesMax) % this.samplesMax] as number)
  }

  /** Adds a sample; when full, it replaces the oldest. */
  push(s: HistorySample): void {
    const i = this.next
    this.t[i] = s.t
    for (const n of HISTORY_SERIES) this.columns[n][i] = s.values[n]
    for (const [code, column] of this.byCode) column[i] = s.abortedByCode[code] ?? 0
    for (const code of Object.keys(s.abortedByCode)) {
      if (this.byCode.has(code)) continue
      // A code's first abort: its total was 0 in every earlier sample (totals count from the start).
      const column = new Float64Array(this.samplesMax)
      column[i] = s.abortedByCode[code] as number
      this.byCode.set(code, column)
    }
    this.next = (i + 1) % this.samplesMax
    if (this.count < this.samplesMax) this.count++
  }

  /**
   * The samples newer than `sinceMs` (all with null), oldest first. A reader whose `sinceMs` lies ahead of
   * the newest sample talked to another server or saw the clock step back: it gets everything and starts
   * over (the page does so when the first sample is not newer than what it has).
   */
  toJson(sinceMs: number | null = null): HistoryJson {
    const order: number[] = []
    const first = (this.next - this.count + this.samplesMax) % this.samplesMax
    for (let k = 0; k < this.count; k++) order.push((first + k) % this.samplesMax)
    const newest = this.newestT
    const keep = sinceMs === null || newest === null || sinceMs > newest ? order : order.filter((i) => (this.t[i] as number) > sinceMs)
    const pick = (column: Float64Array): number[] => keep.map((i) => column[i] as number)
    return {
      interval_ms: this.intervalMs,
      samples_max: this.samplesMax,
      t: pick(this.t),
      series: Object.fromEntries(HISTORY_SERIES.map((n) => [n, pick(this.columns[n])])) as Record<HistorySeries, number[]>,
      aborted_by_code: Object.fromEntries([...this.byCode].map(([code, column]) => [code, pick(column)])),
    }
  }
}

/**
 * Takes a sample every `intervalMs` into a history. Its timer is unref'd (the sampler never keeps a
 * process alive) and `stop()` clears it; a sample that throws is reported to `onError` and the next one
 * is taken as usual.
 */
export class StatsSampler {
  private timer: NodeJS.Timeout | null = null

  constructor(
    readonly history: StatsHistory,
    private readonly take: () => HistorySample,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Takes the first sample now (the baseline the next one's rates are measured from), then one per interval. */
  start(): void {
    if (this.timer !== null) return
    this.tick()
    this.timer = setInterval(() => this.tick(), this.history.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer === null) return
    clearInterval(this.timer)
    this.timer = null
  }

  get running(): boolean {
    return this.timer !== null
  }

  /** Whether the timer holds the event loop open (never: it is unref'd). */
  get keepsProcessAlive(): boolean {
    return this.timer?.hasRef() ?? false
  }

  private tick(): void {
    try {
      this.history.push(this.take())
    } catch (err) {
      this.onError(err)
    }
  }
}
