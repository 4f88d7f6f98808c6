import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { invariant } from '../errors.js'
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { RowWrite } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'
import { compareKeys, partitionOf } from '../schema/keys.js'
import type { BatchCommit, PartitionStore, ReaderSpec, SnapshotReader, StoredState, SyncMode } from './partition-store.js'
import { SqliteSnapshotReader } from './sqlite-reader.js'
import {
  DATABASE_FILE, PerPartition, bindable, STORAGE_FORMAT, columnListSql, createPendingTableSql, createScanViewSql, pendingTableSql, scanSourceSql, createPartitionTableSql, keyColumnSql, partitionTableName, quoteIdent,
} from './sqlite-schema.js'
import { catalogFromJson, catalogToJson } from './value-codec.js'

interface PartitionWriters {
  readonly upsert: Database.Statement
  readonly delete: Database.Statement
  readonly hasBlob: boolean
}

/** Prepared query statements kept by text; beyond this many the cache starts over. */
const QUERY_STATEMENTS_MAX = 256

const SYNCHRONOUS: Record<SyncMode, string> = { full: 'FULL', normal: 'NORMAL', off: 'OFF' }


/**
 * All partitions of a node in one SQLite file (WAL): one SQLite table per (table, partition), the
 * catalog and the batch position beside them. A batch is one SQLite transaction, so it is atomic
 * across partitions and costs one fsync with `sync: 'full'` (measured in docs/benchmarks.md against a
 * file per partition, which would need a log of its own for atomicity and one fsync per file).
 */
export class SqlitePartitionStore implements PartitionStore {
  readonly file: string
  private readonly db: Database.Database
  private readonly writers = new PerPartition<PartitionWriters>()
  private tables = new Map<string, TableDef>()
  private readonly commitTxn: (c: BatchCommit) => void
  /** The table definition each TEMP scan view was made for (views are per connection, made on first query). */
  private readonly scanViews = new Map<string, TableDef>()
  private readonly queries = new Map<string, Database.Statement>()

  /**
   * `storageBytesMax` caps the database file: a batch that would grow it beyond fails whole
   * (SQLITE_FULL) and nothing of it becomes visible, as on a full disk.
   */
  constructor(dir: string, sync: SyncMode, storageBytesMax?: number) {
    mkdirSync(dir, { recursive: true })
    this.file = join(dir, DATABASE_FILE)
    this.db = new Database(this.file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${SYNCHRONOUS[sync]}`)
    if (storageBytesMax !== undefined) {
      const pageBytes = Number(this.db.pragma('page_size', { simple: true }))
      this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(storageBytesMax / pageBytes))}`)
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS _acheron_meta (k TEXT PRIMARY KEY, v ANY) STRICT, WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS _acheron_modules (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL) STRICT, WITHOUT ROWID;
    `)
    const format = this.meta('format')
    if (format === undefined) this.setMeta('format', BigInt(STORAGE_FORMAT))
    else invariant(Number(format) === STORAGE_FORMAT, `storage format ${String(format)} is not ${STORAGE_FORMAT}`)
    this.commitTxn = this.db.transaction(this.applyBatch)
  }

  private meta(k: string): SqlValue | undefined {
    const row = this.db.prepare('SELECT v FROM _acheron_meta WHERE k = ?').raw(true).safeIntegers(true).get(k) as [SqlValue] | undefined
    return row?.[0]
  }

  private setMeta(k: string, v: SqlValue): void {
    this.db.prepare('INSERT INTO _acheron_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, bindable(v))
  }

  load(): StoredState {
    const text = this.meta('catalog')
    const catalog: CatalogData = typeof text === 'string' ? catalogFromJson<CatalogData>(text) : { version: 0, tables: [], functions: [] }
    this.useCatalog(catalog)
    const modules = new Map<string, Uint8Array>()
    for (const [hash, bytes] of this.db.prepare('SELECT hash, bytes FROM _acheron_modules').raw(true).all() as [string, Buffer][]) {
      modules.set(hash, new Uint8Array(bytes))
    }
    return {
      catalog,
      modules,
      lastBatch: Number(this.meta('last_batch') ?? 0n),
      nextTxnId: Number(this.meta('next_txn_id') ?? 1n),
    }
  }

  private useCatalog(catalog: CatalogData): void {
    this.tables = new Map(catalog.tables.map((t) => [t.name.toLowerCase(), t]))
    this.writers.clear()
  }

  /** The upsert and delete statements of one partition table, prepared once per table definition. */
  private writeStatements(table: TableDef, p: number): PartitionWriters {
    return this.writers.get(table, p, () => {
      const name = quoteIdent(partitionTableName(table, p))
      const key = keyColumnSql(table)
      const marks = table.columns.map(() => '?').join(', ')
      const others = table.columns.filter((_, i) => i !== table.keyIndex).map((c) => `${quoteIdent(c.name)} = excluded.${quoteIdent(c.name)}`)
      // An upsert updates in place; INSERT OR REPLACE would delete and insert again.
      const onConflict = others.length > 0 ? `ON CONFLICT (${key}) DO UPDATE SET ${others.join(', ')}` : `ON CONFLICT (${key}) DO NOTHING`
      return {
        upsert: this.db.prepare(`INSERT INTO ${name} (${columnListSql(table)}) VALUES (${marks}) ${onConflict}`),
        delete: this.db.prepare(`DELETE FROM ${name} WHERE ${key} = ?`),
        hasBlob: table.columns.some((c) => c.type === 'BLOB'),
      }
    })
  }

  private readonly applyBatch = (c: BatchCommit): void => {
    const last = Number(this.meta('last_batch') ?? 0n)
    invariant(c.batch === last + 1, `batch ${c.batch} follows batch ${last}`)
    for (const t of c.droppedTables ?? []) {
      for (let p = 0; p < t.partitions; p++) this.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(partitionTableName(t, p))}`)
    }
    for (const t of c.createdTables ?? []) {
      for (let p = 0; p < t.partitions; p++) this.db.exec(createPartitionTableSql(t, p))
    }
    const addModule = this.db.prepare('INSERT OR IGNORE INTO _acheron_modules (hash, bytes) VALUES (?, ?)')
    for (const [hash, bytes] of c.addedModules ?? []) addModule.run(hash, bindable(bytes))
    if (c.catalog !== undefined) this.setMeta('catalog', catalogToJson(c.catalog))
    for (const w of c.writes) {
      const table = this.tables.get(w.table)
      invariant(table !== undefined, `write to unknown table ${w.table}`)
      const stmts = this.writeStatements(table, partitionOf(table, w.key))
      if (w.row === null) stmts.delete.run(w.key)
      else stmts.upsert.run(stmts.hasBlob ? w.row.map(bindable) : w.row)
    }
    this.setMeta('last_batch', BigInt(c.batch))
    this.setMeta('next_txn_id', BigInt(c.nextTxnId))
  }

  commitBatch(commit: BatchCommit): void {
    this.commitTxn(commit)
    // Only once the batch is committed: a rolled-back DDL batch leaves the old definitions in use.
    if (commit.catalog !== undefined) this.useCatalog(commit.catalog)
  }

  query(table: TableDef, sql: string, values: readonly SqlValue[], pending: readonly RowWrite[] = []): SqlValue[][] {
    if (this.scanViews.get(table.name.toLowerCase()) !== table) {
      this.db.exec(`DROP VIEW IF EXISTS temp.${scanSourceSql(table)}`)
      this.db.exec(`DROP TABLE IF EXISTS ${pendingTableSql(table)}`)
      this.db.exec(createPendingTableSql(table))
      this.db.exec(createScanViewSql(table))
      this.scanViews.set(table.name.toLowerCase(), table)
    }
    if (pending.length === 0) return this.runQuery(sql, values)
    const insert = this.db.prepare(`INSERT OR REPLACE INTO ${pendingTableSql(table)} VALUES (${table.columns.map(() => '?').join(', ')}, ?)`)
    try {
      for (const w of pending) {
        if (w.row !== null) insert.run(...w.row.map(bindable), 0)
        else insert.run(...table.columns.map((_, i) => (i === table.keyIndex ? w.key : null)), 1)
      }
      return this.runQuery(sql, values)
    } finally {
      this.db.exec(`DELETE FROM ${pendingTableSql(table)}`)
    }
  }

  private runQuery(sql: string, values: readonly SqlValue[]): SqlValue[][] {
    let stmt = this.queries.get(sql)
    if (stmt === undefined) {
      stmt = this.db.prepare(sql).raw(true).safeIntegers(true)
      if (this.queries.size >= QUERY_STATEMENTS_MAX) this.queries.clear()
      this.queries.set(sql, stmt)
    }
    const rows = stmt.all(...values.map(bindable)) as SqlValue[][]
    for (const r of rows) for (let i = 0; i < r.length; i++) if (Buffer.isBuffer(r[i])) r[i] = new Uint8Array(r[i] as Buffer)
    return rows
  }

  reader(): SnapshotReader {
    return new SqliteSnapshotReader(this.file)
  }

  readerSpec(): ReaderSpec {
    return { kind: 'sqlite', file: this.file }
  }

  scanTable(table: TableDef): Row[] {
    const rows: Row[] = []
    for (let p = 0; p < table.partitions; p++) {
      const sql = `SELECT ${columnListSql(table)} FROM ${quoteIdent(partitionTableName(table, p))}`
      for (const r of this.db.prepare(sql).raw(true).safeIntegers(true).iterate() as Iterable<SqlValue[]>) {
        rows.push(r.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)))
      }
    }
    return rows.sort((a, b) => compareKeys(a[table.keyIndex] as SqlValue, b[table.keyIndex] as SqlValue))
  }

  close(): void {
    this.db.close()
  }
}
