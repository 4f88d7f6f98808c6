// Recovery is replay: the batch log is the database. A run records, for every batch, its inputs, every
// reply and the state digest right after it; then its checkpoint file is deleted and the data
// directory reopened, so that recovery starts from an empty checkpoint and re-executes the whole log
// through the engine. Every replayed batch must give the same inputs, replies and digest. A second
// reopen, from the checkpoint the first one left, must land on the same final state.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { stableText } from '../../src/testing/failure.js'
import type { BatchRecord } from '../../src/txn/engine.js'
import { uint32Random } from '../support/rng.js'
import { verifyDataDir } from '../../src/cli/verify.js'
import { tempDir } from '../support/tmp.js'

const BANK = new Uint8Array(readFileSync(new URL('../../guest/bank.wasm', import.meta.url)))

interface Seen { batch: number; txns: string; outcomes: string; digest: Promise<string> }

function recorder(into: Seen[]): (r: BatchRecord) => void {
  return (r) => {
    // Asked inside onBatch: the digest of the state right after this batch.
    into.push({ batch: r.batch, txns: stableText(r.txns), outcomes: stableText(r.outcomes), digest: r.digest() })
  }
}

async function workload(db: EmbeddedDatabase, seed: number): Promise<void> {
  const rnd = uint32Random(seed)
  await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;')
  for (const f of ['deposit', 'withdraw', 'transfer']) await db.createFunction(`account.${f}`, BANK, { export: f })
  await db.insert('account', Array.from({ length: 60 }, (_, i) => [`a${i}`, 100]))
  const wave = async (n: number) => {
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < n; i++) {
      const a = `a${rnd() % 60}`
      const b = `a${rnd() % 60}`
      // Some overdraw and abort: the abort, with its position, must replay too.
      calls.push(db.call('account.transfer', a, b, 1 + (rnd() % 150)).catch((e: unknown) => e))
      if (i % 37 === 0) calls.push(db.query('SELECT SUM(balance) FROM account'))
    }
    await Promise.all(calls)
  }
  await wave(400)
  await db.sql("UPDATE account SET balance = balance + 1 WHERE balance > 150; DELETE FROM account WHERE balance = 0;")
  await db.sql('CREATE TABLE note (k INTEGER PRIMARY KEY, body TEXT) PARTITIONS 2; INSERT INTO note VALUES (1, \'one\'), (2, \'two\');')
  // The same module again: logged by its hash, not its bytes.
  await db.createFunction('account.give', BANK, { export: 'deposit' })
  // An index the queries and scans below may read through, carried over the ALTER; one made and dropped.
  await db.sql('CREATE INDEX account_balance ON account (balance DESC, id); CREATE INDEX note_body ON note (body); DROP INDEX note_body')
  // Its rows move to 7 partitions between two waves of calls (the checkpoint catches up later).
  await Promise.all([wave(100), db.sql('ALTER TABLE account PARTITIONS 7'), wave(200)])
  // A column added between two waves: rows written before it are read with its default until written again.
  await Promise.all([wave(50), db.sql("ALTER TABLE account ADD COLUMN note TEXT NOT NULL DEFAULT 'n'"), wave(50)])
  // The key renamed between two waves: rows the checkpoint holds are found under its old name until it catches up.
  await Promise.all([wave(50), db.sql('ALTER TABLE account RENAME COLUMN id TO owner'), wave(50)])
  await db.sql("UPDATE account SET note = note || '+' WHERE owner = 'a2'; UPDATE account SET note = 'low' WHERE balance < 50")
  await db.sql('DROP TABLE note; CREATE TABLE note (k INTEGER PRIMARY KEY, n REAL); INSERT INTO note VALUES (7, 1.5);')
  await db.sql("BEGIN; UPDATE account SET balance = balance * 2 WHERE owner = 'a1'; SELECT COUNT(*) FROM account; UPDATE account SET balance = 3 WHERE balance < 20; COMMIT;")
  // Rows a query chose, re-chosen by the replay: INSERT … SELECT, and a WITH read by an UPDATE's subquery.
  await db.sql('INSERT INTO note (k, n) SELECT 100 + ROW_NUMBER() OVER (ORDER BY owner), balance / 2.0 FROM account WHERE balance > 120 RETURNING k, n')
  await db.sql('WITH top AS (SELECT owner FROM account ORDER BY balance DESC, owner LIMIT 5) UPDATE account SET balance = balance - 1 WHERE owner IN (SELECT owner FROM top)')
  await wave(300)
}

const OPTIONS: OpenOptions = { workers: 2, sync: 'full', checkpointIntervalMs: 5, logSegmentBytesMax: 16 * 1024, logSegmentsKept: Number.MAX_SAFE_INTEGER }

test('replay from an empty checkpoint gives every batch the same inputs, replies and digest as the first run', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const first: Seen[] = []
    const db = await open({ ...OPTIONS, dir, onBatch: recorder(first) })
    await workload(db, 7)
    const finalDigest = await db.digest()
    assert.ok(db.stats.checkpoints > 0, 'checkpoints were taken while it ran')
    await db.close()

    // An empty checkpoint: recovery must re-execute the whole log.
    for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm']) rmSync(join(dir, f), { force: true })
    const replayed: Seen[] = []
    const again = await open({ ...OPTIONS, dir, onBatch: recorder(replayed) })
    try {
      assert.is(again.stats.replayedBatches, first.length, 'every batch replayed')
      assert.is(replayed.length, first.length)
      for (let i = 0; i < first.length; i++) {
        const [a, b] = [first[i] as Seen, replayed[i] as Seen]
        assert.is(b.batch, a.batch, `batch ${i}: number`)
        assert.is(b.txns, a.txns, `batch ${a.batch}: inputs`)
        assert.is(b.outcomes, a.outcomes, `batch ${a.batch}: replies`)
        assert.is(await b.digest, await a.digest, `batch ${a.batch}: digest`)
      }
      assert.is(await again.digest(), finalDigest)
      const s = again.stats
      process.stdout.write(`replayed ${s.replayedBatches} batches, ${s.replayedTxns} transactions in ${s.replayMs.toFixed(0)} ms ` +
        `(${Math.round(s.replayedBatches / (s.replayMs / 1000))} batches/s, ${Math.round(s.replayedTxns / (s.replayMs / 1000))} txns/s)\n`)
      // It keeps going where the log ends: the next batch follows the last one.
      const next = await again.call('account.deposit', 'a2', 5)
      assert.is(next.commit.batch, (first[first.length - 1] as Seen).batch + 1)
    } finally {
      await again.close()
    }

    // From the checkpoint that run left: little or nothing to replay, the same state.
    const third = await open({ ...OPTIONS, dir })
    try {
      const expected = await (async () => { return third.digest() })()
      assert.is(typeof expected, 'string')
      assert.ok(third.stats.replayedBatches <= 1, `replayed ${third.stats.replayedBatches} batches after a clean close`)
    } finally {
      await third.close()
    }
  } finally {
    cleanup()
  }
})

test('recovery says in the server log what it replays and how long it took', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ ...OPTIONS, dir })
    await workload(db, 3)
    const last = db.stats.batches
    await db.close()
    for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm']) rmSync(join(dir, f), { force: true })
    const lines: string[] = []
    const again = await open({ ...OPTIONS, dir, log: (l) => lines.push(l) })
    try {
      const n = again.stats.replayedBatches
      assert.ok(n > 0 && n >= last - 1, `replayed ${n}`)
      assert.ok(lines.some((l) => /^\[engine\] recovering: replaying batches 1 to \d+ from the log \(the checkpoint holds batches up to 0\)$/.test(l)), lines.join('\n'))
      assert.ok(lines.some((l) => new RegExp(`^\\[engine\\] recovered: replayed ${n} batches \\(\\d+ transactions\\) in \\d+ ms$`).test(l)), lines.join('\n'))
    } finally {
      await again.close()
    }
    // A clean close left nothing to replay: nothing is said.
    const lines3: string[] = []
    const third = await open({ ...OPTIONS, dir, log: (l) => lines3.push(l) })
    await third.close()
    assert.not.ok(lines3.some((l) => /recover/.test(l)), lines3.join('\n'))
  } finally {
    cleanup()
  }
})

test('a clean close checkpoints every released batch: the next open replays nothing and verify finds nothing to replay', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // No checkpoint while it runs (a minute apart, far more writes than these): only the close can take one.
    const quiet: OpenOptions = { dir, sync: 'full', checkpointIntervalMs: 60_000, checkpointWritesMax: 1_000_000 }
    const db = await open(quiet)
    await workload(db, 11)
    const total = (await db.query('SELECT SUM(balance) FROM account')).rows[0]?.[0] as number
    // The last batches only written, never read: nothing has moved them towards the checkpoint file.
    const deposits = await Promise.all(Array.from({ length: 50 }, (_, i) => db.call('account.deposit', `a${i % 9}`, 2)))
    const last = Math.max(...deposits.map((d) => d.commit.batch))
    assert.is(db.stats.checkpointBatch, 0, 'no checkpoint before the close')
    await db.close()

    const report = verifyDataDir(dir)
    assert.ok(report.sound, report.lines.join('\n'))
    assert.match(report.lines[0] as string, new RegExp(`checkpoint at batch ${last} \\(`))
    assert.match(report.lines[0] as string, /, 0 batches to replay from batch /)
    const again = await open(quiet)
    try {
      assert.is(again.stats.replayedBatches, 0)
      assert.equal((await again.query('SELECT SUM(balance) FROM account')).rows, [[total + 100]])
      assert.is((await again.call('account.deposit', 'a3', 1)).commit.batch, last + 1)
    } finally {
      await again.close()
    }
    // Batches that nothing read since the open (so none was written into SQLite yet), a DDL among them:
    // the close still takes them into its checkpoint.
    const unread = await open(quiet)
    let lastUnread = 0
    try {
      await unread.sql('CREATE INDEX account_by_balance ON account (balance, owner)')
      for (let i = 0; i < 20; i++) lastUnread = (await unread.call('account.deposit', `a${i % 9}`, 1)).commit.batch
    } finally {
      await unread.close()
    }
    const after = verifyDataDir(dir)
    assert.match(after.lines[0] as string, new RegExp(`checkpoint at batch ${lastUnread} \\(.*, 0 batches to replay from batch `), after.lines.join('\n'))
  } finally {
    cleanup()
  }
})

test('a replayed log holding a voided batch skips it, and replies stay those of the first run', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const first: Seen[] = []
    const { JS_RUNTIME } = await import('../support/js-runtime.js')
    const db = await open({ dir, workers: 1, runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity, onBatch: recorder(first) })
    await db.createTable({ name: 'account', columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }] })
    for (const f of ['deposit', 'exitThread']) await db.createFunction(`account.${f}`, new Uint8Array(0), { runtime: 'js' })
    const ok1 = db.call('account.deposit', 'x', 1)
    db.flush()
    await ok1
    // A batch whose worker dies: it fails whole, without a position, and is voided in the log.
    const dying = [db.call('account.deposit', 'x', 100), db.call('account.exitThread', 'x')].map((p) => p.then(() => null, (e: unknown) => e as { code: string; commit?: unknown }))
    db.flush()
    const errs = await Promise.all(dying)
    for (const e of errs) {
      assert.is(e?.code, 'INTERNAL')
      assert.is(e?.commit, undefined)
    }
    const ok2 = db.call('account.deposit', 'x', 2)
    db.flush()
    const r2 = await ok2
    assert.is(r2.value, 3, 'the voided batch left nothing')
    const digest = await db.digest()
    await db.close()
    for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm']) rmSync(join(dir, f), { force: true })
    const replayed: Seen[] = []
    const again = await open({ dir, workers: 1, runtimes: { js: JS_RUNTIME }, onBatch: recorder(replayed) })
    try {
      assert.equal(replayed.map((s) => s.batch), first.map((s) => s.batch))
      assert.equal(replayed.map((s) => s.outcomes), first.map((s) => s.outcomes))
      assert.is(await again.digest(), digest)
      assert.ok(r2.commit.batch > (first[first.length - 2] as Seen).batch + 1, 'the voided batch keeps its number: it is never reused')
    } finally {
      await again.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
