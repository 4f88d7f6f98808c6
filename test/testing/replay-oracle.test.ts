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

// Calls that read their batch time (a `time` step): two in batch 1, one in batch 2. The model does not
// know the times; the oracle binds each batch's from the replies.
const timed: Workload = {
  tables: [{ name: 't', partitions: 1 }],
  batches: [
    [{ kind: 'call', fn: 't.run', key: 1n, program: [{ op: 'time' }] }, { kind: 'call', fn: 't.run', key: 2n, program: [{ op: 'time' }] }],
    [{ kind: 'call', fn: 't.run', key: 1n, program: [{ op: 'time' }] }],
  ],
}

function timedRun(times: readonly [string, string, string], state: readonly (readonly unknown[])[]): EngineRun {
  const at = [{ batch: 7, seq: 0 }, { batch: 7, seq: 1 }, { batch: 8, seq: 0 }]
  return {
    outcomes: times.map((t, i) => ({ ok: true, result: { value: JSON.stringify([t]) }, commit: at[i] })),
    digests: [], finalDigest: '', state: new Map([['t', state]]), fallbackTxns: 0, lockMisses: 0, batches: 2,
  } as unknown as EngineRun
}

function failure(f: () => void): string {
  try {
    f()
  } catch (err) {
    assert.instance(err, PropertyFailure)
    return (err as Error).message
  }
  return assert.unreachable('it passed') as never
}

test('batch times: one per batch, held by the state as the replies showed, never going back', () => {
  const rows = (a: string, b: string, c: string) => [[1n, 0n, `@${a},@${c}`], [2n, 0n, `@${b}`]]
  checkDeclaredOrderReplay(timed, timedRun(['1000', '1000', '2000'], rows('1000', '1000', '2000')), 1_000_000)
  // An execution of batch 1 that read another time than its batch's (a clock, not the batch).
  assert.match(failure(() => checkDeclaredOrderReplay(timed, timedRun(['1000', '1500', '2000'], rows('1000', '1500', '2000')), 1_000_000)),
    /^txn #1 at \{batch: 1 of this run .*returned \["1500"\], the model returned \["1000"\]$/)
  // The state holds a time no reply showed (a re-execution at another time wrote it).
  assert.match(failure(() => checkDeclaredOrderReplay(timed, timedRun(['1000', '1000', '2000'], rows('1000', '1000', '2500')), 1_000_000)),
    /^final state of t: engine .*@1000,@2500.*, model .*@1000,@2000/)
  // Batch 2 stamped before batch 1.
  assert.match(failure(() => checkDeclaredOrderReplay(timed, timedRun(['1000', '1000', '900'], rows('1000', '1000', '900')), 1_000_000)),
    /^batch 2 of this run read the time 900, earlier than batch 1's 1000$/)
})

test.run()
