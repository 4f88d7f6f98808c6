// \copy's grammar and formats (src/console/copy.ts), without a server: psql's two spellings of the
// options, a query in parentheses, CSV with quotes and line breaks in fields (a quoted empty field is
// '', an unquoted one NULL), psql's text format with its escapes, and values typed by their column.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import fc from 'fast-check'
import { copyOut, fieldValue, parseCopy, parseCsv, parseText, runCopy, type CopyServer } from '../../src/console/copy.js'
import { copyRecords } from '../../src/console/copy-read.js'
import { tempDir } from '../support/tmp.js'

test('both spellings of the options, a column list, a query, stdout; defaults of each format', () => {
  const a = parseCopy(` account (id, "Balance") from 'my file.csv' with (format csv, header, delimiter ';', null 'NA')`)
  assert.equal(a, { direction: 'from', table: 'account', columns: ['id', 'Balance'], query: null, file: 'my file.csv', format: 'csv', header: true, delimiter: ';', nullText: 'NA' })
  const b = parseCopy(`account to stdout csv header delimiter '|'`)
  assert.equal(b, { direction: 'to', table: 'account', columns: null, query: null, file: null, format: 'csv', header: true, delimiter: '|', nullText: '' })
  const c = parseCopy(`(SELECT id, ')' AS x FROM account WHERE (id > 1);) TO 'out.txt'`)
  assert.equal(c, { direction: 'to', table: null, columns: null, query: "SELECT id, ')' AS x FROM account WHERE (id > 1)", file: 'out.txt', format: 'text', header: false, delimiter: '\t', nullText: '\\N' })
  assert.is(parseCopy(`t from 'f' (header false, format text)`).header, false)
  assert.is(parseCopy(`t from 'it''s.csv'`).file, "it's.csv")
})

test('what \\copy cannot do is refused with the reason', () => {
  const refused: [string, RegExp][] = [
    ['', /expected a table name or \(query\)/],
    ['t into x', /expected from or to, not "into"/],
    ['(SELECT 1) from f', /copy from a query is not possible/],
    ['t from stdin', /from stdin is not supported here/],
    ["t from 'f' (format binary)", /format must be csv or text/],
    ["t from 'f' binary", /binary format is not supported/],
    ["t from 'f' (delimiter ',,')", /delimiter must be one character/],
    ["t from 'f' (encoding 'utf8')", /unknown option "encoding"/],
    ["t from 'f", /quote opened at column 8 is not closed/],
    ['(SELECT 1 to f', /not closed/],
    ['t (a b) from f', /expected , or \) in the column list/],
  ]
  for (const [line, why] of refused) assert.throws(() => parseCopy(line), why, line)
})

test('CSV: quotes, doubled quotes, line breaks and delimiters inside fields; CRLF; quoted empty vs NULL', () => {
  const records = parseCsv('1,"a, ""b""",\r\n2,"x\ny",""\n3', ',')
  assert.equal(records.map((r) => r.line), [1, 2, 4])
  assert.equal(records[0]?.fields, [{ text: '1', quoted: false }, { text: 'a, "b"', quoted: true }, { text: '', quoted: false }])
  assert.equal(records[1]?.fields, [{ text: '2', quoted: false }, { text: 'x\ny', quoted: true }, { text: '', quoted: true }])
  assert.equal(records[2]?.fields, [{ text: '3', quoted: false }])
  assert.throws(() => parseCsv('1,"open\n2', ','), /line 1: a quoted field is not closed/)
  assert.throws(() => parseCsv('1,"a"b', ','), /text after a closing quote/)
})

test('text format: \\N is NULL, escapes undone, an escaped delimiter stays in its field, \\. ends nothing early', () => {
  const rows = parseText('1\ta\\tb\\\\c\t\\N\n2\t\\x41\\101\t\n\\.\n', '\t', '\\N')
  assert.equal(rows, [{ line: 1, values: ['1', 'a\tb\\c', null] }, { line: 2, values: ['2', 'AA', ''] }])
  assert.equal(parseText('1|a\\|b', '|', '\\N'), [{ line: 1, values: ['1', 'a|b'] }])
})

test('fields become values of their column type, or say why not', () => {
  assert.is(fieldValue(' 42 ', 'INTEGER'), 42)
  assert.is(fieldValue('9007199254740993', 'INTEGER'), 9007199254740993n)
  assert.throws(() => fieldValue('9223372036854775808', 'INTEGER'), /out of INTEGER's range/)
  assert.throws(() => fieldValue('4.5', 'INTEGER'), /"4.5" is no INTEGER/)
  assert.is(fieldValue('-2.5e3', 'REAL'), -2500)
  assert.is(fieldValue('-Infinity', 'REAL'), -Infinity)
  assert.throws(() => fieldValue('abc', 'REAL'), /"abc" is no REAL/)
  assert.equal(fieldValue('\\x00ff', 'BLOB'), new Uint8Array([0, 255]))
  assert.throws(() => fieldValue('00ff', 'BLOB'), /is no BLOB/)
  assert.is(fieldValue(' kept as is ', 'TEXT'), ' kept as is ')
})

test('what \\copy to writes reads back as the same values, in both formats', () => {
  const g = { columns: ['id', 's', 'b', 'r'], rows: [[1, 'a,"b"\nc\td\\e', new Uint8Array([1, 2]), 2.5], [2, '', null, null], [3, 'NA', new Uint8Array(0), -Infinity]] }
  const types = ['INTEGER', 'TEXT', 'BLOB', 'REAL']
  for (const options of ["(format csv, header)", "(format text)", "(format csv, delimiter ';', null 'NA')"]) {
    const c = parseCopy(`t to stdout ${options}`)
    const text = copyOut(c, g)
    const back = c.format === 'csv'
      ? parseCsv(text, c.delimiter).slice(c.header ? 1 : 0).map((r) => r.fields.map((f) => (!f.quoted && f.text === c.nullText ? null : f.text)))
      : parseText(text, c.delimiter, c.nullText).map((r) => r.values)
    assert.equal(back.map((r) => r.map((v, j) => (v === null ? null : fieldValue(v, types[j] as string)))), g.rows, options)
  }
})

test('\\copy from sends INSERTs of bounded rows with parameters, and says which lines failed and what was copied', async () => {
  const sent: { sql: string; params: unknown[] }[] = []
  const server: CopyServer = {
    query: async () => ({ columns: ['column', 'type', 'not_null', 'default', 'primary_key'], rows: [['id', 'INTEGER', 1, null, 1], ['v', 'TEXT', 0, null, 0]] }),
    execute: async (sql, params) => {
      if (params.includes('boom')) throw Object.assign(new Error('CHECK failed\nmore'), { code: 'CONSTRAINT' })
      sent.push({ sql, params })
    },
  }
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { dir, cleanup } = tempDir('acheron-copy-')
  try {
    writeFileSync(join(dir, 'ok.csv'), Array.from({ length: 2500 }, (_, i) => `${i},v${i}`).join('\n'))
    assert.is(await runCopy(parseCopy(`t from 'ok.csv' csv`), server, dir, async () => {}), 'COPY 2500')
    assert.equal(sent.map((s) => s.params.length / 2), [1000, 1000, 500])
    assert.match(sent[0]?.sql ?? '', /^INSERT INTO "t" \("id", "v"\) VALUES \(\?, \?\), \(\?, \?\)/)
    writeFileSync(join(dir, 'bad.csv'), Array.from({ length: 1500 }, (_, i) => (i === 1200 ? `${i},boom` : `${i},v`)).join('\n'))
    let message = ''
    try {
      await runCopy(parseCopy(`t from 'bad.csv' csv`), server, dir, async () => {})
    } catch (err) {
      message = (err as Error).message
    }
    assert.is(message, 'bad.csv:1001-1500: CONSTRAINT: CHECK failed; the 1000 rows before it were copied (each 1000 rows commit on their own)')
    writeFileSync(join(dir, 'short.csv'), '1,a\n2\n')
    try {
      await runCopy(parseCopy(`t from 'short.csv' csv`), server, dir, async () => {})
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).message, 'short.csv:2: 1 fields where 2 columns are copied; nothing was copied')
    }
  } finally {
    cleanup()
  }
})

async function collect(gen: AsyncGenerator<{ line: number; values: (string | null)[] }>): Promise<{ line: number; values: (string | null)[] }[]> {
  const out: { line: number; values: (string | null)[] }[] = []
  for await (const r of gen) out.push(r)
  return out
}

test('\\copy from reads its file in pieces that end at record boundaries: the records and line numbers are those of the whole text', async () => {
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { dir, cleanup } = tempDir('acheron-copy-read-')
  try {
    // Fields with the delimiter, quotes, CR LF and line breaks inside quotes, read 1 to 9 characters at a
    // time, so that every kind of boundary falls inside a quote, an escape or a line ending somewhere.
    const field = fc.oneof(fc.constantFrom('', 'a', 'NA', '\\N', '\\.', 'x\ny', 'q"q', 'c,d', 't\tu', 'e\\tf', 'é', '\r\n'), fc.string({ maxLength: 6 }))
    const file = join(dir, 'in.txt')
    let n = 0
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 12 }),
      fc.constantFrom("csv", "csv header", "(format text)", "(format text, delimiter ',')"),
      fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(),
      async (rows, options, readChars, bom, endMarker) => {
        const c = parseCopy(`t from 'in.txt' ${options}`)
        let text = copyOut(c, { columns: ['a', 'b', 'c', 'd'].slice(0, rows[0]?.length ?? 1), rows })
        if (c.format === 'text' && endMarker) text += '\\.\nnot\tdata\n'
        writeFileSync(file, (bom ? '\uFEFF' : '') + text)
        const whole = c.format === 'csv'
          ? parseCsv(text, c.delimiter).map((r) => ({ line: r.line, values: r.fields.map((f) => (!f.quoted && f.text === c.nullText ? null : f.text)) })).slice(c.header ? 1 : 0)
          : parseText(text, c.delimiter, c.nullText)
        const streamed = await collect(copyRecords(c, file, { readChars }))
        assert.equal(streamed, whole, `${options}, ${readChars} characters a read`)
        n++
      }), { seed: 6061, numRuns: 300 })
    assert.is(n, 300)
  } finally {
    cleanup()
  }
})

test('\\copy from: a bad line at the end of a long file copies nothing, and a quote left open is refused without reading on', async () => {
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const sent: unknown[][] = []
  const server: CopyServer = {
    query: async () => ({ columns: ['column', 'type', 'not_null', 'default', 'primary_key'], rows: [['id', 'INTEGER', 1, null, 1], ['v', 'TEXT', 0, null, 0]] }),
    execute: async (_sql, params) => { sent.push(params) },
  }
  const { dir, cleanup } = tempDir('acheron-copy-read-')
  try {
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i},v${i}`)
    writeFileSync(join(dir, 'late.csv'), [...lines, 'x,y'].join('\n'))
    try {
      await runCopy(parseCopy(`t from 'late.csv' csv`), server, dir, async () => {})
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).message, 'late.csv:30001: column id: "x" is no INTEGER; nothing was copied')
    }
    assert.is(sent.length, 0, 'no INSERT was sent: the file is checked whole before the first')
    writeFileSync(join(dir, 'late.csv'), lines.join('\n'))
    assert.is(await runCopy(parseCopy(`t from 'late.csv' csv`), server, dir, async () => {}), 'COPY 30000')
    assert.is(sent.length, 30)
    writeFileSync(join(dir, 'open.csv'), `1,a\n2,"never closed\n${'3,b\n'.repeat(5000)}`)
    try {
      await collect(copyRecords(parseCopy(`t from 'open.csv' csv`), join(dir, 'open.csv'), { readChars: 64, recordCharsMax: 1000 }))
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).message, 'line 2: a record longer than 1000 characters (is a quote left open?)')
    }
  } finally {
    cleanup()
  }
})

test.run()
