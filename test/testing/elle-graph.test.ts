// The checker's graph machinery against brute force on small random inputs: the real-time sweep keeps
// exactly the reachability of "a completed before b was invoked", Tarjan's components match mutual
// reachability, and every cycle found is a real cycle of the admitted edge types.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findCycles } from '../../src/testing/elle/cycles.js'
import { ALL_EDGES, GraphBuilder, RT, RW, WR, WW, type DepGraph, type EdgeType } from '../../src/testing/elle/graph.js'
import type { HistoryTxn } from '../../src/testing/elle/history.js'
import { addRealtimeEdges } from '../../src/testing/elle/realtime.js'
import { SccFinder } from '../../src/testing/elle/scc.js'
import { searchPlan } from '../../src/testing/elle/classify.js'

/** reach[u][v]: v is reachable from u by one or more edges of `mask`. */
function closure(g: DepGraph, mask: number): boolean[][] {
  const n = g.nodeCount
  const reach = Array.from({ length: n }, () => new Array<boolean>(n).fill(false))
  for (let s = 0; s < n; s++) {
    const stack = [s]
    while (stack.length > 0) {
      const u = stack.pop()!
      for (let i = g.start[u]!; i < g.start[u + 1]!; i++) {
        const e = g.adj[i]!
        if ((g.type[e]! & mask) === 0) continue
        const v = g.to[e]!
        if (!reach[s]![v]) {
          reach[s]![v] = true
          stack.push(v)
        }
      }
    }
  }
  return reach
}

const intervalArb = fc.record({
  invoke: fc.integer({ min: 0, max: 30 }),
  length: fc.integer({ min: 0, max: 10 }),
  open: fc.boolean(),
  related: fc.boolean(),
})

test('real-time sweep: a reaches b exactly when a completed before b was invoked (both related)', () => {
  fc.assert(
    fc.property(fc.array(intervalArb, { maxLength: 40 }), (spans) => {
      const history: HistoryTxn[] = spans.map((s, i) => ({
        id: i, process: i, type: s.open ? 'info' : 'ok', invoke: s.invoke, complete: s.open ? Infinity : s.invoke + s.length, ops: [],
      }))
      const isNode = Uint8Array.from(spans, (s) => (s.related ? 1 : 0))
      const b = new GraphBuilder(history.length)
      addRealtimeEdges(b, history, isNode)
      const g = b.build()
      const reach = closure(g, RT)
      for (let u = 0; u < history.length; u++) {
        for (let v = 0; v < history.length; v++) {
          const expected = isNode[u] === 1 && isNode[v] === 1 && history[u]!.complete < history[v]!.invoke
          assert.is(reach[u]![v], expected, `T${u} [${history[u]!.invoke}, ${history[u]!.complete}] → T${v} [${history[v]!.invoke}, ${history[v]!.complete}]`)
        }
      }
    }),
    { numRuns: 300 },
  )
})

test('real-time edges stay linear: about one per transaction per concurrent client, not n²', () => {
  for (const clients of [1, 4, 16]) {
    const n = 20_000
    // Each client runs back to back; clients are staggered so they overlap.
    const history: HistoryTxn[] = Array.from({ length: n }, (_, i) => {
      const c = i % clients
      const round = Math.floor(i / clients)
      return { id: i, process: c, type: 'ok', invoke: round * 10 + c, complete: round * 10 + c + 9, ops: [] }
    })
    const b = new GraphBuilder(n)
    addRealtimeEdges(b, history, new Uint8Array(n).fill(1))
    const edges = b.build().edgeCount
    assert.ok(edges <= (clients + 1) * n, `${clients} clients: ${edges} rt edges for ${n} transactions`)
  }
})

const edgeArb = (n: number) => fc.record({
  from: fc.integer({ min: 0, max: n - 1 }),
  to: fc.integer({ min: 0, max: n - 1 }),
  type: fc.constantFrom<EdgeType>(WW, WR, RW, RT),
})
const graphArb = fc.integer({ min: 1, max: 14 }).chain((n) => fc.tuple(fc.constant(n), fc.array(edgeArb(n), { maxLength: 3 * n })))

function buildGraph(n: number, edges: readonly { from: number; to: number; type: EdgeType }[]): DepGraph {
  const b = new GraphBuilder(n)
  for (const e of edges) b.add(e.from, e.to, e.type)
  return b.build()
}

test('Tarjan: components are exactly the classes of mutual reachability, for any edge mask', () => {
  fc.assert(
    fc.property(graphArb, fc.integer({ min: 1, max: ALL_EDGES }), ([n, edges], mask) => {
      const g = buildGraph(n, edges)
      const reach = closure(g, mask)
      const comps = new SccFinder(g).components(Array.from({ length: n }, (_, i) => i), () => true, mask)
      const compOf = new Map<number, number>()
      comps.forEach((c, i) => c.forEach((u) => compOf.set(u, i)))
      for (let u = 0; u < n; u++) {
        for (let v = 0; v < n; v++) {
          if (u === v) continue
          const mutual = reach[u]![v]! && reach[v]![u]!
          assert.is(compOf.get(u) !== undefined && compOf.get(u) === compOf.get(v), mutual, `${u} ~ ${v}`)
        }
      }
    }),
    { numRuns: 500 },
  )
})

test('cycle search: one real cycle per component, using only edges of the level that found it', () => {
  fc.assert(
    fc.property(graphArb, fc.boolean(), ([n, edges], realtime) => {
      const g = buildGraph(n, edges.filter((e) => realtime || e.type !== RT))
      const plan = searchPlan(realtime)
      const found = findCycles(g, plan)
      const comps = new SccFinder(g).components(Array.from({ length: n }, (_, i) => i), () => true, ALL_EDGES)
      assert.is(found.length, comps.length)
      for (const { cycle, level } of found) {
        assert.ok(cycle.length >= 2)
        cycle.forEach((e, i) => {
          const next = cycle[(i + 1) % cycle.length]!
          assert.is(g.to[e], g.from[next], 'consecutive edges meet')
        })
        const rw = cycle.filter((e) => g.type[e] === RW).length
        const allowed = level.mask | (level.oneRw ? RW : 0)
        assert.ok(cycle.every((e) => (g.type[e]! & allowed) !== 0))
        if (level.oneRw) assert.is(rw, 1)
        assert.is(new Set(cycle.map((e) => g.from[e])).size, cycle.length, 'a simple cycle')
      }
    }),
    { numRuns: 500 },
  )
})

test('graph builder: self-edges dropped, duplicate (from, to, type) kept once with the first evidence', () => {
  const b = new GraphBuilder(3)
  b.add(0, 0, WW)
  b.add(0, 1, WW, 7, -1, 1, 2)
  b.add(0, 1, WW, 8, -1, 3, 4)
  b.add(0, 1, WR)
  b.add(2, 1, RT)
  const g = b.build()
  assert.is(g.edgeCount, 3)
  const ww = [...g.adj].find((e) => g.type[e] === WW)!
  assert.is(g.key[ww], 7)
  assert.throws(() => b.add(0, 3, WW), /outside the graph/)
})

test.run()
