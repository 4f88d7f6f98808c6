// How results are shown, as \x and \pset set it (docs/console.md): the output format, expanded records,
// the text of NULL and whether long results go through a pager.

export const OUTPUT_FORMATS = ['aligned', 'csv', 'json', 'markdown', 'unaligned'] as const
export type OutputFormat = typeof OUTPUT_FORMATS[number]

/** \x: one record per row always, never, or when the aligned table is wider than the terminal. */
export const EXPANDED_MODES = ['off', 'on', 'auto'] as const
export type ExpandedMode = typeof EXPANDED_MODES[number]

/** How NULL is written until \pset null says otherwise (in CSV, an empty field: see formatCsv). */
export const NULL_TEXT_DEFAULT = 'NULL'

/**
 * `text` dimmed (SGR 2, then 22 to end it), for what the console writes to a terminal that is not data:
 * log lines, and the NULL marker while \pset null is unset, so that a NULL is told from the text 'NULL'.
 */
export function dim(text: string): string {
  return `\x1b[2m${text}\x1b[22m`
}

/** The longest \pset null text: a cell is one line, and the setting is for a marker, not a document. */
export const NULL_TEXT_CHARS_MAX = 64

export interface DisplaySettings {
  format: OutputFormat
  expanded: ExpandedMode
  /** How NULL is written as \pset null set it; null until it does (NULL_TEXT_DEFAULT, or empty in CSV). */
  nullText: string | null
  /** Long results on a terminal go through $PAGER (the REPL only). */
  pager: boolean
  /** psql's \t (tuples only, `-t`): rows without the column names and the footer, in aligned, unaligned and csv. */
  tuplesOnly: boolean
}

/** The settings at start: `--json` is the json format; psql's `-A` (unaligned) and `-t` (tuples only) without it. */
export function defaultDisplay(json: boolean, options: { readonly unaligned?: boolean; readonly tuplesOnly?: boolean } = {}): DisplaySettings {
  return { format: json ? 'json' : options.unaligned === true ? 'unaligned' : 'aligned', expanded: 'off', nullText: null, pager: true, tuplesOnly: !json && options.tuplesOnly === true }
}

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s)
}

export function isExpandedMode(s: string): s is ExpandedMode {
  return (EXPANDED_MODES as readonly string[]).includes(s)
}
