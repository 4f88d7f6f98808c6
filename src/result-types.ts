// The `types` of a result set (docs/protocol.md, "Replies"): one entry per column, the SQLite storage class
// of that column's values in this result. JSON cannot tell REAL 1.0 from INTEGER 1, so without it every
// reader of a reply (the SDK, both consoles, --json) showed a REAL column's whole numbers as integers.
// Consoles show a REAL as SQLite's shell does (1.0, 2.5), not as psql shows a float8 (1): the storage is SQLite.
import type { SqlValue } from './values.js'

/** A column's type in a result: what SQLite's typeof() says of each of its non-NULL values. */
export type ResultType = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB'

/** A result's `types`: null for a column with no non-NULL value in the result, or values of several types. */
export type ResultTypes = (ResultType | null)[]

const RESULT_TYPE_NAMES: ReadonlySet<string> = new Set<ResultType>(['INTEGER', 'REAL', 'TEXT', 'BLOB'])

/** The storage class of an engine value (INTEGER = bigint, REAL = number: values.ts); null for NULL. */
export function valueType(v: SqlValue): ResultType | null {
  if (v === null) return null
  switch (typeof v) {
    case 'bigint': return 'INTEGER'
    case 'number': return 'REAL'
    case 'string': return 'TEXT'
    default: return 'BLOB'
  }
}

/**
 * Each column's type over the engine rows of a result: the one storage class its non-NULL values share,
 * else null (all NULL, no rows, or mixed, as a CASE or a UNION may give: such a column is shown value by
 * value as the wire gives it). `typeOf` reads a value that is not an engine value (SHOW STATS's numbers).
 */
export function columnTypes(width: number, rows: readonly (readonly unknown[])[], typeOf: (v: unknown) => ResultType | null = valueType as (v: unknown) => ResultType | null): ResultTypes {
  const types: (ResultType | null | undefined)[] = new Array<undefined>(width).fill(undefined)
  for (const row of rows) {
    for (let j = 0; j < width; j++) {
      const t = typeOf(row[j])
      if (t === null) continue
      const seen = types[j]
      if (seen === undefined) types[j] = t
      else if (seen !== t) types[j] = null
    }
  }
  return types.map((t) => t ?? null)
}

/**
 * A result's `cellTypes`: for each column of values of several types (a CASE, a UNION), one entry per row,
 * that value's type (null for NULL), since the column's `types` entry (null) cannot say whether its number
 * 1 is INTEGER 1 or REAL 1.0; null for every other column. Undefined when no column is of several types,
 * so that a reply carries it only where it says something.
 */
export type CellTypes = (ResultTypes | null)[]

/** `cellTypes` over the engine rows of a result (see CellTypes); `typeOf` as for columnTypes. */
export function cellTypes(width: number, rows: readonly (readonly unknown[])[], typeOf: (v: unknown) => ResultType | null = valueType as (v: unknown) => ResultType | null): CellTypes | undefined {
  const mixed: boolean[] = new Array<boolean>(width).fill(false)
  const first: (ResultType | null)[] = new Array<null>(width).fill(null)
  for (const row of rows) {
    for (let j = 0; j < width; j++) {
      const t = typeOf(row[j])
      if (t === null || mixed[j]) continue
      if (first[j] === null) first[j] = t
      else if (first[j] !== t) mixed[j] = true
    }
  }
  if (!mixed.includes(true)) return undefined
  return mixed.map((m, j) => (m ? rows.map((row) => typeOf(row[j])) : null))
}

/** The type of a JS value a client holds (integral numbers are INTEGER, as the wire reads them). */
export function clientValueType(v: unknown): ResultType | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint' || typeof v === 'boolean') return 'INTEGER'
  if (typeof v === 'number') return Number.isInteger(v) ? 'INTEGER' : 'REAL'
  if (typeof v === 'string') return 'TEXT'
  return v instanceof Uint8Array ? 'BLOB' : null
}

/** A reply's `types` when it is one entry per column, each a type name or null; else undefined (ignored). */
export function decodeResultTypes(v: unknown, width: number): ResultTypes | undefined {
  if (!Array.isArray(v) || v.length !== width) return undefined
  return v.every((t) => t === null || (typeof t === 'string' && RESULT_TYPE_NAMES.has(t))) ? [...(v as ResultTypes)] : undefined
}

/**
 * A reply's `cellTypes` when it is one entry per column, each null or one type name (or null) per row;
 * else undefined (ignored, as a malformed `types` is).
 */
export function decodeCellTypes(v: unknown, width: number, height: number): CellTypes | undefined {
  if (!Array.isArray(v) || v.length !== width) return undefined
  const column = (c: unknown): ResultTypes | null | undefined => (c === null ? null : decodeResultTypes(c, height))
  const decoded = v.map(column)
  return decoded.every((c) => c !== undefined) ? (decoded as CellTypes) : undefined
}

/** A whole REAL at least this large is written with an exponent, as SQLite's shell (%!.15g) writes it. */
const REAL_PLAIN_MAX = 1e15

/**
 * A REAL as SQLite's shell prints it: a whole number keeps its '.0' (`1.0`, `-0.0`), and an exponent has a
 * mantissa with a '.', a sign and two digits at least (`1.0e+20`, `1.0e-07`, `2.5e-10`). The digits are
 * JavaScript's shortest that read back as the same number (`0.1`, `2.5`), not the shell's 15 (`%!.15g`),
 * which lose some: no two REALs print the same. `Infinity` as JavaScript writes it. Valid JSON for every
 * finite number.
 */
export function realText(v: number): string {
  if (Object.is(v, -0)) return '-0.0'
  if (Number.isInteger(v) && Math.abs(v) < REAL_PLAIN_MAX) return `${String(v)}.0`
  const text = Number.isInteger(v) ? v.toExponential() : String(v)
  const e = text.indexOf('e')
  if (e < 0) return text
  const mantissa = text.slice(0, e)
  const sign = text[e + 1] === '-' ? '-' : '+'
  const digits = text.slice(e + 2).padStart(2, '0')
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${sign}${digits}`
}
