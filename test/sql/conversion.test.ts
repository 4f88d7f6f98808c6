// The conversions docs/sql.md states for INSERT and UPDATE, each tried: what a column of each type takes,
// how it stores it, and the code of what it refuses.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type SqlValue } from '../../src/index.js'

async function withTable(body: (db: Awaited<ReturnType<typeof open>>) => Promise<void>): Promise<void> {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE v (k INTEGER PRIMARY KEY, i INTEGER, r REAL, b BOOLEAN, t TEXT, x BLOB, n REAL NOT NULL DEFAULT 0)')
    await body(db)
  } finally {
    await db.close()
  }
}

async function stored(db: Awaited<ReturnType<typeof open>>, column: string, value: SqlValue, k: number): Promise<unknown> {
  await db.sql(`INSERT INTO v (k, ${column}) VALUES (?, ?)`, [k, value])
  return (await db.query(`SELECT ${column} FROM v WHERE k = ?`, [k])).rows[0]?.[0]
}

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (err: unknown) => err)
  assert.instance(e, AcheronError)
  return (e as AcheronError).code
}

test('REAL takes integers, rounded to the nearest double beyond ±2^53 (as SQLite does); NaN is NULL, -0.0 is 0', async () => {
  await withTable(async (db) => {
    assert.is(await stored(db, 'r', 7n, 1), 7)
    assert.is(await stored(db, 'r', 2n ** 53n + 1n, 2), 2 ** 53)
    assert.is(await stored(db, 'r', Number.NaN, 3), null)
    assert.ok(Object.is(await stored(db, 'r', -0, 4), 0))
    const nan = await db.sql('INSERT INTO v (k, n) VALUES (?, ?)', [5, Number.NaN]).then(() => null, (e: unknown) => e)
    assert.instance(nan, AcheronError)
    assert.is((nan as AcheronError).code, 'CONSTRAINT')
    // A NaN parameter is NULL from the SDK's boundary on, embedded as over the wire (JSON has no NaN).
    assert.is((nan as AcheronError).message, 'NOT NULL constraint failed: v.n')
  })
})

test('INTEGER takes integers, a JavaScript number only integral within ±2^53; the rest is TYPE_MISMATCH', async () => {
  await withTable(async (db) => {
    assert.is(await stored(db, 'i', 2 ** 53, 1), 2 ** 53)
    assert.is(await stored(db, 'i', 2n ** 60n, 2), 2n ** 60n)
    assert.is(await code(db.sql('INSERT INTO v (k, i) VALUES (3, 1.5)')), 'TYPE_MISMATCH')
    assert.is(await code(db.sql('INSERT INTO v (k, i) VALUES (?, ?)', [4, 2 ** 53 + 2])), 'TYPE_MISMATCH')
    assert.is(await code(db.sql("INSERT INTO v (k, i) VALUES (5, '5')")), 'TYPE_MISMATCH')
    assert.is(await code(db.sql('UPDATE v SET i = 2.5 WHERE k = 1')), 'TYPE_MISMATCH')
  })
})

test('BOOLEAN takes 0, 1, TRUE, FALSE; TEXT text; BLOB bytes; NULL anywhere but NOT NULL', async () => {
  await withTable(async (db) => {
    await db.sql("INSERT INTO v (k, b, t, x) VALUES (1, TRUE, 'a', X'00ff'), (2, 0, NULL, NULL)")
    assert.equal((await db.query('SELECT b, t, x FROM v ORDER BY k')).rows, [[1, 'a', new Uint8Array([0, 255])], [0, null, null]])
    assert.is(await code(db.sql('INSERT INTO v (k, b) VALUES (3, 2)')), 'TYPE_MISMATCH')
    assert.is(await code(db.sql('INSERT INTO v (k, t) VALUES (4, 4)')), 'TYPE_MISMATCH')
    assert.is(await code(db.sql("INSERT INTO v (k, x) VALUES (5, 'bytes')")), 'TYPE_MISMATCH')
    assert.is(await code(db.sql('INSERT INTO v (k, n) VALUES (6, NULL)')), 'CONSTRAINT')
  })
})

test('createTable() refuses a DEFAULT on the key as CREATE TABLE does: an insert must give the key', async () => {
  const db = await open({ memory: true })
  try {
    const e = await db.createTable({ name: 'd', columns: [{ name: 'id', type: 'INTEGER', primaryKey: true, default: 5 }, { name: 'a', type: 'INTEGER' }] }).then(() => null, (err: unknown) => err)
    assert.instance(e, AcheronError)
    assert.is((e as AcheronError).code, 'CONSTRAINT')
    assert.match((e as AcheronError).message, /^the primary-key column id takes no DEFAULT/)
    assert.equal((await db.query('SHOW TABLES')).rows, [], 'nothing was created')
  } finally {
    await db.close()
  }
})

test('TEXT holding U+0000 is kept and compared whole; SQLite\'s LENGTH and LIKE stop at it (docs/sql.md)', async () => {
  await withTable(async (db) => {
    assert.is(await stored(db, 't', 'ab\u0000cd', 1), 'ab\u0000cd')
    const r = await db.query("SELECT t = ?, LENGTH(t), t LIKE 'ab%d', UPPER(t) FROM v WHERE k = 1", ['ab\u0000cd'])
    assert.equal(r.rows, [[1, 2, 0, 'AB\u0000CD']])
  })
})

test.run()
