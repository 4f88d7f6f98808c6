// CAST(x AS TEXT) of a blob whose bytes are not well-formed UTF-8 is TYPE_MISMATCH, as text that is not
// well-formed Unicode is at every other boundary (docs/sql.md, "Text is well-formed Unicode"). SQLite
// made TEXT of the bytes as they were: inside the statement it compared and measured as those bytes, and
// out of it (a result, a row written) it came back with U+FFFD in their place, so that `UPDATE … SET t =
// CAST(b AS TEXT)` wrote a value that was not the one the statement had computed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type Database } from '../../src/index.js'
import { embeddedThenRemote } from '../support/both-sdks.js'
import { rejection } from '../support/rejection.js'

const ILL_FORMED = /^CAST AS TEXT: blob is not well-formed UTF-8 \(invalid byte 0x[0-9A-F]{2} at offset \d+\); TEXT holds well-formed Unicode only, and HEX\(x\) writes a blob's bytes as text$/

test('CAST of a blob to TEXT takes well-formed UTF-8 and refuses anything else, at the CAST', async () => {
  const db = await open({ memory: true })
  try {
    assert.equal((await db.query("SELECT CAST(X'68c3a9' AS TEXT), CAST(X'' AS TEXT), CAST(X'f09f9880' AS TEXT), CAST(X'610062' AS TEXT)")).rows, [['hé', '', '😀', 'a\u0000b']])
    const bad = await rejection(db.query("SELECT 1,\n  CAST(X'41fe' AS TEXT)"))
    assert.equal([bad.code, bad.line, bad.column], ['TYPE_MISMATCH', 2, 3])
    assert.is(bad.message, "CAST AS TEXT: blob is not well-formed UTF-8 (invalid byte 0xFE at offset 1); TEXT holds well-formed Unicode only, and HEX(x) writes a blob's bytes as text")
    // A surrogate written as UTF-8 (CESU-8), an overlong '/', a sequence cut short, a stray continuation byte.
    for (const hex of ['eda080', 'c0af', 'e282', '80', 'f4908080']) {
      assert.match((await rejection(db.query(`SELECT CAST(X'${hex}' AS TEXT)`))).message, ILL_FORMED, hex)
    }
    // Through a ? and a column: the same rule.
    assert.match((await rejection(db.query('SELECT CAST(? AS TEXT)', [new Uint8Array([0xff])]))).message, ILL_FORMED)
    // Other values cast as SQLite casts them, 64-bit integers and reals included.
    assert.equal((await db.query('SELECT CAST(9223372036854775807 AS TEXT), CAST(1.5 AS TEXT), CAST(NULL AS TEXT), CAST(? AS TEXT), TYPEOF(CAST(7 AS TEXT))', ['x'])).rows, [['9223372036854775807', '1.5', null, 'x', 'text']])
  } finally {
    await db.close()
  }
})

test('in a point read, a point UPDATE, a scan and INSERT … SELECT: refused, and nothing written', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE b (k INTEGER PRIMARY KEY, bytes BLOB, t TEXT); INSERT INTO b (k, bytes) VALUES (1, X'fe'), (2, X'41')")
    assert.equal((await db.query('SELECT CAST(bytes AS TEXT) FROM b WHERE k = 2')).rows, [['A']])
    assert.match((await rejection(db.query('SELECT CAST(bytes AS TEXT) FROM b WHERE k = 1'))).message, ILL_FORMED)
    const point = await rejection(db.sql('UPDATE b SET t = CAST(bytes AS TEXT) WHERE k = 1'))
    assert.equal([point.code, point.column], ['TYPE_MISMATCH', 18])
    assert.ok(point.commit !== undefined, 'the UPDATE ran and rolled back at its position')
    assert.match((await rejection(db.sql('UPDATE b SET t = CAST(bytes AS TEXT)'))).message, ILL_FORMED)
    assert.match((await rejection(db.query("SELECT k FROM b WHERE CAST(bytes AS TEXT) = 'A'"))).message, ILL_FORMED)
    assert.match((await rejection(db.sql('INSERT INTO b (k, t) SELECT k + 10, CAST(bytes AS TEXT) FROM b'))).message, ILL_FORMED)
    assert.equal((await db.query('SELECT k, t FROM b ORDER BY k')).rows, [[1, null], [2, null]])
    await db.sql('UPDATE b SET t = CAST(bytes AS TEXT) WHERE k = 2')
    assert.equal((await db.query('SELECT k, t FROM b ORDER BY k')).rows, [[1, null], [2, 'A']])
  } finally {
    await db.close()
  }
})

async function casts(db: Database): Promise<unknown[]> {
  const out: unknown[] = []
  for (const sql of ["SELECT CAST(X'fe' AS TEXT)", "SELECT CAST(X'c3a9' AS TEXT)"]) {
    try {
      out.push((await db.query(sql)).rows)
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      out.push([e.code, e.message, e.line, e.column])
    }
  }
  return out
}

test('embedded and remote give the same answer', async () => {
  const { embedded, remote } = await embeddedThenRemote(casts)
  assert.equal(embedded[1], [['é']])
  assert.is((embedded[0] as unknown[])[0], 'TYPE_MISMATCH')
  assert.equal(remote, embedded)
})

test.run()
