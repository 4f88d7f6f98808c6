import Database from 'better-sqlite3'
import { invariant } from '../errors.js'
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { Row, SqlValue } from '../values.js'
import { compareKeys, type RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import type { BatchCommit, PartitionStore, SnapshotReader, StoredState } from './partition-store.js'
import { bindable, createPartitionTableSql, partitionTableName, quoteIdent, scanSourceSql } from './sqlite-schema.js'

/**
 * Partitions in plain maps, for tests and research runs that need no disk. It lives in one thread,
 * so the engine runs it with inline execution (`workers: 0`). Nothing survives `close`.
 */
export class MemoryPartitionStore implements PartitionStore {
  private readonly rows = new Map<string, Map<string, Row>>()
  private catalog: CatalogData = { version: 0, tables: [], functions: [] }
  private readonly modules = new Map<string, Uint8Array>()
  private lastBatch = 0
  private nextTxnId = 1

  load(): StoredState {
    return { catalog: this.catalog, modules: new Map(this.modules), lastBatch: this.lastBatch, nextTxnId: this.nextTxnId }
  }

  commitBatch(c: BatchCommit): void {
    invariant(c.batch === this.lastBatch + 1, `batch ${c.batch} follows batch ${this.lastBatch}`)
    for (const t of c.droppedTables ?? []) this.rows.delete(t.name.toLowerCase())
    for (const t of c.createdTables ?? []) this.rows.set(t.name.toLowerCase(), new Map())
    for (const [hash, bytes] of c.addedModules ?? []) this.modules.set(hash, bytes)
    if (c.catalog !== undefined) this.catalog = c.catalog
    for (const w of c.writes) {
      const table = this.rows.get(w.table)
      invariant(table !== undefined, `write to unknown table ${w.table}`)
      if (w.row === null) table.delete(String(w.key))
      else table.set(String(w.key), w.row)
    }
    this.lastBatch = c.batch
    this.nextTxnId = c.nextTxnId
  }

  reader(): SnapshotReader {
    return {
      begin: () => {},
      end: () => {},
      close: () => {},
      read: (table: TableDef, key: bigint | string, _rk: RowKey) => this.rows.get(table.name.toLowerCase())?.get(String(key)),
    }
  }

  readerSpec(): null {
    return null
  }

  scanTable(table: TableDef): Row[] {
    const rows = [...(this.rows.get(table.name.toLowerCase())?.values() ?? [])]
    return rows.sort((a, b) => compareKeys(a[table.keyIndex] as SqlValue, b[table.keyIndex] as SqlValue))
  }

  /**
   * Runs the query in a transient in-memory SQLite holding a copy of the table (this store is for
   * tests: a copy per query is fine), so that queries mean exactly what they mean on the SQLite store.
   */
  query(table: TableDef, sql: string, values: readonly SqlValue[], pending: readonly RowWrite[] = []): SqlValue[][] {
    const db = new Database(':memory:')
    try {
      const scratch: TableDef = { ...table, partitions: 1 }
      db.exec(createPartitionTableSql(scratch, 0))
      db.exec(`CREATE VIEW ${scanSourceSql(table)} AS SELECT * FROM ${quoteIdent(partitionTableName(scratch, 0))}`)
      const insert = db.prepare(`INSERT INTO ${quoteIdent(partitionTableName(scratch, 0))} VALUES (${table.columns.map(() => '?').join(', ')})`)
      const current = new Map(this.scanTable(table).map((r) => [String(r[table.keyIndex]), r as Row | null]))
      for (const w of pending) current.set(String(w.key), w.row)
      for (const row of current.values()) if (row !== null) insert.run(...row.map(bindable))
      const rows = db.prepare(sql).raw(true).safeIntegers(true).all(...values.map(bindable)) as SqlValue[][]
      for (const r of rows) for (let i = 0; i < r.length; i++) if (Buffer.isBuffer(r[i])) r[i] = new Uint8Array(r[i] as Buffer)
      return rows
    } finally {
      db.close()
    }
  }

  close(): void {}
}
