// What RETURNING and subqueries add to an UPDATE or DELETE over a table: each statement over ROWS rows
// (8 partitions, sync 'full'), beside the same write without them. RETURNING is evaluated by SQLite
// over each row written (src/txn/txn-runner.ts, Returned); a subquery runs inside the scan's query.
// Then INSERT … SELECT of every row into an empty table, beside the same rows sent as VALUES.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../src/index.js'

const ROWS = Number(process.argv[2] ?? 100_000)
const BATCH = 10_000
const dir = mkdtempSync(join(tmpdir(), 'acheron-sql-writes-'))
const db = await open({ dir, sync: 'full' })
await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER, s TEXT) PARTITIONS 8; CREATE TABLE u (id INTEGER PRIMARY KEY, tk INTEGER) PARTITIONS 8')
for (let from = 0; from < ROWS; from += BATCH) {
  const n = Math.min(BATCH, ROWS - from)
  const t = Array.from({ length: n }, (_, j) => `(${from + j}, ${(from + j) % 1000}, 'r${from + j}')`)
  const u = Array.from({ length: n }, (_, j) => `(${from + j}, ${((from + j) * 7919) % ROWS})`)
  await db.sql(`INSERT INTO t VALUES ${t.join(', ')}; INSERT INTO u VALUES ${u.join(', ')}`)
}
const statements: [string, string, number][] = [
  ['UPDATE, every row (the baseline)', 'UPDATE t SET v = v + 1', ROWS],
  ['the same with RETURNING k, v', 'UPDATE t SET v = v + 1 RETURNING k, v', ROWS],
  ['SET from a correlated COUNT over u', 'UPDATE t SET v = (SELECT COUNT(*) FROM u WHERE u.tk = t.k)', ROWS],
  ['WHERE k IN (SELECT … FROM u), half the rows', `UPDATE t SET v = v + 1 WHERE k IN (SELECT tk FROM u WHERE id < ${ROWS / 2})`, -1],
  ['DELETE … RETURNING * of 1 row in 10 (put back between runs)', 'DELETE FROM t WHERE k % 10 = 0 RETURNING *', ROWS / 10],
]
console.log(`| statement over ${ROWS.toLocaleString('en-US')} rows, 8 partitions | ms (best of 3) |`)
console.log('|---|---|')
for (const [what, sql, expect] of statements) {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const [r] = await db.sql(sql)
    best = Math.min(best, performance.now() - started)
    if (expect >= 0 && r?.rowsAffected !== expect) throw new Error(`${what}: ${r?.rowsAffected} rows`)
    if (sql.startsWith('DELETE')) {
      const rows = r?.rows ?? []
      if (rows.length !== expect) throw new Error(`${what}: ${rows.length} rows returned`)
      for (let from = 0; from < rows.length; from += BATCH) await db.sql(`INSERT INTO t VALUES ${rows.slice(from, from + BATCH).map((x) => `(${x[0]}, ${x[1]}, '${x[2]}')`).join(', ')}`)
    }
  }
  console.log(`| ${what} | ${Math.round(best).toLocaleString('en-US')} |`)
}
// INSERT … SELECT into an empty copy of t (emptied between runs), beside the same rows as INSERT … VALUES
// statements of BATCH rows each, built from a SELECT the client read first.
await db.sql('CREATE TABLE copy (k INTEGER PRIMARY KEY, v INTEGER, s TEXT) PARTITIONS 8')
const copies: [string, () => Promise<number>][] = [
  ['INSERT INTO copy SELECT * FROM t', async () => (await db.sql('INSERT INTO copy SELECT * FROM t'))[0]?.rowsAffected ?? 0],
  [`SELECT * FROM t, then INSERT … VALUES of ${BATCH.toLocaleString('en-US')} rows at a time`, async () => {
    const rows = (await db.query('SELECT * FROM t')).rows
    for (let from = 0; from < rows.length; from += BATCH) await db.sql(`INSERT INTO copy VALUES ${rows.slice(from, from + BATCH).map((x) => `(${x[0]}, ${x[1]}, '${x[2]}')`).join(', ')}`)
    return rows.length
  }],
]
for (const [what, run] of copies) {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    await db.sql('DELETE FROM copy')
    const started = performance.now()
    const n = await run()
    best = Math.min(best, performance.now() - started)
    if (n !== ROWS) throw new Error(`${what}: ${n} rows`)
  }
  console.log(`| ${what} | ${Math.round(best).toLocaleString('en-US')} |`)
}
await db.close()
rmSync(dir, { recursive: true, force: true })
