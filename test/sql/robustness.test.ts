// Whatever the input, the parser returns statements or throws AcheronError SYNTAX_ERROR at a real place in
// the script; it never throws anything else, never overflows its stack and never hangs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { AcheronError } from '../../src/errors.js'
import { parseScript } from '../../src/sql/parse.js'
import { groupTransactions } from '../../src/sql/transactions.js'

const INPUT_CHARS_MAX = 400
const RUNS = 1500

const VALID = [
  'CREATE TABLE IF NOT EXISTS account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, b BOOLEAN DEFAULT TRUE) PARTITIONS 8;',
  'CREATE TABLE t (k INTEGER, v BLOB DEFAULT X\'00ff\', r REAL DEFAULT -1.5e3, PRIMARY KEY (k))',
  "CREATE OR REPLACE FUNCTION account.transfer FROM WASM BASE64 'AGFzbQEAAAA=' EXPORT 'transfer' WITH (FUEL = 1000, MEMORY = 65536)",
  "CREATE FUNCTION t.f FROM WASM X'0061736d01000000'; DROP FUNCTION IF EXISTS t.f; DROP TABLE IF EXISTS t",
  "BEGIN; CALL account.transfer('alice', 'bob', 10, -9223372036854775808, 1.5, X'CAFE', NULL, TRUE, ?); COMMIT;",
  "INSERT OR REPLACE INTO account (id, balance) VALUES ('it''s', 100), ('b;c', ?)",
  "UPDATE account SET balance = balance + 10, note = 'x' WHERE id = 'alice' AND balance >= 0",
  'DELETE FROM account WHERE id IN (1, 2, 3) OR NOT (balance BETWEEN -1 AND 5)',
  "SELECT CASE WHEN balance > 0 THEN 'in' WHEN balance < 0 THEN 'out' ELSE NULL END, CASE (id) WHEN 'a' THEN 1 END FROM account",
  "SELECT DISTINCT owner AS who, COUNT(*), SUM(balance) total FROM account a WHERE a.balance > ? AND owner LIKE 'a%' GROUP BY owner HAVING COUNT(*) > 1 ORDER BY total DESC LIMIT 10 OFFSET 2",
  'SHOW TABLES; SHOW FUNCTIONS; DESCRIBE account -- trailing comment',
  '/* c; */ SELECT "key", value FROM kv WHERE "key" = \'k\' || \'x\';',
]

const ALPHABET = [..."abcXYZ_019 \n\t'\"();,.=<>!|+-*/%?xX`#é", '--', '/*', '*/', "''", "X'", 'SELECT', 'FROM', 'WHERE', 'CALL', 'NOT', 'NULL']
const TOKENS = [
  'SELECT', 'FROM', 'WHERE', 'CREATE', 'TABLE', 'FUNCTION', 'OR', 'REPLACE', 'DROP', 'IF', 'NOT', 'EXISTS', 'CALL', 'INSERT', 'INTO',
  'VALUES', 'UPDATE', 'SET', 'DELETE', 'BEGIN', 'COMMIT', 'SHOW', 'TABLES', 'FUNCTIONS', 'DESCRIBE', 'GROUP', 'ORDER', 'BY', 'HAVING',
  'LIMIT', 'OFFSET', 'AND', 'IN', 'IS', 'LIKE', 'BETWEEN', 'NULL', 'TRUE', 'FALSE', 'AS', 'DESC', 'PRIMARY', 'KEY', 'DEFAULT',
  'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'PARTITIONS', 'WASM', 'BASE64', 'FILE', 'EXPORT', 'WITH', 'FUEL', 'MEMORY', 'INTEGER', 'TEXT', 'COUNT', 'SUM', 'MAX', 'ABS',
  't', 'f', 'id', '"q"', 't.f', '(', ')', ',', ';', '.', '=', '<>', '<=', '+', '-', '*', '/', '||', '?', '0', '42', '-7', '1.5e3',
  "'s'", "'it''s'", "X'00'", '9223372036854775808', "'AGFzbQEAAAA='",
]

/** Parses and, when it succeeds, groups; checks that any failure is a well-placed SYNTAX_ERROR. */
function check(script: string): void {
  let statements
  try {
    statements = parseScript(script)
    groupTransactions(statements)
  } catch (e) {
    if (!(e instanceof AcheronError)) throw new Error(`not an AcheronError for ${JSON.stringify(script)}: ${String(e)}`)
    if (e.code !== 'SYNTAX_ERROR') throw new Error(`code ${e.code} for ${JSON.stringify(script)}`)
    const lines = script.split('\n')
    const { line, column, statement } = e
    if (line === undefined || column === undefined || statement === undefined) throw new Error(`no position for ${JSON.stringify(script)}: ${e.message}`)
    const text = lines[line - 1]
    if (text === undefined || column < 1 || column > text.length + 1) {
      throw new Error(`position ${line}:${column} outside ${JSON.stringify(script)}: ${e.message}`)
    }
    if (!Number.isInteger(statement) || statement < 0 || e.message.length === 0) throw new Error(`bad statement index or message: ${e.message}`)
  }
}

function timed(run: () => void): void {
  const started = Date.now()
  run()
  // Each case is a few hundred characters: anything near this bound would be a runaway loop.
  assert.ok(Date.now() - started < 15_000, 'the property ran within its time bound')
}

test('random strings', () => {
  timed(() => fc.assert(fc.property(fc.string({ maxLength: INPUT_CHARS_MAX, unit: 'grapheme' }), check), { numRuns: RUNS }))
  timed(() => fc.assert(fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 120 }), (parts) => check(parts.join(''))), { numRuns: RUNS }))
})

test('random token soups (reach deep into the grammar)', () => {
  timed(() => fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (toks) => check(toks.join(' '))), { numRuns: RUNS * 2 }))
})

test('every valid corpus statement parses', () => {
  for (const sql of VALID) parseScript(sql)
})

test('random truncations of valid statements', () => {
  timed(() => fc.assert(fc.property(fc.constantFrom(...VALID), fc.nat(), (sql, cut) => check(sql.slice(0, cut % (sql.length + 1)))), { numRuns: RUNS }))
})

test('random mutations of valid statements', () => {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), text: fc.constantFrom(...ALPHABET, ...TOKENS.map((t) => ` ${t} `)) })
  timed(() => fc.assert(fc.property(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 4 }), (sql, edits) => {
    let s = sql
    for (const { at, kind, text } of edits) {
      const i = at % (s.length + 1)
      s = kind === 'insert' ? s.slice(0, i) + text + s.slice(i) : kind === 'delete' ? s.slice(0, i) + s.slice(i + text.length) : s.slice(0, i) + text + s.slice(i + text.length)
    }
    check(s.slice(0, INPUT_CHARS_MAX))
  }), { numRuns: RUNS * 2 }))
})

test('a lone surrogate inserted anywhere in a valid script is refused at that very character', () => {
  const units = ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00']
  timed(() => fc.assert(fc.property(fc.constantFrom(...VALID), fc.nat(), fc.constantFrom(...units), (sql, at, unit) => {
    const i = at % (sql.length + 1)
    const script = sql.slice(0, i) + unit + sql.slice(i)
    let e: AcheronError | null = null
    try {
      parseScript(script)
    } catch (err) {
      if (!(err instanceof AcheronError)) throw err
      e = err
    }
    if (e === null) throw new Error(`accepted ${JSON.stringify(script)}`)
    assert.is(e.code, 'SYNTAX_ERROR', e.message)
    const before = script.slice(0, i).split('\n')
    const where = { line: before.length, column: (before[before.length - 1] as string).length + 1 }
    // Splitting a token (`*/` of a comment, `||`) is an error of that token first, before the insertion.
    if (!/not well-formed/.test(e.message)) {
      assert.ok(e.line! < where.line || (e.line === where.line && e.column! < where.column), `${e.message} after the insertion in ${JSON.stringify(script)}`)
      return
    }
    assert.match(e.message, /text is not well-formed Unicode \(lone surrogate U\+D[89A-F][0-9A-F]{2} at line \d+, column \d+\)$/)
    assert.equal({ line: e.line, column: e.column }, where, `${e.message} in ${JSON.stringify(script)}`)
  }), { numRuns: RUNS }))
})

test('pathological sizes stay bounded', () => {
  timed(() => {
    check('('.repeat(100_000))
    check(`SELECT a FROM t WHERE ${'('.repeat(100_000)}`)
    check(`SELECT a FROM t WHERE a${' OR a'.repeat(50_000)}`)
    check(`CALL t.f(${'1,'.repeat(50_000)}1)`)
    check(';'.repeat(100_000))
    check(`'${"''".repeat(50_000)}`)
    check('-'.repeat(100_001))
  })
})

test.run()
