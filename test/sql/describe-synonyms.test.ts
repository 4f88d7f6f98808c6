// DESC t (MySQL's and Oracle's short form, which users of either type by habit) and SHOW COLUMNS FROM t
// (MySQL's) are DESCRIBE t: "unknown statement 'DESC'" left them to guess the spelling. DESC stays the
// ORDER BY direction everywhere else.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'
import { oneOf } from './support.js'

test('DESC t, SHOW COLUMNS FROM t and SHOW COLUMNS IN t parse as DESCRIBE t, at the table name', () => {
  assert.is(oneOf('describe', 'DESC account').table, 'account')
  assert.is(oneOf('describe', 'desc "Account"').table, 'Account')
  assert.is(oneOf('describe', 'SHOW COLUMNS FROM account').table, 'account')
  assert.is(oneOf('describe', 'show columns in account').table, 'account')
  assert.equal(oneOf('describe', 'DESC  account').namePos, { offset: 6, line: 1, column: 7 })
  // DESC in ORDER BY and CREATE INDEX is still the direction.
  assert.equal(oneOf('select', 'SELECT k FROM t ORDER BY k DESC').orderBy.map((o) => o.descending), [true])
  assert.equal(oneOf('create-index', 'CREATE INDEX i ON t (k DESC)').columns, [{ name: 'k', desc: true }])
})

test('DESC t answers what DESCRIBE t answers, also inside BEGIN … COMMIT; a missing table is UNKNOWN_TABLE', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT DEFAULT 'x')")
    const described = await db.query('DESCRIBE account')
    const short = await db.query('DESC account')
    assert.equal([short.columns, short.rows], [described.columns, described.rows])
    const [, desc, columns] = await db.sql('BEGIN; DESC account; SHOW COLUMNS FROM account; COMMIT')
    assert.equal(desc?.rows, described.rows)
    assert.equal(columns?.rows, described.rows)
    assert.equal(desc?.columns, ['column', 'type', 'not_null', 'default', 'primary_key'])
    const missing = await rejection(db.query('DESC nothing'))
    assert.equal([missing.code, missing.column], ['UNKNOWN_TABLE', 6])
  } finally {
    await db.close()
  }
})

test('DESC and SHOW COLUMNS without a table name say what they take', async () => {
  const db = await open({ memory: true })
  try {
    const bare = await rejection(db.sql('DESC'))
    assert.equal([bare.code, bare.message], ['SYNTAX_ERROR', 'expected table name after DESC, found end of statement'])
    const show = await rejection(db.sql('SHOW COLUMNS account'))
    assert.equal([show.code, show.column, show.message], ['SYNTAX_ERROR', 14, "expected FROM or IN after SHOW COLUMNS, found 'account'"])
  } finally {
    await db.close()
  }
})

test.run()
