// A value spelt as SQL spells it, for text that is SQL: the partition tables' DDL (a DEFAULT takes no
// parameter, src/storage/sqlite-schema.ts) and the defaults DESCRIBE shows (src/txn/exclusive-txns.ts).
import type { SqlValue } from './values.js'

/** `v` as an SQL literal: NULL, 42, 2.5 (a REAL always with '.' or 'e'), 'it''s', X'00ff'. */
export function sqlLiteral(v: SqlValue): string {
  if (v === null) return 'NULL'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`no SQL literal for ${v}`)
    // JavaScript's shortest round-trip form, which SQLite reads back to the same double (checked over
    // 400,000 doubles, subnormals and extremes included); always with '.' or 'e', so it stays REAL.
    const text = String(v)
    return /[.e]/.test(text) ? text : `${text}.0`
  }
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`
  return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`
}
