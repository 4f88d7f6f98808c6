// The declared-order replay oracle's counterexamples name batches from the run's first: the engine behind
// a property is reused, so its own batch numbers (1494 on one run) differ from a replay's (7).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { EngineRun } from '../../src/testing/engine-run.js'
import { PropertyFailure } from '../../src/testing/failure.js'
import { checkDeclaredOrderReplay } from '../../src/testing/replay-oracle.js'
import type { Workload } from '../../src/testing/workload.js'

const workload: Workload = {
  tables: [{ name: 't', partitions: 1 }],
  batches: [
    [{ kind: 'insert', table: 't', rows: [[1n, 5n]] }],
    [{ kind: 'get', table: 't', key: 1n }],
  ],
}

function run(readValue: bigint): EngineRun {
  return {
    outcomes: [
      { ok: true, result: { rowsAffected: 1 }, commit: { batch: 1494, seq: 0 } },
      { ok: true, result: { rows: [[1n, readValue, '']], rowsAffected: 0 }, commit: { batch: 1494, seq: 1 } },
    ],
    digests: [], finalDigest: '', state: new Map([['t', [[1n, 5n, '']]]]), fallbackTxns: 0, lockMisses: 0, batches: 1,
  } as unknown as EngineRun
}

test('a wrong read is reported at its batch counted from the run\'s first, with the engine\'s number beside', () => {
  checkDeclaredOrderReplay(workload, run(5n), 1_000_000)
  try {
    checkDeclaredOrderReplay(workload, run(6n), 1_000_000)
    assert.unreachable('the wrong read passed')
  } catch (err) {
    assert.instance(err, PropertyFailure)
    assert.match((err as Error).message, /^txn #1 at \{batch: 1 of this run \(engine batch 1494\), seq: 1\}/)
  }
})

test.run()
