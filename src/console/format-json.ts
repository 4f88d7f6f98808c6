// The wire form of a result (CONTRACT.md §4), for --json and \pset format json: values encoded as on the
// wire (`{"$int": "digits"}` beyond ±2^53, `{"$blob": "base64"}`), with the result's `types`. In the text,
// a REAL column's whole numbers keep their '.0' (`1.0`), as SQLite's `.mode json` writes them: still a
// JSON number, which a reader that has floats (Python, jq) reads as one, not as the integer 1.
import type { RemoteStatementResult } from '../client/remote.js'
import { realText } from '../result-types.js'
import { encodeValue } from '../server/wire.js'
import { typeAt, type Grid } from './format-table.js'

export function wireResult(r: RemoteStatementResult): Record<string, unknown> {
  return {
    columns: r.columns, rows: wireRows(r), rowsAffected: r.rowsAffected, commit: r.commit,
    ...(r.logs !== undefined ? { logs: r.logs } : {}), ...(r.notice !== undefined ? { notice: r.notice } : {}),
    ...(r.types !== undefined ? { types: r.types } : {}),
    ...(r.cellTypes !== undefined ? { cellTypes: r.cellTypes } : {}),
  }
}

export function wireRows(g: Grid): unknown[][] {
  return g.rows.map((row) => row.map(encodeValue))
}

/** One value as JSON text: a finite REAL number (typeAt), or a -0 anywhere, as realText writes it, else as the wire has it. */
function jsonValue(v: unknown, type: string | null | undefined): string {
  if (typeof v === 'number' && Number.isFinite(v) && (type === 'REAL' || Object.is(v, -0))) return realText(v)
  return JSON.stringify(encodeValue(v))
}

/** `{"columns": …, "rows": …, …rest}` as one line, the rows written by jsonValue. */
function withRows(g: Grid, rest: Record<string, unknown>): string {
  const rows = g.rows.map((row, i) => `[${row.map((v, j) => jsonValue(v, typeAt(g, i, j))).join(',')}]`).join(',')
  const tail = JSON.stringify(rest)
  return `{"columns":${JSON.stringify(g.columns)},"rows":[${rows}]${tail === '{}' ? '' : `,${tail.slice(1, -1)}`}}`
}

/** A statement's result as one JSON line (--json). */
export function resultJson(r: RemoteStatementResult): string {
  const { columns: _c, rows: _r, ...rest } = wireResult(r)
  return withRows(r, rest)
}

/** A listing's grid (a \d table, a query's rows) as one JSON line. */
export function gridJson(g: Grid): string {
  return withRows(g, { ...(g.types !== undefined ? { types: g.types } : {}), ...(g.cellTypes !== undefined ? { cellTypes: g.cellTypes } : {}) })
}
