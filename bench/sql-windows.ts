// What window functions cost over a partitioned table: each query of a few frame shapes over ROWS rows
// (8 partitions), beside the same table's plain ORDER BY scan. A frame recomputed per row would be
// quadratic here (EXCLUDE and windowed GROUP_CONCAT are refused for that reason, docs/sql.md).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../src/index.js'

const ROWS = Number(process.argv[2] ?? 200_000)
const BATCH = 10_000
const dir = mkdtempSync(join(tmpdir(), 'acheron-windows-'))
const db = await open({ dir })
await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, g INTEGER, x INTEGER) PARTITIONS 8')
for (let from = 0; from < ROWS; from += BATCH) {
  const values = Array.from({ length: Math.min(BATCH, ROWS - from) }, (_, j) => `(${from + j}, ${(from + j) % 100}, ${((from + j) * 7919) % 100_003})`)
  await db.sql(`INSERT INTO t VALUES ${values.join(', ')}`)
}
const half = Math.floor(ROWS / 2)
const queries: [string, string][] = [
  ['plain scan, ORDER BY k (the baseline)', 'SELECT k, x FROM t ORDER BY k'],
  ['ROW_NUMBER() per group of 1/100', 'SELECT k, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x) FROM t ORDER BY k'],
  ['running SUM (default frame)', 'SELECT k, SUM(x) OVER (ORDER BY k) FROM t ORDER BY k'],
  [`sliding MAX over ${half.toLocaleString('en-US')} rows`, `SELECT k, MAX(x) OVER (ORDER BY k ROWS BETWEEN ${half} PRECEDING AND CURRENT ROW) FROM t ORDER BY k`],
  ['MIN to the end (frame start moves)', 'SELECT k, MIN(x) OVER (ORDER BY k ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t ORDER BY k'],
  ['RANGE ±10,000 by value, COUNT', 'SELECT k, COUNT(*) OVER (ORDER BY x RANGE BETWEEN 10000 PRECEDING AND 10000 FOLLOWING) FROM t ORDER BY k'],
  ['LAG, LEAD, NTILE, RANK', 'SELECT k, LAG(x) OVER (ORDER BY k), LEAD(x, 3) OVER (ORDER BY k), NTILE(10) OVER (ORDER BY x), RANK() OVER (ORDER BY g) FROM t ORDER BY k'],
]
console.log(`| query over ${ROWS.toLocaleString('en-US')} rows, 8 partitions | ms (best of 3) |`)
console.log('|---|---|')
for (const [what, sql] of queries) {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const r = await db.query(sql)
    best = Math.min(best, performance.now() - started)
    if (r.rows.length !== ROWS) throw new Error(`${what}: ${r.rows.length} rows`)
  }
  console.log(`| ${what} | ${Math.round(best).toLocaleString('en-US')} |`)
}
await db.close()
rmSync(dir, { recursive: true, force: true })
