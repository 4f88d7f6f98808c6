// A result (or a \d listing) as text in the format \pset chose, expanded as \x says: the one place that
// picks a formatter. A result's footer (row count, commit) follows the aligned and unaligned forms; CSV,
// Markdown and JSON stay pure data.
import type { RemoteStatementResult } from '../client/remote.js'
import { dim, NULL_TEXT_DEFAULT, type DisplaySettings } from './display.js'
import { formatCsv, formatUnaligned } from './format-delimited.js'
import { formatExpanded } from './format-expanded.js'
import { gridJson, resultJson } from './format-json.js'
import { formatMarkdown } from './format-markdown.js'
import { displayWidth, footer, formatAligned, type Grid } from './format-table.js'

export interface Listing {
  /** Above an aligned table, as psql's `Table "t"`; null for none. */
  readonly title: string | null
  readonly grid: Grid
  /** Below the aligned and unaligned forms; null for none. */
  readonly footer: string | null
}

/** Whether the rows are shown as records: \x on, or auto and the aligned table wider than the terminal. */
export function isExpanded(lines: readonly string[], settings: DisplaySettings, terminalColumns: number | null): boolean {
  if (settings.expanded === 'on') return true
  if (settings.expanded === 'off' || terminalColumns === null) return false
  return lines.some((l) => displayWidth(l) > terminalColumns)
}

/**
 * The lines of a listing (no line ends). `dims`: the lines go to a terminal that shows colour, where an
 * aligned table or record shows the default NULL marker dimmed (docs/console.md): without it a NULL and the
 * text 'NULL' look alike. A \pset null text is the user's own marker, and shown as set; the other formats
 * are data, and stay plain.
 */
export function renderListing(l: Listing, settings: DisplaySettings, terminalColumns: number | null, dims = false): string[] {
  const { grid, title } = l
  // psql's \t: the rows alone, without the column names, the title and the footer (\x: records without their headers).
  const only = settings.tuplesOnly
  const tail = l.footer === null || only ? [] : [l.footer]
  const nullText = settings.nullText ?? NULL_TEXT_DEFAULT
  switch (settings.format) {
    case 'json':
      return [gridJson(grid)]
    case 'csv':
      return formatCsv(grid, settings.nullText).slice(only ? 1 : 0)
    case 'markdown':
      return formatMarkdown(grid, nullText)
    case 'unaligned':
      return [...formatUnaligned(grid, nullText).slice(only ? 1 : 0), ...tail]
    case 'aligned': {
      const head = title === null || only ? [] : [title]
      const shownNull = settings.nullText === null && dims ? dim(NULL_TEXT_DEFAULT) : nullText
      const aligned = formatAligned(grid, shownNull)
      if (isExpanded(aligned, settings, terminalColumns)) {
        const records = formatExpanded(grid, shownNull)
        return [...head, ...(only ? records.map((line) => (line.startsWith('-[ RECORD ') ? '' : line)).slice(1) : records), ...tail]
      }
      // Without the header, the columns are as wide as their values, as psql lays them out.
      return [...head, ...(only ? formatAligned({ ...grid, columns: grid.columns.map(() => '') }, shownNull).slice(2) : aligned), ...tail]
    }
  }
}

/** The lines of one statement's result; `tag` names a statement without columns (see statementTag); `dims`: as renderListing's. */
export function renderResult(r: RemoteStatementResult, tag: string, settings: DisplaySettings, terminalColumns: number | null, dims = false): string[] {
  if (settings.format === 'json') return [resultJson(r)]
  if (r.columns.length === 0) return [footer(r, tag)]
  return renderListing({ title: null, grid: r, footer: footer(r) }, settings, terminalColumns, dims)
}
