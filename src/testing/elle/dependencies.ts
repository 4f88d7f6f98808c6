/**
 * ww, wr and rw edges, from each key's inferred version order and the committed reads. Only
 * transactions the graph relates (observations.isNode) get edges; elements appended by anything else
 * (a failed transaction, nobody, several transactions) are stepped over, which keeps every edge true in
 * any serial order that explains the reads.
 */
import { GraphBuilder, RW, UNOBSERVED, WR, WW } from './graph.js'
import { forEachRun, type KeyObservations, type Observations, type ReadRef } from './observations.js'
import type { KeyOrder } from './version-order.js'

/**
 * Bound on rw edges from the readers of a key's longest version to appends no read shows, per key: the
 * product of the two can grow quadratically; past the bound the rest are left out (each edge is only
 * ever true, so a partial set loses precision, never soundness).
 */
export const UNOBSERVED_RW_EDGES_MAX = 50_000

export function addDependencyEdges(g: GraphBuilder, obs: Observations, orders: readonly KeyOrder[]): void {
  for (const o of orders) addKeyEdges(g, obs, obs.keys[o.key]!, o)
}

function addKeyEdges(g: GraphBuilder, obs: Observations, k: KeyObservations, o: KeyOrder): void {
  const { order, key } = o
  const nodeAt = new Int32Array(order.length)
  for (let i = 0; i < order.length; i++) nodeAt[i] = nodeWriter(obs, k, order[i]!)

  // ww: consecutive elements by different transactions.
  let prev = -1
  let prevValue = NaN
  for (let i = 0; i < order.length; i++) {
    const w = nodeAt[i]!
    if (w < 0) continue
    if (prev >= 0) g.add(prev, w, WW, key, -1, prevValue, order[i])
    prev = w
    prevValue = order[i]!
  }
  const lastNode = prev
  const lastNodeValue = prevValue

  // nextNode[i]: the first position >= i with a related writer, or -1.
  const nextNode = new Int32Array(order.length + 1)
  nextNode[order.length] = -1
  for (let i = order.length - 1; i >= 0; i--) nextNode[i] = nodeAt[i]! >= 0 ? i : nextNode[i + 1]!

  const unobserved = o.complete ? unobservedAppends(obs, k, o) : []
  if (lastNode >= 0) for (const u of unobserved) g.add(lastNode, u.txn, WW, key, -1, lastNodeValue, u.value, UNOBSERVED)

  let unobservedRw = 0
  for (const r of k.reads) {
    if (!r.external) continue
    addReadFrom(g, obs, k, o, nodeAt, r)
    if (r.list.length > order.length) continue // past the agreed order: what follows it is unknown
    const j = nextNode[r.list.length]!
    if (j >= 0) {
      g.add(r.txn, nodeAt[j]!, RW, key, r.id, order[j])
      continue
    }
    for (const u of unobserved) {
      if (unobservedRw >= UNOBSERVED_RW_EDGES_MAX) break
      if (u.txn === r.txn) continue
      g.add(r.txn, u.txn, RW, key, r.id, u.value, NaN, UNOBSERVED)
      unobservedRw++
    }
  }
}

/** wr: from the last other related writer the read shows; past the agreed order, from every one it shows. */
function addReadFrom(g: GraphBuilder, obs: Observations, k: KeyObservations, o: KeyOrder, nodeAt: Int32Array, r: ReadRef): void {
  const known = Math.min(r.list.length, o.order.length)
  for (let i = known - 1; i >= 0; i--) {
    const w = nodeAt[i]!
    if (w >= 0 && w !== r.txn) {
      g.add(w, r.txn, WR, o.key, r.id, o.order[i])
      break
    }
  }
  for (let i = known; i < r.list.length; i++) {
    const w = nodeWriter(obs, k, r.list[i]!)
    if (w >= 0) g.add(w, r.txn, WR, o.key, r.id, r.list[i])
  }
}

/** Related transactions' appends to the key that no read shows; each writer once, with its first such value. */
function unobservedAppends(obs: Observations, k: KeyObservations, o: KeyOrder): { txn: number; value: number }[] {
  const out: { txn: number; value: number }[] = []
  forEachRun(k, (t, first, count) => {
    if (obs.isNode[t] !== 1) return
    for (let i = first; i < first + count; i++) {
      const v = k.appendValue[i]!
      if (!o.position.has(v)) {
        out.push({ txn: t, value: v })
        return
      }
    }
  })
  return out
}

function nodeWriter(obs: Observations, k: KeyObservations, value: number): number {
  const w = k.writers.get(value)
  return w !== undefined && obs.isNode[w.txn] === 1 ? w.txn : -1
}
