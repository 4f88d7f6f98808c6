// Oracle 1, declared-order replay: the independent reference model executes the committed
// transactions one at a time in (batch, seq) order; every result, every abort decision and the final
// state must match what the engine replied and stored.
import type { EngineRun } from './engine-run.js'
import { expect, stableText } from './failure.js'
import { ReferenceModel, type ModelTxn } from './reference-model.js'
import { fillTimes, matchTimes } from './time-placeholders.js'
import type { Workload } from './workload.js'

function show(t: ModelTxn | undefined): string {
  return JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
}

/**
 * Positions as a counterexample shows them: batches numbered from the run's first (the engine behind a
 * property is reused, so its own numbers depend on every run before; a replay of the counterexample on a
 * fresh engine numbers them from 1), with the engine's number beside.
 */
export function relativePositions(run: EngineRun): (c: { batch: number; seq: number } | undefined) => string {
  const first = run.outcomes.find((o) => o.commit !== undefined)?.commit?.batch ?? 1
  const base = first - 1
  return (c) => (c === undefined ? 'no position' : `{batch: ${c.batch - base} of this run (engine batch ${c.batch}), seq: ${c.seq}}`)
}

/** Throws PropertyFailure at the first disagreement between the engine's run and the model. */
export function checkDeclaredOrderReplay(w: Workload, run: EngineRun, modelFuel: number): void {
  const txns = w.batches.flat()
  const at = relativePositions(run)
  expect(run.outcomes.length === txns.length, () => `${txns.length} transactions, ${run.outcomes.length} outcomes`)
  // Positions: each generated batch is one batch, batch numbers ascend, and seq is the arrival order.
  // A batch of nothing but point reads is logged nowhere and takes no number: its reads are positioned
  // right after the batch before it, numbered on from that batch's own transactions.
  let i = 0
  let lastBatch = 0
  let nextSeq = 0
  const seen = new Set<string>()
  for (const group of w.batches) {
    const first = run.outcomes[i]
    expect(first?.commit !== undefined, () => `txn #${i} has no commit position: ${first !== undefined && !first.ok ? `${first.failure.code} ${first.failure.message}` : 'no outcome'}`)
    const batch = first.commit.batch
    const readsOnly = group.every((t) => t.kind === 'get')
    let seq0 = 0
    if (readsOnly) {
      // The run's first reads may follow a batch from before it (its DDL): that one sets the start.
      if (lastBatch === 0) [lastBatch, nextSeq] = [batch, first.commit.seq]
      expect(batch === lastBatch, () => `reads of txn #${i} at ${at(first.commit)}, expected right after engine batch ${lastBatch}`)
      seq0 = nextSeq
    } else {
      expect(batch > lastBatch, () => `batch numbers ascend: txn #${i} at ${at(first.commit)} after engine batch ${lastBatch}`)
    }
    group.forEach((_, k) => {
      const c = run.outcomes[i + k]?.commit
      expect(c !== undefined && c.batch === batch && c.seq === seq0 + k, () => `txn #${i + k}: position ${at(c)}, expected ${at({ batch, seq: seq0 + k })}`)
      const id = `${c.batch}/${c.seq}`
      expect(!seen.has(id), () => `position ${at(c)} published twice`)
      seen.add(id)
    })
    lastBatch = batch
    nextSeq = seq0 + group.length
    i += group.length
  }
  const order = txns.map((_, j) => j).sort((a, b) => {
    const ca = run.outcomes[a]?.commit
    const cb = run.outcomes[b]?.commit
    return (ca?.batch ?? 0) - (cb?.batch ?? 0) || (ca?.seq ?? 0) - (cb?.seq ?? 0)
  })
  // The model does not know the batch times: a `time` step reads the placeholder {tB} of its batch B
  // (numbered from the run's first), bound by the first reply that shows it. So every transaction of a
  // batch must read one time, and the state must hold the times the replies showed.
  const base = (run.outcomes.find((o) => o.commit !== undefined)?.commit?.batch ?? 1) - 1
  let batchOfTxn = 0
  const times = new Map<number, string>()
  const model = new ReferenceModel(w.tables.map((t) => t.name), () => modelFuel, () => `{t${batchOfTxn}}`)
  for (const j of order) {
    batchOfTxn = (run.outcomes[j]?.commit?.batch ?? 0) - base
    const expected = model.apply(txns[j] as ModelTxn)
    const got = run.outcomes[j]
    const where = `txn #${j} at ${at(got?.commit)} ${show(txns[j])}`
    expect(got !== undefined, () => `no outcome for ${where}`)
    if (!expected.ok) {
      expect(!got.ok, () => `${where}: the model aborts it with ${expected.code}, the engine committed it`)
      expect(got.failure.code === expected.code, () => `${where}: the model aborts it with ${expected.code}, the engine with ${got.ok ? '' : got.failure.code}`)
      continue
    }
    expect(got.ok, () => `${where}: the model commits it, the engine failed it: ${got.ok ? '' : `${got.failure.code} ${got.failure.message}`}`)
    if (expected.rows !== undefined) {
      expect(matchTimes(stableText(got.result.rows), stableText(expected.rows), times), () => `${where}: rows ${show(got.result.rows as never)}, the model read ${fillTimes(show(expected.rows as never), times)}`)
    } else if (txns[j]?.kind === 'call') {
      const same = typeof got.result.value === 'string' && typeof expected.value === 'string' ? matchTimes(got.result.value, expected.value, times) : got.result.value === expected.value
      expect(same, () => `${where}: returned ${String(got.result.value)}, the model returned ${fillTimes(String(expected.value), times)}`)
    }
  }
  for (const t of w.tables) {
    const rows = [...(model.state.get(t.name) ?? new Map()).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, r]) => model.values(t.name, k, r))
    expect(matchTimes(stableText(run.state.get(t.name)), stableText(rows), times), () => `final state of ${t.name}: engine ${show(run.state.get(t.name) as never)}, model ${fillTimes(show(rows as never), times)}`)
  }
  checkBatchTimesAscend(times)
}

/** Batch times never go back: a later batch read no earlier time than an earlier one. */
function checkBatchTimesAscend(times: ReadonlyMap<number, string>): void {
  let prev: [number, bigint] | null = null
  for (const b of [...times.keys()].sort((x, y) => x - y)) {
    const t = BigInt(times.get(b) as string)
    if (prev !== null) {
      const [pb, pt] = prev
      expect(pt <= t, () => `batch ${b} of this run read the time ${t}, earlier than batch ${pb}'s ${pt}`)
    }
    prev = [b, t]
  }
}
