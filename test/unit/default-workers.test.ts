// How many execution workers open() starts when none are asked for (none on two cores or fewer, the
// measured faster choice there, docs/benchmarks.md; two with more cores), and which concurrency control
// runs then: serial on the coordinator's thread, aria with workers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultProtocol, defaultWorkers, WORKERS_MAX } from '../../src/embedded.js'
import { AcheronError, open, type EmbeddedDatabase } from '../../src/index.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { createStepsTable } from '../support/steps-table.js'

test('no workers on one or two cores; two with more', () => {
  assert.is(defaultWorkers(1), 0)
  assert.is(defaultWorkers(2), 0)
  assert.is(defaultWorkers(3), 2)
  assert.is(defaultWorkers(64), 2)
  assert.is(defaultProtocol(0), 'serial')
  assert.is(defaultProtocol(2), 'aria')
})

test('memory: true takes no execution threads and no dir: a CONSTRAINT naming the option (workers: 2 was a plain Error without a code, dir was ignored)', async () => {
  const refused = (options: Parameters<typeof open>[0]): Promise<unknown> => open(options).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
  const workers = await refused({ memory: true, workers: 2 })
  assert.instance(workers, AcheronError)
  assert.equal([(workers as AcheronError).code, (workers as AcheronError).message], ['CONSTRAINT', 'workers must be 0 with memory: true (the in-memory state lives in the calling thread, which executes), got 2: execution threads need a data directory (dir)'])
  const dir = await refused({ memory: true, dir: './xx' })
  assert.instance(dir, AcheronError)
  assert.equal([(dir as AcheronError).code, (dir as AcheronError).message], ['CONSTRAINT', "memory: true keeps nothing on disk, so it takes no dir (got './xx'): give dir or memory, not both"])
})

test('workers is bounded: beyond WORKERS_MAX, negative or fractional is a CONSTRAINT before anything opens (500 took 10 s and 5.4 GB)', async () => {
  for (const workers of [WORKERS_MAX + 1, 500, -1, 1.5, Number.NaN]) {
    const e = await open({ memory: true, workers }).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
    assert.instance(e, AcheronError, String(workers))
    assert.is((e as AcheronError).code, 'CONSTRAINT')
    assert.match((e as AcheronError).message, new RegExp(`^workers must be an integer from 0 to ${WORKERS_MAX} `))
  }
})

/** One batch of 200 increments of 5 keys: every transaction but the first of each key conflicts. */
async function contended(db: EmbeddedDatabase): Promise<{ fallback: number; serialWalks: number; digest: string }> {
  await createStepsTable(db)
  const calls = Array.from({ length: 200 }, (_, i) => db.call('kv.run', i % 5, JSON.stringify([{ op: 'incr', by: 1 }])))
  db.flush()
  await Promise.all(calls)
  return { fallback: db.stats.fallbackTxns, serialWalks: db.stats.contendedBatches, digest: await db.digest() }
}

test('with no workers, the default executes each transaction once (serial); aria there executes some twice, to the same state', async () => {
  const byDefault = await open({ memory: true, workers: 0, runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity })
  const aria = await open({ memory: true, workers: 0, protocol: 'aria', runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity })
  try {
    const d = await contended(byDefault)
    const a = await contended(aria)
    assert.is(d.fallback, 0, 'serial has no fallback')
    // Aria ran phase 1 on the batch's first 25 (its sample, src/txn/protocols/contention.ts), predicted the
    // batch contended and walked it serially: the sample's 20 conflicting transactions ran twice.
    assert.is(a.serialWalks, 1, 'aria walked the contended batch serially')
    assert.is(a.fallback, 20, `aria re-executed the sample's conflicting transactions (${a.fallback})`)
    assert.is(d.digest, a.digest)
  } finally {
    await byDefault.close()
    await aria.close()
  }
})

test.run()
