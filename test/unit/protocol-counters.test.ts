// A BatchRun's counters are statistics only (docs/research.md), and a research protocol in JavaScript may
// leave them out. The engine added them as given: one undefined made fallbackTxns, walkRounds and
// lockMisses NaN for the engine's life (SHOW STATS, /metrics' fallback_txns_total NaN).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/embedded.js'
import type { BatchRun, Protocol } from '../../src/txn/protocols/protocol.js'

test('a BatchRun without its counters leaves the engine statistics numbers', async () => {
  const bare: Protocol = { name: 'no-counters', runBatch: async (txns, exec) => ({ executions: await exec.runOnSnapshot(txns) }) as unknown as BatchRun }
  const db = await open({ memory: true, workers: 0, protocol: bare })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)')
    await db.sql('INSERT INTO t (k, v) VALUES (1, 2)')
    const { fallbackTxns, walkRounds, lockMisses } = db.stats
    assert.equal({ fallbackTxns, walkRounds, lockMisses }, { fallbackTxns: 0, walkRounds: 0, lockMisses: 0 })
  } finally {
    await db.close()
  }
})

test.run()
