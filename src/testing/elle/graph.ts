/**
 * The dependency graph over transactions (nodes are indices into the history array). Edges are kept in
 * flat typed arrays, each with the evidence that explains it, then frozen into adjacency lists (CSR) with
 * duplicate (from, to, type) edges dropped, so a 10^5-transaction history stays a few megabytes.
 */

/** T1 appended the element just before T2's in a key's version order. */
export const WW = 1
/** T2 read a list whose last element (by another transaction) T1 appended. */
export const WR = 2
/** T1 read a version of a key that T2's append follows (an anti-dependency). */
export const RW = 4
/** T1 completed before T2 was invoked (real time). */
export const RT = 8
export const ALL_EDGES = WW | WR | RW | RT
export type EdgeType = typeof WW | typeof WR | typeof RW | typeof RT

/** Edge flag: the target's append was never read, so it was placed after the whole known order. */
export const UNOBSERVED = 1

export interface DepGraph {
  readonly nodeCount: number
  /** Edges left after dropping duplicate (from, to, type) triples. */
  readonly edgeCount: number
  /** Out-edges of u are adj[start[u]] … adj[start[u + 1] - 1], as edge ids. */
  readonly start: Int32Array
  readonly adj: Int32Array
  readonly from: Int32Array
  readonly to: Int32Array
  readonly type: Uint8Array
  /** Per edge: key id (-1 for rt); read id (the reader's read for wr and rw, else -1); values; UNOBSERVED flag. */
  readonly key: Int32Array
  readonly read: Int32Array
  /** ww: value appended by from; wr: value appended by from; rw: value appended by to. */
  readonly v1: Float64Array
  /** ww: value appended by to. */
  readonly v2: Float64Array
  readonly flags: Uint8Array
}

export class GraphBuilder {
  private count = 0
  private from: Int32Array
  private to: Int32Array
  private type: Uint8Array
  private key: Int32Array
  private read: Int32Array
  private v1: Float64Array
  private v2: Float64Array
  private flags: Uint8Array

  /** `edgesExpected` sizes the arrays up front (they double past it). */
  constructor(readonly nodeCount: number, edgesExpected = 1024) {
    const c = Math.max(16, edgesExpected)
    this.from = new Int32Array(c)
    this.to = new Int32Array(c)
    this.type = new Uint8Array(c)
    this.key = new Int32Array(c)
    this.read = new Int32Array(c)
    this.v1 = new Float64Array(c)
    this.v2 = new Float64Array(c)
    this.flags = new Uint8Array(c)
  }

  /** Adds from → to; self-edges say nothing about order and are dropped. */
  add(from: number, to: number, type: EdgeType, key = -1, read = -1, v1 = NaN, v2 = NaN, flags = 0): void {
    if (from === to) return
    if (from < 0 || to < 0 || from >= this.nodeCount || to >= this.nodeCount) throw new Error(`elle: edge ${from} → ${to} outside the graph`)
    if (this.count === this.from.length) this.grow()
    const e = this.count++
    this.from[e] = from
    this.to[e] = to
    this.type[e] = type
    this.key[e] = key
    this.read[e] = read
    this.v1[e] = v1
    this.v2[e] = v2
    this.flags[e] = flags
  }

  build(): DepGraph {
    const n = this.nodeCount
    const m = this.count
    const bucketStart = new Int32Array(n + 1)
    for (let e = 0; e < m; e++) bucketStart[this.from[e]! + 1]!++
    for (let u = 0; u < n; u++) bucketStart[u + 1]! += bucketStart[u]!
    const cursor = bucketStart.slice(0, n)
    const bucket = new Int32Array(m)
    for (let e = 0; e < m; e++) bucket[cursor[this.from[e]!]!++] = e
    // mark[to * 4 + log2(type)] === u + 1: u already has that edge; the first one found keeps its evidence.
    const mark = new Int32Array(n * 4)
    const adj = new Int32Array(m)
    const start = new Int32Array(n + 1)
    let kept = 0
    for (let u = 0; u < n; u++) {
      start[u] = kept
      for (let i = bucketStart[u]!; i < bucketStart[u + 1]!; i++) {
        const e = bucket[i]!
        const slot = this.to[e]! * 4 + (31 - Math.clz32(this.type[e]!))
        if (mark[slot] === u + 1) continue
        mark[slot] = u + 1
        adj[kept++] = e
      }
    }
    start[n] = kept
    return {
      nodeCount: n, edgeCount: kept, start, adj: adj.subarray(0, kept),
      from: this.from, to: this.to, type: this.type, key: this.key, read: this.read, v1: this.v1, v2: this.v2, flags: this.flags,
    }
  }

  private grow(): void {
    const size = this.from.length * 2
    const widen = <A extends Int32Array | Uint8Array | Float64Array>(a: A, make: (n: number) => A): A => {
      const b = make(size)
      b.set(a)
      return b
    }
    this.from = widen(this.from, (k) => new Int32Array(k))
    this.to = widen(this.to, (k) => new Int32Array(k))
    this.type = widen(this.type, (k) => new Uint8Array(k))
    this.key = widen(this.key, (k) => new Int32Array(k))
    this.read = widen(this.read, (k) => new Int32Array(k))
    this.v1 = widen(this.v1, (k) => new Float64Array(k))
    this.v2 = widen(this.v2, (k) => new Float64Array(k))
    this.flags = widen(this.flags, (k) => new Uint8Array(k))
  }
}

/** The edge from u to v of the most preferred type in `mask` (ww, then wr, then rt, then rw), or -1. */
export function bestEdge(g: DepGraph, u: number, v: number, mask: number): number {
  let best = -1
  let bestRank = 99
  for (let i = g.start[u]!; i < g.start[u + 1]!; i++) {
    const e = g.adj[i]!
    if (g.to[e] !== v || (g.type[e]! & mask) === 0) continue
    const rank = PREFERENCE.indexOf(g.type[e]! as EdgeType)
    if (rank < bestRank) {
      best = e
      bestRank = rank
    }
  }
  return best
}

/** Weakest-anomaly first: a cycle is classified by the edges it must use. */
const PREFERENCE: readonly EdgeType[] = [WW, WR, RT, RW]
