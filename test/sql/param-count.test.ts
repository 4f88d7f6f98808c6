// A script given too few or too many parameter values: SYNTAX_ERROR before anything runs, at the statement
// that lacks them. Its message must not number statements differently from the error's `statement` field
// (0-based), which the consoles print beside it: "statement 2 has ... (statement 1)" contradicted itself;
// it now says "this statement".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, AcheronError)
    return e as AcheronError
  }
  assert.unreachable('expected a failure')
  throw new Error('unreachable')
}

test('too few values: at the statement that lacks them, the message numbered as `statement` is', async () => {
  const db = await open({ memory: true, partitions: 2 })
  try {
    const e = await failure(db.sql('SELECT ?;\nSELECT ?, ?', [1, 2]))
    assert.equal([e.code, e.statement, e.line, e.column], ['SYNTAX_ERROR', 1, 2, 1])
    assert.is(e.message, 'this statement has 2 ? parameters, but only 1 of the 2 values given remain')
    const none = await failure(db.sql('SELECT ?'))
    assert.equal([none.code, none.statement], ['SYNTAX_ERROR', 0])
    assert.is(none.message, 'this statement has 1 ? parameter, but no values were given')
    const many = await failure(db.sql('SELECT 1; SELECT ?', [1, 2]))
    assert.equal([many.code, many.statement], ['SYNTAX_ERROR', 1])
    assert.is(many.message, '2 parameter values given, but the script has 1 ? parameter')
  } finally {
    await db.close()
  }
})

test.run()
