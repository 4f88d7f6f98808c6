// The fallback under data-dependent footprints (pointer chasing: each transaction follows pointers that
// earlier ones in its batch re-point, so re-executions stray outside their components and miss locks).
// Every protocol must give the serial results and state, and the fallback's work must stay bounded:
// a walk stopped by a lock miss resumes instead of starting over, and past a budget the rest is walked
// once, unrestricted. The built-in protocols walk such batches serially instead (contention.ts), so the
// fallback's bounds are checked on protocols that always run their phase 1 (made of the same parts).
// (Speed is measured in bench/fallback.ts; here, the deterministic counts.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase, type Protocol } from '../../src/index.js'
import { ariaFallback } from '../../src/txn/protocols/aria.js'
import { calvinFallback } from '../../src/txn/protocols/calvin.js'
import { FALLBACK_ROUNDS_MAX } from '../../src/txn/protocols/fallback.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { uint32Random } from '../support/rng.js'

const NODES = 5000
const HOPS = 4
const TXNS = 1000

/** Aria and Calvin without the switch to a serial walk: phase 1 on the whole batch, then their fallback. */
const ALWAYS_PHASE1: Record<string, Protocol> = {
  aria: { name: 'aria-always-phase1', runBatch: async (txns, exec) => ariaFallback(txns, await exec.runOnSnapshot(txns), exec) },
  calvin: { name: 'calvin-always-phase1', runBatch: async (txns, exec) => calvinFallback(txns, await exec.runOnSnapshot(txns), exec) },
}

async function openChase(protocol: string | Protocol, workers: number): Promise<EmbeddedDatabase> {
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
    const db = await openChase(ALWAYS_PHASE1[protocol] as Protocol, 0)
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

// The built-in protocols see the contention in a sample of phase 1 and walk the batch serially: the same
// results, no lock misses, and (aria) only the sample's executions that no longer hold run again.
test('pointer chasing: aria and calvin walk contended batches serially, and go back to phase 1 after', async () => {
  const serial = await openChase('serial', 0)
  const expected = [await chaseBatch(serial, 11), await chaseBatch(serial, 12)]
  // Then a batch of a few calls on distinct rows: nothing conflicts.
  const quiet = async (db: EmbeddedDatabase): Promise<unknown[]> => {
    const calls = Array.from({ length: 40 }, (_, i) => db.call('node.chase', i * 100, 0, NODES).then((r) => r.value))
    db.flush()
    return Promise.all(calls)
  }
  const expectedQuiet = [await quiet(serial), await quiet(serial)]
  const expectedDigest = await serial.digest()
  await serial.close()
  for (const protocol of ['aria', 'calvin']) {
    const db = await openChase(protocol, 0)
    try {
      const s0 = { ...db.stats }
      assert.equal(await chaseBatch(db, 11), expected[0], `${protocol}: first batch`)
      const s1 = { ...db.stats }
      assert.is(s1.contendedBatches - s0.contendedBatches, 1, `${protocol}: its sample predicted the first batch contended`)
      assert.is(s1.lockMisses - s0.lockMisses, 0, `${protocol}: a serial walk misses no lock`)
      const sample = Math.ceil(TXNS / 8)
      assert.ok(s1.fallbackTxns - s0.fallbackTxns <= sample, `${protocol}: only sample transactions ran again (${s1.fallbackTxns - s0.fallbackTxns})`)
      assert.equal(await chaseBatch(db, 12), expected[1], `${protocol}: second batch`)
      const s2 = { ...db.stats }
      assert.is(s2.contendedBatches - s1.contendedBatches, 1, `${protocol}: remembered contended`)
      assert.is(s2.fallbackTxns - s1.fallbackTxns, 0, `${protocol}: no phase 1 at all (nothing ran again)`)
      // The quiet batch is still walked serially (remembered), and shows the contention is over.
      assert.equal(await quiet(db), expectedQuiet[0], `${protocol}: first quiet batch`)
      const s3 = { ...db.stats }
      assert.is(s3.contendedBatches - s2.contendedBatches, 1, `${protocol}: walked serially once more`)
      assert.equal(await quiet(db), expectedQuiet[1], `${protocol}: second quiet batch`)
      assert.is(db.stats.contendedBatches - s3.contendedBatches, 0, `${protocol}: back to phase 1`)
      const [stats] = await db.sql('SHOW STATS')
      const shown = new Map(stats?.rows as [string, number][])
      assert.is(shown.get('contended_batches_total'), 3, `${protocol}: SHOW STATS counts the batches walked serially`)
      assert.is(await db.digest(), expectedDigest, `${protocol}: the serial state`)
    } finally {
      await db.close()
    }
  }
})

test.run()
