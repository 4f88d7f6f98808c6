// A GitHub-flavoured Markdown table: `| a | b |`, a `| --- |` line (numbers right-aligned with `---:`), one
// line per row. Every value stays distinguishable, in the source and rendered: a '|' inside a cell is
// written '\|' and a backslash '\\' (so no cell breaks the table, and a typed `\n` is `\\n`); a line break
// is `<br>`, as Markdown tables write one, and other control characters are character references
// (`&#x9;` for a tab); so that `<br>` or `&#x9;` typed in a value stay text, '&' is `&amp;` and '<' `&lt;`.
import { NULL_TEXT_DEFAULT } from './display.js'
import { cellText, cut, isNumericColumn, TEXT_CHARS_SHOWN_MAX, typeAt, type Grid } from './format-table.js'

const MARKDOWN_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '|': '\\|', '&': '&amp;', '<': '&lt;', '\n': '<br>' }

/** `s` safe inside a Markdown table cell. */
export function markdownCell(s: string): string {
  return s.replace(/[\\|&<\u0000-\u001f\u007f]/g, (c) => MARKDOWN_ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)
}

/** A value as its cell shows it: TEXT cut as in the aligned table, but with its own characters, escaped here. */
function markdownValue(v: unknown, nullText: string, type: string | null | undefined): string {
  return markdownCell(typeof v === 'string' ? cut(v, TEXT_CHARS_SHOWN_MAX) : cellText(v, nullText, type))
}

export function formatMarkdown(g: Grid, nullText = NULL_TEXT_DEFAULT): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  const rule = `|${g.columns.map((_, j) => (isNumericColumn(g, j) ? ' ---: ' : ' --- ')).join('|')}|`
  return [line(g.columns.map(markdownCell)), rule, ...g.rows.map((row, i) => line(g.columns.map((_, j) => markdownValue(row[j], nullText, typeAt(g, i, j)))))]
}
