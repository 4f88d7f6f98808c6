// Which storage layout for partitions: one SQLite file holding a table per partition (one transaction,
// one fsync per batch, atomic across partitions), or one file per partition (a transaction and an fsync
// per touched file, and no atomicity across files without a log of our own). Same rows, same writes.
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mulberry32 } from './support/rng.js'

const PARTITIONS = 8
const KEYS = 100_000
const WRITES_PER_BATCH = 2000
const DURATION_MS = 3000

function run(label: string, files: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-layout-'))
  const dbs = Array.from({ length: files }, (_, f) => {
    const db = new Database(join(dir, `p${f}.db`))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    return db
  })
  const upserts: Database.Statement[] = []
  for (let p = 0; p < PARTITIONS; p++) {
    const db = dbs[p % files] as Database.Database
    db.exec(`CREATE TABLE t$p${p} (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)`)
    upserts.push(db.prepare(`INSERT INTO t$p${p} VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v`))
  }
  for (const db of dbs) db.exec('BEGIN')
  for (let k = 0; k < KEYS; k++) (upserts[k % PARTITIONS] as Database.Statement).run(k, 0)
  for (const db of dbs) db.exec('COMMIT')
  const txns = dbs.map((db) => db.transaction((rows: [number, number][]) => {
    for (const [k, v] of rows) (upserts[k % PARTITIONS] as Database.Statement).run(k, v)
  }))
  const rand = mulberry32(3)
  let batches = 0
  const start = performance.now()
  while (performance.now() - start < DURATION_MS) {
    const perFile: [number, number][][] = dbs.map(() => [])
    for (let i = 0; i < WRITES_PER_BATCH; i++) {
      const k = Math.floor(rand() * KEYS)
      ;(perFile[(k % PARTITIONS) % files] as [number, number][]).push([k, batches])
    }
    perFile.forEach((rows, f) => (txns[f] as (r: [number, number][]) => void)(rows))
    batches++
  }
  const ms = (performance.now() - start) / batches
  console.log(`| ${label} | ${ms.toFixed(2)} | ${Math.round((WRITES_PER_BATCH / ms) * 1000).toLocaleString('en-US')} |`)
  for (const db of dbs) db.close()
  rmSync(dir, { recursive: true, force: true })
}

console.log(`Batches of ${WRITES_PER_BATCH} random upserts over ${KEYS.toLocaleString('en-US')} rows in ${PARTITIONS} partitions, WAL, synchronous=FULL`)
console.log('| layout | ms per batch | row writes/s |')
console.log('|---|---|---|')
run('one file, a table per partition (chosen)', 1)
run('a file per partition (8 fsyncs, not atomic)', PARTITIONS)
