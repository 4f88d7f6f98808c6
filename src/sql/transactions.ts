// BEGIN; ...; COMMIT; in a script → units, each of which runs as one transaction.
import { AcheronError } from '../errors.js'
import type { BeginStmt, CommitStmt, Statement } from './ast.js'

export type Unit =
  | { readonly kind: 'single'; readonly statement: Statement }
  /** The statements between BEGIN and COMMIT (neither included), all or nothing. */
  | { readonly kind: 'transaction'; readonly begin: BeginStmt; readonly statements: readonly Statement[]; readonly commit: CommitStmt }

function syntaxError(s: Statement, message: string): AcheronError {
  return new AcheronError('SYNTAX_ERROR', message, { line: s.pos.line, column: s.pos.column, statement: s.index })
}

/** Groups statements into units; an unbalanced or nested BEGIN/COMMIT is a SYNTAX_ERROR at the culprit. */
export function groupTransactions(statements: readonly Statement[]): Unit[] {
  const units: Unit[] = []
  let open: { begin: BeginStmt; statements: Statement[] } | null = null
  for (const s of statements) {
    if (s.kind === 'begin') {
      if (open !== null) throw syntaxError(s, `BEGIN inside a transaction (the BEGIN at line ${open.begin.pos.line}, column ${open.begin.pos.column} has no COMMIT yet)`)
      open = { begin: s, statements: [] }
    } else if (s.kind === 'commit') {
      if (open === null) throw syntaxError(s, 'COMMIT without BEGIN')
      units.push({ kind: 'transaction', begin: open.begin, statements: open.statements, commit: s })
      open = null
    } else if (open !== null) {
      open.statements.push(s)
    } else {
      units.push({ kind: 'single', statement: s })
    }
  }
  if (open !== null) throw syntaxError(open.begin, 'BEGIN without COMMIT: send the whole transaction, through its COMMIT, in one script')
  return units
}
