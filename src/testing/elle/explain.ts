/** Human-readable fragments shared by every anomaly's explanation. */
import { UNOBSERVED, WR, WW, RW, type DepGraph } from './graph.js'
import type { Observations } from './observations.js'

/** Longest list printed in full; longer ones keep their head and tail. */
const LIST_SHOWN_MAX = 8

export const txnName = (id: number): string => `T${id}`

export function formatList(list: readonly number[]): string {
  if (list.length <= LIST_SHOWN_MAX) return `[${list.join(', ')}]`
  const head = list.slice(0, 3).join(', ')
  const tail = list.slice(-3).join(', ')
  return `[${head}, … ${list.length - 6} more …, ${tail}]`
}

export function formatTime(t: number): string {
  return Number.isFinite(t) ? String(t) : 'never'
}

/** One edge of a cycle as "Ta < Tb (why)". */
export function describeEdge(g: DepGraph, e: number, obs: Observations): string {
  const from = obs.history[g.from[e]!]!
  const to = obs.history[g.to[e]!]!
  const a = txnName(from.id)
  const b = txnName(to.id)
  const key = g.key[e]! >= 0 ? obs.keys[g.key[e]!]!.name : ''
  const read = g.read[e]! >= 0 ? formatList(obs.reads[g.read[e]!]!.list) : ''
  const unobserved = (g.flags[e]! & UNOBSERVED) !== 0
  switch (g.type[e]) {
    case WW:
      return unobserved ?
        `${a} < ${b} (ww on key ${key}: no read shows ${b}'s append of ${g.v2[e]}, so it follows ${g.v1[e]}, the last value read)` :
        `${a} < ${b} (ww on key ${key}: appended ${g.v2[e]} after ${g.v1[e]})`
    case WR:
      return `${a} < ${b} (wr on key ${key}: ${b} read ${read}, where ${g.v1[e]} was appended by ${a})`
    case RW:
      return unobserved ?
        `${a} < ${b} (rw on key ${key}: ${a} read ${read}; no read shows ${b}'s append of ${g.v1[e]}, so it comes later)` :
        `${a} < ${b} (rw on key ${key}: ${a} read ${read}; ${b} appended ${g.v1[e]} next)`
    default:
      return `${a} < ${b} (rt: ${a} completed at ${formatTime(from.complete)} before ${b} was invoked at ${formatTime(to.invoke)})`
  }
}
