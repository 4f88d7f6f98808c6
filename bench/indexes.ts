// What CREATE INDEX buys and costs. Queries over ROWS rows (8 partitions, sync 'full') that filter,
// sort or join on a column other than the key, without an index on it and with one; the CREATE INDEX itself
// (the SQLite indexes are built on the state thread at the next flush); and what an index adds to a
// checkpoint, which writes every changed row into the partition tables: the same upserts done here
// directly on better-sqlite3, into tables laid out as the checkpoint's, without and with the index.
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../src/index.js'

const ROWS = Number(process.argv[2] ?? 200_000)
const BATCH = 10_000
const dir = mkdtempSync(join(tmpdir(), 'acheron-indexes-'))
const db = await open({ dir, sync: 'full' })
await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER, s TEXT) PARTITIONS 8')
for (let from = 0; from < ROWS; from += BATCH) {
  const n = Math.min(BATCH, ROWS - from)
  await db.sql(`INSERT INTO t VALUES ${Array.from({ length: n }, (_, j) => `(${from + j}, ${((from + j) * 7919) % ROWS}, 'r${from + j}')`).join(', ')}`)
}

// A small table joined to t on v: each o.a is one t.v (v is a permutation of the keys).
await db.sql(`CREATE TABLE o (k INTEGER PRIMARY KEY, a INTEGER) PARTITIONS 8; INSERT INTO o VALUES ${Array.from({ length: 100 }, (_, j) => `(${j}, ${j * 1000})`).join(', ')}`)

const queries: [string, string][] = [
  ['WHERE v = ? (1 row)', 'SELECT k FROM t WHERE v = 4242'],
  ['WHERE v BETWEEN ? AND ? (100 rows)', 'SELECT COUNT(*) FROM t WHERE v BETWEEN 1000 AND 1099'],
  ['ORDER BY v DESC LIMIT 10', 'SELECT k, v FROM t ORDER BY v DESC LIMIT 10'],
  ['EXISTS (SELECT … WHERE v = outer value), 40 outer rows', 'SELECT COUNT(*) FROM t AS o WHERE o.k < 40 AND EXISTS (SELECT 1 FROM t WHERE t.v = o.k + 1)'],
  ['o (100 rows) JOIN t ON t.v = o.a', 'SELECT o.k, t.k FROM o JOIN t ON t.v = o.a'],
  ['o JOIN t ON t.v BETWEEN o.a AND o.a + 3', 'SELECT o.k, t.k FROM o JOIN t ON t.v BETWEEN o.a AND o.a + 3'],
  ['COUNT(*) of that join (an aggregate)', 'SELECT COUNT(*) FROM o JOIN t ON t.v BETWEEN o.a AND o.a + 3'],
  ['(SELECT COUNT(*) … WHERE v = outer value), 10 outer rows', 'SELECT o.k, (SELECT COUNT(*) FROM t WHERE t.v = o.a) FROM o WHERE o.k < 10'],
  ['(SELECT COUNT(*) … WHERE v BETWEEN outer value AND + 3), 10 outer rows', 'SELECT o.k, (SELECT COUNT(*) FROM t WHERE t.v BETWEEN o.a AND o.a + 3) FROM o WHERE o.k < 10'],
]
/** Slow without the index (about a second each): measured once. */
const once = (what: string) => what.startsWith('EXISTS') || what.includes('JOIN') || what.includes('join') || what.startsWith('(SELECT')

/** Best of `runs`, in ms, or the error code of a query refused (QUERY_ROWS_EXAMINED_MAX: too many row combinations). */
async function best(sql: string, runs = 5): Promise<string> {
  let ms = Infinity
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    try {
      await db.sql(sql)
    } catch (err) {
      return `refused after ${(performance.now() - started).toFixed(0)} ms (${(err as { code?: string }).code ?? String(err)})`
    }
    ms = Math.min(ms, performance.now() - started)
  }
  return ms.toFixed(1)
}

const without = new Map<string, string>()
for (const [what, sql] of queries) without.set(what, await best(sql, once(what) ? 1 : 5))
const created = performance.now()
await db.sql('CREATE INDEX t_v ON t (v)')
// The index is built when the state thread next writes to SQLite: the first query after it waits for that.
await db.sql('SELECT k FROM t WHERE v = 1')
const createMs = performance.now() - created
console.log(`| query over ${ROWS.toLocaleString('en-US')} rows, 8 partitions | ms without an index on v | ms with CREATE INDEX t_v ON t (v) |`)
console.log('|---|---|---|')
for (const [what, sql] of queries) {
  console.log(`| ${what} | ${without.get(what) as string} | ${await best(sql, once(what) ? 1 : 5)} |`)
}
console.log(`\nCREATE INDEX, and the first query after it (the build): ${Math.round(createMs)} ms`)
await db.close()

/** A checkpoint's SQLite work for ROWS changed rows (v changed, so an index on v is rewritten): best of 3. */
function checkpointMs(indexed: boolean): number {
  const file = new Database(join(dir, `checkpoint-${indexed ? 'indexed' : 'plain'}.db`))
  file.pragma('journal_mode = WAL')
  file.pragma('synchronous = NORMAL')
  const upserts = Array.from({ length: 8 }, (_, p) => {
    file.exec(`CREATE TABLE "t$p${p}" (k INTEGER PRIMARY KEY, v INTEGER, s TEXT)`)
    if (indexed) file.exec(`CREATE INDEX "t_v$i${p}" ON "t$p${p}" (v)`)
    return file.prepare(`INSERT INTO "t$p${p}" (k, v, s) VALUES (?, ?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v, s = excluded.s`)
  })
  let ms = Infinity
  for (let round = 0; round < 4; round++) {
    const started = performance.now()
    file.transaction(() => { for (let k = 0; k < ROWS; k++) upserts[k % 8]?.run(k, ((k + round) * 7919) % ROWS, `r${k}`) })()
    // The first round fills the tables; the others rewrite every row, as a checkpoint after an UPDATE does.
    if (round > 0) ms = Math.min(ms, performance.now() - started)
  }
  file.close()
  return ms
}
console.log(`A checkpoint of ${ROWS.toLocaleString('en-US')} changed rows (their v changed), its SQLite work: ${Math.round(checkpointMs(false))} ms without the index, ${Math.round(checkpointMs(true))} ms with it`)
rmSync(dir, { recursive: true, force: true })
