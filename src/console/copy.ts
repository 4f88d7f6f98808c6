// psql's \copy: a table's rows from a file, or a table's (or a query's) rows to a file or stdout, in
// psql's text format (tab-separated, \N for NULL, backslash escapes) or CSV (RFC 4180; an empty unquoted
// field is NULL, "" the empty string). The console reads and writes the file: the server sees INSERTs of
// at most COPY_ROWS_PER_INSERT rows with parameters, each its own transaction (a request is one
// transaction, and one of a whole file would pass every frame and row limit), and one SELECT.
//
//   \copy table [(col, …)] from 'file' [with] [(format csv, header, delimiter ',', null 'x')]
//   \copy {table [(col, …)] | (query)} to {'file' | stdout} [with] [(…)]
//
// The options may also be written without parentheses, as psql's older form: `csv header delimiter ';'`.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileProblem } from '../file-problem.js'
import { quoteIdent } from './describe.js'
import { CopyError, copyRecords, type CopyRecord } from './copy-read.js'
import { csvField } from './format-delimited.js'
import { escapeControls, numberText, typeAt, type Grid } from './format-table.js'
import { expandTilde } from './tilde.js'

/** Rows per INSERT (and per transaction) of \copy … from. */
export const COPY_ROWS_PER_INSERT = 1_000
/** The most parameters one INSERT of \copy carries (fewer rows per INSERT for wide tables). */
export const COPY_PARAMS_PER_INSERT_MAX = 30_000
/**
 * The most bytes of values one INSERT of \copy carries, as wireBytesMax counts them (fewer rows per INSERT
 * for large values): well within a server's frame limit, 16 MiB by default.
 */
export const COPY_BYTES_PER_INSERT_MAX = 4 * 1024 * 1024

export { CopyError, parseCsv, parseText, type CsvRecord } from './copy-read.js'

export type CopyFormat = 'text' | 'csv'

export interface CopyCommand {
  readonly direction: 'from' | 'to'
  /** A table name, or null when `query` is given. */
  readonly table: string | null
  readonly columns: readonly string[] | null
  /** `(query)` of \copy … to. */
  readonly query: string | null
  /** A path, or null for stdout. */
  readonly file: string | null
  readonly format: CopyFormat
  readonly header: boolean
  readonly delimiter: string
  /** The text that stands for NULL: `\N` in text, the empty unquoted field in CSV. */
  readonly nullText: string
}


/** Tokens of a \copy line: words, 'quoted' (with '' for '), "quoted identifiers", parentheses and commas. */
function tokens(text: string): { kind: 'word' | 'string' | 'ident' | 'punct'; text: string; at: number }[] {
  const out: { kind: 'word' | 'string' | 'ident' | 'punct'; text: string; at: number }[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) { i++; continue }
    if (c === '(' || c === ')' || c === ',') { out.push({ kind: 'punct', text: c, at: i }); i++; continue }
    if (c === "'" || c === '"') {
      let j = i + 1
      let s = ''
      for (;;) {
        if (j >= text.length) throw new CopyError(`a quote opened at column ${i + 1} is not closed`)
        if (text[j] === c) {
          if (text[j + 1] === c) { s += c; j += 2; continue }
          break
        }
        s += text[j]
        j++
      }
      out.push({ kind: c === "'" ? 'string' : 'ident', text: s, at: i })
      i = j + 1
      continue
    }
    let j = i
    while (j < text.length && !/[\s(),'"]/.test(text[j] as string)) j++
    out.push({ kind: 'word', text: text.slice(i, j), at: i })
    i = j
  }
  return out
}

/** The query of `\copy (query) to …`: the text between the first '(' and its matching ')', quotes respected. */
function parenthesized(text: string): { query: string; rest: string } {
  let depth = 0
  let quote: string | null = null
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote !== null) {
      if (c === quote) quote = null
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return { query: text.slice(1, i).trim(), rest: text.slice(i + 1) }
  }
  throw new CopyError('the query in parentheses is not closed')
}

/** Reads the text after `\copy`. */
export function parseCopy(text: string): CopyCommand {
  // A `;` at the end is typed by habit after SQL, and psql takes it (its server's COPY ends there); one
  // inside a quote (`null ';'`) is followed by the closing quote and stays.
  let rest = text.trim().replace(/[;\s]+$/, '')
  let query: string | null = null
  if (rest.startsWith('(')) {
    const p = parenthesized(rest)
    query = p.query.replace(/;\s*$/, '')
    if (query === '') throw new CopyError('the query in parentheses is empty')
    rest = p.rest
  }
  const t = tokens(rest)
  let k = 0
  const next = () => t[k++]
  const word = (w: string) => t[k]?.kind === 'word' && (t[k] as { text: string }).text.toLowerCase() === w
  let table: string | null = null
  let columns: string[] | null = null
  if (query === null) {
    const name = next()
    if (name === undefined || (name.kind !== 'word' && name.kind !== 'ident')) throw new CopyError('expected a table name or (query): \\copy table from \'file\' [csv] [header]')
    table = name.text
    if (t[k]?.text === '(' && t[k]?.kind === 'punct') {
      k++
      columns = []
      for (;;) {
        const c = next()
        if (c === undefined || (c.kind !== 'word' && c.kind !== 'ident')) throw new CopyError('expected a column name in the column list')
        columns.push(c.text)
        const sep = next()
        if (sep?.text === ')') break
        if (sep?.text !== ',') throw new CopyError('expected , or ) in the column list')
      }
    }
  }
  const dir = next()
  const direction = dir?.kind === 'word' ? dir.text.toLowerCase() : ''
  if (direction !== 'from' && direction !== 'to') throw new CopyError(`expected from or to${dir === undefined ? '' : `, not "${dir.text}"`}`)
  if (query !== null && direction === 'from') throw new CopyError('copy from a query is not possible: name a table')
  const target = next()
  if (target === undefined) throw new CopyError(`expected a file name after ${direction}`)
  let file: string | null = target.text
  if (target.kind === 'word' && ['stdin', 'stdout', 'pstdin', 'pstdout'].includes(target.text.toLowerCase())) {
    if (direction === 'from') throw new CopyError('\\copy from stdin is not supported here: give a file name')
    file = null
  } else if (target.kind === 'punct') throw new CopyError(`expected a file name after ${direction}`)
  let format = 'text' as CopyFormat
  let header = false
  let delimiter = null as string | null
  let nullText = null as string | null
  if (word('with')) k++
  const option = (name: string, value: () => string | null) => {
    switch (name.toLowerCase()) {
      case 'format': {
        const f = (value() ?? '').toLowerCase()
        if (f !== 'csv' && f !== 'text') throw new CopyError(`format must be csv or text, not "${f}"`)
        format = f
        return
      }
      case 'csv': format = 'csv'; return
      case 'text': format = 'text'; return
      case 'binary': throw new CopyError('the binary format is not supported: use csv or text')
      case 'header': {
        const v = value()
        if (v !== null && !['true', 'on', '1', 'false', 'off', '0'].includes(v.toLowerCase())) throw new CopyError(`header takes true or false, not "${v}"`)
        header = v === null || ['true', 'on', '1'].includes(v.toLowerCase())
        return
      }
      case 'delimiter': {
        const v = value()
        if (v === null || Array.from(v).length !== 1 || /[\r\n"\\]/.test(v)) throw new CopyError('delimiter must be one character, not a line break, quote or backslash')
        delimiter = v
        return
      }
      case 'null': {
        const v = value()
        if (v === null || /[\r\n]/.test(v)) throw new CopyError('null takes a quoted text without line breaks')
        nullText = v
        return
      }
      default: throw new CopyError(`unknown option "${name}" (format, header, delimiter, null)`)
    }
  }
  if (t[k]?.text === '(' && t[k]?.kind === 'punct') {
    k++
    for (;;) {
      const name = next()
      if (name === undefined || name.kind !== 'word') throw new CopyError('expected an option name (format, header, delimiter, null)')
      option(name.text, () => {
        const v = t[k]
        if (v === undefined || v.kind === 'punct') return null
        k++
        return v.text
      })
      const sep = next()
      if (sep?.text === ')') break
      if (sep?.text !== ',') throw new CopyError('expected , or ) in the options')
    }
  } else {
    // psql's older form: csv header delimiter 'c' null 'x'
    while (k < t.length) {
      const name = next() as { kind: string; text: string }
      if (name.kind !== 'word') throw new CopyError(`expected an option, not "${name.text}"`)
      const takesValue = ['delimiter', 'null', 'format'].includes(name.text.toLowerCase())
      option(name.text, () => {
        if (!takesValue) return null
        const v = next()
        return v === undefined || v.kind === 'punct' ? null : v.text
      })
    }
  }
  if (k < t.length) throw new CopyError(`unexpected "${(t[k] as { text: string }).text}" after the options`)
  const d = delimiter ?? (format === 'csv' ? ',' : '\t')
  return { direction, table, columns, query, file, format, header, delimiter: d, nullText: nullText ?? (format === 'csv' ? '' : '\\N') }
}

function escapeText(s: string, delimiter: string): string {
  let out = ''
  for (const c of s) {
    if (c === '\\') out += '\\\\'
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t' && delimiter === '\t') out += '\\t'
    else if (c === delimiter) out += `\\${c}`
    else out += c
  }
  return out
}

/** A field's text as the value of a column of `type` (INTEGER, REAL, BOOLEAN, TEXT, BLOB), or why it is none. */
export function fieldValue(text: string, type: string): unknown {
  switch (type.toUpperCase()) {
    case 'INTEGER': {
      const t = text.trim()
      if (!/^[+-]?\d+$/.test(t)) throw new CopyError(`"${text}" is no INTEGER`)
      const n = BigInt(t)
      if (n > 9223372036854775807n || n < -9223372036854775808n) throw new CopyError(`${t} is out of INTEGER's range`)
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
    }
    case 'REAL': {
      const t = text.trim()
      if (/^[+-]?(infinity|inf)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity
      // Decimal only: Number() also reads 0x10, 0b11 and 0o7, which no SQL nor psql file means as a REAL.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) throw new CopyError(`"${text}" is no REAL`)
      const n = Number(t)
      if (!Number.isFinite(n)) throw new CopyError(`${t} is out of REAL's range (write Infinity for infinity)`)
      return n
    }
    case 'BOOLEAN': {
      // PostgreSQL's spellings (psql users' files say t/f), and the 1/0 that \copy … to writes.
      const t = text.trim().toLowerCase()
      if (['1', 't', 'true', 'y', 'yes', 'on'].includes(t)) return 1
      if (['0', 'f', 'false', 'n', 'no', 'off'].includes(t)) return 0
      throw new CopyError(`"${text}" is no BOOLEAN (write 1 or 0, true or false, t or f)`)
    }
    case 'BLOB': {
      if (!/^\\x([0-9a-fA-F]{2})*$/.test(text)) throw new CopyError(`"${text.length > 40 ? `${text.slice(0, 40)}…` : text}" is no BLOB (write bytes as \\x followed by hex digits)`)
      return new Uint8Array(Buffer.from(text.slice(2), 'hex'))
    }
    default:
      return text
  }
}

/**
 * A value as \copy … to writes it (before the format's quoting or escapes): a number as the console shows it
 * in its column's `type` (a REAL's whole numbers `1.0`, numberText), a BLOB as \x and hex.
 */
function copyText(v: unknown, type: string | null | undefined): string {
  if (typeof v === 'number' || typeof v === 'bigint') return numberText(v, type)
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`
  if (typeof v === 'boolean') return v ? '1' : '0'
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)
}

/** The lines \copy … to writes for `columns` and `rows`, each ending with '\n'. */
export function copyOut(c: CopyCommand, g: Grid): string {
  const parts: string[] = []
  const field = (s: string) => (c.format === 'csv' ? csvField(s, c.delimiter) : escapeText(s, c.delimiter))
  if (c.header) parts.push(`${g.columns.map(field).join(c.delimiter)}\n`)
  g.rows.forEach((row, i) => {
    parts.push(`${g.columns.map((_, j) => {
      const v = row[j]
      if (v === null || v === undefined) return c.nullText
      const s = copyText(v, typeAt(g, i, j))
      // In CSV an empty text is "" so that it stays apart from NULL; so is a text equal to the null text.
      return c.format === 'csv' && (s === '' || s === c.nullText) ? `"${s.replace(/"/g, '""')}"` : field(s)
    }).join(c.delimiter)}\n`)
  })
  return parts.join('')
}

/** What \copy needs of the server: a query's rows, and statements with parameters. */
export interface CopyServer {
  query(sql: string): Promise<Grid>
  execute(sql: string, params: unknown[]): Promise<void>
}

/** A table's rows in primary-key order (DESCRIBE's `primary_key` column numbers the key's columns). */
async function tableQuery(server: CopyServer, table: string, cols: string): Promise<string> {
  const described = await server.query(`DESCRIBE ${quoteIdent(table)}`)
  const pk = described.columns.indexOf('primary_key')
  const key = described.rows.filter((r) => Number(r[pk]) > 0).sort((a, b) => Number(a[pk]) - Number(b[pk])).map((r) => quoteIdent(String(r[0])))
  return `SELECT ${cols} FROM ${quoteIdent(table)}${key.length > 0 ? ` ORDER BY ${key.join(', ')}` : ''}`
}

/** Runs \copy; the line psql prints (`COPY n`) on success, a CopyError or the server's error otherwise. */
export async function runCopy(c: CopyCommand, server: CopyServer, baseDir: string, write: (text: string) => Promise<void>): Promise<string> {
  const cols = c.columns === null ? '*' : c.columns.map(quoteIdent).join(', ')
  if (c.direction === 'to') {
    const result = await server.query(c.query ?? await tableQuery(server, c.table as string, cols))
    const text = copyOut(c, result)
    if (c.file === null) await write(text)
    else {
      const path = resolve(baseDir, expandTilde(c.file))
      try {
        writeFileSync(path, text)
      } catch (err) {
        throw new CopyError(`cannot write ${path}: ${fileProblem(err)}`)
      }
    }
    return `COPY ${result.rows.length}`
  }
  const table = c.table as string
  const described = await server.query(`DESCRIBE ${quoteIdent(table)}`)
  const typeOf = new Map(described.rows.map((r) => [String(r[0]).toLowerCase(), String(r[1])]))
  const names = c.columns ?? described.rows.map((r) => String(r[0]))
  for (const n of names) if (!typeOf.has(n.toLowerCase())) throw new CopyError(`table ${table} has no column ${n}`)
  const types = names.map((n) => typeOf.get(n.toLowerCase()) as string)
  const path = resolve(baseDir, expandTilde(c.file as string))
  // Two passes over the file, neither holding it: the first checks every record (its syntax, its field
  // count, each value against its column's type), so that a bad line anywhere copies nothing; the second
  // sends them. Only what the server refuses (a duplicate key) stops a copy half-way.
  const checked = (r: CopyRecord, copied: number): unknown[] => {
    if (r.values.length !== names.length) throw new CopyError(`${c.file}:${r.line}: ${r.values.length} fields where ${names.length} columns are copied${copiedSoFar(copied)}`)
    return r.values.map((v, j) => {
      try {
        return v === null ? null : fieldValue(v, types[j] as string)
      } catch (err) {
        throw new CopyError(`${c.file}:${r.line}: column ${names[j]}: ${(err as Error).message}${copiedSoFar(copied)}`)
      }
    })
  }
  const records = async function* (): AsyncGenerator<CopyRecord> {
    try {
      yield* copyRecords(c, path)
    } catch (err) {
      // `line n: …` from the parsers, named as every other bad line is: FILE:n.
      if (!(err instanceof CopyError) || !err.message.startsWith('line ')) throw err
      throw new CopyError(`${c.file}:${err.message.replace(/^line /, '')}; nothing was copied`)
    }
  }
  for await (const r of records()) checked(r, 0)
  const rowsPerInsert = Math.max(1, Math.min(COPY_ROWS_PER_INSERT, Math.floor(COPY_PARAMS_PER_INSERT_MAX / names.length)))
  const into = `INSERT INTO ${quoteIdent(table)} (${names.map(quoteIdent).join(', ')}) VALUES `
  const placeholders = `(${names.map(() => '?').join(', ')})`
  let copied = 0
  let chunk: { line: number }[] = []
  let params: unknown[] = []
  let chunkBytes = 0
  const send = async (): Promise<void> => {
    const sql = into + chunk.map(() => placeholders).join(', ')
    try {
      await server.execute(sql, params)
    } catch (err) {
      const e = err as Error & { code?: string; column?: number }
      // A value the server refused (a duplicate key, a NOT NULL) comes with the column of its `?`: that
      // names the line and the column; anything else names the lines of the INSERT.
      const p = e.column === undefined ? -1 : parameterAt(sql, e.column - 1)
      const first = (chunk[0] as { line: number }).line
      const last = (chunk[chunk.length - 1] as { line: number }).line
      const where = p >= 0 && p < params.length
        ? `${(chunk[Math.floor(p / names.length)] as { line: number }).line}: column ${names[p % names.length]}`
        : `${first}-${last}`
      throw new CopyError(`${c.file}:${where}: ${e.code !== undefined ? `${e.code}: ` : ''}${escapeControls(e.message.split('\n')[0] ?? '')}${copiedSoFar(copied)}`)
    }
    copied += chunk.length
    chunk = []
    params = []
    chunkBytes = 0
  }
  for await (const r of records()) {
    const values = checked(r, copied)
    const bytes = values.reduce((n: number, v) => n + wireBytesMax(v), 0)
    // Rows of large values go in fewer rows per INSERT: 1,000 rows of 20 KB each passed the server's
    // frame limit (16 MiB), and the copy could not start.
    if (chunk.length > 0 && (chunk.length >= rowsPerInsert || chunkBytes + bytes > COPY_BYTES_PER_INSERT_MAX)) await send()
    chunk.push(r)
    params.push(...values)
    chunkBytes += bytes
  }
  if (chunk.length > 0) await send()
  return `COPY ${copied}`
}

/**
 * At most what a value takes in a request (JSON text): 3 bytes a UTF-16 unit of text (UTF-8), base64 for
 * bytes, a number's digits. Escapes (`\\u0001`) take more, but at most twice this, well within the frame.
 */
function wireBytesMax(v: unknown): number {
  if (typeof v === 'string') return 3 * v.length + 2
  if (v instanceof Uint8Array) return Math.ceil(v.byteLength / 3) * 4 + 12
  return 24
}

/** The index of the `?` at `offset` of `sql` (the INSERT \copy built: no `?` but its parameters), or -1. */
export function parameterAt(sql: string, offset: number): number {
  if (sql[offset] !== '?') return -1
  let n = 0
  for (let i = 0; i < offset; i++) if (sql[i] === '?') n++
  return n
}

function copiedSoFar(n: number): string {
  return n === 0 ? '; nothing was copied' : `; the ${n} rows before it were copied (each ${COPY_ROWS_PER_INSERT} rows commit on their own)`
}
