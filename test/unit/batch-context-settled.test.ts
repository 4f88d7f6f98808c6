// A batch's executor once its protocol's runBatch settled (src/txn/pipelined-executor.ts): it counts the
// calls still running, and refuses new ones, so that a protocol cannot run work for a batch whose results
// were already taken (the engine fails such a batch naming the protocol: test/testing/check-protocol).
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { CalledAfterBatchError, PipelinedExecutor } from '../../src/txn/pipelined-executor.js'
import type { EngineExecutor } from '../../src/txn/executor.js'
import type { Execution } from '../../src/txn/types.js'

test('calls running when runBatch settled are counted; calls after it are refused', async () => {
  let finish: (e: Execution[]) => void = () => {}
  const inner = {
    runOnSnapshotOf: () => new Promise<Execution[]>((resolve) => { finish = resolve }),
    runWalksOf: async () => [],
  } as unknown as EngineExecutor
  const context = new PipelinedExecutor(inner).forBatch(null, null)
  const running = context.runOnSnapshot([])
  assert.equal(context.runBatchSettled(), { stillRunning: 1 })
  finish([])
  assert.equal(await running, [])
  assert.equal(context.runBatchSettled(), { stillRunning: 0 })
  for (const late of [() => context.runOnSnapshot([]), () => context.runWalks([])]) {
    try {
      await late()
      assert.unreachable('a call after the batch settled ran')
    } catch (err) {
      assert.instance(err, CalledAfterBatchError)
      assert.match((err as Error).message, /(runOnSnapshot|runWalks) was called after its batch's runBatch settled/)
    }
  }
})

test.run()
