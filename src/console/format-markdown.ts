// A GitHub-flavoured Markdown table: `| a | b |`, a `| --- |` line (numbers right-aligned with `---:`), one
// line per row. A '|' inside a cell is written '\|' and a backslash '\\', so no cell breaks the table.
import { NULL_TEXT_DEFAULT } from './display.js'
import { cellText, isNumericColumn, type Grid } from './format-table.js'

/** `s` safe inside a Markdown table cell. */
export function markdownCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|')
}

export function formatMarkdown(g: Grid, nullText = NULL_TEXT_DEFAULT): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.map(markdownCell).join(' | ')} |`
  const rule = `|${g.columns.map((_, j) => (isNumericColumn(g, j) ? ' ---: ' : ' --- ')).join('|')}|`
  return [line(g.columns), rule, ...g.rows.map((row) => line(g.columns.map((_, j) => cellText(row[j], nullText))))]
}
