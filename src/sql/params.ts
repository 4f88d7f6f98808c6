// Where a script's parameter is: docs/sql.md reports a refused parameter value at its `?` (statement,
// line and column), embedded and remote alike. Shared by executeScript and the remote client, which
// checks values before sending them.
import { AcheronError } from '../errors.js'
import type { Statement } from './ast.js'

/**
 * Adds the statement, line and column of script-wide parameter `i` (0-based, in order of the `?` over
 * all statements) to an error about its value. A parameter past the script's last `?` keeps none.
 */
export function pinParam(err: unknown, statements: readonly Statement[], i: number): unknown {
  if (!(err instanceof AcheronError) || err.line !== undefined) return err
  let first = 0
  for (const s of statements) {
    if (i < first + s.paramCount) {
      const pos = s.paramPositions?.[i - first] ?? s.pos
      err.statement = s.index
      err.line = pos.line
      err.column = pos.column
      return err
    }
    first += s.paramCount
  }
  return err
}
