// How the console shows results and errors: aligned tables (src/console/format-table.ts) of any size, the
// caret under a position (src/console/caret.ts), and the wire forms of --json (src/console/printer.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { CARET_CONTEXT_CHARS_MAX, caretLines } from '../../src/console/caret.js'
import { formatExpanded } from '../../src/console/format-expanded.js'
import { BLOB_BYTES_SHOWN_MAX, cellText, displayWidth, escapeMessage, footer, formatTable, statementTag, TEXT_CHARS_SHOWN_MAX } from '../../src/console/format-table.js'
import { failureLines, wireError, wireResult } from '../../src/console/printer.js'
import { statementsOf } from '../../src/console/source.js'

const commit = { batch: 7, seq: 2 }

test('a table: centred header, separator, numbers right-aligned, text left-aligned, NULL, row count and commit', () => {
  const lines = formatTable({ columns: ['id', 'balance'], rows: [['alice', 100], ['bob', null], ['carol', 5n]], rowsAffected: 0, commit })
  assert.equal(lines, [
    '  id   | balance',
    '-------+---------',
    ' alice |     100',
    ' bob   |    NULL',
    ' carol |       5',
    '(3 rows)  commit {batch: 7, seq: 2}',
  ])
})

test('a column with text is left-aligned even where it holds numbers; one row is "1 row"', () => {
  const lines = formatTable({ columns: ['v'], rows: [['abc'], [12]], rowsAffected: 0, commit })
  assert.equal(lines.slice(2), [' abc', ' 12', '(2 rows)  commit {batch: 7, seq: 2}'])
  assert.is(footer({ columns: ['result'], rows: [[1]], rowsAffected: 1, commit }), '(1 row, 1 affected)  commit {batch: 7, seq: 2}')
  // SHOW STATS has no position of its own (seq -1): it printed `commit {batch: 7, seq: -1}`.
  assert.is(footer({ columns: ['metric', 'value'], rows: [['uptime_s', 1]], rowsAffected: 0, commit: { batch: 7, seq: -1 } }), '(1 row)  as of batch 7 (not a transaction)')
})

test('no columns: the statement tag, rows affected for DML, and the commit', () => {
  assert.equal(formatTable({ columns: [], rows: [], rowsAffected: 3, commit }, 'INSERT'), ['INSERT: 3 rows affected  commit {batch: 7, seq: 2}'])
  assert.equal(formatTable({ columns: [], rows: [], rowsAffected: 1, commit }, 'DELETE'), ['DELETE: 1 row affected  commit {batch: 7, seq: 2}'])
  assert.equal(formatTable({ columns: [], rows: [], rowsAffected: 0, commit }, 'CREATE TABLE'), ['CREATE TABLE  commit {batch: 7, seq: 2}'])
  assert.is(statementTag('create  or replace function t.f FROM WASM X\'00\';'), 'CREATE OR REPLACE FUNCTION')
  assert.is(statementTag('DROP TABLE IF EXISTS t;'), 'DROP TABLE')
  assert.is(statementTag('start transaction;'), 'START TRANSACTION')
  assert.is(statementTag('END;'), 'COMMIT')
  // A WITH leads to its statement's tag (it printed `WITH: 1 row affected`, and `WITH` with no count at 0).
  assert.is(statementTag('WITH x AS (SELECT 1 AS id) DELETE FROM w WHERE id IN (SELECT id FROM x);'), 'DELETE')
  assert.is(statementTag("with recursive n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3), \"update\" AS (SELECT ')delete(' AS s) -- select\n/* insert */ update_log AS (SELECT 2) update w SET v = 1;"), 'UPDATE')
  assert.is(statementTag('WITH x AS (SELECT 1) INSERT INTO w SELECT * FROM x;'), 'INSERT')
  assert.is(statementTag('WITH x AS (SELECT 1'), 'WITH')
  assert.is(statementTag('create index if not exists t_v ON t (v);'), 'CREATE INDEX')
  assert.is(statementTag('DROP INDEX t_v;'), 'DROP INDEX')
  assert.is(statementTag("CREATE FUNCTIONS t.* FROM WASM FILE 'x.wasm';"), 'CREATE FUNCTIONS')
  assert.is(statementTag('ALTER TABLE t RENAME COLUMN a TO b;'), 'ALTER TABLE')
  assert.is(statementTag('insert into t values (1);'), 'INSERT')
  assert.is(statementTag('begin;'), 'BEGIN')
})

test('blobs as X\'hex\', cut after BLOB_BYTES_SHOWN_MAX bytes with the length; control characters escaped; long text cut', () => {
  assert.is(cellText(new Uint8Array([0, 255, 16])), "X'00ff10'")
  const big = new Uint8Array(BLOB_BYTES_SHOWN_MAX + 5).fill(0xab)
  assert.is(cellText(big), `X'${'ab'.repeat(BLOB_BYTES_SHOWN_MAX)}…' (${BLOB_BYTES_SHOWN_MAX + 5} bytes)`)
  assert.is(cellText('a\nb\tc\u0001'), 'a\\nb\\tc\\x01')
  assert.is(cellText('x'.repeat(TEXT_CHARS_SHOWN_MAX + 10)), 'x'.repeat(TEXT_CHARS_SHOWN_MAX) + '…')
  assert.is(cellText(null), 'NULL')
  assert.is(cellText(2.5), '2.5')
  assert.is(cellText(-9007199254740993n), '-9007199254740993')
})

test('bidi controls, other format characters and C1 controls are escaped in cells, names and records, so none reorders or hides what is shown', () => {
  // U+202E RIGHT-TO-LEFT OVERRIDE would print "txt.exe" as "exe.txt"; U+2066..2069 isolate, U+200E/F marks,
  // U+061C, U+200B, U+FEFF, U+00AD are invisible; U+0085 and U+009B (CSI) are C1 controls; U+2028 a line break.
  assert.is(cellText('\u202etxt.exe'), '\\u202etxt.exe')
  assert.is(cellText('a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg'), 'a\\u2066b\\u2067c\\u2068d\\u2069e\\u200ef\\u200fg')
  assert.is(cellText('\u061c\u200b\ufeff\u00ad'), '\\u061c\\u200b\\ufeff\\xad')
  assert.is(cellText('\u0085\u009b31m\u2028\u2029'), '\\x85\\x9b31m\\u2028\\u2029')
  // Beyond the BMP (a language tag) and a lone surrogate, which no terminal shows as itself.
  assert.is(cellText('\u{e0001}x\ud800'), '\\u{e0001}x\\ud800')
  // The joiner of an emoji sequence (one picture) and ordinary right-to-left text stay as they are.
  assert.is(cellText('👩\u200d💻 שלום'), '👩\u200d💻 שלום')
  // In a table: every line as wide as the others, and no raw format character in any line.
  const lines = formatTable({ columns: ['name\u202e', 'n'], rows: [['\u202etxt.exe', 1], ['plain', 22]], rowsAffected: 0, commit })
  assert.equal(lines.slice(0, 4), [
    '  name\\u202e   | n',
    '---------------+----',
    ' \\u202etxt.exe |  1',
    ' plain         | 22',
  ])
  const raw = /[\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/
  for (const l of lines) assert.not.match(l, raw)
  assert.equal(formatExpanded({ columns: ['\u2067k', 'v'], rows: [['\u202eab', '\u0085']] }), [
    '-[ RECORD 1 ]-----',
    '\\u2067k | \\u202eab',
    'v       | \\x85',
  ])
})

test('wide characters take two columns, so the table stays aligned', () => {
  assert.is(displayWidth('名前'), 4)
  assert.is(displayWidth('e\u0301'), 1)
  const lines = formatTable({ columns: ['name', 'n'], rows: [['名前', 1], ['ab', 22]], rowsAffected: 0, commit })
  assert.equal(lines.slice(2, 4), [' 名前 |  1', ' ab   | 22'])
})

test('300,000 rows, aligned and expanded: widths from every value (a spread into Math.max overflowed the stack)', () => {
  const n = 300_000
  const rows = Array.from({ length: n }, (_, i) => [i, i === n - 1 ? '名'.repeat(10) : 'ab', null, 1.5, 'c'])
  const columns = ['k', 'v', 'nothing', 'f', 'name_widest']
  const aligned = formatTable({ columns, rows, rowsAffected: 0, commit })
  assert.is(aligned.length, n + 3)
  // k: '299999' (6); v: ten wide characters (20); nothing: the header (7); f: '1.5' under 'f' (3); the last header (11).
  assert.is(aligned[1], ['-'.repeat(8), '-'.repeat(22), '-'.repeat(9), '-'.repeat(5), '-'.repeat(13)].join('+'))
  assert.is(aligned[n + 1], ` 299999 | ${'名'.repeat(10)} | NULL    | 1.5 | c`)
  const expanded = formatExpanded({ columns, rows })
  assert.is(expanded.length, n * (columns.length + 1))
  assert.is(expanded[0], `-[ RECORD 1 ]${'-'.repeat('name_widest'.length + 3 + 20 - '-[ RECORD 1 ]'.length)}`)
  assert.is(expanded.at(-4), `v           | ${'名'.repeat(10)}`)
})

test('the caret sits under the column, also with a label, tabs and a long line', () => {
  const src = 'SELECT 1;\nSELECT *\n  FROM acount WHER id = 1;'
  assert.equal(caretLines(src, { line: 3, column: 8 }), ['LINE 3:   FROM acount WHER id = 1;', '               ^'])
  assert.equal(caretLines(src, { line: 2, column: 1 }, 'setup.sql'), ['setup.sql:2: SELECT *', '             ^'])
  assert.equal(caretLines('\tSELEC 1', { line: 1, column: 2 }), ['LINE 1:  SELEC 1', '         ^'])
  // U+202E and other bidi, format and control characters typed in the line are escaped as in a cell (they
  // reordered the shown line, and the caret was no longer under its column); a tab is still one space.
  const bidi = "SELECT '\u202etxt.exe\u2066\u200b\u0085', \u200f\x1b\t WHER x"
  const [bidiShown, bidiCaret] = caretLines(bidi, { line: 1, column: bidi.indexOf('WHER') + 1 })
  assert.is(bidiShown, "LINE 1: SELECT '\\u202etxt.exe\\u2066\\u200b\\x85', \\u200f\\x1b  WHER x")
  assert.ok(bidiShown !== undefined && bidiCaret !== undefined)
  assert.is(bidiShown[bidiCaret.length - 1], 'W')
  // An emoji before (two UTF-16 units, two columns wide), and a line cut around the caret with escapes in it.
  const wide = `SELECT '👩\u200d💻\u202e' WHER x`
  const [wideShown, wideCaret] = caretLines(wide, { line: 1, column: wide.indexOf('WHER') + 1 })
  assert.ok(wideShown !== undefined && wideCaret !== undefined)
  assert.is(wideShown, "LINE 1: SELECT '👩\u200d💻\\u202e' WHER x")
  assert.is(displayWidth(wideCaret), displayWidth(wideShown.slice(0, wideShown.indexOf('WHER'))) + 1)
  const longBidi = `SELECT ${'\u202e, '.repeat(100)}@ FROM t ${'\u2066'.repeat(100)}`
  const [longShown, longCaret] = caretLines(longBidi, { line: 1, column: longBidi.indexOf('@') + 1 }, '\u202efile.sql')
  assert.ok(longShown !== undefined && longCaret !== undefined)
  assert.ok(longShown.startsWith('\\u202efile.sql:1: …') && longShown.endsWith('…') && longShown.length < 160, longShown)
  assert.is(longShown[longCaret.length - 1], '@')
  assert.not.match(longShown, /[\u202e\u2066]/)
  const long = `SELECT ${'a, '.repeat(200)}@ FROM t`
  const [shown, caret] = caretLines(long, { line: 1, column: long.indexOf('@') + 1 })
  assert.ok(shown !== undefined && caret !== undefined)
  assert.ok(shown.length < 160, shown)
  assert.is(shown[caret.length - 1], '@')
})

test('an error message is escaped as a cell is, its own line breaks kept', () => {
  const error = new AcheronError('TXN_ABORTED', 'refund \u202etxt.exe\u2069\u0085\n\u200bthen\ttab', { commit: { batch: 3, seq: 0 } })
  assert.is(failureLines({ error, statement: null, at: null })[0], 'ERROR TXN_ABORTED: refund \\u202etxt.exe\\u2069\\x85\n\\u200bthen\\ttab')
  assert.is(escapeMessage('a\u202eb\nc\u2028d\r'), 'a\\u202eb\nc\\u2028d\\r')
  assert.is(escapeMessage('plain\nmulti-line'), 'plain\nmulti-line')
})

test('--json: results in the wire form, errors with source positions and the global statement index', () => {
  assert.equal(wireResult({ columns: ['a', 'b', 'c'], rows: [[2n ** 60n, new Uint8Array([1, 2]), 'x']], rowsAffected: 0, commit }),
    { columns: ['a', 'b', 'c'], rows: [[{ $int: '1152921504606846976' }, { $blob: 'AQI=' }, 'x']], rowsAffected: 0, commit })
  const source = { label: 'setup.sql', text: 'SELECT 1;\nCALL t.f(1);', baseDir: '/' }
  const [, second] = statementsOf(source, 4)
  assert.ok(second !== undefined)
  const error = new AcheronError('TXN_ABORTED', 'no', { commit: { batch: 3, seq: 0 } })
  assert.equal(wireError({ error, statement: second, at: { line: 2, column: 1 } }),
    { code: 'TXN_ABORTED', message: 'no', line: 2, column: 1, statement: 5, commit: { batch: 3, seq: 0 }, source: 'setup.sql' })
  assert.equal(failureLines({ error, statement: second, at: { line: 2, column: 6 } }), [
    'ERROR TXN_ABORTED: no',
    'setup.sql:2: CALL t.f(1);',
    '                  ^',
    'rolled back: the transaction ran at commit {batch: 3, seq: 0}; EXPLAIN COMMIT (3, 0); shows why',
  ])
  // A query's, a DDL's or EXPLAIN's failure has a position too, but EXPLAIN COMMIT re-runs none of them.
  const others = statementsOf({ label: '', text: "SELECT ABS(x) FROM t; DESCRIBE nope; CREATE TABLE t (k INTEGER PRIMARY KEY); EXPLAIN COMMIT (99, 0); begin; update t SET v = 1 WHERE k = 1;", baseDir: '/' }, 0)
  const hints = others.map((statement) => failureLines({ error: new AcheronError('CONSTRAINT', 'no', { commit: { batch: 13, seq: 7 } }), statement, at: null }).at(-1))
  assert.equal(hints, [
    ...Array.from({ length: 5 }, () => 'failed at position {batch: 13, seq: 7}'),
    'rolled back: the transaction ran at commit {batch: 13, seq: 7}; EXPLAIN COMMIT (13, 7); shows why',
  ])
  // An UPDATE, DELETE or INSERT that ran alone (over a whole table, INSERT … SELECT): the server says so, no hint.
  const [update] = statementsOf({ label: '', text: 'UPDATE t SET v = 1;', baseDir: '/' }, 0)
  assert.ok(update !== undefined)
  const alone = new AcheronError('CONSTRAINT', 'no', { commit: { batch: 14, seq: 0 }, explainable: false })
  assert.is(failureLines({ error: alone, statement: update, at: null }).at(-1), 'failed at position {batch: 14, seq: 0}')
  assert.is(wireError({ error: alone, statement: update, at: null }).explainable, false, '--json keeps it')
  // A failure with no column names its statement's line, cut as a caret's line is (a 17 MB INSERT was echoed whole).
  const [huge] = statementsOf({ label: 'big.sql', text: `INSERT INTO t VALUES ('${'x'.repeat(5000)}');`, baseDir: '/' }, 0)
  assert.ok(huge !== undefined)
  const [bidiLine] = statementsOf({ label: 'b.sql', text: "INSERT INTO t VALUES ('\u202etxt.exe');", baseDir: '/' }, 0)
  assert.ok(bidiLine !== undefined)
  assert.is(failureLines({ error: new AcheronError('OVERLOADED', 'busy'), statement: bidiLine, at: null })[1], "b.sql:1: INSERT INTO t VALUES ('\\u202etxt.exe');")
  const tooLarge = failureLines({ error: new AcheronError('PAYLOAD_TOO_LARGE', 'too large: it was not sent'), statement: huge, at: null })
  assert.equal(tooLarge, ['ERROR PAYLOAD_TOO_LARGE: too large: it was not sent', `big.sql:1: INSERT INTO t VALUES ('${'x'.repeat(CARET_CONTEXT_CHARS_MAX - 23)}…`])
})

test.run()
