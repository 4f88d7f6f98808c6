// SELECTs rendered for SQLite run on a real SQLite table, with every literal bound, never spliced in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import type { SelectStmt } from '../../src/sql/ast.js'
import { renderExpr, renderSelect } from '../../src/sql/render.js'
import type { SqlValue } from '../../src/values.js'
import { failure, oneOf, posIn } from './support.js'
import { defineClockFunctions } from '../../src/storage/sql-clock.js'
import { defineGuardFunctions } from '../../src/storage/sql-guards.js'

const db = new Database(':memory:')
db.defaultSafeIntegers(true)
defineClockFunctions(db, () => Date.UTC(2026, 0, 2, 3, 4, 5, 678))
// The checks the renderer writes (CAST … AS TEXT), as the engine's connections define them.
defineGuardFunctions(db)
db.exec('CREATE TABLE "acc$p0" ("id" TEXT PRIMARY KEY, "owner" TEXT, "balance" INTEGER, "note" BLOB)')
const insert = db.prepare('INSERT INTO "acc$p0" VALUES (?, ?, ?, ?)')
for (const [id, owner, balance] of [['a', 'ann', 10n], ['b', 'ann', 20n], ['c', 'bob', 5n], ['d', "o'brien", -1n]] as const) {
  insert.run(id, owner, balance, Buffer.from(id))
}
const columns = ['id', 'owner', 'balance', 'note']

function run(sql: string, params: SqlValue[] = []): { columns: string[]; rows: unknown[][]; rendered: string } {
  const sel = oneOf('select', sql) as SelectStmt
  const r = renderSelect(sel, { source: '"acc$p0"', columns, params })
  assert.not.match(r.sql, /'/, 'no literal is spliced into the SQL')
  const rows = db.prepare(r.sql).raw().all(...r.values) as unknown[][]
  return { columns: r.columnNames, rows, rendered: r.sql }
}

test('point select, star, aliases, labels', () => {
  const a = run("SELECT * FROM acc WHERE id = 'b'")
  assert.equal(a.columns, columns)
  assert.equal(a.rows, [['b', 'ann', 20n, Buffer.from('b')]])
  const b = run('SELECT ID, balance * 2 AS twice, balance + 1 FROM acc WHERE Id = ?', ['c'])
  assert.equal(b.columns, ['ID', 'twice', 'balance + 1'])
  assert.equal(b.rows, [['c', 10n, 6n]])
})

test('aggregates, GROUP BY, HAVING on an alias, ORDER BY alias and position, LIMIT/OFFSET', () => {
  const r = run('SELECT owner, COUNT(*) AS n, SUM(balance) total FROM acc a WHERE a.balance > -100 GROUP BY owner HAVING n >= 1 ORDER BY total DESC, 1 LIMIT ? OFFSET 0', [2n])
  assert.equal(r.columns, ['owner', 'n', 'total'])
  assert.equal(r.rows, [['ann', 2n, 30n], ['bob', 1n, 5n]])
  assert.equal(run('SELECT COUNT(DISTINCT owner), MIN(balance), MAX(balance), AVG(balance) FROM acc').rows, [[3n, -1n, 20n, 8.5]])
  assert.equal(run('SELECT DISTINCT owner FROM acc ORDER BY owner LIMIT 2').rows, [['ann'], ['bob']])
})

test("PostgreSQL's OFFSET without LIMIT, OFFSET before LIMIT and LIMIT ALL; SQLite's LIMIT m, n", () => {
  assert.equal(run('SELECT id FROM acc ORDER BY id OFFSET 2').rows, [['c'], ['d']])
  assert.equal(run('SELECT id FROM acc ORDER BY id OFFSET ? LIMIT 2', [1n]).rows, [['b'], ['c']])
  assert.equal(run('SELECT id FROM acc ORDER BY id LIMIT ALL').rows, [['a'], ['b'], ['c'], ['d']])
  assert.equal(run('SELECT id FROM acc ORDER BY id LIMIT ALL OFFSET 3').rows, [['d']])
  assert.equal(run('SELECT 1 OFFSET 1').rows, [])
  assert.equal(failure(() => oneOf('select', 'SELECT id FROM acc OFFSET 1 OFFSET 2')).column, 29)
  // SQLite's LIMIT m, n: skip m, then n rows.
  assert.equal(run('SELECT id FROM acc ORDER BY id LIMIT 1, 2').rows, [['b'], ['c']])
  assert.equal(run('SELECT id FROM acc ORDER BY id LIMIT ?, ?', [3n, 5n]).rows, [['d']])
  assert.equal(failure(() => oneOf('select', 'SELECT id FROM acc LIMIT 1, 2 OFFSET 3')).column, 31)
})

test('every operator and literal kind binds and evaluates as SQLite does', () => {
  const r = run(`SELECT id FROM acc WHERE balance BETWEEN 0 AND 15 AND owner NOT IN ('x', ?) AND owner LIKE 'a%'
    AND note IS NOT NULL AND note = X'61' AND NOT balance = 3 AND -balance < - -100 AND owner || '!' = 'ann!'
    AND COALESCE(NULL, balance) % 7 = 3 AND TRUE AND 2.5 > 1 AND LENGTH(owner) = 3 ORDER BY id`, ['bob'])
  assert.equal(r.rows, [['a']])
  assert.equal(run("SELECT id FROM acc WHERE owner = 'o''brien'").rows, [['d']])
})

test('user text cannot escape its parameter', () => {
  const evil = "x' OR '1'='1"
  assert.equal(run(`SELECT id FROM acc WHERE owner = '${evil.replace(/'/g, "''")}'`).rows, [])
  assert.equal(run('SELECT id FROM acc WHERE owner = ?', ['ann"; DROP TABLE "acc$p0"; --']).rows, [])
  assert.equal(run('SELECT COUNT(*) FROM acc').rows, [[4n]])
})

test('unknown columns and tables are reported at the reference', () => {
  const sql = 'SELECT id,\n  nope FROM acc'
  const e = failure(() => run(sql))
  assert.is(e.code, 'UNKNOWN_COLUMN')
  assert.equal([e.line, e.column], [posIn(sql, 'nope').line, posIn(sql, 'nope').column])
  assert.match(e.message, /no such column: nope \(table acc has id, owner, balance, note\)/)
  assert.is(failure(() => run('SELECT x.id FROM acc')).code, 'UNKNOWN_TABLE')
  // SQLite's clock keywords are clocks, not unknown columns: they read the time the connection's clock
  // functions give (the batch's, in the engine: test/sql/time.test.ts).
  assert.equal(run("SELECT current_date, NOW(), DATE('now', '+1 day')").rows, [['2026-01-02', '2026-01-02 03:04:05.678', '2026-01-03']])
  assert.is(failure(() => run('SELECT id AS i FROM acc WHERE i = 1')).code, 'UNKNOWN_COLUMN', 'aliases are not visible in WHERE')
  const pos = failure(() => run('SELECT id FROM acc ORDER BY 2'))
  assert.is(pos.code, 'SYNTAX_ERROR')
  assert.match(pos.message, /column position 2 is out of range 1 to 1/)
  assert.is(failure(() => run('SELECT id FROM acc WHERE id = ?', [])).code, 'SYNTAX_ERROR', 'a missing parameter')
  assert.is(failure(() => run('SELECT id FROM acc LIMIT ?', ['x'])).code, 'TYPE_MISMATCH')
  const negative = failure(() => run('SELECT id FROM acc LIMIT ? OFFSET 1', [-1n]))
  assert.equal([negative.code, negative.message], ['TYPE_MISMATCH', "LIMIT must be a non-negative integer (SQLite's negative LIMIT, no limit, is LIMIT ALL here, or OFFSET n without a LIMIT)"])
})

test('renderExpr renders an UPDATE value and WHERE over the table columns', () => {
  const u = oneOf('update', "UPDATE acc SET balance = balance + ? WHERE owner = 'ann' AND balance > 10")
  const set = renderExpr(u.set[0]!.expr, u.table, u.index, { columns, params: [5n] })
  const where = renderExpr(u.where!, u.table, u.index, { columns, params: [5n] })
  assert.is(set.sql, '("balance" + ?)')
  const rows = db.prepare(`SELECT "id", ${set.sql} FROM "acc$p0" WHERE ${where.sql}`).raw().all(...set.values, ...where.values)
  assert.equal(rows, [['b', 25n]])
})

test('CASE, with and without an operand, in a result column, a WHERE, an aggregate and an UPDATE value', () => {
  const r = run("SELECT id, CASE WHEN balance > 15 THEN 'rich' WHEN balance > 0 THEN 'some' ELSE 'none' END AS tier, CASE owner WHEN 'ann' THEN 1 END FROM acc ORDER BY id")
  assert.equal(r.columns, ['id', 'tier', "CASE owner WHEN 'ann' THEN 1 END"])
  const direct = db.prepare(`SELECT "id", CASE WHEN "balance" > 15 THEN 'rich' WHEN "balance" > 0 THEN 'some' ELSE 'none' END, CASE "owner" WHEN 'ann' THEN 1 END FROM "acc$p0" ORDER BY "id"`).raw().all()
  assert.equal(r.rows, direct)
  assert.equal(run('SELECT SUM(CASE WHEN balance > ? THEN 1 ELSE 0 END) FROM acc', [10n]).rows, db.prepare('SELECT SUM(CASE WHEN "balance" > 10 THEN 1 ELSE 0 END) FROM "acc$p0"').raw().all())
  assert.equal(run("SELECT id FROM acc WHERE CASE WHEN owner = 'ann' THEN 1 ELSE 0 END ORDER BY id").rows, db.prepare(`SELECT "id" FROM "acc$p0" WHERE "owner" = 'ann' ORDER BY "id"`).raw().all())
  const u = oneOf('update', 'UPDATE acc SET balance = CASE WHEN balance > ? THEN balance - ? ELSE 0 END')
  assert.is(renderExpr(u.set[0]!.expr, u.table, u.index, { columns, params: [10n, 3n] }).sql, '(CASE WHEN ("balance" > ?) THEN ("balance" - ?) ELSE ? END)')
  const col = failure(() => run('SELECT CASE WHEN nope THEN 1 END FROM acc'))
  assert.is(col.code, 'UNKNOWN_COLUMN', 'columns inside CASE are checked')
})

test('ORDER BY … NULLS FIRST / NULLS LAST, ascending and descending', () => {
  db.exec(`INSERT INTO "acc$p0" VALUES ('n', NULL, NULL, NULL)`)
  try {
    for (const order of ['ASC NULLS FIRST', 'ASC NULLS LAST', 'DESC NULLS FIRST', 'DESC NULLS LAST', 'NULLS LAST']) {
      const r = run(`SELECT id FROM acc ORDER BY balance ${order}, id`)
      assert.equal(r.rows, db.prepare(`SELECT "id" FROM "acc$p0" ORDER BY "balance" ${order}, "id"`).raw().all(), order)
    }
    assert.equal(run('SELECT id FROM acc ORDER BY balance NULLS LAST LIMIT 1').rows, [['d']])
    assert.equal(run('SELECT id FROM acc ORDER BY balance DESC NULLS FIRST LIMIT 1').rows, [['n']])
  } finally {
    db.exec(`DELETE FROM "acc$p0" WHERE "id" = 'n'`)
  }
})

test('differential: random expressions evaluate as SQLite evaluates the original text (same precedence)', () => {
  const leaf = fc.oneof(
    fc.constantFrom('balance', 'id', 'owner', 'NULL', 'TRUE', 'FALSE', "'ann'", "'b'", "'a%'", '2.5', 'acc.balance'),
    fc.integer({ min: -30, max: 30 }).map(String),
  )
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%', '||', '=', '==', '!=', '<>', '<', '<=', '>', '>=', 'AND', 'OR', 'IS', 'IS NOT', 'LIKE', 'NOT LIKE'), tie('expr'))
        .map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(fc.constantFrom('-', '+', 'NOT '), tie('expr')).map(([op, a]) => `${op}${a}`),
      tie('expr').map((a) => `(${a})`),
      fc.tuple(tie('expr'), fc.boolean(), tie('expr'), tie('expr')).map(([a, n, b, c]) => `${a} ${n ? 'NOT ' : ''}BETWEEN ${b} AND ${c}`),
      fc.tuple(tie('expr'), fc.boolean(), fc.array(tie('expr'), { minLength: 1, maxLength: 3 })).map(([a, n, l]) => `${a} ${n ? 'NOT ' : ''}IN (${l.join(', ')})`),
      fc.tuple(fc.constantFrom('ABS', 'LENGTH', 'UPPER', 'TYPEOF', 'IFNULL'), tie('expr'), tie('expr')).map(([f, a, b]) => (f === 'IFNULL' ? `${f}(${a}, ${b})` : `${f}(${a})`)),
      fc.tuple(fc.constantFrom('TRIM', 'LTRIM', 'RTRIM', 'INSTR', 'HEX', 'QUOTE', 'UNICODE', 'SIGN', 'CHAR'), tie('expr'), fc.option(tie('expr')))
        .map(([f, a, b]) => (f === 'INSTR' ? `${f}(${a}, ${b ?? "'a'"})` : b !== null && ['TRIM', 'LTRIM', 'RTRIM', 'CHAR'].includes(f) ? `${f}(${a}, ${b})` : `${f}(${a})`)),
      fc.tuple(fc.constantFrom('REPLACE', 'IIF'), tie('expr'), tie('expr'), tie('expr')).map(([f, a, b, c]) => `${f}(${a}, ${b}, ${c})`),
      fc.tuple(tie('expr'), fc.constantFrom('INTEGER', 'INT', 'REAL', 'TEXT', 'BLOB', 'NUMERIC')).map(([a, t]) => `CAST(${a} AS ${t})`),
      // ESCAPE of a constant only: SQLite folds `1 OR x LIKE y ESCAPE e` written with literals and never checks
      // `e`, where the rendered statement, whose literals are bound parameters, evaluates it and may fail.
      fc.tuple(tie('expr'), fc.boolean(), tie('expr'), fc.constantFrom("'!'", "'a'", "'%'")).map(([a, n, p, e]) => `${a} ${n ? 'NOT ' : ''}LIKE ${p} ESCAPE ${e}`),
      fc.tuple(fc.option(tie('expr')), fc.array(fc.tuple(tie('expr'), tie('expr')), { minLength: 1, maxLength: 3 }), fc.option(tie('expr')))
        .map(([base, whens, otherwise]) => `CASE${base === null ? '' : ` ${base}`}${whens.map(([w, t]) => ` WHEN ${w} THEN ${t}`).join('')}${otherwise === null ? '' : ` ELSE ${otherwise}`} END`),
    ),
  }))
  fc.assert(fc.property(expr, (text) => {
    let direct: unknown[][]
    try {
      direct = db.prepare(`SELECT ${text} FROM "acc$p0" AS acc ORDER BY "id"`).raw().all() as unknown[][]
    } catch {
      return // SQLite refuses it too (e.g. a type it cannot compare): nothing to compare
    }
    const r = run(`SELECT ${text} FROM acc ORDER BY id`)
    assert.equal(r.rows, direct, `${text}\n→ ${r.rendered}`)
  }), { numRuns: Number(process.env.SQL_DIFFERENTIAL_RUNS ?? 400) })
})

test.after(() => { db.close() })
test.run()
