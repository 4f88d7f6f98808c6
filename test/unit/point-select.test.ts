// A SELECT whose WHERE pins the key runs in the workers inside a batch, like any point transaction,
// and sees exactly the transactions ordered before it; and a caller that keeps awaiting queries does not
// starve its own timers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

test('keyed SELECTs share a batch with calls and updates, and each sees exactly the writes before it', async () => {
  const tmp = tempDir()
  const db = await open({ dir: tmp.dir, workers: 2, batchIntervalMs: Infinity })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0, s TEXT) PARTITIONS 4;')
    // Batches close only on flush() here (batchIntervalMs: Infinity): each db.sql submits synchronously.
    const load = db.sql("INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b');")
    db.flush()
    await load
    // One batch: read, write, read again, then a query with aggregates and a filter, all keyed.
    const before = db.sql('SELECT v, s FROM t WHERE k = 1;')
    const write = db.sql('UPDATE t SET v = v + 5 WHERE k = 1;')
    const after = db.sql('SELECT v * 2 AS twice, UPPER(s) AS u FROM t WHERE k = 1 AND v > 12;')
    const agg = db.sql('SELECT COUNT(*), SUM(v) FROM t WHERE k = 2 AND s = ?;', ['b'])
    const none = db.sql('SELECT * FROM t WHERE k = 3;')
    db.flush()
    const [[b], [w], [a], [g], [n]] = await Promise.all([before, write, after, agg, none])
    assert.equal(b?.rows, [[10, 'a']])
    assert.equal(a?.columns, ['twice', 'u'])
    assert.equal(a?.rows, [[30, 'A']])
    assert.equal(g?.rows, [[1, 20]])
    assert.equal(n?.rows, [])
    const batches = new Set([b, w, a, g, n].map((r) => r?.commit.batch))
    assert.is(batches.size, 1, `one batch, not one per SELECT: ${JSON.stringify([b, w, a, g, n].map((r) => r?.commit))}`)
    assert.equal([b, w, a, g, n].map((r) => r?.commit.seq), [0, 1, 2, 3, 4])
  } finally {
    await db.close()
    tmp.cleanup()
  }
})

test('a caller awaiting coordinator queries in a loop still lets its timers run', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER);')
    let fired = false
    setTimeout(() => { fired = true }, 5)
    let queries = 0
    // A scan runs alone on the coordinator; with the inline executor nothing leaves this thread.
    while (!fired) {
      await db.query('SELECT COUNT(*) FROM t WHERE v > 0')
      queries++
      if (queries > 100_000) break
    }
    assert.ok(fired, `the timer never fired during ${queries} queries`)
  } finally {
    await db.close()
  }
})

test.run()
