// INSERT … ON CONFLICT (upsert): what a row whose key exists does, what is counted, where a mistake is
// reported, and that a logged upsert replays to the same state. Also qualified column names (`t.a`) in
// the expressions of UPDATE and DELETE, which SQLite accepts. (The differential property,
// test/property/sql-differential.test.ts, compares random upserts with SQLite's own.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { decodeBatch, encodeBatch } from '../../src/txn/batch-codec.js'
import type { TxnInput } from '../../src/txn/types.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'

async function withStock(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL, note TEXT DEFAULT 'new') PARTITIONS 3;
      INSERT INTO stock VALUES ('a', 5, 'x'), ('b', 6, 'y')`)
    await run(db)
  } finally {
    await db.close()
  }
}

async function rowsOf(db: EmbeddedDatabase): Promise<unknown[][]> {
  return (await db.query('SELECT * FROM stock ORDER BY sku')).rows
}

test('DO UPDATE adds to the row there, reading it and the proposed row as excluded; new keys are inserted', async () => {
  await withStock(async (db) => {
    const [r] = await db.sql("INSERT INTO stock VALUES ('a', 10, 'n'), ('c', 1, 'z') ON CONFLICT (sku) DO UPDATE SET qty = qty + excluded.qty, note = stock.note || excluded.note")
    assert.is(r?.rowsAffected, 2)
    assert.equal(await rowsOf(db), [['a', 15, 'xn'], ['b', 6, 'y'], ['c', 1, 'z']])
    // A later row of the same INSERT meets the one an earlier row wrote; excluded has the defaults.
    const [again] = await db.sql("INSERT INTO stock (sku, qty) VALUES ('d', 1), ('d', 2) ON CONFLICT DO UPDATE SET qty = qty * 10 + excluded.qty, note = excluded.note")
    assert.is(again?.rowsAffected, 2)
    assert.equal((await rowsOf(db))[3], ['d', 12, 'new'])
  })
})

test('DO NOTHING and a DO UPDATE whose WHERE is false leave the row and do not count it', async () => {
  await withStock(async (db) => {
    const [nothing] = await db.sql("INSERT INTO stock (sku, qty) VALUES ('b', 100), ('e', 4) ON CONFLICT DO NOTHING")
    assert.is(nothing?.rowsAffected, 1)
    const [where] = await db.sql("INSERT INTO stock (sku, qty) VALUES ('a', 3), ('b', 9) ON CONFLICT (sku) DO UPDATE SET qty = excluded.qty WHERE excluded.qty > stock.qty")
    assert.is(where?.rowsAffected, 1)
    assert.equal(await rowsOf(db), [['a', 5, 'x'], ['b', 9, 'y'], ['e', 4, 'new']])
  })
})

test('mistakes are reported at their place, and change nothing', async () => {
  await withStock(async (db) => {
    const cases: [string, string, number, RegExp][] = [
      ["INSERT INTO stock VALUES ('a', 1, 'q') ON CONFLICT (qty) DO NOTHING", 'SYNTAX_ERROR', 40, /^ON CONFLICT \(qty\): only the primary key sku can conflict/],
      ["INSERT INTO stock VALUES ('a', 1, 'q') ON CONFLICT (nope) DO NOTHING", 'UNKNOWN_COLUMN', 40, /^no such column: nope/],
      ["INSERT INTO stock VALUES ('a', 1, 'q') ON CONFLICT DO UPDATE SET qty = excluded.nope", 'UNKNOWN_COLUMN', 72, /^no such column: excluded\.nope \(excluded has sku, qty, note\)$/],
      ["INSERT INTO stock VALUES ('a', 1, 'q') ON CONFLICT DO UPDATE SET nope = 1", 'UNKNOWN_COLUMN', 66, /^no such column: nope/],
      ["INSERT OR REPLACE INTO stock VALUES ('a', 1, 'q') ON CONFLICT DO NOTHING", 'SYNTAX_ERROR', 51, /^ON CONFLICT cannot follow INSERT OR REPLACE/],
      ["INSERT INTO stock VALUES ('a', 1, 'q') ON CONFLICT DO SOMETHING", 'SYNTAX_ERROR', 55, /^expected NOTHING or UPDATE after DO/],
      ['UPDATE stock SET qty = excluded.qty', 'UNKNOWN_TABLE', 24, /^no such table: excluded$/],
    ]
    for (const [sql, code, column, message] of cases) {
      const e = await rejection(db.sql(sql))
      assert.equal([e.code, e.line, e.column], [code, 1, column], `${sql}: ${e.message}`)
      assert.match(e.message, message, sql)
    }
    // The update breaks a NOT NULL: the whole INSERT fails (its new row too), at the row's key.
    const e = await rejection(db.sql("INSERT INTO stock VALUES ('z', 1, 'q'), ('a', 1, 'q') ON CONFLICT DO UPDATE SET qty = NULL"))
    assert.equal([e.code, e.column], ['CONSTRAINT', 42])
    assert.match(e.message, /^ON CONFLICT DO UPDATE of key a: NOT NULL constraint failed: stock\.qty$/)
    // As SQLite: a NULL in a NOT NULL column fails before the key is looked up, even with DO NOTHING.
    assert.is((await rejection(db.sql("INSERT INTO stock VALUES ('a', NULL, 'q') ON CONFLICT DO NOTHING"))).code, 'CONSTRAINT')
    assert.equal(await rowsOf(db), [['a', 5, 'x'], ['b', 6, 'y']])
  })
})

test('qualified column names in UPDATE and DELETE, as SQLite takes them', async () => {
  await withStock(async (db) => {
    await db.sql("UPDATE stock SET qty = stock.qty + 1 WHERE stock.sku = 'a'; UPDATE stock SET note = UPPER(stock.note) WHERE stock.qty > 5")
    assert.equal(await rowsOf(db), [['a', 6, 'X'], ['b', 6, 'Y']])
    await db.sql("DELETE FROM stock WHERE stock.sku = 'a' AND stock.qty = 6")
    assert.equal(await rowsOf(db), [['b', 6, 'Y']])
  })
})

test('a logged upsert, inside BEGIN … COMMIT too, replays to the same rows after a reopen', async () => {
  const tmp = tempDir()
  try {
    const db = await open({ dir: tmp.dir })
    await db.sql("CREATE TABLE hits (page TEXT PRIMARY KEY, n INTEGER) PARTITIONS 2")
    for (const page of ['/', '/a', '/', '/b', '/', '/a']) await db.sql('INSERT INTO hits VALUES (?, 1) ON CONFLICT (page) DO UPDATE SET n = n + 1', [page])
    const r = await db.sql("BEGIN; INSERT INTO hits VALUES ('/a', 1) ON CONFLICT DO UPDATE SET n = n * 100; SELECT n FROM hits WHERE page = '/a'; COMMIT")
    assert.equal(r[2]?.rows, [[200]])
    await db.close()
    const again = await open({ dir: tmp.dir })
    assert.equal((await again.query('SELECT * FROM hits ORDER BY page')).rows, [['/', 3], ['/a', 200], ['/b', 1]])
    await again.close()
  } finally {
    tmp.cleanup()
  }
  const input: TxnInput = {
    kind: 'insert', table: 'hits', columns: null, rows: [['/', 1n]], replace: false,
    onConflict: { action: 'update', sets: [{ column: 'n', expr: { sql: '"n" + ?', values: [1n] } }], where: { sql: '"__acheron_excluded_n" > 0', values: [] } },
  }
  assert.equal(decodeBatch(encodeBatch(1, 0, [input]).body).inputs, [input])
})

test.run()
