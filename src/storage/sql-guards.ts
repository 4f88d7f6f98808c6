import type Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'

/**
 * `acheron_scalar_rows(rows, line, column)`: 1 while a subquery used as a value has given at most one row
 * (`rows`), else the statement fails at the subquery (line, column), as in PostgreSQL. SQLite itself
 * takes the first row it meets, which depends on the order rows are read in (src/sql/render.ts).
 */
export const SCALAR_ROWS_FUNCTION = 'acheron_scalar_rows'

/** PostgreSQL's words for it, and what to write instead. */
export const SCALAR_ROWS_MESSAGE = 'more than one row returned by a subquery used as an expression (a value takes one row: pick it with a condition on a key, an aggregate such as MAX, or ORDER BY … LIMIT 1)'

/**
 * Defines the checks the SQL renderer writes into statements on `db`. Each is a pure function of its
 * arguments, so a statement fails at the same point on every replay.
 */
export function defineGuardFunctions(db: Database.Database): void {
  db.function(SCALAR_ROWS_FUNCTION, { deterministic: true, safeIntegers: true }, (rows: unknown, line: unknown, column: unknown) => {
    if (typeof rows === 'bigint' && rows > 1n) {
      throw new AcheronError('CONSTRAINT', SCALAR_ROWS_MESSAGE, { line: Number(line), column: Number(column) })
    }
    return 1n
  })
}
