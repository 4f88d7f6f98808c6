// \help and psql's \h NAME (src/console/help.ts): the SQL summary's entries for a statement, found by its
// words as SQL, in any case typed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HELP, sqlHelp } from '../../src/console/help.js'

test('\\h NAME: the SQL summary\'s entries that hold NAME as SQL, with the lines that go on them', () => {
  const create = sqlHelp(['create', 'index'])
  assert.is(create, 'SQL (docs/sql.md):\n' + HELP.split('\n').filter((l) => l.startsWith('  CREATE INDEX') || l.startsWith('      (for queries and scans')).join('\n'))
  const del = sqlHelp(['DELETE']) ?? ''
  assert.match(del, /^SQL \(docs\/sql\.md\):\n {2}UPDATE t SET [^\n]*DELETE FROM t/)
  assert.match(del, /\n {6}WITH name AS \(SELECT \.\.\.\) UPDATE \| DELETE/, 'an entry\'s further lines come with it')
  assert.not.match(del, /CREATE TABLE/)
  // As SQL: `values` is the VALUES statement and INSERT's VALUES, not the word in "same place, values and indexes".
  const values = sqlHelp(['values']) ?? ''
  assert.match(values, /\n {2}VALUES \(expr, \.\.\.\)/)
  assert.not.match(values, /RENAME/)
  // An entry that starts with the words, prose or not.
  assert.match(sqlHelp(['window']) ?? '', /^SQL \(docs\/sql\.md\):\n {2}window functions: ROW_NUMBER\(\)/)
  assert.is(sqlHelp(['frobnicate']), null)
  assert.is(sqlHelp(['sel']), null, 'whole words only')
})

test('\\h of several words finds them as SQL anywhere in an entry (upper-casing the pattern had made its \\s+ a \\S+)', () => {
  assert.match(sqlHelp(['show', 'columns']) ?? '', /\n {2}DESCRIBE t {5}DESC t {5}SHOW COLUMNS FROM \| IN t/)
  assert.match(sqlHelp(['drop', 'index']) ?? '', /\n {2}CREATE INDEX /)
})

test('\\help lists the statements a first session needs: EXPLAIN CALL and EXPLAIN COMMIT (which a failed call\'s hint names), SHOW STATS', () => {
  assert.match(sqlHelp(['explain', 'commit']) ?? '', /\n {2}EXPLAIN COMMIT \(batch, seq\)/)
  assert.match(sqlHelp(['EXPLAIN', 'CALL']) ?? '', /\n {2}EXPLAIN CALL t\.f\(key, arg, \.\.\.\)/)
  assert.match(sqlHelp(['show', 'stats']) ?? '', /SHOW STATS/)
})

test.run()
