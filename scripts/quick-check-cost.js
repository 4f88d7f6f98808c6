#!/usr/bin/env node
// Builds a ~100 MB SQLite file shaped like a checkpoint (8 partition tables of (k INTEGER PRIMARY KEY, v INTEGER, s TEXT)),
// then times PRAGMA quick_check and integrity_check, cold (page cache dropped where possible) and warm.
import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
const file = process.argv[2]
if (!existsSync(file)) {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  for (let p = 0; p < 8; p++) db.exec(`CREATE TABLE "kv$p${p}" (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT)`)
  const ins = Array.from({ length: 8 }, (_, p) => db.prepare(`INSERT INTO "kv$p${p}" VALUES (?, ?, ?)`))
  const tx = db.transaction((from, n) => { for (let i = from; i < from + n; i++) ins[i % 8].run(i, i * 7, 'v' + String(i).padStart(60, '0')) })
  for (let i = 0; i < 1_200_000; i += 100_000) tx(i, 100_000)
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}
console.log('file bytes', statSync(file).size)
for (const pragma of ['quick_check', 'quick_check', 'integrity_check']) {
  const db = new Database(file, { readonly: true })
  const t = performance.now()
  const r = db.pragma(pragma, { simple: true })
  console.log(pragma, r, Math.round(performance.now() - t), 'ms')
  db.close()
}
