// The console's statement scanner (src/console/scan.ts): where statements end in text that may be
// unfinished or not lexable, and agreement with the server's splitter (src/sql/split.ts) on every script the
// lexer accepts, so a statement the console sends is exactly one statement for the server.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { scanStatements } from '../../src/console/scan.js'
import { splitScript } from '../../src/sql/split.js'

const texts = (src: string): string[] => scanStatements(src).statements.map((s) => src.slice(s.start, s.end))

test('a ; inside a string, a quoted identifier, a blob or a comment does not end a statement', () => {
  assert.equal(texts("INSERT INTO t VALUES ('a;b'); SELECT 1;"), ["INSERT INTO t VALUES ('a;b');", 'SELECT 1;'])
  assert.equal(texts('SELECT "x;y" FROM t;'), ['SELECT "x;y" FROM t;'])
  assert.equal(texts("SELECT X'3b' FROM t; SELECT 'it''s;' FROM t;"), ["SELECT X'3b' FROM t;", "SELECT 'it''s;' FROM t;"])
  assert.equal(texts('SELECT 1 -- no; not here\n FROM t;'), ['SELECT 1 -- no; not here\n FROM t;'])
  assert.equal(texts('SELECT /* ; */ 1;'), ['SELECT /* ; */ 1;'])
})

test('statements start at their first character, after space and comments; empty statements are skipped', () => {
  const src = '  -- setup\n  /* c */ CREATE TABLE t (k INTEGER PRIMARY KEY);;  ;\nSELECT 1;'
  const r = scanStatements(src)
  assert.equal(r.statements.map((s) => src.slice(s.start, s.end)), ['CREATE TABLE t (k INTEGER PRIMARY KEY);', 'SELECT 1;'])
  assert.is(r.restHasContent, false)
  assert.is(r.endState, 'code')
})

test('unfinished input: the rest after the last ; and the state it ends in', () => {
  let r = scanStatements('SELECT 1; SELECT')
  assert.is(r.statements.length, 2)
  assert.is(r.statements[1]?.terminated, false)
  assert.is(r.restHasContent, true)
  assert.is(r.restStart, 9)
  r = scanStatements("INSERT INTO t VALUES ('abc;")
  assert.is(r.endState, 'string')
  assert.is(r.statements.some((s) => s.terminated), false)
  assert.is(scanStatements('SELECT "a;').endState, 'ident')
  assert.is(scanStatements('SELECT 1; /* open ;').endState, 'block-comment')
  assert.is(scanStatements('SELECT 1; /* open ;').restHasContent, false)
  assert.is(scanStatements('SELECT 1; -- a comment').endState, 'code')
  assert.is(scanStatements('SELECT 1; -- a comment').restHasContent, false)
})

test('a block comment open at the end stays in the statement it follows (it was cut off, and the rest ran without it)', () => {
  assert.equal(texts('DELETE FROM t /* WHERE k = 2'), ['DELETE FROM t /* WHERE k = 2'])
  assert.equal(texts('SELECT 1; DELETE FROM t /* WHERE k = 2;\n'), ['SELECT 1;', 'DELETE FROM t /* WHERE k = 2;\n'])
  assert.equal(texts('SELECT 1; /* nothing after */'), ['SELECT 1;'])
  assert.equal(texts('DELETE FROM t /* closed */  '), ['DELETE FROM t'])
})

test('a block comment open after the last statement is a statement of its own, unterminated (the server reports it)', () => {
  assert.equal(texts('SELECT 1; /* open ;\nDELETE FROM t;'), ['SELECT 1;', '/* open ;\nDELETE FROM t;'])
  assert.equal(texts('/* closed */ /* open'), ['/* open'])
  assert.equal(scanStatements('-- x\n/* open').statements, [{ start: 5, end: 12, terminated: false }])
})

test('an unfinished statement ends at its last non-space character', () => {
  const src = 'SELECT 1  \n  '
  const [s] = scanStatements(src).statements
  assert.equal(s, { start: 0, end: 8, terminated: false })
})

test('text the lexer rejects still splits, so the server reports the bad statement and runs the others', () => {
  assert.equal(texts('SELECT 1; SELECT @ FROM t; SELECT 2;'), ['SELECT 1;', 'SELECT @ FROM t;', 'SELECT 2;'])
  assert.throws(() => splitScript('SELECT 1; SELECT @ FROM t; SELECT 2;'))
})

const fragment = fc.constantFrom(
  'SELECT', 'a', 'FROM', 't', '1', '2.5', ',', '(', ')', '=', '-', '*', '/', ';', ';', ';', ' ', '\n', '\t',
  "'x;y'", "'it''s'", "''", '"q;"', '"a""b"', "X'3b00'", "x''", '-- c; x\n', '/* ; */', '/**/', '- -', '--\n',
)

test('property: the console splits every lexable script where the server does', () => {
  fc.assert(fc.property(fc.array(fragment, { maxLength: 40 }), (parts) => {
    const src = parts.join(' ')
    let raw
    try { raw = splitScript(src) } catch { return }   // not lexable: nothing to agree on
    const mine = scanStatements(src).statements
    assert.equal(mine.map((s) => s.start), raw.map((r) => r.offset), src)
    // The server's statement text runs through its last token; the console's also holds the `;`.
    for (const [i, s] of mine.entries()) assert.ok(src.slice(s.start, s.end).startsWith((raw[i] as { text: string }).text), src)
  }), { numRuns: 2000, seed: 7 })
})

test.run()
