// A result downloaded as CSV (RFC 4180) or JSON, made in the page from the reply it already holds: a
// Blob behind an object URL, saved through an <a download> (nothing goes back to the server).
import { realText, typeAt, valueText } from './wire-values.js'

/**
 * One CSV field. NULL is an empty field; an empty string is `""`, so the two stay apart. A field with a
 * comma, a double quote, CR or LF is quoted, its quotes doubled (RFC 4180, 2.6 and 2.7).
 */
function csvField(v, type) {
  if (v === null || v === undefined) return ''
  const s = valueText(v, type)
  return s === '' || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * The header line of column names, then one line per row; lines end with CRLF (RFC 4180, 2.1). `types` and
 * `cellTypes`: the result's, when the server sent them (a REAL's 1 is written 1.0).
 */
export function toCsv(columns, rows, types, cellTypes) {
  const lines = [columns.map((c) => csvField(c)).join(',')]
  rows.forEach((row, i) => lines.push(row.map((v, j) => csvField(v, typeAt(types, cellTypes, i, j))).join(',')))
  return lines.join('\r\n') + '\r\n'
}

/** One wire value as JSON text: a finite number of a REAL column with its '.0' when whole, a -0 anywhere as -0.0 (still JSON numbers). */
function jsonValue(v, type) {
  return typeof v === 'number' && Number.isFinite(v) && (type === 'REAL' || Object.is(v, -0)) ? realText(v) : JSON.stringify(v)
}

/**
 * The result as the protocol sent it — `columns`, `rows` (values as on the wire: `{"$int": ...}` and
 * `{"$blob": ...}` kept, so nothing is rounded; a REAL column's whole numbers written 1.0), `rowsAffected`,
 * `commit`, and `logs` (CALL … WITH LOGS), `notice`, `types` and `cellTypes` when the reply has them — one
 * row per line.
 */
export function toJson(r) {
  const types = Array.isArray(r.types) ? r.types : undefined
  const cellTypes = Array.isArray(r.cellTypes) ? r.cellTypes : undefined
  const rows = r.rows.map((row, i) => `[${row.map((v, j) => jsonValue(v, typeAt(types, cellTypes, i, j))).join(',')}]`).join(',\n  ')
  const extra = (Array.isArray(r.logs) ? `, "logs": ${JSON.stringify(r.logs)}` : '') + (typeof r.notice === 'string' ? `, "notice": ${JSON.stringify(r.notice)}` : '') +
    (types !== undefined ? `, "types": ${JSON.stringify(types)}` : '') + (cellTypes !== undefined ? `, "cellTypes": ${JSON.stringify(cellTypes)}` : '')
  return `{"columns": ${JSON.stringify(r.columns)}, "rowsAffected": ${JSON.stringify(r.rowsAffected)}, "commit": ${JSON.stringify(r.commit ?? null)}${extra},\n "rows": [${rows.length > 0 ? `\n  ${rows}\n ` : ''}]}\n`
}

/** Saves `text` as a file named `filename`. */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.hidden = true
  document.body.appendChild(a)
  a.click()
  a.remove()
  // The download has taken the blob by the next turn; a minute is generous.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
