// INSERT, UPDATE and DELETE … RETURNING: the rows a statement wrote, as written (a deleted row as it
// was), at one key and over a whole table, alone and inside BEGIN … COMMIT; what RETURNING refuses and
// where; its row bound; and that a logged RETURNING replays. (The differential property,
// test/property/sql-differential.test.ts, compares random RETURNING clauses with SQLite's own.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { decodeBatch, encodeBatch } from '../../src/txn/batch-codec.js'
import { RETURNING_ROWS_MAX } from '../../src/txn/txn-runner.js'
import type { TxnInput } from '../../src/txn/types.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'

async function withItems(run: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL DEFAULT 1, name TEXT) PARTITIONS 3;
      INSERT INTO items VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')`)
    await run(db)
  } finally {
    await db.close()
  }
}

function sorted(rows: unknown[][]): unknown[][] {
  return [...rows].sort((a, b) => Number(a[0]) - Number(b[0]))
}

test('INSERT … RETURNING gives each row inserted as stored, defaults included; an upsert only the rows it wrote', async () => {
  await withItems(async (db) => {
    const [r] = await db.sql("INSERT INTO items (id, name) VALUES (4, 'd'), (5, ?) RETURNING *, qty * 2 AS twice", ['e'])
    assert.equal(r?.columns, ['id', 'qty', 'name', 'twice'])
    assert.equal(r?.rows, [[4, 1, 'd', 2], [5, 1, 'e', 2]])
    assert.is(r?.rowsAffected, 2)
    // DO NOTHING: the row there is not returned; DO UPDATE … WHERE: only where it held.
    const [n] = await db.sql("INSERT INTO items VALUES (1, 99, 'x'), (6, 6, 'f') ON CONFLICT DO NOTHING RETURNING id, qty")
    assert.equal(n?.rows, [[6, 6]])
    const [u] = await db.sql("INSERT INTO items VALUES (1, 5, 'x'), (2, 5, 'y'), (7, 7, 'g') ON CONFLICT (id) DO UPDATE SET qty = qty + excluded.qty WHERE items.name = 'a' RETURNING id, qty")
    assert.equal(u?.rows, [[1, 15], [7, 7]])
    // OR IGNORE leaves out what it ignores; OR REPLACE returns each row of the statement as it wrote it.
    const [ig] = await db.sql("INSERT OR IGNORE INTO items VALUES (2, 0, 'no'), (8, 8, 'h') RETURNING id")
    assert.equal(ig?.rows, [[8]])
    const [rp] = await db.sql("INSERT OR REPLACE INTO items VALUES (9, 1, 'p'), (9, 2, 'q') RETURNING id, qty, name")
    assert.equal(rp?.rows, [[9, 1, 'p'], [9, 2, 'q']])
    assert.equal((await db.query('SELECT qty, name FROM items WHERE id = 9')).rows, [[2, 'q']])
  })
})

test('UPDATE … RETURNING gives the new rows, DELETE … RETURNING the rows as they were; at one key and over the table', async () => {
  await withItems(async (db) => {
    const [one] = await db.sql('UPDATE items SET qty = qty + 1 WHERE id = 2 RETURNING id, qty, qty - 1 AS before')
    assert.equal(one?.rows, [[2, 21, 20]])
    const [none] = await db.sql('UPDATE items SET qty = 0 WHERE id = 2 AND qty > 100 RETURNING id')
    assert.equal(none?.columns, ['id'])
    assert.equal(none?.rows, [])
    assert.is(none?.rowsAffected, 0)
    const [scan] = await db.sql("UPDATE items SET name = upper(name) WHERE qty >= 20 RETURNING id, name")
    assert.equal(sorted(scan?.rows ?? []), [[2, 'B'], [3, 'C']])
    const [gone] = await db.sql('DELETE FROM items WHERE id = 1 RETURNING *')
    assert.equal(gone?.rows, [[1, 10, 'a']])
    const [all] = await db.sql('DELETE FROM items WHERE qty > 0 RETURNING name, qty')
    assert.equal(all?.rows.map((r) => r[0]).sort(), ['B', 'C'])
    assert.equal((await db.query('SELECT COUNT(*) FROM items')).rows, [[0]])
  })
})

test('RETURNING inside BEGIN … COMMIT sees the transaction\'s own writes; query() runs a statement with RETURNING', async () => {
  await withItems(async (db) => {
    const r = await db.sql(`BEGIN;
      UPDATE items SET qty = qty * 2 WHERE id = 1 RETURNING qty;
      INSERT INTO items VALUES (4, 4, 'd') RETURNING id;
      UPDATE items SET qty = qty + 1 WHERE qty > 15 RETURNING id, qty;
      COMMIT`)
    assert.equal(r[1]?.rows, [[20]])
    assert.equal(r[2]?.rows, [[4]])
    assert.equal(sorted(r[3]?.rows ?? []), [[1, 21], [2, 21], [3, 31]])
    // A failure later in the transaction undoes what RETURNING showed.
    const e = await rejection(db.sql('BEGIN; DELETE FROM items WHERE id = 4 RETURNING *; INSERT INTO items VALUES (1, 1, NULL); COMMIT'))
    assert.is(e.code, 'DUPLICATE_KEY')
    assert.equal((await db.query('SELECT id FROM items WHERE id = 4')).rows, [[4]])
    const q = await db.query('DELETE FROM items WHERE id = 4 RETURNING name')
    assert.equal([q.columns, q.rows], [['name'], [['d']]])
    const notQuery = await rejection(db.query('DELETE FROM items WHERE id = 3'))
    assert.match(notQuery.message, /INSERT, UPDATE or DELETE … RETURNING/)
  })
})

test('RETURNING refuses aggregates, window functions, subqueries and unknown columns, at the place', async () => {
  await withItems(async (db) => {
    const cases: [string, string, number, RegExp][] = [
      ['UPDATE items SET qty = 1 RETURNING count(*)', 'SYNTAX_ERROR', 36, /aggregate function COUNT is not allowed in RETURNING/],
      ['DELETE FROM items RETURNING id, rank() OVER (ORDER BY id)', 'SYNTAX_ERROR', 33, /window function RANK … OVER is not allowed here/],
      ['DELETE FROM items RETURNING (SELECT 1)', 'SYNTAX_ERROR', 30, /subquery/],
      ["INSERT INTO items VALUES (9, 9, 'z') RETURNING nope", 'UNKNOWN_COLUMN', 48, /no such column: nope/],
      ['UPDATE items SET qty = 1 RETURNING', 'SYNTAX_ERROR', 35, /expected an expression/],
    ]
    for (const [sql, code, column, message] of cases) {
      const e = await rejection(db.sql(sql))
      assert.is(e.code, code, sql)
      assert.is(e.column, column, sql)
      assert.match(e.message, message, sql)
    }
    assert.equal((await db.query('SELECT COUNT(*) FROM items')).rows, [[3]], 'nothing ran')
  })
})

test(`RETURNING gives at most RETURNING_ROWS_MAX (${RETURNING_ROWS_MAX}) rows: past it the statement fails whole`, async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER) PARTITIONS 2')
    const values = Array.from({ length: RETURNING_ROWS_MAX + 1 }, (_, i) => `(${i}, ${i})`).join(',')
    const e = await rejection(db.sql(`INSERT INTO n VALUES ${values} RETURNING id`))
    assert.is(e.code, 'PAYLOAD_TOO_LARGE')
    assert.match(e.message, /RETURNING gives at most 100000 rows/)
    assert.equal((await db.query('SELECT COUNT(*) FROM n')).rows, [[0]])
    // Without RETURNING the same rows go in, and a RETURNING of exactly the bound is whole.
    await db.sql(`INSERT INTO n VALUES ${values}`)
    const [r] = await db.sql(`DELETE FROM n WHERE id > 0 RETURNING id`)
    assert.is(r?.rows.length, RETURNING_ROWS_MAX)
  } finally {
    await db.close()
  }
})

test('a logged RETURNING statement replays to the same rows after a reopen; its input survives the batch codec', async () => {
  const tmp = tempDir()
  try {
    const db = await open({ dir: tmp.dir })
    await db.sql("CREATE TABLE c (k TEXT PRIMARY KEY, n INTEGER) PARTITIONS 2; INSERT INTO c VALUES ('x', 1), ('y', 2)")
    const [r] = await db.sql('UPDATE c SET n = n * 10 RETURNING k, n')
    assert.equal(sorted(r?.rows ?? []).length, 2)
    await db.sql("DELETE FROM c WHERE k = 'x' RETURNING n")
    await db.close()
    const again = await open({ dir: tmp.dir })
    assert.equal((await again.query('SELECT * FROM c ORDER BY k')).rows, [['y', 20]])
    await again.close()
  } finally {
    tmp.cleanup()
  }
  const input: TxnInput = { kind: 'update', table: 't', key: 1n, sets: [], where: null, returning: { sql: 'SELECT "k" FROM x', values: [2n] } }
  assert.equal(decodeBatch(encodeBatch(1, 0, [input]).body).inputs, [input])
})

test.run()
