// One SQL INSERT of 100,000 rows through db.sql (parse + one transaction across all partitions).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '../src/index.js'

const ROWS = Number(process.argv[2] ?? 100_000)
const dir = mkdtempSync(join(tmpdir(), 'acheron-sqlbulk-'))
const db = await open({ dir, workers: 2, sync: 'full' })
await db.sql('CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL) PARTITIONS 8')
const values = Array.from({ length: ROWS }, (_, i) => `(${i}, 'item-${i}', ${i}.25)`).join(',\n')
const script = `INSERT INTO item (id, name, price) VALUES\n${values};`
const started = performance.now()
const [r] = await db.sql(script)
const secs = (performance.now() - started) / 1000
console.log(`| one SQL INSERT of ${ROWS.toLocaleString('en-US')} rows (${(script.length / 1e6).toFixed(1)} MB of text), 2 workers | ${secs.toFixed(2)} s | ${Math.round((r?.rowsAffected ?? 0) / secs).toLocaleString('en-US')} rows/s |`)
const [count] = await db.sql('SELECT COUNT(*), SUM(price) FROM item')
console.log('check:', JSON.stringify(count?.rows))
await db.close()
rmSync(dir, { recursive: true, force: true })
