// Oracles 1 and 3 through real WebAssembly: the same random multi-key, cross-partition call chains as
// serializability.test.ts and determinism.test.ts, but kv.run and kw.run are the AssemblyScript
// interpreter (guest/assemblyscript/examples/steps.ts) on the engine's `wasm` runtime.
// - declared-order replay: results, aborts and the final state equal the independent model executing
//   the transactions one at a time in (batch, seq) order;
// - determinism: identical per-batch digests and replies across stores, workers and protocols, and the
//   same digests (and replies) as the JS test runtime executing the same workload.
// Fuel is per instruction in wasm, so both runtimes get fuel no program exhausts (`spin` just loops),
// and the model runs with unlimited fuel.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { OpenOptions } from '../../src/index.js'
import { checkAgainstModel } from '../support/model-check.js'
import { WASM_FUNCTIONS, WASM_FUNCTION_FUEL, runWorkload, workloadArb, replies } from '../support/workload.js'

const totals = { fallbackTxns: 0, aborts: 0, commits: 0, calls: 0 }

async function replay(options: OpenOptions, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(workloadArb, async (batches) => {
      const run = await runWorkload(batches, options, WASM_FUNCTIONS)
      totals.fallbackTxns += run.fallbackTxns
      totals.aborts += run.outcomes.filter((o) => !o.ok).length
      totals.commits += run.outcomes.filter((o) => o.ok).length
      totals.calls += batches.flat().filter((t) => t.kind === 'call').length
      checkAgainstModel(batches, run, Infinity)
    }),
    { numRuns },
  )
}

test('wasm: aria (inline, memory store) equals one-at-a-time replay in (batch, seq) order', async () => {
  await replay({ memory: true, protocol: 'aria' }, 100)
})

test('wasm: calvin and serial (inline, memory store) equal the replay', async () => {
  await replay({ memory: true, protocol: 'calvin' }, 30)
  await replay({ memory: true, protocol: 'serial' }, 20)
})

test('wasm: aria on SQLite with 2 worker threads equals the replay', async () => {
  await replay({ workers: 2, protocol: 'aria', sync: 'off' }, 4)
})

test('wasm: the workloads above exercised conflicts, the fallback and aborts', () => {
  assert.ok(totals.calls > 1000, `calls: ${totals.calls}`)
  assert.ok(totals.fallbackTxns > 200, `fallback executions: ${totals.fallbackTxns}`)
  assert.ok(totals.aborts > 100, `aborts: ${totals.aborts}`)
  assert.ok(totals.commits > totals.aborts, `commits ${totals.commits}, aborts ${totals.aborts}`)
})

const CONFIGS: [string, OpenOptions][] = [
  ['memory/inline/aria', { memory: true, protocol: 'aria' }],
  ['sqlite/1 worker/aria', { workers: 1, protocol: 'aria', sync: 'off' }],
  ['sqlite/2 workers/calvin', { workers: 2, protocol: 'calvin', sync: 'off' }],
]

test('wasm: per-batch digests and replies are identical across stores, workers and protocols, and equal the JS runtime', async () => {
  await fc.assert(
    fc.asyncProperty(workloadArb, async (batches) => {
      const runs = await Promise.all(CONFIGS.map(async ([name, o]) => [name, await runWorkload(batches, o, WASM_FUNCTIONS)] as const))
      // The JS test runtime with the same (never exhausted) fuel: the state cannot depend on the runtime.
      const js = await runWorkload(batches, { memory: true, protocol: 'aria' }, { runtime: 'js', fuel: WASM_FUNCTION_FUEL })
      for (const [name, run] of runs) {
        assert.equal(run.digests, js.digests, `wasm ${name} vs js memory/inline/aria: per-batch digests`)
        assert.equal(replies(run), replies(js), `wasm ${name} vs js memory/inline/aria: replies`)
      }
    }),
    { numRuns: 6 },
  )
})

test.run()
