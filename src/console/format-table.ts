// A result set as a psql-style aligned table: centred header, a separator, one line per row, numbers
// right-aligned, NULL as \pset null says (NULL by default), BLOBs as X'hex' (cut after BLOB_BYTES_SHOWN_MAX bytes), and a footer with
// the row count, rows affected and the commit position {batch, seq}.
import { NULL_TEXT_DEFAULT } from './display.js'
import type { CommitPosition } from '../errors.js'
import { realText } from '../result-types.js'

/** Bytes of a BLOB shown before it is cut, with its length after it. */
export const BLOB_BYTES_SHOWN_MAX = 16
/** Characters of a TEXT value shown before it is cut with '…'. */
export const TEXT_CHARS_SHOWN_MAX = 400

/** Columns and rows: what every output format lays out. */
export interface Grid {
  readonly columns: readonly string[]
  readonly rows: readonly (readonly unknown[])[]
  /** A result's column types (src/result-types.ts): a REAL column's whole numbers are shown 1.0, as SQLite's shell does. */
  readonly types?: readonly (string | null)[] | undefined
  /** For a column of values of several types (its `types` entry null), each value's type (src/result-types.ts, CellTypes). */
  readonly cellTypes?: readonly (readonly (string | null)[] | null)[] | undefined
}

/** The type of row i's value in column j: its column's, else (a column of several types) its own. */
export function typeAt(g: Grid, i: number, j: number): string | null | undefined {
  return g.types?.[j] ?? g.cellTypes?.[j]?.[i]
}

/**
 * A number as its column's type shows it: a REAL with its '.0' when whole (realText), any other as it is.
 * A -0 is a REAL in any column (no INTEGER has a signed zero), so it is `-0.0` also in a column of mixed
 * types, where String(-0) wrote `0`.
 */
export function numberText(v: number | bigint, type: string | null | undefined): string {
  return typeof v === 'number' && (type === 'REAL' || Object.is(v, -0)) ? realText(v) : String(v)
}

export interface ResultSet extends Grid {
  readonly rowsAffected: number
  readonly commit: CommitPosition
}

/**
 * What a cell, a record or a log line never shows raw: control characters (C0, DEL, C1), format characters
 * (the bidi overrides, embeddings, isolates and marks, which reorder what follows them, U+202E showing
 * "txt.exe" as "exe.txt"; zero-width spaces, the BOM, the soft hyphen, which hide), the line and paragraph
 * separators and lone surrogates. They would move, hide or break what the user reads, and the columns.
 * The zero-width joiner stays: it joins an emoji sequence into one picture (👩‍💻) and moves nothing.
 */
export const INVISIBLE = /(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu

/**
 * One rule for them all: `\n`, `\t`, `\r`, else the code point in hex, `\xHH` up to U+00FF (`\x1b`, `\x85`),
 * `\uHHHH` in the rest of the BMP (`\u202e`), `\u{HHHHH}` beyond. CSV, unaligned and JSON keep values exact.
 */
export function escapeControls(s: string): string {
  return s.replace(INVISIBLE, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\t') return '\\t'
    if (c === '\r') return '\\r'
    const cp = c.codePointAt(0) as number
    const hex = cp.toString(16)
    if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`
    return cp <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`
  })
}

/**
 * An error's message as the console prints it under `ERROR CODE:`: escaped as a cell is (a function's abort
 * message, or a key or value quoted in it, may hold U+202E), but its line breaks kept, as a message may span lines.
 */
export function escapeMessage(s: string): string {
  return s.split('\n').map(escapeControls).join('\n')
}

export function cut(s: string, max: number): string {
  const points = Array.from(s)
  return points.length > max ? `${points.slice(0, max).join('')}…` : s
}

/** One value as a table cell shows it: on one line, bounded; NULL as `nullText`; `type`: its own (typeAt). */
export function cellText(v: unknown, nullText = NULL_TEXT_DEFAULT, type?: string | null): string {
  if (v === null || v === undefined) return nullText
  if (typeof v === 'number' || typeof v === 'bigint') return numberText(v, type)
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  if (v instanceof Uint8Array) {
    const shown = Buffer.from(v.buffer, v.byteOffset, Math.min(v.byteLength, BLOB_BYTES_SHOWN_MAX)).toString('hex')
    return v.byteLength > BLOB_BYTES_SHOWN_MAX ? `X'${shown}…' (${v.byteLength} bytes)` : `X'${shown}'`
  }
  return cut(escapeControls(typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)), TEXT_CHARS_SHOWN_MAX)
}

function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd)
}

/**
 * SGR escapes (dimmed log lines and NULLs, src/console/display.ts dim): they take no columns. A value's
 * own control characters never reach a cell raw (escapeControls writes ESC as `\x1b`), so every ESC in a
 * cell or line is one of these.
 */
const SGR_ESCAPE = /\x1b\[[0-9;]*m/g

/**
 * Terminal columns a string takes: combining marks 0, East Asian wide characters and emoji 2, SGR
 * escapes 0, others 1.
 */
export function displayWidth(text: string): number {
  const s = text.includes('\x1b') ? text.replace(SGR_ESCAPE, '') : text
  let w = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) continue
    w += isWide(cp) ? 2 : 1
  }
  return w
}

export function padRight(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)))
}

function padLeft(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(s))) + s
}

function centre(s: string, width: number): string {
  const room = Math.max(0, width - displayWidth(s))
  const left = Math.floor(room / 2)
  return ' '.repeat(left) + s + ' '.repeat(room - left)
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/**
 * What a statement is, for the footer of a result without columns: its verb, with the object for DDL
 * ('CREATE TABLE', 'CREATE OR REPLACE FUNCTION', 'CREATE INDEX', 'INSERT', 'BEGIN'), as psql prints it.
 */
export function statementTag(text: string): string {
  const words = (text.match(/^[A-Za-z_]+(\s+[A-Za-z_]+){0,3}/)?.[0] ?? '').toUpperCase().split(/\s+/)
  const first = words[0] ?? ''
  // psql's tags for the other spellings of BEGIN and COMMIT.
  if (first === 'START') return 'START TRANSACTION'
  if (first === 'END') return 'COMMIT'
  if (first === 'WITH') return verbAfterWith(text)
  if (first !== 'CREATE' && first !== 'DROP' && first !== 'ALTER') return first
  const object = words.findIndex((w) => w === 'TABLE' || w === 'FUNCTION' || w === 'FUNCTIONS' || w === 'INDEX')
  return object < 0 ? first : words.slice(0, object + 1).join(' ')
}

const DML_TAGS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE'])
const MAIN_VERBS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'SELECT'])

/**
 * The statement a WITH clause leads to (`WITH x AS (…) DELETE …` is a DELETE, as psql tags it): the first
 * of INSERT, UPDATE, DELETE or SELECT outside the parentheses of the common tables, strings, quoted names and
 * comments. WITH when there is none.
 */
function verbAfterWith(text: string): string {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1)
      if (close < 0) break
      i = close
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      if (end < 0) break
      i = end
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      if (end < 0) break
      i = end + 1
    } else if (c === '(') depth++
    else if (c === ')') depth--
    else if (depth === 0 && /[A-Za-z_]/.test(c) && (i === 0 || !/[A-Za-z0-9_$]/.test(text[i - 1] as string))) {
      const word = (/^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(i))?.[0] ?? '')
      if (MAIN_VERBS.has(word.toUpperCase())) return word.toUpperCase()
      i += word.length - 1
    }
  }
  return 'WITH'
}

/**
 * `(2 rows)  commit {batch: 7, seq: 0}` under a table; `INSERT: 1 row affected  commit {batch: 7, seq: 1}`
 * or `CREATE TABLE  commit {batch: 3, seq: 0}` for a statement without columns (`tag`: see statementTag).
 */
export function footer(r: ResultSet, tag = ''): string {
  // SHOW STATS is no transaction: it has no position of its own (seq -1), only the batch its numbers follow
  // (it printed `commit {batch: 7, seq: -1}`); the browser says the same.
  const commit = r.commit.seq < 0 ? `as of batch ${r.commit.batch} (not a transaction)` : `commit {batch: ${r.commit.batch}, seq: ${r.commit.seq}}`
  if (r.columns.length === 0) {
    const affected = DML_TAGS.has(tag) || r.rowsAffected > 0 || tag === '' ? `${plural(r.rowsAffected, 'row', 'rows')} affected` : ''
    return `${[tag, affected].filter((p) => p !== '').join(': ')}  ${commit}`
  }
  const affected = r.rowsAffected > 0 ? `, ${r.rowsAffected} affected` : ''
  return `(${plural(r.rows.length, 'row', 'rows')}${affected})  ${commit}`
}

/** The table (when the result has columns) and its footer, as lines without line ends; `tag` as for footer. */
export function formatTable(r: ResultSet, tag = '', nullText = NULL_TEXT_DEFAULT): string[] {
  if (r.columns.length === 0) return [footer(r, tag)]
  return [...formatAligned(r, nullText), footer(r)]
}

/** Whether column `j` holds numbers only (NULLs aside): it is right-aligned. */
export function isNumericColumn(g: Grid, j: number): boolean {
  const present = g.rows.map((row) => row[j]).filter((v) => v !== null && v !== undefined)
  return present.length > 0 && present.every((v) => typeof v === 'number' || typeof v === 'bigint')
}

/**
 * The widest display width among `texts`, at least `min`. A loop: spreading a result's values into
 * Math.max passes each as an argument, which overflows the stack past about 120,000 of them.
 */
export function widestOf(texts: Iterable<string>, min = 0): number {
  let widest = min
  for (const t of texts) widest = Math.max(widest, displayWidth(t))
  return widest
}

/** The aligned table without footer: header, separator, one line per row. */
export function formatAligned(r: Grid, nullText = NULL_TEXT_DEFAULT): string[] {
  const cells = r.rows.map((row, i) => r.columns.map((_, j) => cellText(row[j], nullText, typeAt(r, i, j))))
  const numeric = r.columns.map((_, j) => isNumericColumn(r, j))
  const widths = r.columns.map((c, j) => widestOf(cells.map((row) => row[j] as string), displayWidth(cellText(c))))
  const line = (parts: string[]): string => ` ${parts.join(' | ')}`.trimEnd()
  const out = [
    line(r.columns.map((c, j) => centre(cellText(c), widths[j] as number))),
    widths.map((w) => '-'.repeat(w + 2)).join('+'),
  ]
  for (const row of cells) out.push(line(row.map((c, j) => (numeric[j] ? padLeft : padRight)(c, widths[j] as number))))
  return out
}
