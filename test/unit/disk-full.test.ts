// A really full disk (a 2 MiB tmpfs): writes fail whole with STORAGE_FULL, reads keep working, the log
// says so a few times (not once per batch), a restart while full still opens, and once space returns the
// engine takes writes again by itself; after a restart every acknowledged write is there.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type EmbeddedDatabase } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

/** A small filesystem of its own, or null where mounting is not permitted. */
function smallFs(bytes: number): { dir: string; cleanup: () => void } | null {
  const t = tempDir('acheron-full-')
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', t.dir], { stdio: 'ignore' })
  } catch {
    t.cleanup()
    return null
  }
  return { dir: t.dir, cleanup: () => { try { execFileSync('umount', ['-l', t.dir], { stdio: 'ignore' }) } catch { /* gone */ } t.cleanup() } }
}

/** Fills the filesystem of `dir` up to `leaveBytes` free, in one file. */
function fill(dir: string, leaveBytes: number): string {
  const file = join(dir, 'filler')
  const { bavail, bsize } = statfsSync(dir)
  writeFileSync(file, Buffer.alloc(Math.max(0, bavail * bsize - leaveBytes)))
  return file
}

const fail = (p: Promise<unknown>): Promise<AcheronError | null> => p.then(() => null, (e: unknown) => e as AcheronError)

test('a full disk: STORAGE_FULL for writes, reads keep working, few log lines, a restart opens, space returns and writes go on, nothing acknowledged is lost', async () => {
  const fs = smallFs(4 * 1024 * 1024)
  if (fs === null) { console.log('  (skipped: mounting a tmpfs is not permitted here)'); return }
  const dir = join(fs.dir, 'data')
  mkdirSync(dir)
  const lines: string[] = []
  const opts = { dir, workers: 1, checkpointIntervalMs: 20, log: (l: string) => lines.push(l) }
  try {
    let db = await open(opts)
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)')
    const filler = fill(fs.dir, 256 * 1024)
    const acked = new Map<number, string>()
    let full: AcheronError | null = null
    let k = 0
    for (let i = 0; i < 400 && full === null; i++) {
      const rows = Array.from({ length: 20 }, () => [k++, `value-${k}-${'x'.repeat(200)}`] as [number, string])
      full = await fail(db.insert('kv', rows))
      if (full === null) for (const [key, v] of rows) acked.set(key, v)
    }
    assert.ok(full !== null, 'the disk filled')
    assert.is(full.code, 'STORAGE_FULL', full.message)
    assert.is(full.commit, undefined)
    // Keep failing a while: the log must not get a line per failed batch.
    for (let i = 0; i < 50; i++) {
      const e = await fail(db.insert('kv', [[1_000_000 + i, 'y'.repeat(4000)]]))
      if (e !== null) assert.is(e.code, 'STORAGE_FULL', e.message)
      else acked.set(1_000_000 + i, 'y'.repeat(4000))
    }
    const sum = await db.query('SELECT COUNT(*) AS n FROM kv')
    assert.equal(sum.rows, [[acked.size]], 'queries keep working while full')
    assert.equal((await db.query('SHOW TABLES')).rows.length, 1)
    assert.ok(lines.length < 20, `a few log lines, not one per failed batch (${lines.length}):\n${lines.slice(0, 5).join('\n')}`)
    assert.ok(lines.every((l) => l.length < 1000), 'no stacks in the log lines')
    await db.close()

    // A restart while the disk is still full opens (it writes nothing it cannot) - unless SQLite cannot
    // even size its WAL index there (SQLITE_IOERR_SHMSIZE, when the log took the last pages): then the
    // open fails saying the disk is full, never hangs (it did, 1 run in 5), and opens once space returns.
    const reopened = await open(opts).then((d) => d, (e: unknown) => e as Error)
    let spaceReturned = false
    if (reopened instanceof Error) {
      assert.match(reopened.message, /disk is full \(SQLITE_|SQLITE_IOERR_SHM|SQLITE_FULL/, reopened.message)
      unlinkSync(filler)
      spaceReturned = true
      db = await open(opts)
    } else db = reopened
    assert.equal((await db.query('SELECT COUNT(*) AS n FROM kv')).rows, [[acked.size]], 'everything acknowledged after a restart while full')
    if (!spaceReturned) {
      const still = await fail(db.insert('kv', [[2_000_000, 'z'.repeat(300_000)]]))
      assert.is(still?.code, 'STORAGE_FULL')
      // Space returns: the engine takes writes again without a restart.
      unlinkSync(filler)
    }
    const back = await fail(db.insert('kv', [[3_000_000, 'back']]))
    assert.is(back, null, `writes go on once space returns: ${back?.message}`)
    acked.set(3_000_000, 'back')
    await db.close()
    db = await open(opts)
    const rows = await db.query('SELECT k, v FROM kv ORDER BY k')
    assert.is(rows.rows.length, acked.size)
    for (const [key, v] of rows.rows as [number, string][]) assert.is(acked.get(key), v, `row ${key}`)
    await db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
    fs.cleanup()
  }
})

/**
 * `body` on a database whose batch log is full (storageBytesMax 64 KiB, filled by 2 KB rows until a write
 * got STORAGE_FULL), with every server-log line and its level.
 */
async function withFullLog(body: (db: EmbeddedDatabase, logged: { line: string; level: string }[]) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir()
  const logged: { line: string; level: string }[] = []
  try {
    const db = await open({ dir, workers: 0, storageBytesMax: 64 * 1024, checkpointIntervalMs: 60_000, log: (line, e) => logged.push({ line, level: e.level }) })
    try {
      await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL) PARTITIONS 1')
      let full: AcheronError | null = null
      for (let k = 0; k < 200 && full === null; k++) full = await fail(db.insert('kv', [[k, 'x'.repeat(2000)]]))
      assert.is(full?.code, 'STORAGE_FULL', full?.message)
      await body(db, logged)
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
}

test('a batch log that refuses a write (storageBytesMax) is logged at level error, not info: an operator alerting on errors sees a full disk', () => withFullLog(async (db, logged) => {
  assert.is((await fail(db.insert('kv', [[-1, 'x'.repeat(2000)]])))?.code, 'STORAGE_FULL')
  const refused = logged.filter((l) => /the batch log refused a write/.test(l.line))
  assert.ok(refused.length > 0, logged.map((l) => l.line).join('\n'))
  assert.equal(refused.map((l) => l.level), refused.map(() => 'error'))
}))

test('a nearly full log, small batches committing between large ones refused: one refusal line, not one per refused batch', () => withFullLog(async (db, logged) => {
  let committed = 0
  for (let i = 0; i < 20; i++) {
    if ((await fail(db.insert('kv', [[10_000 + i, 'y']]))) === null) committed++
    assert.is((await fail(db.insert('kv', [[20_000 + i, 'x'.repeat(2000)]])))?.code, 'STORAGE_FULL')
  }
  assert.ok(committed > 1, `small batches committed between the refusals (${committed})`)
  const refused = logged.filter((l) => /refused a write/.test(l.line))
  assert.is(refused.length, 1, refused.map((l) => l.line).join('\n'))
}))

test('a checkpoint that cannot be written (SQLITE_FULL) is retried; writes past dirtyWritesMax fail with STORAGE_FULL; nothing acknowledged is lost', async () => {
  const { dir, cleanup } = tempDir()
  const lines: string[] = []
  try {
    const levels = new Map<string, string>()
    let db = await open({ dir, workers: 1, checkpointIntervalMs: 10, dirtyWritesMax: 400, checkpointBytesMax: 160 * 1024, log: (l, e) => { lines.push(l); levels.set(l, e.level) } })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL) PARTITIONS 1')
    const acked = new Map<number, string>()
    let full: AcheronError | null = null
    let k = 0
    for (let i = 0; i < 500 && full === null; i++) {
      const rows = Array.from({ length: 20 }, () => [k++, `v${k}-${'x'.repeat(500)}`] as [number, string])
      full = await fail(db.insert('kv', rows))
      if (full === null) for (const [key, v] of rows) acked.set(key, v)
      else if (full.code !== 'STORAGE_FULL') break
      if (full === null) await new Promise((r) => setTimeout(r, 2))
    }
    assert.ok(full !== null, 'writes were refused')
    assert.is(full.code, 'STORAGE_FULL', full.message)
    assert.match(full.message, /checkpoint/)
    assert.is(full.commit, undefined)
    assert.ok(lines.some((l) => /checkpoint failed/.test(l)), 'the failed checkpoint is logged')
    assert.ok(lines.length < 10, `a few lines: ${lines.length}`)
    // The engine is not stopped: point reads run, a query runs or says STORAGE_FULL (no position).
    assert.is((await db.get('kv', 0)).row?.v, acked.get(0))
    const q = await db.query('SELECT COUNT(*) FROM kv').then((r) => r, (e: unknown) => e as AcheronError)
    if (q instanceof AcheronError) { assert.is(q.code, 'STORAGE_FULL', q.message); assert.is(q.commit, undefined) }
    else assert.equal(q.rows, [[acked.size]])
    await db.close()
    // Space returns (no cap): everything acknowledged is there, and writes go on.
    db = await open({ dir, workers: 1 })
    const rows = await db.query('SELECT k, v FROM kv ORDER BY k')
    assert.is(rows.rows.length, acked.size)
    for (const [key, v] of rows.rows as [number, string][]) assert.is(acked.get(key), v, `row ${key}`)
    await db.insert('kv', [[-1, 'after']])
    await db.close()
    // Checked once the engine is closed, so that a failure here leaves no thread running.
    const failed = lines.filter((l) => /checkpoint failed/.test(l))
    assert.ok(failed.length > 0 && failed.every((l) => levels.get(l) === 'error'), 'a failed checkpoint is an error line, not info')
  } finally {
    cleanup()
  }
})

test.run()
