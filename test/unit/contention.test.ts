// The protocols' switch to a serial walk under contention (src/txn/protocols/contention.ts): the share
// it measures, the share it predicts from a sample of phase 1, and which executor calls a batch makes.
// That the outcomes equal serial's is the property harness's and test/unit/fallback.test.ts's to show.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { RowKey } from '../../src/schema/keys.js'
import {
  CONTENDED_SHARE_ENTER, CONTENTION_SAMPLE_FRACTION, CONTENTION_SAMPLE_MIN, conflictShare, predictedConflictShare, switchingOnContention,
} from '../../src/txn/protocols/contention.js'
import type { BatchExecutor, BatchRun } from '../../src/txn/protocols/protocol.js'
import type { Execution, SequencedTxn } from '../../src/txn/types.js'
import type { WalkResult, WalkTask } from '../../src/txn/walk.js'
import { uint32Random } from '../support/rng.js'

/** An execution that read and wrote `rows`. */
function touching(id: number, rows: readonly number[], written: readonly number[] = rows): Execution {
  const rk = (r: number): RowKey => `t\u0000${r}`
  return {
    id, accessed: [...new Set(rows)].sort((a, b) => a - b).map(rk), writes: written.map((r) => ({ rowKey: rk(r), table: 't', key: BigInt(r), row: [BigInt(r)] })),
    result: { rowsAffected: 1 }, failure: null, lockMiss: null,
  }
}

test('conflictShare: the transactions that touched a row a lower one wrote', () => {
  assert.is(conflictShare([]), 0)
  assert.is(conflictShare([touching(1, [1]), touching(2, [2]), touching(3, [3])]), 0)
  // 2 reads row 1, which 1 wrote; 3 reads row 5, which nobody wrote before it; 4 writes 5 after 3 did.
  assert.is(conflictShare([touching(1, [1]), touching(2, [1, 2], [2]), touching(3, [5]), touching(4, [5, 6])]), 2 / 4)
  // A read-only transaction reserves nothing.
  assert.is(conflictShare([touching(1, [1], []), touching(2, [1])]), 0)
})

test('predictedConflictShare: the extremes', () => {
  const same = Array.from({ length: 20 }, (_, i) => touching(i + 1, [7]))
  assert.is(predictedConflictShare(same, 1000), 999 / 1000, 'every pair conflicts')
  const apart = Array.from({ length: 20 }, (_, i) => touching(i + 1, [i]))
  assert.is(predictedConflictShare(apart, 1000), 0, 'no pair does')
  assert.is(predictedConflictShare([touching(1, [1])], 1000), 0, 'one transaction says nothing')
})

// Transactions reading and writing `rowsEach` of `rows` rows drawn uniformly (seeded): the prediction
// from the first eighth of a batch of 1,000 against the share the whole batch has, from nearly no
// contention to nearly all.
test('predictedConflictShare: close to the share of the whole batch, uniform rows', () => {
  for (const rows of [300, 1_000, 3_000, 10_000, 100_000]) {
    const rnd = uint32Random(rows)
    const batch = Array.from({ length: 1000 }, (_, i) => touching(i + 1, [rnd() % rows, rnd() % rows]))
    const actual = conflictShare(batch)
    const predicted = predictedConflictShare(batch.slice(0, 125), batch.length)
    assert.ok(Math.abs(predicted - actual) < 0.12, `${rows} rows: predicted ${predicted.toFixed(3)}, actual ${actual.toFixed(3)}`)
  }
})

/** Records the calls a batch makes; phase 1 and walks return `touching` executions over `rowsOf(txn)`. */
class RecordingExecutor implements BatchExecutor {
  readonly calls: string[] = []
  private readonly remembered = new Map<string, unknown>()
  constructor(private readonly rowsOf: (id: number) => number[]) {}
  memory<T>(key: string, make: () => T): T {
    if (!this.remembered.has(key)) this.remembered.set(key, make())
    return this.remembered.get(key) as T
  }
  async runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]> {
    this.calls.push(`phase1 ${txns.length}`)
    return txns.map((t) => touching(t.id, this.rowsOf(t.id)))
  }
  async runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    for (const t of tasks) this.calls.push(`walk ${t.txns.length}${t.keys === null ? ' serial' : ''}, priors ${t.priors.filter((p) => p !== null).length}`)
    return tasks.map((t) => ({ executions: t.txns.map((x) => touching(x.id, this.rowsOf(x.id))), lockMiss: null, reexecuted: t.txns.length }))
  }
}

const batchOf = (n: number, from: number): SequencedTxn[] =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, input: { kind: 'call', fn: 't.f', key: 1n, args: [] }, timeMs: 0 }))

test('switchingOnContention: a sampled contended batch, remembered, then phase 1 again', async () => {
  let hot = true
  // Contended: everything on row 1. Quiet: each transaction on a row of its own.
  const exec = new RecordingExecutor((id) => (hot ? [1] : [id]))
  const fallback = async (phase1: readonly Execution[]): Promise<BatchRun> => {
    exec.calls.push(`fallback ${phase1.length}`)
    return { executions: phase1, fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }
  }
  const n = 400
  const sample = Math.max(CONTENTION_SAMPLE_MIN, Math.ceil(n * CONTENTION_SAMPLE_FRACTION))
  let run = await switchingOnContention('p', batchOf(n, 1), exec, true, fallback)
  assert.equal(exec.calls, [`phase1 ${sample}`, `walk ${n} serial, priors ${sample}`], 'the sample, then a serial walk keeping it')
  assert.is(run.contended, true)
  assert.is(run.fallbackTxns, sample, 'the sample ran again (these walks re-execute everything)')

  exec.calls.length = 0
  hot = false
  run = await switchingOnContention('p', batchOf(n, 1 + n), exec, true, fallback)
  assert.equal(exec.calls, [`walk ${n} serial, priors 0`], 'remembered: walked at once, no phase 1')
  assert.is(run.contended, true)

  exec.calls.length = 0
  run = await switchingOnContention('p', batchOf(n, 1 + 2 * n), exec, true, fallback)
  assert.equal(exec.calls, [`phase1 ${sample}`, `phase1 ${n - sample}`, `fallback ${n}`], 'quiet again: the whole phase 1, then the fallback')
  assert.is(run.contended, undefined)

  // Without memory (a research executor that keeps none) the sample still decides for its own batch.
  hot = true
  const forgetful: BatchExecutor = { runOnSnapshot: (t) => exec.runOnSnapshot(t), runWalks: (t) => exec.runWalks(t) }
  exec.calls.length = 0
  run = await switchingOnContention('p', batchOf(n, 1 + 3 * n), forgetful, false, fallback)
  assert.equal(exec.calls, [`phase1 ${sample}`, `walk ${n} serial, priors 0`], 'calvin keeps no priors')
  assert.is(run.contended, true)
  assert.is(run.fallbackTxns, sample, 'so every sample transaction ran again')
})

test('switchingOnContention: a batch too small to sample runs its whole phase 1, and decides the next', async () => {
  const exec = new RecordingExecutor(() => [1])
  const fallback = async (phase1: readonly Execution[]): Promise<BatchRun> => ({ executions: phase1, fallbackTxns: phase1.length, walkRounds: 1, lockMisses: 0 })
  const n = 2 * CONTENTION_SAMPLE_MIN - 1
  await switchingOnContention('p', batchOf(n, 1), exec, true, fallback)
  assert.equal(exec.calls, [`phase1 ${n}`])
  assert.ok(1 - 1 / n > CONTENDED_SHARE_ENTER)
  exec.calls.length = 0
  await switchingOnContention('p', batchOf(n, 1 + n), exec, true, fallback)
  assert.equal(exec.calls, [`walk ${n} serial, priors 0`], 'the contended batch before is remembered')
  // Below CONTENTION_SAMPLE_MIN a batch decides nothing: the memory stays as it is.
  const small = new RecordingExecutor(() => [1])
  await switchingOnContention('p', batchOf(CONTENTION_SAMPLE_MIN - 1, 1), small, true, fallback)
  small.calls.length = 0
  await switchingOnContention('p', batchOf(CONTENTION_SAMPLE_MIN - 1, 100), small, true, fallback)
  assert.equal(small.calls, [`phase1 ${CONTENTION_SAMPLE_MIN - 1}`], 'a small contended batch does not switch the next')
})

test.run()
