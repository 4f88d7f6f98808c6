// Damage a stopped directory's checkpoint the way a disk may: garbage over a leaf page in the middle of
// kv$p0's B-tree (not the header, not the catalog, which every open reads). Deterministic.
import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Overwrites the cell pointers of a leaf page in the middle of kv$p0's B-tree (deterministic garbage). */
export function damageLeafPage(dir: string): void {
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
