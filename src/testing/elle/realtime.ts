/**
 * Real-time edges: T1 < T2 whenever T1 completed before T2 was invoked. All such pairs are O(n²); for
 * cycles only reachability matters, so, as Elle does, a sweep over invocations and completions in time
 * order links each invoked transaction to the frontier: completed transactions not yet followed by a
 * completed successor. When a transaction completes, it replaces in the frontier every transaction it
 * was linked from, which keeps the frontier about as wide as the concurrency, and the edges O(n × width).
 */
import type { HistoryTxn } from './history.js'
import { GraphBuilder, RT } from './graph.js'

export function addRealtimeEdges(g: GraphBuilder, history: readonly HistoryTxn[], isNode: Uint8Array): void {
  const events: number[] = [] // 2t: invocation of t, 2t + 1: completion of t
  for (let t = 0; t < history.length; t++) {
    if (isNode[t] !== 1) continue
    events.push(2 * t)
    if (Number.isFinite(history[t]!.complete)) events.push(2 * t + 1)
  }
  const time = new Float64Array(2 * history.length)
  for (const ev of events) time[ev] = (ev & 1) === 0 ? history[ev >> 1]!.invoke : history[ev >> 1]!.complete
  // At equal times invocations go first: T1 < T2 needs T1.complete strictly before T2.invoke.
  // (The comparator returns small integers: a double difference would be boxed on every call.)
  events.sort((a, b) => (time[a]! < time[b]! ? -1 : time[a]! > time[b]! ? 1 : (a & 1) - (b & 1) || a - b))
  // The frontier holds completed transactions; at a completion, the ones that completed before the
  // completing transaction was invoked are exactly those it was linked from (members only ever leave).
  const frontier: number[] = [] // small (about the concurrency), so a compacted array beats a Set
  for (const ev of events) {
    const t = ev >> 1
    if ((ev & 1) === 0) {
      for (const p of frontier) g.add(p, t, RT)
      continue
    }
    const invokedAt = time[2 * t]!
    let kept = 0
    for (const p of frontier) if (time[2 * p + 1]! >= invokedAt) frontier[kept++] = p
    frontier.length = kept
    frontier.push(t)
  }
}
