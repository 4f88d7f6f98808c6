// The pieces of meta-commands: the words of a line and its `;`s, \watch's interval, psql patterns, meta-command lines in
// scripts (found outside strings and comments only, run where they stand), and the Tab list in sync.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { META_COMMANDS } from '../../src/console/completion.js'
import { patternRegExp } from '../../src/console/describe.js'
import { DEFAULT_EDITOR, editorCommand } from '../../src/console/editor.js'
import { isMetaCommand, metaLine, metaWords, WATCH_SECONDS_MAX, watchSeconds } from '../../src/console/meta-commands.js'
import { DEFAULT_PAGER, needsPager, pagerCommand } from '../../src/console/pager.js'
import { scanStatements } from '../../src/console/scan.js'
import { Session } from '../../src/console/session.js'
import { scriptItems } from '../../src/console/source.js'
import { tempDir } from '../support/tmp.js'

test('metaWords: blanks separate, single quotes group with \'\' for a quote, an open quote is null', () => {
  assert.equal(metaWords(' null  (none) '), ['null', '(none)'])
  assert.equal(metaWords(" null 'it''s empty'"), ['null', "it's empty"])
  assert.equal(metaWords(" null ''"), ['null', ''])
  assert.equal(metaWords(''), [])
  assert.is(metaWords(" null 'open"), null)
})

test('\\d and its kin: the `;`s and blanks at the end are dropped (typed by habit, as after SQL); a quoted one stays', () => {
  assert.is(metaLine('\\d account;'), '\\d account')
  assert.is(metaLine('\\dt;'), '\\dt')
  assert.is(metaLine('  \\d+ acc* ; ;; '), '\\d+ acc*')
  assert.is(metaLine('\\di;'), '\\di')
  assert.is(metaLine("\\df 'a;';"), "\\df 'a;'")
  // Not for the others, whose arguments are values (a \pset null text, a \o file).
  assert.is(metaLine('\\pset null x;'), '\\pset null x;')
  assert.is(metaLine('\\x;'), '\\x;')
})

test('\\watch interval: default 2, positive, at most an hour; anything else is named', () => {
  assert.is(watchSeconds(undefined), 2)
  assert.is(watchSeconds('0.5'), 0.5)
  assert.is(watchSeconds(String(WATCH_SECONDS_MAX)), WATCH_SECONDS_MAX)
  for (const bad of ['0', '-1', 'abc', '1e3', 'Infinity', '3601', '']) assert.type(watchSeconds(bad), 'string', bad)
  assert.match(watchSeconds('3601') as string, /at most 3600/)
  assert.match(watchSeconds('x') as string, /positive number of seconds, not "x"/)
})

test('patterns: * and ? wildcards, case-insensitive, everything else literal', () => {
  assert.ok(patternRegExp('acc*').test('Account'))
  assert.ok(patternRegExp('t?').test('t1'))
  assert.not.ok(patternRegExp('t?').test('t12'))
  assert.not.ok(patternRegExp('a.c').test('abc'))
  assert.ok(patternRegExp('a.c').test('A.C'))
  assert.not.ok(patternRegExp('acc').test('account'))
  // Double quotes quote, as in psql: `\d "select"` found nothing (it looked for a name with quotes in it).
  assert.ok(patternRegExp('"select"').test('select'))
  assert.ok(patternRegExp('"a*"').test('a*'))
  assert.not.ok(patternRegExp('"a*"').test('ab'))
  assert.ok(patternRegExp('"x""y"?').test('x"yz'))
  assert.ok(patternRegExp('pre"fix"*').test('prefix_1'))
})

test('scripts: a backslash line outside strings and comments is a meta-command; it runs where it stands', () => {
  const text = "SELECT 1;\n\\x on\nSELECT 'a\n\\not meta';\n  \\pset null 'x;y'\n/*\n\\no\n*/ SELECT\n\\timing\n2;"
  const scan = scanStatements(text, { metaLines: true })
  assert.equal(scan.metaLines.map((m) => text.slice(m.start, m.end)), ['\\x on', "\\pset null 'x;y'", '\\timing'])
  const items = scriptItems({ label: 'f.sql', text, baseDir: '/' }, 10)
  assert.equal(items.map((i) => (i.kind === 'meta' ? i.text : `${i.statement.index}:${i.statement.text}`)), [
    '10:SELECT 1;',
    '\\x on',
    "11:SELECT 'a\n\\not meta';",
    "\\pset null 'x;y'",
    '\\timing',
    // The meta-command runs before the statement it stands in, and is no part of its text (blanked, so
    // that positions in it still hold), as psql leaves it out of the query buffer.
    '12:SELECT\n       \n2;',
  ])
  // Without the option (the REPL's buffer) nothing changes.
  assert.equal(scanStatements('\\x\nSELECT 1;').metaLines, [])
})

test('Tab offers exactly meta-commands that run', () => {
  for (const m of META_COMMANDS) assert.ok(isMetaCommand(m), m)
  for (const m of ['\\d', '\\dt', '\\df', '\\x', '\\pset', '\\o', '\\i', '\\e', '\\watch', '\\conninfo']) assert.ok(META_COMMANDS.includes(m), m)
})

test('the pager: $PAGER as set, none when it is empty, else less -FRX when less is on PATH, else none', () => {
  const tmp = tempDir()
  try {
    const bin = join(tmp.dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'less'), '#!/bin/sh\n', { mode: 0o755 })
    writeFileSync(join(tmp.dir, 'less'), 'not executable', { mode: 0o644 })
    assert.is(pagerCommand({ PAGER: 'more -s', PATH: bin }), 'more -s')
    assert.is(pagerCommand({ PAGER: '  ', PATH: bin }), null)
    assert.is(pagerCommand({ PATH: `/nonexistent:${bin}` }), DEFAULT_PAGER)
    assert.is(pagerCommand({ PATH: tmp.dir }), null)
    assert.is(pagerCommand({}), null)
  } finally {
    tmp.cleanup()
  }
})

test('the pager is needed when the text takes more screen rows than the terminal has: wrapped lines count', () => {
  const size = { columns: 200, rows: 50 }
  // 31 lines (the last one empty, where the prompt goes), each 250 columns wide: two rows each.
  const wide = `${Array.from({ length: 30 }, () => 'w'.repeat(250)).join('\n')}\n`
  assert.ok(needsPager(wide, size))
  assert.not.ok(needsPager(`${Array.from({ length: 30 }, () => 'w'.repeat(200)).join('\n')}\n`, size))
  // Empty lines take a row; 50 rows fit, 51 do not.
  assert.not.ok(needsPager('\n'.repeat(49), size))
  assert.ok(needsPager('\n'.repeat(50), size))
  // Wide characters take two columns (150 of them: two rows); the escapes that dim log lines none.
  assert.ok(needsPager('名'.repeat(150), { columns: 200, rows: 1 }))
  assert.not.ok(needsPager(`\x1b[2mlog: ${'x'.repeat(190)}\x1b[22m`, { columns: 200, rows: 1 }))
  // A terminal that says it has no columns: one column per row, not a division by zero.
  assert.ok(needsPager('abc', { columns: 0, rows: 2 }))
})

test('the editor: $VISUAL, else $EDITOR, else vi; an empty one does not count', () => {
  assert.is(editorCommand({ VISUAL: 'code -w', EDITOR: 'nano' }), 'code -w')
  assert.is(editorCommand({ VISUAL: '', EDITOR: 'nano' }), 'nano')
  assert.is(editorCommand({}), DEFAULT_EDITOR)
})

test('\\conninfo\'s facts: TLS from wss://, whether a token is sent, no connection before the first statement', () => {
  assert.equal(new Session('wss://db.example:7878', { token: 't' }).info(), { url: 'wss://db.example:7878', tls: true, token: true, connected: false })
  assert.equal(new Session('ws://127.0.0.1:1').info(), { url: 'ws://127.0.0.1:1', tls: false, token: false, connected: false })
})

test('\\conninfo with no server to ask: why there is no version, not a rejection', async () => {
  const session = new Session('ws://127.0.0.1:1')
  try {
    const v = await session.serverVersion()
    assert.ok('unknown' in v && /^cannot ask: INTERNAL: cannot connect to ws:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/.test(v.unknown), JSON.stringify(v))
    assert.is(session.info().connected, false)
  } finally {
    await session.close()
  }
})

test.run()
