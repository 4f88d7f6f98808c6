// `\logs on`: every CALL the console sends asks for its `log()` lines (CALL … WITH LOGS), and the lines
// come back in the reply (docs/console.md). Only the text sent changes; the source stays as typed.
import { parseScript } from '../sql/parse.js'
import { dim } from './display.js'
import { escapeControls } from './format-table.js'

/** `sent` with WITH LOGS appended when it is one CALL that does not ask for its logs already. */
export function withLogsAppended(sent: string): string {
  let statements
  try {
    statements = parseScript(sent)
  } catch {
    return sent // the server reports the syntax error, at the position the user typed
  }
  const [s] = statements
  if (statements.length !== 1 || s === undefined || s.kind !== 'call' || s.withLogs) return sent
  // Right after the statement's last token: before its `;` and any comment after it.
  const end = s.pos.offset + s.text.length
  if (sent.slice(s.pos.offset, end) !== s.text) return sent
  return `${sent.slice(0, end)} WITH LOGS${sent.slice(end)}`
}

/**
 * The lines a result's logs are shown as, after it: `log: …`, dimmed on a terminal. A function writes what it
 * likes: its controls and bidi characters are escaped as a cell's are (format-table.ts, escapeControls).
 */
export function logDisplayLines(logs: readonly string[], dimmed: boolean): string[] {
  return logs.map((l) => {
    const line = `log: ${escapeControls(l)}`
    return dimmed ? dim(line) : line
  })
}
