// A research protocol chooses among the executions its executor gives it, and makes or changes none
// (src/txn/protocols/plugin-guard.ts): one that did reached the state thread, which stopped the engine
// with an invariant error (acheron check died with a stack trace, or hung).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import type { AcheronError } from '../../src/errors.js'
import { walkSerially } from '../../src/txn/protocols/contention.js'
import type { BatchExecutor, BatchRun, Protocol } from '../../src/txn/protocols/protocol.js'
import type { Execution, SequencedTxn } from '../../src/txn/types.js'
import { tempDir } from '../support/tmp.js'

type Misdeed = 'none' | 'made-up write' | 'changed row' | 'made-up prior' | 'returns, not resolves'

/** Serial, until told to misbehave in one way. */
function protocol(misdeed: { now: Misdeed }): Protocol {
  const runs = (executions: readonly Execution[]): BatchRun => ({ executions, fallbackTxns: 0, walkRounds: 0, lockMisses: 0 })
  return {
    name: 'misdeeds',
    runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
      switch (misdeed.now) {
        case 'none': return walkSerially(txns, exec)
        case 'made-up write': return exec.runOnSnapshot(txns).then((es) => runs(es.map((e) => ({ ...e, writes: [...e.writes, { rowKey: 'nosuch\u00001', table: 'nosuch', key: 1n, row: [1n] }] }))))
        case 'changed row': return exec.runOnSnapshot(txns).then((es) => {
          for (const e of es) for (const w of e.writes) if (w.row !== null) (w.row as unknown[])[0] = 'garbage'
          return runs(es)
        })
        case 'made-up prior': return exec.runOnSnapshot(txns).then(async (es) => {
          const priors = es.map((e) => ({ ...e }))
          const [walk] = await exec.runWalks([{ txns, priors, keys: null, fixed: 0 }])
          return runs(walk?.executions ?? [])
        })
        // Not async: a plain value, not a promise (it hung the batch for ever).
        case 'returns, not resolves': return undefined as unknown as Promise<BatchRun>
      }
    },
  }
}

test('a batch whose protocol made up or changed an execution fails whole, naming it; the engine goes on', async () => {
  const { dir, cleanup } = tempDir()
  const misdeed: { now: Misdeed } = { now: 'none' }
  const db = await open({ dir, protocol: protocol(misdeed) })
  try {
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)')
    await db.sql('INSERT INTO kv VALUES (1, 10)')
    const expected: Record<Exclude<Misdeed, 'none'>, RegExp> = {
      'made-up write': /protocol misdeeds: execution 0 \(transaction id \d+\) is not an execution this batch's exec.runOnSnapshot or exec.runWalks gave/,
      'changed row': /protocol misdeeds: execution 0 \(transaction id \d+\) was changed after exec gave it/,
      'made-up prior': /protocol misdeeds: the prior 0 of a task given to exec.runWalks \(transaction id \d+\) is not an execution/,
      'returns, not resolves': /protocol misdeeds: runBatch resolved to undefined, not a BatchRun/,
    }
    for (const [m, message] of Object.entries(expected)) {
      misdeed.now = m as Misdeed
      const err = await db.sql('UPDATE kv SET v = v + 1 WHERE k = 1').then(() => null, (e: AcheronError) => e)
      assert.is(err?.code, 'INTERNAL', m)
      assert.match(err?.message ?? '', message)
      assert.is(err?.commit, undefined, `${m}: a failed batch has no position`)
      misdeed.now = 'none'
      assert.equal((await db.query('SELECT v FROM kv WHERE k = 1', [], { rows: 'arrays' })).rows, [[10]], `${m}: nothing of it was applied`)
    }
    await db.sql('UPDATE kv SET v = v + 1 WHERE k = 1')
    assert.equal((await db.query('SELECT v FROM kv WHERE k = 1', [], { rows: 'arrays' })).rows, [[11]])
  } finally {
    await db.close()
    cleanup()
  }
})

test.run()
