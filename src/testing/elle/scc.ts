/**
 * Tarjan's strongly connected components, iterative (a 10^5-transaction chain would overflow the call
 * stack), over the edges whose type is in a mask and the nodes a scope admits. Work arrays are sized to
 * the graph once and reused through a visit stamp, so searching many small components stays cheap.
 */
import type { DepGraph } from './graph.js'

export class SccFinder {
  private readonly index: Int32Array
  private readonly low: Int32Array
  private readonly seen: Int32Array
  private readonly onStack: Uint8Array
  private readonly stack: Int32Array
  private readonly callNode: Int32Array
  private readonly callEdge: Int32Array
  private stamp = 0

  constructor(private readonly g: DepGraph) {
    const n = g.nodeCount
    this.index = new Int32Array(n)
    this.low = new Int32Array(n)
    this.seen = new Int32Array(n)
    this.onStack = new Uint8Array(n)
    this.stack = new Int32Array(n)
    this.callNode = new Int32Array(n)
    this.callEdge = new Int32Array(n)
  }

  /** Components of two or more nodes among `nodes`, following only edges of `mask` between nodes `inScope` admits. */
  components(nodes: Iterable<number>, inScope: (u: number) => boolean, mask: number): number[][] {
    const { g, index, low, seen, onStack, stack, callNode, callEdge } = this
    const stamp = ++this.stamp
    const out: number[][] = []
    let counter = 0
    let stackTop = 0
    let sp = 0
    const open = (u: number) => {
      seen[u] = stamp
      index[u] = low[u] = counter++
      stack[stackTop++] = u
      onStack[u] = 1
      callNode[sp] = u
      callEdge[sp] = g.start[u]!
      sp++
    }
    for (const root of nodes) {
      if (seen[root] === stamp || !inScope(root)) continue
      open(root)
      while (sp > 0) {
        const u = callNode[sp - 1]!
        const i = callEdge[sp - 1]!
        if (i < g.start[u + 1]!) {
          callEdge[sp - 1] = i + 1
          const e = g.adj[i]!
          if ((g.type[e]! & mask) === 0) continue
          const v = g.to[e]!
          if (!inScope(v)) continue
          if (seen[v] !== stamp) open(v)
          else if (onStack[v] === 1 && index[v]! < low[u]!) low[u] = index[v]!
          continue
        }
        sp--
        if (sp > 0) {
          const parent = callNode[sp - 1]!
          if (low[u]! < low[parent]!) low[parent] = low[u]!
        }
        if (low[u] !== index[u]) continue
        const component: number[] = []
        let w: number
        do {
          w = stack[--stackTop]!
          onStack[w] = 0
          component.push(w)
        } while (w !== u)
        if (component.length > 1) out.push(component)
      }
    }
    return out
  }
}
