// Expanded display (\x), as psql lays it out: one `-[ RECORD n ]-` block per row, one `column | value` line
// per column, for rows too wide to read across.
import { NULL_TEXT_DEFAULT } from './display.js'
import { cellText, padRight, typeAt, widestOf, type Grid } from './format-table.js'

/** The records of `g` without footer; no lines for no rows. */
export function formatExpanded(g: Grid, nullText = NULL_TEXT_DEFAULT): string[] {
  const names = g.columns.map((c) => cellText(c))
  const nameWidth = widestOf(names)
  const records = g.rows.map((row, i) => g.columns.map((_, j) => cellText(row[j], nullText, typeAt(g, i, j))))
  const valueWidth = widestOf(records.flat())
  const out: string[] = []
  records.forEach((values, i) => {
    const head = `-[ RECORD ${i + 1} ]`
    out.push(head + '-'.repeat(Math.max(0, nameWidth + 3 + valueWidth - head.length)))
    values.forEach((v, j) => out.push(`${padRight(names[j] as string, nameWidth)} | ${v}`.trimEnd()))
  })
  return out
}
