// Damage to a stopped data directory is found, never served: the open refuses naming the file and the
// problem, and `acheron verify` names every problem (or says the directory is sound).
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { crc32 } from 'node:zlib'
import { open, type AcheronError } from '../../src/index.js'
import { FRAME_HEADER_BYTES, LOG_FORMAT, readFrame } from '../../src/log/frame.js'
import { wat } from '../wasm-exec/wat.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const MODULE = wat(`(module (import "acheron" "ret_int" (func $r (param i64))) (memory (export "memory") 1 1)
  (func (export "f") (call $r (i64.const 7))))`)

function verify(dir: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'verify', '--data', dir], { encoding: 'utf8' })
  return { code: r.status ?? -1, out: r.stdout + r.stderr }
}

/** A stopped directory with a table of 8 partitions, 50 rows and a function. */
async function makeDir(dir: string): Promise<void> {
  const db = await open({ dir, workers: 1 })
  await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT) PARTITIONS 8')
  await db.createFunction('kv.f', MODULE)
  await db.insert('kv', Array.from({ length: 50 }, (_, i) => [i, i, `s${i}`]))
  await db.checkpoint() // the rows in acheron.db, not only in the log
  await db.close()
}

const refusal = (dir: string): Promise<string> => open({ dir, workers: 1 }).then(async (db) => { await db.close(); return 'opened' }, (e: unknown) => (e as Error).message)

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    await fn(dir)
  } finally {
    cleanup()
  }
}

function sqlite(dir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(join(dir, 'acheron.db'))
  db.prepare(sql).run(...params)
  db.close()
}

test('a sound directory: verify exits 0 with a summary; a directory in use is refused', () => withDir(async (dir) => {
  const r = verify(dir)
  assert.is(r.code, 0, r.out)
  assert.match(r.out, /is sound: checkpoint at batch \d+ \(1 table, 50 rows, 1 module; integrity ok\)/)
  const db = await open({ dir, workers: 1 })
  try {
    const busy = verify(dir)
    assert.is(busy.code, 1)
    assert.match(busy.out, /in use by process/)
  } finally {
    await db.close()
  }
}))

test('a byte flipped in the last log entry: verify says the tail may have been acknowledged and where its bytes will be kept; the open keeps them', () => withDir(async (dir) => {
  const { segment, bytes } = await lastEntry(dir)
  const logDir = join(dir, 'log')
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  bytes[end - 5] = (bytes[end - 5] as number) ^ 0x40
  writeFileSync(segment, bytes)
  const r = verify(dir)
  assert.is(r.code, 0, r.out)
  // Before: "a write the last run did not finish, never acknowledged", of a batch that had been.
  assert.match(r.out, /will be cut at the next open, its bytes kept in \S+\.log\.cut-at-\d+: after a crash, a write the last run did not finish \(never acknowledged\); after no crash, a last entry the disk damaged, whose batch may have been acknowledged/)
  const reopened = await open({ dir, workers: 1 })
  await reopened.close()
  assert.ok(readdirSync(logDir).some((n) => /\.log\.cut-at-\d+$/.test(n)), readdirSync(logDir).join(', '))
}))

test('the checkpoint file deleted, its -wal kept: the open refuses naming acheron.db', () => withDir(async (dir) => {
  copyFileSync(join(dir, 'acheron.db'), join(dir, 'acheron.db-wal'))
  unlinkSync(join(dir, 'acheron.db'))
  const m = await refusal(dir)
  assert.match(m, /acheron\.db is missing but its write-ahead log/)
  assert.not.ok(existsSync(join(dir, 'acheron.db')), 'nothing was created')
  const r = verify(dir)
  assert.is(r.code, 1)
  assert.match(r.out, /acheron\.db is missing/)
}))

test('a log that is a file, an acheron.db that is a directory, a segment that is a directory: verify and the open name each', () => withDir(async (dir) => {
  // verify called the first sound (exit 0) while the open failed with "EEXIST: … mkdir 'DIR/log'"; the
  // others said only "unable to open database file" and "EISDIR: illegal operation on a directory, read".
  rmSync(join(dir, 'log'), { recursive: true })
  writeFileSync(join(dir, 'log'), 'junk')
  assert.match(await refusal(dir), /log is a file, not a directory: the batch log's segment files live in it/)
  let r = verify(dir)
  assert.is(r.code, 1, r.out)
  assert.match(r.out, /1 problem:\n\s+\S+\/log is a file, not a directory/)
  unlinkSync(join(dir, 'log'))
  mkdirSync(join(dir, 'log', '0000000000000007.log'), { recursive: true })
  r = verify(dir)
  assert.is(r.code, 1, r.out)
  assert.match(r.out, /0000000000000007\.log is a directory, not a log segment file/)
  rmSync(join(dir, 'acheron.db'))
  mkdirSync(join(dir, 'acheron.db'))
  assert.match(await refusal(dir), /acheron\.db is a directory, not a file/)
  r = verify(dir)
  assert.is(r.code, 1, r.out)
  assert.match(r.out, /acheron\.db is a directory, not a file: the checkpoint is a SQLite database file/)
}))

test('a deleted module row: the open refuses naming the function and the module', () => withDir(async (dir) => {
  sqlite(dir, 'DELETE FROM _acheron_modules')
  const m = await refusal(dir)
  assert.match(m, /function kv\.f runs module [0-9a-f]{64}, which _acheron_modules does not hold/)
  assert.ok(m.includes(`Run acheron verify --data ${dir} for the full check`), m)
  assert.match(m, /acheron\.db/)
  assert.is(verify(dir).code, 1)
}))

test('module bytes that no longer match their hash: the open refuses', () => withDir(async (dir) => {
  const altered = new Uint8Array(MODULE)
  altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 1
  sqlite(dir, 'UPDATE _acheron_modules SET bytes = ?', Buffer.from(altered))
  const m = await refusal(dir)
  assert.match(m, /module [0-9a-f]{64} in _acheron_modules holds bytes whose SHA-256 is [0-9a-f]{64} \(the module was altered\)/)
  assert.match(verify(dir).out, /the module was altered/)
}))

test('a partition table dropped: the open refuses naming it', () => withDir(async (dir) => {
  sqlite(dir, 'DROP TABLE "kv$p3"')
  assert.match(await refusal(dir), /table kv has no SQLite table kv\$p3 for its partition 3/)
}))

test('a checkpoint in a newer storage format is not called damage: open and verify say to run the newer version, not to restore a backup', () => withDir(async (dir) => {
  sqlite(dir, "UPDATE _acheron_meta SET v = 2 WHERE k = 'format'")
  const m = await refusal(dir)
  assert.match(m, /acheron\.db is in storage format 2, acheron \S+ reads format 1: it was written by a newer acheron; run that version/)
  assert.not.match(m, /damaged, refusing|restore the directory from a backup/)
  const r = verify(dir)
  assert.is(r.code, 1, r.out)
  assert.match(r.out, /written by a newer acheron/)
  sqlite(dir, "UPDATE _acheron_meta SET v = 0 WHERE k = 'format'")
  assert.match(await refusal(dir), /the data directory is damaged.*storage format 0.*no version of acheron wrote that format/)
}))

/** The last log segment of `dir` and the byte offset of its last whole entry (after a write past the checkpoint). */
async function lastEntry(dir: string): Promise<{ segment: string; bytes: Buffer; at: number }> {
  const db = await open({ dir, workers: 1, checkpointAtClose: false, checkpointIntervalMs: 3_600_000 })
  await db.insert('kv', [[100, 1, 'after the checkpoint']])
  await db.close()
  const logDir = join(dir, 'log')
  const segment = join(logDir, readdirSync(logDir).filter((n) => n.endsWith('.log')).sort().at(-1) as string)
  const bytes = readFileSync(segment)
  let at = -1
  for (let next = 0; ;) {
    const f = readFrame(bytes, next)
    if (!f.ok) break
    at = next
    next = f.end
  }
  assert.ok(at >= 0, 'the segment holds an entry')
  return { segment, bytes, at }
}

/** Nothing of the log was cut or kept aside: the segment is as it was. */
function untouched(segment: string, bytes: Buffer): void {
  assert.ok(readFileSync(segment).equals(bytes), 'the segment is unchanged')
  assert.not.ok(readdirSync(join(segment, '..')).some((n) => n.includes('.cut-at-')), 'no tail was cut')
}

test('a log entry of a newer log format, last in the log: refused as a newer acheron\'s, not cut as a torn tail', () => withDir(async (dir) => {
  const { segment, bytes, at } = await lastEntry(dir)
  const newer = Buffer.from(bytes)
  newer[at] = LOG_FORMAT + 1 // the marker's low byte (little-endian): the next log format
  writeFileSync(segment, newer)
  const m = await refusal(dir)
  assert.match(m, new RegExp(`batch log \\S+ holds at byte ${at} an entry in log format ${LOG_FORMAT + 1}, and acheron \\S+ reads log format ${LOG_FORMAT}: it was written by a newer acheron`))
  assert.not.match(m, /damaged, refusing|restore the directory from a backup/)
  untouched(segment, newer)
  const r = verify(dir)
  assert.is(r.code, 1, r.out)
  assert.match(r.out, /written by a newer acheron/)
}))

test('a whole log entry of a kind this version does not know: refused as a newer acheron\'s, not cut', () => withDir(async (dir) => {
  const { segment, bytes, at } = await lastEntry(dir)
  const newer = Buffer.from(bytes)
  newer[at + 12] = 9 // the kind byte; the checksum made right again: a whole entry
  const end = at + FRAME_HEADER_BYTES + newer.readUInt32LE(at + 4)
  newer.writeUInt32LE(crc32(newer.subarray(at + 12, end)), at + 8)
  writeFileSync(segment, newer)
  assert.match(await refusal(dir), /holds at byte \d+ a whole entry of kind 9, .*written by a newer acheron/)
  untouched(segment, newer)
}))

test('a checkpoint of a newer storage format beside a log with a torn tail: refused before the log is cut', () => withDir(async (dir) => {
  const { segment, bytes } = await lastEntry(dir)
  const torn = Buffer.concat([bytes, Buffer.from([1, 2, 3, 4, 5])])
  writeFileSync(segment, torn)
  sqlite(dir, "UPDATE _acheron_meta SET v = 2 WHERE k = 'format'")
  assert.match(await refusal(dir), /acheron\.db is in storage format 2, .*written by a newer acheron/)
  // A newer version's log, read by this one, is no torn tail to cut.
  untouched(segment, torn)
}))

test('a TEXT value in an INTEGER column, a row in the wrong partition: verify names each', () => withDir(async (dir) => {
  sqlite(dir, `UPDATE "kv$p0" SET v = 'abc' WHERE k = (SELECT MIN(k) FROM "kv$p0")`)
  sqlite(dir, `INSERT INTO "kv$p1" VALUES (1001, 1, 'x'), (1002, 1, 'x'), (1003, 1, 'x')`)
  const r = verify(dir)
  assert.is(r.code, 1, r.out)
  assert.match(r.out, /kv\$p0 row \d+: column v \(INTEGER NOT NULL\) holds a TEXT value/)
  assert.match(r.out, /kv\$p1 row \d+ belongs to partition \d, not 1/)
}))

test('a bit flipped in the batch log: the open refuses naming the segment and offset; verify too', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, workers: 1, logSegmentBytesMax: 512, logSegmentsKept: 100, checkpointIntervalMs: 60_000 })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)')
    for (let i = 0; i < 20; i++) await db.insert('kv', [[i, i]])
    await db.close()
    const segs = readdirSync(join(dir, 'log')).sort()
    assert.ok(segs.length > 3)
    const file = join(dir, 'log', segs[1] as string)
    const bytes = readFileSync(file)
    bytes[30] = (bytes[30] as number) ^ 0x10
    writeFileSync(file, bytes)
    // The checkpoint holds everything here, so the open would not need the frame; verify checks every frame from the checkpoint on.
    const r = verify(dir)
    assert.is(r.code, 1, r.out)
    assert.match(r.out, new RegExp(`${segs[1]} is damaged at byte \\d+`))
  } finally {
    cleanup()
  }
})

test('a bit flipped in the segment the open reads: acheron serve refuses as for any damage, saying what to do, in one line', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, workers: 1, checkpointIntervalMs: 60_000 })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)')
    for (let i = 0; i < 20; i++) await db.insert('kv', [[i, i]])
    await db.close()
    const segs = readdirSync(join(dir, 'log'))
    assert.is(segs.length, 1)
    const file = join(dir, 'log', segs[0] as string)
    const bytes = readFileSync(file)
    bytes[30] = (bytes[30] as number) ^ 0x10
    writeFileSync(file, bytes)
    const r = spawnSync(process.execPath, [CLI, 'serve', '--data', dir, '--port', '0'], { encoding: 'utf8', timeout: 60_000 })
    assert.is(r.status, 1, r.stdout + r.stderr)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /the data directory is damaged, refusing to start \(nothing was changed\): batch log \S+ is damaged at byte \d+: .*restore/)
  } finally {
    cleanup()
  }
})

test('the catalog\'s page of acheron.db overwritten, or its header: open and acheron serve refuse naming the file and what to do, not SQLite\'s bare "malformed"', () => withDir(async (dir) => {
  const file = join(dir, 'acheron.db')
  const db = new Database(file) // not read-only: its close removes the -wal and -shm it made
  const page = Number(db.pragma('page_size', { simple: true }))
  const root = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = '_acheron_meta'").pluck().get() as number
  db.close()
  const sound = readFileSync(file)
  for (const [what, from, length] of [['the catalog\'s page', (root - 1) * page, page], ['the header', 0, 100]] as const) {
    const bytes = Buffer.from(sound)
    for (let i = 0; i < length; i++) bytes[from + i] = (i * 151 + 7) & 0xff // deterministic garbage
    writeFileSync(file, bytes)
    const m = await refusal(dir)
    assert.match(m, /the data directory is damaged, refusing to start \(nothing was changed\): \S+acheron\.db cannot be read: (database disk image is malformed|file is not a database)\. Run acheron verify --data /, `${what}: ${m}`)
    const r = spawnSync(process.execPath, [CLI, 'serve', '--data', dir, '--port', '0'], { encoding: 'utf8', timeout: 60_000 })
    assert.is(r.status, 1, r.stdout + r.stderr)
    assert.is(r.stdout, '', `${what}: it must not listen`)
    assert.match(r.stderr, /the data directory is damaged, refusing to start \(nothing was changed\): \S+acheron\.db cannot be read: .*restore the directory from a backup/, `${what}: ${r.stderr}`)
    assert.is(verify(dir).code, 1)
  }
}))

test('a refused start leaves the directory as it found it: no -wal or -shm of its own beside a damaged or newer checkpoint; those there before stay', () => withDir(async (dir) => {
  const file = join(dir, 'acheron.db')
  const listing = (): string[] => readdirSync(dir).filter((n) => n !== 'acheron.lock').sort()
  sqlite(dir, "UPDATE _acheron_meta SET v = 2 WHERE k = 'format'")
  const before = listing()
  assert.not.ok(before.some((n) => /-(wal|shm)$/.test(n)), `a stopped directory: ${before.join(' ')}`)
  assert.match(await refusal(dir), /written by a newer acheron/)
  assert.equal(listing(), before, 'a newer checkpoint')
  const db = new Database(file)
  const page = Number(db.pragma('page_size', { simple: true }))
  const root = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = '_acheron_meta'").pluck().get() as number
  db.close()
  const bytes = readFileSync(file)
  for (let i = 0; i < page; i++) bytes[(root - 1) * page + i] = (i * 151 + 7) & 0xff
  writeFileSync(file, bytes)
  assert.match(await refusal(dir), /damaged, refusing to start \(nothing was changed\)/)
  assert.equal(listing(), before, 'a damaged checkpoint')
  // Files that were there stay, even empty ones (they are not this start's to remove).
  writeFileSync(`${file}-wal`, '')
  writeFileSync(`${file}-shm`, '')
  assert.match(await refusal(dir), /damaged, refusing to start/)
  assert.equal(listing(), [...before, 'acheron.db-shm', 'acheron.db-wal'].sort(), 'an empty -wal and -shm there before')
}))

/** A checkpointed table kv of 2,000 rows in 2 partitions whose partition 0 has its root page overwritten. */
async function damagedPartitionPage(dir: string, workers: number): Promise<void> {
  const first = await open({ dir, workers })
  await first.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL) PARTITIONS 2')
  await first.insert('kv', Array.from({ length: 2000 }, (_, i) => [i, i]))
  await first.checkpoint()
  await first.close()
  const file = join(dir, 'acheron.db')
  const meta = new Database(file)
  const page = Number(meta.pragma('page_size', { simple: true }))
  const root = meta.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'kv$p0'").pluck().get() as number
  meta.close()
  const bytes = readFileSync(file)
  for (let i = 0; i < page; i++) bytes[(root - 1) * page + i] = (i * 151 + 7) & 0xff
  writeFileSync(file, bytes)
}

test('a query on a damaged partition page fails with what SQLite said, its stack in the log and not in the reply', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await damagedPartitionPage(dir, 1)
    const lines: { level: string; line: string }[] = []
    const db = await open({ dir, workers: 1, log: (line, e) => lines.push({ level: e.level, line }) })
    try {
      const e = await db.sql('SELECT SUM(v) FROM kv').then(() => null, (e: unknown) => e as AcheronError)
      assert.ok(e !== null, 'answered')
      const m = e.message
      assert.match(m, /database disk image is malformed/)
      // Before: "the state thread failed: SqliteError: …", no code, naming neither the file nor what to do.
      assert.is(e.code, 'INTERNAL')
      assert.ok(m.startsWith(`the checkpoint file ${join(dir, 'acheron.db')} is damaged (SQLite: database disk image is malformed); nothing of this request took effect. Stop the server and run acheron verify --data ${dir} --repair`), m)
      // Before: the whole stack, with this machine's paths, went to the client in the message.
      assert.not.match(m, /\n\s+at /, m)
      assert.ok(lines.some((l) => l.level === 'error' && /database disk image is malformed\n\s+at /.test(l.line)), JSON.stringify(lines))
    } finally {
      await db.close().catch(() => {})
    }
  } finally {
    cleanup()
  }
})

test('a damaged partition page fails the batches that read it, with SQLite\'s reason, and no others; the database still closes', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await damagedPartitionPage(dir, 0)
    const db = await open({ dir, workers: 0, log: () => {} })
    const seen = new Map<string, number>()
    for (let i = 0; i < 20; i++) {
      const m = await db.sql(`INSERT INTO kv VALUES (${10_000 + i}, 1)`).then(() => 'ok', (e: unknown) => (e as Error).message.split('\n')[0] as string)
      seen.set(m, (seen.get(m) ?? 0) + 1)
    }
    // Before: after the first failure every batch failed, "cannot commit - no transaction is active".
    const said = JSON.stringify([...seen])
    assert.ok((seen.get('ok') ?? 0) > 0, said)
    // The file and what to do, after SQLite's bare words (all there was before).
    assert.ok((seen.get(`batch not committed: the checkpoint file ${join(dir, 'acheron.db')} is damaged (SQLite: database disk image is malformed); nothing of this request took effect. Stop the server and run acheron verify --data ${dir} --repair (docs/operations.md, "Recovering a damaged directory")`) ?? 0) > 0, said)
    assert.is(seen.size, 2, said)
    await db.close()
  } finally {
    cleanup()
  }
})

test('with an execution worker, a batch that meets the damaged page says the file and what to do, not the worker\'s wrapping or its stack', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await damagedPartitionPage(dir, 1)
    const db = await open({ dir, workers: 1, log: () => {} })
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) seen.add(await db.sql(`INSERT INTO kv VALUES (${10_000 + i}, 1)`).then(() => 'ok', (e: unknown) => (e as Error).message))
    await db.close()
    // Before: "batch not committed: execution worker failed: SqliteError: database disk image is malformed" and its stack.
    const expected = `batch not committed: the checkpoint file ${join(dir, 'acheron.db')} is damaged (SQLite: database disk image is malformed); nothing of this request took effect. Stop the server and run acheron verify --data ${dir} --repair (docs/operations.md, "Recovering a damaged directory")`
    assert.equal([...seen].sort(), [expected, 'ok'].sort())
  } finally {
    cleanup()
  }
})

test('a log segment deleted in the middle: the open refuses naming the missing batches, before replaying anything', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, workers: 1, logSegmentBytesMax: 256, logSegmentsKept: 1000, checkpointIntervalMs: 60_000, checkpointAtClose: false })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)')
    await db.checkpoint()
    for (let i = 0; i < 30; i++) await db.insert('kv', [[i, i]])
    await db.close()
    const lastBatch = (): number => {
      const c = new Database(join(dir, 'acheron.db'), { readonly: true })
      try { return Number(c.prepare("SELECT v FROM _acheron_meta WHERE k = 'last_batch'").pluck().get()) } finally { c.close() }
    }
    const before = lastBatch()
    const segs = readdirSync(join(dir, 'log')).sort()
    assert.ok(segs.length > 4, `${segs.length} segments`)
    unlinkSync(join(dir, 'log', segs[Math.floor(segs.length / 2)] as string))
    assert.match(await refusal(dir), /holds batch \d+ where batch \d+ was due: batches \d+ to \d+ are in neither/)
    assert.is(lastBatch(), before, 'nothing was replayed into the checkpoint')
    assert.match(verify(dir).out, /are in neither the checkpoint nor the log/)
  } finally {
    cleanup()
  }
})

test('a checkpoint that lost part of its WAL (an older acheron.db than the log assumes): the open refuses naming the missing batches', async () => {
  const { dir, cleanup } = tempDir()
  const old = tempDir()
  try {
    // No copy of the checkpoint kept for EXPLAIN COMMIT: the log drops what the checkpoint holds.
    const db = await open({ dir, workers: 1, logSegmentBytesMax: 256, logSegmentsKept: 0, checkpointIntervalMs: 60_000, traceBasesKept: 0 })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)')
    await db.insert('kv', [[0, 0]])
    await db.checkpoint()
    // The checkpoint as it was then (database and WAL).
    for (const f of ['acheron.db', 'acheron.db-wal']) if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(old.dir, f))
    for (let i = 1; i < 30; i++) await db.insert('kv', [[i, i]])
    await db.checkpoint()
    await new Promise((r) => setTimeout(r, 100)) // the segments before it are dropped
    await db.close()
    rmSync(join(dir, 'acheron.db-wal'), { force: true })
    for (const f of ['acheron.db', 'acheron.db-wal']) if (existsSync(join(old.dir, f))) copyFileSync(join(old.dir, f), join(dir, f))
    const m = await refusal(dir)
    assert.match(m, /the checkpoint \(acheron\.db\) holds batches up to \d+, but the batch log \(log\/\) holds batch \d+ where batch \d+ was due/)
    const r = verify(dir)
    assert.is(r.code, 1, r.out)
    assert.match(r.out, /are in neither the checkpoint nor the log/)
  } finally {
    cleanup()
    old.cleanup()
  }
})

test('an engine stopped by its state thread tells its clients why without the thread\'s stack; the server log has it', async () => {
  const { dir, cleanup } = tempDir()
  try {
    let db = await open({ dir })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)')
    await db.sql('INSERT INTO kv VALUES (1, 1)')
    await db.close()
    // A deliberate bug: recovery resumes one batch behind the log, so the state thread is asked to apply
    // a batch it holds, and stops the engine. The message carried the thread's whole stack.
    const lines: { level: string; line: string }[] = []
    db = await open({ dir, faults: { recoverOneBatchBack: true }, log: (line, e) => lines.push({ level: e.level, line }) })
    try {
      // The batch is answered before the state thread applies it (the log holds it): the checkpoint fails.
      await db.sql('INSERT INTO kv VALUES (2, 2)')
      const later = await db.checkpoint().then(() => null, (x: unknown) => x as Error)
      assert.ok(later !== null, 'the engine stopped')
      assert.match(later.message, /the state thread failed: Error: acheron invariant violated: batch \d+ applied after batch \d+/)
      assert.not.match(later.message, /\n\s+at /, later.message)
      assert.ok(lines.some((l) => l.level === 'error' && /the state thread failed: Error: acheron invariant violated[^\n]*\n\s+at /.test(l.line)), JSON.stringify(lines))
    } finally {
      await db.close().catch(() => {})
    }
  } finally {
    cleanup()
  }
})

test.run()
