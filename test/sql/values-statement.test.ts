// `VALUES (1, 'a'), (2, 'b')` as a statement of its own, as SQLite and PostgreSQL run it: a query of
// those rows, its columns named column1, column2, … as both name them. It was "unknown statement 'VALUES'".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'
import { assertError, oneOf } from './support.js'

test('VALUES parses as a query of its rows; rows of different lengths, an aggregate or an empty row are refused where they are', () => {
  const s = oneOf('select', "VALUES (1, 'a'), (2, 'b')")
  assert.equal(s.values?.map((row) => row.map((e) => (e.kind === 'literal' ? e.value : e.kind))), [[1n, 'a'], [2n, 'b']])
  assert.is(s.table, null)
  assertError("VALUES (1, 'a'),\n  (2)", 2, 3, /^every row of VALUES has as many values as the first \(2\), and this one has 1$/)
  assertError('VALUES (COUNT(*))', 1, 9, /aggregate/)
  assertError('VALUES ()', 1, 9, /^expected an expression/)
  assertError('VALUES 1, 2', 1, 8, /^expected '\(' after VALUES/)
})

test('VALUES answers its rows, columns column1, column2, …, with expressions, ? and subqueries, ORDER BY and LIMIT', async () => {
  const db = await open({ memory: true })
  try {
    const r = await db.query("VALUES (1, 'a'), (2, 'b')")
    assert.equal([r.columns, r.rows], [['column1', 'column2'], [[1, 'a'], [2, 'b']]])
    assert.equal((await db.query("VALUES (1 + 1, UPPER('x'), ?, NULL, X'00')", [2.5])).rows, [[2, 'X', 2.5, null, new Uint8Array([0])]])
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)')
    assert.equal((await db.query('VALUES ((SELECT COUNT(*) FROM t), 0), ((SELECT MAX(k) FROM t), 1)')).rows, [[3, 0], [3, 1]])
    // PostgreSQL's ORDER BY and LIMIT (SQLite takes neither after a bare VALUES).
    assert.equal((await db.query("VALUES (2, 'b'), (1, 'a'), (3, 'c') ORDER BY column1 DESC LIMIT 2 OFFSET 1")).rows, [[2, 'b'], [1, 'a']])
    assert.equal((await db.query("VALUES (2, 'b'), (1, 'a') ORDER BY 2")).rows, [[1, 'a'], [2, 'b']])
    // More rows than SQLite's 500 terms of a compound SELECT: written as SQLite's VALUES, not a UNION.
    const many = Array.from({ length: 1200 }, (_, i) => `(${i})`).join(', ')
    assert.is((await db.query(`VALUES ${many}`)).rows.length, 1200)
    // A statement like a SELECT: in scripts and inside BEGIN … COMMIT.
    const [, inTxn] = await db.sql('BEGIN; VALUES (7); COMMIT')
    assert.equal(inTxn?.rows, [[7]])
    const column = await rejection(db.query('VALUES (1), (k)'))
    assert.equal([column.code, column.column], ['UNKNOWN_COLUMN', 14])
    const scalar = await rejection(db.query('VALUES ((SELECT k FROM t))'))
    assert.equal([scalar.code, scalar.column], ['CONSTRAINT', 9])
  } finally {
    await db.close()
  }
})

test.run()
