// What changing a table's columns costs on a table that holds ROWS rows (8 partitions, an index, sync
// 'full'): ALTER TABLE … ADD COLUMN, … RENAME COLUMN (of a plain column, of an indexed one, of the
// key) and … DROP COLUMN. Each statement replies once its batch is logged and executed; the state thread
// writes it into SQLite when it next writes, which the first query after it waits for. None rewrites a row, so all
// should cost about the same whatever the table holds: the reply, and that first query against the next.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../src/index.js'

const ROWS = Number(process.argv[2] ?? 200_000)
const BATCH = 10_000
const dir = mkdtempSync(join(tmpdir(), 'acheron-schema-changes-'))
const db = await open({ dir, sync: 'full' })
try {
  await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER, s TEXT) PARTITIONS 8; CREATE INDEX t_s ON t (s)')
  for (let from = 0; from < ROWS; from += BATCH) {
    const n = Math.min(BATCH, ROWS - from)
    await db.sql(`INSERT INTO t VALUES ${Array.from({ length: n }, (_, j) => `(${from + j}, ${from + j}, 'r${from + j}')`).join(', ')}`)
  }
  await db.query('SELECT COUNT(*) FROM t')

  const timed = async (sql: string): Promise<number> => {
    const started = performance.now()
    await db.sql(sql)
    return performance.now() - started
  }
  const changes: [string, string, string][] = [
    ['ADD COLUMN n INTEGER NOT NULL DEFAULT 1', 'ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 1', 'SELECT SUM(n) FROM t WHERE k < 100'],
    ['RENAME COLUMN v TO amount', 'ALTER TABLE t RENAME COLUMN v TO amount', 'SELECT SUM(amount) FROM t WHERE k < 100'],
    ['RENAME COLUMN s TO label (indexed)', 'ALTER TABLE t RENAME COLUMN s TO label', "SELECT k FROM t WHERE label = 'r4242'"],
    ['RENAME COLUMN k TO id (the key)', 'ALTER TABLE t RENAME COLUMN k TO id', 'SELECT SUM(amount) FROM t WHERE id < 100'],
    ['DROP COLUMN n', 'ALTER TABLE t DROP COLUMN n', 'SELECT * FROM t WHERE id < 100'],
  ]
  console.log(`| on ${ROWS.toLocaleString('en-US')} rows, 8 partitions, one index | reply ms | first query after it, ms | the same query again, ms |`)
  console.log('|---|---:|---:|---:|')
  for (const [what, alter, query] of changes) {
    const reply = await timed(alter)
    const first = await timed(query)
    const again = await timed(query)
    console.log(`| ${what} | ${reply.toFixed(1)} | ${first.toFixed(1)} | ${again.toFixed(1)} |`)
  }
  // Point reads by the renamed key: in the execution threads, from the checkpoint's tables.
  const started = performance.now()
  for (let i = 0; i < 2000; i++) await db.query('SELECT amount FROM t WHERE id = ?', [(i * 7919) % ROWS])
  console.log(`\n2,000 point SELECTs by the renamed key, one at a time: ${((performance.now() - started) / 2000 * 1000).toFixed(0)} µs each`)
} finally {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
}
