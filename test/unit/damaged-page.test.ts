// A damaged page deep in a partition's B-tree (not the header, not the catalog: those the open always
// reads) of a stopped directory. After an unclean stop the open finds it (quick_check) and refuses, naming
// the file; after a clean one it is found by the reads that meet it and by acheron verify.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
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

/** Overwrites the cell pointers of a leaf page in the middle of kv$p0's B-tree (deterministic garbage). */
function damageLeafPage(dir: string): void {
  const file = join(dir, 'acheron.db')
  const db = new Database(file)
  const page = Number(db.pragma('page_size', { simple: true }))
  const leaves = db.prepare("SELECT pageno FROM dbstat WHERE name = 'kv$p0' AND pagetype = 'leaf' ORDER BY pageno").pluck().all() as number[]
  db.close()
  const victim = leaves[Math.floor(leaves.length / 2)] as number
  const bytes = readFileSync(file)
  for (let i = 0; i < 64; i++) bytes[(victim - 1) * page + 8 + i] = (i * 151 + 7) & 0xff
  writeFileSync(file, bytes)
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

test.run()
