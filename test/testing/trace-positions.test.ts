// A trace failure names its position as EXPLAIN COMMIT takes it (the engine's batch, 709 on one run), and
// also as the counterexample numbers its batches (from 1), as the replay oracle's messages do: the engine
// behind the property is reused across runs, so its batch numbers say nothing about the counterexample.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCheck } from '../../src/testing/check.js'

test('a trace failure says which batch of the counterexample it is', async () => {
  const lines: string[] = []
  const report = await runCheck({ seed: 5, runs: 3, txns: 50, workers: 0, crash: false, mutant: 'commit-trace-skips-batch-prefix', shrink: false, properties: ['trace'], out: (l) => lines.push(l) })
  assert.is(report.failed, 1, lines.join('\n'))
  assert.match(report.properties[0]?.failure?.message ?? '', /^\(\d+, \d+\) \(batch \d+ of this run, seq \d+\) /, lines.join('\n'))
})

test.run()
