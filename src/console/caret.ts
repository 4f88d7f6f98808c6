// The line a position points into, with a caret under its column, as psql shows it:
//   LINE 2:   FROM acount WHER id = 1;
//                         ^
import { displayWidth } from './format-table.js'
import { lineText, type LineColumn } from './text-position.js'

/** Characters of the source line shown around the caret; longer lines are cut with '…' on either side. */
export const CARET_CONTEXT_CHARS_MAX = 120

/**
 * The line a statement starts on, labelled, for a failure with no column: from its start, cut after
 * CARET_CONTEXT_CHARS_MAX characters like a caret's line (a 17 MB INSERT refused as too large was echoed whole).
 */
export function sourceLine(text: string, line: number, label: string): string {
  const full = lineText(text, line).replace(/[\u0000-\u001f\u007f]/g, ' ')
  const shown = full.length > CARET_CONTEXT_CHARS_MAX ? `${full.slice(0, CARET_CONTEXT_CHARS_MAX)}…` : full
  return `${label}:${line}: ${shown}`
}

/**
 * The two lines for position `at` of `text`. `label` names the source ('' for the REPL and a lone -e,
 * else e.g. 'setup.sql': "setup.sql:12: ..."). Tabs and control characters show as one space, so the
 * caret stays under its column.
 */
export function caretLines(text: string, at: LineColumn, label = ''): string[] {
  const full = lineText(text, at.line).replace(/[\u0000-\u001f\u007f]/g, ' ')
  let col = Math.max(0, Math.min(at.column - 1, full.length))
  let shown = full
  let lead = ''
  if (full.length > CARET_CONTEXT_CHARS_MAX) {
    const from = Math.max(0, Math.min(col - Math.floor(CARET_CONTEXT_CHARS_MAX / 2), full.length - CARET_CONTEXT_CHARS_MAX))
    shown = full.slice(from, from + CARET_CONTEXT_CHARS_MAX)
    if (from > 0) lead = '…'
    if (from + CARET_CONTEXT_CHARS_MAX < full.length) shown += '…'
    col -= from
  }
  const prefix = `${label === '' ? 'LINE ' : `${label}:`}${at.line}: ${lead}`
  return [prefix + shown, ' '.repeat(displayWidth(prefix) + displayWidth(shown.slice(0, col))) + '^']
}
