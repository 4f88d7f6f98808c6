import { RESULT_BYTES_MAX, valueBytes } from './result-bytes.js'
import { AcheronError } from '../errors.js'
import type { RowKey } from '../schema/keys.js'
import { describeValue, valuesEqual, type Row, type SqlValue } from '../values.js'
import { visibleColumns, type ColumnDef, type TableDef } from '../schema/catalog.js'
import { clockText, isClockKind, type ClockKind } from '../schema/clock.js'
import { checkNotNull, coerceKey, coerceToColumn, defaultRow, nullInNotNull } from './coerce.js'
import type { BaseReader, ColumnAssignment, RowExpr } from '../schema/rows.js'
import type { RowEvaluator } from '../storage/row-evaluator.js'
import { failureOf, noteFailedValue } from './failure.js'
import { LockMiss, TxnState, type ExecEnv } from './txn-state.js'
import type { DataTxn, Execution, InsertConflict, SequencedTxn, TxnResult } from './types.js'

/** An execution failed for reasons outside the transaction: the batch it belongs to fails whole. */
export class EnvironmentFailure extends Error {
  constructor(readonly txnId: number, cause: unknown) {
    super(`transaction ${txnId} could not execute: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'EnvironmentFailure'
  }
}

/** Rows one INSERT may carry; bigger loads are split by the client. */
export const INSERT_ROWS_MAX = 1_000_000

/**
 * Rows one statement's RETURNING may give: past it the statement fails whole (PAYLOAD_TOO_LARGE), the
 * same on every replay, since it counts rows, not bytes. Say it without RETURNING, or in smaller parts.
 */
export const RETURNING_ROWS_MAX = 100_000

/**
 * What a statement's RETURNING gives: its SELECT over each row written, in order (over a deleted row,
 * as it was). No query: nothing is evaluated, and the result has no rows.
 */
export class Returned {
  private readonly rows: Row[] = []

  constructor(private readonly evaluator: RowEvaluator, private readonly table: TableDef, private readonly query: RowExpr | undefined) {}

  add(row: Row): void {
    if (this.query === undefined) return
    if (this.rows.length >= RETURNING_ROWS_MAX) {
      throw new AcheronError('PAYLOAD_TOO_LARGE', `RETURNING gives at most ${RETURNING_ROWS_MAX} rows: this statement writes more (run it without RETURNING, or in parts)`)
    }
    this.rows.push(...this.evaluator.select(this.table, row, this.query))
  }

  /** The result of a statement that wrote `rowsAffected` rows. */
  result(rowsAffected: number): TxnResult {
    return this.query === undefined ? { rowsAffected } : { rows: this.rows, rowsAffected }
  }
}

/** An INSERT's rows with its clock values (`clocks`) filled in at `timeMs`, its batch's time. */
function withClocks(rows: readonly (readonly SqlValue[])[], clocks: readonly (readonly [number, number, ClockKind])[] | undefined, timeMs: number): readonly (readonly SqlValue[])[] {
  if (clocks === undefined || clocks.length === 0) return rows
  const filled = rows.map((row) => [...row])
  for (const [r, i, kind] of clocks) {
    const row = filled[r]
    if (row === undefined || i < 0 || i >= row.length || !isClockKind(kind)) throw new AcheronError('SYNTAX_ERROR', `an INSERT's clock value names no value of its rows: [${r}, ${i}, ${String(kind)}]`)
    row[i] = clockText(kind, timeMs)
  }
  return filled
}

/**
 * Executes one transaction against `base`, buffering its writes. Never throws for the transaction's own
 * failures: they become the execution's `failure`, with the footprint that led to them.
 */
export function executeTxn(env: ExecEnv, base: BaseReader, allowed: ReadonlySet<RowKey> | null, txn: SequencedTxn): Execution {
  // The clocks of the SQL it evaluates read its batch's time, as its own do.
  env.evaluator.timeMs = txn.timeMs
  const state = new TxnState(env, base, allowed, txn.timeMs)
  try {
    const result = run(state, txn.input)
    const { accessed, writes } = state.finish()
    return { id: txn.id, accessed, writes, result, failure: null, lockMiss: null }
  } catch (err) {
    const accessed = state.accessedSoFar()
    if (err instanceof LockMiss) {
      return { id: txn.id, accessed, writes: [], result: null, failure: null, lockMiss: err.rowKey }
    }
    if (err instanceof AcheronError) {
      const failure = failureOf(err, state.logs)
      return { id: txn.id, accessed, writes: [], result: null, failure, lockMiss: null }
    }
    // Not the transaction's own failure: memory ran out, a reservation failed, a read of the checkpoint
    // failed, or an engine bug. A replay could not reproduce it, so it is no outcome: it fails the whole
    // batch (retryably, with no position), as a dead worker does.
    throw new EnvironmentFailure(txn.id, err)
  }
}

/**
 * A point read's rows, counted towards the transaction's RESULT_BYTES_MAX as a query's are: a row of
 * 70 MB read by its key (alone, or in a read-only BEGIN … COMMIT) was answered whole, past the bound a
 * SELECT over the table is held to. A count of the values, so a logged transaction fails at the same read
 * on replay.
 */
function boundedRows<R extends readonly SqlValue[]>(state: TxnState, rows: R[]): R[] {
  for (const r of rows) for (const v of r) state.resultBytes += valueBytes(v)
  if (state.resultBytes > RESULT_BYTES_MAX) {
    throw new AcheronError('PAYLOAD_TOO_LARGE', `the transaction's reads by key answer more than ${RESULT_BYTES_MAX} bytes (RESULT_BYTES_MAX: fixed, so that a logged transaction fails alike on replay): select fewer columns, or read the large values in transactions of their own`)
  }
  return rows
}

/** Runs one data statement inside a transaction's state (also a step of a transaction run alone). */
export function runStep(state: TxnState, input: DataTxn): TxnResult {
  return run(state, input)
}

function run(state: TxnState, input: DataTxn): TxnResult {
  const catalog = state.env.catalog
  switch (input.kind) {
    case 'call': {
      const fn = catalog.function(input.fn)
      const before = state.logs.length
      const value = state.call(fn.name, input.key, input.args, 1, { remaining: fn.fuel })
      // This call's lines (of a fresh execution: a re-execution builds a new TxnState, so lines of an
      // attempt that was discarded never reach the caller).
      return state.logs.length === before ? { value, rowsAffected: 0 } : { value, rowsAffected: 0, logs: state.logs.slice(before) }
    }
    case 'get': {
      const table = catalog.table(input.table)
      const row = state.read(table, coerceKey(table, input.key))
      // The columns statements see, named here: the row's places include dropped columns' (ColumnDef.dropped).
      const visible = visibleColumns(table)
      return { columns: visible.map((c) => c.column.name), rows: boundedRows(state, row === undefined ? [] : [visible.map((c) => row[c.place] as SqlValue)]), rowsAffected: 0 }
    }
    case 'select-key': {
      const table = catalog.table(input.table)
      const row = state.read(table, coerceKey(table, input.key))
      return { rows: boundedRows(state, state.env.evaluator.select(table, row, input.query)), rowsAffected: 0 }
    }
    case 'insert': {
      const table = catalog.table(input.table)
      if (input.rows.length > INSERT_ROWS_MAX) {
        throw new AcheronError('CONSTRAINT', `one INSERT carries at most ${INSERT_ROWS_MAX} rows, got ${input.rows.length}`)
      }
      const columns = insertColumns(catalog.columnIndex.bind(catalog), table, input.columns)
      const keyAt = columns.indexOf(table.keyIndex)
      // As SQLite's INSERT OR IGNORE: a row that breaks a NOT NULL (its key included) or whose key exists
      // is left out and not counted; a value of the wrong type still fails the statement.
      const ignore = input.ignore === true
      const returned = new Returned(state.env.evaluator, table, input.returning)
      let inserted = 0
      withClocks(input.rows, input.clocks, state.timeMs).forEach((values, r) => {
        if (values.length !== columns.length) {
          throw new AcheronError('CONSTRAINT', `${table.name}: ${columns.length} columns but ${values.length} values`)
        }
        // Values count row by row in source order (TxnFailure.value); the parser made every row this wide.
        const first = r * columns.length
        let at = first + keyAt
        if (ignore && (values[keyAt] ?? null) === null) return
        try {
          const key = coerceKey(table, values[keyAt] ?? null)
          const row = defaultRow(table, key, state.timeMs)
          for (let i = 0; i < columns.length; i++) {
            const c = columns[i] as number
            at = first + i
            if (c !== table.keyIndex) row[c] = coerceToColumn(table, table.columns[c] as ColumnDef, values[i] as SqlValue)
          }
          at = first + keyAt
          if (input.onConflict !== undefined) {
            // As SQLite: a NULL in a NOT NULL column fails the row before its key is looked up.
            const missing = nullInNotNull(table, row)
            if (missing >= 0) {
              at = columns.includes(missing) ? first + columns.indexOf(missing) : -1
              checkNotNull(table, row)
            }
            at = first + keyAt
            const there = state.read(table, key)
            if (there !== undefined) {
              const updated = upsert(state, table, key, there, row, input.onConflict)
              if (updated !== null) {
                inserted++
                returned.add(updated)
              }
              return
            }
          } else if (!input.replace && state.read(table, key) !== undefined) {
            if (ignore) return
            throw new AcheronError('DUPLICATE_KEY', `duplicate key ${describeValue(key)} in ${table.name}`)
          }
          // Every row an INSERT writes must hold, even one a later row of the same INSERT replaces.
          const missing = nullInNotNull(table, row)
          if (missing >= 0) {
            if (ignore) return
            // At the NULL given for it, or (a column the INSERT left out) at the table.
            at = columns.includes(missing) ? first + columns.indexOf(missing) : -1
            checkNotNull(table, row)
          }
          state.write(table, key, row)
          inserted++
          returned.add(row)
        } catch (err) {
          if (at >= 0) noteFailedValue(err, at)
          throw err
        }
      })
      return returned.result(inserted)
    }
    case 'update': {
      const table = catalog.table(input.table)
      const key = coerceKey(table, input.key)
      const row = state.read(table, key)
      const returned = new Returned(state.env.evaluator, table, input.returning)
      if (row === undefined || !state.env.evaluator.holds(table, row, input.where)) return returned.result(0)
      const next = assign(state, table, row, input.sets)
      state.write(table, key, next)
      returned.add(next)
      return returned.result(1)
    }
    case 'delete': {
      const table = catalog.table(input.table)
      const key = coerceKey(table, input.key)
      const row = state.read(table, key)
      const returned = new Returned(state.env.evaluator, table, input.returning)
      if (row === undefined || !state.env.evaluator.holds(table, row, input.where)) return returned.result(0)
      state.write(table, key, null)
      returned.add(row)
      return returned.result(1)
    }
    case 'plan-failed':
      throw new AcheronError(input.code, input.message, input.step === undefined ? {} : { statement: input.step })
    case 'multi': {
      const steps = input.steps.map((step, i) => {
        try {
          return run(state, step)
        } catch (err) {
          // Which statement of the transaction failed: the SQL layer points its error there.
          if (err instanceof AcheronError && err.statement === undefined) err.statement = i
          throw err
        }
      })
      return { steps, rowsAffected: steps.reduce((n, r) => n + r.rowsAffected, 0) }
    }
  }
}

/**
 * `ON CONFLICT` for a row whose key is there: nothing, or the update of the row there when its WHERE
 * holds, with `excluded` the row the INSERT proposed. The row written (SQLite counts it), or null.
 * A failure of the update is reported at the row's key value, the row it is about.
 */
function upsert(state: TxnState, table: TableDef, key: bigint | string, there: Row, proposed: Row, conflict: InsertConflict): Row | null {
  if (conflict.action === 'nothing') return null
  const evaluator = state.env.evaluator
  if (!evaluator.holds(table, there, conflict.where, proposed)) return null
  let next: SqlValue[]
  try {
    const values = evaluator.evaluate(table, there, conflict.sets.map((s) => s.expr), false, proposed)
    next = applyAssignments(table, there, conflict.sets.map((s) => state.env.catalog.columnIndex(table, s.column)), conflict.sets, values, false)
  } catch (err) {
    throw err instanceof AcheronError ? new AcheronError(err.code, `ON CONFLICT DO UPDATE of key ${String(key)}: ${err.message}`) : err
  }
  state.write(table, key, next)
  return next
}

/**
 * The row after an UPDATE's assignments, all evaluated over the old row (as SQL does), each value
 * coerced to its column. The key cannot change: a row's key is its identity and its partition.
 */
function assign(state: TxnState, table: TableDef, row: Row, sets: readonly ColumnAssignment[]): SqlValue[] {
  const values = state.env.evaluator.evaluate(table, row, sets.map((s) => s.expr))
  return applyAssignments(table, row, sets.map((s) => state.env.catalog.columnIndex(table, s.column)), sets, values)
}

/** Puts evaluated assignment values into a copy of `row`, with the column checks of an UPDATE. */
export function applyAssignments(table: TableDef, row: Row, columns: readonly number[], sets: readonly ColumnAssignment[], values: readonly SqlValue[], noteItem = true): SqlValue[] {
  const next = [...row]
  columns.forEach((c, i) => {
    try {
      const col = table.columns[c]
      if (col === undefined) throw new AcheronError('UNKNOWN_COLUMN', `${table.name} has no column ${sets[i]?.column}`)
      const v = coerceToColumn(table, col, values[i] ?? null)
      if (c === table.keyIndex) {
        if (!valuesEqual(v, row[c] ?? null)) throw new AcheronError('CONSTRAINT', `cannot change the primary key ${table.name}.${col.name}`)
        return
      }
      if (v === null && col.notNull) throw new AcheronError('CONSTRAINT', `NOT NULL constraint failed: ${table.name}.${col.name}`)
      next[c] = v
    } catch (err) {
      // The SET item it is about (TxnFailure.value).
      if (noteItem) noteFailedValue(err, i)
      throw err
    }
  })
  return next
}

/** Column indexes an INSERT names, in its order; the key column must be among them. */
function insertColumns(columnIndex: (t: TableDef, c: string) => number, table: TableDef, names: readonly string[] | null): number[] {
  if (names === null) return visibleColumns(table).map((c) => c.place)
  const out: number[] = []
  for (const name of names) {
    const i = columnIndex(table, name)
    if (i < 0) throw new AcheronError('UNKNOWN_COLUMN', `${table.name} has no column ${name}`)
    if (out.includes(i)) throw new AcheronError('SYNTAX_ERROR', `column ${name} is named twice`)
    out.push(i)
  }
  if (!out.includes(table.keyIndex)) {
    throw new AcheronError('CONSTRAINT', `INSERT into ${table.name} must give the key column ${(table.columns[table.keyIndex] as ColumnDef).name}`)
  }
  return out
}
