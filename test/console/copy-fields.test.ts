// \copy's own parsing, without a server: how a field of a file becomes a value of its column's type.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CopyError, fieldValue, parseCopy, parseText, runCopy } from '../../src/console/copy.js'
import { tempDir } from '../support/tmp.js'

test('a BOOLEAN field: the 1/0 that \\copy … to writes, and PostgreSQL\'s spellings, in any case', () => {
  for (const t of ['1', 't', 'TRUE', 'yes', 'on', ' y ']) assert.is(fieldValue(t, 'BOOLEAN'), 1, t)
  for (const f of ['0', 'f', 'False', 'no', 'OFF', 'n']) assert.is(fieldValue(f, 'BOOLEAN'), 0, f)
  assert.throws(() => fieldValue('maybe', 'BOOLEAN'), (e: unknown) => e instanceof CopyError && /"maybe" is no BOOLEAN/.test((e as Error).message))
  assert.throws(() => fieldValue('2', 'BOOLEAN'), (e: unknown) => e instanceof CopyError)
})

test('a \\copy line may end with the ; typed after SQL; a quoted one is the option\'s value', () => {
  const c = parseCopy(" emp to 'emp.csv' csv header; ")
  assert.equal([c.table, c.file, c.format, c.header], ['emp', 'emp.csv', 'csv', true])
  assert.is(parseCopy("emp from 'f.txt';").file, 'f.txt')
  assert.is(parseCopy('(SELECT 1;) to stdout;;').query, 'SELECT 1')
  assert.is(parseCopy("emp to stdout with (format csv, null ';');").nullText, ';')
  assert.is(parseCopy("emp to stdout csv delimiter ';'").delimiter, ';')
})

test('a REAL field is a decimal number or Infinity: hexadecimal and binary are refused, and so is one past the range', () => {
  assert.equal(['1.5', '-2', '.5', '3.', '1e3', '+2.5E-3', ' 7 ', 'Infinity', '-inf'].map((t) => fieldValue(t, 'REAL')), [1.5, -2, 0.5, 3, 1000, 0.0025, 7, Infinity, -Infinity])
  for (const t of ['0x10', '0b11', '0o7', '', '1_000', 'NaN', '1e400', '-1e400']) {
    assert.throws(() => fieldValue(t, 'REAL'), (e: unknown) => e instanceof CopyError, t)
  }
})

test('a file name starting with ~/ is in the home directory, as psql reads it', async () => {
  const homeDir = tempDir('acheron-copy-home-')
  const elsewhereDir = tempDir('acheron-copy-cwd-')
  const home = homeDir.dir
  const elsewhere = elsewhereDir.dir
  const saved = process.env.HOME
  process.env.HOME = home
  try {
    const sent: unknown[][] = []
    const server = {
      query: async (sql: string) => (sql.startsWith('DESCRIBE')
        ? { columns: ['column', 'type', 'not_null', 'default', 'primary_key'], rows: [['k', 'INTEGER', 1, null, 1]] }
        : { columns: ['k'], rows: [[1], [2]] }),
      execute: async (_sql: string, params: unknown[]) => { sent.push(params) },
    }
    assert.is(await runCopy(parseCopy("t to '~/out.txt'"), server, elsewhere, async () => {}), 'COPY 2')
    assert.is(readFileSync(join(home, 'out.txt'), 'utf8'), '1\n2\n')
    assert.not.ok(existsSync(join(elsewhere, '~')))
    writeFileSync(join(home, 'in.txt'), '7\n')
    assert.is(await runCopy(parseCopy("t from '~/in.txt'"), server, elsewhere, async () => {}), 'COPY 1')
    assert.equal(sent, [[7]])
  } finally {
    if (saved === undefined) delete process.env.HOME
    else process.env.HOME = saved
    homeDir.cleanup()
    elsewhereDir.cleanup()
  }
})

test("a file that starts with a byte order mark (Excel's CSV UTF-8) is read without it", async () => {
  const { dir, cleanup } = tempDir('acheron-copy-bom-')
  try {
    writeFileSync(join(dir, 'bom.csv'), '\uFEFFk,s\n1,a\n')
    const sent: unknown[][] = []
    const server = {
      query: async () => ({ columns: ['column', 'type', 'not_null', 'default', 'primary_key'], rows: [['k', 'INTEGER', 1, null, 1], ['s', 'TEXT', 0, null, 0]] }),
      execute: async (_sql: string, params: unknown[]) => { sent.push(params) },
    }
    assert.is(await runCopy(parseCopy("t from 'bom.csv' csv"), server, dir, async () => {}).catch((e: Error) => e.message), 'bom.csv:1: column k: "k" is no INTEGER; nothing was copied')
    assert.is(await runCopy(parseCopy("t from 'bom.csv' csv header"), server, dir, async () => {}), 'COPY 1')
    assert.equal(sent, [[1, 'a']])
  } finally {
    cleanup()
  }
})

test('the text format ends at a line \\. (PostgreSQL\'s end-of-data marker): what follows is no data', () => {
  assert.equal(parseText('1\ta\n2\t\\N\n\\.\nnot\tdata\n', '\t', '\\N'), [{ line: 1, values: ['1', 'a'] }, { line: 2, values: ['2', null] }])
})

test('the text format\'s \\x and octal escapes are bytes, and a run of them is UTF-8, as PostgreSQL reads them', () => {
  assert.equal(parseText('caf\\xc3\\xa9\t\\303\\251\t\\x41\\102\t\\\\x41\t\\t\\n\n', '\t', '\\N'), [{ line: 1, values: ['café', 'é', 'AB', '\\x41', '\t\n'] }])
  assert.throws(() => parseText('ok\n\\xff\n', '\t', '\\N'), (e: unknown) => e instanceof CopyError && (e as Error).message === 'line 2: the escapes \\xff are no UTF-8 text')
})

test('a line the parsers refuse (bad escapes, an unclosed CSV quote) is named FILE:line, as every bad line is', async () => {
  const { dir, cleanup } = tempDir('acheron-copy-parse-')
  try {
    writeFileSync(join(dir, 'bad.txt'), 'ok\n\\xff\n')
    writeFileSync(join(dir, 'bad.csv'), 'a\n"b\n')
    const server = {
      query: async () => ({ columns: ['column', 'type', 'not_null', 'default', 'primary_key'], rows: [['k', 'TEXT', 1, null, 1]] }),
      execute: async () => {},
    }
    const failure = (line: string) => runCopy(parseCopy(line), server, dir, async () => {}).then(() => 'copied', (e: Error) => e.message)
    assert.is(await failure("t from 'bad.txt'"), 'bad.txt:2: the escapes \\xff are no UTF-8 text; nothing was copied')
    assert.is(await failure("t from 'bad.csv' csv"), 'bad.csv:2: a quoted field is not closed; nothing was copied')
  } finally {
    cleanup()
  }
})

test.run()
