// Every statement form of CONTRACT.md §3 parses to the AST an executor needs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseScript, parseScriptCached } from '../../src/sql/parse.js'
import { pointKey } from '../../src/sql/query.js'
import type { SqlExpr } from '../../src/sql/ast.js'
import { assertError, one, oneOf, posIn } from './support.js'

test('CREATE TABLE with column constraints, PARTITIONS and positions', () => {
  const s = oneOf('create-table', 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT NULL) PARTITIONS 8;')
  assert.is(s.name, 'account')
  assert.is(s.ifNotExists, false)
  assert.is(s.primaryKey, 'id')
  assert.is(s.partitions, 8)
  assert.equal(s.columns.map((c) => [c.name, c.type, c.notNull, c.default, c.primaryKey]), [
    ['id', 'TEXT', false, null, true],
    ['balance', 'INTEGER', true, 0n, false],
    ['note', 'TEXT', false, null, false],
  ])
  assert.equal(s.pos, { offset: 0, line: 1, column: 1 })
  assert.equal(s.columns[1]?.pos, { offset: 43, line: 1, column: 44 })
  assert.is(s.text, 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT NULL) PARTITIONS 8')
})

test('CREATE TABLE: IF NOT EXISTS, table PRIMARY KEY (col), type aliases, every default literal', () => {
  const s = oneOf('create-table', `create table if not exists T (
    k integer, a INT DEFAULT -5, b BIGINT, c real default 2.5e0, d DOUBLE, e FLOAT, f text default 'it''s',
    g blob default X'00ff', h boolean default true, i BOOL default FALSE, j TEXT DEFAULT NULL, primary key (k))`)
  assert.is(s.ifNotExists, true)
  assert.is(s.primaryKey, 'k')
  assert.is(s.partitions, null)
  assert.equal(s.columns.map((c) => c.type), ['INTEGER', 'INTEGER', 'INTEGER', 'REAL', 'REAL', 'REAL', 'TEXT', 'BLOB', 'BOOLEAN', 'BOOLEAN', 'TEXT'])
  assert.equal(s.columns.map((c) => c.default), [null, -5n, null, 2.5, null, null, "it's", new Uint8Array([0, 255]), 1n, 0n, null])
  assert.is(s.columns[0]?.primaryKey, true, 'the table constraint marks the column')
})

test("CREATE TABLE takes SQLite's STRICT and WITHOUT ROWID, as sqlite3's .schema writes them, beside PARTITIONS, each once", () => {
  const strict = oneOf('create-table', 'CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) STRICT, WITHOUT ROWID;')
  assert.equal([strict.name, strict.primaryKey, strict.partitions, strict.columns.length], ['kv', 'k', null, 2])
  assert.is(oneOf('create-table', 'CREATE TABLE kv (k TEXT PRIMARY KEY) WITHOUT ROWID PARTITIONS 4').partitions, 4)
  assert.is(oneOf('create-table', 'create table kv (k TEXT PRIMARY KEY) partitions 2, strict').partitions, 2)
  assertError('CREATE TABLE kv (k TEXT PRIMARY KEY) STRICT, STRICT', 1, 46, /^STRICT is given twice$/)
  assertError('CREATE TABLE kv (k TEXT PRIMARY KEY) PARTITIONS 2 PARTITIONS 3', 1, 51, /^PARTITIONS is given twice$/)
  assertError('CREATE TABLE kv (k TEXT PRIMARY KEY) WITHOUT OIDS', 1, 46, /^expected ROWID after WITHOUT, found 'OIDS'$/)
  assertError('CREATE TABLE kv (k TEXT PRIMARY KEY) STRICT,', 1, 45, /^expected PARTITIONS, STRICT or WITHOUT ROWID after ',', found end of statement$/)
})

test('columns named key and value, and "quoted" identifiers', () => {
  const s = oneOf('create-table', 'CREATE TABLE "kv" ("key" TEXT PRIMARY KEY, value BLOB)')
  assert.equal(s.columns.map((c) => c.name), ['key', 'value'])
  const q = oneOf('select', 'SELECT key, value FROM kv WHERE key = \'a\'')
  assert.equal(q.items.map((i) => (i.kind === 'expr' ? i.label : '*')), ['key', 'value'])
})

test('TRUNCATE [TABLE] t is a DELETE of every row', () => {
  for (const sql of ['TRUNCATE TABLE orders', 'truncate orders;']) {
    const s = oneOf('delete', sql)
    assert.equal([s.table, s.where, s.hasSubqueries, s.returning], ['orders', null, false, undefined])
  }
})

test('DROP TABLE [IF EXISTS]', () => {
  assert.equal(pick(oneOf('drop-table', 'DROP TABLE t'), ['name', 'ifExists']), { name: 't', ifExists: false })
  assert.equal(pick(oneOf('drop-table', 'drop table IF exists t'), ['name', 'ifExists']), { name: 't', ifExists: true })
})

test('CREATE [OR REPLACE] FUNCTION from BASE64, X and FILE, with EXPORT and WITH', () => {
  const a = oneOf('create-function', "CREATE FUNCTION account.transfer FROM WASM BASE64 'AGFzbQEAAAA=' EXPORT 'transfer' WITH (FUEL = 1000, MEMORY = 65536)")
  assert.equal(pick(a, ['name', 'table', 'function', 'orReplace', 'exportName', 'fuel', 'memoryBytes']),
    { name: 'account.transfer', table: 'account', function: 'transfer', orReplace: false, exportName: 'transfer', fuel: 1000, memoryBytes: 65536 })
  assert.equal(a.source.kind === 'base64' && [...a.source.bytes], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
  const b = oneOf('create-function', "create or replace function t.f from wasm x'0061736D01000000' with (memory = 131072)")
  assert.is(b.orReplace, true)
  assert.equal(b.source.kind === 'hex' && [...b.source.bytes], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
  assert.equal([b.exportName, b.fuel, b.memoryBytes], [null, null, 131072])
  const c = oneOf('create-function', "CREATE FUNCTION t.f FROM WASM FILE './build/f.wasm'")
  assert.equal(c.source, { kind: 'file', path: './build/f.wasm', pos: { offset: 30, line: 1, column: 31 } })
  const d = oneOf('create-function', "CREATE FUNCTION t.f FROM WASM BASE64 '\n  AGFz\n  bQEAAAA=\n'")
  assert.is(d.source.kind === 'base64' && d.source.bytes.length, 8, 'whitespace inside base64 is ignored')
})

test("EXPLAIN of a query (PostgreSQL's and SQLite's query plan) is refused saying what EXPLAIN does here", () => {
  assertError('EXPLAIN SELECT * FROM t', 1, 9, /^EXPLAIN SELECT is not supported: EXPLAIN CALL t\.f\(…\) traces what a call would do, and EXPLAIN COMMIT \(batch, seq\)/)
  assertError('EXPLAIN QUERY PLAN SELECT 1', 1, 9, /^EXPLAIN QUERY PLAN is not supported/)
  assertError('explain analyze select 1', 1, 9, /^EXPLAIN ANALYZE is not supported/)
  assertError('EXPLAIN nothing', 1, 9, /^expected CALL or COMMIT after EXPLAIN, found 'nothing'$/)
})

test('DROP FUNCTION, SHOW, DESCRIBE', () => {
  assert.equal(pick(oneOf('drop-function', 'DROP FUNCTION IF EXISTS t.f'), ['name', 'ifExists']), { name: 't.f', ifExists: true })
  assert.equal(pick(oneOf('drop-function', 'drop function t.f'), ['name', 'ifExists']), { name: 't.f', ifExists: false })
  assert.is(one('SHOW TABLES').kind, 'show-tables')
  assert.is(one('show functions').kind, 'show-functions')
  assert.is(oneOf('describe', 'Describe account').table, 'account')
})

test('CALL with every literal and ? parameters numbered in order', () => {
  const s = oneOf('call', "CALL account.transfer('alice', ?, 10, -9223372036854775808, 9223372036854775807, 1.5, -2.5e-3, .5, X'CAFE', x'', NULL, TRUE, false, ?, '', 'a''b;c')")
  assert.is(s.fn, 'account.transfer')
  assert.equal(s.key, { kind: 'literal', value: 'alice', pos: { offset: 22, line: 1, column: 23 } })
  assert.equal(s.args.map((a) => (a.kind === 'param' ? `?${a.index}` : a.value)), [
    '?0', 10n, -9223372036854775808n, 9223372036854775807n, 1.5, -0.0025, 0.5, new Uint8Array([0xca, 0xfe]), new Uint8Array([]),
    null, 1n, 0n, '?1', '', "a'b;c",
  ])
  assert.is(s.paramCount, 2)
  assert.equal(oneOf('call', 'call t.f(?)').key, { kind: 'param', index: 0, pos: { offset: 9, line: 1, column: 10 } })
})

test('INSERT [OR REPLACE] with and without columns, several rows', () => {
  const a = oneOf('insert', "INSERT INTO account (id, balance) VALUES ('alice', 100), ('bob', ?)")
  assert.equal(pick(a, ['table', 'orReplace', 'columns']), { table: 'account', orReplace: false, columns: ['id', 'balance'] })
  assert.equal(a.rows.map((r) => r.map((v) => (v.kind === 'literal' ? v.value : v.kind === 'param' ? `?${v.index}` : v.kind === 'clock' ? v.clock : 'DEFAULT'))), [['alice', 100n], ['bob', '?0']])
  const b = oneOf('insert', "insert or replace into t values (1, 'x', NULL)")
  assert.equal(pick(b, ['orReplace', 'columns']), { orReplace: true, columns: null })
  assert.is(b.rows[0]?.length, 3)
})

test('UPDATE and DELETE keep their expressions; pointKey finds WHERE pk = literal', () => {
  const usql = "UPDATE account SET balance = balance + 10, note = 'x' WHERE id = 'alice' AND balance >= 0"
  const u = oneOf('update', usql)
  assert.equal(u.set.map((s) => s.column), ['balance', 'note'])
  assert.equal(u.set[0]?.expr.kind === 'binary' && u.set[0].expr.op, '+')
  assert.equal(pointKey(u.where, 'ID'), { kind: 'literal', value: 'alice', pos: posIn(usql, "'alice'") })
  assert.is(pointKey(u.where, 'balance'), null)
  const d = oneOf('delete', 'DELETE FROM account WHERE ? = id')
  assert.equal(pointKey(d.where, 'id'), { kind: 'param', index: 0, pos: { offset: 26, line: 1, column: 27 } })
  assert.is(pointKey(oneOf('delete', 'DELETE FROM account WHERE id = 1 OR id = 2').where, 'id'), null)
  assert.is(oneOf('delete', 'delete from account').where, null)
})

test('SELECT: items, aliases, aggregates, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET', () => {
  const sql = `SELECT DISTINCT owner AS who, COUNT(*), SUM(balance) total, MAX(balance) + 1
    FROM account a WHERE a.balance BETWEEN 0 AND ? AND owner NOT IN ('x', 'y') AND note IS NOT NULL AND NOT owner LIKE 'z%'
    GROUP BY owner HAVING COUNT(*) > 1 ORDER BY total DESC, who LIMIT 10 OFFSET ?`
  const s = oneOf('select', sql)
  assert.equal(pick(s, ['table', 'tableAlias', 'distinct', 'hasAggregates', 'paramCount']),
    { table: 'account', tableAlias: 'a', distinct: true, hasAggregates: true, paramCount: 2 })
  assert.equal(s.items.map((i) => (i.kind === 'expr' ? [i.alias, i.label] : '*')), [['who', 'who'], [null, 'COUNT(*)'], ['total', 'total'], [null, 'MAX(balance) + 1']])
  assert.equal(s.groupBy.map((g) => g.kind), ['column'])
  assert.equal(s.orderBy.map((o) => o.descending), [true, false])
  assert.equal(s.limit, { kind: 'literal', value: 10n, pos: posIn(sql, '10 OFFSET') })
  assert.equal(s.offset?.kind, 'param')
  assert.equal([...new Set(s.columnRefs.map((c) => c.name))], ['owner', 'balance', 'note', 'total', 'who'])
  const star = oneOf('select', 'select * from t')
  assert.equal(star.items, [{ kind: 'star', pos: { offset: 7, line: 1, column: 8 } }])
  assert.is(star.hasAggregates, false)
})

test('operator precedence follows SQLite', () => {
  const w = oneOf('select', 'SELECT a FROM t WHERE a = 1 OR b = 2 AND NOT c < 3 + 4 * 5 || 6').where
  assert.is(shape(w), '(a = 1) OR ((b = 2) AND (NOT (c < (3 + (4 * (5 || 6))))))')
  const n = oneOf('select', 'SELECT a FROM t WHERE -a - -1 = - (2)').where
  assert.is(shape(n), '((- a) - -1) = (- 2)')
  assert.is(shape(oneOf('select', 'SELECT a FROM t WHERE a == 1 AND b <> 2 AND c != 3 AND d IS NULL').where),
    '(((a = 1) AND (b != 2)) AND (c != 3)) AND (d IS null)')
})

test('keywords are case-insensitive; comments and blank statements are skipped', () => {
  const script = `-- a comment; with a semicolon
    sElEcT a FrOm t /* block; comment */ wHeRe a = 1;;
    ;  -- nothing here
    /* leading */ InSeRt InTo t VaLuEs (';', "x")`.replace('"x"', "'--not a comment'")
  const all = parseScript(script)
  assert.equal(all.map((s) => [s.kind, s.index]), [['select', 0], ['insert', 1]])
  assert.is(all[0]?.text, 'sElEcT a FrOm t /* block; comment */ wHeRe a = 1')
  assert.equal(all[1]?.pos, posIn(script, 'InSeRt'))
  assert.equal(all[1]?.pos.line, 4)
  assert.equal(parseScript('  -- only a comment\n'), [])
  assert.equal(parseScript(''), [])
})

test('multi-statement scripts: positions are in the whole script', () => {
  const script = "BEGIN;\nCALL t.f(1);\n  CALL t.f('x;y');\nCOMMIT;"
  const all = parseScript(script)
  assert.equal(all.map((s) => [s.kind, s.pos.line, s.pos.column, s.index]), [['begin', 1, 1, 0], ['call', 2, 1, 1], ['call', 3, 3, 2], ['commit', 4, 1, 3]])
  const third = all[2]
  assert.equal(third?.kind === 'call' && third.key.pos, { offset: 31, line: 3, column: 12 })
  assert.equal(posIn(script, "'x;y'"), { offset: 31, line: 3, column: 12 })
})

test('parseScriptCached returns the same AST for the same text', () => {
  const a = parseScriptCached('CALL t.f(1)')
  assert.is(parseScriptCached('CALL t.f(1)'), a)
  assert.is.not(parseScriptCached('CALL t.f(2)'), a)
})

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const k of keys) out[k] = o[k]
  return out
}

/** A fully parenthesized rendering of an expression's tree, to check its shape. */
function shape(e: SqlExpr | null): string {
  if (e === null) return ''
  const p = (x: SqlExpr) => (x.kind === 'binary' || x.kind === 'unary' ? `(${shape(x)})` : shape(x))
  switch (e.kind) {
    case 'literal': return String(e.value)
    case 'param': return '?'
    case 'column': return e.name
    case 'unary': return `${e.op} ${p(e.operand)}`
    case 'binary': return `${p(e.left)} ${e.op} ${p(e.right)}`
    default: return e.kind
  }
}

test.run()
