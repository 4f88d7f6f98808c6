// A JavaScript number beyond ±2^53 is REAL (docs/client.md, Values): into an INTEGER column it is a
// TYPE_MISMATCH, and the message must say why an integral-looking value is refused and what to pass.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'

test('an integral number beyond ±2^53 into INTEGER: TYPE_MISMATCH that says it is REAL and to pass a bigint', async () => {
  const db = await open({ memory: true, partitions: 2 })
  try {
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)')
    for (const v of [2 ** 53 + 2, -(2 ** 60)]) {
      try {
        await db.sql('INSERT INTO t VALUES (1, ?)', [v])
        assert.unreachable(`${v} accepted`)
      } catch (e) {
        assert.instance(e, AcheronError)
        assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
        assert.match((e as AcheronError).message, `column t.n is INTEGER, got REAL ${v} (a JavaScript number beyond ±2^53 is REAL: pass a bigint)`)
      }
    }
    // 1.5 says no more than before; the bigint of the same value is accepted.
    const half = await db.sql('INSERT INTO t VALUES (1, ?)', [1.5]).catch((e: AcheronError) => e.message)
    assert.is(half, 'column t.n is INTEGER, got 1.5')
    await db.sql('INSERT INTO t VALUES (1, ?)', [2n ** 53n + 2n])
    assert.equal((await db.query('SELECT n FROM t')).rows, [[2n ** 53n + 2n]])
  } finally {
    await db.close()
  }
})

test.run()
