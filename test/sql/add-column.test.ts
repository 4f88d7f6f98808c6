// ALTER TABLE t ADD COLUMN: the column goes last and every row has its default, whether the row is read
// from an image the executors kept from before the ALTER, from a checkpoint that has not reached it yet,
// or from one that has; functions see it; a restart replays it; what is refused, and why. (The recovery
// test replays one from the log under load: test/unit/recovery.test.ts.)
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type OpenOptions } from '../../src/index.js'
import { COLUMNS_MAX } from '../../src/schema/catalog.js'
import { rejection } from '../support/rejection.js'
import { LAGGING_CHECKPOINT } from '../support/lagging.js'
import { tempDir } from '../support/tmp.js'

const LAGGING: OpenOptions = { ...LAGGING_CHECKPOINT, workers: 2 }
const ROWS = 40
// Defaults whose exact value must survive the trip into the checkpoint's DDL and back.
const REAL_DEFAULT = 5e-324
const ADDED = [
  `ALTER TABLE t ADD COLUMN r REAL NOT NULL DEFAULT ${REAL_DEFAULT}`,
  "ALTER TABLE t ADD s TEXT DEFAULT 'it''s'",
  "ALTER TABLE t ADD COLUMN IF NOT EXISTS b BLOB DEFAULT X'00ff'",
  "ALTER TABLE t ADD COLUMN log TEXT NOT NULL DEFAULT 'start'",
  'ALTER TABLE t ADD COLUMN flag BOOLEAN',
]
const BLOB = new Uint8Array([0, 255])

test('rows from before the ALTER read the defaults everywhere: by key in the workers, in functions, in queries, after a restart', async () => {
  const tmp = tempDir('acheron-add-column-')
  const dir = join(tmp.dir, 'data')
  try {
    let db = await open({ ...LAGGING, dir })
    try {
      await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) PARTITIONS 3')
      await db.insert('t', Array.from({ length: ROWS }, (_, i) => [i, i * 10]))
      await db.createFunction('t.run', new Uint8Array(0), { runtime: 'js' })
    } finally {
      await db.close()
    }
    db = await open({ ...LAGGING, dir })
    let digest: string
    try {
      // Row 3 is read and written before the ALTER: the executors keep its old, narrower image.
      await db.sql('UPDATE t SET v = v + 1 WHERE k = 3')
      // A checkpoint without the ALTER: every other row is read from it.
      for (const sql of ADDED) await db.sql(sql)
      assert.equal((await db.query('SELECT * FROM t WHERE k = 7')).rows, [[7, 70, REAL_DEFAULT, "it's", BLOB, 'start', null]])
      // A function reads and writes the added column of a row it finds in the old checkpoint.
      const ran = await db.call('t.run', 5, JSON.stringify([{ op: 'append', item: 'a' }, { op: 'read' }]))
      assert.is(ran.value, JSON.stringify([['50', 'start,a']]))
      await db.call('t.run', 3, JSON.stringify([{ op: 'append', item: 'b' }]))
      await db.sql("UPDATE t SET s = s || '!' WHERE k = 9")
      await db.sql('INSERT INTO t (k) VALUES (100)')
      const expected = (k: number, v: number) => [k, v, REAL_DEFAULT, k === 9 ? "it's!" : "it's", BLOB, k === 5 ? 'start,a' : k === 3 ? 'start,b' : 'start', null]
      const all = [...Array.from({ length: ROWS }, (_, k) => expected(k, k === 3 ? 31 : k * 10)), expected(100, 0)]
      // A query: the state thread writes the ALTER into SQLite first, then reads the rows there.
      assert.equal((await db.query('SELECT * FROM t ORDER BY k')).rows, all)
      assert.equal((await db.query('SELECT typeof(r), typeof(s), typeof(b), typeof(log), typeof(flag) FROM t WHERE k = 1')).rows, [['real', 'text', 'blob', 'text', 'null']])
      assert.equal((await db.query('SELECT * FROM t WHERE k = 3')).rows, [expected(3, 31)])
      digest = await db.digest()
    } finally {
      await db.close()
    }
    // After the restart everything comes from the checkpoint the close took, altered.
    db = await open({ ...LAGGING, dir })
    try {
      assert.is(await db.digest(), digest)
      assert.equal((await db.query('SELECT * FROM t WHERE k = 7')).rows, [[7, 70, REAL_DEFAULT, "it's", BLOB, 'start', null]])
      const [described] = await db.sql('DESCRIBE t')
      // Each default as the ALTER TABLE spelt it.
      assert.equal(described?.rows.map((r) => [r[0], r[1], r[2], r[3]]), [
        ['k', 'INTEGER', 1, null], ['v', 'INTEGER', 1, '0'], ['r', 'REAL', 1, String(REAL_DEFAULT)], ['s', 'TEXT', 0, "'it''s'"],
        ['b', 'BLOB', 0, "X'00ff'"], ['log', 'TEXT', 1, "'start'"], ['flag', 'BOOLEAN', 0, null],
      ])
    } finally {
      await db.close()
    }
  } finally {
    tmp.cleanup()
  }
})

test('what ADD COLUMN refuses, each with its code and reason; nothing else changes', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER); INSERT INTO t VALUES (1, 2)")
    const cases: [string, string, RegExp][] = [
      ['ALTER TABLE t ADD COLUMN a TEXT', 'CONSTRAINT', /^column a already exists in t$/],
      ['ALTER TABLE t ADD COLUMN A TEXT', 'CONSTRAINT', /^column A already exists in t \(as a: names are case-insensitive\)$/],
      ['ALTER TABLE t ADD COLUMN n INTEGER NOT NULL', 'CONSTRAINT', /^a NOT NULL column added to t needs a DEFAULT other than NULL, which every row already there takes$/],
      ['ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 1.5', 'TYPE_MISMATCH', /./],
      ['ALTER TABLE u ADD COLUMN n INTEGER', 'UNKNOWN_TABLE', /^no such table: u$/],
      ['ALTER TABLE t ADD COLUMN n INTEGER PRIMARY KEY', 'SYNTAX_ERROR', /^a table has one primary key, given when it is created: n cannot be added as one$/],
      ['ALTER TABLE t ADD COLUMN n INTEGER, m INTEGER', 'SYNTAX_ERROR', /^expected NOT NULL, DEFAULT or the end of the statement after column n INTEGER, found ','$/],
      ['ALTER TABLE t ADD COLUMN n DATE', 'SYNTAX_ERROR', /^DATE is not a column type here: store TEXT, as SQLite does/],
      ['ALTER TABLE t ADD COLUMN n STRINGY', 'SYNTAX_ERROR', /^expected a column type/],
      ['ALTER TABLE t ALTER COLUMN a TYPE TEXT', 'SYNTAX_ERROR', /^ALTER TABLE … ALTER is not supported: a table's columns can be added \(ADD COLUMN\), renamed \(RENAME COLUMN a TO b\) and dropped \(DROP COLUMN\), and its partitions changed \(PARTITIONS n\)$/],
      ['ALTER TABLE t OWNER TO me', 'SYNTAX_ERROR', /^expected PARTITIONS, ADD, RENAME or DROP after ALTER TABLE t, found 'OWNER'$/],
    ]
    for (const [sql, code, message] of cases) {
      const err = await rejection(db.sql(sql))
      assert.is(err.code, code, sql)
      assert.match(err.message, message, sql)
    }
    // Refused for what the column is: at its name (or its DEFAULT), not at the table.
    for (const [sql, column] of [['ALTER TABLE t ADD COLUMN a TEXT', 26], ['ALTER TABLE t ADD COLUMN n INTEGER NOT NULL', 26], ['ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 1.5', 44]] as const) {
      assert.is((await rejection(db.sql(sql))).column, column, sql)
    }
    await db.sql('ALTER TABLE t ADD COLUMN IF NOT EXISTS a TEXT')
    assert.equal((await db.query('SELECT * FROM t')).rows, [[1, 2]])
    // COLUMNS_MAX counts the added ones too.
    for (let i = 2; i < COLUMNS_MAX; i++) await db.sql(`ALTER TABLE t ADD COLUMN c${i} INTEGER DEFAULT ${i}`)
    const full = await rejection(db.sql('ALTER TABLE t ADD COLUMN one_more INTEGER'))
    assert.equal([full.code, full.message], ['CONSTRAINT', `a table has 1 to ${COLUMNS_MAX} columns, t has ${COLUMNS_MAX + 1}`])
    const [row] = (await db.query(`SELECT k, a, c2, c${COLUMNS_MAX - 1} FROM t`)).rows
    assert.equal(row, [1, 2, 2, COLUMNS_MAX - 1])
    // A dropped column keeps its place, so it still counts (as in PostgreSQL).
    await db.sql('ALTER TABLE t DROP COLUMN c2')
    const still = await rejection(db.sql('ALTER TABLE t ADD COLUMN one_more INTEGER'))
    assert.equal([still.code, still.message], ['CONSTRAINT', `a table has 1 to ${COLUMNS_MAX} columns, t has ${COLUMNS_MAX + 1} (1 of them dropped, which keep their places)`])
  } finally {
    await db.close()
  }
})

test.run()
