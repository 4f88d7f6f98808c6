import type { Row, SqlValue } from '../values.js'
import type { TableDef } from './catalog.js'
import type { RowKey } from './keys.js'

/**
 * An SQL expression over one row of a table, rendered by the SQL layer (`renderExpr`): column names
 * quoted, every literal a bound `?`. SQLite evaluates it, so it means exactly what it means in SQLite.
 */
export interface RowExpr {
  readonly sql: string
  readonly values: readonly SqlValue[]
}

export interface ColumnAssignment {
  readonly column: string
  readonly expr: RowExpr
}

/** One row written by a transaction: its final image, or null for a delete. */
export interface RowWrite {
  readonly rowKey: RowKey
  readonly table: string
  readonly key: SqlValue
  readonly row: Row | null
}

/** The state beneath one transaction: a batch snapshot, plus whatever an executor lays over it. */
export interface BaseReader {
  read(table: TableDef, key: bigint | string, rowKey: RowKey): Row | undefined
}
