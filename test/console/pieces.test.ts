// The console's smaller parts: arguments, BEGIN … COMMIT grouping, positions through the FILE rewrite, and
// the history file (encoding, the bound, a missing or unwritable file).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseConsoleArgs, UsageError } from '../../src/console/args.js'
import { decodeEntry, encodeEntry, History, HISTORY_ENTRIES_MAX, historyPath } from '../../src/console/history.js'
import { normalizeUrl } from '../../src/console/main.js'
import { unitsOf } from '../../src/console/run-script.js'
import { lineColumnOf, lineText, offsetBeforeEdit, offsetOf } from '../../src/console/text-position.js'
import { tempDir } from '../support/tmp.js'

test('arguments: URL, --token, -e and -f in order (values may start with -), --json, --opt=value', () => {
  const a = parseConsoleArgs(['ws://h:1', '-e', '-- setup\nSELECT 1', '--token', 't0k', '-f', 'x.sql', '--execute=SELECT 2', '--json'])
  assert.equal(a, { url: 'ws://h:1', token: 't0k', json: true, unaligned: false, tuplesOnly: false,
    scripts: [{ kind: 'sql', text: '-- setup\nSELECT 1' }, { kind: 'file', path: 'x.sql' }, { kind: 'sql', text: 'SELECT 2' }] })
  assert.equal(parseConsoleArgs([]), { url: null, token: null, scripts: [], json: false, unaligned: false, tuplesOnly: false })
  assert.throws(() => parseConsoleArgs(['-e']), (e: unknown) => e instanceof UsageError && /-e needs a value/.test(e.message))
  // psql's -c and --command run SQL as -e does, in order with the others.
  assert.equal(parseConsoleArgs(['-c', 'SELECT 1', '-e', 'SELECT 2', '--command=SELECT 3']).scripts,
    [{ kind: 'sql', text: 'SELECT 1' }, { kind: 'sql', text: 'SELECT 2' }, { kind: 'sql', text: 'SELECT 3' }])
  assert.throws(() => parseConsoleArgs(['--bogus']), (e: unknown) => e instanceof UsageError)
  assert.throws(() => parseConsoleArgs(['ws://a', 'ws://b']), (e: unknown) => e instanceof UsageError)
  assert.is(normalizeUrl('127.0.0.1:7878'), 'ws://127.0.0.1:7878')
  assert.is(normalizeUrl('wss://x'), 'wss://x')
  assert.throws(() => normalizeUrl('http://x'))
})

test('URL: a bare host gets the default port (it was ws://localhost, port 80), a bare PORT or :PORT the default host (it was ws://7878)', () => {
  assert.is(normalizeUrl('localhost'), 'ws://localhost:7878')
  assert.is(normalizeUrl('db.example/x'), 'ws://db.example:7878/x')
  assert.is(normalizeUrl('[::1]'), 'ws://[::1]:7878')
  assert.is(normalizeUrl('[::1]:9000'), 'ws://[::1]:9000')
  assert.is(normalizeUrl('41478'), 'ws://127.0.0.1:41478')
  assert.is(normalizeUrl(':41478'), 'ws://127.0.0.1:41478')
  assert.is(normalizeUrl('ws://localhost'), 'ws://localhost', 'a URL with its scheme is taken as written')
})

test("arguments: psql's -A and -t (--no-align, --tuples-only), also clustered as scripts write them: -At, -tA, -Atc SQL", () => {
  const flags = (argv: string[]): unknown => { const a = parseConsoleArgs(argv); return [a.unaligned, a.tuplesOnly, a.scripts] }
  assert.equal(flags(['-A']), [true, false, []])
  assert.equal(flags(['--tuples-only', '--no-align']), [true, true, []])
  assert.equal(flags(['-At', '-c', 'SELECT 1']), [true, true, [{ kind: 'sql', text: 'SELECT 1' }]])
  assert.equal(flags(['-tAc', 'SELECT 1', '-tf', 'x.sql']), [true, true, [{ kind: 'sql', text: 'SELECT 1' }, { kind: 'file', path: 'x.sql' }]])
  assert.equal(flags(['-tAe', '-- a comment']), [true, true, [{ kind: 'sql', text: '-- a comment' }]])
  assert.throws(() => parseConsoleArgs(['-Atc']), (e: unknown) => e instanceof UsageError && /-c needs a value/.test(e.message))
  assert.throws(() => parseConsoleArgs(['-Ax']), (e: unknown) => e instanceof UsageError && /unknown option -Ax/.test(e.message))
  assert.throws(() => parseConsoleArgs(['-cA', 'SELECT 1']), (e: unknown) => e instanceof UsageError)
})

test('arguments: a flag given a value (--json=false, --tuples-only=off) is a usage error, not the flag turned on', () => {
  for (const [arg, flag] of [['--json=false', '--json'], ['--tuples-only=off', '--tuples-only'], ['--no-align=', '--no-align']]) {
    assert.throws(() => parseConsoleArgs([arg as string]), (e: unknown) => e instanceof UsageError && e.message === `${flag as string} takes no value (given ${arg as string})`, arg)
  }
})

test('units: one per statement, BEGIN … COMMIT together, an unclosed BEGIN sent as it is at the end', () => {
  const src = (text: string) => ({ label: '', text, baseDir: '/' })
  const units = unitsOf([src('SELECT 1; BEGIN; INSERT INTO t VALUES (1);'), src('commit; SELECT 2; BEGIN; SELECT 3')])
  assert.equal(units.map((u) => u.statements.map((s) => `${s.index}:${s.text}`)), [
    ['0:SELECT 1;'],
    ['1:BEGIN;', '2:INSERT INTO t VALUES (1);', '3:commit;'],
    ['4:SELECT 2;'],
    ['5:BEGIN;', '6:SELECT 3'],
  ])
})

test('units: START TRANSACTION and END group as BEGIN and COMMIT; ABORT drops a block as ROLLBACK does', () => {
  const src = (text: string) => ({ label: '', text, baseDir: '/' })
  const units = unitsOf([src('START TRANSACTION; INSERT INTO t VALUES (1); END; SELECT 2; start transaction; SELECT 3; abort; SELECT 4')])
  assert.equal(units.map((u) => [u.statements.map((s) => s.text).join(' '), u.rollback?.dropped ?? null]), [
    ['START TRANSACTION; INSERT INTO t VALUES (1); END;', null],
    ['SELECT 2;', null],
    ['abort;', 2],
    ['SELECT 4', null],
  ])
})

test('positions: line/column ↔ offset, a line\'s text, and offsets back through the FILE → X\'hex\' rewrite', () => {
  const text = 'ab\ncde\n\nf'
  assert.equal(lineColumnOf(text, 4), { line: 2, column: 2 })
  assert.is(offsetOf(text, 2, 2), 4)
  assert.is(offsetOf(text, 2, 99), 6)
  assert.is(offsetOf(text, 9, 1), text.length)
  assert.is(lineText(text, 2), 'cde')
  assert.is(lineText(text, 3), '')
  assert.is(lineText(text, 7), '')
  const original = "CREATE FUNCTION t.f FROM WASM FILE 'a.wasm' EXPORT 'g' WITH (BAD = 1);"
  const edited = "CREATE FUNCTION t.f FROM WASM X'0061736d01000000' EXPORT 'g' WITH (BAD = 1);"
  assert.is(offsetBeforeEdit(original, edited, edited.indexOf('BAD')), original.indexOf('BAD'))
  assert.is(offsetBeforeEdit(original, edited, 3), 3)
  assert.is(offsetBeforeEdit(original, edited, edited.indexOf('0061')), original.indexOf('FILE'))
})

test('history: entries with line breaks and backslashes survive the file; the newest HISTORY_ENTRIES_MAX are kept', () => {
  const { dir, cleanup } = tempDir()
  try {
    for (const e of ['SELECT 1;', 'SELECT \'a\\b\'\n  FROM t;', '\\timing', 'x\\n']) assert.is(decodeEntry(encodeEntry(e)), e)
    const path = join(dir, 'hist')
    const h = new History(path)
    h.add('SELECT 1;')
    h.add('SELECT 1;')   // a repeat of the newest is not recorded again
    h.add('SELECT 2\nFROM t;')
    assert.equal(new History(path).newestFirst(), ['SELECT 2\nFROM t;', 'SELECT 1;'])
    for (let i = 0; i < 2 * HISTORY_ENTRIES_MAX + 10; i++) h.add(`SELECT ${i};`)
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')
    assert.ok(lines.length <= 2 * HISTORY_ENTRIES_MAX, `${lines.length} lines`)
    const again = new History(path).newestFirst()
    assert.is(again.length, HISTORY_ENTRIES_MAX)
    assert.is(again[0], `SELECT ${2 * HISTORY_ENTRIES_MAX + 9};`)
  } finally {
    cleanup()
  }
})

test('history: ACHERON_HISTORY chooses the file, empty turns it off; an unwritable file warns and goes on', () => {
  assert.is(historyPath({ ACHERON_HISTORY: '/x/h' }), '/x/h')
  assert.is(historyPath({ ACHERON_HISTORY: '' }), null)
  assert.ok(historyPath({})?.endsWith('.acheron_history'))
  const off = new History(null)
  off.add('SELECT 1;')
  assert.equal(off.newestFirst(), ['SELECT 1;'])
  const { dir, cleanup } = tempDir()
  try {
    writeFileSync(join(dir, 'file'), '')
    const warnings: string[] = []
    const h = new History(join(dir, 'file', 'hist'), (m) => warnings.push(m))
    h.add('SELECT 1;')
    assert.ok(warnings.some((m) => /cannot write the history file/.test(m)), warnings.join('\n'))
    assert.is(existsSync(join(dir, 'file', 'hist')), false)
  } finally {
    cleanup()
  }
})

test.run()
