// Is a fresh Acheron point worse than the same point in the committed results? On this shared machine a
// run's absolute numbers move by tens of percent from one minute to the next (docs/benchmarks.md), so
// where a peer ran in both runs the check compares the Acheron/peer ratio instead, which cancels most of
// the machine's mood; only without a peer in both does it fall back to absolute numbers. The thresholds
// are wide on purpose: a warning should mean something beyond the run-to-run noise measured so far.
import { protocolWords, workersWords } from './matrix.js'
import { peerOf, pointKey, type PointRecord } from './record.js'
import type { SystemName } from './settings.js'

/** Warn when throughput (or its ratio to the peer) fell by more than this fraction. */
export const THROUGHPUT_DROP_MAX = 0.25
/** Warn when p99 latency (or its ratio to the peer's) rose by more than this fraction. */
export const P99_RISE_MAX = 0.5
/** The peers compared against, in order of preference: PostgreSQL is a server driven like Acheron. */
const YARDSTICKS: readonly SystemName[] = ['postgres', 'sqlite']

const TITLES: Record<SystemName, string> = { acheron: 'Acheron', postgres: 'PostgreSQL', sqlite: 'SQLite' }

type Dated = PointRecord & { date?: string }

export interface Regression {
  /** The point's name, as the table names it. */
  row: string
  /** What got worse, by how much, against what. */
  what: string
}

/** The point's workload and settings in words, e.g. "ycsbt θ 0.99, 32 × 1, aria, 2 workers". */
export function pointName(r: PointRecord): string {
  const s = r.settings
  const data = s.warehouses !== undefined ? `W ${s.warehouses}` : `θ ${s.theta ?? 0}`
  const acheron = r.system === 'acheron' ? `, ${protocolWords(s.protocol ?? 'aria')}, ${workersWords(s.workers ?? null)}` : ''
  return `${r.workload} ${data}, ${s.load}${acheron}`
}

const percent = (x: number): string => `${x >= 0 ? '+' : ''}${Math.round(x * 100)}%`

/**
 * The regressions of the fresh run's Acheron points against the baseline's. `fresh` is one run (its
 * peers' records included); `baseline` the committed records (each with its run's date).
 */
export function findRegressions(fresh: readonly Dated[], baseline: readonly Dated[]): Regression[] {
  const found: Regression[] = []
  for (const now of fresh) {
    if (now.system !== 'acheron') continue
    const was = baseline.find((b) => pointKey(b) === pointKey(now))
    if (was === undefined) continue
    const peer = YARDSTICKS.find((p) => peerOf(now, p, fresh) !== undefined && peerOf(was, p, baseline) !== undefined)
    const nowPeer = peer === undefined ? undefined : peerOf(now, peer, fresh)
    const wasPeer = peer === undefined ? undefined : peerOf(was, peer, baseline)
    const basis = peer === undefined ? 'absolute, no peer in both runs' : `Acheron/${TITLES[peer]}`
    const ratio = (a: number | null, p: number | null | undefined): number | null => (a === null || p === undefined || p === null || p === 0 ? null : a / p)
    // Throughput: the ratio to the peer's (or the absolute figure) fell by more than the threshold.
    const tNow = peer === undefined ? now.txnPerSec : ratio(now.txnPerSec, nowPeer?.txnPerSec)
    const tWas = peer === undefined ? was.txnPerSec : ratio(was.txnPerSec, wasPeer?.txnPerSec)
    const what: string[] = []
    if (tNow !== null && tWas !== null && tWas > 0 && tNow < tWas * (1 - THROUGHPUT_DROP_MAX)) {
      what.push(`throughput ${peer === undefined ? '' : 'ratio '}${fmt(tNow)}, was ${fmt(tWas)} (${percent(tNow / tWas - 1)}; warns below −${THROUGHPUT_DROP_MAX * 100}%)`)
    }
    // p99: the ratio to the peer's p99 (or the absolute figure) rose by more than the threshold.
    const pNow = peer === undefined ? now.p99Ms : ratio(now.p99Ms, nowPeer?.p99Ms)
    const pWas = peer === undefined ? was.p99Ms : ratio(was.p99Ms, wasPeer?.p99Ms)
    if (pNow !== null && pWas !== null && pWas > 0 && pNow > pWas * (1 + P99_RISE_MAX)) {
      what.push(`p99 ${peer === undefined ? 'ms ' : 'ratio '}${fmt(pNow)}, was ${fmt(pWas)} (${percent(pNow / pWas - 1)}; warns above +${P99_RISE_MAX * 100}%)`)
    }
    if (what.length > 0) found.push({ row: pointName(now), what: `${basis}: ${what.join('; ')} against the run of ${was.date ?? '?'}` })
  }
  return found
}

function fmt(x: number): string {
  return x >= 100 ? String(Math.round(x)) : x.toFixed(2)
}

/** The warning line printed (on stderr) for a regression. */
export function regressionLine(r: Regression): string {
  return `acheron bench: WARNING: regression at ${r.row}: ${r.what}`
}
