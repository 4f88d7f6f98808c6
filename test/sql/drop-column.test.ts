// ALTER TABLE t DROP [COLUMN] [IF EXISTS] a: no statement, function or catalog read sees the column from
// the next statement on, and no row is rewritten (the column keeps its place, renamed out of reach, as
// PostgreSQL keeps a dropped attribute). Rows are read by key in the executors — from their images and
// from a checkpoint taken before the drop — in queries, by functions, after the checkpoint drops the
// column too, and after a restart; what is refused, and why.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { DATABASE_FILE } from '../../src/storage/sqlite-schema.js'
import { abiModule } from '../wasm-exec/wat.js'
import { rejection } from '../support/rejection.js'
import { LAGGING_CHECKPOINT } from '../support/lagging.js'
import { tempDir } from '../support/tmp.js'

const ROWS = 40

/** Column access by place, as a guest that kept a place from before the drop would do it. */
const byPlace = abiModule(`
  (data (i32.const 0) "note")
  ;; the place col() gives the name "note", -1 when none
  (func (export "place_of_note") (call $ret_int (i64.extend_i32_s (call $col (i32.const 0) (i32.const 4)))))
  ;; the INTEGER at place argument 0
  (func (export "int_at") (call $ret_int (call $get_int (i32.wrap_i64 (call $arg_int (i32.const 0))))))
  ;; writes the text "w" at place argument 0
  (func (export "text_at") (call $set_text (i32.wrap_i64 (call $arg_int (i32.const 0))) (i32.const 0) (i32.const 1)) (call $ret_int (i64.const 1)))
`)

async function code(db: EmbeddedDatabase, sql: string): Promise<string> {
  return (await rejection(db.sql(sql))).code
}

for (const workers of [0, 2]) {
  test(`${workers} workers: a dropped column is gone for statements, functions and DESCRIBE; the rest of each row stays where it was, before and after the checkpoint and a restart`, async () => {
    const tmp = tempDir('acheron-drop-column-')
    const dir = join(tmp.dir, 'data')
    const options: OpenOptions = { ...LAGGING_CHECKPOINT, workers, dir }
    try {
      let db = await open(options)
      try {
        // note is NOT NULL with no default: new rows must still fill it where the checkpoint keeps it.
        await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0, note TEXT NOT NULL, log TEXT NOT NULL DEFAULT '') PARTITIONS 3")
        await db.sql('CREATE INDEX t_v ON t (v)')
        await db.insert('t', Array.from({ length: ROWS }, (_, i) => [i, i * 10, `n${i}`, '']))
        await db.createFunction('t.run', new Uint8Array(0), { runtime: 'js' })
        for (const f of ['place_of_note', 'int_at', 'text_at']) await db.createFunction(`t.${f}`, byPlace, { export: f })
        assert.is((await db.call('t.place_of_note', 1)).value, 2)
      } finally {
        await db.close()
      }
      db = await open(options)
      let digest: string
      try {
        // Row 3 is read and written before the drop: the executors keep its image, note included.
        await db.sql('UPDATE t SET v = v + 1 WHERE k = 3')
        await db.sql('ALTER TABLE t DROP COLUMN note')
        // By key, in the executors, from their image and from the checkpoint taken before the drop.
        assert.equal((await db.query('SELECT * FROM t WHERE k = 3')).rows, [[3, 31, '']])
        const seven = await db.query('SELECT * FROM t WHERE k = 7')
        assert.equal(seven.columns, ['k', 'v', 'log'])
        assert.equal(seven.rows, [[7, 70, '']])
        assert.equal((await db.get('t', 8)).row, { k: 8, v: 80, log: '' })
        // No statement names it any more; a row without column names has the columns that are left.
        for (const sql of ['SELECT note FROM t', "UPDATE t SET note = 'x' WHERE k = 1", "INSERT INTO t (k, note) VALUES (200, 'x')", 'SELECT * FROM t ORDER BY note']) {
          assert.is(await code(db, sql), 'UNKNOWN_COLUMN', sql)
        }
        assert.is(await code(db, "INSERT INTO t VALUES (200, 1, 'n', '')"), 'SYNTAX_ERROR')
        await db.sql("INSERT INTO t VALUES (100, 1, 'a'); INSERT INTO t (k) VALUES (101); INSERT INTO t SELECT k + 1000, v, log FROM t WHERE k < 2")
        await db.sql("INSERT INTO t VALUES (5, 0, 'b') ON CONFLICT (k) DO UPDATE SET log = excluded.log")
        // Functions: by name it is not there; by the place it had, it is no column.
        assert.is((await db.call('t.place_of_note', 1)).value, -1)
        assert.is((await db.call('t.int_at', 1, 1)).value, 10)
        for (const f of ['t.int_at', 't.text_at']) {
          const err = await rejection(db.call(f, 1, 2))
          assert.is(err.code, 'UNKNOWN_COLUMN', f)
          assert.match(err.message, /t has no column #2/)
        }
        const ran = await db.call('t.run', 6, JSON.stringify([{ op: 'append', item: 'a' }, { op: 'read' }]))
        assert.is(ran.value, JSON.stringify([['60', 'a']]))
        // DESCRIBE, SHOW TABLES and an EXPLAIN CALL's row images show the columns that are left.
        assert.equal((await db.query('DESCRIBE t')).rows.map((r) => r[0]), ['k', 'v', 'log'])
        assert.equal((await db.query('SHOW TABLES')).rows, [['t', 3, 'k', 3]])
        const explained = JSON.stringify((await db.query("EXPLAIN CALL t.run(9, '[{\"op\":\"write\",\"value\":\"1\"}]')")).rows)
        assert.ok(explained.includes('k = 9, v = 90'), explained)
        assert.not.ok(/note|dropped/.test(explained), explained)
        // Added again under the same name, it is a new column, last, with its own values.
        await db.sql('ALTER TABLE t ADD COLUMN note INTEGER NOT NULL DEFAULT 5')
        assert.equal((await db.query('SELECT * FROM t WHERE k = 7')).rows, [[7, 70, '', 5]])
        assert.is((await db.call('t.place_of_note', 1)).value, 4)
        // A column an index names is refused until the index goes.
        const indexed = await rejection(db.sql('ALTER TABLE t DROP COLUMN v'))
        assert.is(indexed.code, 'CONSTRAINT')
        assert.match(indexed.message, /^cannot drop t\.v: index t_v names it \(DROP INDEX t_v first\)$/)
        assert.is(indexed.column, 27)
        await db.sql('DROP INDEX t_v; ALTER TABLE t DROP v')
        assert.is((await rejection(db.call('t.run', 6, '[]'))).code, 'UNKNOWN_COLUMN')
        // Now the checkpoint drops them too. Rows no thread has read yet come from it.
        await db.checkpoint()
        for (const k of [10, 11, 12, 13]) assert.equal((await db.query('SELECT * FROM t WHERE k = ?', [k])).rows, [[k, '', 5]])
        const expected = (k: number) => [k, k === 6 ? 'a' : k === 100 ? 'a' : k === 5 ? 'b' : '', 5]
        const keys = [...Array.from({ length: ROWS }, (_, k) => k), 100, 101, 1000, 1001]
        const all = await db.query('SELECT * FROM t ORDER BY k')
        assert.equal(all.columns, ['k', 'log', 'note'])
        assert.equal(all.rows, keys.map(expected))
        digest = await db.digest()
      } finally {
        await db.close()
      }
      // The checkpoint the close took: the dropped columns keep their places under names no statement can give.
      const file = new Database(join(dir, DATABASE_FILE), { readonly: true })
      try {
        for (let p = 0; p < 3; p++) assert.equal(file.prepare(`SELECT name FROM pragma_table_info('t$p${p}')`).pluck().all(), ['k', '$dropped1', '$dropped2', 'log', 'note'])
        // A row inserted after the drop filled the NOT NULL place with the zero of its type; older rows keep their values there, unseen.
        const placed = (k: number) => file.prepare(`SELECT "$dropped2" FROM "t$p${partitionOf(file, k)}" WHERE k = ?`).pluck().get(k)
        assert.is(placed(101), '')
        assert.is(placed(7), 'n7')
      } finally {
        file.close()
      }
      db = await open(options)
      try {
        assert.is(await db.digest(), digest)
        assert.equal((await db.query('SELECT * FROM t WHERE k = 6')).rows, [[6, 'a', 5]])
        assert.equal((await db.query('DESCRIBE t')).rows.map((r) => r[0]), ['k', 'log', 'note'])
      } finally {
        await db.close()
      }
    } finally {
      tmp.cleanup()
    }
  })
}

/** The partition table of `t` that holds key `k`, found by looking (the test does not restate the partitioning). */
function partitionOf(file: Database.Database, k: number): number {
  for (let p = 0; p < 3; p++) if (file.prepare(`SELECT 1 FROM "t$p${p}" WHERE k = ?`).get(k) !== undefined) return p
  throw new Error(`no partition holds ${k}`)
}

test('what DROP COLUMN refuses, each with its code, reason and place; IF EXISTS of a column not there changes nothing', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER, b TEXT); INSERT INTO t VALUES (1, 2, 'x')")
    const cases: [string, string, number, RegExp][] = [
      // Refused for what the column is: at the column, not at the table.
      ['ALTER TABLE t DROP COLUMN k', 'CONSTRAINT', 27, /^cannot drop t\.k: it is the table's primary key$/],
      ['ALTER TABLE t DROP COLUMN K', 'CONSTRAINT', 27, /^cannot drop t\.k: it is the table's primary key$/],
      ['ALTER TABLE t DROP COLUMN nope', 'UNKNOWN_COLUMN', 27, /^no such column: nope \(table t has k, a, b\)$/],
      ['ALTER TABLE u DROP COLUMN a', 'UNKNOWN_TABLE', 13, /^no such table: u$/],
      ['ALTER TABLE t DROP COLUMN a CASCADE', 'SYNTAX_ERROR', 29, /^DROP COLUMN … CASCADE is not supported/],
      ['ALTER TABLE t DROP CONSTRAINT c', 'SYNTAX_ERROR', 20, /^ALTER TABLE … DROP CONSTRAINT is not supported/],
      ['ALTER TABLE t SET x', 'SYNTAX_ERROR', 15, /DROP COLUMN/],
    ]
    for (const [sql, c, column, message] of cases) {
      const err = await rejection(db.sql(sql))
      assert.is(err.code, c, sql)
      assert.match(err.message, message, sql)
      assert.is(err.column, column, sql)
    }
    const before = await db.query('DESCRIBE t')
    await db.sql('ALTER TABLE t DROP COLUMN IF EXISTS nope')
    assert.equal((await db.query('DESCRIBE t')).rows, before.rows)
    // Dropped twice: the second finds no such column.
    await db.sql('ALTER TABLE t DROP COLUMN a')
    assert.is((await rejection(db.sql('ALTER TABLE t DROP COLUMN a'))).code, 'UNKNOWN_COLUMN')
    await db.sql('ALTER TABLE t DROP COLUMN IF EXISTS a')
    assert.equal((await db.query('SELECT * FROM t')).rows, [[1, 'x']])
    // Every column but the key may go.
    await db.sql('ALTER TABLE t DROP b')
    assert.equal((await db.query('SELECT * FROM t')).rows, [[1]])
    await db.sql('INSERT INTO t VALUES (2)')
    assert.equal((await db.query('SELECT k FROM t ORDER BY k')).rows, [[1], [2]])
  } finally {
    await db.close()
  }
})

test.run()
