// A follower that takes the writer's snapshot over its own checkpoint (src/storage/state-file.ts,
// replaceCheckpointFile): the old file's write-ahead log must not reach the new file. SQLite applies a
// WAL beside a database file whatever file it came from, so a plain rename over a checkpoint that
// crashed with committed frames still in its WAL would serve the old pages under the new name.
import Database from 'better-sqlite3'
import { copyFileSync, existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { replaceCheckpointFile } from '../../src/storage/state-file.js'
import { tempDir } from '../support/tmp.js'

/** A checkpoint as a crash leaves it: its last commits only in `file`-wal (copied while it was open). */
function crashedCheckpoint(dir: string, name: string): string {
  const live = join(dir, `live-${name}`)
  const db = new Database(live)
  db.pragma('journal_mode = WAL')
  db.pragma('wal_autocheckpoint = 0')
  db.exec('CREATE TABLE t (v TEXT)')
  const insert = db.prepare('INSERT INTO t VALUES (?)')
  for (let i = 0; i < 200; i++) insert.run(`old ${i}`)
  const file = join(dir, name)
  copyFileSync(live, file)
  copyFileSync(`${live}-wal`, `${file}-wal`)
  db.close()
  return file
}

/** A snapshot as the writer hands it out: one self-contained file. */
function snapshot(dir: string): string {
  const file = join(dir, 'snapshot.partial')
  const db = new Database(file)
  db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('new')")
  db.close()
  return file
}

function rows(file: string): unknown[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare('SELECT v FROM t').pluck().all()
  } finally {
    db.close()
  }
}

test('the snapshot replaces a crashed checkpoint whole: its WAL does not reach the new file', () => {
  const d = tempDir()
  try {
    const file = crashedCheckpoint(d.dir, 'acheron.db')
    assert.is(rows(file).length, 200, 'the crashed checkpoint\'s commits are in its WAL')
    // (Opened read-only above, the WAL stays, as a crash left it.)
    assert.ok(existsSync(`${file}-wal`))
    replaceCheckpointFile(snapshot(d.dir), file)
    assert.equal(rows(file), ['new'])
    assert.not.ok(existsSync(`${file}-wal`), 'no WAL of the old file is left beside the new one')
    assert.not.ok(existsSync(join(d.dir, 'snapshot.partial')))
  } finally {
    d.cleanup()
  }
})

test('the hazard is real: a plain rename over the crashed checkpoint serves its WAL\'s pages', () => {
  const d = tempDir()
  try {
    const file = crashedCheckpoint(d.dir, 'acheron.db')
    renameSync(snapshot(d.dir), file)
    assert.is.not(JSON.stringify(rows(file)), JSON.stringify(['new']), 'a renamed file read through the old WAL is not the snapshot')
  } finally {
    d.cleanup()
  }
})

test('an empty place, or an unreadable old file, is replaced as well', () => {
  const d = tempDir()
  try {
    const fresh = join(d.dir, 'fresh.db')
    replaceCheckpointFile(snapshot(d.dir), fresh)
    assert.equal(rows(fresh), ['new'])
    const file = crashedCheckpoint(d.dir, 'damaged.db')
    // Not a database at all: the fold fails, and its WAL goes anyway.
    copyFileSync(join(d.dir, 'damaged.db-wal'), file)
    replaceCheckpointFile(snapshot(d.dir), file)
    assert.equal(rows(file), ['new'])
    assert.not.ok(existsSync(`${file}-wal`))
  } finally {
    d.cleanup()
  }
})

test.run()
