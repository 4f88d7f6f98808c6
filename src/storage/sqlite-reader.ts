import Database from 'better-sqlite3'
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { Row } from '../values.js'
import { partitionOf, type RowKey } from '../schema/keys.js'
import type { BaseSnapshot } from './state-file.js'
import { PerPartition, columnListSql, keyColumnSql, partitionTableName, quoteIdent } from './sqlite-schema.js'

/**
 * A read-only connection to the node's checkpoint file, one per thread. Between `begin` and `end` it
 * holds one SQLite read transaction, so every read sees the same committed checkpoint, whose batch is
 * `position`; reads are cached per snapshot.
 */
export class SqliteSnapshotReader implements BaseSnapshot {
  private readonly db: Database.Database
  private readonly statements = new PerPartition<Database.Statement>()
  private readonly cache = new Map<RowKey, Row | undefined>()
  private catalogVersion = -1
  private open = false
  private readonly lastBatch: Database.Statement
  position = 0

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true })
    this.lastBatch = this.db.prepare("SELECT v FROM _acheron_meta WHERE k = 'last_batch'").pluck()
  }

  begin(catalog: CatalogData): void {
    if (catalog.version !== this.catalogVersion) {
      // A DDL batch may have dropped or recreated tables: forget statements of the old catalog.
      this.statements.clear()
      this.catalogVersion = catalog.version
    }
    this.cache.clear()
    this.db.exec('BEGIN')
    this.open = true
    // The first read fixes the snapshot: the checkpoint's position and its rows come from the same commit.
    this.position = Number(this.lastBatch.get() ?? 0)
  }

  end(): void {
    if (this.open) this.db.exec('COMMIT')
    this.open = false
    this.cache.clear()
  }

  read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
    if (this.cache.has(rk)) return this.cache.get(rk)
    const p = partitionOf(table, key)
    const stmt = this.statements.get(table, p, () => this.db
      .prepare(`SELECT ${columnListSql(table)} FROM ${quoteIdent(partitionTableName(table, p))} WHERE ${keyColumnSql(table)} = ?`)
      .raw(true)
      .safeIntegers(true))
    const row = stmt.get(key) as Row | undefined
    this.cache.set(rk, row)
    return row
  }

  close(): void {
    this.end()
    this.db.close()
  }
}
