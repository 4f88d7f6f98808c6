// A damaged batch-log segment that holds only batches the checkpoint holds does not block the start:
// recovery never reads it. The open warns naming the segment and offset and leaves it for `acheron
// verify`; damage in a segment recovery reads still refuses, as any damage does.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { readFrame } from '../../src/log/frame.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/**
 * A stopped directory of small segments: 20 one-row batches, a checkpoint after the first 10 and none
 * after (the rest only in the log). Returns the batch the checkpoint holds.
 */
async function makeDir(dir: string): Promise<number> {
  const db = await open({ dir, workers: 1, logSegmentBytesMax: 512, logSegmentsKept: 100, checkpointIntervalMs: 3_600_000, checkpointAtClose: false })
  await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)')
  for (let i = 0; i < 10; i++) await db.insert('kv', [[i, i]])
  await db.checkpoint()
  for (let i = 10; i < 20; i++) await db.insert('kv', [[i, i]])
  await db.close()
  const meta = new Database(join(dir, 'acheron.db'), { readonly: true })
  const batch = Number(meta.prepare("SELECT v FROM _acheron_meta WHERE k = 'last_batch'").pluck().get())
  meta.close()
  return batch
}

/** The log's segments, oldest first, each with the batches of its entries. */
function segments(dir: string): { file: string; batches: number[] }[] {
  const logDir = join(dir, 'log')
  return readdirSync(logDir).filter((n) => /^\d{16}\.log$/.test(n)).sort().map((name) => {
    const bytes = readFileSync(join(logDir, name))
    const batches: number[] = []
    for (let at = 0; ;) {
      const f = readFrame(bytes, at)
      if (!f.ok) break
      batches.push(f.entry.batch)
      at = f.end
    }
    return { file: join(logDir, name), batches }
  })
}

/** Flips a bit in the first entry of `file` (a checksum mismatch, with whole entries after it). */
function damage(file: string): Buffer {
  const bytes = readFileSync(file)
  bytes[30] = (bytes[30] as number) ^ 0x10
  writeFileSync(file, bytes)
  return bytes
}

function verify(dir: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'verify', '--data', dir], { encoding: 'utf8' })
  return { code: r.status ?? -1, out: r.stdout + r.stderr }
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

test('the last segment wholly before the checkpoint damaged: the open starts, warns naming it and the offset, replays the rest; the segment stays and verify reports it', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const checkpoint = await makeDir(dir)
    const segs = segments(dir)
    // The segment whose batches end nearest the checkpoint without passing it: its successor starts at or before checkpoint+1.
    const i = segs.findLastIndex((s, k) => k < segs.length - 1 && s.batches.length > 0 && Math.max(...s.batches) <= checkpoint)
    assert.ok(i >= 0, JSON.stringify({ checkpoint, segs }))
    const seg = segs[i] as { file: string }
    const bytes = damage(seg.file)
    for (let run = 0; run < 2; run++) {
      const lines: { level: string; line: string }[] = []
      const db = await open({ dir, workers: 1, log: (line, e) => lines.push({ level: e.level, line }) })
      try {
        const [sum] = await db.sql('SELECT COUNT(*), SUM(v) FROM kv')
        assert.equal(sum?.rows, [[20, 190]])
      } finally {
        await db.close()
      }
      assert.ok(lines.some((l) => l.level === 'warn' && new RegExp(`${escaped(seg.file)} is damaged at byte \\d+: .*recovery does not need it`).test(l.line)), JSON.stringify(lines))
      assert.ok(readFileSync(seg.file).equals(bytes), 'the damaged segment is left as it was')
    }
    const r = verify(dir)
    assert.is(r.code, 1, r.out)
    assert.match(r.out, new RegExp(`${escaped(seg.file)} is damaged at byte \\d+`))
  } finally {
    cleanup()
  }
})

test('damage in the segment that holds the first batch after the checkpoint, or any later one: the open refuses as before, naming it', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const checkpoint = await makeDir(dir)
    const segs = segments(dir)
    const needed = segs.findIndex((s) => s.batches.some((b) => b > checkpoint))
    assert.ok(needed >= 0 && needed < segs.length - 1, JSON.stringify({ checkpoint, segs }))
    for (const k of [needed, needed + 1]) {
      if (k >= segs.length - 1) continue // the last segment's damage is a torn tail or refused on its own terms
      const seg = segs[k] as { file: string }
      const sound = readFileSync(seg.file)
      damage(seg.file)
      const m = await open({ dir, workers: 1, log: () => {} }).then(async (db) => { await db.close(); return 'opened' }, (e: unknown) => (e as Error).message)
      assert.match(m, new RegExp(`the data directory is damaged, refusing to start \\(nothing was changed\\): batch log ${escaped(seg.file)} is damaged at byte \\d+`))
      writeFileSync(seg.file, sound)
    }
  } finally {
    cleanup()
  }
})

test.run()
