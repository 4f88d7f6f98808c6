// Every syntax error is an AcheronError SYNTAX_ERROR at the offending token of the ORIGINAL script.
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { parseScript } from '../../src/sql/parse.js'
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS } from '../../src/sql/ast.js'
import { EXPR_DEPTH_MAX, EXPRESSION_VALUES_MAX, OPERATORS_MAX } from '../../src/sql/parser.js'
import { groupTransactions } from '../../src/sql/transactions.js'
import { assertError, failure, oneOf, posIn } from './support.js'

test('the third statement of a multi-line script: line and column in the script, statement index 2', () => {
  const script = 'CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n\n  -- comment\n  SELECT id\n    FROM t WHERE id = = 3;\nSELECT 1 FROM t;'
  const at = posIn(script, '= 3')
  assertError(script, at.line, at.column, /^expected an expression, found '='$/, 2)
  assert.equal([at.line, at.column], [6, 23])
})

test('lexical errors carry their statement and position', () => {
  assertError("SELECT a FROM t;\nSELECT 'abc FROM t", 2, 8, /^unterminated string literal$/, 1)
  assertError('CALL t.f(1);\n  CALL t.f("x)', 2, 12, /^unterminated quoted identifier$/, 1)
  assertError('CALL t.f(1); /* never closed', 1, 14, /^unterminated \/\* comment$/, 1)
  assertError("CALL t.f(X'0g')", 1, 10, /invalid blob literal: 'g' is not a hex digit/)
  assertError("CALL t.f(X'abc')", 1, 10, /odd number of hex digits/)
  assertError("CALL t.f(X'ab", 1, 10, /unterminated blob literal/)
  assertError('CALL t.f(12ab)', 1, 10, /^invalid number '12ab'$/)
  assertError('CALL t.f(1.2.3)', 1, 10, /^invalid number '1.2.3'$/)
  // SQLite's hexadecimal integers: 64-bit two's complement, at most 16 significant digits.
  assert.equal(oneOf('select', 'SELECT 0x1F, 0XFFFFFFFFFFFFFFFF, -0x10, 0x00000000000000000001, 0x8000000000000000').items.map((i) => i.kind === 'expr' && i.expr.kind === 'literal' ? i.expr.value : null),
    [31n, -1n, -16n, 1n, -9223372036854775808n])
  assertError('SELECT 0x10000000000000000', 1, 8, /^hex literal 0x10000000000000000 is out of the 64-bit range \(at most 16 hex digits\)$/)
  assertError('SELECT 0x1g', 1, 8, /^invalid number '0x1g'$/)
  assertError('SELECT 0x', 1, 8, /^invalid number '0x'$/)
  assertError('CALL t.f(#)', 1, 10, /^unexpected character '#'$/)
  assertError('CALL t.f(1); CALL t.f(\u00e9)', 1, 23, /^unexpected character 'é'$/, 1)
})

test("another dialect's parameters and casts say how Acheron writes them", () => {
  assertError('SELECT * FROM t WHERE id = $1', 1, 28, /^unexpected character '\$': a parameter is written \?, not \$1 \(the values are given in the order of the \?s in the statement\)$/)
  assertError('SELECT * FROM t WHERE id = :id', 1, 28, /: a parameter is written \?, not :id /)
  assertError('SELECT * FROM t WHERE id = @id', 1, 28, /: a parameter is written \?, not @id /)
  assertError("SELECT '1'::INTEGER FROM t", 1, 11, /^unexpected character ':': PostgreSQL's x::type cast is not offered, write CAST\(x AS type\)$/)
  assertError('SELECT * FROM t WHERE id = $', 1, 28, /^unexpected character '\$'$/)
})

test('a character that shows as a space or as nothing (pasted from a web page or a document) is named by its code point; curly quotes say which ASCII quote to type', () => {
  const pasted = /: words are separated by ASCII spaces, tabs and line breaks \(text pasted from a web page or a document brings such characters\)$/
  assertError('SELECT\u00a01', 1, 7, new RegExp(`^unexpected character U\\+00A0, a non-ASCII space${pasted.source}`))
  assertError('SELECT 1,\u200b2', 1, 10, new RegExp(`^unexpected character U\\+200B, which shows as nothing${pasted.source}`))
  assertError('\ufeffSELECT 1', 1, 1, /^unexpected character U\+FEFF, which shows as nothing: /)
  assertError('SELECT 1\u0004', 1, 9, /^unexpected character U\+0004, which shows as nothing: /)
  assertError('SELECT \u2018x\u2019', 1, 8, /^unexpected character '\u2018' \(U\+2018\): a string is quoted with ' and a name with " \(a word processor puts curly quotes in for them\)$/)
  assertError('SELECT \u201cx\u201d FROM t', 1, 8, /^unexpected character '\u201c' \(U\+201C\): /)
})

test('a lone surrogate anywhere in the script is a SYNTAX_ERROR at that character', () => {
  const lone = (unit: string) => new RegExp(`^(string literal|quoted identifier|comment|blob literal|SQL text): text is not well-formed Unicode \\(lone surrogate U\\+${unit} at line \\d+, column \\d+\\)$`)
  assertError("CALL t.f('ab\ud800')", 1, 13, lone('D800'))
  assertError("CALL t.f(1);\nINSERT INTO t VALUES ('x',\n  'é\udc00')", 3, 5, /^string literal: .*U\+DC00 at line 3, column 5\)$/, 1)
  assertError("CALL t.f('\udc00\ud800')", 1, 11, lone('DC00'))
  // A pair split by the '' escape is two lone halves in the value.
  assertError("CALL t.f('\ud83d''\ude00')", 1, 11, lone('D83D'))
  assertError('SELECT "a\ud800" FROM t', 1, 10, /^quoted identifier: /)
  assertError('SELECT a FROM t -- \ud800', 1, 20, /^comment: /)
  assertError('SELECT a /* one\n two \udfff */ FROM t', 2, 6, /^comment: .*U\+DFFF/)
  assertError('SELECT a FROM t WHERE a = \ud800', 1, 27, /^SQL text: /)
  assertError("CALL t.f(X'00\ud800')", 1, 14, /^blob literal: /)
  // Well-formed text outside the BMP is fine in literals, identifiers and comments.
  const [s] = parseScript("CALL t.f('😀', 'a😀b') -- 😀")
  assert.equal(s?.kind === 'call' && s.args.map((a) => a.kind === 'literal' && a.value), ['a😀b'])
  assert.equal(s?.kind === 'call' && s.key.kind === 'literal' && s.key.value, '😀')
  assertError('CALL t.f(😀)', 1, 10, /^unexpected character '😀'$/)
})

test('64-bit integer range and real range', () => {
  assertError('CALL t.f(9223372036854775808)', 1, 10, /integer literal 9223372036854775808 is out of the 64-bit range/)
  assertError('CALL t.f(-9223372036854775809)', 1, 11, /integer literal -9223372036854775809 is out of the 64-bit range/)
  assertError('SELECT a FROM t WHERE a = 99999999999999999999', 1, 27, /out of the 64-bit range/)
  assertError('CALL t.f(1e999)', 1, 10, /real literal 1e999 is out of range/)
  const [s] = parseScript('CALL t.f(-9223372036854775808, 9223372036854775807)')
  assert.equal(s?.kind === 'call' && [s.key.kind === 'literal' && s.key.value], [-(2n ** 63n)])
})

test('expected-token messages name what was found', () => {
  assertError('CALL t.f FROM', 1, 10, /^expected '\(' after the function name, found 'FROM'$/)
  assertError('CALL t.f()', 1, 10, /^expected the key \(a literal or \?\) after 't.f\(', found '\)'$/)
  assertError('CALL t.f(a)', 1, 10, /^expected the key/)
  assertError('CALL tf(1)', 1, 8, /^expected '.' and a function name \(functions are named table.function\) after 'tf', found '\('$/)
  assertError('CALL t.f(1', 1, 11, /^expected '\)' after the arguments, found end of statement$/)
  assertError('CALL t.f(1) extra', 1, 13, /^expected ';' or end of statement, found 'extra'$/)
  assertError('FROB t', 1, 1, /^unknown statement 'FROB'/)
  assertError('(1)', 1, 1, /^expected a statement/)
  assertError('SHOW ME', 1, 6, /^expected TABLES, FUNCTIONS, INDEXES, COLUMNS, STATS or CLUSTER after SHOW, found 'ME'$/)
  assertError('SELECT *', 1, 8, /^SELECT \* needs FROM/)
  assertError('SELECT 1 AS a b', 1, 15, /^expected FROM after the selected columns, found 'b'$/)
  assertError('SELECT a FROM', 1, 14, /^expected table name after FROM, found end of statement$/)
  assertError('SELECT a FROM where', 1, 15, /^expected table name after FROM, found 'where'$/)
  assertError('SELECT a, FROM t', 1, 11, /^expected an expression, found 'FROM'$/)
  assertError('SELECT a FROM t JOIN u', 1, 23, /^expected ON or USING after the joined table, found end of statement$/)
  assertError('SELECT a FROM t NATURAL JOIN u ON a = b', 1, 32, /^NATURAL JOIN takes no ON or USING/)
  assertError('SELECT a FROM t NATURAL CROSS JOIN u', 1, 25, /^NATURAL CROSS JOIN: a cross join has no columns in common/)
  assertError('SELECT a FROM t NATURAL u', 1, 25, /^expected JOIN after NATURAL, found 'u'$/)
  assertError('SELECT a FROM t LEFT u', 1, 22, /^expected JOIN after LEFT, found 'u'$/)
  assertError('SELECT a FROM t CROSS JOIN u ON 1', 1, 30, /^CROSS JOIN takes no ON or USING/)
  assertError("INSERT INTO t VALUES (1, 2) ON CONFLICT DO UPDATE SET a = (SELECT 1)", 1, 60, /^a subquery \(SELECT …\) is not allowed here: only in a SELECT, an UPDATE's SET and WHERE, and a DELETE's WHERE/)
  assertError('DELETE FROM t RETURNING (SELECT a FROM u)', 1, 26, /^a subquery \(SELECT …\) is not allowed here/)
  assertError('SELECT a FROM t WHERE a IN 1', 1, 28, /^expected '\(' after IN/)
  assertError('SELECT a FROM t WHERE a BETWEEN 1 OR 2', 1, 35, /^expected AND after the lower bound of BETWEEN/)
  assertError('SELECT CASE END FROM t', 1, 13, /^expected an expression, found 'END'/)
  assertError('INSERT OR FAIL INTO t VALUES (1)', 1, 11, /^expected REPLACE or IGNORE after INSERT OR, found 'FAIL'/)
  assertError('SELECT CAST(a AS VARCHAR) FROM t', 1, 18, /^expected a type \(INTEGER, REAL, TEXT, BLOB, NUMERIC, or CREATE TABLE's INT, BIGINT, DOUBLE, FLOAT\) after CAST … AS, found 'VARCHAR'/)
  assertError('SELECT CAST(a) FROM t', 1, 14, /^expected AS after the value of CAST, found '\)'/)
  assertError('SELECT a FROM t ORDER BY a NULLS MIDDLE', 1, 34, /^expected FIRST or LAST after NULLS, found 'MIDDLE'/)
  assertError('SELECT REPLACE(a, 1) FROM t', 1, 8, /^REPLACE takes 3 arguments, got 2/)
  assertError('SELECT CASE a END FROM t', 1, 15, /^expected WHEN after CASE/)
  assertError('SELECT CASE WHEN a THEN 1 FROM t', 1, 27, /^expected END after the THEN of CASE, found 'FROM'/)
  assertError('SELECT CASE WHEN a 1 END FROM t', 1, 20, /^expected THEN after the WHEN of CASE, found '1'/)
  assertError('SELECT CASE WHEN a THEN 1 ELSE 2 ELSE 3 END FROM t', 1, 34, /^expected END after CASE … WHEN … THEN …, found 'ELSE'/)
  assertError('SELECT CASE WHEN SUM(a) THEN 1 END FROM t WHERE CASE WHEN COUNT(*) THEN 1 END', 1, 59, /aggregate function COUNT is not allowed in WHERE/)
  assertError('SELECT a FROM t LIMIT -1', 1, 23, /LIMIT must be a non-negative integer/)
  // SQLite's idiom for no limit, LIMIT -1 OFFSET n, is told what it is written here; OFFSET is not.
  assertError('SELECT a FROM t LIMIT -1 OFFSET 10', 1, 23, /^LIMIT must be a non-negative integer \(SQLite's negative LIMIT, no limit, is LIMIT ALL here, or OFFSET n without a LIMIT\)$/)
  assertError('SELECT a FROM t LIMIT 1 OFFSET -1', 1, 32, /^OFFSET must be a non-negative integer$/)
  assertError("SELECT a FROM t LIMIT 'x'", 1, 23, /LIMIT must be a non-negative integer/)
  assertError('SELECT nope(a) FROM t', 1, 8, /^unknown function 'nope'/)
  assertError('SELECT RANDOM() FROM t', 1, 8, /^unknown function 'RANDOM': not offered, because it is random, and a replay of the log must compute the same value/)
  assertError('SELECT a FROM t WHERE b < TIMEDIFF(a)', 1, 27, /^TIMEDIFF takes 2 arguments, got 1/)
  assertError('SELECT POW(a, 2), LN(a) FROM t', 1, 8, /^unknown function 'POW': not offered, because its result is rounded differently by different C libraries/)
  assertError('SELECT LAST_INSERT_ROWID() FROM t', 1, 8, /^unknown function 'LAST_INSERT_ROWID': not offered, because it reads the SQLite connection/)
  assertError("SELECT printf('%d', a) FROM t", 1, 8, /^unknown function 'printf': not offered, because a width in its format can ask for a string of up to 1 GB/)
  assertError('SELECT JSON_OBJECT(a) FROM t WHERE a IS DISTINCT b', 1, 41, /^expected an expression, found 'DISTINCT'/)
  assertError('SELECT JSON_GROUP_ARRAY(a) OVER (ORDER BY a) FROM t', 1, 8, /^JSON_GROUP_ARRAY cannot be used with OVER/)
  assertError('SELECT JSON_GROUP_OBJECT(a) FROM t', 1, 8, /^JSON_GROUP_OBJECT takes 2 arguments, got 1/)
  assertError('SELECT PI(1) FROM t', 1, 8, /^PI takes 0 arguments, got 1/)
  assertError('SELECT a FROM t ORDER BY b COLLATE latin1', 1, 36, /^expected a collation \(BINARY, NOCASE, RTRIM\) after COLLATE, found 'latin1'/)
  assertError("SELECT a FROM t WHERE b GLOB 'x*' ESCAPE '!'", 1, 35, /^expected ';' or end of statement, found 'ESCAPE'/)
  assertError('SELECT a FROM t WHERE COUNT(*) > 1', 1, 23, /aggregate function COUNT is not allowed in WHERE/)
  assertError('SELECT SUM(COUNT(a)) FROM t', 1, 12, /cannot be nested/)
  assertError('SELECT MAX(SUM(a)) FROM t', 1, 8, /cannot be nested/)
  assertError('SELECT ABS(1, 2) FROM t', 1, 8, /ABS takes 1 argument, got 2/)
  assertError('SELECT SUM(*) FROM t', 1, 12, /^expected an expression, found '\*'$/)
  assertError('UPDATE t SET a = SUM(a)', 1, 18, /not allowed in SET/)
  assertError('UPDATE t SET a 1', 1, 16, /^expected '=' after column a, found '1'$/)
  assertError("CALL t.f(1) 'x'", 1, 13, /^expected ';' or end of statement, found 'x'$/)
  assertError("CALL t.f(1) X'00'", 1, 13, /^expected ';' or end of statement, found X'00'$/)
  assertError('DELETE t', 1, 8, /^expected FROM after DELETE, found 't'$/)
  assertError('INSERT INTO t VALUES (1, a)', 1, 26, /^expected a value \(a literal, \? or a clock: CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME or NOW\(\)\), or DEFAULT, found 'a'$/)
  assertError('INSERT INTO t (a, b) VALUES (1, 2), (3)', 1, 37, /^row 2 has 1 value, expected 2$/)
  assertError('INSERT t VALUES (1)', 1, 8, /^expected INTO after INSERT, found 't'$/)
})

test('CREATE TABLE errors', () => {
  assertError('CREATE TABLE t (a INTEGER)', 1, 14, /table t has no primary key/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT PRIMARY KEY)', 1, 40, /more than one primary key/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY, PRIMARY KEY (a))', 1, 40, /more than one primary key/)
  assertError('CREATE TABLE t (a INTEGER, PRIMARY KEY (a, b))', 1, 42, /exactly one column/)
  assertError('CREATE TABLE t (a INTEGER, PRIMARY KEY (b))', 1, 28, /PRIMARY KEY \(b\) names no column of t/)
  assertError('CREATE TABLE t (a STRINGY PRIMARY KEY)', 1, 19, /^expected a column type \(INTEGER, REAL, TEXT, BLOB or BOOLEAN\) after column a, found 'STRINGY'$/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY DEFAULT ?)', 1, 47, /a \? parameter is not allowed in a literal/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY DEFAULT 1 DEFAULT 2)', 1, 49, /DEFAULT given twice/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY NOT NULL NULL)', 1, 48, /NULL or NOT NULL given twice/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY GENERATED)', 1, 39, /^expected NOT NULL, DEFAULT, PRIMARY KEY, ',' or '\)' after column a INTEGER, found 'GENERATED'$/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY) PARTITIONS 0', 1, 51, /PARTITIONS must be from 1 to 256, got 0/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY) PARTITIONS 257', 1, 51, /PARTITIONS must be from 1 to 256/)
  assertError('CREATE TABLE t (a INTEGER PRIMARY KEY) PARTITIONS x', 1, 51, /expected a number of partitions after PARTITIONS/)
  assertError('CREATE TABLE 1t (a INTEGER PRIMARY KEY)', 1, 14, /invalid number '1t'/)
  assertError('CREATE TABLE "a b" (a INTEGER PRIMARY KEY)', 1, 14, /^invalid table name 'a b': use letters, digits and _/)
  assertError(`CREATE TABLE ${'x'.repeat(65)} (a INTEGER PRIMARY KEY)`, 1, 14, /at most 64/)
  const cols = Array.from({ length: 129 }, (_, i) => `c${i} INTEGER`).join(', ')
  assertError(`CREATE TABLE t (${cols} PRIMARY KEY)`, 1, 17 + cols.indexOf('c128'), /too many columns \(at most 128\)/)
  assertError('CREATE TABLES t', 1, 8, /^expected TABLE, INDEX, FUNCTION or FUNCTIONS after CREATE, found 'TABLES'$/)
})

test("SQLite's and PostgreSQL's other constraints say why they are left out, at the word; words of those names stay column names", () => {
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY, u TEXT UNIQUE)', 1, 48, /^UNIQUE is not supported: a row lives in the partition its key chooses/)
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY, u TEXT, UNIQUE (u))', 1, 49, /^UNIQUE is not supported: /)
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY, c INTEGER CHECK (c > 0))', 1, 51, /^CHECK constraints are not supported: check values in the function that writes them/)
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY, o TEXT REFERENCES item(sku))', 1, 48, /^REFERENCES \(foreign keys\) is not supported: /)
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY, o TEXT, FOREIGN KEY (o) REFERENCES item(sku))', 1, 49, /^FOREIGN KEY is not supported: /)
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY AUTOINCREMENT)', 1, 40, /^AUTOINCREMENT is not supported: every INSERT gives the key/)
  assertError('CREATE TABLE q (id INTEGER PRIMARY KEY, u TEXT, CONSTRAINT c CHECK (u > 0))', 1, 49, /^named constraints \(CONSTRAINT name …\) are not supported/)
  assertError('ALTER TABLE q ADD COLUMN u TEXT UNIQUE', 1, 33, /^UNIQUE is not supported: /)
  const [s] = parseScript('CREATE TABLE q (id INTEGER PRIMARY KEY, unique INTEGER, check TEXT, constraint INTEGER)')
  assert.equal(s?.kind === 'create-table' && s.columns.map((c) => c.name), ['id', 'unique', 'check', 'constraint'])
})

test("PostgreSQL's and MySQL's column types say which of the five to write; DOUBLE PRECISION is REAL", () => {
  assertError('CREATE TABLE t (id TEXT PRIMARY KEY, v VARCHAR(10))', 1, 40, /^VARCHAR is not a column type here: write TEXT \(text of any length\) \(the types are INTEGER, REAL, TEXT, BLOB and BOOLEAN\)$/)
  assertError('CREATE TABLE t (id SERIAL PRIMARY KEY)', 1, 20, /^SERIAL is not a column type here: write INTEGER; every INSERT gives the key/)
  assertError('CREATE TABLE t (id TEXT PRIMARY KEY, ts TIMESTAMP)', 1, 41, /^TIMESTAMP is not a column type here: store TEXT, as SQLite does \('2026-01-02 03:04:05', UTC; TEXT DEFAULT CURRENT_TIMESTAMP gives a new row its batch's time\), or INTEGER \(UNIXEPOCH\(\)/)
  assertError('ALTER TABLE t ADD COLUMN p NUMERIC(10, 2)', 1, 28, /^NUMERIC is not a column type here: write INTEGER for an exact amount/)
  assertError('CREATE TABLE t (id TEXT PRIMARY KEY, v NOPE)', 1, 40, /^expected a column type \(INTEGER, REAL, TEXT, BLOB or BOOLEAN\) after column v, found 'NOPE'$/)
  const [s] = parseScript('CREATE TABLE t (id TEXT PRIMARY KEY, v DOUBLE PRECISION NOT NULL, w DOUBLE)')
  assert.equal(s?.kind === 'create-table' && s.columns.map((c) => [c.name, c.type, c.notNull]), [['id', 'TEXT', false], ['v', 'REAL', true], ['w', 'REAL', false]])
})

test('CREATE FUNCTION errors: invalid base64 and hex at the literal', () => {
  assertError("CREATE FUNCTION t.f FROM WASM BASE64 'AGFzbQ=A'", 1, 38, /invalid base64/)
  assertError("CREATE FUNCTION t.f FROM WASM BASE64 'AGF'", 1, 38, /invalid base64/)
  assertError("CREATE FUNCTION t.f FROM WASM\n  X'0061736'", 2, 3, /odd number of hex digits/)
  assertError('CREATE FUNCTION t.f FROM WASM 42', 1, 31, /^expected the module: BASE64 '...', X'...' or FILE '...' after FROM WASM, found '42'$/)
  assertError("CREATE FUNCTION t.f FROM WASM FILE ''", 1, 36, /FILE needs a path/)
  assertError("CREATE FUNCTION t.f FROM WASM X'00' EXPORT f", 1, 44, /expected the export's name as a 'string' after EXPORT/)
  assertError("CREATE FUNCTION t.f FROM WASM X'00' WITH (FUEL = 1, FUEL = 2)", 1, 53, /FUEL given twice/)
  assertError("CREATE FUNCTION t.f FROM WASM X'00' WITH (GAS = 1)", 1, 43, /^expected FUEL or MEMORY, found 'GAS'$/)
  assertError("CREATE FUNCTION t.f FROM WASM X'00' WITH (FUEL = -1)", 1, 50, /^expected a positive integer after FUEL =, found '-'$/)
  assertError("CREATE FUNCTION t.f FROM WASM X'00' WITH (FUEL = 99999999999999999999)", 1, 50, /too large/)
  assertError('CREATE FUNCTION t.f WASM', 1, 21, /^expected FROM after the function name, found 'WASM'$/)
  assertError('CREATE OR FUNCTION t.f', 1, 11, /^expected REPLACE after CREATE OR, found 'FUNCTION'$/)
  assertError('DROP FUNCTION t', 1, 16, /^expected '.' and a function name/)
  assertError('DROP VIEW v', 1, 6, /^expected TABLE, INDEX or FUNCTION after DROP, found 'VIEW'$/)
})

test('CREATE TABLE: a DEFAULT on the primary-key column is a SYNTAX_ERROR at the column (it was accepted and never used)', () => {
  assertError('CREATE TABLE d (id INTEGER PRIMARY KEY DEFAULT 5, a INTEGER)', 1, 17, /^the primary-key column id takes no DEFAULT: every INSERT gives the key, which places the row$/)
  assertError("CREATE TABLE d (a INTEGER,\n  id TEXT DEFAULT 'x', PRIMARY KEY (id))", 2, 3, /^the primary-key column id takes no DEFAULT/)
  parseScript('CREATE TABLE d (id INTEGER PRIMARY KEY, a INTEGER DEFAULT 5)')
})

test('INSERT: a column named twice is a SYNTAX_ERROR at its second mention, before anything runs', () => {
  assertError("INSERT INTO u (id, n, ID) VALUES ('x', 1, 'y')", 1, 23, /^column ID is named twice$/)
  // UPDATE the same way (as PostgreSQL; it was accepted, the last value winning).
  assertError('UPDATE u SET n = 1, N = 2 WHERE id = 1', 1, 21, /^column N is set twice$/)
})

test('deep nesting and long operator chains are bounded SYNTAX_ERRORs, not stack overflows', () => {
  assertError(`SELECT a FROM t WHERE ${'('.repeat(65)}1${')'.repeat(65)}`, 1, 22 + 65, /nested too deeply/)
  assertError(`SELECT a FROM t WHERE ${'NOT '.repeat(100)}a`, 1, 23 + 4 * 64, /nested too deeply/)
  assertError(`SELECT a FROM t WHERE ${'- '.repeat(100)}a`, 1, 23 + 2 * 64, /nested too deeply/)
  assertError(`SELECT ${'ABS('.repeat(100)}1${')'.repeat(100)} FROM t`, 1, 8 + 4 * 64, /nested too deeply/)
  const e = failure(() => parseScript(`SELECT a FROM t WHERE a = 1${' + 1'.repeat(OPERATORS_MAX)}`))
  assert.match(e.message, new RegExp(`expression too long \\(at most ${OPERATORS_MAX} operators`))
  parseScript(`SELECT a FROM t WHERE a IN (${Array.from({ length: 5000 }, (_, i) => i).join(', ')})`)
})

test('literals and ? in expressions are bounded below SQLite\'s bound variables: a SYNTAX_ERROR at the first one too many; INSERT rows do not count', () => {
  const list = (n: number, item: (i: number) => string): string => Array.from({ length: n }, (_, i) => item(i)).join(',')
  parseScript(`SELECT a FROM t WHERE a IN (${list(EXPRESSION_VALUES_MAX, String)})`)
  const prefix = 'SELECT a FROM t WHERE a IN ('
  const items = list(EXPRESSION_VALUES_MAX + 1, (i) => (i % 2 === 0 ? '?' : String(-i)))
  const e = failure(() => parseScript(`${prefix}${items})`))
  assert.is(e.code, 'SYNTAX_ERROR')
  assert.equal([e.line, e.column], [1, prefix.length + items.lastIndexOf(',') + 2], 'at the value one too many')
  assert.match(e.message, new RegExp(`^too many values in one statement \\(at most ${EXPRESSION_VALUES_MAX} literals and \\? parameters`))
  // TRUE and FALSE are written out, not bound; an INSERT's rows and a CALL's arguments are not bound either.
  parseScript(`SELECT a FROM t WHERE a IN (${list(EXPRESSION_VALUES_MAX, String)}) OR TRUE OR FALSE`)
  parseScript(`INSERT INTO t (a) VALUES ${list(EXPRESSION_VALUES_MAX + 1, (i) => `(${i})`)}`)
})

test('docs/sql.md states the expression bounds the parser enforces', () => {
  const doc = readFileSync(new URL('../../../docs/sql.md', import.meta.url), 'utf8')
  const m = /Bounds: (\S+) levels of nesting, (\S+) binary operators per statement .*?, (\S+) literals and `\?` parameters in a statement's expressions/.exec(doc)
  assert.ok(m, 'docs/sql.md names the expression bounds')
  const n = (s: string): number => Number(s.replace(/,/g, ''))
  assert.equal([n(m[1] as string), n(m[2] as string), n(m[3] as string)], [EXPR_DEPTH_MAX, OPERATORS_MAX, EXPRESSION_VALUES_MAX])
  // An SQL function outside the list is the parser's SYNTAX_ERROR (tested above), not UNKNOWN_FUNCTION.
  assert.match(doc.replace(/\s+/g, ' '), "Anything else is a `SYNTAX_ERROR` at its name")
  // Every function the parser accepts is in the docs.
  for (const f of [...SCALAR_FUNCTIONS.keys(), ...AGGREGATE_FUNCTIONS]) assert.ok(doc.includes(`\`${f}`), `docs/sql.md names ${f}`)
})

test('groupTransactions: units, and SYNTAX_ERROR for unbalanced BEGIN/COMMIT', () => {
  const units = groupTransactions(parseScript('CALL t.f(1); BEGIN; CALL t.f(2); CALL t.f(3); COMMIT; SELECT a FROM t; begin transaction; commit transaction'))
  assert.equal(units.map((u) => (u.kind === 'single' ? u.statement.kind : `txn[${u.statements.map((s) => s.index).join(',')}]`)),
    ['call', 'txn[2,3]', 'select', 'txn[]'])
  const unit = units[1]
  assert.is(unit?.kind === 'transaction' && unit.begin.index, 1)
  const cases: [string, number, number, number, RegExp][] = [
    ['CALL t.f(1);\nCOMMIT;', 2, 1, 1, /^COMMIT without BEGIN$/],
    ['BEGIN;\nCALL t.f(1);', 1, 1, 0, /^BEGIN without COMMIT/],
    ['BEGIN;\n  BEGIN;\nCOMMIT;', 2, 3, 1, /^BEGIN inside a transaction \(the BEGIN at line 1, column 1 has no COMMIT yet\)$/],
    ['BEGIN; COMMIT; COMMIT;', 1, 16, 2, /^COMMIT without BEGIN$/],
  ]
  for (const [script, line, column, statement, message] of cases) {
    const e = failure(() => groupTransactions(parseScript(script)))
    assert.is(e.code, 'SYNTAX_ERROR')
    assert.equal({ line: e.line, column: e.column, statement: e.statement }, { line, column, statement }, script)
    assert.match(e.message, message)
  }
})

test('errors serialize with line, column and statement (wire shape)', () => {
  const e = failure(() => parseScript('CALL t.f(1);\nCALL t.f('))
  assert.equal(e.toJSON(), { code: 'SYNTAX_ERROR', message: 'expected the key (a literal or ?) after \'t.f(\', found end of statement', line: 2, column: 10, statement: 1 })
})

test('an error holds only the details it has; its JSON keeps what a retry decision needs', () => {
  const e = new AcheronError('INTERNAL', 'connection lost: outcome unknown', { retryable: true, outcomeUnknown: true })
  // No key holding undefined (they cluttered every error Node printed, and every spread of one).
  assert.equal(Object.keys(e).sort(), ['code', 'name', 'outcomeUnknown', 'retryable'])
  assert.not.match(inspect(e), /undefined/)
  assert.equal(e.toJSON(), { code: 'INTERNAL', message: 'connection lost: outcome unknown', retryable: true, outcomeUnknown: true })
})

test("PostgreSQL's DISTINCT ON, ILIKE, SIMILAR TO and ::, and the bitwise operators, say what to write, at the word", () => {
  assertError('SELECT DISTINCT ON (dept) name FROM emp', 1, 17, /^DISTINCT ON \(PostgreSQL's\) is not offered: keep one row per group with ROW_NUMBER\(\) OVER/)
  assertError("SELECT name FROM emp WHERE name ILIKE 'a%'", 1, 33, /^ILIKE \(PostgreSQL's\) is not offered: LIKE is already case-insensitive for ASCII letters/)
  assertError("SELECT name FROM emp WHERE name NOT ILIKE 'a%'", 1, 37, /^ILIKE /)
  assertError("SELECT name FROM emp WHERE name SIMILAR TO 'a%'", 1, 33, /^SIMILAR TO \(PostgreSQL's\) is not offered: use LIKE/)
  assertError('SELECT name::text FROM emp', 1, 12, /^unexpected character ':': PostgreSQL's x::type cast is not offered, write CAST\(x AS type\)$/)
  assertError("SELECT name FROM emp WHERE name ~ 'a'", 1, 33, /^unexpected character '~': regular expressions/)
  assertError('SELECT 5 & 4', 1, 10, /^unexpected character '&': bitwise operators are not offered$/)
  assertError('SELECT 1 AS a; \\x', 1, 16, /^unexpected character '\\': a meta-command of the console \(\\x, \\d, …\) goes on a line of its own, and a statement ends with ;$/, 1)
  // Still names and aliases where they are no such operator.
  parseScript('SELECT DISTINCT similar, ilike FROM t; SELECT DISTINCT "on" FROM t')
})

test("PostgreSQL's quantified comparisons, x = ANY (…) and x > ALL (SELECT …), say what to write, at ANY or ALL", () => {
  assertError('SELECT id FROM t WHERE v > ALL (SELECT v FROM u)', 1, 28, /^ALL \(…\) after a comparison \(PostgreSQL's x = ANY \(…\), x > ALL \(SELECT …\)\) is not offered: write x IN \(1, 2\) or x IN \(SELECT …\) for = ANY, x NOT IN \(…\) for <> ALL/)
  assertError('SELECT id FROM t WHERE id = ANY (?)', 1, 29, /^ANY \(…\) after a comparison /)
  assertError('SELECT id FROM t WHERE id < some (SELECT v FROM u)', 1, 29, /^SOME \(…\) after a comparison /)
  // Still names where no call follows.
  parseScript('SELECT any, some FROM t')
})

test("other databases' functions (GREATEST, LEFT, POSITION, NVL, ARRAY_AGG, GEN_RANDOM_UUID, …) say what to write here, at the name", () => {
  assertError('SELECT GREATEST(a, b) FROM t', 1, 8, /^unknown function 'GREATEST': write MAX\(a, b, …\) \(SQLite's scalar MAX: NULL when any argument is NULL/)
  assertError('SELECT id FROM t WHERE least(a, 0) < 0', 1, 24, /^unknown function 'least': write MIN\(a, b, …\)/)
  assertError("SELECT SUBSTRING(name, 2, 3), LEFT(name, 2) FROM t", 1, 8, /^unknown function 'SUBSTRING': write SUBSTR\(s, start\[, length\]\)/)
  assertError("SELECT LEFT(name, 2) FROM t", 1, 8, /^unknown function 'LEFT': write SUBSTR\(s, 1, n\)$/)
  assertError("SELECT STRPOS(name, 'a') FROM t", 1, 8, /^unknown function 'STRPOS': write INSTR\(s, part\)/)
  assertError('SELECT CHAR_LENGTH(name) FROM t', 1, 8, /^unknown function 'CHAR_LENGTH': write LENGTH\(s\)/)
  assertError('SELECT NVL(a, 0) FROM t', 1, 8, /^unknown function 'NVL': write COALESCE\(a, b, …\) or IFNULL\(a, b\)$/)
  assertError('SELECT ARRAY_AGG(a) FROM t', 1, 8, /^unknown function 'ARRAY_AGG': write JSON_GROUP_ARRAY\(x \[ORDER BY …\]\)/)
  assertError('SELECT BOOL_AND(a > 0) FROM t', 1, 8, /^unknown function 'BOOL_AND': write MIN\(cond\)/)
  assertError('SELECT GEN_RANDOM_UUID()', 1, 8, /^unknown function 'GEN_RANDOM_UUID': it would be random, and a replay of the log must compute the same value/)
  // Still names where no call follows, and the postfix ISNULL stays an operator.
  parseScript('SELECT greatest, left.least FROM t AS left WHERE a ISNULL')
})

test('START TRANSACTION opens and END [TRANSACTION] closes a transaction, as BEGIN and COMMIT do', () => {
  const units = groupTransactions(parseScript('START TRANSACTION; CALL t.f(1); END; start transaction; CALL t.f(2); end transaction'))
  assert.equal(units.map((u) => (u.kind === 'single' ? u.statement.kind : `txn[${u.statements.map((s) => s.index).join(',')}]`)), ['txn[1]', 'txn[4]'])
  assertError('START CALL t.f(1)', 1, 7, /^expected TRANSACTION after START, found 'CALL'$/)
  const e = failure(() => groupTransactions(parseScript('CALL t.f(1); END')))
  assert.equal([e.code, e.message, e.column, e.statement], ['SYNTAX_ERROR', 'COMMIT without BEGIN', 14, 1])
})

test("PostgreSQL's BEGIN [WORK] with transaction modes and SQLite's BEGIN DEFERRED | IMMEDIATE | EXCLUSIVE open a transaction; COMMIT WORK closes it", () => {
  const script = [
    'BEGIN ISOLATION LEVEL SERIALIZABLE; CALL t.f(1); COMMIT',
    'begin work; CALL t.f(2); commit work',
    'START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ WRITE; CALL t.f(3); END WORK',
    'BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED NOT DEFERRABLE; CALL t.f(4); COMMIT TRANSACTION',
    'BEGIN ISOLATION LEVEL READ UNCOMMITTED; CALL t.f(5); COMMIT',
    'BEGIN DEFERRED; CALL t.f(6); COMMIT',
    'BEGIN IMMEDIATE TRANSACTION; CALL t.f(7); COMMIT',
    'BEGIN EXCLUSIVE; CALL t.f(8); END',
  ].join(';\n')
  const units = groupTransactions(parseScript(script))
  assert.equal(units.map((u) => (u.kind === 'single' ? u.statement.kind : `txn[${u.statements.map((s) => s.index).join(',')}]`)),
    ['txn[1]', 'txn[4]', 'txn[7]', 'txn[10]', 'txn[13]', 'txn[16]', 'txn[19]', 'txn[22]'])
  assertError('BEGIN READ ONLY; SELECT 1; COMMIT', 1, 7, /^READ ONLY is not offered: a BEGIN … COMMIT that holds only reads/)
  assertError('BEGIN ISOLATION LEVEL SNAPSHOT; SELECT 1; COMMIT', 1, 23, /^expected SERIALIZABLE, REPEATABLE READ, READ COMMITTED or READ UNCOMMITTED after ISOLATION LEVEL, found 'SNAPSHOT'$/)
  assertError('BEGIN ISOLATION LEVEL SERIALIZABLE,; SELECT 1; COMMIT', 1, 36, /^expected a transaction mode \(ISOLATION LEVEL …, READ WRITE, \[NOT\] DEFERRABLE\), found end of statement$/)
})

test("sqlite3's dot-commands, REPLACE INTO and PRAGMA, and a ROLLBACK sent to the server, say what does their job", () => {
  assertError('.tables', 1, 1, /^sqlite3's dot-commands \(\.tables, \.schema t\) are not SQL: SHOW TABLES and DESCRIBE t do their jobs/)
  assertError('SELECT 1; .schema t', 1, 11, /^sqlite3's dot-commands/, 1)
  assertError('REPLACE INTO t VALUES (1)', 1, 1, /^unknown statement 'REPLACE': SQLite's REPLACE INTO t … is written INSERT OR REPLACE INTO t … here$/)
  assertError('PRAGMA table_info(t)', 1, 1, /^unknown statement 'PRAGMA': SQLite's PRAGMAs are not offered: DESCRIBE t/)
  // PostgreSQL's COPY and SET, which psql users type.
  assertError('COPY t TO STDOUT', 1, 1, /^unknown statement 'COPY': PostgreSQL's COPY reads and writes the server's files: the console's \\copy does its job on the client's \(\\copy t from 'rows\.csv' with \(format csv, header\)/)
  assertError("SELECT 1; SET TIME ZONE 'UTC'", 1, 11, /^unknown statement 'SET': session settings are not offered: every statement runs serializably, and its clocks read UTC$/, 1)
  assertError('ROLLBACK', 1, 1, /^unknown statement 'ROLLBACK': a transaction is sent whole/)
  assertError('VACUUM', 1, 1, /^unknown statement 'VACUUM': expected CREATE, DROP/)
})

test('row values and a VALUES list as a query say what to write, at the comma and at VALUES', () => {
  assertError("SELECT id FROM t WHERE (a, b) = ('x', 1)", 1, 26, /^row values \(\(a, b\) = \(1, 2\)\) are not offered: compare each, a = 1 AND b = 2$/)
  assertError('SELECT id FROM t WHERE id IN (VALUES (1), (2))', 1, 31, /^a VALUES list is not offered as a query: IN takes a list, x IN \(1, 2\)/)
  parseScript('SELECT (a) FROM t WHERE (a + 1) * 2 > 0 AND a IN (1, 2)')
})

test('FETCH FIRST n ROWS ONLY says to write LIMIT n, at FETCH, also right after a table (not read as its alias)', () => {
  assertError('SELECT a FROM t FETCH FIRST 2 ROWS ONLY', 1, 17, /^FETCH FIRST n ROWS ONLY is written LIMIT n here/)
  assertError('SELECT a FROM t ORDER BY a OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY', 1, 37, /^expected ';' or end of statement, found 'ROWS'$/)
  assertError('SELECT a FROM t ORDER BY a FETCH NEXT 2 ROWS ONLY', 1, 28, /^FETCH FIRST n ROWS ONLY is written LIMIT n here/)
  parseScript('SELECT fetch.a FROM t fetch WHERE fetch.a > 0')
})

test('FOR UPDATE and FOR SHARE say row locks are not needed, at FOR, also right after a table (it was read as an alias FOR)', () => {
  assertError('SELECT id FROM fz FOR UPDATE', 1, 19, /^FOR UPDATE and FOR SHARE \(row locks\) are not offered, nor needed: every statement and BEGIN … COMMIT runs serializably/)
  assertError('SELECT id FROM fz WHERE id = 1 ORDER BY id LIMIT 1 FOR SHARE', 1, 52, /^FOR UPDATE and FOR SHARE/)
  assertError('SELECT id FROM fz f FOR NO KEY UPDATE', 1, 21, /^FOR UPDATE and FOR SHARE/)
  parseScript('SELECT for.id FROM fz for WHERE for.id > 0')
})

test('ISNULL and NOTNULL are operators; OVER, FILTER, REGEXP and MATCH are no column alias without AS (each named a column, holding the expression before it)', () => {
  const [s] = parseScript('SELECT a ISNULL, b NOTNULL AS n FROM t')
  assert.ok(s?.kind === 'select')
  assertError('SELECT b REGEXP FROM t', 1, 10, /^REGEXP is not a column alias without AS \(SQLite's REGEXP is not offered: use LIKE/)
  assertError('SELECT b MATCH FROM t', 1, 10, /^MATCH is not a column alias without AS/)
  assertError('SELECT a OVER FROM t', 1, 10, /^OVER is not a column alias without AS \(a window follows a function call, as in ROW_NUMBER\(\) OVER \(ORDER BY k\)\); to name the column OVER, write AS "OVER"$/)
  assertError('SELECT COUNT(*) FILTER FROM t', 1, 17, /^FILTER is not a column alias without AS \(an aggregate's FILTER takes a condition/)
  parseScript('SELECT a AS over, b AS filter, c AS "REGEXP", over, filter FROM t')
})

test("PostgreSQL's DROP TABLE a, b and DROP TABLE … CASCADE say what DROP TABLE does here, at the comma and at the word", () => {
  assertError('DROP TABLE a, b', 1, 13, /^DROP TABLE drops one table: one statement each \(DROP TABLE a; DROP TABLE …;\)$/)
  assertError('DROP TABLE IF EXISTS a CASCADE', 1, 24, /^CASCADE is not offered: DROP TABLE drops the table with its indexes and functions/)
})

test.run()
