// The fallback under data-dependent footprints (pointer chasing: each transaction follows pointers that
// earlier ones in its batch re-point, so re-executions stray outside their components and miss locks).
// Every protocol must give the serial results and state, and the fallback's work must stay bounded:
// a walk stopped by a lock miss resumes instead of starting over, and past a budget the rest is walked
// once, unrestricted. (Speed is measured in bench/fallback.ts; here, the deterministic counts.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { FALLBACK_ROUNDS_MAX } from '../../src/txn/protocols/fallback.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { uint32Random } from '../support/rng.js'

const NODES = 5000
const HOPS = 4
const TXNS = 1000

async function openChase(protocol: string, workers: number): Promise<EmbeddedDatabase> {
  const db = await open({ memory: true, workers, protocol, runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity, batchTxnsMax: TXNS })
  await db.createTable({ name: 'node', columns: [
    { name: 'k', type: 'INTEGER', primaryKey: true }, { name: 'next', type: 'INTEGER', notNull: true, default: 0 }, { name: 'hits', type: 'INTEGER', notNull: true, default: 0 },
  ], partitions: 4 })
  await db.createFunction('node.chase', new Uint8Array(0), { runtime: 'js' })
  const rnd = uint32Random(3)
  const rows = Array.from({ length: NODES }, (_, k) => [k, rnd() % NODES, 0])
  const load = db.insert('node', rows)
  db.flush()
  await load
  return db
}

async function chaseBatch(db: EmbeddedDatabase, seed: number): Promise<{ values: unknown[]; digest: string }> {
  const rnd = uint32Random(seed)
  const calls = Array.from({ length: TXNS }, () => db.call('node.chase', rnd() % NODES, HOPS, NODES).then((r) => r.value))
  db.flush()
  const values = await Promise.all(calls)
  return { values, digest: await db.digest() }
}

test('pointer chasing: aria and calvin give the serial results, and the fallback re-executes at most about the batch once', async () => {
  const serial = await openChase('serial', 0)
  const expected = await chaseBatch(serial, 11)
  await serial.close()
  for (const protocol of ['aria', 'calvin']) {
    const db = await openChase(protocol, 0)
    try {
      const before = { ...db.stats }
      const got = await chaseBatch(db, 11)
      assert.equal(got.values, expected.values, `${protocol}: results`)
      assert.is(got.digest, expected.digest, `${protocol}: state`)
      const misses = db.stats.lockMisses - before.lockMisses
      const reexecuted = db.stats.fallbackTxns - before.fallbackTxns
      const rounds = db.stats.walkRounds - before.walkRounds
      assert.ok(misses > 10, `${protocol}: the workload does miss locks (${misses})`)
      // Resumed walks and the budget: never much more than one re-execution of the batch, plus the
      // closing serial walk — where restarting every merged walk from its start was quadratic.
      assert.ok(reexecuted <= 2 * TXNS, `${protocol}: ${reexecuted} re-executions for ${TXNS} transactions`)
      assert.ok(rounds <= FALLBACK_ROUNDS_MAX + 1, `${protocol}: ${rounds} rounds for ${misses} misses (a round is a round trip to the workers)`)
    } finally {
      await db.close()
    }
  }
})

test.run()
