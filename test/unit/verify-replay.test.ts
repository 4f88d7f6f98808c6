// acheron verify --replay: a value changed inside a sound page (no checksum sees it) is found by building
// the state again from the log and comparing it with the checkpoint's.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type OpenOptions } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

function verify(...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'verify', ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status ?? -1, out: r.stdout + r.stderr }
}

/**
 * kv over 3 partitions: 300 rows inserted, then 40 batches of updates and deletes; stopped cleanly. With
 * `until`, more batches follow (at most for 30 s) until it holds of the directory, then 20 more: the copies
 * of the checkpoint are made off the engine's thread, and on a busy machine none was made within the 40.
 */
async function makeDir(dir: string, options: OpenOptions = {}, until?: (dir: string) => boolean): Promise<void> {
  const db = await open({ dir, workers: 0, log: () => {}, ...options })
  await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT) PARTITIONS 3')
  await db.insert('kv', Array.from({ length: 300 }, (_, i) => [i, i, `row ${i}`]))
  let b = 0
  const batch = async (): Promise<void> => {
    await db.sql(`UPDATE kv SET v = v + ${b}, s = 'batch ${b}' WHERE k % 7 = ${b % 7}`)
    if (b % 10 === 9) await db.sql(`DELETE FROM kv WHERE k = ${b * 3}`)
    b++
  }
  while (b < 40) await batch()
  if (until !== undefined) {
    const deadline = Date.now() + 30_000
    while (!until(dir) && Date.now() < deadline) {
      await batch()
      await new Promise((r) => setTimeout(r, 20))
    }
    for (let i = 0; i < 20; i++) await batch()
  }
  await db.close()
}

/** The directory holds at least one copy of the checkpoint (trace-bases/base-*.db). */
function holdsACopy(dir: string): boolean {
  try {
    return readdirSync(join(dir, 'trace-bases')).some((n) => /^base-\d+\.db$/.test(n))
  } catch {
    return false
  }
}

const scratchLeft = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('acheron-replay-'))

test('a sound directory: the checkpoint and the state replayed from an empty one are equal; nothing is left behind', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    const before = scratchLeft()
    const r = verify('--data', dir, '--replay')
    assert.is(r.code, 0, r.out)
    assert.match(r.out, / is sound: /)
    assert.match(r.out, /--replay: acheron\.db and an empty state, each replayed through the log to batch \d+ \(\d+ batches from the start\), are equal row for row \(\d+ ms\)/)
    assert.equal(scratchLeft(), before)
  } finally {
    cleanup()
  }
})

test('a value changed and a row removed inside sound pages: verify finds the directory sound, --replay names both rows', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir)
    // What a disk that flipped a bit in a record, or lost a write, leaves: pages SQLite finds sound.
    const file = new Database(join(dir, 'acheron.db'))
    const [k1, v1, s1] = file.prepare('SELECT k, v, s FROM "kv$p1" ORDER BY k LIMIT 1').raw(true).get() as [number, number, string]
    file.prepare('UPDATE "kv$p1" SET v = v + 1 WHERE k = ?').run(k1)
    const [k2, v2, s2] = file.prepare('SELECT k, v, s FROM "kv$p2" ORDER BY k DESC LIMIT 1').raw(true).get() as [number, number, string]
    file.prepare('DELETE FROM "kv$p2" WHERE k = ?').run(k2)
    file.close()
    const plain = verify('--data', dir)
    assert.is(plain.code, 0, plain.out)
    assert.match(plain.out, / is sound: /)
    const r = verify('--data', dir, '--replay')
    assert.is(r.code, 1, r.out)
    assert.match(r.out, /--replay: acheron\.db and an empty state, each replayed through the log to batch \d+, differ: a value in acheron\.db changed without any checksum seeing it\. Move acheron\.db\* aside and start the node: it replays the whole log/)
    assert.ok(r.out.includes(`  table kv, partition 1, key ${k1}: acheron.db holds (${k1}, ${v1 + 1}, '${s1}'), the rebuild from an empty state (${k1}, ${v1}, '${s1}')`), r.out)
    assert.ok(r.out.includes(`  table kv, partition 2, key ${k2}: acheron.db holds no row, the rebuild from an empty state (${k2}, ${v2}, '${s2}')`), r.out)
    // Only those two.
    assert.is(r.out.split('\n').filter((l) => l.startsWith('  table kv')).length, 2, r.out)
    // The directory itself is left as it was: --replay builds in scratch directories.
    const again = new Database(join(dir, 'acheron.db'), { readonly: true })
    assert.is(again.prepare('SELECT v FROM "kv$p1" WHERE k = ?').pluck().get(k1), v1 + 1)
    again.close()
  } finally {
    cleanup()
  }
})

test('a log that no longer reaches batch 1 replays from the oldest copy of the checkpoint it continues; a change is then in either', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // Small segments and a copy of the checkpoint every 2 KiB of log: the log drops what is behind the oldest copy.
    await makeDir(dir, { logSegmentBytesMax: 1024, logSegmentsKept: 0, checkpointIntervalMs: 0, traceBaseLogBytes: 2048, traceBaseIntervalMs: 1, traceBasesKept: 2 }, holdsACopy)
    const r = verify('--data', dir, '--replay')
    assert.is(r.code, 0, r.out)
    const m = /--replay: acheron\.db and (\S+) \(batches up to (\d+)\), each replayed through the log to batch (\d+) \((\d+) batches from the start\), are equal row for row/.exec(r.out)
    assert.ok(m !== null, r.out)
    assert.match(m?.[1] ?? '', /trace-bases\/base-\d+\.db$/)
    assert.ok(Number(m?.[2]) > 0, r.out)
    assert.is(Number(m?.[3]) - Number(m?.[2]), Number(m?.[4]), r.out)
    // A change there: the copy or the checkpoint changed, and the rows do not say which.
    const file = new Database(join(dir, 'acheron.db'))
    const k = file.prepare('SELECT k FROM "kv$p0" ORDER BY k LIMIT 1').pluck().get() as number
    file.prepare('UPDATE "kv$p0" SET s = NULL WHERE k = ?').run(k)
    file.close()
    const changed = verify('--data', dir, '--replay')
    assert.is(changed.code, 1, changed.out)
    assert.ok(changed.out.includes(`differ: a value changed without any checksum seeing it, in acheron.db or in ${m?.[1] ?? ''}. Move that copy aside and run --replay again`), changed.out)
    assert.match(changed.out, new RegExp(`  table kv, partition 0, key ${k}: acheron\\.db holds \\(${k}, \\d+, NULL\\), the rebuild from base-\\d+\\.db \\(${k}, \\d+, '[^']+'\\)`))
  } finally {
    cleanup()
  }
})

test('with neither batch 1 in the log nor an old enough copy of the checkpoint, --replay says there is nothing to replay from', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await makeDir(dir, { logSegmentBytesMax: 1024, logSegmentsKept: 0, checkpointIntervalMs: 0, traceBasesKept: 0 })
    const r = verify('--data', dir, '--replay')
    assert.is(r.code, 1, r.out)
    assert.match(r.out, / is sound: /)
    assert.match(r.out, /--replay: the log reaches back to batch \d+ only, and no intact copy of the checkpoint in trace-bases\/ is that old: there is nothing to replay from/)
  } finally {
    cleanup()
  }
})

test.run()
