// Oracle 3 (determinism): the same batches give identical per-batch state digests and identical
// replies whatever the number of workers, the store, or the protocol.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { OpenOptions } from '../../src/index.js'
import { runWorkload, workloadArb, replies } from '../support/workload.js'

const CONFIGS: [string, OpenOptions][] = [
  ['memory/inline/aria', { memory: true, protocol: 'aria' }],
  ['memory/inline/calvin', { memory: true, protocol: 'calvin' }],
  ['memory/inline/serial', { memory: true, protocol: 'serial' }],
  ['sqlite/1 worker/aria', { workers: 1, protocol: 'aria', sync: 'off' }],
  ['sqlite/2 workers/aria', { workers: 2, protocol: 'aria', sync: 'off' }],
  ['sqlite/2 workers/calvin', { workers: 2, protocol: 'calvin', sync: 'off' }],
]

test('per-batch digests and replies are identical across workers, stores and protocols', async () => {
  await fc.assert(
    fc.asyncProperty(workloadArb, async (batches) => {
      const [first, ...rest] = await Promise.all(CONFIGS.map(async ([name, o]) => [name, await runWorkload(batches, o)] as const))
      if (first === undefined) return
      for (const [name, run] of rest) {
        assert.equal(run.digests, first[1].digests, `${name} vs ${first[0]}: per-batch digests`)
        assert.equal(replies(run), replies(first[1]), `${name} vs ${first[0]}: replies`)
      }
    }),
    { numRuns: 8 },
  )
})

test('running the same batches twice on the same configuration gives the same digests', async () => {
  await fc.assert(
    fc.asyncProperty(workloadArb, async (batches) => {
      const a = await runWorkload(batches, { workers: 2, sync: 'off' })
      const b = await runWorkload(batches, { workers: 2, sync: 'off' })
      assert.equal(a.digests, b.digests)
      assert.is(a.finalDigest, b.finalDigest)
    }),
    { numRuns: 3 },
  )
})

test('a digest changes when any row changes', async () => {
  const a = await runWorkload([[{ kind: 'insert', table: 'kv', rows: [[1n, 5n]] }]], { memory: true })
  const b = await runWorkload([[{ kind: 'insert', table: 'kv', rows: [[1n, 6n]] }]], { memory: true })
  const c = await runWorkload([[{ kind: 'insert', table: 'kv', rows: [[2n, 5n]] }]], { memory: true })
  assert.is.not(a.finalDigest, b.finalDigest)
  assert.is.not(a.finalDigest, c.finalDigest)
  const a2 = await runWorkload([[{ kind: 'insert', table: 'kv', rows: [[1n, 5n]] }]], { workers: 1, sync: 'off' })
  assert.is(a2.finalDigest, a.finalDigest, 'memory and SQLite stores digest the same state alike')
})

test.run()
