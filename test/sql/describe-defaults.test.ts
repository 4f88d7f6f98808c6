// DESCRIBE shows each DEFAULT as CREATE TABLE spells it. It gave the value: a text default 'abc' showed
// as abc (a name, to the eye), '' as nothing, a REAL 1.0 as 1 and a BOOLEAN TRUE as 1.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { describeTables } from '../../src/console/describe.js'

const COLUMNS = [
  'k INTEGER PRIMARY KEY', "a TEXT DEFAULT 'abc'", "q TEXT DEFAULT 'it''s'", "e TEXT DEFAULT ''", 'n INTEGER NOT NULL DEFAULT -5',
  'r REAL DEFAULT 1', 'r2 REAL DEFAULT 2.5e-300', 'b BOOLEAN DEFAULT TRUE', 'f BOOLEAN DEFAULT false', "x BLOB DEFAULT X'00ff'",
  'z TEXT', 'big INTEGER DEFAULT 9223372036854775807',
]

test('DESCRIBE gives each default as an SQL literal, one that CREATE TABLE reads back to the same default', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE t (${COLUMNS.join(', ')})`)
    const described = (await db.query('DESCRIBE t')).rows
    const defaults = Object.fromEntries(described.map((r) => [r[0], r[3]]))
    assert.equal(defaults, {
      k: null, a: "'abc'", q: "'it''s'", e: "''", n: '-5', r: '1.0', r2: '2.5e-300', b: 'TRUE', f: 'FALSE', x: "X'00ff'", z: null, big: '9223372036854775807',
    })
    // The same table spelt from DESCRIBE alone: the same description, and a row of defaults alike.
    const spelt = described.map((r) => `${String(r[0])} ${String(r[1])}${r[2] === 1 && r[4] !== 1 ? ' NOT NULL' : ''}${r[4] === 1 ? ' PRIMARY KEY' : ''}${r[3] === null ? '' : ` DEFAULT ${String(r[3])}`}`)
    await db.sql(`CREATE TABLE u (${spelt.join(', ')})`)
    assert.equal((await db.query('DESCRIBE u')).rows, described)
    await db.sql('INSERT INTO t (k) VALUES (1); INSERT INTO u (k) VALUES (1)')
    assert.equal((await db.query('SELECT * FROM u')).rows, (await db.query('SELECT * FROM t')).rows)
  } finally {
    await db.close()
  }
})

test('the console\'s \\d shows DESCRIBE\'s default as it is: quoted once, none blank', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE t (k INTEGER PRIMARY KEY, a TEXT DEFAULT 'abc', n INTEGER DEFAULT 0, z TEXT)")
    const [listing] = await describeTables((sql) => db.query(sql), 't', false)
    assert.equal(listing?.grid.rows.map((r) => [r[0], r[3]]), [['k', ''], ['a', "'abc'"], ['n', '0'], ['z', '']])
  } finally {
    await db.close()
  }
})

test.run()
