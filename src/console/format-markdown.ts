// A GitHub-flavoured Markdown table: `| a | b |`, a `| --- |` line (numbers right-aligned with `---:`), one
// line per row. Every value stays distinguishable, in the source and rendered: a '|' inside a cell is
// written '\|' and a backslash '\\' (so no cell breaks the table, and a typed `\n` is `\\n`); a line break
// is `<br>`, as Markdown tables write one, and the other characters the aligned table escapes (controls,
// bidi and other format characters: format-table.ts, INVISIBLE) are character references (`&#x9;` for a
// tab, `&#x202E;`); so that `<br>` or `&#x9;` typed in a value stay text, '&' is `&amp;` and '<' `&lt;`.
import { NULL_TEXT_DEFAULT } from './display.js'
import { cellText, cut, INVISIBLE, isNumericColumn, TEXT_CHARS_SHOWN_MAX, typeAt, type Grid } from './format-table.js'

const MARKDOWN_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '|': '\\|', '&': '&amp;', '<': '&lt;', '\n': '<br>' }

/** `s` safe inside a Markdown table cell. */
export function markdownCell(s: string): string {
  const escaped = s.replace(/[\\|&<]/g, (c) => MARKDOWN_ESCAPES[c] as string)
  return escaped.replace(INVISIBLE, (c) => MARKDOWN_ESCAPES[c] ?? `&#x${(c.codePointAt(0) as number).toString(16).toUpperCase()};`)
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
