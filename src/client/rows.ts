// Object rows for `query(..., { rows: 'objects' })`: the server sends rows as arrays in column order;
// this keys each value by its column name.
import { AcheronError } from '../errors.js'
import { checkOptionNames } from '../option-names.js'
import type { SqlValue } from '../values.js'

/**
 * Each row as an object keyed by column name. A name that occurs twice (`SELECT a.id, b.id`) keeps the
 * later column's value, as node-postgres and better-sqlite3 do; alias the columns (`AS`) to keep both.
 * Object.fromEntries defines own properties, so a column named `__proto__` is a plain key, not the prototype.
 */
export function objectRows(columns: readonly string[], rows: readonly (readonly unknown[])[]): Record<string, SqlValue>[] {
  return rows.map((row, i) => {
    if (row.length !== columns.length) {
      throw new AcheronError('INTERNAL', `row ${i} has ${row.length} values for ${columns.length} columns`)
    }
    return Object.fromEntries(columns.map((c, j) => [c, row[j] as SqlValue]))
  })
}

/**
 * `query()`'s `options.rows`: 'arrays', 'objects' or absent. From JavaScript a misspelt value ('object')
 * silently gave arrays; it is refused before anything runs, embedded and remote alike.
 */
export function checkRowsOption(options: { rows?: unknown } | undefined): void {
  // null failed later as a TypeError ("reading 'rows'"), and a string (query(sql, [], 'objects')) has no
  // `rows`, so it silently gave arrays.
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    const got: unknown = options
    throw new AcheronError('TYPE_MISMATCH', `query() options is an object ({ rows }), got ${typeof got === 'string' ? JSON.stringify(got) : Array.isArray(got) ? 'an array' : String(got)}`)
  }
  if (options !== undefined) checkOptionNames('query()', options, ['rows'])
  const rows = options?.rows
  if (rows !== undefined && rows !== 'arrays' && rows !== 'objects') {
    throw new AcheronError('TYPE_MISMATCH', `query() options.rows is 'arrays' or 'objects', got ${typeof rows === 'string' ? JSON.stringify(rows) : String(rows)}`)
  }
}
