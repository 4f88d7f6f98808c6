// The Elle-style checker on one minimal hand-written history per anomaly kind: each is reported as
// exactly the kinds listed (a minimal history can honestly show two, e.g. a lost update is also a
// G-single cycle), and its minimal serial counterpart, differing only in what was read, is valid.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ANOMALIES_PER_KIND_MAX, checkListAppend, type AnomalyKind, type CheckResult, type HistoryTxn, type ListAppendOp } from '../../src/testing/elle/index.js'

const a = (key: string, value: number): ListAppendOp => ({ f: 'append', key, value })
const r = (key: string, value: readonly number[] | null): ListAppendOp => ({ f: 'read', key, value })
/** A committed transaction; by default all overlap in real time (invoke 0, complete 100), so no rt edges arise. */
const ok = (id: number, ops: ListAppendOp[], invoke = 0, complete = 100): HistoryTxn => ({ id, process: id, type: 'ok', invoke, complete, ops })
const failed = (id: number, ops: ListAppendOp[]): HistoryTxn => ({ id, process: id, type: 'fail', invoke: 0, complete: 100, ops })
const info = (id: number, ops: ListAppendOp[], invoke = 0): HistoryTxn => ({ id, process: id, type: 'info', invoke, complete: Infinity, ops })

const kindsOf = (res: CheckResult): AnomalyKind[] => [...new Set(res.anomalies.map((x) => x.kind))].sort()

function expectKinds(history: HistoryTxn[], kinds: AnomalyKind[], options?: { realtime?: boolean }): CheckResult {
  const res = checkListAppend(history, options)
  assert.equal(kindsOf(res), [...kinds].sort(), res.anomalies.map((x) => x.explanation).join('\n'))
  assert.is(res.valid, kinds.length === 0)
  return res
}

const expectValid = (history: HistoryTxn[], options?: { realtime?: boolean }) => expectKinds(history, [], options)

test('G0: two transactions append to x and y in opposite orders', () => {
  const res = expectKinds([ok(1, [a('x', 1), a('y', 1)]), ok(2, [a('x', 2), a('y', 2)]), ok(3, [r('x', [1, 2]), r('y', [2, 1])])], ['G0'])
  const g0 = res.anomalies[0]!
  assert.equal([...g0.txns].sort(), [1, 2])
  assert.match(g0.explanation, /T1 < T2 \(ww on key x: appended 2 after 1\)/)
  assert.match(g0.explanation, /T2 < T1 \(ww on key y: appended 1 after 2\)/)
  // The kind is its own field: reports print `${kind}: ${explanation}` (it used to say "G0: G0: ...").
  assert.match(g0.explanation, /^a cycle of write-write \(ww\) dependencies among T1, T2/)
  expectValid([ok(1, [a('x', 1), a('y', 1)]), ok(2, [a('x', 2), a('y', 2)]), ok(3, [r('x', [1, 2]), r('y', [1, 2])])])
})

test('G1a: a committed read shows the append of a failed transaction', () => {
  const res = expectKinds([failed(1, [a('x', 1)]), ok(2, [r('x', [1])])], ['G1a'])
  assert.equal(res.anomalies[0]!.txns, [2, 1])
  assert.match(res.anomalies[0]!.explanation, /appended by T1, which failed/)
  expectValid([failed(1, [a('x', 1)]), ok(2, [r('x', [])])])
})

test('G1a: a read shows a value nobody appended', () => {
  const res = expectKinds([ok(1, [a('x', 1)]), ok(2, [r('x', [1, 9])])], ['G1a'])
  assert.match(res.anomalies[0]!.explanation, /no transaction appended 9 to x/)
})

test('G1b: a read ends in the middle of another transaction\'s appends', () => {
  // Seeing T1's first append but not its second also puts T2 both after and before T1: a G-single cycle.
  const res = expectKinds([ok(1, [a('x', 1), a('x', 2)]), ok(2, [r('x', [1])]), ok(3, [r('x', [1, 2])])], ['G1b', 'G-single'])
  assert.match(res.anomalies.find((x) => x.kind === 'G1b')!.explanation, /intermediate state/)
  expectValid([ok(1, [a('x', 1), a('x', 2)]), ok(2, [r('x', [1, 2])]), ok(3, [r('x', [1, 2])])])
})

test('G1c: each transaction reads the other\'s append', () => {
  const res = expectKinds([ok(1, [a('x', 1), r('y', [2])]), ok(2, [a('y', 2), r('x', [1])])], ['G1c'])
  assert.match(res.anomalies[0]!.explanation, /wr on key y: T1 read \[2\], where 2 was appended by T2/)
  expectValid([ok(1, [a('x', 1), r('y', [2])]), ok(2, [a('y', 2), r('x', [])])])
})

test('G-single (read skew): a reader sees one of a transaction\'s appends but not the other', () => {
  const res = expectKinds([ok(1, [a('x', 1), a('y', 2)]), ok(2, [r('x', []), r('y', [2])]), ok(3, [r('x', [1])])], ['G-single'])
  assert.match(res.anomalies[0]!.explanation, /rw on key x: T2 read \[\]; T1 appended 1 next/)
  expectValid([ok(1, [a('x', 1), a('y', 2)]), ok(2, [r('x', [1]), r('y', [2])]), ok(3, [r('x', [1])])])
})

test('G2 (write skew): each reads both keys empty and appends to a different one', () => {
  const h = (seen: number[]) => [
    ok(1, [r('x', []), r('y', []), a('x', 1)]),
    ok(2, [r('x', seen), r('y', []), a('y', 2)]),
    ok(3, [r('x', [1]), r('y', [2])]),
  ]
  const res = expectKinds(h([]), ['G2'])
  assert.match(res.anomalies[0]!.explanation, /2 anti-dependencies/)
  expectValid(h([1]))
})

test('lost-update: two transactions read the same version and both append', () => {
  const h = (second: number[]) => [ok(1, [r('x', []), a('x', 1)]), ok(2, [r('x', second), a('x', 2)]), ok(3, [r('x', [1, 2])])]
  const res = expectKinds(h([]), ['lost-update', 'G-single'])
  assert.equal([...res.anomalies.find((x) => x.kind === 'lost-update')!.txns].sort(), [1, 2])
  expectValid(h([1]))
})

test('duplicate-append: a value appended twice, or a read that repeats a value', () => {
  expectKinds([ok(1, [a('x', 1)]), ok(2, [a('x', 1)]), ok(3, [r('x', [1])])], ['duplicate-append'])
  expectKinds([ok(1, [a('x', 1), a('x', 1)])], ['duplicate-append'])
  expectKinds([ok(1, [a('x', 1)]), ok(2, [a('x', 2)]), ok(3, [r('x', [1, 2, 1])])], ['duplicate-append'])
  expectValid([ok(1, [a('x', 1)]), ok(2, [a('x', 2)]), ok(3, [r('x', [1, 2])])])
})

test('incompatible-order: two reads that are not prefixes of one order', () => {
  const h = (second: number[]) => [ok(1, [a('x', 1)]), ok(2, [a('x', 2)]), ok(3, [r('x', [1, 2])]), ok(4, [r('x', second)])]
  const res = expectKinds(h([2, 1]), ['incompatible-order'])
  assert.equal(res.anomalies[0]!.txns, [3, 4])
  expectValid(h([1]))
})

test('internal: a read that ignores the transaction\'s own earlier append', () => {
  expectKinds([ok(1, [a('x', 1), r('x', [])])], ['internal'])
  expectKinds([ok(1, [r('x', []), r('x', [5])]), ok(2, [a('x', 5)])], ['internal'])
  const future = expectKinds([ok(1, [r('x', [1]), a('x', 1)])], ['internal'])
  assert.match(future.anomalies[0]!.explanation, /future read/)
  expectValid([ok(1, [a('x', 1), r('x', [1])])])
  expectValid([ok(1, [r('x', [7]), a('x', 1), r('x', [7, 1])]), ok(2, [a('x', 7)])])
})

test('G0-realtime: appends land in the opposite of their real-time order', () => {
  const h = (seen: number[]) => [ok(1, [a('x', 1)], 0, 1), ok(2, [a('x', 2)], 2, 3), ok(3, [r('x', seen)], 4, 5)]
  const res = expectKinds(h([2, 1]), ['G0-realtime'])
  assert.match(res.anomalies[0]!.explanation, /rt: T1 completed at 1 before T2 was invoked at 2/)
  expectValid(h([1, 2]))
  expectValid(h([2, 1]), { realtime: false })
})

test('G1c-realtime: a read sees an append invoked only after the read completed', () => {
  const h = (seen: number[]) => [ok(1, [r('x', seen)], 0, 1), ok(2, [a('x', 1)], 2, 3)]
  expectKinds(h([1]), ['G1c-realtime'])
  expectValid(h([]))
  expectValid(h([1]), { realtime: false })
})

test('G-single-realtime: a stale read after an append completed', () => {
  const h = (seen: number[]) => [ok(1, [a('x', 1)], 0, 1), ok(2, [r('x', seen)], 2, 3), ok(3, [r('x', [1])], 4, 5)]
  expectKinds(h([]), ['G-single-realtime'])
  expectValid(h([1]))
  expectValid(h([]), { realtime: false })
})

test('G2-realtime: two anti-dependencies closed by real time', () => {
  const h = (seen: number[]) => [
    ok(1, [a('y', 2)], 0, 1),
    ok(2, [r('x', seen)], 2, 3),
    ok(3, [r('y', []), a('x', 1)], 0, 10),
    ok(4, [r('x', [1]), r('y', [2])], 20, 21),
  ]
  const res = expectKinds(h([]), ['G2-realtime'])
  assert.equal(res.anomalies[0]!.txns.length, 3)
  expectValid(h([1]))
  expectValid(h([]), { realtime: false })
})

test('edge cases: empty history, empty reads, failed and unknown transactions', () => {
  const empty = expectValid([])
  assert.equal(empty.stats.txns, 0)
  assert.equal(empty.stats.edges, 0)
  expectValid([ok(1, [r('x', null)]), ok(2, [r('x', [])]), ok(3, [r('y', null), r('x', null)])])
  expectValid([failed(1, [a('x', 1), r('x', [42])]), ok(2, [r('x', [])])], { realtime: true })
  // Never observed: the 'info' append may not have happened, so a later empty read is fine.
  expectValid([info(1, [a('x', 1)], 0), ok(2, [r('x', [])], 5, 6)])
  // An 'info' read is unknown, whatever it says.
  expectValid([info(1, [r('x', [99]), a('x', 1)], 0), ok(2, [r('x', [1])], 5, 6)])
  // Observed: it committed, so it is ordered like any other transaction, including its unread appends.
  expectValid([info(1, [a('x', 1), a('y', 1)], 0), ok(2, [r('x', [1])], 5, 6), ok(3, [r('y', [1])], 7, 8)])
  expectKinds([info(1, [a('x', 1)], 0), ok(2, [r('x', [1])], 5, 6), ok(3, [r('x', [])], 7, 8)], ['G-single-realtime'])
  expectKinds([info(1, [a('x', 1), a('y', 1)], 0), ok(2, [r('x', [1])], 5, 6), ok(3, [r('y', [])], 7, 8)], ['G-single-realtime'])
})

test('an unread committed append follows every read: a stale read after it completed is caught', () => {
  expectKinds([ok(1, [a('x', 1)], 0, 1), ok(2, [r('x', [])], 2, 3)], ['G-single-realtime'])
  expectValid([ok(1, [a('x', 1)], 0, 3), ok(2, [r('x', [])], 2, 3)])
})

test('incompatible orders still give the edges every read agrees on', () => {
  // All reads agree on [1, 2]; a G0 cycle on y still shows, next to the disagreement on x past 2.
  const res = expectKinds([
    ok(1, [a('x', 1), a('y', 1)]), ok(2, [a('x', 2), a('y', 2)]), ok(5, [a('x', 3)]), ok(6, [a('x', 4)]),
    ok(3, [r('x', [1, 2, 3, 4]), r('y', [2, 1])]), ok(4, [r('x', [1, 2, 4])]),
  ], ['G0', 'incompatible-order'])
  assert.equal([...res.anomalies.find((x) => x.kind === 'G0')!.txns].sort(), [1, 2])
})

test('a cycle is reported once per strongly connected component, as its most severe class', () => {
  const res = checkListAppend([
    ok(1, [a('x', 1), a('y', 1)]), ok(2, [a('x', 2), a('y', 2)]), ok(3, [r('x', [1, 2]), r('y', [2, 1])]),
    ok(11, [a('p', 1), r('q', [2])]), ok(12, [a('q', 2), r('p', [1])]),
  ])
  assert.equal(res.anomalies.map((x) => x.kind).sort(), ['G0', 'G1c'])
})

test('anomalies are listed up to a bound per kind, the last one counting the rest', () => {
  const n = ANOMALIES_PER_KIND_MAX + 5
  const res = checkListAppend([failed(0, [a('x', 1)]), ...Array.from({ length: n }, (_, i) => ok(i + 1, [r('x', [1])]))])
  assert.not.ok(res.valid)
  assert.is(res.anomalies.length, ANOMALIES_PER_KIND_MAX)
  assert.match(res.anomalies[ANOMALIES_PER_KIND_MAX - 1]!.explanation, /and 5 more G1a not listed/)
  assert.type(res.stats.ms, 'number')
})

test('malformed histories are rejected, not judged', () => {
  assert.throws(() => checkListAppend([ok(1, []), ok(1, [])]), /duplicate id/)
  assert.throws(() => checkListAppend([{ ...ok(1, []), complete: -1 }]), /complete/)
  assert.throws(() => checkListAppend([ok(1, [{ f: 'read', key: 'x', value: [Number.NaN] }])]), /read of x/)
})

test.run()
