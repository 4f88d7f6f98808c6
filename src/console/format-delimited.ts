// Output for programs: CSV (RFC 4180 quoting) and psql's unaligned format (fields between '|'). Values are
// whole here, unlike in a table cell: TEXT is neither cut nor escaped, a BLOB is all of its X'hex'.
import { NULL_TEXT_DEFAULT } from './display.js'
import { numberText, typeAt, type Grid } from './format-table.js'

/** A value as it is, on as many lines as it has; NULL as `nullText`; `type`: its own (typeAt). */
export function plainText(v: unknown, nullText = NULL_TEXT_DEFAULT, type?: string | null): string {
  if (v === null || v === undefined) return nullText
  if (typeof v === 'number' || typeof v === 'bigint') return numberText(v, type)
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  if (v instanceof Uint8Array) return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)
}

/**
 * One CSV field (RFC 4180 §2): quoted when it holds a comma, a quote or a line break (or `delimiter`,
 * for \copy's other delimiters); quotes doubled.
 */
export function csvField(s: string, delimiter = ','): string {
  return /[",\r\n]/.test(s) || (delimiter !== ',' && s.includes(delimiter)) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * One value as a CSV field. NULL is an empty field and the empty string `""`, as COPY … CSV writes them:
 * a NULL stays apart from '' and from the text 'NULL'. A `nullText` set by \pset null replaces the empty field.
 */
function csvValue(v: unknown, nullText: string | null = null, type?: string | null): string {
  if (v === null || v === undefined) return csvField(nullText ?? '')
  return v === '' ? '""' : csvField(plainText(v, NULL_TEXT_DEFAULT, type))
}

/** A header record, then one record per row; records end with '\n', as psql writes them. NULL: see csvValue. */
export function formatCsv(g: Grid, nullText: string | null = null): string[] {
  return [g.columns.map((c) => csvField(c)).join(','), ...g.rows.map((row, i) => g.columns.map((_, j) => csvValue(row[j], nullText, typeAt(g, i, j))).join(','))]
}

/** psql's unaligned format: a header line and one line per row, fields joined by '|', nothing padded. */
export function formatUnaligned(g: Grid, nullText = NULL_TEXT_DEFAULT): string[] {
  return [g.columns.join('|'), ...g.rows.map((row, i) => g.columns.map((_, j) => plainText(row[j], nullText, typeAt(g, i, j))).join('|'))]
}
