// `public.t`, as PostgreSQL users write a table's name (and `main.t`, SQLite's): Acheron has one schema,
// so the qualifier names nothing and is dropped wherever a table is named. It was "expected ';' or end of
// statement, found '.'", which did not say that the table was fine and only the qualifier was not.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'
import { assertError, oneOf } from './support.js'

test('public. and main. before a table name are dropped, in every statement that names a table', () => {
  assert.equal(oneOf('select', 'SELECT * FROM public.t').from, { kind: 'table', name: 't', alias: null, pos: { offset: 14, line: 1, column: 15 } })
  assert.is(oneOf('select', 'SELECT * FROM main.t AS x JOIN PUBLIC.u ON x.k = u.k').joins[0]?.item.kind, 'table')
  assert.is(oneOf('insert', 'INSERT INTO public.t VALUES (1)').table, 't')
  assert.is(oneOf('update', 'UPDATE "public".t SET v = 1').table, 't')
  assert.is(oneOf('delete', 'DELETE FROM public.t WHERE k = 1').table, 't')
  assert.is(oneOf('delete', 'TRUNCATE TABLE public.t').table, 't')
  assert.is(oneOf('create-table', 'CREATE TABLE IF NOT EXISTS public.t (k INTEGER PRIMARY KEY)').name, 't')
  assert.is(oneOf('drop-table', 'DROP TABLE public.t').name, 't')
  assert.is(oneOf('alter-table-add-column', 'ALTER TABLE public.t ADD COLUMN v TEXT').name, 't')
  const index = oneOf('create-index', 'CREATE INDEX i ON public.t (v)')
  assert.equal([index.table, index.tablePos?.column], ['t', 26])
  assert.is(oneOf('describe', 'DESCRIBE public.t').table, 't')
  assert.is(oneOf('show-indexes', 'SHOW INDEXES FROM public.t').table, 't')
  assert.equal(oneOf('describe', 'DESCRIBE public.t').namePos, { offset: 16, line: 1, column: 17 })
  // Where a table qualifies a name: its columns, t.*, and its functions.
  const sel = oneOf('select', 'SELECT public.t.k, public.t.* FROM public.t')
  assert.equal(sel.items.map((i) => (i.kind === 'star' ? `${i.table ?? ''}.*` : i.expr.kind === 'column' ? `${i.expr.table ?? ''}.${i.expr.name}` : i.expr.kind)), ['t.k', 't.*'])
  assert.is(oneOf('call', 'CALL public.account.deposit(1)').fn, 'account.deposit')
  assert.is(oneOf('drop-function', 'DROP FUNCTION public.t.f').name, 't.f')
  assert.is(oneOf('create-functions', "CREATE FUNCTIONS public.t.* FROM WASM X''").table, 't')
  assert.equal(oneOf('create-functions', "CREATE FUNCTIONS main.t.(f, g) FROM WASM X''").functions, ['f', 'g'])
})

test('a table named public is still a table: public.f is its function, public.k its column', () => {
  assert.is(oneOf('call', 'CALL public.f(1)').fn, 'public.f')
  assert.is(oneOf('create-functions', "CREATE FUNCTIONS public.* FROM WASM X''").table, 'public')
  const sel = oneOf('select', 'SELECT public.k FROM public')
  assert.equal([sel.table, sel.items[0]?.kind === 'expr' ? sel.items[0].expr : null], ['public', { kind: 'column', table: 'public', name: 'k', pos: { offset: 7, line: 1, column: 8 } }])
})

test('any other schema is refused at its name, saying there is one', () => {
  const one = /^no schema (\w+): Acheron has one schema, so a table is named by its name alone \(or public\.t, PostgreSQL's name of that schema, or main\.t, SQLite's\)$/
  assertError('SELECT * FROM pg_catalog.pg_tables', 1, 15, one)
  assertError('INSERT INTO other.t VALUES (1)', 1, 13, one)
  assertError('SELECT x.t.k FROM t', 1, 8, one)
  assertError('CALL other.t.f(1)', 1, 6, one)
})

test('a table created as public.t is t, read and written through either name', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE public.account (id TEXT PRIMARY KEY, balance INTEGER);
      INSERT INTO public.account VALUES ('a', 1), ('b', 2);
      UPDATE public.account SET balance = public.account.balance + 10 WHERE id = 'a';
      DELETE FROM main.account WHERE id = 'b'`)
    assert.equal((await db.query('SELECT * FROM account')).rows, [['a', 11]])
    assert.equal((await db.query('SELECT public.account.id, a.balance FROM public.account AS a')).rows, [['a', 11]])
    assert.equal((await db.query('SHOW TABLES')).rows.map((r) => r[0]), ['account'])
    const missing = await rejection(db.query('SELECT * FROM public.nothing'))
    assert.equal([missing.code, missing.message, missing.column], ['UNKNOWN_TABLE', 'no such table: nothing', 22])
  } finally {
    await db.close()
  }
})

test.run()
