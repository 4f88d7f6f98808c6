/**
 * `acheron verify --data DIR`: the full check of a stopped data directory. What every open checks
 * cheaply (files, format, module hashes, catalog against tables, the log reaching on from the
 * checkpoint) plus SQLite's `PRAGMA integrity_check`, every row's storage class against its column and
 * its partition, and every log frame's checksum from the checkpoint on. Exits 0 with a summary when the
 * directory is sound, 1 naming each problem. It takes the directory's lock: a directory in use is refused.
 */
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readSegments } from '../log/file-log.js'
import type { CatalogData } from '../schema/catalog.js'
import { decodeBatch } from '../txn/batch-codec.js'
import { catalogTableProblems, fileProblems, moduleProblems, rowProblems } from '../storage/damage.js'
import { DirLock } from '../storage/dir-lock.js'
import { DATABASE_FILE, STORAGE_FORMAT } from '../storage/sqlite-schema.js'
import { catalogFromJson } from '../storage/value-codec.js'

export const VERIFY_USAGE = `usage: acheron verify --data DIR
  checks a stopped data directory: SQLite integrity, every row against its table, module hashes, and the
  batch log's frames from the checkpoint on; exits 0 when sound, 1 naming each problem`

interface Checkpoint { readonly lastBatch: number; readonly tables: number; readonly rows: number; readonly modules: number }

function checkDatabase(file: string, problems: string[]): Checkpoint | null {
  if (!existsSync(file)) return null
  const db = new Database(file, { fileMustExist: true })
  try {
    const integrity = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[]
    const bad = integrity.map((r) => r.integrity_check).filter((m) => m !== 'ok')
    for (const m of bad) problems.push(`${file}: SQLite integrity_check: ${m}`)
    const meta = (k: string): unknown => (db.prepare('SELECT v FROM _acheron_meta WHERE k = ?').pluck().safeIntegers(true).get(k))
    const format = meta('format')
    if (format !== undefined && Number(format) !== STORAGE_FORMAT) {
      problems.push(`${file} is in storage format ${String(format)}, this version reads format ${STORAGE_FORMAT}`)
      return null
    }
    const text = meta('catalog')
    let catalog: CatalogData = { version: 0, tables: [], functions: [] }
    try {
      if (typeof text === 'string') catalog = catalogFromJson<CatalogData>(text)
    } catch (err) {
      problems.push(`${file}: the catalog in _acheron_meta cannot be read (${err instanceof Error ? err.message : String(err)})`)
      return null
    }
    const modules = new Map((db.prepare('SELECT hash, bytes FROM _acheron_modules').raw(true).all() as [string, Buffer][]).map(([h, b]) => [h, new Uint8Array(b)] as const))
    problems.push(...moduleProblems(file, catalog, modules))
    const tableProblems = catalogTableProblems(db, file, catalog)
    problems.push(...tableProblems)
    let rows = 0
    if (tableProblems.length === 0) {
      for (const t of catalog.tables) {
        const r = rowProblems(db, file, t)
        rows += r.rows
        problems.push(...r.problems)
      }
    }
    return { lastBatch: Number(meta('last_batch') ?? 0n), tables: catalog.tables.length, rows, modules: modules.size }
  } catch (err) {
    problems.push(`${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`)
    return null
  } finally {
    db.close()
  }
}

/** Runs the check; returns the lines to print and whether the directory is sound. */
export function verifyDataDir(dir: string): { sound: boolean; lines: string[] } {
  const problems: string[] = [...fileProblems(dir)]
  const dbFile = join(dir, DATABASE_FILE)
  const logDir = join(dir, 'log')
  if (!existsSync(dbFile) && !existsSync(logDir)) return { sound: false, lines: [`${dir} is not an Acheron data directory: it has neither ${DATABASE_FILE} nor log/`] }
  const checkpoint = checkDatabase(dbFile, problems)
  const from = (checkpoint?.lastBatch ?? 0) + 1
  const log = readSegments(logDir)
  problems.push(...log.problems)
  const notes: string[] = []
  let expected = from
  let lastBatch = 0
  let replayed = 0
  for (const seg of log.segments) {
    if (seg.tornBytes > 0) notes.push(`${seg.file}: a torn tail of ${seg.tornBytes} bytes (a write the last run did not finish, never acknowledged) will be cut at the next open`)
    for (const e of seg.entries) {
      lastBatch = Math.max(lastBatch, e.batch)
      if (e.kind !== 'batch' || e.batch < from) continue
      if (e.batch !== expected) {
        problems.push(`${seg.file}: the log holds batch ${e.batch} where batch ${expected} was due after the checkpoint at batch ${from - 1}: batches ${expected} to ${e.batch - 1} are in neither the checkpoint nor the log`)
        expected = e.batch
      }
      try {
        decodeBatch(e.body)
      } catch (err) {
        problems.push(`${seg.file}: batch ${e.batch} does not decode (${err instanceof Error ? err.message : String(err)})`)
      }
      expected++
      replayed++
    }
  }
  if (problems.length > 0) return { sound: false, lines: [`${dir}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:`, ...problems.map((p) => `  ${p}`), ...notes] }
  const cp = checkpoint === null ? 'no checkpoint yet' : `checkpoint at batch ${checkpoint.lastBatch} (${checkpoint.tables} tables, ${checkpoint.rows} rows, ${checkpoint.modules} modules; integrity ok)`
  const lg = `log: ${log.segments.length} segment${log.segments.length === 1 ? '' : 's'}, last batch ${lastBatch}, ${replayed} batch${replayed === 1 ? '' : 'es'} to replay from batch ${from}, every frame's checksum ok`
  return { sound: true, lines: [`${dir} is sound: ${cp}; ${lg}`, ...notes] }
}

export function verifyCommand(args: string[], out: (line: string) => void): number {
  const { values } = parseArgs({ args, options: { data: { type: 'string' } } })
  if (values.data === undefined) throw new Error(`--data DIR is required\n${VERIFY_USAGE}`)
  if (!existsSync(values.data)) throw new Error(`no such directory: ${values.data}`)
  // A directory in use is refused: its files change under the check.
  const lock = DirLock.acquire(values.data)
  try {
    const { sound, lines } = verifyDataDir(values.data)
    for (const l of lines) out(l)
    return sound ? 0 : 1
  } finally {
    lock.release()
  }
}
