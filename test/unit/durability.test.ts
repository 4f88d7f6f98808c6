// Restart, full disk and a dying worker: nothing acknowledged is lost, nothing partial is visible.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/index.js'
import { openBank } from '../support/bank.js'
import { tempDir } from '../support/tmp.js'

test('a restart on the same directory recovers tables, functions, rows and the batch position', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await openBank({ dir, workers: 1 })
    await db.insert('account', [['alice', 100], ['bob', 0], ['blob', 1]])
    const t = await db.call('account.transfer', 'alice', 'bob', 40)
    const digest = await db.digest()
    await db.close()

    const again = await openBank({ dir, workers: 2 })
    try {
      assert.is(await again.digest(), digest, 'same state after restart')
      assert.is((await again.get('account', 'bob')).row?.balance, 40)
      const next = await again.call('account.deposit', 'bob', 2)
      assert.is(next.value, 42)
      assert.ok(next.commit.batch > t.commit.batch, 'batch numbers continue after a restart')
    } finally {
      await again.close()
    }
  } finally {
    cleanup()
  }
})

test('a full disk fails the whole batch with STORAGE_FULL, retryably, and leaves the state as it was', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await openBank({ dir, workers: 1, storageBytesMax: 256 * 1024, checkpointIntervalMs: 60_000 })
    await db.insert('account', [['alice', 1]])
    let failed: AcheronError | null = null
    let before = ''
    for (let i = 0; i < 200 && failed === null; i++) {
      before = await db.digest()
      const rows = Array.from({ length: 200 }, (_, j) => [`user-${i}-${j}-${'x'.repeat(40)}`, j])
      failed = await db.insert('account', rows).then(() => null, (e: unknown) => e as AcheronError)
    }
    assert.ok(failed !== null, 'the cap was reached')
    assert.is(failed.code, 'STORAGE_FULL')
    assert.match(failed.message, /full/i)
    assert.is(failed.commit, undefined, 'a batch that did not commit has no position')
    assert.is(await db.digest(), before, 'nothing of the failed batch is visible')
    assert.is((await db.get('account', 'alice')).row?.balance, 1, 'point reads keep working: a batch of reads writes nothing to the log')
    assert.equal((await db.query('SELECT COUNT(*) FROM account WHERE id = ?', ['alice'])).rows, [[1]], 'and so do queries')
    await db.close()
    const again = await openBank({ dir, workers: 1 })
    assert.is(await again.digest(), before, 'and nothing of it appears after a restart')
    await again.close()
  } finally {
    cleanup()
  }
})

test('a batch taken while the log refuses the one before fails too; retried, it sees nothing of either', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await openBank({ dir, workers: 2, storageBytesMax: 192 * 1024, batchIntervalMs: Infinity, checkpointIntervalMs: 60_000 })
    try {
      const setup = db.insert('account', [['alice', 1]])
      db.flush()
      await setup
      // Batch A: far too big for the cap, so the log refuses it. Batch B (taken while A's entry is
      // still being written) reads a row A wrote and writes one of its own.
      const rows = Array.from({ length: 3000 }, (_, j) => [`big-${j}-${'y'.repeat(60)}`, j])
      const a = db.insert('account', rows)
      db.flush()
      const b = db.call('account.deposit', 'alice', 1)
      db.flush()
      const ea = await a.then(() => null, (e: unknown) => e as AcheronError)
      assert.is(ea?.code, 'STORAGE_FULL', 'batch A did not commit')
      const eb = await b.then(() => null, (e: unknown) => e as AcheronError)
      if (eb !== null) assert.is(eb.code, 'STORAGE_FULL', 'batch B failed with it')
      const seen = db.get('account', 'big-7-' + 'y'.repeat(60))
      const retried = db.call('account.deposit', 'alice', 1)
      db.flush()
      assert.is((await seen).row, null, 'nothing of batch A is visible')
      assert.is((await retried).value, eb === null ? 3 : 2)
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test('a worker thread that dies fails only its batch; the next batch runs on a new worker', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await openBank({ dir, workers: 1 })
    try {
      await db.insert('account', [['alice', 5]])
      const before = await db.digest()
      const e = await db.call('account.exitThread', 'alice').then(() => null, (err: unknown) => err as AcheronError)
      assert.ok(e !== null)
      assert.is(e.code, 'INTERNAL')
      assert.is(await db.digest(), before)
      const r = await db.call('account.deposit', 'alice', 1)
      assert.is(r.value, 6)
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test('close finishes and makes durable what was accepted, then refuses with SHUTTING_DOWN', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await openBank({ dir, workers: 1, batchIntervalMs: 50 })
    await db.insert('account', [['alice', 0]])
    const inFlight = Array.from({ length: 20 }, () => db.call('account.deposit', 'alice', 1))
    const closing = db.close()
    const late = await db.call('account.deposit', 'alice', 1).then(() => null, (e: unknown) => e as AcheronError)
    assert.is(late?.code, 'SHUTTING_DOWN')
    const results = await Promise.all(inFlight)
    assert.is(results.length, 20)
    await closing
    const again = await openBank({ dir, workers: 1 })
    assert.is((await again.get('account', 'alice')).row?.balance, 20)
    await again.close()
  } finally {
    cleanup()
  }
})

test('released writes that no checkpoint holds yet stay bounded: past the bound, batches wait for a checkpoint', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // Checkpoints would otherwise come only after a minute: the bound must force them.
    const db = await openBank({ dir, workers: 1, checkpointIntervalMs: 60_000, checkpointWritesMax: 1e9, dirtyWritesMax: 300, batchIntervalMs: Infinity })
    let highest = 0
    db.onBatch(() => { highest = Math.max(highest, db.stats.dirtyWrites) })
    try {
      for (let b = 0; b < 12; b++) {
        const p = db.insert('account', Array.from({ length: 100 }, (_, j) => [`u${b}-${j}`, j]))
        db.flush()
        await p
      }
      assert.ok(db.stats.backpressureWaits >= 2, `batches waited for checkpoints (${db.stats.backpressureWaits})`)
      assert.ok(db.stats.checkpoints >= 2)
      assert.ok(highest <= 300 + 100, `at most the bound plus one batch is ever dirty (${highest})`)
      assert.equal((await db.query('SELECT COUNT(*) FROM account')).rows, [[1200]])
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
