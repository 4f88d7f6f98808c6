// A result downloaded as CSV (RFC 4180) or JSON, made in the page from the reply it already holds: a
// Blob behind an object URL, saved through an <a download> (nothing goes back to the server).
import { valueText } from './wire-values.js'

/**
 * One CSV field. NULL is an empty field; an empty string is `""`, so the two stay apart. A field with a
 * comma, a double quote, CR or LF is quoted, its quotes doubled (RFC 4180, 2.6 and 2.7).
 */
function csvField(v) {
  if (v === null || v === undefined) return ''
  const s = valueText(v)
  return s === '' || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The header line of column names, then one line per row; lines end with CRLF (RFC 4180, 2.1). */
export function toCsv(columns, rows) {
  const lines = [columns.map(csvField).join(',')]
  for (const row of rows) lines.push(row.map(csvField).join(','))
  return lines.join('\r\n') + '\r\n'
}

/**
 * The result as the protocol sent it — `columns`, `rows` (values as on the wire: `{"$int": ...}` and
 * `{"$blob": ...}` kept, so nothing is rounded), `rowsAffected`, `commit`, and `logs` (CALL … WITH LOGS)
 * and `notice` when the reply has them — one row per line.
 */
export function toJson(r) {
  const rows = r.rows.map((row) => JSON.stringify(row)).join(',\n  ')
  const extra = (Array.isArray(r.logs) ? `, "logs": ${JSON.stringify(r.logs)}` : '') + (typeof r.notice === 'string' ? `, "notice": ${JSON.stringify(r.notice)}` : '')
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
