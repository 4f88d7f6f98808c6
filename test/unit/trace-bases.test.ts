// Trace bases (src/inspect/trace-bases.ts): copies of the checkpoint that let EXPLAIN COMMIT re-run
// positions older than the checkpoint once the log's first segments are gone.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import type { AcheronError } from '../../src/errors.js'
import { verifyDataDir } from '../../src/cli/verify.js'
import { traceBaseName } from '../../src/inspect/trace-base-copy.js'
import { listTraceBases, TRACE_BASES_DIR, TraceBaseKeeper } from '../../src/inspect/trace-bases.js'
import { logEntriesIn } from '../../src/log/file-log.js'
import { DATABASE_FILE } from '../../src/storage/state-file.js'
import { bank, explainCommit, said, transfers, verdict, type Reply } from '../support/commit-trace.js'
import { tempDir } from '../support/tmp.js'

/**
 * Tiny log segments, none kept for their own sake, a checkpoint after every batch, and a new base every
 * few batches' worth of log: the log's start moves on while the run goes, and so do the bases.
 */
const ROLLING: OpenOptions = { checkpointIntervalMs: 0, logSegmentBytesMax: 256, logSegmentsKept: 0, traceBaseLogBytes: 600 }

/** The sequence number of the log's first segment file (1 while none was dropped; 0 before the first). */
function firstSegment(dir: string): number {
  const first = readdirSync(join(dir, 'log')).filter((n) => n.endsWith('.log')).sort()[0]
  return first === undefined ? 0 : Number(first.replace('.log', ''))
}

/** The first batch the log still holds (Infinity: none). */
function firstLoggedBatch(dir: string): number {
  for (const entry of logEntriesIn(join(dir, 'log'))) if (entry.kind === 'batch') return entry.batch
  return Infinity
}

/**
 * Runs rounds of transfers (a pause after each, for the copy under way to finish) until two bases exist
 * and the log dropped its first segments behind the oldest; returns every reply.
 */
async function rollingRun(db: EmbeddedDatabase, dir: string, seed: number): Promise<Reply[]> {
  await bank(db)
  const replies: Reply[] = []
  const bases = join(dir, TRACE_BASES_DIR)
  const rolled = (): boolean => listTraceBases(bases).length === 2 && firstSegment(dir) > 1
  for (let round = 0; round < 60 && !rolled(); round++) {
    replies.push(...await transfers(db, seed + round, 2, 4))
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(rolled(), `two bases (${listTraceBases(bases).length}) and a log that lost its first segment (starts at ${firstSegment(dir)})`)
  await basesSettled(dir)
  return replies
}

/** Waits until the bases stay put: a copy started by the last rounds may still replace the oldest base. */
async function basesSettled(dir: string): Promise<void> {
  const bases = join(dir, TRACE_BASES_DIR)
  let seen = ''
  for (let stable = 0, i = 0; stable < 4 && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const now = readdirSync(bases).sort().join()
    stable = now === seen && !now.includes('copying-') ? stable + 1 : 0
    seen = now
  }
}

test('once the log lost its first segments, positions older than the checkpoint re-run from a copy of it', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, ...ROLLING })
  try {
    const replies = await rollingRun(db, dir, 11)
    const bases = listTraceBases(join(dir, TRACE_BASES_DIR))
    assert.is(bases.length, 2)
    const oldest = (bases[0] as { batch: number }).batch
    const traceable = replies.filter((r) => r.commit.batch > oldest)
    const lost = replies.filter((r) => r.commit.batch <= oldest)
    assert.ok(traceable.length >= 6 && lost.length >= 1, `${traceable.length} positions after the oldest base, ${lost.length} before`)
    let fromCopy = 0
    // Every position after the oldest base, each step of 3 (the checkpoint holds all of them).
    for (const r of traceable.filter((_, i) => i % 3 === 0)) {
      const rows = await explainCommit(db, r.commit)
      assert.equal(verdict(rows, r.commit), said(r), `(${r.commit.batch}, ${r.commit.seq})`)
      if (String(rows[0]?.detail).includes(': a copy of the checkpoint (batches up to ')) fromCopy++
    }
    assert.ok(fromCopy >= 2, `${fromCopy} traces rebuilt from a copy`)
    // Before the oldest base: neither it, nor the checkpoint, nor the log (which starts later) has it.
    const early = lost[0] as Reply
    const err = await db.sql(`EXPLAIN COMMIT (${early.commit.batch}, ${early.commit.seq})`).then(() => null, (e: AcheronError) => e)
    assert.is(err?.code, 'POSITION_UNAVAILABLE')
    assert.match(err?.message ?? '', new RegExp(`the oldest copy of it kept for EXPLAIN COMMIT holds batches up to ${oldest}\\), and the batch log starts at batch \\d+`))
  } finally {
    await db.close()
    cleanup()
  }
})

test('bases stay at traceBasesKept across restarts; a copy cut short is deleted at open; traces still run', async () => {
  const { dir, cleanup } = tempDir()
  let db = await open({ dir, ...ROLLING })
  let replies: Reply[]
  try {
    replies = await rollingRun(db, dir, 21)
  } finally {
    await db.close()
  }
  const basesDir = join(dir, TRACE_BASES_DIR)
  const kept = listTraceBases(basesDir)
  writeFileSync(join(basesDir, 'copying-1-2.db'), 'half a copy')
  // A long interval and a large byte bound: the reopened database takes no copy of its own.
  db = await open({ dir, checkpointIntervalMs: 0, logSegmentBytesMax: 256, logSegmentsKept: 0 })
  try {
    assert.equal(readdirSync(basesDir).sort(), kept.map((b) => b.file.split('/').pop()).sort())
    const oldest = (kept[0] as { batch: number }).batch
    const r = replies.find((x) => x.commit.batch > oldest && x.commit.seq > 0) as Reply
    assert.equal(verdict(await explainCommit(db, r.commit), r.commit), said(r))
  } finally {
    await db.close()
    cleanup()
  }
})

test('traceBasesKept: 0 keeps no copy, and the log goes after each checkpoint as before', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, ...ROLLING, traceBasesKept: 0 })
  try {
    await bank(db)
    for (let round = 0; round < 6; round++) await transfers(db, round, 2, 4, 'a0')
    await db.checkpoint()
    assert.ok(firstSegment(dir) > 1, `the log starts at segment ${firstSegment(dir)}`)
    assert.equal(listTraceBases(join(dir, TRACE_BASES_DIR)), [])
  } finally {
    await db.close()
    cleanup()
  }
})

test('a copy that fails holds no log back, says so in the server log, and is tried again an interval later', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, traceBasesKept: 0 })
  await bank(db)
  await db.close()
  const lines: string[] = []
  const keeper = new TraceBaseKeeper({
    dir: join(dir, TRACE_BASES_DIR), checkpointFile: join(dir, DATABASE_FILE), kept: 2, intervalMs: 200, logBytes: 1 << 30,
    bytesMax: 1024, log: (l) => lines.push(l),
  })
  try {
    assert.is(keeper.holdBatch, 0, 'before the first copy the whole log stays')
    keeper.checkpointed()
    await keeper.settled()
    assert.is(keeper.holdBatch, Infinity)
    assert.is(lines.length, 1)
    assert.match(lines[0] as string, /copy of the checkpoint failed \(the checkpoint is \d+ bytes, over the 1024 EXPLAIN COMMIT loads\)/)
    keeper.checkpointed()
    await keeper.settled()
    assert.is(lines.length, 1, 'not tried again within the interval')
    await new Promise((r) => setTimeout(r, 250))
    keeper.checkpointed()
    await keeper.settled()
    assert.is(keeper.holdBatch, Infinity)
    assert.equal(listTraceBases(join(dir, TRACE_BASES_DIR)), [])
  } finally {
    await keeper.close()
    cleanup()
  }
})

test('mutant traceBaseUnheld (the log drops what the oldest base needs) is caught: a position it promises fails', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, ...ROLLING, faults: { traceBaseUnheld: true } })
  try {
    const replies = await rollingRun(db, dir, 11)
    // A position after the oldest base whose batch the log no longer holds. Small batches share a segment,
    // and the log keeps the segment the checkpoint ends in: until more rounds roll it away, every batch
    // after the oldest base may still be in it (CI saw this once), so run rounds until one is not.
    const oldestBase = (): number => (listTraceBases(join(dir, TRACE_BASES_DIR))[0] as { batch: number }).batch
    const dropped = (): Reply | undefined => replies.find((r) => r.commit.batch > oldestBase() && r.commit.batch < firstLoggedBatch(dir))
    for (let round = 0; round < 20 && dropped() === undefined; round++) {
      replies.push(...await transfers(db, 100 + round, 2, 4))
      await basesSettled(dir)
    }
    const promised = dropped()
    assert.ok(promised !== undefined, `a position after the oldest base (${oldestBase()}) before the log's first batch (${firstLoggedBatch(dir)})`)
    const err = await db.sql(`EXPLAIN COMMIT (${promised.commit.batch}, ${promised.commit.seq})`).then(() => null, (e: AcheronError) => e)
    assert.is(err?.code, 'POSITION_UNAVAILABLE')
    assert.match(err?.message ?? '', /is rebuilt from a copy of the checkpoint, which holds batches up to \d+, and the batch log, which lacks batch/)
  } finally {
    await db.close()
    cleanup()
  }
})

test('mutant traceBaseBatchBehind (a copy says it holds one batch less than it does) is caught: a verdict differs', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, ...ROLLING, faults: { traceBaseBatchBehind: true } })
  try {
    const replies = await rollingRun(db, dir, 11)
    const oldest = (listTraceBases(join(dir, TRACE_BASES_DIR))[0] as { batch: number }).batch
    // A batch replayed twice changes a verdict only if it moved money the traced transaction reads (a batch
    // of refused transfers changes nothing): every position after the oldest base, until one differs.
    const candidates = replies.filter((x) => x.commit.batch > oldest + 1)
    let differs = 0
    let tried = 0
    for (const r of candidates) {
      tried++
      if (verdict(await explainCommit(db, r.commit), r.commit) !== said(r)) differs++
      if (differs > 0) break
    }
    assert.ok(differs > 0, `some trace replays the copy's batch twice (${tried} positions tried)`)
  } finally {
    await db.close()
    cleanup()
  }
})

test('acheron verify checks the bases and says how far back EXPLAIN COMMIT reaches; a damaged base is named', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, ...ROLLING })
    let oldest: number
    try {
      await rollingRun(db, dir, 41)
      oldest = (listTraceBases(join(dir, TRACE_BASES_DIR))[0] as { batch: number }).batch
    } finally {
      await db.close()
    }
    const bases = listTraceBases(join(dir, TRACE_BASES_DIR))
    assert.is(bases.length, 2)
    const sound = verifyDataDir(dir)
    assert.ok(sound.sound, sound.lines.join('\n'))
    assert.match(sound.lines[0] ?? '', `; 2 copies of the checkpoint kept (batches up to ${bases.map((b) => b.batch).join(', ')}); EXPLAIN COMMIT re-runs positions after batch ${oldest}`)

    // The b-tree header of the newest base's last page (a partition table's, which nothing but SQLite's
    // integrity check reads here) overwritten.
    const newest = bases[1] as { file: string; batch: number }
    const bytes = readFileSync(newest.file)
    bytes.fill(0x5a, bytes.length - 4096, bytes.length - 4096 + 64)
    writeFileSync(newest.file, bytes)
    const damaged = verifyDataDir(dir)
    assert.not.ok(damaged.sound)
    assert.match(damaged.lines.join('\n'), `${newest.file}: `)
    assert.match(damaged.lines.join('\n'), 'kept only for EXPLAIN COMMIT, which would fail on it; no data depends on it: delete it')

    // Deleted, as the message says: sound again, reaching back as far (the oldest base is intact).
    rmSync(newest.file)
    const after = verifyDataDir(dir)
    assert.ok(after.sound, after.lines.join('\n'))
    assert.match(after.lines[0] ?? '', `; 1 copy of the checkpoint kept (batches up to ${oldest}); EXPLAIN COMMIT re-runs positions after batch ${oldest}`)

    // A base whose name says an older batch than it holds would be picked for positions it cannot serve.
    renameSync(join(dir, TRACE_BASES_DIR, traceBaseName(oldest)), join(dir, TRACE_BASES_DIR, traceBaseName(oldest - 1)))
    const misnamed = verifyDataDir(dir)
    assert.not.ok(misnamed.sound)
    assert.match(misnamed.lines.join('\n'), `its name says it holds batches up to ${oldest - 1}, but it holds batches up to ${oldest}`)
  } finally {
    cleanup()
  }
})

test('acheron verify without bases: EXPLAIN COMMIT reaches every position while the log starts at batch 1; without a log, no claim', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, traceBasesKept: 0 })
    await bank(db)
    await transfers(db, 3, 2, 4)
    await db.checkpoint()
    await db.close()
    const r = verifyDataDir(dir)
    assert.ok(r.sound, r.lines.join('\n'))
    assert.match(r.lines[0] ?? '', '; no copies of the checkpoint kept; EXPLAIN COMMIT re-runs every position the log holds')
    // As a node whose log is a NATS stream leaves it (the checkpoint holds every batch): no reach claimed.
    rmSync(join(dir, 'log'), { recursive: true })
    const nats = verifyDataDir(dir)
    assert.ok(nats.sound, nats.lines.join('\n'))
    assert.match(nats.lines[0] ?? '', '; no batch log in this directory (a node whose log is on NATS JetStream reads the stream)')
  } finally {
    cleanup()
  }
})

test('a copy of the checkpoint that will not load: EXPLAIN COMMIT names its file and the check to run', async () => {
  const { dir, cleanup } = tempDir()
  try {
    let replies: Reply[]
    let db = await open({ dir, ...ROLLING })
    try {
      replies = await rollingRun(db, dir, 53)
    } finally {
      await db.close()
    }
    // The first position after the oldest base, and the base its trace starts from (the newest before it).
    const bases = listTraceBases(join(dir, TRACE_BASES_DIR))
    const r = replies.find((x) => x.commit.batch > (bases[0] as { batch: number }).batch) as Reply
    const used = [...bases].reverse().find((b) => b.batch < r.commit.batch) as { file: string; batch: number }
    // Its header overwritten: SQLite no longer takes it for a database.
    const bytes = readFileSync(used.file)
    bytes.fill(0x5a, 0, 16)
    writeFileSync(used.file, bytes)
    db = await open({ dir, ...ROLLING })
    try {
      const err = await db.sql(`EXPLAIN COMMIT (${r.commit.batch}, ${r.commit.seq})`).then(() => null, (e: AcheronError) => e)
      assert.is(err?.code, 'INTERNAL')
      assert.match(err?.message ?? '', `failed on the copy of the checkpoint it starts from, ${used.file}: `)
      assert.match(err?.message ?? '', 'check it with acheron verify --data DIR on the stopped directory')
      // Calls go on; the database does not need the copy.
      assert.type((await db.call('account.balance', 'a0')).value, 'number')
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
