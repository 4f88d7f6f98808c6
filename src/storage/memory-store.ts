import { invariant } from '../errors.js'
import type { CatalogData, TableDef } from '../txn/catalog.js'
import type { Row, SqlValue } from '../values.js'
import { compareKeys, type RowKey } from './keys.js'
import type { BatchCommit, PartitionStore, SnapshotReader, StoredState } from './partition-store.js'

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

  close(): void {}
}
