import Database from 'better-sqlite3'
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { Row, SqlValue } from '../values.js'
import { partitionOfKey, type RowKey } from '../schema/keys.js'
import type { BaseSnapshot } from './state-file.js'
import { CheckpointDamagedError, isSqliteDamage } from './damage.js'
import { LAYOUT_META_KEY, PerPartition, columnListSql, keyColumnSql, layoutFromJson, partitionTableName, quoteIdent } from './sqlite-schema.js'

/** Deliberate bugs of the research harness (src/txn/faults.ts) that live in the reader. */
export interface ReaderFaults {
  readonly catalogLayout?: boolean
  readonly catalogColumns?: boolean
  readonly catalogKeyName?: boolean
}

/**
 * A read-only connection to the node's checkpoint file, one per thread. Between `begin` and `end` it
 * holds one SQLite read transaction, so every read sees the same committed checkpoint, whose batch is
 * `position`. (Rows are cached above it, in OverlayReader.) The transaction starts at the first read or
 * `position` of the bracket, not at `begin`: once the rows a workload touches are cached above, most
 * batches never read the file, and starting and ending a read transaction per batch cost a few percent of
 * a small batch's time.
 */
export class SqliteSnapshotReader implements BaseSnapshot {
  private readonly db: Database.Database
  private readonly statements = new PerPartition<Database.Statement>()
  private catalogVersion = -1
  private open = false
  /** Between `begin` and `end`, before the read transaction has started. */
  private bracketed = false
  private readonly beginTxn: Database.Statement
  private readonly commitTxn: Database.Statement
  private readonly lastBatch: Database.Statement
  private readonly layoutText: Database.Statement
  private readonly schemaVersion: Database.Statement
  private readonly keyColumnName: Database.Statement
  /** The checkpoint's SQLite schema version its statements were prepared against. */
  private fileSchema = -1
  /** The checkpoint's partition counts (LAYOUT_META_KEY), and the text they were parsed from. */
  private layout: { text: string; partitions: Map<string, number> } | null = null
  private snapshotPosition = 0

  /**
   * `faults.catalogLayout`: locate rows by the catalog's partition counts (the
   * `repartition-reads-catalog-layout` mutant); `faults.catalogColumns`: select the catalog's columns
   * (`add-column-reads-catalog-columns`).
   */
  constructor(private readonly file: string, private readonly faults: ReaderFaults = {}) {
    this.db = new Database(file, { readonly: true, fileMustExist: true })
    this.beginTxn = this.db.prepare('BEGIN')
    this.commitTxn = this.db.prepare('COMMIT')
    this.lastBatch = this.db.prepare("SELECT v FROM _acheron_meta WHERE k = 'last_batch'").pluck()
    this.layoutText = this.db.prepare(`SELECT v FROM _acheron_meta WHERE k = '${LAYOUT_META_KEY}'`).pluck()
    this.schemaVersion = this.db.prepare('PRAGMA schema_version').pluck()
    this.keyColumnName = this.db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk = 1').pluck()
  }

  begin(catalog: CatalogData): void {
    if (catalog.version !== this.catalogVersion) {
      // A DDL batch may have dropped or recreated tables: forget statements of the old catalog.
      this.statements.clear()
      this.catalogVersion = catalog.version
    }
    this.bracketed = true
  }

  /** The batch the checkpoint read in this bracket holds (the read transaction starts here if it has not). */
  get position(): number {
    if (this.bracketed && !this.open) this.start()
    return this.snapshotPosition
  }

  private start(): void {
    this.beginTxn.run()
    this.open = true
    // The first read fixes the snapshot: the checkpoint's position and its rows come from the same commit.
    this.snapshotPosition = Number(this.lastBatch.get() ?? 0)
    // A checkpoint that changed its tables (ALTER TABLE … RENAME COLUMN, ADD COLUMN, a repartition) has
    // a new schema version: statements prepared before name what it had.
    const version = Number(this.schemaVersion.get())
    if (version !== this.fileSchema) {
      this.fileSchema = version
      this.statements.clear()
    }
    const text = this.layoutText.get() as string | undefined
    // Absent in a checkpoint no DDL has changed since this key came: the catalog's counts hold there.
    if (text === undefined) this.layout = null
    else if (this.layout?.text !== text) {
      this.layout = { text, partitions: layoutFromJson(text) }
      this.statements.clear()
    }
  }

  end(): void {
    const open = this.open
    this.open = false
    this.bracketed = false
    // SQLite may have ended the read transaction itself (a malformed page, an I/O error), and a COMMIT
    // may throw: either way this bracket is over. Before, `open` stayed set after such a failure, so
    // every later batch failed at its end ("cannot commit - no transaction is active"), for good.
    if (!open || !this.db.inTransaction) return
    try {
      this.commitTxn.run()
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      // SQLite may report a damaged page it met during the bracket's reads only here, at the COMMIT (a
      // read of a garbled root page answered "no row"): the batch is voided all the same, named so.
      if (isSqliteDamage(err)) throw new CheckpointDamagedError(this.file, err)
      throw err
    }
  }

  read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
    try {
      return this.readRow(table, key, rk)
    } catch (err) {
      // A damaged page under this key: the batch that read it is voided (an environment failure), and its
      // clients are told which file is damaged and what to do, not SQLite's bare "malformed".
      if (isSqliteDamage(err)) throw new CheckpointDamagedError(this.file, err)
      throw err
    }
  }

  private readRow(table: TableDef, key: bigint | string, _rk: RowKey): Row | undefined {
    if (this.bracketed && !this.open) this.start()
    const partitions = this.faults.catalogLayout === true ? table.partitions : this.layout?.partitions.get(table.name.toLowerCase()) ?? table.partitions
    const p = partitionOfKey(key, partitions)
    const stmt = this.statements.get(table, p, () => this.db
      // Every column the checkpoint's table has, which lacks those an ALTER TABLE … ADD COLUMN it has not
      // reached yet added (TxnState reads them as their defaults); SQLite expands * again after it has.
      .prepare(`SELECT ${this.faults.catalogColumns === true ? columnListSql(table) : '*'} FROM ${quoteIdent(partitionTableName(table, p))} WHERE ${this.keyColumn(table, p)} = ?`)
      .raw(true)
      .safeIntegers(true))
    const row = stmt.get(key) as SqlValue[] | undefined
    if (row !== undefined) for (let i = 0; i < row.length; i++) if (Buffer.isBuffer(row[i])) row[i] = new Uint8Array(row[i] as Buffer)
    return row
  }

  /**
   * The key column as the checkpoint's partition table names it, which an ALTER TABLE … RENAME COLUMN
   * the checkpoint has not reached yet has not changed (`faults.catalogKeyName`: as the catalog names it,
   * the `rename-reads-catalog-key` mutant). Looked up once per partition table and schema version.
   */
  private keyColumn(table: TableDef, p: number): string {
    if (this.faults.catalogKeyName === true) return keyColumnSql(table)
    const name = this.keyColumnName.get(partitionTableName(table, p)) as string | undefined
    return name === undefined ? keyColumnSql(table) : quoteIdent(name)
  }

  close(): void {
    this.end()
    this.db.close()
  }
}
