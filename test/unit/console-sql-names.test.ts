// The names the browser console writes into SQL (static/console/src/sql-names.js, run here in Node): its
// copy of the reserved words must be the parser's, or a sidebar click or a completion writes a column
// named `select` bare (SYNTAX_ERROR) or quotes names that need no quotes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RESERVED_WORDS } from '../../src/sql/index.js'
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS, WINDOW_FUNCTIONS } from '../../src/sql/ast.js'
import { CLOCK_KEYWORDS } from '../../src/schema/clock.js'

interface SqlNamesModule {
  RESERVED_WORDS: Set<string>
  BUILTIN_NAMES: string[]
  sqlName(name: string): string
  sqlFunctionName(name: string): string
}
// Plain JavaScript for the browser, outside the TypeScript project: imported by URL, typed here.
const names = (await import(new URL('../../../static/console/src/sql-names.js', import.meta.url).href)) as SqlNamesModule

test('the page\'s reserved words are the parser\'s', () => {
  assert.equal([...names.RESERVED_WORDS].sort(), [...RESERVED_WORDS].sort())
})

test("the editor's built-in names are the SQL functions the parser takes, and the clocks", () => {
  const parser = [...AGGREGATE_FUNCTIONS, ...SCALAR_FUNCTIONS.keys(), ...WINDOW_FUNCTIONS.keys(), ...CLOCK_KEYWORDS.keys()]
  assert.equal([...new Set(names.BUILTIN_NAMES)].sort(), [...new Set(parser.map((n) => n.toLowerCase()))].sort())
})

test('a name is quoted when, and only when, it cannot be written bare', () => {
  assert.is(names.sqlName('balance'), 'balance')
  assert.is(names.sqlName('Qty'), 'Qty', 'names are case-insensitive: no quotes for case')
  assert.is(names.sqlName('key'), 'key', 'a keyword that is not reserved stays bare')
  assert.is(names.sqlName('select'), '"select"')
  assert.is(names.sqlName('Order'), '"Order"')
  assert.is(names.sqlName('a"b c'), '"a""b c"')
  assert.is(names.sqlFunctionName('account.deposit'), 'account.deposit')
  assert.is(names.sqlFunctionName('order.select'), '"order"."select"')
})

test.run()
