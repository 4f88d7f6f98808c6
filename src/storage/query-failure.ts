/**
 * SQLite's refusal of a query or an expression, as the statement's failure. Most are CONSTRAINT with
 * SQLite's words ("query failed: integer overflow"); a value the query built past SQLite's length bound
 * (SQLITE_TOOBIG: a REPLACE, a concatenation or a group_concat of over a billion bytes) is
 * PAYLOAD_TOO_LARGE, saying which bound, as every other size limit is. Both are deterministic: the same
 * statement over the same state fails alike on replay.
 */
import Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'

/** SQLite's bound on one TEXT or BLOB value (SQLITE_MAX_LENGTH, its default in better-sqlite3's build). */
export const SQLITE_VALUE_BYTES_MAX = 1_000_000_000

/** `what`: 'query', or 'expression' for an UPDATE's SET or an upsert's over one row. */
export function queryFailure(err: InstanceType<typeof Database.SqliteError>, what: 'query' | 'expression' = 'query'): AcheronError {
  if (err.code === 'SQLITE_TOOBIG') {
    return new AcheronError('PAYLOAD_TOO_LARGE', `${what} failed: it built a text or blob value longer than ${SQLITE_VALUE_BYTES_MAX} bytes (SQLite's bound on one value, SQLITE_MAX_LENGTH): a REPLACE, a concatenation or an aggregate over too much text`)
  }
  return new AcheronError('CONSTRAINT', `${what} failed: ${err.message}`)
}
