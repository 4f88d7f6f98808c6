import { AcheronError } from '../errors.js'
import { checkWellFormedText, describeValue, isInt64, isIntegerNumber, type Row, type SqlValue } from '../values.js'
import type { ColumnDef, TableDef } from '../schema/catalog.js'
import { clockText } from '../schema/clock.js'

/**
 * Converts a value to a column's type, or throws TYPE_MISMATCH. The result is exactly what SQLite
 * gives back after a round trip, so that the state a batch sees equals the state after recovery:
 * NaN becomes NULL (SQLite stores NaN as NULL) and -0.0 becomes 0.0 (SQLite stores integral reals as integers).
 * Every value entering a row image comes through here (SQL writes, functions' `set_*`, defaults), so a read
 * sees the same bits before and after a checkpoint or a replay. `keepNegativeZero` is a deliberate bug
 * (EngineFaults.keepNegativeZero), never set otherwise.
 */
export function coerceToColumn(table: TableDef, col: ColumnDef, v: SqlValue, keepNegativeZero = false): SqlValue {
  if (v === null) return null
  const bad = (): never => {
    throw new AcheronError('TYPE_MISMATCH', `column ${table.name}.${col.name} is ${col.type}, got ${typeof v === 'number' && Number.isInteger(v) ? 'REAL ' : ''}${describeValue(v)}${integralRealNote(col, v)}`)
  }
  switch (col.type) {
    case 'INTEGER':
      if (typeof v === 'bigint') return isInt64(v) ? v : bad()
      if (typeof v === 'number' && isIntegerNumber(v)) return BigInt(v)
      return bad()
    case 'BOOLEAN':
      if (v === 0n || v === 1n) return v
      if (v === 0 || v === 1) return BigInt(v)
      return bad()
    case 'REAL':
      if (typeof v === 'number') {
        if (!Number.isNaN(v)) return v === 0 && !keepNegativeZero ? 0 : v
        if (col.notNull) throw new AcheronError('CONSTRAINT', `NOT NULL constraint failed: ${table.name}.${col.name} (got NaN, which is stored as NULL)`)
        return null
      }
      if (typeof v === 'bigint') return Number(v)
      return bad()
    case 'TEXT':
      if (typeof v !== 'string') return bad()
      // Stored as UTF-8, a lone surrogate would come back as U+FFFD: refused, whatever runtime wrote it.
      checkWellFormedText(v, `column ${table.name}.${col.name}`)
      return v
    case 'BLOB':
      return v instanceof Uint8Array ? v : bad()
  }
}

/**
 * Why an integral-looking REAL is no INTEGER: it is one only beyond ±2^53 (smaller ones convert), which a
 * JavaScript number becomes when it is past the safe range, or past 64 bits (an overflow).
 */
function integralRealNote(col: ColumnDef, v: SqlValue): string {
  if ((col.type !== 'INTEGER' && col.type !== 'BOOLEAN') || typeof v !== 'number' || !Number.isInteger(v)) return ''
  return Math.abs(v) >= 2 ** 63 ? ' (a REAL beyond the 64-bit range)' : ' (a JavaScript number beyond ±2^53 is REAL: pass a bigint)'
}

/** A key value for `table`: INTEGER or TEXT per its key column, never NULL. */
export function coerceKey(table: TableDef, v: SqlValue): bigint | string {
  const col = table.columns[table.keyIndex] as ColumnDef
  if (v === null) throw new AcheronError('CONSTRAINT', `the key of ${table.name} must not be NULL`)
  const k = coerceToColumn(table, col, v)
  if (typeof k !== 'bigint' && typeof k !== 'string') {
    throw new AcheronError('TYPE_MISMATCH', `the key of ${table.name} is ${col.type}, got ${describeValue(v)}`)
  }
  return k
}

/** A new row: every column's default (a clock's at `timeMs`, its batch's time), and the key. */
export function defaultRow(table: TableDef, key: bigint | string, timeMs: number): SqlValue[] {
  const row = table.columns.map((c) => (c.defaultClock === undefined ? c.default : clockText(c.defaultClock, timeMs)))
  row[table.keyIndex] = key
  return row
}

/** Throws CONSTRAINT when a NOT NULL column of a row about to commit is NULL. */
export function checkNotNull(table: TableDef, row: Row): void {
  const i = nullInNotNull(table, row)
  if (i >= 0) throw new AcheronError('CONSTRAINT', `NOT NULL constraint failed: ${table.name}.${(table.columns[i] as ColumnDef).name}`)
}

/** The first column of `row` that is NULL though NOT NULL, or -1: what checkNotNull refuses. */
export function nullInNotNull(table: TableDef, row: Row): number {
  for (let i = 0; i < table.columns.length; i++) {
    if ((table.columns[i] as ColumnDef).notNull && row[i] === null) return i
  }
  return -1
}
