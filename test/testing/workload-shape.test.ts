// The harness's workload generator (src/testing/workload.ts): the shape of what `acheron check` runs.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { workloadArb, workloadSize } from '../../src/testing/workload.js'

const DDL = new Set(['repartition', 'add-column', 'rename-key', 'drop-column'])

/** `count` histories of one seed, as `acheron check --seed S --txns N` draws them. */
function sample(txns: number, seed: number, count = 200): ReturnType<typeof fc.sample<import('../../src/testing/workload.js').Workload>> {
  return fc.sample(workloadArb({ txns }), { seed, numRuns: count })
}

test('every history holds a transaction, within --txns, for small and default sizes', () => {
  for (const txns of [1, 2, 5, 32, 33, 100]) {
    for (const w of sample(txns, txns)) {
      assert.ok(w.batches.some((b) => b.some((t) => !DDL.has(t.kind))), `--txns ${txns}: a history of DDL alone`)
      assert.ok(workloadSize(w) <= txns + 2 * 16, `--txns ${txns}: ${workloadSize(w)} steps`)
    }
  }
})

test('a small --txns still draws several batches in flight: most histories hold two or more', () => {
  for (const txns of [4, 10, 32]) {
    const several = sample(txns, 7).filter((w) => w.batches.length >= 2).length
    assert.ok(several >= 120, `--txns ${txns}: ${several} of 200 histories have two batches or more`)
  }
})

test.run()
