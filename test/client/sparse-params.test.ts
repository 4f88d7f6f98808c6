// params with a hole (`[1, ,]`, `new Array(2)`): a hole is no value, as undefined is. Remote, the SDK's
// params.map kept the hole and JSON.stringify sent it as null, so the statement ran with NULL in its place,
// silently; embedded it was "no value for parameter 2 (2 given)", which counted the hole as given. Both
// now refuse it as undefined is refused: TYPE_MISMATCH at its ?, before anything runs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, type Database } from '../../src/index.js'
import { embeddedThenRemote } from '../support/both-sdks.js'

async function refusals(db: Database): Promise<unknown[]> {
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)')
  const out: unknown[] = []
  // eslint-disable-next-line no-sparse-arrays
  for (const params of [[1, ,], new Array(2), [undefined, 2]] as unknown[][]) {
    try {
      await db.sql('INSERT INTO t VALUES (?, ?)', params)
      out.push('ran')
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      out.push([e.code, e.message, e.statement, e.line, e.column])
    }
  }
  out.push((await db.query('SELECT COUNT(*) FROM t')).rows)
  return out
}

test('a hole in params is refused as undefined is, embedded and remote alike, and nothing runs', async () => {
  const { embedded, remote } = await embeddedThenRemote(refusals)
  const undefinedAt = (n: number, line: number, column: number, statement: number): unknown[] =>
    ['TYPE_MISMATCH', `parameter ${n}: unsupported value undefined; a value is a number, a bigint, a string, a boolean, a Uint8Array or null`, statement, line, column]
  assert.equal(embedded, [undefinedAt(2, 1, 26, 0), undefinedAt(1, 1, 23, 0), undefinedAt(1, 1, 23, 0), [[0]]])
  assert.equal(remote, embedded)
})

test.run()
