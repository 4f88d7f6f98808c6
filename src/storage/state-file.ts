/**
 * The SQLite file that holds a node's checkpointed state: one SQLite table per (table, partition), the
 * catalog, module bytes and the position of the checkpoint (`_acheron_meta.last_batch`). It is written
 * by one owner (the state thread, or the coordinator in memory mode), off the critical path: released
 * batches arrive in order and wait in memory, the last image of each row winning; a flush writes them
 * into an open SQLite transaction; a checkpoint commits it. The batch log carries durability, so the
 * file runs with `synchronous = NORMAL`; a checkpoint counts as durable once the WAL has been synced.
 *
 * Queries, scans and digests run on the same connection after a flush, so they see exactly the state
 * after the last applied batch.
 */
import Database from 'better-sqlite3'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { fsyncPath } from '../log/fsync-path.js'
import { dieNow, NO_CRASH_POINTS, type CrashPoints } from '../crash-points.js'
import { AcheronError, invariant } from '../errors.js'
import type { SyncMode } from '../log/batch-log.js'
import { indexesOf, withColumnRenamed, type CatalogData, type IndexDef, type TableDef } from '../schema/catalog.js'
import type { ModuleShipped } from '../schema/function-runtime.js'
import { compareKeys, partitionOf, partitionOfKey, type RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'
import { QUERY_ROWS_EXAMINED_MAX, ROWS_EXAMINED_FUNCTION, DATABASE_FILE, LAYOUT_META_KEY, PerPartition, bindable, layoutToJson, STORAGE_FORMAT, columnListSql, createPendingTableSql, createScanViewSql, pendingTableSql, scanSourceSql, columnSql, createPartitionTableSql, createPartitionIndexSql, dropPartitionIndexSql, keyColumnSql, partitionTableName, quoteIdent } from './sqlite-schema.js'
import { catalogFromJson, catalogToJson } from './value-codec.js'
import { defineClockFunctions } from './sql-clock.js'
import { defineGuardFunctions } from './sql-guards.js'
import { readOnlyLook } from './read-only-open.js'
import { catalogTableProblems, DataDirDamagedError, formatProblem, moduleProblems, StorageFormatError } from './damage.js'

export { DATABASE_FILE }

/** What a checkpoint holds about itself, read at open. */
export interface StoredState {
  readonly catalog: CatalogData
  readonly modules: ReadonlyMap<string, Uint8Array>
  /** The last batch the checkpoint holds; 0 for a new file. */
  readonly lastBatch: number
  /** The id the transaction after that batch gets. */
  readonly nextTxnId: number
  /** How many transactions that batch held (reads after it are numbered from there). */
  readonly lastBatchTxns: number
  /** That batch's time or later (ReleasedEffects.timeMs); 0 for a file written before batches had one. */
  readonly lastBatchTimeMs: number
}

/** A catalog change made by a DDL batch, applied to the file in order with the row writes. */
export interface CatalogChange {
  readonly catalog: CatalogData
  readonly createdTables?: readonly TableDef[]
  readonly droppedTables?: readonly TableDef[]
  /** Tables whose rows move to a new number of partitions (new definitions; the old one is the applied catalog's). */
  readonly repartitionedTables?: readonly TableDef[]
  /** With, where the coordinator had one, the compiled form the state thread's runtime adopts (ModuleShipped). */
  readonly addedModules?: readonly ModuleShipped[]
  /** Modules no function runs any more (collected at the DDL's position). */
  readonly removedModules?: readonly string[]
}

/** One released batch's effects. */
export interface ReleasedEffects {
  readonly batch: number
  readonly nextTxnId: number
  readonly txnCount: number
  /**
   * The batch's time or a later one (the last the sequencer stamped): kept with the checkpoint, so that
   * batch times do not go backwards after a restart whose log holds no batch (src/txn/batch-time.ts).
   */
  readonly timeMs: number
  readonly writes: readonly RowWrite[]
  readonly change?: CatalogChange
}

/** Reads the applied state on one thread; `position` is the last batch its reads reflect. */
export interface BaseSnapshot {
  begin(catalog: CatalogData): void
  read(table: TableDef, key: bigint | string, rowKey: RowKey): Row | undefined
  end(): void
  close(): void
  readonly position: number
}

interface PartitionWriters {
  readonly upsert: Database.Statement
  readonly delete: Database.Statement
  readonly hasBlob: boolean
}

/** Effects waiting for a flush, in order: runs of row writes (last image wins) between catalog changes. */
type Pending =
  | { readonly kind: 'rows'; readonly rows: Map<RowKey, RowWrite>; lastBatch: number; nextTxnId: number; txnCount: number; timeMs: number }
  | { readonly kind: 'change'; readonly batch: number; readonly nextTxnId: number; readonly txnCount: number; readonly timeMs: number; readonly change: CatalogChange }

const SYNCHRONOUS: Record<SyncMode, string> = { full: 'NORMAL', normal: 'NORMAL', off: 'OFF' }
/** Prepared query statements kept by text; beyond this many the cache starts over. */
const QUERY_STATEMENTS_MAX = 256
/** Rows a repartition reads at a time from one old partition table. */
const REPARTITION_PAGE_ROWS = 4096
/** SQLite's page cache for the writer: a checkpoint's dirty pages stay in memory until it commits. */
const WRITER_CACHE_KIB = 64 * 1024

export interface StateFileOptions {
  /** Caps the database file: a checkpoint that would grow it beyond fails (SQLITE_FULL) and is retried later. */
  readonly storageBytesMax?: number
  readonly crash?: CrashPoints
  /**
   * A deliberate bug for the research harness (`checkpoint-first-image`): a checkpoint keeps the first
   * image a row had since the last one instead of the last, so it writes row images out of order.
   */
  readonly firstImageWins?: boolean
  /** Whether close() checkpoints what is applied and not committed (default true). */
  readonly checkpointAtClose?: boolean
  /**
   * For ':memory:' only: start from this image of a state file (Database.serialize()) instead of empty.
   * EXPLAIN COMMIT's engine starts from the checkpoint this way (src/inspect/commit-trace-thread.ts).
   */
  readonly image?: Buffer
}

export class SqliteStateFile {
  readonly file: string
  private readonly db: Database.Database
  private readonly writers = new PerPartition<PartitionWriters>()
  private tables = new Map<string, TableDef>()
  private catalog: CatalogData = { version: 0, tables: [], functions: [] }
  /** Effects applied since the last commit: flushed ones stay until it succeeds, to be flushed again after a failure. */
  private readonly uncommitted: Pending[] = []
  private flushedUpTo = 0
  private txnOpen = false
  private readonly scanViews = new Map<string, TableDef>()
  private readonly queries = new Map<string, Database.Statement>()
  private readonly crash: CrashPoints
  private readonly firstImageWins: boolean
  /** Last batch applied (flushed or not), flushed into the open transaction, and committed. */
  appliedBatch = 0
  flushedBatch = 0
  checkpointBatch = 0
  private appliedNextTxnId = 1
  /** Row writes waiting for a commit (an upper bound of the rows that differ from the checkpoint). */
  uncommittedWrites = 0

  /** The time the clocks of a query read (src/schema/clock.ts): its transaction's batch's, or a read's time. */
  clockMs = 0
  /** Rows the running query examined, n for a combination of n tables' rows (ROWS_EXAMINED_FUNCTION). */
  private rowsExamined = 0

  constructor(file: string, private readonly sync: SyncMode, private readonly options: StateFileOptions = {}) {
    this.file = file
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.crash = options.crash ?? NO_CRASH_POINTS
    this.firstImageWins = options.firstImageWins === true
    this.db = file === ':memory:' && options.image !== undefined ? new Database(options.image) : new Database(file)
    if (file !== ':memory:') this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${SYNCHRONOUS[sync]}`)
    this.db.pragma(`cache_size = -${WRITER_CACHE_KIB}`)
    if (options.storageBytesMax !== undefined) {
      const pageBytes = Number(this.db.pragma('page_size', { simple: true }))
      this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.storageBytesMax / pageBytes))}`)
    }
    defineClockFunctions(this.db, () => this.clockMs)
    defineGuardFunctions(this.db)
    // A combination of n tables' rows counts n: its call passes a column of each, and costs in proportion
    // (counted once a combination, a cross join of 60 small tables held the thread for 28 s, not ~1).
    this.db.function(ROWS_EXAMINED_FUNCTION, { deterministic: false, varargs: true }, (...columns: unknown[]) => {
      this.rowsExamined += Math.max(1, columns.length)
      if (this.rowsExamined > QUERY_ROWS_EXAMINED_MAX) {
        throw new AcheronError('PAYLOAD_TOO_LARGE', `the query examined more than ${QUERY_ROWS_EXAMINED_MAX} rows (QUERY_ROWS_EXAMINED_MAX; a combination of n tables' rows counts n) and was stopped: give each JOIN a condition on a key, narrow it with a WHERE, or end a WITH RECURSIVE query's recursion with one`)
      }
      return 1
    })
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS _acheron_meta (k TEXT PRIMARY KEY, v ANY) STRICT, WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS _acheron_modules (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL) STRICT, WITHOUT ROWID;
    `)
    const format = this.meta('format')
    if (format === undefined) this.setMeta('format', BigInt(STORAGE_FORMAT))
    else if (Number(format) > STORAGE_FORMAT) throw new StorageFormatError(file, format)
    else if (Number(format) !== STORAGE_FORMAT) throw new DataDirDamagedError([formatProblem(file, format)], dirname(file))
  }

  private meta(k: string): SqlValue | undefined {
    const row = this.db.prepare('SELECT v FROM _acheron_meta WHERE k = ?').raw(true).safeIntegers(true).get(k) as [SqlValue] | undefined
    return row?.[0]
  }

  private setMeta(k: string, v: SqlValue): void {
    this.db.prepare('INSERT INTO _acheron_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, bindable(v))
  }

  /**
   * Reads the checkpoint, after the cheap checks of its consistency (module hashes, every function's
   * module, the catalog against the SQLite tables): damage stops the open (DataDirDamagedError).
   */
  load(): StoredState {
    const text = this.meta('catalog')
    let catalog: CatalogData
    try {
      catalog = typeof text === 'string' ? catalogFromJson<CatalogData>(text) : { version: 0, tables: [], functions: [] }
    } catch (err) {
      throw new DataDirDamagedError([`${this.file}: the catalog in _acheron_meta cannot be read (${err instanceof Error ? err.message : String(err)})`], dirname(this.file))
    }
    this.useCatalog(catalog)
    const modules = new Map<string, Uint8Array>()
    for (const [hash, bytes] of this.db.prepare('SELECT hash, bytes FROM _acheron_modules').raw(true).all() as [string, Buffer][]) {
      modules.set(hash, new Uint8Array(bytes))
    }
    const problems = [...moduleProblems(this.file, catalog, modules), ...catalogTableProblems(this.db, this.file, catalog)]
    if (problems.length > 0) throw new DataDirDamagedError(problems, dirname(this.file))
    // A checkpoint from before the layout key: its layout is its catalog's. Written now, before any
    // thread reads it, so that an ALTER the checkpoint has not reached never sends them to the new one.
    if (this.meta(LAYOUT_META_KEY) === undefined && catalog.tables.length > 0) this.setMeta(LAYOUT_META_KEY, layoutToJson(catalog))
    const lastBatch = Number(this.meta('last_batch') ?? 0n)
    this.appliedBatch = this.flushedBatch = this.checkpointBatch = lastBatch
    this.appliedNextTxnId = Number(this.meta('next_txn_id') ?? 1n)
    return {
      catalog, modules, lastBatch, nextTxnId: this.appliedNextTxnId, lastBatchTxns: Number(this.meta('last_batch_txns') ?? 0n),
      lastBatchTimeMs: Number(this.meta('last_batch_time_ms') ?? 0n),
    }
  }

  private useCatalog(catalog: CatalogData): void {
    this.catalog = catalog
    this.tables = new Map(catalog.tables.map((t) => [t.name.toLowerCase(), t]))
    this.writers.clear()
  }

  /** The catalog as of the last flush. */
  get flushedCatalog(): CatalogData {
    return this.catalog
  }

  /** Takes a released batch's effects (in batch order); they reach SQLite at the next flush. */
  apply(e: ReleasedEffects): void {
    invariant(e.batch > this.appliedBatch, `batch ${e.batch} applied after batch ${this.appliedBatch}`)
    this.appliedBatch = e.batch
    this.appliedNextTxnId = e.nextTxnId
    if (e.change !== undefined) {
      this.uncommitted.push({ kind: 'change', batch: e.batch, nextTxnId: e.nextTxnId, txnCount: e.txnCount, timeMs: e.timeMs, change: e.change })
    }
    let last = this.uncommitted[this.uncommitted.length - 1]
    if (last === undefined || last.kind !== 'rows' || this.uncommitted.length <= this.flushedUpTo) {
      last = { kind: 'rows', rows: new Map(), lastBatch: e.batch, nextTxnId: e.nextTxnId, txnCount: e.txnCount, timeMs: e.timeMs }
      this.uncommitted.push(last)
    }
    const rows = last.rows
    if (this.firstImageWins) { for (const w of e.writes) if (!rows.has(w.rowKey)) rows.set(w.rowKey, w) }
    else for (const w of e.writes) rows.set(w.rowKey, w)
    last.lastBatch = e.batch
    last.nextTxnId = e.nextTxnId
    last.txnCount = e.txnCount
    last.timeMs = e.timeMs
    this.uncommittedWrites += e.writes.length
  }

  /**
   * Writes every applied effect into the open SQLite transaction (opening one if needed). If SQLite
   * refuses (a full disk), the transaction is rolled back and every effect since the last checkpoint
   * waits to be written again; the error goes to the caller.
   */
  flush(): void {
    if (this.flushedUpTo === this.uncommitted.length) return
    try {
      this.flushPending()
    } catch (err) {
      this.rollback()
      throw err
    }
  }

  private flushPending(): void {
    if (!this.txnOpen) {
      this.db.exec('BEGIN')
      this.txnOpen = true
    }
    for (; this.flushedUpTo < this.uncommitted.length; this.flushedUpTo++) {
      const p = this.uncommitted[this.flushedUpTo] as Pending
      if (p.kind === 'change') this.applyChange(p.change)
      else this.applyRows(p.rows)
      this.flushedBatch = p.kind === 'rows' ? p.lastBatch : p.batch
      this.setMeta('last_batch', BigInt(this.flushedBatch))
      this.setMeta('next_txn_id', BigInt(p.nextTxnId))
      this.setMeta('last_batch_txns', BigInt(p.txnCount))
      this.setMeta('last_batch_time_ms', BigInt(p.timeMs))
    }
  }

  private applyChange(c: CatalogChange): void {
    for (const t of c.droppedTables ?? []) {
      for (let p = 0; p < t.partitions; p++) this.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(partitionTableName(t, p))}`)
      this.dropScanView(t)
    }
    for (const t of c.createdTables ?? []) {
      for (let p = 0; p < t.partitions; p++) this.db.exec(createPartitionTableSql(t, p))
      this.createIndexes(t, indexesOf(t))
    }
    for (const t of c.repartitionedTables ?? []) {
      const before = this.tables.get(t.name.toLowerCase())
      invariant(before !== undefined, `repartition of unknown table ${t.name}`)
      this.repartition(before, t)
    }
    const rebuilt = new Set([...(c.createdTables ?? []), ...(c.repartitionedTables ?? [])].map((t) => t.name.toLowerCase()))
    for (const t of c.catalog.tables) {
      const before = this.tables.get(t.name.toLowerCase())
      if (before === undefined || rebuilt.has(t.name.toLowerCase())) continue
      this.addColumns(before, t)
      this.reconcileIndexes(this.renameColumns(before, t), t)
    }
    const addModule = this.db.prepare('INSERT OR IGNORE INTO _acheron_modules (hash, bytes) VALUES (?, ?)')
    for (const [hash, bytes] of c.addedModules ?? []) addModule.run(hash, bindable(bytes))
    const removeModule = this.db.prepare('DELETE FROM _acheron_modules WHERE hash = ?')
    for (const hash of c.removedModules ?? []) removeModule.run(hash)
    this.setMeta('catalog', catalogToJson(c.catalog))
    this.setMeta(LAYOUT_META_KEY, layoutToJson(c.catalog))
    this.useCatalog(c.catalog)
  }

  /**
   * ALTER TABLE … ADD COLUMN at the checkpoint: the columns `after` has beyond `before`'s, appended to
   * every partition table with their default (SQLite changes only the schema; rows read the default).
   */
  private addColumns(before: TableDef, after: TableDef): void {
    for (const c of after.columns.slice(before.columns.length)) {
      for (let p = 0; p < after.partitions; p++) this.db.exec(`ALTER TABLE ${quoteIdent(partitionTableName(after, p))} ADD COLUMN ${columnSql(c, false)}`)
    }
  }

  /**
   * ALTER TABLE … RENAME COLUMN at the checkpoint: a column `after` names differently at the same place
   * is renamed in every partition table (SQLite renames it in their indexes too). Returns `before` with
   * the new names, indexes included, which is what the file now holds.
   */
  private renameColumns(before: TableDef, after: TableDef): TableDef {
    let renamed = before
    before.columns.forEach((c, i) => {
      const now = after.columns[i]
      if (now === undefined || now.name === c.name) return
      // The scan view names the old columns: it is made again at the next query.
      this.dropScanView(before)
      for (let p = 0; p < before.partitions; p++) this.db.exec(`ALTER TABLE ${quoteIdent(partitionTableName(before, p))} RENAME COLUMN ${quoteIdent(c.name)} TO ${quoteIdent(now.name)}`)
      renamed = withColumnRenamed(renamed, c.name, now.name)
    })
    return renamed
  }

  /** CREATE INDEX / DROP INDEX at the checkpoint: the indexes `before` has and `after` has not go, the new ones are built. */
  private reconcileIndexes(before: TableDef, after: TableDef): void {
    const same = (a: IndexDef, b: IndexDef) => a.name.toLowerCase() === b.name.toLowerCase() && JSON.stringify(a.columns) === JSON.stringify(b.columns)
    const gone = indexesOf(before).filter((i) => !indexesOf(after).some((j) => same(i, j)))
    const added = indexesOf(after).filter((i) => !indexesOf(before).some((j) => same(i, j)))
    for (const index of gone) for (let p = 0; p < before.partitions; p++) this.db.exec(dropPartitionIndexSql(index, p))
    this.createIndexes(after, added)
  }

  private createIndexes(table: TableDef, indexes: readonly IndexDef[]): void {
    for (const index of indexes) for (let p = 0; p < table.partitions; p++) this.db.exec(createPartitionIndexSql(table, index, p))
  }

  /**
   * ALTER TABLE … PARTITIONS at the checkpoint: every row of `before`'s partition tables moves to the
   * partition `after` gives its key, in the open SQLite transaction (so the checkpoint holds the old
   * layout or the new one, never part of each). Reads one page of REPARTITION_PAGE_ROWS at a time.
   */
  private repartition(before: TableDef, after: TableDef): void {
    this.dropScanView(before, true)
    // The indexes go with the old tables (their names would collide with the new ones') and are built
    // again once the rows have moved, which is faster than keeping them up to date row by row.
    for (const index of indexesOf(before)) for (let p = 0; p < before.partitions; p++) this.db.exec(dropPartitionIndexSql(index, p))
    const moving = Array.from({ length: before.partitions }, (_, p) => `${partitionTableName(before, p)}$moving`)
    moving.forEach((m, p) => this.db.exec(`ALTER TABLE ${quoteIdent(partitionTableName(before, p))} RENAME TO ${quoteIdent(m)}`))
    for (let p = 0; p < after.partitions; p++) this.db.exec(createPartitionTableSql(after, p))
    const marks = after.columns.map(() => '?').join(', ')
    const inserts = Array.from({ length: after.partitions }, (_, p) =>
      this.db.prepare(`INSERT INTO ${quoteIdent(partitionTableName(after, p))} (${columnListSql(after)}) VALUES (${marks})`))
    const key = keyColumnSql(before)
    for (const m of moving) {
      const first = this.db.prepare(`SELECT ${columnListSql(before)} FROM ${quoteIdent(m)} ORDER BY ${key} LIMIT ${REPARTITION_PAGE_ROWS}`).raw(true).safeIntegers(true)
      const next = this.db.prepare(`SELECT ${columnListSql(before)} FROM ${quoteIdent(m)} WHERE ${key} > ? ORDER BY ${key} LIMIT ${REPARTITION_PAGE_ROWS}`).raw(true).safeIntegers(true)
      for (let page = first.all() as SqlValue[][]; page.length > 0;) {
        for (const row of page) (inserts[partitionOfKey(row[after.keyIndex] as SqlValue, after.partitions)] as Database.Statement).run(row)
        if (page.length < REPARTITION_PAGE_ROWS) break
        page = next.all((page[page.length - 1] as SqlValue[])[before.keyIndex]) as SqlValue[][]
      }
      this.db.exec(`DROP TABLE ${quoteIdent(m)}`)
    }
    this.createIndexes(after, indexesOf(after))
  }

  private applyRows(rows: ReadonlyMap<RowKey, RowWrite>): void {
    let i = 0
    const crashAt = this.crash.reached('checkpoint') ? Math.floor(rows.size / 2) : -1
    for (const w of rows.values()) {
      if (i++ === crashAt) dieNow()
      const table = this.tables.get(w.table)
      invariant(table !== undefined, `write to unknown table ${w.table}`)
      const stmts = this.writeStatements(table, partitionOf(table, w.key))
      if (w.row === null) stmts.delete.run(w.key)
      else stmts.upsert.run(stmts.hasBlob ? w.row.map(bindable) : w.row)
    }
    if (crashAt === 0 || (crashAt >= 0 && rows.size === 0)) dieNow()
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

  /**
   * Commits everything applied: a checkpoint holding every batch up to `appliedBatch`. With `durable`,
   * also syncs the WAL, after which the checkpoint survives a power loss and the log before it may go.
   * On failure (a full disk), nothing is committed and the effects stay to be tried again.
   */
  checkpoint(durable: boolean): number {
    try {
      this.flushPending()
      if (this.txnOpen) {
        this.db.exec('COMMIT')
        this.txnOpen = false
      }
    } catch (err) {
      this.rollback()
      throw err
    }
    this.uncommitted.length = 0
    this.flushedUpTo = 0
    this.uncommittedWrites = 0
    this.checkpointBatch = this.flushedBatch
    if (durable && this.sync !== 'off' && this.file !== ':memory:') this.db.pragma('wal_checkpoint(PASSIVE)')
    return this.checkpointBatch
  }

  /** Abandons the open transaction; every applied effect will be flushed again. */
  private rollback(): void {
    if (this.txnOpen && this.db.inTransaction) this.db.exec('ROLLBACK')
    this.txnOpen = false
    this.flushedUpTo = 0
    this.flushedBatch = this.checkpointBatch
    this.scanViews.clear()
    const text = this.meta('catalog')
    this.useCatalog(typeof text === 'string' ? catalogFromJson<CatalogData>(text) : { version: 0, tables: [], functions: [] })
  }

  /**
   * Runs a query over the applied state of `tables`; `pending[i]` (a transaction's own rows of
   * `tables[i]`) are laid over it.
   */
  query(tables: readonly TableDef[], sql: string, values: readonly SqlValue[], pending: readonly (readonly RowWrite[])[] = [], resultBytesMax = Infinity): SqlValue[][] {
    this.flush()
    for (const table of tables) {
      if (this.scanViews.get(table.name.toLowerCase()) === table) continue
      this.db.exec(`DROP VIEW IF EXISTS temp.${scanSourceSql(table)}`)
      this.db.exec(`DROP TABLE IF EXISTS ${pendingTableSql(table)}`)
      this.db.exec(createPendingTableSql(table))
      this.db.exec(createScanViewSql(table))
      this.scanViews.set(table.name.toLowerCase(), table)
    }
    const laid = tables.filter((_, i) => (pending[i]?.length ?? 0) > 0)
    if (laid.length === 0) return this.runQuery(sql, values, resultBytesMax)
    try {
      tables.forEach((table, i) => {
        const rows = pending[i] ?? []
        if (rows.length === 0) return
        const insert = this.db.prepare(`INSERT OR REPLACE INTO ${pendingTableSql(table)} VALUES (${table.columns.map(() => '?').join(', ')}, ?)`)
        for (const w of rows) {
          if (w.row !== null) insert.run(...w.row.map(bindable), 0)
          else insert.run(...table.columns.map((_, c) => (c === table.keyIndex ? w.key : null)), 1)
        }
      })
      return this.runQuery(sql, values, resultBytesMax)
    } finally {
      for (const table of laid) this.db.exec(`DELETE FROM ${pendingTableSql(table)}`)
    }
  }

  /** Drops a table's scan view (made on first use); `always`: also when this connection does not know it made one. */
  private dropScanView(table: TableDef, always = false): void {
    const name = table.name.toLowerCase()
    if (!always && !this.scanViews.has(name)) return
    this.db.exec(`DROP VIEW IF EXISTS temp.${scanSourceSql(table)}`)
    this.db.exec(`DROP TABLE IF EXISTS ${pendingTableSql(table)}`)
    this.scanViews.delete(name)
  }

  /** Rows one at a time, stopping past `resultBytesMax` (estimated: text and blob bytes, 8 per other value). */
  private runQuery(sql: string, values: readonly SqlValue[], resultBytesMax: number): SqlValue[][] {
    this.rowsExamined = 0
    let stmt = this.queries.get(sql)
    if (stmt === undefined) {
      stmt = this.db.prepare(sql).raw(true).safeIntegers(true)
      if (this.queries.size >= QUERY_STATEMENTS_MAX) this.queries.clear()
      this.queries.set(sql, stmt)
    }
    const rows: SqlValue[][] = []
    let bytes = 0
    for (const r of stmt.iterate(...values.map(bindable)) as Iterable<SqlValue[]>) {
      for (let i = 0; i < r.length; i++) {
        const v = r[i]
        if (Buffer.isBuffer(v)) { r[i] = new Uint8Array(v); bytes += v.byteLength } else bytes += typeof v === 'string' ? v.length : 8
      }
      if (bytes > resultBytesMax) {
        throw new ResultTooLarge(`the query's result exceeds the bound on a read's result (${resultBytesMax} bytes; embedded, open()'s resultBytesMax) after ${rows.length} rows: select fewer columns, add a WHERE or a LIMIT`)
      }
      rows.push(r)
    }
    return rows
  }

  /** Every row of a table as of the applied state, sorted by key. */
  scanTable(asked: TableDef): Row[] {
    this.flush()
    const table = this.tables.get(asked.name.toLowerCase()) ?? asked
    const rows: Row[] = []
    for (let p = 0; p < table.partitions; p++) {
      const sql = `SELECT ${columnListSql(table)} FROM ${quoteIdent(partitionTableName(table, p))}`
      for (const r of this.db.prepare(sql).raw(true).safeIntegers(true).iterate() as Iterable<SqlValue[]>) {
        rows.push(r.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)))
      }
    }
    return rows.sort((a, b) => compareKeys(a[table.keyIndex] as SqlValue, b[table.keyIndex] as SqlValue))
  }

  /** Module bytes by hash (the modules of the applied catalog and any registered before). */
  modules(): Map<string, Uint8Array> {
    this.flush()
    const out = new Map<string, Uint8Array>()
    for (const [hash, bytes] of this.db.prepare('SELECT hash, bytes FROM _acheron_modules').raw(true).all() as [string, Buffer][]) out.set(hash, new Uint8Array(bytes))
    return out
  }

  /**
   * A reader on this connection (memory mode: the coordinator executes here). It reflects the flushed
   * state; `position` is the last flushed batch, and an overlay supplies anything newer.
   */
  reader(): BaseSnapshot {
    const statements = new PerPartition<Database.Statement>()
    let version = -1
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this
    return {
      begin(catalog: CatalogData) {
        if (catalog.version !== version) { statements.clear(); version = catalog.version }
      },
      read(asked: TableDef, key: bigint | string) {
        // The flushed layout, which an ALTER TABLE … PARTITIONS not yet flushed has not changed.
        const table = self.tables.get(asked.name.toLowerCase()) ?? asked
        const p = partitionOf(table, key)
        const stmt = statements.get(table, p, () => self.db
          .prepare(`SELECT ${columnListSql(table)} FROM ${quoteIdent(partitionTableName(table, p))} WHERE ${keyColumnSql(table)} = ?`)
          .raw(true).safeIntegers(true))
        const row = stmt.get(key) as SqlValue[] | undefined
        if (row !== undefined) for (let i = 0; i < row.length; i++) if (Buffer.isBuffer(row[i])) row[i] = new Uint8Array(row[i] as Buffer)
        return row
      },
      end() {},
      close() {},
      get position() { return self.flushedBatch },
    }
  }

  /**
   * Closes the file; returns why the checkpoint at close failed (a full disk), or null. A failure loses
   * nothing (the log holds every batch after the last checkpoint), but the next open replays them.
   */
  close(): string | null {
    let failed: string | null = null
    // Everything applied, written into SQLite by a query already or not (no query since the last
    // checkpoint leaves it all in memory): the next open then replays nothing.
    if (this.options.checkpointAtClose !== false && (this.uncommitted.length > 0 || (this.txnOpen && this.db.inTransaction))) {
      try {
        this.checkpoint(true)
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err)
        this.rollback()
      }
    }
    this.db.close()
    return failed
  }
}

export function databaseFile(dir: string): string {
  return `${dir}/${DATABASE_FILE}`
}

/**
 * Makes the durable copy `replacement` the checkpoint `file`, replacing whatever is there (a follower
 * taking the writer's snapshot). The old file's write-ahead log goes first, folded in by a clean close:
 * SQLite would apply a WAL left beside the new file to it, page by page, whatever file it came from. A
 * crash at any point leaves the old checkpoint whole or the new one, never a mix. Nothing may have
 * `file` open. (`keepOldWal`: the deliberate bug EngineFaults.snapshotKeepsOldWal.)
 */
export function replaceCheckpointFile(replacement: string, file: string, keepOldWal = false): void {
  if (existsSync(file) && !keepOldWal) {
    try {
      const old = new Database(file, { fileMustExist: true })
      old.pragma('wal_checkpoint(TRUNCATE)')
      old.close()
    } catch {
      // Unreadable: it is being replaced anyway. Its WAL goes, so that it cannot reach the new file.
    }
    rmSync(`${file}-wal`, { force: true })
    rmSync(`${file}-shm`, { force: true })
  }
  renameSync(replacement, file)
  fsyncPath(dirname(file))
}

/**
 * Refuses, before anything of the directory is changed (the log's open may cut a torn tail), a
 * checkpoint `file` that a newer acheron wrote: StorageFormatError. A file without the format yet (none,
 * or made and not written) passes; the store's open checks the rest.
 */
export function refuseNewerCheckpoint(file: string): void {
  if (!existsSync(file)) return
  unreadableAsDamage(file, () => readOnlyLook(file, (db) => {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_acheron_meta'").get() !== undefined
    const format = hasMeta ? db.prepare("SELECT v FROM _acheron_meta WHERE k = 'format'").pluck().safeIntegers(true).get() : undefined
    if (format !== undefined && format !== null && Number(format) > STORAGE_FORMAT) throw new StorageFormatError(file, format)
  }))
}

/**
 * Runs `read` on the checkpoint `file`; SQLite finding it no database or malformed (a damaged page of
 * its schema or catalog) is damage like any other: the open refuses it naming the file and what to do,
 * as `acheron verify` does. Before, the open failed with SQLite's bare "database disk image is
 * malformed", naming neither the file nor the way out.
 */
function unreadableAsDamage<T>(file: string, read: () => T): T {
  try {
    return read()
  } catch (err) {
    if (err instanceof Database.SqliteError && /^SQLITE_(CORRUPT|NOTADB)/.test(err.code)) {
      throw new DataDirDamagedError([`${file} cannot be read: ${err.message}`], dirname(file))
    }
    throw err
  }
}

/** The last batch the checkpoint `file` holds (0 for one that holds none), read before the store opens it. */
export function checkpointBatch(file: string): number {
  return unreadableAsDamage(file, () => readOnlyLook(file, lastBatchHeld))
}

/** The last batch the state file open as `db` holds (0 for one that holds none). */
export function lastBatchHeld(db: Database.Database): number {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_acheron_meta'").get() !== undefined
  if (!hasMeta) return 0
  const v = db.prepare("SELECT v FROM _acheron_meta WHERE k = 'last_batch'").pluck().get()
  return v === undefined || v === null ? 0 : Number(v)
}

/**
 * Rewrites the batch a checkpoint file says it holds: for the EngineFaults.snapshotResumesLate mutant
 * only (a node that starts from a snapshot then skips the batch after it).
 */
export function rewriteCheckpointBatch(file: string, batch: number): void {
  const db = new Database(file)
  try {
    db.prepare("UPDATE _acheron_meta SET v = ? WHERE k = 'last_batch'").run(batch)
  } finally {
    db.close()
  }
}

/** A query's result past the bound its caller gave (`query`'s resultBytesMax): callers may name their own bound. */
export class ResultTooLarge extends AcheronError {
  constructor(message: string) {
    super('PAYLOAD_TOO_LARGE', message)
  }
}
