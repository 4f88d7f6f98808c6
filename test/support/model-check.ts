// Oracle 1 (declared-order replay), shared by the JS and the WebAssembly property suites: every result,
// abort and the final state equal the independent reference model executing the same transactions one
// at a time in (batch, seq) order.
import * as assert from 'uvu/assert'
import { ReferenceModel, type ModelTxn } from '../../src/testing/reference-model.js'
import { TABLES, type EngineRun } from './workload.js'

export function checkAgainstModel(batches: ModelTxn[][], run: EngineRun, fuel: number): void {
  const txns = batches.flat()
  assert.is(run.outcomes.length, txns.length)
  // Positions: each submitted group is one batch, batches ascend, and seq is the arrival (id) order.
  let i = 0
  let lastBatch = 0
  for (const group of batches) {
    const batch = run.outcomes[i]?.commit?.batch ?? -1
    assert.ok(batch > lastBatch, `batch numbers ascend (${batch} after ${lastBatch})`)
    group.forEach((_, seq) => assert.equal(run.outcomes[i + seq]?.commit, { batch, seq }, 'commit position is (batch, arrival order)'))
    lastBatch = batch
    i += group.length
  }
  const order = txns.map((_, j) => j).sort((a, b) => {
    const ca = run.outcomes[a]?.commit
    const cb = run.outcomes[b]?.commit
    return (ca?.batch ?? 0) - (cb?.batch ?? 0) || (ca?.seq ?? 0) - (cb?.seq ?? 0)
  })
  // `fuel` Infinity gives unlimited fuel: Infinity minus any charge stays Infinity.
  const model = new ReferenceModel(TABLES.map((t) => t.name), () => fuel)
  for (const j of order) {
    const expected = model.apply(txns[j] as ModelTxn)
    const got = run.outcomes[j]
    const where = `txn #${j} ${JSON.stringify(txns[j], (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`
    if (got === undefined) return assert.unreachable(`no outcome for ${where}`)
    if (!expected.ok) {
      assert.ok(!got.ok, `${where}: the model fails it with ${expected.code}, the engine committed it`)
      if (!got.ok) assert.is(got.failure.code, expected.code, where)
      continue
    }
    assert.ok(got.ok, `${where}: the model commits it, the engine failed: ${got.ok ? '' : got.failure.code + ' ' + got.failure.message}`)
    if (!got.ok) continue
    if (expected.rows !== undefined) assert.equal(got.result.rows, expected.rows, `${where}: rows`)
    else if (txns[j]?.kind === 'call') assert.is(got.result.value, expected.value, `${where}: value`)
  }
  for (const t of TABLES) {
    const modelRows = [...(model.state.get(t.name) ?? new Map()).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, r]) => [k, r.v, r.log])
    assert.equal(run.state.get(t.name), modelRows, `final state of ${t.name}`)
  }
}
