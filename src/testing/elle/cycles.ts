/**
 * Cycle search: Tarjan finds the strongly connected components of the whole graph; inside each, the
 * search levels are tried in order (the caller orders them from the most severe anomaly down), and the
 * first level that closes a cycle reports the shortest one it can find. A level either admits a set of
 * edge types, or admits a base set plus exactly one rw edge (for G-single: for each rw edge a → b, the
 * shortest base path from b back to a). Breadth-first search gives shortest cycles; work per level is
 * bounded, and the last level always returns a cycle, since a component has one by definition.
 */
import { RW, type DepGraph } from './graph.js'
import { SccFinder } from './scc.js'

export interface SearchLevel {
  /** Edge types the cycle may use. */
  mask: number
  /** The cycle uses edges of `mask` plus exactly one rw edge. */
  oneRw: boolean
}

/** Edge scans per level and component; past it, a level keeps what it found or gives way to the next. */
export const LEVEL_STEPS_MAX = 1_000_000
/** Start nodes tried per sub-component when looking for a shortest cycle of one level. */
export const CYCLE_STARTS_MAX = 8

/** One cycle (edge ids, each edge's target the next one's source) per non-trivial strongly connected component. */
export function findCycles(g: DepGraph, levels: readonly SearchLevel[]): { cycle: number[]; level: SearchLevel }[] {
  if (levels.length === 0) return []
  const scc = new SccFinder(g)
  const bfs = new PathFinder(g)
  const inComponent = new NodeSet(g.nodeCount)
  const inSub = new NodeSet(g.nodeCount)
  const allMask = levels.reduce((m, l) => m | l.mask | (l.oneRw ? RW : 0), 0)
  const withEdges: number[] = [] // a node without out-edges is in no cycle
  for (let u = 0; u < g.nodeCount; u++) if (g.start[u + 1]! > g.start[u]!) withEdges.push(u)
  const out: { cycle: number[]; level: SearchLevel }[] = []
  for (const component of scc.components(withEdges, () => true, allMask)) {
    inComponent.set(component)
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!
      const mustFind = i === levels.length - 1
      const cycle = level.oneRw ?
        oneRwCycle(g, bfs, component, inComponent, level.mask) :
        shortestCycle(scc, bfs, component, inComponent, inSub, level.mask, mustFind)
      if (cycle !== null) {
        out.push({ cycle, level })
        break
      }
    }
  }
  return out
}

function shortestCycle(scc: SccFinder, bfs: PathFinder, component: readonly number[], inComponent: NodeSet, inSub: NodeSet,
  mask: number, mustFind: boolean): number[] | null {
  const limit = bfs.steps + LEVEL_STEPS_MAX
  const subs = scc.components(component, inComponent.has, mask).sort((a, b) => a.length - b.length)
  let best: number[] | null = null
  for (const sub of subs) {
    inSub.set(sub)
    for (let s = 0; s < Math.min(sub.length, CYCLE_STARTS_MAX); s++) {
      if (bfs.steps >= limit && !(mustFind && best === null)) return best
      const cycle = bfs.path(sub[s]!, sub[s]!, mask, inSub.has, best === null ? Infinity : best.length - 1)
      if (cycle !== null) best = cycle
      if (best !== null && best.length === 2) return best
    }
  }
  return best
}

function oneRwCycle(g: DepGraph, bfs: PathFinder, component: readonly number[], inComponent: NodeSet, mask: number): number[] | null {
  const limit = bfs.steps + LEVEL_STEPS_MAX
  let best: number[] | null = null
  for (const a of component) {
    for (let i = g.start[a]!; i < g.start[a + 1]!; i++) {
      const e = g.adj[i]!
      if (g.type[e] !== RW || !inComponent.has(g.to[e]!)) continue
      if (bfs.steps >= limit) return best
      const back = bfs.path(g.to[e]!, a, mask, inComponent.has, best === null ? Infinity : best.length - 2)
      if (back !== null) best = [e, ...back]
      if (best !== null && best.length === 2) return best
    }
  }
  return best
}

/** Membership in a node set, reset in O(1) by bumping a stamp. */
class NodeSet {
  private readonly marks: Int32Array
  private stamp = 0
  constructor(n: number) {
    this.marks = new Int32Array(n)
  }
  set(nodes: readonly number[]): void {
    this.stamp++
    for (const u of nodes) this.marks[u] = this.stamp
  }
  readonly has = (u: number): boolean => this.marks[u] === this.stamp
}

/** Breadth-first shortest paths, counting every edge scanned in `steps`. */
class PathFinder {
  steps = 0
  private readonly seen: Int32Array
  private readonly dist: Int32Array
  private readonly parent: Int32Array
  private readonly queue: Int32Array
  private stamp = 0

  constructor(private readonly g: DepGraph) {
    this.seen = new Int32Array(g.nodeCount)
    this.dist = new Int32Array(g.nodeCount)
    this.parent = new Int32Array(g.nodeCount)
    this.queue = new Int32Array(g.nodeCount)
  }

  /**
   * Edge ids of a shortest path from source to target (a cycle through source when they are equal) over
   * edges of `mask` between nodes in scope, if one of at most maxEdges edges exists.
   */
  path(source: number, target: number, mask: number, inScope: (u: number) => boolean, maxEdges: number): number[] | null {
    const { g, seen, dist, parent, queue } = this
    const stamp = ++this.stamp
    seen[source] = stamp
    dist[source] = 0
    queue[0] = source
    let head = 0
    let tail = 1
    while (head < tail) {
      const u = queue[head++]!
      if (dist[u]! + 1 > maxEdges) return null // breadth-first: every later path is at least as long
      for (let i = g.start[u]!; i < g.start[u + 1]!; i++) {
        this.steps++
        const e = g.adj[i]!
        if ((g.type[e]! & mask) === 0) continue
        const v = g.to[e]!
        if (v === target) return this.unwind(source, u, e)
        if (seen[v] === stamp || !inScope(v)) continue
        seen[v] = stamp
        dist[v] = dist[u]! + 1
        parent[v] = e
        queue[tail++] = v
      }
    }
    return null
  }

  private unwind(source: number, last: number, closing: number): number[] {
    const path = [closing]
    for (let x = last; x !== source; x = this.g.from[this.parent[x]!]!) path.push(this.parent[x]!)
    return path.reverse()
  }
}
