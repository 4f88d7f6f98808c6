import Database from 'better-sqlite3'
import { clockSql } from '../schema/clock.js'
import { AcheronError } from '../errors.js'
import { queryFailure } from '../storage/query-failure.js'
import { rowKeyOf, tableKeyName } from '../schema/keys.js'
import { columnListSql, keyColumnSql, quoteIdent, scanSourceSql } from '../storage/sqlite-schema.js'
import { ResultTooLarge } from '../storage/state-file.js'
import type { Row, SqlValue } from '../values.js'
import { indexesOf, visibleColumns, type Catalog, type ColumnDef, type TableDef } from '../schema/catalog.js'
import { sqlLiteral } from '../sql-literal.js'
import { checkNotNull } from './coerce.js'
import type { ExecutionHost } from './execution-host.js'
import { explainCall, explainLogged } from './explain.js'
import { applyAssignments, Returned, runStep } from './txn-runner.js'
import type { RowEvaluator } from '../storage/row-evaluator.js'
import type { TxnState } from './txn-state.js'
import type { RowWrite } from '../schema/rows.js'
import { isCatalogRead, isReadOnly, type CatalogReadTxn, type ExclusiveMultiTxn, type ExplainCallTxn, type ExplainLoggedTxn, type ScanTxn, type SelectTxn, type TxnResult } from './types.js'

/** Runs a query over the applied state with a transaction's own rows laid over it (SqliteStateFile.query). */
export interface Queryable {
  /**
   * `tables`: every table the SQL reads (none: a SELECT without FROM); `pending[i]` are rows of
   * `tables[i]` laid over it. `resultBytesMax`: a result beyond it fails with PAYLOAD_TOO_LARGE (reads
   * only; see runExclusiveTxn).
   */
  query(tables: readonly TableDef[], sql: string, values: readonly SqlValue[], pending?: readonly (readonly RowWrite[])[], resultBytesMax?: number): SqlValue[][]
}

/**
 * The rows an INSERT … SELECT may read, in bytes (text and blobs by length, 8 per other value): a count,
 * so that every replay stops at the same row. With INSERT_ROWS_MAX it bounds what one statement holds.
 */
export const INSERT_SELECT_BYTES_MAX = 256 * 1024 * 1024

/** An UPDATE or DELETE over its table. */
type TableScanTxn = Extract<ScanTxn, { kind: 'update-scan' | 'delete-scan' }>

/** What a transaction run alone produced: its result and the rows to commit with it. */
export interface ExclusiveRun {
  readonly result: TxnResult
  readonly writes: readonly RowWrite[]
}

/**
 * Transactions that run alone, over exactly the state after every batch before them (on the state
 * thread, which holds it): queries and UPDATE/DELETE over all partitions are executed by SQLite itself
 * over the partition tables; catalog reads list the catalog. Throws AcheronError (or SQLite's error) for
 * the transaction's failure.
 */
export function runExclusiveTxn(
  catalog: Catalog, store: Queryable, host: () => ExecutionHost, txn: SelectTxn | ScanTxn | CatalogReadTxn | ExclusiveMultiTxn | ExplainCallTxn | ExplainLoggedTxn,
  /** What its clocks read: its batch's time, or a query's read time. */
  timeMs: number,
  resultBytesMax?: number,
): ExclusiveRun {
  // Only a read is bounded: a logged transaction's outcome must not depend on a setting a later run may change.
  const bounded: Queryable = resultBytesMax === undefined || !isReadOnly(txn) ? store : {
    query: (tables, sql, values, pending) => store.query(tables, sql, values, pending, resultBytesMax),
  }
  switch (txn.kind) {
    case 'multi-exclusive':
      return host().withState(timeMs, (state) => runExclusiveMulti(catalog, bounded, state, txn))
    case 'explain-call':
      return { result: host().withState(timeMs, (state) => explainCall(state, txn)), writes: [] }
    case 'explain-logged':
      // It reads the clocks as it did when it committed: its batch's logged time, not the query's.
      return { result: host().withState(txn.timeMs, (state) => explainLogged(state, txn)), writes: [] }
    case 'insert-select':
      return host().withState(timeMs, (state) => {
        const result = insertSelected(catalog, bounded, state, txn)
        return { result, writes: state.finish().writes }
      })
    case 'select': case 'update-scan': case 'delete-scan':
      return runQuery(catalog, bounded, txn, () => {
        const evaluator = host().evaluator
        evaluator.timeMs = timeMs
        return evaluator
      })
    case 'show-tables': case 'show-functions': case 'show-indexes': case 'describe':
      return readCatalog(catalog, txn)
  }
}

/**
 * A BEGIN … COMMIT run alone: data steps run in one transaction state over the committed snapshot;
 * queries and scans see that state's own writes laid over the committed rows, and a scan's writes join
 * the state. Nothing is written until the whole transaction succeeds.
 */
function runExclusiveMulti(catalog: Catalog, store: Queryable, state: TxnState, txn: ExclusiveMultiTxn): ExclusiveRun {
  const steps = txn.steps.map((step, i): TxnResult => {
    try {
      if (isCatalogRead(step)) return readCatalog(catalog, step).result
      if (step.kind === 'insert-select') return insertSelected(catalog, store, state, step)
      if (step.kind !== 'select' && step.kind !== 'update-scan' && step.kind !== 'delete-scan') return runStep(state, step)
      const run = runQuery(catalog, store, step, () => state.env.evaluator, (table) => state.pendingWrites(table))
      if (step.kind !== 'select') {
        const table = catalog.table(step.table)
        for (const w of run.writes) state.write(table, w.key as bigint | string, w.row === null ? null : [...w.row])
      }
      return run.result
    } catch (err) {
      const e = err instanceof Database.SqliteError ? queryFailure(err) : err
      if (e instanceof AcheronError && e.statement === undefined) e.statement = i
      throw e
    }
  })
  const { writes } = state.finish()
  return { result: { steps, rowsAffected: steps.reduce((n, r) => n + r.rowsAffected, 0) }, writes }
}

/**
 * A query, or an UPDATE/DELETE over all partitions, with each table's `pending` rows laid over the
 * committed ones; `evaluator` evaluates a RETURNING over the rows written.
 */
function runQuery(
  catalog: Catalog, store: Queryable, txn: SelectTxn | TableScanTxn, evaluator: () => RowEvaluator,
  pending: (table: TableDef) => readonly RowWrite[] = () => [],
): ExclusiveRun {
  switch (txn.kind) {
    case 'select': {
      const tables = selectTables(catalog, txn)
      return { result: { rows: store.query(tables, txn.sql, txn.values, tables.map(pending)), rowsAffected: 0 }, writes: [] }
    }
    case 'update-scan': {
      const table = catalog.table(txn.table)
      const columns = txn.sets.map((s) => {
        const c = catalog.columnIndex(table, s.column)
        if (c < 0) throw new AcheronError('UNKNOWN_COLUMN', `${table.name} has no column ${s.column}`)
        return c
      })
      const items = [columnListSql(table), ...txn.sets.map((s) => `(${s.expr.sql})`)].join(', ')
      const tables = scanTables(catalog, txn)
      const found = store.query(tables, `SELECT ${items} FROM ${scanSourceSql(table)} AS ${quoteIdent(table.name)}${whereSql(txn.where)}`,
        [...txn.sets.flatMap((s) => s.expr.values), ...(txn.where?.values ?? [])], tables.map(pending))
      const width = table.columns.length
      const returned = new Returned(evaluator(), table, txn.returning)
      const writes = found.map((r): RowWrite => {
        const next = applyAssignments(table, r.slice(0, width), columns, txn.sets, r.slice(width))
        checkNotNull(table, next)
        returned.add(next)
        return write(table, next[table.keyIndex] as SqlValue, next)
      })
      return { result: returned.result(writes.length), writes }
    }
    case 'delete-scan': {
      const table = catalog.table(txn.table)
      // With RETURNING, the whole rows (it reads them as they were); else their keys.
      const items = txn.returning === undefined ? keyColumnSql(table) : columnListSql(table)
      const tables = scanTables(catalog, txn)
      const found = store.query(tables, `SELECT ${items} FROM ${scanSourceSql(table)} AS ${quoteIdent(table.name)}${whereSql(txn.where)}`, txn.where?.values ?? [], tables.map(pending))
      const returned = new Returned(evaluator(), table, txn.returning)
      const writes = found.map((r) => {
        returned.add(r)
        return write(table, r[txn.returning === undefined ? 0 : table.keyIndex] as SqlValue, null)
      })
      return { result: returned.result(writes.length), writes }
    }
  }
}

/**
 * INSERT … SELECT: the query's rows, read with the transaction's own writes laid over the state, go
 * through the one INSERT path (txn-runner), so they meet exactly the rules of rows given as VALUES.
 */
function insertSelected(catalog: Catalog, store: Queryable, state: TxnState, txn: Extract<ScanTxn, { kind: 'insert-select' }>): TxnResult {
  const tables = txn.reads.map((n) => catalog.table(n))
  let rows: SqlValue[][]
  try {
    rows = store.query(tables, txn.select.sql, txn.select.values, tables.map((t) => state.pendingWrites(t)), INSERT_SELECT_BYTES_MAX)
  } catch (err) {
    if (err instanceof ResultTooLarge) {
      throw new AcheronError('PAYLOAD_TOO_LARGE', `the SELECT of an INSERT gives at most INSERT_SELECT_BYTES_MAX (${INSERT_SELECT_BYTES_MAX} bytes) of rows: insert them in parts (a WHERE on the key, or LIMIT … OFFSET)`)
    }
    throw err
  }
  const { select, reads, ...insert } = txn
  return runStep(state, { ...insert, kind: 'insert', rows })
}

/** Every table an UPDATE or DELETE over a table reads: its own, then the ones its subqueries read. */
function scanTables(catalog: Catalog, txn: TableScanTxn): TableDef[] {
  return [catalog.table(txn.table), ...(txn.joined ?? []).map((n) => catalog.table(n))]
}

/** Every table a query reads: its FROM table, then the ones it joins or reads in subqueries. */
function selectTables(catalog: Catalog, txn: SelectTxn): TableDef[] {
  const names = [...(txn.table === null ? [] : [txn.table]), ...(txn.joined ?? [])]
  return names.map((n) => catalog.table(n))
}

export function readCatalog(catalog: Catalog, txn: CatalogReadTxn): ExclusiveRun {
  switch (txn.kind) {
    case 'show-tables':
      return {
        result: {
          columns: ['name', 'partitions', 'key', 'columns'],
          rows: catalog.sortedTables().map((t) => [t.name, BigInt(t.partitions), t.columns[t.keyIndex]?.name ?? null, BigInt(visibleColumns(t).length)]),
          rowsAffected: 0,
        },
        writes: [],
      }
    case 'show-functions':
      return {
        result: {
          columns: ['name', 'table', 'export', 'runtime', 'fuel', 'memory', 'module_hash'],
          rows: [...catalog.data.functions]
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map((f) => [f.name, f.table, f.exportName, f.runtime, BigInt(f.fuel), BigInt(f.memoryBytes), f.moduleHash]),
          rowsAffected: 0,
        },
        writes: [],
      }
    case 'show-indexes': {
      const tables = txn.table === null ? catalog.sortedTables() : [catalog.table(txn.table)]
      const rows = tables.flatMap((t) => indexesOf(t).map((i): Row => [i.name, t.name, i.columns.map((c) => (c.desc ? `${c.name} DESC` : c.name)).join(', ')]))
      rows.sort((a, b) => ((a[0] as string).toLowerCase() < (b[0] as string).toLowerCase() ? -1 : 1))
      return { result: { columns: ['name', 'table', 'columns'], rows, rowsAffected: 0 }, writes: [] }
    }
    case 'describe': {
      const table = catalog.table(txn.table)
      return {
        result: {
          columns: ['column', 'type', 'not_null', 'default', 'primary_key'],
          rows: visibleColumns(table).map(({ column: c, place }): Row => [c.name, c.type, c.notNull ? 1n : 0n, defaultSql(c), place === table.keyIndex ? 1n : 0n]),
          rowsAffected: 0,
        },
        writes: [],
      }
    }
  }
}

/**
 * A column's DEFAULT as CREATE TABLE spells it ('abc', 2.5, TRUE, X'00ff'), as SQLite's table_info and
 * PostgreSQL's column_default give it; NULL when there is none. The value itself showed a text 'abc'
 * as abc, which reads as a name, and a REAL 1.0 as 1.
 */
function defaultSql(c: ColumnDef): string | null {
  if (c.defaultClock !== undefined) return clockSql(c.defaultClock)
  if (c.default === null) return null
  if (c.type === 'BOOLEAN') return c.default === 0n ? 'FALSE' : 'TRUE'
  return sqlLiteral(c.default)
}

function whereSql(where: { sql: string } | null): string {
  return where === null ? '' : ` WHERE ${where.sql}`
}

function write(table: TableDef, key: SqlValue, row: Row | null): RowWrite {
  if (typeof key !== 'bigint' && typeof key !== 'string') throw new AcheronError('INTERNAL', `a stored key of ${table.name} is not INTEGER or TEXT`)
  return { rowKey: rowKeyOf(table, key), table: tableKeyName(table), key, row }
}
