// Oracle 1 (declared-order replay): every result, abort and the final state equal the independent
// reference model executing the same transactions one at a time in (batch, seq) order.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { OpenOptions } from '../../src/index.js'
import { checkAgainstModel } from '../support/model-check.js'
import { FUNCTION_FUEL, runWorkload, workloadArb } from '../support/workload.js'

const totals = { fallbackTxns: 0, lockMisses: 0, aborts: 0, batches: 0 }

async function property(options: OpenOptions, numRuns: number, seed?: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(workloadArb, async (batches) => {
      const run = await runWorkload(batches, options)
      totals.fallbackTxns += run.fallbackTxns
      totals.lockMisses += run.lockMisses
      totals.aborts += run.outcomes.filter((o) => !o.ok).length
      totals.batches += run.batches
      checkAgainstModel(batches, run, FUNCTION_FUEL)
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  )
}

test('aria (inline, memory store) equals one-at-a-time replay in (batch, seq) order', async () => {
  await property({ memory: true, protocol: 'aria' }, 300)
})

test('calvin (inline, memory store) equals the replay', async () => {
  await property({ memory: true, protocol: 'calvin' }, 120)
})

test('serial (inline, memory store) equals the replay', async () => {
  await property({ memory: true, protocol: 'serial' }, 80)
})

test('aria on SQLite with 1 and 2 worker threads equals the replay', async () => {
  await property({ workers: 1, protocol: 'aria', sync: 'off' }, 6)
  await property({ workers: 2, protocol: 'aria', sync: 'off' }, 10)
})

test('the workloads above exercised conflicts, the fallback, lock misses and aborts', () => {
  assert.ok(totals.fallbackTxns > 100, `fallback executions: ${totals.fallbackTxns}`)
  assert.ok(totals.lockMisses > 0, `lock misses: ${totals.lockMisses}`)
  assert.ok(totals.aborts > 100, `aborts: ${totals.aborts}`)
})

test.run()
