// The wire form of a result (CONTRACT.md §4), for --json and \pset format json: values encoded as on the
// wire (`{"$int": "digits"}` beyond ±2^53, `{"$blob": "base64"}`).
import type { RemoteStatementResult } from '../client/remote.js'
import { encodeValue } from '../server/wire.js'
import type { Grid } from './format-table.js'

export function wireResult(r: RemoteStatementResult): Record<string, unknown> {
  return { columns: r.columns, rows: wireRows(r), rowsAffected: r.rowsAffected, commit: r.commit, ...(r.logs !== undefined ? { logs: r.logs } : {}), ...(r.notice !== undefined ? { notice: r.notice } : {}) }
}

export function wireRows(g: Grid): unknown[][] {
  return g.rows.map((row) => row.map(encodeValue))
}
