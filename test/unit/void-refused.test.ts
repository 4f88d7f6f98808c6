// A batch whose execution failed for a reason outside its transactions is voided in the log before its
// clients hear that it failed. When the void cannot be logged (the log refuses it: a writer fenced off
// its stream), the batch stays in the log unvoided, and whoever reads the log next commits it: its
// clients are told the outcome is unknown, never that it did not run, and the engine stops.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/index.js'
import { openBank } from '../support/bank.js'
import { refusingVoids } from '../support/refusing-voids.js'

test('a batch whose void entry is refused: its clients hear "outcome unknown" (it is in the log), and the engine stops', async () => {
  const db = await openBank({ memory: true, workers: 0, wrapBatchLog: refusingVoids })
  try {
    await db.insert('account', [['alice', 100]])
    // Submitted together, so they share a batch: the runtime's plain error voids it whole.
    const outcomes = await Promise.all([db.call('account.deposit', 'alice', 5), db.call('account.crash', 'alice')].map((p) => p.then(() => null, (e: unknown) => e)))
    for (const e of outcomes) {
      assert.instance(e, AcheronError)
      const err = e as AcheronError
      assert.is(err.code, 'INTERNAL')
      assert.is(err.outcomeUnknown, true, err.message)
      assert.is(err.retryable, true)
      assert.match(err.message, /^outcome unknown: batch \d+ failed and its void entry could not be logged/)
    }
    const after = await db.call('account.deposit', 'alice', 1).then(() => null, (e: unknown) => e)
    assert.instance(after, AcheronError)
    assert.match((after as Error).message, /the engine stopped/)
  } finally {
    await db.close().catch(() => {})
  }
})

test.run()
