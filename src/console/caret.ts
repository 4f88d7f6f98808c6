// The line a position points into, with a caret under its column, as psql shows it:
//   LINE 2:   FROM acount WHER id = 1;
//                         ^
import { displayWidth, escapeControls } from './format-table.js'
import { lineText, type LineColumn } from './text-position.js'

/** Characters of the source line shown around the caret; longer lines are cut with '…' on either side. */
export const CARET_CONTEXT_CHARS_MAX = 120

/**
 * A source line as it is shown, one piece per code point: a tab is one space (as psql shows it), and every
 * other character a cell escapes (format-table.ts, INVISIBLE: controls, bidi and other format characters)
 * is escaped as there, so that U+202E typed in a line neither reorders the line nor moves the caret off
 * its column.
 */
function shownPieces(points: readonly string[]): string[] {
  return points.map((c) => (c === '\t' ? ' ' : escapeControls(c)))
}

/** `label:` before the line number, escaped as the line is (a file name is anyone's text). */
function labelled(label: string, line: number): string {
  return `${label === '' ? 'LINE ' : `${escapeControls(label)}:`}${line}: `
}

/**
 * The line a statement starts on, labelled, for a failure with no column: from its start, cut after
 * CARET_CONTEXT_CHARS_MAX characters like a caret's line (a 17 MB INSERT refused as too large was echoed whole).
 */
export function sourceLine(text: string, line: number, label: string): string {
  const pieces = shownPieces(Array.from(lineText(text, line)))
  let shown = ''
  let i = 0
  for (; i < pieces.length && shown.length + (pieces[i] as string).length <= CARET_CONTEXT_CHARS_MAX; i++) shown += pieces[i] as string
  return `${labelled(label, line)}${shown}${i < pieces.length ? '…' : ''}`
}

/**
 * The two lines for position `at` of `text`. `label` names the source ('' for the REPL and a lone -e,
 * else e.g. 'setup.sql': "setup.sql:12: ..."). The line is shown as shownPieces says, and the caret goes
 * under the shown column of the character at `at` (after the escapes before it). A line of more than
 * CARET_CONTEXT_CHARS_MAX shown characters is cut around the caret, with '…' on either side cut.
 */
export function caretLines(text: string, at: LineColumn, label = ''): string[] {
  const source = lineText(text, at.line)
  const points = Array.from(source)
  const pieces = shownPieces(points)
  // before[i]: the shown characters before piece i. The caret's piece: the first that starts at or past its column.
  const before = [0]
  for (const p of pieces) before.push((before[before.length - 1] as number) + p.length)
  const col = Math.max(0, Math.min(at.column - 1, source.length))
  let caret = 0
  for (let unit = 0; caret < points.length && unit < col; caret++) unit += (points[caret] as string).length
  const total = before[pieces.length] as number
  let from = 0
  let to = pieces.length
  if (total > CARET_CONTEXT_CHARS_MAX) {
    const start = Math.max(0, Math.min((before[caret] as number) - Math.floor(CARET_CONTEXT_CHARS_MAX / 2), total - CARET_CONTEXT_CHARS_MAX))
    while ((before[from] as number) < start) from++
    to = from
    while (to < pieces.length && (before[to + 1] as number) - (before[from] as number) <= CARET_CONTEXT_CHARS_MAX) to++
  }
  const prefix = labelled(label, at.line) + (from > 0 ? '…' : '')
  const shown = pieces.slice(from, to).join('') + (to < pieces.length ? '…' : '')
  const beforeCaret = pieces.slice(from, Math.min(caret, to)).join('')
  return [prefix + shown, ' '.repeat(displayWidth(prefix) + displayWidth(beforeCaret)) + '^']
}
