// A damaged page deep in a partition's B-tree (not the header, not the catalog: those the open always
// reads) of a stopped directory. After an unclean stop the open finds it (quick_check) and refuses, naming
// the file; after a clean one it is found by the reads that meet it and by acheron verify.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type AcheronError, type OpenOptions } from '../../src/index.js'
import { listTraceBases, TRACE_BASES_DIR } from '../../src/inspect/trace-bases.js'
import { damageLeafPage } from '../support/damaged-page.js'
import { stopped } from '../support/process-state.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

function cli(...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 })
  return { code: r.status ?? -1, out: r.stdout + r.stderr }
}

/** A stopped directory holding kv (20,000 rows, 2 partitions) in its checkpoint and every batch in its log. */
async function makeDir(dir: string): Promise<void> {
  const db = await open({ dir, workers: 0, log: () => {} })
  await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT) PARTITIONS 2')
  for (let j = 0; j < 4; j++) await db.insert('kv', Array.from({ length: 5000 }, (_, i) => [j * 5000 + i, j * 5000 + i, 'x'.repeat(40)]))
  await db.checkpoint()
  await db.close()
}

const openMessage = (dir: string): Promise<string> => open({ dir, workers: 0, log: () => {} }).then(async (db) => { await db.close(); return 'opened' }, (e: unknown) => (e as Error).message)

test('after an unclean stop (its acheron.pid left) a damaged leaf page is refused at open, naming the file and quick_check; after a clean stop the open goes on', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    damageLeafPage(dir)
    // What kill -9 leaves: the holder's pid file.
    writeFileSync(join(dir, 'acheron.pid'), '999999\n2026-12-06T00:00:00.000Z\n')
    const m = await openMessage(dir)
    // Before: it opened, and the first query over kv failed with SQLite's "malformed".
    assert.match(m, new RegExp(`^the data directory is damaged, refusing to start \\(nothing was changed\\): ${join(dir, 'acheron.db').replace(/[.$]/g, '\\$&')}: SQLite quick_check after an unclean stop: `), m)
    assert.match(m, /Run acheron verify --data /)
    // The refused open put back the pid file it found: the next start checks again. (Before, it removed
    // it, and acheron serve then served the damaged file.)
    assert.is(readFileSync(join(dir, 'acheron.pid'), 'utf8'), '999999\n2026-12-06T00:00:00.000Z\n')
    const served = cli('serve', '--data', dir, '--port', '0')
    assert.is(served.code, 1, served.out)
    assert.match(served.out, /quick_check after an unclean stop/)
    // A clean stop leaves no pid file: the open does not read every page, and goes on.
    rmSync(join(dir, 'acheron.pid'))
    assert.is(await openMessage(dir), 'opened')
  } finally {
    cleanup()
  }
})

test('after an unclean stop a sound checkpoint opens, and the log says it was checked', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    writeFileSync(join(dir, 'acheron.pid'), '999999\n2026-12-06T00:00:00.000Z\n')
    const lines: string[] = []
    const db = await open({ dir, workers: 0, log: (line) => lines.push(line) })
    const r = await db.sql('SELECT COUNT(*) FROM kv')
    assert.equal(r[0]?.rows, [[20000]])
    await db.close()
    assert.ok(lines.some((l) => /the last stop was not clean: SQLite's quick_check of \S+acheron\.db found it sound in \d+ ms/.test(l)), lines.join('\n'))
  } finally {
    cleanup()
  }
})

async function summary(dir: string): Promise<unknown> {
  const db = await open({ dir, workers: 0, log: () => {} })
  try {
    return (await db.sql("SELECT COUNT(*), SUM(v), SUM(k * v), MAX(s) FROM kv"))[0]?.rows
  } finally {
    await db.close()
  }
}

test('verify --repair: a damaged checkpoint whose log holds every batch is moved aside and rebuilt from an empty state; the rows are those before the damage', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    const before = await summary(dir)
    damageLeafPage(dir)
    const plain = cli('verify', '--data', dir)
    assert.is(plain.code, 1, plain.out)
    const r = cli('verify', '--data', dir, '--repair')
    // Before: --repair was no option ("Unknown option"), and the way out was to move acheron.db* by hand.
    assert.is(r.code, 0, r.out)
    assert.match(r.out, /--repair: moved the damaged acheron\.db \(and its -wal, -shm\) to \S+damaged-[0-9T-]+Z; rebuilding it from an empty state and the log's batches 1 to \d+/)
    assert.match(r.out, /is sound: checkpoint at batch \d+ \(1 table, 20000 rows/)
    const aside = readdirSync(dir).filter((n) => n.startsWith('damaged-'))
    assert.is(aside.length, 1)
    assert.ok(existsSync(join(dir, aside[0] as string, 'acheron.db')), 'the damaged file is kept')
    assert.equal(await summary(dir), before)
  } finally {
    cleanup()
  }
})

test('verify --repair: once the log lost its first batches, the checkpoint is rebuilt from the newest intact copy in trace-bases/ and the log after it', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const rolling: OpenOptions = { workers: 0, checkpointIntervalMs: 0, logSegmentBytesMax: 256, logSegmentsKept: 0, traceBaseLogBytes: 600, log: () => {} }
    const db = await open({ dir, ...rolling })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT) PARTITIONS 2')
    const logStart = (): number => Number((readdirSync(join(dir, 'log')).filter((n) => n.endsWith('.log')).sort()[0] ?? '0').replace('.log', ''))
    for (let round = 0; round < 40 && !(listTraceBases(join(dir, TRACE_BASES_DIR)).length > 0 && logStart() > 1 && round >= 8); round++) {
      await db.insert('kv', Array.from({ length: 1000 }, (_, i) => [round * 1000 + i, i, 'y'.repeat(40)]))
      await new Promise((res) => setTimeout(res, 100))
    }
    await new Promise((res) => setTimeout(res, 500)) // a copy under way lands
    await db.close()
    assert.ok(logStart() > 1, `the log still starts at batch ${logStart()}`)
    const before = await summary(dir)
    damageLeafPage(dir)
    const r = cli('verify', '--data', dir, '--repair')
    assert.is(r.code, 0, r.out)
    assert.match(r.out, /rebuilding it from \S+trace-bases\/base-\d+\.db \(batches up to \d+\) and the log's batches \d+ to \d+/)
    assert.match(r.out, /is sound: checkpoint at batch/)
    assert.equal(await summary(dir), before)
  } finally {
    cleanup()
  }
})

test('verify --repair: a log that no longer holds the batches the damaged checkpoint held is refused; before, the rebuild started empty and lost them', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    // What a log cut back to one new, empty segment leaves: log/ there, no batch in it.
    rmSync(join(dir, 'log'), { recursive: true })
    mkdirSync(join(dir, 'log'))
    rmSync(join(dir, 'trace-bases'), { recursive: true, force: true })
    damageLeafPage(dir)
    const r = cli('verify', '--data', dir, '--repair')
    assert.is(r.code, 1, r.out)
    assert.match(r.out, /--repair: the damaged acheron\.db says it holds batches up to \d+, and the log ends with no batch: a rebuild from it would lose batches 1 to \d+\. Restore acheron\.db from a backup and keep log\/ .*; nothing was changed/)
    assert.ok(existsSync(join(dir, 'acheron.db')), 'left in place')
    assert.equal(readdirSync(dir).filter((n) => n.startsWith('damaged-')), [])
  } finally {
    cleanup()
  }
})

/**
 * `acheron verify --data DIR --repair --pause-at STEP`, resolved once it stopped itself there (SIGSTOP);
 * `exited` once it ended, after the caller sent SIGCONT.
 */
async function pausedRepair(dir: string, step: string): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; out: string }> }> {
  const child = spawn(process.execPath, [CLI, 'verify', '--data', dir, '--repair', '--pause-at', step], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })))
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verify --repair did not pause at ${step}:\n${out}`)), 60_000)
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes(`acheron: paused at ${step}\n`)) { clearTimeout(timer); resolve() }
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error(`verify --repair ended before pausing at ${step}:\n${out}`)) })
  })
  // The line comes just before its SIGSTOP lands: a SIGCONT sent in between would be undone by it.
  for (let waited = 0; !stopped(child.pid as number); waited += 10) {
    if (waited > 10_000) throw new Error(`verify --repair said it paused at ${step}, and did not stop`)
    await new Promise((res) => setTimeout(res, 10))
  }
  return { child, exited }
}

for (const step of ['set-aside', 'rebuilt']) {
  test(`verify --repair holds the directory's lock from its check to its last: paused at ${step}, another open is refused (DATA_DIR_IN_USE)`, async () => {
    const { dir, cleanup } = tempDir()
    try {
      await makeDir(dir)
      const before = await summary(dir)
      damageLeafPage(dir)
      const { child, exited } = await pausedRepair(dir, step)
      let seen: string
      try {
        // Before: the repair let go of the lock after moving acheron.db aside (this open then started on
        // the directory without it, beside the repair's own) and again after the rebuild closed.
        seen = await open({ dir, workers: 0, log: () => {} }).then(async (db) => { await db.close(); return 'opened' }, (e: unknown) => `${(e as AcheronError).code}: ${(e as Error).message}`)
      } finally {
        child.kill('SIGCONT')
      }
      assert.match(seen, new RegExp(`^DATA_DIR_IN_USE: data directory \\S+ is in use by process ${child.pid}\\b`), seen)
      // Killed past a minute, so that a repair that stopped for good fails this test rather than hangs it.
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      const { code, out } = await exited.finally(() => clearTimeout(killer))
      assert.is(code, 0, out)
      assert.match(out, /is sound: checkpoint at batch \d+ \(1 table, 20000 rows/)
      assert.equal(await summary(dir), before)
      assert.not.ok(existsSync(join(dir, 'acheron.pid')), 'a sound directory keeps no pid file')
    } finally {
      cleanup()
    }
  })
}

test('verify --pause-at takes only the steps of a repair', () => {
  const r = cli('verify', '--data', '.', '--pause-at', 'checkpoint')
  assert.is(r.code, 2, r.out)
  assert.match(r.out, /--pause-at takes set-aside or rebuilt, got 'checkpoint'/)
})

test('once a read met the damaged page, checkpoints no longer cut the log: verify --repair can still rebuild from it', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // The log is cut at every checkpoint (no trace bases): only the log after the damage was met is kept.
    const cutting: OpenOptions = { workers: 0, checkpointIntervalMs: 0, logSegmentBytesMax: 256, logSegmentsKept: 0, traceBasesKept: 0 }
    const first = await open({ dir, ...cutting, log: () => {} })
    await first.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT) PARTITIONS 2')
    await first.sql('CREATE TABLE other (k INTEGER PRIMARY KEY, v INTEGER)')
    for (let j = 0; j < 4; j++) await first.insert('kv', Array.from({ length: 5000 }, (_, i) => [j * 5000 + i, i, 'x'.repeat(40)]))
    await first.checkpoint()
    await first.close()
    damageLeafPage(dir)
    const logStart = (): number => Number((readdirSync(join(dir, 'log')).filter((n) => n.endsWith('.log')).sort()[0] ?? '0').replace('.log', ''))
    const lines: string[] = []
    const db = await open({ dir, ...cutting, log: (line) => lines.push(line) })
    try {
      const m = await db.sql('SELECT SUM(v) FROM kv').then(() => 'answered', (e: unknown) => (e as Error).message)
      assert.match(m, /^the checkpoint file \S+ is damaged/)
      const start = logStart()
      for (let i = 0; i < 6; i++) {
        await db.sql(`INSERT INTO other VALUES (${i}, ${i})`)
        await db.checkpoint()
      }
      // Before: each checkpoint (they write only other's pages, and succeed) dropped the segments before it.
      assert.is(logStart(), start, 'no segment dropped after the damage was met')
      assert.ok(lines.some((l) => /the checkpoint file is damaged: no log segment is dropped from now on/.test(l)), lines.join('\n'))
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
