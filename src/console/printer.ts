// What the console writes: results as tables (or, with --json, one wire result object R per line on
// stdout), failures as `ERROR CODE: message` with the source line and a caret (or, with --json, one error
// object per line on stderr), and the \timing line.
import type { RemoteStatementResult } from '../client/remote.js'
import { encodeValue } from '../server/wire.js'
import { caretLines } from './caret.js'
import { formatTable, statementTag } from './format-table.js'
import type { LocatedError } from './session.js'
import type { SourceStatement } from './source.js'
import { lineColumnOf, lineText } from './text-position.js'

export interface ConsoleIO {
  out(text: string): void
  err(text: string): void
}

/** The wire form of a result (CONTRACT.md §4): values encoded as on the wire ($int, $blob). */
export function wireResult(r: RemoteStatementResult): Record<string, unknown> {
  return { columns: r.columns, rows: r.rows.map((row) => row.map(encodeValue)), rowsAffected: r.rowsAffected, commit: r.commit }
}

/**
 * The wire form of an error, with `line`/`column` in the statement's source (the -f file, the -e argument,
 * the REPL input) and `statement` its 0-based index among all the statements of the run; `source` names a
 * -f file or one of several -e arguments.
 */
export function wireError(f: LocatedError): Record<string, unknown> {
  const e = f.error
  const out: Record<string, unknown> = { code: e.code, message: e.message }
  if (f.at !== null) { out.line = f.at.line; out.column = f.at.column }
  if (f.statement !== null) out.statement = f.statement.index
  if (e.commit !== undefined) out.commit = e.commit
  if (f.statement !== null && f.statement.source.label !== '') out.source = f.statement.source.label
  return out
}

/** The human form of a failure, as lines. */
export function failureLines(f: LocatedError): string[] {
  const e = f.error
  const lines = [`ERROR ${e.code}: ${e.message}`]
  const s = f.statement
  if (s !== null && f.at !== null) {
    lines.push(...caretLines(s.source.text, f.at, s.source.label))
  } else if (s !== null && s.source.label !== '') {
    const at = lineColumnOf(s.source.text, s.offset)
    lines.push(`${s.source.label}:${at.line}: ${lineText(s.source.text, at.line)}`)
  }
  if (e.commit !== undefined) lines.push(`rolled back: the transaction ran at commit {batch: ${e.commit.batch}, seq: ${e.commit.seq}}`)
  if (e.outcomeUnknown === true) lines.push('the statement may or may not have committed: look before running it again')
  return lines
}

export class Printer {
  constructor(private readonly io: ConsoleIO, readonly json: boolean) {}

  /** The results of a unit, one per statement (`statements[i]` produced `results[i]`). */
  results(results: readonly RemoteStatementResult[], statements: readonly SourceStatement[] = []): void {
    for (const [i, r] of results.entries()) {
      if (this.json) {
        this.io.out(JSON.stringify(wireResult(r)) + '\n')
      } else {
        const lines = formatTable(r, statementTag(statements[i]?.text ?? ''))
        this.io.out(lines.join('\n') + (r.columns.length > 0 ? '\n\n' : '\n'))
      }
    }
  }

  failure(f: LocatedError): void {
    this.io.err(this.json ? JSON.stringify(wireError(f)) + '\n' : failureLines(f).join('\n') + '\n')
  }

  timing(elapsedMs: number): void {
    this.io.out(`Time: ${elapsedMs.toFixed(3)} ms\n`)
  }

  /** A line for the person at the REPL (not part of any result). */
  note(text: string): void {
    this.io.out(text + '\n')
  }

  warn(text: string): void {
    this.io.err(text + '\n')
  }
}
