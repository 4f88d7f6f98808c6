/**
 * What can be checked of a stopped data directory, cheaply on every open or fully by `acheron verify`.
 * A problem names the file and what is wrong with it. Damage is never served silently: an open that
 * finds a problem refuses to start (DataDirDamagedError), since going on would serve a state that lacks
 * acknowledged batches or runs module bytes other than those registered.
 */
import Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'
import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { CatalogData, ColumnType, TableDef } from '../schema/catalog.js'
import { partitionOf } from '../schema/keys.js'
import type { SqlValue } from '../values.js'
import { ACHERON_VERSION } from '../version.js'
import { readOnlyLook } from './read-only-open.js'
import { DATABASE_FILE, STORAGE_FORMAT, partitionTableName, quoteIdent, keyColumnSql } from './sqlite-schema.js'

export class DataDirDamagedError extends AcheronError {
  /** `dir`: the data directory, so that the verify command given can be pasted as it is. */
  constructor(readonly problems: readonly string[], dir = 'DIR') {
    // A stable code (it had none: open()'s caller could only match the message).
    super('DATA_DIR_DAMAGED', `the data directory is damaged, refusing to start (nothing was changed): ${problems.join('; ')}. Run acheron verify --data ${dir} for the full check (with --repair it rebuilds a damaged acheron.db from the batch log where the directory allows); else restore the directory from a backup (docs/operations.md, "Full disks and damaged data directories")`)
    this.name = 'DataDirDamagedError'
  }
}

/**
 * A checkpoint in a storage format this version does not read. One newer than this version's was written
 * by a newer acheron: it is not damage, and the advice for damage (restore a backup) would throw away
 * every batch since the backup where running the newer version loses nothing.
 */
export class StorageFormatError extends AcheronError {
  constructor(readonly file: string, readonly format: unknown) {
    // Not damage (a newer acheron's checkpoint): this version cannot use the directory.
    super('DATA_DIR_UNUSABLE', formatProblem(file, format))
    this.name = 'StorageFormatError'
  }
}

export function formatProblem(file: string, format: unknown): string {
  const said = `${file} is in storage format ${String(format)}, acheron ${ACHERON_VERSION} reads format ${STORAGE_FORMAT}`
  if (Number(format) > STORAGE_FORMAT) return `${said}: it was written by a newer acheron; run that version (or a later one) on this directory. It is not damaged: do not restore it from a backup (nothing was changed)`
  return `${said}: no version of acheron wrote that format, so the file is damaged`
}

/** SQLite found the file damaged: a malformed page (SQLITE_CORRUPT), or no database at all (SQLITE_NOTADB). */
export function isSqliteDamage(err: unknown): err is Error & { readonly code: string } {
  return err instanceof Database.SqliteError && /^SQLITE_(CORRUPT|NOTADB)/.test(err.code)
}

/**
 * What a request that met damage in the checkpoint `file` while the server runs is told (and the server
 * log): the file, SQLite's words, that nothing of it took effect, and the way out. Its start, "the
 * checkpoint file F is damaged", is stable: programs and tests may match it. Before, a query said "the
 * state thread failed: SqliteError: database disk image is malformed" with no code, and a batch "batch
 * not committed: database disk image is malformed", neither naming the file nor what to do.
 */
export function damagedCheckpointMessage(file: string, err: Error): string {
  return `the checkpoint file ${file} is damaged (SQLite: ${err.message}); nothing of this request took effect. Stop the server and run acheron verify --data ${dirname(file)} --repair (docs/operations.md, "Recovering a damaged directory")`
}

/**
 * damagedCheckpointMessage's line in a failure's message, which may have crossed a thread as text
 * (an execution worker's "execution worker failed: CheckpointDamagedError: …" and its stack); null when
 * it holds none.
 */
export function checkpointDamageLine(message: string): string | null {
  return /the checkpoint file .+ is damaged \(SQLite: [^\n]*/.exec(message)?.[0] ?? null
}

/** Thrown where a read meets damage in the checkpoint: an environment failure, never a transaction's outcome. */
export class CheckpointDamagedError extends Error {
  constructor(readonly file: string, cause: Error) {
    super(damagedCheckpointMessage(file, cause))
    this.name = 'CheckpointDamagedError'
  }
}

/** Lines of SQLite's quick_check that a refused open names (the first ones say where). */
export const QUICK_CHECK_LINES_MAX = 5

/**
 * SQLite's quick_check of the checkpoint `file` (every page's structure, without the index cross-checks
 * of integrity_check), read-only and leaving no files behind: the problems it names, none when sound.
 * A file SQLite cannot read at all is one problem.
 */
export function quickCheck(file: string): string[] {
  try {
    return readOnlyLook(file, (db) => (db.pragma('quick_check', { simple: false }) as { quick_check: string }[]).map((r) => r.quick_check).filter((m) => m !== 'ok'))
  } catch (err) {
    if (isSqliteDamage(err)) return [err.message]
    throw err
  }
}

/**
 * Files that must come together, each of its kind: a WAL without its database means the checkpoint file
 * was lost; a `log` that is a file (or an acheron.db that is a directory) is no log (no checkpoint), where
 * acheron verify called the directory sound and open() failed with `EEXIST: … mkdir 'DIR/log'`.
 */
export function fileProblems(dir: string): string[] {
  const db = join(dir, DATABASE_FILE)
  const problems: string[] = []
  if (!existsSync(db) && existsSync(`${db}-wal`)) {
    problems.push(`${db} is missing but its write-ahead log ${db}-wal is there: the checkpoint file was deleted or moved (the WAL alone is useless, and starting empty would drop acknowledged batches)`)
  }
  const kind = (path: string): 'file' | 'directory' | 'other' | null => {
    try {
      const st = statSync(path)
      return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other'
    } catch {
      return null
    }
  }
  const dbKind = kind(db)
  if (dbKind !== null && dbKind !== 'file') problems.push(`${db} is a ${dbKind === 'other' ? 'special file' : dbKind}, not a file: the checkpoint is a SQLite database file (moved there by mistake? nothing can open this directory until it is a file or gone)`)
  const logKind = kind(join(dir, 'log'))
  if (logKind !== null && logKind !== 'directory') problems.push(`${join(dir, 'log')} is a ${logKind === 'other' ? 'special file' : logKind}, not a directory: the batch log's segment files live in it (nothing can open this directory until it is a directory or gone)`)
  return problems
}

/** Module rows: every one's bytes hash to its name, and every function's module is there. */
export function moduleProblems(file: string, catalog: CatalogData, modules: ReadonlyMap<string, Uint8Array>): string[] {
  const problems: string[] = []
  for (const [hash, bytes] of modules) {
    const actual = createHash('sha256').update(bytes).digest('hex')
    if (actual !== hash) problems.push(`${file}: module ${hash} in _acheron_modules holds bytes whose SHA-256 is ${actual} (the module was altered)`)
  }
  for (const f of catalog.functions) {
    if (!modules.has(f.moduleHash)) problems.push(`${file}: function ${f.name} runs module ${f.moduleHash}, which _acheron_modules does not hold (the row was deleted)`)
  }
  return problems
}

/** The catalog against the SQLite tables: every partition table is there with the declared columns, and nothing else claims to be one. */
export function catalogTableProblems(db: Database.Database, file: string, catalog: CatalogData): string[] {
  const problems: string[] = []
  const present = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]))
  const expected = new Set<string>()
  for (const t of catalog.tables) {
    for (let p = 0; p < t.partitions; p++) {
      const name = partitionTableName(t, p)
      expected.add(name)
      if (!present.has(name)) { problems.push(`${file}: table ${t.name} has no SQLite table ${name} for its partition ${p}`); continue }
      const cols = (db.prepare(`PRAGMA table_info(${quoteIdent(name)})`).all() as { name: string }[]).map((c) => c.name.toLowerCase())
      const want = t.columns.map((c) => c.name.toLowerCase())
      if (cols.join(',') !== want.join(',')) problems.push(`${file}: SQLite table ${name} has columns (${cols.join(', ')}), the catalog declares (${want.join(', ')})`)
    }
  }
  for (const name of present) {
    if (/\$p\d+$/.test(name) && !expected.has(name)) problems.push(`${file}: SQLite table ${name} belongs to no table of the catalog`)
  }
  return problems
}

/** SQLite's storage classes a column of each type may hold (NULL aside). */
const STORAGE_CLASSES: Record<ColumnType, readonly string[]> = {
  INTEGER: ['integer'], BOOLEAN: ['integer'], REAL: ['real'], TEXT: ['text'], BLOB: ['blob'],
}

/** Problems found per table beyond which the rest are only counted. */
const ROW_PROBLEMS_LISTED_MAX = 10

/**
 * The full check of every row (acheron verify): each value's storage class against its column's type
 * (NULL only where allowed), and each key in the partition it hashes to.
 */
export function rowProblems(db: Database.Database, file: string, table: TableDef): { problems: string[]; rows: number } {
  const problems: string[] = []
  let rows = 0
  let unlisted = 0
  const note = (m: string) => { if (problems.length < ROW_PROBLEMS_LISTED_MAX) problems.push(m); else unlisted++ }
  for (let p = 0; p < table.partitions; p++) {
    const name = partitionTableName(table, p)
    const types = table.columns.map((c) => `typeof(${quoteIdent(c.name)})`).join(', ')
    const stmt = db.prepare(`SELECT ${keyColumnSql(table)}, ${types} FROM ${quoteIdent(name)}`).raw(true).safeIntegers(true)
    for (const r of stmt.iterate() as Iterable<[SqlValue, ...string[]]>) {
      rows++
      const key = r[0]
      table.columns.forEach((c, i) => {
        const cls = r[i + 1] as string
        if (cls === 'null' ? (c.notNull || i === table.keyIndex) : !(STORAGE_CLASSES[c.type]).includes(cls)) {
          note(`${file}: ${name} row ${String(key)}: column ${c.name} (${c.type}${c.notNull ? ' NOT NULL' : ''}) holds a ${cls.toUpperCase()} value`)
        }
      })
      if ((typeof key === 'bigint' || typeof key === 'string') && partitionOf(table, key) !== p) {
        note(`${file}: ${name} row ${String(key)} belongs to partition ${partitionOf(table, key)}, not ${p}`)
      }
    }
  }
  if (unlisted > 0) problems.push(`${file}: table ${table.name}: ${unlisted} more row problems`)
  return { problems, rows }
}
