import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { BaseReader, RowWrite } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'

/** Everything a store holds about itself, read once at open (recovery). */
export interface StoredState {
  readonly catalog: CatalogData
  readonly modules: ReadonlyMap<string, Uint8Array>
  /** The last batch made durable; 0 for a new store. */
  readonly lastBatch: number
  /** The id the next transaction gets (ids continue across restarts). */
  readonly nextTxnId: number
}

/** One batch's effects, applied atomically and durably (per the store's sync mode) or not at all. */
export interface BatchCommit {
  readonly batch: number
  readonly nextTxnId: number
  /** Final row images in the order to apply (later entries win). */
  readonly writes: readonly RowWrite[]
  /** Set when this batch changed the catalog: the catalog after it. */
  readonly catalog?: CatalogData
  readonly createdTables?: readonly TableDef[]
  readonly droppedTables?: readonly TableDef[]
  readonly addedModules?: readonly (readonly [hash: string, bytes: Uint8Array])[]
}

/** Read access to the committed state from one thread; `begin`/`end` bracket a stable snapshot. */
export interface SnapshotReader extends BaseReader {
  begin(catalog: CatalogData): void
  end(): void
  close(): void
}

/** How another thread opens its own reader on a store (null when the store lives in one thread only). */
export type ReaderSpec = { readonly kind: 'sqlite'; readonly file: string }

export type SyncMode = 'full' | 'normal' | 'off'

/**
 * The storage of all partitions of a node. Partitions are the unit of placement; this interface commits
 * a batch across all of them atomically, which is what the engine's recovery rests on.
 */
export interface PartitionStore {
  load(): StoredState
  commitBatch(commit: BatchCommit): void
  /** A reader usable on this thread. */
  reader(): SnapshotReader
  readerSpec(): ReaderSpec | null
  /** Every row of a table, all partitions, sorted by key. */
  scanTable(table: TableDef): Row[]
  /**
   * Runs a query over the committed state (between batches), reading `table` through
   * `scanSourceSql(table)`, with `pending` (a transaction's own uncommitted rows of that table) laid
   * over it; rows as arrays in the query's column order. Throws SQLite's error as is.
   */
  query(table: TableDef, sql: string, values: readonly SqlValue[], pending?: readonly RowWrite[]): SqlValue[][]
  close(): void
}
