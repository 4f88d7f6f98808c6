// ALTER TABLE t RENAME [COLUMN] a TO b: the column keeps its place, its values and its indexes. Rows are
// read by the new name everywhere — by key in the executors (also from a checkpoint that still has the
// old name, the key column included), in functions, in queries — and after a restart; what is refused,
// and why. (The recovery test replays one from the log: test/unit/recovery.test.ts.)
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type OpenOptions } from '../../src/index.js'
import { DATABASE_FILE } from '../../src/storage/sqlite-schema.js'
import { rejection } from '../support/rejection.js'
import { LAGGING_CHECKPOINT } from '../support/lagging.js'
import { tempDir } from '../support/tmp.js'

const ROWS = 40

for (const workers of [0, 2]) {
  test(`${workers} workers: a renamed column keeps its place, values and index; rows are found by the renamed key before and after the checkpoint; a restart keeps it`, async () => {
    const tmp = tempDir('acheron-rename-column-')
    const dir = join(tmp.dir, 'data')
    const options: OpenOptions = { ...LAGGING_CHECKPOINT, workers, dir }
    try {
      let db = await open(options)
      try {
        await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0, note TEXT, log TEXT NOT NULL DEFAULT '') PARTITIONS 3")
        await db.sql('CREATE INDEX t_note ON t (note DESC, v)')
        await db.insert('t', Array.from({ length: ROWS }, (_, i) => [i, i * 10, `n${i % 4}`, '']))
        await db.createFunction('t.run', new Uint8Array(0), { runtime: 'js' })
      } finally {
        await db.close()
      }
      db = await open(options)
      let digest: string
      try {
        // Row 3 is read and written before the renames: the executors keep its image.
        await db.sql('UPDATE t SET v = v + 1 WHERE k = 3')
        await db.sql('ALTER TABLE t RENAME COLUMN k TO id; ALTER TABLE t RENAME note TO memo')
        // By key, in the executors, from the checkpoint taken before the renames: its tables still say k.
        assert.equal((await db.query('SELECT * FROM t WHERE id = 7')).rows, [[7, 70, 'n3', '']])
        assert.equal((await db.query('SELECT id, memo FROM t WHERE id = 3')).rows, [[3, 'n3']])
        await db.sql("UPDATE t SET memo = 'x' WHERE id = 9")
        // A function finds its row in that checkpoint by key, and its columns (v, log) by name.
        const ran = await db.call('t.run', 5, JSON.stringify([{ op: 'append', item: 'a' }, { op: 'read' }]))
        assert.is(ran.value, JSON.stringify([['50', 'a']]))
        // Now the checkpoint renames too. Rows no thread has read yet come from it: the statements the
        // threads prepared while it still said k are prepared again against what it says now.
        await db.checkpoint()
        for (const k of [10, 11, 12, 13, 14, 15]) assert.equal((await db.query('SELECT id, v FROM t WHERE id = ?', [k])).rows, [[k, k * 10]])
        // A case change alone renames too.
        await db.sql('ALTER TABLE t RENAME COLUMN memo TO MEMO')
        await db.sql("INSERT INTO t (id, MEMO) VALUES (100, 'new')")
        const expected = (k: number) => [k, k === 100 ? 0 : k === 3 ? 31 : k * 10, k === 100 ? 'new' : k === 9 ? 'x' : `n${k % 4}`, k === 5 ? 'a' : '']
        const all = [...Array.from({ length: ROWS }, (_, k) => expected(k)), expected(100)]
        // A query: the state thread renames the columns in SQLite first, then reads the rows there.
        const read = await db.query('SELECT * FROM t ORDER BY id')
        assert.equal(read.columns, ['id', 'v', 'MEMO', 'log'])
        assert.equal(read.rows, all)
        assert.equal((await db.query("SELECT id FROM t WHERE memo = 'n1' ORDER BY id LIMIT 3")).rows, [[1], [5], [13]])
        assert.equal((await db.query('SHOW INDEXES FROM t')).rows, [['t_note', 't', 'MEMO DESC, v']])
        // The old names are gone, as they are for every statement planned from now on.
        for (const sql of ['SELECT k FROM t', "UPDATE t SET note = 'y' WHERE id = 1", 'SELECT * FROM t WHERE k = 1']) {
          const err = await rejection(db.sql(sql))
          assert.is(err.code, 'UNKNOWN_COLUMN', sql)
        }
        digest = await db.digest()
      } finally {
        await db.close()
      }
      // The checkpoint the close took: the partition tables and their index carry the new names.
      const file = new Database(join(dir, DATABASE_FILE), { readonly: true })
      try {
        for (let p = 0; p < 3; p++) {
          assert.equal(file.prepare(`SELECT name FROM pragma_table_info('t$p${p}')`).pluck().all(), ['id', 'v', 'MEMO', 'log'])
          assert.equal(file.prepare(`SELECT name FROM pragma_index_info('t_note$i${p}')`).pluck().all(), ['MEMO', 'v'])
        }
      } finally {
        file.close()
      }
      db = await open(options)
      try {
        assert.is(await db.digest(), digest)
        assert.equal((await db.query('SELECT * FROM t WHERE id = 9')).rows, [[9, 90, 'x', '']])
        const [described] = await db.sql('DESCRIBE t')
        assert.equal(described?.rows.map((r) => r[0]), ['id', 'v', 'MEMO', 'log'])
      } finally {
        await db.close()
      }
    } finally {
      tmp.cleanup()
    }
  })
}

test('renames that trade names between columns (a swap, a chain) between two checkpoints: each column keeps its values', async () => {
  const tmp = tempDir('acheron-rename-swap-')
  const dir = join(tmp.dir, 'data')
  const options: OpenOptions = { ...LAGGING_CHECKPOINT, workers: 0, dir }
  try {
    let db = await open(options)
    let digest: string
    try {
      await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d INTEGER) PARTITIONS 2; INSERT INTO t VALUES (1, 10, 'x', 1.5, 7)")
      await db.checkpoint()
      // Between two checkpoints: a and b trade names, then c takes d's and d a new one.
      await db.sql('ALTER TABLE t RENAME a TO tmp; ALTER TABLE t RENAME b TO a; ALTER TABLE t RENAME tmp TO b')
      await db.sql('ALTER TABLE t RENAME d TO e; ALTER TABLE t RENAME c TO d')
      await db.checkpoint()
      const read = await db.query('SELECT * FROM t')
      assert.equal(read.columns, ['k', 'b', 'a', 'd', 'e'])
      assert.equal(read.rows, [[1, 10, 'x', 1.5, 7]])
      digest = await db.digest()
    } finally {
      await db.close()
    }
    const file = new Database(join(dir, DATABASE_FILE), { readonly: true })
    try {
      for (let p = 0; p < 2; p++) assert.equal(file.prepare(`SELECT name FROM pragma_table_info('t$p${p}')`).pluck().all(), ['k', 'b', 'a', 'd', 'e'])
    } finally {
      file.close()
    }
    db = await open(options)
    try {
      assert.is(await db.digest(), digest)
      assert.equal((await db.query('SELECT a, b FROM t')).rows, [['x', 10]])
    } finally {
      await db.close()
    }
  } finally {
    tmp.cleanup()
  }
})

test('what RENAME COLUMN refuses, each with its code, reason and place; a rename to the same name changes nothing', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER, b TEXT); INSERT INTO t VALUES (1, 2, \'x\')')
    const cases: [string, string, number, RegExp][] = [
      // A new name that is taken, or no name, is refused at the new name.
      ['ALTER TABLE t RENAME COLUMN a TO b', 'CONSTRAINT', 34, /^column b already exists in t$/],
      ['ALTER TABLE t RENAME COLUMN a TO K', 'CONSTRAINT', 34, /^column K already exists in t \(as k: names are case-insensitive\)$/],
      ['ALTER TABLE t RENAME COLUMN nope TO c', 'UNKNOWN_COLUMN', 29, /^no such column: nope \(table t has k, a, b\)$/],
      ['ALTER TABLE u RENAME COLUMN a TO c', 'UNKNOWN_TABLE', 13, /^no such table: u$/],
      ['ALTER TABLE t RENAME COLUMN a TO "c d"', 'SYNTAX_ERROR', 34, /^invalid column name 'c d'/],
      ['ALTER TABLE t RENAME COLUMN a c', 'SYNTAX_ERROR', 0, /^expected TO after RENAME COLUMN a, found 'c'$/],
      ['ALTER TABLE t RENAME TO u', 'SYNTAX_ERROR', 22, /^ALTER TABLE … RENAME TO is not supported: a table's name is part of its functions' names \(t\.f\)/],
    ]
    for (const [sql, code, column, message] of cases) {
      const err = await rejection(db.sql(sql))
      assert.is(err.code, code, sql)
      assert.match(err.message, message, sql)
      if (column > 0) assert.is(err.column, column, sql)
    }
    const before = await db.query('DESCRIBE t')
    await db.sql('ALTER TABLE t RENAME COLUMN a TO a')
    assert.equal((await db.query('DESCRIBE t')).rows, before.rows)
    assert.equal((await db.query('SELECT * FROM t')).rows, [[1, 2, 'x']])
  } finally {
    await db.close()
  }
})

test.run()
