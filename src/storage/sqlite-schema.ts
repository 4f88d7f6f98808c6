import type { CatalogData, ColumnDef, ColumnType, IndexDef, TableDef } from '../schema/catalog.js'
import type { SqlValue } from '../values.js'
import { sqlLiteral } from '../sql-literal.js'

/** The file that holds every partition, the catalog and the batch position of a node. */
export const DATABASE_FILE = 'acheron.db'
export const STORAGE_FORMAT = 1

/**
 * One SQLite table per (table, partition): `name$pN`. `$` cannot occur in a user identifier, so these
 * names never collide with each other or with the engine's own `_acheron_*` tables.
 */
export function partitionTableName(table: TableDef, partition: number): string {
  return `${table.name.toLowerCase()}$p${partition}`
}

/**
 * The meta key holding the checkpoint's partition count of every table, `{"table": n}`: a reader of a
 * checkpoint locates rows by these, not by the catalog it executes with, which an ALTER TABLE …
 * PARTITIONS may have changed since (the checkpoint catches up with it later).
 */
export const LAYOUT_META_KEY = 'layout'

export function layoutToJson(catalog: CatalogData): string {
  return JSON.stringify(Object.fromEntries(catalog.tables.map((t) => [t.name.toLowerCase(), t.partitions])))
}

export function layoutFromJson(text: string): Map<string, number> {
  return new Map(Object.entries(JSON.parse(text) as Record<string, number>))
}

/** better-sqlite3 binds Buffers; a Uint8Array view is wrapped without a copy. */
export function bindable(v: SqlValue): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v
}

/** The name a query uses to read every partition of a table at once (a TEMP VIEW over them). */
export function scanSourceName(table: TableDef): string {
  return `${table.name.toLowerCase()}$all`
}

/**
 * A query that joins tables or holds subqueries calls this function (registered on the state file's
 * connection) once per row combination it examines, in every WHERE and ON: past QUERY_ROWS_EXAMINED_MAX
 * the function throws and the query fails. A single-table scan is linear in its table and is not counted;
 * a join without a usable condition, or a correlated subquery, is a product of tables and would otherwise
 * hold the state thread, and every batch behind it, for as long as it ran. Counted, not timed: the same
 * query over the same state fails at the same row, also when a logged BEGIN … COMMIT is replayed.
 */
export const ROWS_EXAMINED_FUNCTION = 'acheron_rows_examined'
/**
 * An upsert's `excluded.col` (the row the INSERT proposed) is the column `${EXCLUDED_COLUMN_PREFIX}col`
 * of the one-row source its expressions are evaluated over (src/storage/row-evaluator.ts), beside the
 * columns of the row there.
 */
export const EXCLUDED_COLUMN_PREFIX = '__acheron_excluded_'
export const QUERY_ROWS_EXAMINED_MAX = 10_000_000

/** The one-row source a point SELECT reads (`select-key` transactions, src/storage/row-evaluator.ts). */
export const ROW_SOURCE = '"__acheron_row"'

export function scanSourceSql(table: TableDef): string {
  return quoteIdent(scanSourceName(table))
}

/**
 * A TEMP table holding a transaction's not yet committed rows of a table (`$deleted` = 1 for a delete),
 * so that a query inside a BEGIN … COMMIT sees its own writes. Empty outside such a transaction.
 */
export function pendingTableSql(table: TableDef): string {
  return `temp.${quoteIdent(`${table.name.toLowerCase()}$pending`)}`
}

export function createPendingTableSql(table: TableDef): string {
  const cols = table.columns.map((c, i) => `${quoteIdent(c.name)} ${SQLITE_TYPE[c.type]}${i === table.keyIndex ? ' PRIMARY KEY' : ''}`)
  return `CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(`${table.name.toLowerCase()}$pending`)} (${cols.join(', ')}, "$deleted" INTEGER NOT NULL)`
}

/**
 * The view queries read a table through: every partition, overlaid with the pending rows (which are
 * none outside a BEGIN … COMMIT). Made per connection, on first use.
 */
export function createScanViewSql(table: TableDef): string {
  const key = keyColumnSql(table)
  const pending = pendingTableSql(table)
  const parts = Array.from({ length: table.partitions }, (_, p) =>
    `SELECT ${columnListSql(table)} FROM ${quoteIdent(partitionTableName(table, p))} WHERE ${key} NOT IN (SELECT ${key} FROM ${pending})`)
  parts.push(`SELECT ${columnListSql(table)} FROM ${pending} WHERE "$deleted" = 0`)
  return `CREATE TEMP VIEW IF NOT EXISTS ${scanSourceSql(table)} AS ${parts.join(' UNION ALL ')}`
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

const SQLITE_TYPE: Record<ColumnType, string> = {
  INTEGER: 'INTEGER', REAL: 'REAL', TEXT: 'TEXT', BLOB: 'BLOB', BOOLEAN: 'INTEGER',
}

export function sqliteTypeOf(type: ColumnType): string {
  return SQLITE_TYPE[type]
}

/**
 * One column of a partition table. A column added by ALTER TABLE carries its default (which the rows
 * there take; an INSERT always writes every column, so for the others it would never be used).
 */
export function columnSql(c: ColumnDef, primaryKey: boolean, withDefault = !primaryKey): string {
  const pk = primaryKey ? ' PRIMARY KEY' : ''
  const nn = c.notNull && !primaryKey ? ' NOT NULL' : ''
  const dflt = withDefault && c.default !== null ? ` DEFAULT ${sqlLiteral(c.default)}` : ''
  return `${quoteIdent(c.name)} ${SQLITE_TYPE[c.type]}${pk}${nn}${dflt}`
}

/** DDL of one partition table: the declared columns, so that SQL reads run on them directly. */
export function createPartitionTableSql(table: TableDef, partition: number): string {
  const cols = table.columns.map((c: ColumnDef, i) => columnSql(c, i === table.keyIndex, false))
  const key = table.columns[table.keyIndex] as ColumnDef
  // INTEGER keys alias the rowid (fastest); TEXT keys cluster the table by key.
  const rowid = key.type === 'INTEGER' ? '' : ' WITHOUT ROWID'
  return `CREATE TABLE ${quoteIdent(partitionTableName(table, partition))} (${cols.join(', ')})${rowid}`
}

/**
 * The SQLite name of an index on one partition table: `name$iN`. Index and table names share SQLite's
 * namespace; `$i` keeps these apart from the partition tables (`$pN`), and index names are unique.
 */
export function partitionIndexName(index: IndexDef, partition: number): string {
  return `${index.name.toLowerCase()}$i${partition}`
}

export function createPartitionIndexSql(table: TableDef, index: IndexDef, partition: number): string {
  const cols = index.columns.map((c) => `${quoteIdent(c.name)}${c.desc ? ' DESC' : ''}`).join(', ')
  return `CREATE INDEX ${quoteIdent(partitionIndexName(index, partition))} ON ${quoteIdent(partitionTableName(table, partition))} (${cols})`
}

export function dropPartitionIndexSql(index: IndexDef, partition: number): string {
  return `DROP INDEX IF EXISTS ${quoteIdent(partitionIndexName(index, partition))}`
}

export function columnListSql(table: TableDef): string {
  return table.columns.map((c) => quoteIdent(c.name)).join(', ')
}

export function keyColumnSql(table: TableDef): string {
  return quoteIdent((table.columns[table.keyIndex] as ColumnDef).name)
}

/**
 * Prepared statements (or any per-partition value) kept per table definition and partition. Keyed by
 * the definition object, so a DDL batch that replaces a table makes its old entries unreachable.
 */
export class PerPartition<T> {
  private byTable = new WeakMap<TableDef, T[]>()

  get(table: TableDef, partition: number, create: () => T): T {
    let byPartition = this.byTable.get(table)
    if (byPartition === undefined) {
      byPartition = []
      this.byTable.set(table, byPartition)
    }
    let v = byPartition[partition]
    if (v === undefined) {
      v = create()
      byPartition[partition] = v
    }
    return v
  }

  clear(): void {
    this.byTable = new WeakMap()
  }
}
