// A trace failure names its position as EXPLAIN COMMIT takes it (the engine's batch, 709 on one run), and
// also as the counterexample numbers its batches (from 1), as the replay oracle's messages do: the engine
// behind the property is reused across runs, so its batch numbers say nothing about the counterexample.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCheck } from '../../src/testing/check.js'
import { commitTraces, EngineCache, type Workload } from '../../src/testing/index.js'

test('a batch of point reads alone is not traced: its positions are queries, which EXPLAIN COMMIT refuses', async () => {
  // The property traced them, and the refusal ("(7, 1) is past them: a query's position") failed the
  // real engine on any workload with such a batch.
  const engines = new EngineCache()
  const w: Workload = { tables: [{ name: 'kv', partitions: 1 }, { name: 'kw', partitions: 1 }], batches: [
    [{ kind: 'call', fn: 'kv.run', key: 1n, program: [{ op: 'append', item: '1' }] }],
    [{ kind: 'get', table: 'kv', key: 1n }],
    [{ kind: 'call', fn: 'kv.run', key: 2n, program: [{ op: 'append', item: '2' }] }, { kind: 'get', table: 'kv', key: 1n }],
  ] } as unknown as Workload
  try {
    await commitTraces.check(w, { txns: 10, workers: 0, mutant: null, engines })
  } finally {
    await engines.close()
  }
})

test('a trace failure says which batch of the counterexample it is', async () => {
  const lines: string[] = []
  const report = await runCheck({ seed: 5, runs: 3, txns: 50, workers: 0, crash: false, mutant: 'commit-trace-skips-batch-prefix', shrink: false, properties: ['trace'], out: (l) => lines.push(l) })
  assert.is(report.failed, 1, lines.join('\n'))
  assert.match(report.properties[0]?.failure?.message ?? '', /^\(\d+, \d+\) \(batch \d+ of this run, seq \d+\) /, lines.join('\n'))
})


test.run()
