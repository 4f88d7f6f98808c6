// The checker against the serial-history generator: every history a reference executor produces one
// transaction at a time (with real time consistent with that order, failed and unknown-outcome
// transactions) is valid, 10,000 of them in all; and histories mutated so that no serial order can
// explain them are reported invalid, with the kind the mutation must cause where one is certain.
//
// Replay: a failing run prints fast-check's seed and the generator options (their `seed` alone
// regenerates the history with generateSerialHistory).
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkListAppend, generateSerialHistory, rngOf, type AnomalyKind, type HistoryTxn, type ListAppendOp, type SerialHistoryOptions,
} from '../../src/testing/elle/index.js'

const VALID_RUNS = 10_000
const MUTATION_RUNS = 3_000

const percent = (min: number, max: number) => fc.integer({ min, max }).map((p) => p / 100)
const optionsRecord: fc.Arbitrary<SerialHistoryOptions> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  txns: fc.integer({ min: 0, max: 60 }),
  processes: fc.integer({ min: 1, max: 6 }),
  keysActive: fc.integer({ min: 1, max: 6 }),
  appendsPerKeyMax: fc.integer({ min: 1, max: 16 }),
  opsPerTxnMax: fc.integer({ min: 1, max: 6 }),
  readFraction: percent(0, 100),
  failRate: percent(0, 30),
  infoRate: percent(0, 30),
  infoCommitRate: percent(0, 100),
  latencyMax: fc.integer({ min: 0, max: 12 }),
  finalRead: fc.boolean(),
})
/** Mostly uniform draws; fast-check's bias towards extremes (0 reads, 1 key) for the rest. */
const optionsArb = fc.oneof({ weight: 3, arbitrary: fc.noBias(optionsRecord) }, { weight: 1, arbitrary: optionsRecord })

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = rngOf(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const describe = (h: readonly HistoryTxn[]) => JSON.stringify(h, (_k, v) => (v === Infinity ? 'Infinity' : v))

test('generated histories keep their own promises: processes, times, and the serial order explains every read', () => {
  fc.assert(
    fc.property(optionsArb, (o) => {
      const { history, serialOrder, finalLists } = generateSerialHistory(o)
      assert.is(history.length, o.txns + (o.finalRead ? 1 : 0))
      const byId = new Map(history.map((t) => [t.id, t]))
      const lastComplete = new Map<number, number>()
      for (const t of [...history].sort((a, b) => a.invoke - b.invoke)) {
        assert.ok(t.invoke <= t.complete)
        assert.ok(t.invoke > (lastComplete.get(t.process) ?? -Infinity), `process ${t.process} issues one transaction at a time`)
        lastComplete.set(t.process, t.complete)
      }
      // Real time agrees with the serial order: whatever completed before another was invoked comes first.
      const rank = new Map(serialOrder.map((id, i) => [id, i]))
      for (const x of serialOrder) for (const y of serialOrder) {
        if (byId.get(x)!.complete < byId.get(y)!.invoke) assert.ok(rank.get(x)! < rank.get(y)!)
      }
      // Replaying the serial order reproduces every committed read and the final lists.
      const lists = new Map<string, number[]>()
      for (const id of serialOrder) {
        const t = byId.get(id)!
        for (const op of t.ops) {
          const list = lists.get(op.key) ?? []
          lists.set(op.key, list)
          if (op.f === 'append') list.push(op.value)
          else if (t.type === 'ok') assert.equal(op.value ?? [], list)
        }
      }
      for (const [key, list] of finalLists) assert.equal(lists.get(key) ?? [], list)
    }),
    { numRuns: 500 },
  )
})

test(`${VALID_RUNS} serial histories: no anomalies, with and without real time, in any array order`, () => {
  fc.assert(
    fc.property(optionsArb, fc.boolean(), fc.boolean(), (o, realtime, shuffle) => {
      const { history } = generateSerialHistory(o)
      const input = shuffle ? shuffled(history, o.seed) : history
      const res = checkListAppend(input, { realtime })
      if (!res.valid) assert.unreachable(`${res.anomalies.map((a) => a.explanation).join('\n')}\n${describe(input)}`)
      assert.is(res.stats.txns, history.length)
    }),
    { numRuns: VALID_RUNS },
  )
})

test('a larger serial history (3,000 transactions, 32 clients) is valid', () => {
  const { history } = generateSerialHistory({ seed: 7, txns: 3000, processes: 32, keysActive: 64, opsPerTxnMax: 7, finalRead: true })
  const res = checkListAppend(history)
  assert.ok(res.valid, res.anomalies.slice(0, 3).map((a) => a.explanation).join('\n'))
  assert.ok(res.stats.edges > history.length)
})

// ---- mutations ----

type Mutable = { -readonly [K in keyof HistoryTxn]: HistoryTxn[K] } & { ops: ListAppendOp[] }
type ReadAt = { t: number; op: number; key: string; list: readonly number[] }

const clone = (h: readonly HistoryTxn[]): Mutable[] => h.map((t) => ({ ...t, ops: t.ops.map((op) => ({ ...op })) }))

function okReads(h: readonly HistoryTxn[], firstAccessOnly: boolean): ReadAt[] {
  const out: ReadAt[] = []
  h.forEach((txn, t) => {
    if (txn.type !== 'ok') return
    const touched = new Set<string>()
    txn.ops.forEach((op, i) => {
      const first = !touched.has(op.key)
      touched.add(op.key)
      if (op.f === 'read' && (first || !firstAccessOnly)) out.push({ t, op: i, key: op.key, list: op.value ?? [] })
    })
  })
  return out
}

const setRead = (h: Mutable[], at: ReadAt, list: readonly number[]) => {
  h[at.t]!.ops[at.op] = { f: 'read', key: at.key, value: list }
}
const appendsTo = (txn: HistoryTxn, key: string) => txn.ops.some((op) => op.f === 'append' && op.key === key)

interface Mutation {
  name: string
  /** The mutated history and the kind it must be reported with (null: only invalid), or null if it does not apply. */
  apply(h: readonly HistoryTxn[], pick: (n: number) => number): { history: Mutable[]; kind: AnomalyKind | null } | null
}

const MUTATIONS: Mutation[] = [
  {
    // Two reads of a key, the first completed before the second was invoked, trade results: the earlier
    // one now shows appends the later one misses.
    name: 'swap two reads',
    apply(h, pick) {
      const reads = okReads(h, true).filter((r) => !appendsTo(h[r.t]!, r.key))
      const pairs: [ReadAt, ReadAt][] = []
      for (const x of reads) for (const y of reads) {
        if (x.key === y.key && x.list.length !== y.list.length && h[x.t]!.complete < h[y.t]!.invoke) pairs.push([x, y])
      }
      if (pairs.length === 0) return null
      const [x, y] = pairs[pick(pairs.length)]!
      const history = clone(h)
      setRead(history, x, y.list)
      setRead(history, y, x.list)
      return { history, kind: null }
    },
  },
  {
    // A read loses a value from the middle of its prefix, while another read of the key is at least as long.
    name: 'drop an element from a read prefix',
    apply(h, pick) {
      const reads = okReads(h, false)
      const candidates = reads.filter((r) => r.list.length >= 2 && reads.some((o) => o !== r && o.key === r.key && o.list.length >= r.list.length))
      if (candidates.length === 0) return null
      const r = candidates[pick(candidates.length)]!
      const drop = pick(r.list.length - 1)
      const history = clone(h)
      setRead(history, r, r.list.filter((_, i) => i !== drop))
      return { history, kind: 'incompatible-order' }
    },
  },
  {
    name: 'a read sees an aborted append',
    apply(h, pick) {
      const aborted: { key: string; value: number }[] = []
      for (const t of h) if (t.type === 'fail') for (const op of t.ops) if (op.f === 'append') aborted.push(op)
      const reads = okReads(h, false).filter((r) => aborted.some((a) => a.key === r.key))
      if (reads.length === 0) return null
      const r = reads[pick(reads.length)]!
      const options = aborted.filter((a) => a.key === r.key)
      const history = clone(h)
      setRead(history, r, [...r.list, options[pick(options.length)]!.value])
      return { history, kind: 'G1a' }
    },
  },
  {
    name: 'an observed transaction is reported failed',
    apply(h, pick) {
      const seen = new Set(okReads(h, false).flatMap((r) => r.list))
      const writers = h.map((t, i) => [t, i] as const).filter(([t]) => t.type === 'ok' && t.ops.some((op) => op.f === 'append' && seen.has(op.value)))
      if (writers.length === 0) return null
      const [, i] = writers[pick(writers.length)]!
      const history = clone(h)
      history[i]!.type = 'fail'
      return { history, kind: 'G1a' }
    },
  },
  {
    name: 'a read repeats a value',
    apply(h, pick) {
      const reads = okReads(h, false).filter((r) => r.list.length > 0)
      if (reads.length === 0) return null
      const r = reads[pick(reads.length)]!
      const history = clone(h)
      setRead(history, r, [...r.list, r.list[pick(r.list.length)]!])
      return { history, kind: 'duplicate-append' }
    },
  },
]

test(`mutated serial histories are reported invalid (${MUTATION_RUNS} runs)`, () => {
  const applied = new Map<string, number>()
  fc.assert(
    fc.property(optionsArb, fc.integer({ min: 0, max: MUTATIONS.length - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (o, m, pickSeed) => {
      const { history } = generateSerialHistory({ ...o, txns: Math.max(o.txns, 10), finalRead: true })
      const mutation = MUTATIONS[m]!
      const rng = rngOf(pickSeed)
      const mutated = mutation.apply(history, (n) => rng.int(n))
      if (mutated === null) return
      applied.set(mutation.name, (applied.get(mutation.name) ?? 0) + 1)
      const res = checkListAppend(mutated.history)
      assert.not.ok(res.valid, `${mutation.name}: reported valid\n${describe(mutated.history)}`)
      if (mutated.kind !== null) {
        assert.ok(res.anomalies.some((a) => a.kind === mutated.kind), `${mutation.name}: expected ${mutated.kind}, got ${res.anomalies.map((a) => a.kind)}`)
      }
    }),
    { numRuns: MUTATION_RUNS },
  )
  for (const { name } of MUTATIONS) assert.ok((applied.get(name) ?? 0) >= MUTATION_RUNS / MUTATIONS.length / 4, `${name} applied ${applied.get(name) ?? 0} times`)
})

test.run()
