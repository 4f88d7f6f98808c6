/**
 * Which cycle is which anomaly (Adya's G0, G1c, G-single, G2, plus the variants that need real-time
 * order), and the order the search tries them in: all the non-real-time classes first, from the
 * weakest edges up, since a cycle there breaks serializability itself; the real-time ones after.
 */
import type { SearchLevel } from './cycles.js'
import { bestEdge, RT, RW, WR, WW, type DepGraph } from './graph.js'
import type { Anomaly, AnomalyKind } from './history.js'
import { describeEdge, txnName } from './explain.js'
import type { Observations } from './observations.js'

export function searchPlan(realtime: boolean): SearchLevel[] {
  const plain: SearchLevel[] = [
    { mask: WW, oneRw: false }, // G0
    { mask: WW | WR, oneRw: false }, // G1c
    { mask: WW | WR, oneRw: true }, // G-single
    { mask: WW | WR | RW, oneRw: false }, // G2
  ]
  if (!realtime) return plain
  return [
    ...plain,
    { mask: WW | RT, oneRw: false }, // G0-realtime
    { mask: WW | WR | RT, oneRw: false }, // G1c-realtime
    { mask: WW | WR | RT, oneRw: true }, // G-single-realtime
    { mask: WW | WR | RW | RT, oneRw: false }, // G2-realtime
  ]
}

/** By the edges a cycle uses: any rt makes it a real-time variant; then the number of rw, then whether any wr. */
export function classifyCycle(types: readonly number[]): AnomalyKind {
  const rw = types.filter((t) => t === RW).length
  const base: 'G0' | 'G1c' | 'G-single' | 'G2' = rw >= 2 ? 'G2' : rw === 1 ? 'G-single' : types.includes(WR) ? 'G1c' : 'G0'
  return types.includes(RT) ? `${base}-realtime` : base
}

/** The anomaly for a cycle found at `level`: each step takes the weakest edge the level admits, then the cycle is classified. */
export function cycleAnomaly(g: DepGraph, obs: Observations, cycle: readonly number[], level: SearchLevel): Anomaly {
  const mask = level.mask | (level.oneRw ? RW : 0)
  const edges = cycle.map((e) => bestEdge(g, g.from[e]!, g.to[e]!, mask))
  const types = edges.map((e) => g.type[e]!)
  const kind = classifyCycle(types)
  const txns = edges.map((e) => obs.history[g.from[e]!]!.id)
  const rw = types.filter((t) => t === RW).length
  const summary = SUMMARY[kind.replace('-realtime', '') as keyof typeof SUMMARY](rw)
  const realtime = kind.endsWith('-realtime') ? ', possible only against real-time order' : ''
  return {
    kind,
    txns,
    explanation: `${summary} among ${txns.map(txnName).join(', ')}${realtime}: ${edges.map((e) => describeEdge(g, e, obs)).join(', ')}`,
  }
}

const SUMMARY = {
  'G0': () => 'a cycle of write-write (ww) dependencies',
  'G1c': () => 'a cycle of write (ww) and write-read (wr) dependencies',
  'G-single': () => 'a cycle with exactly one anti-dependency (rw)',
  'G2': (rw: number) => `a cycle with ${rw} anti-dependencies (rw)`,
}
