/**
 * checkListAppend: the whole black-box check of a list-append history. It trusts nothing but what
 * clients observed (reads, outcomes, invoke and complete times) and infers the dependency graph from
 * them; a cycle in it, or a read no serial order explains, is an anomaly.
 */
import { cycleAnomaly, searchPlan } from './classify.js'
import { findCycles } from './cycles.js'
import { addDependencyEdges } from './dependencies.js'
import { GraphBuilder } from './graph.js'
import { assertWellFormed, type Anomaly, type AnomalyKind, type CheckOptions, type CheckResult, type HistoryTxn } from './history.js'
import { internalAnomalies } from './internal.js'
import { markObservedInfo, observe } from './observations.js'
import { readAnomalies } from './read-anomalies.js'
import { addRealtimeEdges } from './realtime.js'
import { inferVersionOrders } from './version-order.js'

/** Anomalies listed per kind; past it the last one listed says how many more there were. */
export const ANOMALIES_PER_KIND_MAX = 1000

export function checkListAppend(history: readonly HistoryTxn[], options: CheckOptions = {}): CheckResult {
  const started = performance.now()
  assertWellFormed(history)
  const realtime = options.realtime ?? true
  const obs = observe(history)
  const { orders, anomalies } = inferVersionOrders(obs)
  markObservedInfo(obs, orders)
  anomalies.push(...internalAnomalies(history), ...readAnomalies(obs, orders))
  // About one ww or wr edge per append, one rw and one wr per read, and a few rt edges per transaction.
  const builder = new GraphBuilder(history.length, 2 * obs.reads.length + 8 * history.length)
  addDependencyEdges(builder, obs, orders)
  if (realtime) addRealtimeEdges(builder, history, obs.isNode)
  const graph = builder.build()
  for (const { cycle, level } of findCycles(graph, searchPlan(realtime))) anomalies.push(cycleAnomaly(graph, obs, cycle, level))
  return {
    valid: anomalies.length === 0,
    anomalies: capPerKind(anomalies),
    stats: { txns: history.length, edges: graph.edgeCount, ms: performance.now() - started },
  }
}

function capPerKind(anomalies: readonly Anomaly[]): Anomaly[] {
  const total = new Map<AnomalyKind, number>()
  for (const a of anomalies) total.set(a.kind, (total.get(a.kind) ?? 0) + 1)
  const listed = new Map<AnomalyKind, number>()
  const out: Anomaly[] = []
  for (const a of anomalies) {
    const n = (listed.get(a.kind) ?? 0) + 1
    if (n > ANOMALIES_PER_KIND_MAX) continue
    listed.set(a.kind, n)
    const more = total.get(a.kind)! - ANOMALIES_PER_KIND_MAX
    out.push(n === ANOMALIES_PER_KIND_MAX && more > 0 ? { ...a, explanation: `${a.explanation} (and ${more} more ${a.kind} not listed)` } : a)
  }
  return out
}

