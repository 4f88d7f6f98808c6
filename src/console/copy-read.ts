// The records of a \copy … from file, read in pieces: the file is never held whole (a 2 GB CSV passed
// V8's longest string and failed; a 500 MB one took its size several times over in memory). Each piece
// ends at a record boundary, a line break outside CSV quotes, and is parsed by the same parsers as
// before, numbered from the line it starts at.
import { createReadStream } from 'node:fs'
import { fileProblem } from '../file-problem.js'
import type { CopyCommand } from './copy.js'

/** A \\copy that cannot be done, said as the console prints it. */
export class CopyError extends Error {}

/** How much of the file is read at a time. */
export const COPY_READ_CHARS = 1 << 20
/**
 * The longest record: a CSV quote left open would otherwise make the rest of the file one record, held in
 * memory. Far above what one INSERT may carry (a server's frame, 16 MiB by default), so no record the
 * server would take is refused here.
 */
export const COPY_RECORD_CHARS_MAX = 64 * 1024 * 1024

export interface CopyRecord { readonly line: number; readonly values: (string | null)[] }

/** The offset just after the last line break of `text` outside CSV quotes ('"' toggles; "" toggles twice), or -1. */
function lastCsvBoundary(text: string): number {
  let quoted = false
  let last = -1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) quoted = !quoted
    else if (c === 10 && !quoted) last = i + 1
  }
  return last
}

function newlines(text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}

/**
 * The text format's end-of-data line `\.`: the offset where it starts, or -1. Ended by the text's end only
 * at the file's end: before it, `\.` may begin a longer line whose rest is not read yet.
 */
function endMarker(text: string, atEnd: boolean): number {
  const m = (atEnd ? /(?:^|\n)\\\.\r?(?:\n|$)/ : /(?:^|\n)\\\.\r?\n/).exec(text)
  return m === null ? -1 : m.index + (m[0].startsWith('\n') ? 1 : 0)
}

/**
 * The file's records, after its header line when it has one. Throws CopyError `cannot read PATH: …`, or
 * the parsers' `line N: …`.
 */
export async function* copyRecords(c: CopyCommand, path: string, bounds: { readChars?: number; recordCharsMax?: number } = {}): AsyncGenerator<CopyRecord> {
  const recordCharsMax = bounds.recordCharsMax ?? COPY_RECORD_CHARS_MAX
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: bounds.readChars ?? COPY_READ_CHARS })
  let pending = ''
  let line = 1
  let first = true
  let headerLeft = c.header
  let ended = false
  const parse = function* (text: string): Generator<CopyRecord> {
    const records = c.format === 'csv'
      ? parseCsv(text, c.delimiter, line).map((r) => ({ line: r.line, values: r.fields.map((f) => (!f.quoted && f.text === c.nullText ? null : f.text)) }))
      : parseText(text, c.delimiter, c.nullText, line)
    line += newlines(text)
    for (const r of records) {
      if (headerLeft) { headerLeft = false; continue }
      yield r
    }
  }
  try {
    for await (const chunk of stream) {
      // A byte order mark (Excel's "CSV UTF-8" starts with one) is no data: left in, the first field of the
      // first line read '"\uFEFF1" is no INTEGER', printed as "1".
      pending += first ? (chunk as string).replace(/^\uFEFF/, '') : (chunk as string)
      first = false
      if (c.format === 'text') {
        const end = endMarker(pending, false)
        if (end >= 0) {
          yield* parse(pending.slice(0, end))
          ended = true
          break
        }
      }
      const cut = c.format === 'csv' ? lastCsvBoundary(pending) : pending.lastIndexOf('\n') + 1
      if (cut <= 0) {
        if (pending.length > recordCharsMax) throw new CopyError(`line ${line}: a record longer than ${recordCharsMax} characters${c.format === 'csv' ? ' (is a quote left open?)' : ''}`)
        continue
      }
      const piece = pending.slice(0, cut)
      pending = pending.slice(cut)
      yield* parse(piece)
    }
    if (!ended && pending.length > 0) {
      const end = c.format === 'text' ? endMarker(pending, true) : -1
      yield* parse(end >= 0 ? pending.slice(0, end) : pending)
    }
  } catch (err) {
    if (err instanceof CopyError) throw err
    throw new CopyError(`cannot read ${path}: ${fileProblem(err)}`)
  } finally {
    stream.destroy()
  }
}

/** One record's fields, and whether each was quoted (CSV: a quoted empty field is '', not NULL). */
export interface CsvRecord { readonly line: number; readonly fields: { text: string; quoted: boolean }[] }

/** CSV records (RFC 4180): quoted fields may hold the delimiter, quotes ("") and line breaks. */
export function parseCsv(text: string, delimiter: string, firstLine = 1): CsvRecord[] {
  const records: CsvRecord[] = []
  let i = 0
  let line = firstLine
  while (i < text.length) {
    const start = line
    const fields: { text: string; quoted: boolean }[] = []
    for (;;) {
      let value = ''
      let quoted = false
      if (text[i] === '"') {
        quoted = true
        i++
        for (;;) {
          if (i >= text.length) throw new CopyError(`line ${start}: a quoted field is not closed`)
          const c = text[i] as string
          if (c === '"') {
            if (text[i + 1] === '"') { value += '"'; i += 2; continue }
            i++
            break
          }
          if (c === '\n') line++
          value += c
          i++
        }
        if (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') throw new CopyError(`line ${line}: text after a closing quote`)
      } else {
        while (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') value += text[i++]
      }
      fields.push({ text: value, quoted })
      if (text[i] === delimiter) { i++; continue }
      break
    }
    if (text[i] === '\r') i++
    if (text[i] === '\n') i++
    line++
    records.push({ line: start, fields })
  }
  return records
}

const TEXT_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' }

/** psql's text format: one record a line, fields split at the delimiter, `\N` NULL, backslash escapes. */
export function parseText(text: string, delimiter: string, nullText: string, firstLine = 1): { line: number; values: (string | null)[] }[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const out: { line: number; values: (string | null)[] }[] = []
  for (const [n, raw] of lines.entries()) {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    // PostgreSQL's end-of-data marker: what follows it (the rest of a dump, say) is no data.
    if (l === '\\.') break
    // Split at unescaped delimiters, then undo the escapes of each field.
    const fields: string[] = []
    let field = ''
    for (let i = 0; i < l.length; i++) {
      const c = l[i] as string
      if (c === '\\' && i + 1 < l.length) { field += c + l[i + 1]; i++; continue }
      if (c === delimiter) { fields.push(field); field = ''; continue }
      field += c
    }
    fields.push(field)
    try {
      out.push({ line: firstLine + n, values: fields.map((f) => (f === nullText ? null : unescapeText(f))) })
    } catch (err) {
      throw new CopyError(`line ${firstLine + n}: ${(err as Error).message}`)
    }
  }
  return out
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function unescapeText(f: string): string {
  // \xhh and \ooo are bytes, as PostgreSQL reads them: a run of them is UTF-8 (\xc3\xa9 is é, not Ã©).
  return f.replace(/((?:\\(?:x[0-9a-fA-F]{1,2}|[0-7]{1,3}))+)|\\(.)/g, (_, bytes: string | undefined, e: string | undefined) => {
    if (bytes === undefined) return TEXT_ESCAPES[e as string] ?? (e as string)
    const codes = (bytes.match(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3})/g) ?? []).map((b) => (b[1] === 'x' ? parseInt(b.slice(2), 16) : parseInt(b.slice(1), 8) & 0xff))
    try {
      return UTF8.decode(new Uint8Array(codes))
    } catch {
      throw new CopyError(`the escapes ${bytes} are no UTF-8 text`)
    }
  })
}

