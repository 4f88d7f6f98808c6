// Tab completion's candidates (src/console/completion.ts): keywords in the case typed, catalog names,
// qualified columns after `t.`, meta-commands at the start of a line.
import { homedir } from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CatalogNamesCache, complete, NO_NAMES, type CatalogNames } from '../../src/console/completion.js'
import { HELP } from '../../src/console/help.js'
import { startServer, type ServerProcess } from '../support/server-process.js'
import { MAIN, shellQuote, Terminal } from './support.js'

const names: CatalogNames = {
  tables: ['account', 'audit'],
  columns: new Map([['account', ['id', 'balance']], ['audit', ['id', 'at']]]),
  functions: ['account.transfer', 'account.deposit'],
}

test('keywords in the case typed, and the names of the catalog', () => {
  assert.equal(complete('SEL', NO_NAMES), [['SELECT'], 'SEL'])
  assert.equal(complete('sel', NO_NAMES), [['select'], 'sel'])
  const fns = ['account.deposit', 'account.transfer']
  assert.equal(complete('SELECT * FROM a', names), [['abs', 'account', ...fns, 'add', 'all', 'alter', 'and', 'as', 'asc', 'at', 'audit', 'avg'], 'a'])
  assert.equal(complete('SELECT * FROM A', names), [['ABS', 'ADD', 'ALL', 'ALTER', 'AND', 'AS', 'ASC', 'AVG', 'account', ...fns, 'at', 'audit'], 'A'])
  assert.equal(complete('SELECT bal', names), [['balance'], 'bal'])
  assert.equal(complete('SELECT 1 ', names), [[], ''])
})

test('every function the SQL offers completes, as the keywords do (COALESCE, LENGTH, SUBSTR completed to nothing)', () => {
  assert.equal(complete('SELECT coal', NO_NAMES), [['coalesce'], 'coal'])
  assert.equal(complete('SELECT LENG', NO_NAMES), [['LENGTH'], 'LENG'])
  assert.equal(complete('SELECT SUBS', NO_NAMES), [['SUBSTR'], 'SUBS'])
  assert.equal(complete('SELECT json_ar', NO_NAMES), [['json_array', 'json_array_length'], 'json_ar'])
  assert.equal(complete('SELECT CAST(x AS NUM', NO_NAMES), [['NUMERIC'], 'NUM'])
  assert.equal(complete('SELECT IFN', NO_NAMES), [['IFNULL'], 'IFN'])
})

test('Tab before any letter: the tables where a table comes next, the functions after CALL, else nothing', () => {
  for (const line of ['SELECT * FROM ', 'select * from account a join  ', 'INSERT INTO ', 'UPDATE ', 'DESCRIBE ', 'ALTER TABLE ', '\\d ', '\\dt+ ']) {
    assert.equal(complete(line, names), [['account', 'audit'], ''], line)
  }
  assert.equal(complete('CALL ', names), [['account.deposit', 'account.transfer'], ''])
  assert.equal(complete('\\df ', names), [['account.deposit', 'account.transfer'], ''])
  assert.equal(complete('SELECT ', names), [[], ''])
  assert.equal(complete('SELECT * FROM', names), [['FROM'], 'FROM'], 'no space yet: the word itself')
})

test('DESC t and SHOW COLUMNS FROM | IN t, DESCRIBE\'s other spellings, complete tables; DESC as a direction does not', () => {
  for (const line of ['DESC ', '  desc ', 'SELECT 1; DESC ', 'SHOW COLUMNS FROM ', 'show columns in ', 'SHOW COLUMNS IN  ']) {
    assert.equal(complete(line, names), [['account', 'audit'], ''], line)
  }
  for (const line of ['SELECT * FROM account ORDER BY id DESC ', 'CREATE INDEX i ON account (balance DESC ', 'SELECT x IN ']) {
    assert.equal(complete(line, names), [[], ''], line)
  }
  // A continuation line of the REPL: its DESC goes on the ORDER BY typed on the line before.
  assert.equal(complete('DESC ', names, [], { before: 'SELECT * FROM account ORDER BY id' }), [[], ''])
  assert.equal(complete('SELECT 1; DESC ', names, [], { before: 'SELECT' }), [['account', 'audit'], ''])
  assert.equal(complete('SHOW COLU', names), [['COLUMN', 'COLUMNS'], 'COLU'])
  assert.equal(complete('val', names), [['values'], 'val'])
})

test('\\help names every spelling of DESCRIBE and the VALUES statement', () => {
  for (const words of ['DESCRIBE t', 'DESC t', 'SHOW COLUMNS FROM | IN t', 'VALUES (expr, ...), (expr, ...)']) {
    assert.ok(HELP.includes(words), words)
  }
})

test('tables also after TRUNCATE, DROP TABLE IF EXISTS, CREATE INDEX … ON and \\copy; functions after DROP FUNCTION [IF EXISTS] (Tab offered nothing there)', () => {
  for (const line of ['TRUNCATE ', 'truncate table ', 'DROP TABLE IF EXISTS ', 'CREATE INDEX by_balance ON ', 'create index if not exists i on ', '\\copy ']) {
    assert.equal(complete(line, names), [['account', 'audit'], ''], line)
  }
  for (const line of ['DROP FUNCTION ', 'drop function if exists ']) {
    assert.equal(complete(line, names), [['account.deposit', 'account.transfer'], ''], line)
  }
  // An ON of a join is followed by an expression, not a table.
  assert.equal(complete('SELECT * FROM account a JOIN audit b ON ', names), [[], ''])
})

test('the FILE of \\i, \\o, \\s, \\g and a \\copy\'s quoted file: the names in its directory (keywords there were noise)', () => {
  const tree: Record<string, { name: string; dir: boolean }[]> = {
    '/work': [{ name: 'setup.sql', dir: false }, { name: 'seed.sql', dir: false }, { name: 'sql', dir: true }, { name: '.hidden.sql', dir: false }],
    '/work/sql': [{ name: 'more.sql', dir: false }],
    [homedir()]: [{ name: 'home.csv', dir: false }],
  }
  const files = { baseDir: '/work', list: (dir: string) => tree[dir] ?? [] }
  const at = (line: string) => complete(line, names, [], { files })
  assert.equal(at('\\i se'), [['seed.sql', 'setup.sql'], 'se'])
  assert.equal(at('\\i '), [['seed.sql', 'setup.sql', 'sql/'], ''])
  assert.equal(at('\\i .h'), [['.hidden.sql'], '.h'], 'hidden files once a dot is typed')
  assert.equal(at('\\o sql/m'), [['sql/more.sql'], 'sql/m'])
  assert.equal(at('\\i /work/sql/'), [['/work/sql/more.sql'], '/work/sql/'])
  assert.equal(at('\\s ~/h'), [['~/home.csv'], '~/h'])
  assert.equal(at("\\copy account from 'se"), [['seed.sql', 'setup.sql'], 'se'])
  assert.equal(at("\\copy (SELECT 1) to 'sql/"), [['sql/more.sql'], 'sql/'])
  assert.equal(at('SELECT 1 \\g se'), [['seed.sql', 'setup.sql'], 'se'], 'after a statement too')
  // Not a file: a pipe's command, \set's names, a meta-command's own name, SQL.
  assert.not.ok(at('\\o |se')[0].includes('seed.sql'))
  assert.not.ok(at("\\i 'se")[0].includes('seed.sql'))
  assert.equal(at('\\ti'), [['\\timing'], '\\ti'])
  assert.equal(at('SELECT se'), [['select', 'set'], 'se'])
  // Without files (the tests above, a script): as before.
  assert.equal(complete('\\i se', names), [['select', 'set'], 'se'])
})

test('after `t.`: t\'s columns and the functions of t; meta-commands at the start of a line', () => {
  assert.equal(complete('SELECT account.b', names), [['account.balance'], 'account.b'])
  assert.equal(complete('CALL account.t', names), [['account.transfer'], 'account.t'])
  assert.equal(complete('\\ti', names), [['\\timing'], '\\ti'])
  assert.equal(complete('  \\', names), [['\\!', '\\a', '\\conninfo', '\\copy', '\\d', '\\d+', '\\df', '\\df+', '\\di', '\\dt', '\\dt+', '\\e', '\\echo', '\\elif', '\\else', '\\endif',
    '\\g', '\\gset', '\\gx', '\\help', '\\i', '\\if', '\\l', '\\logs', '\\o', '\\pset', '\\q', '\\qecho', '\\r', '\\s', '\\set', '\\t', '\\timing', '\\unset', '\\watch', '\\x'], '\\'])
  assert.equal(complete('\\dt', names), [['\\dt', '\\dt+'], '\\dt'])
})

test('variables after `:`, `:\'` and `:"` (the quote closed, as psql completes them) and after \\set and \\unset', () => {
  const vars = ['name', 'nap', 'other', 'Name']
  assert.equal(complete('SELECT * FROM :na', names, vars), [[':name', ':nap'], ':na'])
  assert.equal(complete("SELECT * FROM t WHERE id = :'na", names, vars), [[":'name'", ":'nap'"], ":'na"])
  assert.equal(complete('SELECT * FROM :"o', names, vars), [[':"other"'], ':"o'])
  assert.equal(complete('SELECT :', names, vars), [[':Name', ':name', ':nap', ':other'], ':'])
  assert.equal(complete('\\echo :N', names, vars), [[':Name'], ':N'], 'in their case')
  assert.equal(complete('SELECT :zz', names, vars), [[], ':zz'])
  assert.equal(complete('\\set n', names, vars), [['name', 'nap'], 'n'])
  assert.equal(complete('\\unset ', names, vars), [['Name', 'name', 'nap', 'other'], ''])
  assert.not.ok(complete('\\set name na', names, vars)[0].includes('nap'), 'the value is no name')
  // A cast's `::` is no variable: keywords and names complete there as before.
  assert.equal(complete('SELECT x::IN', names, vars), [['IN', 'INDEX', 'INDEXES', 'INNER', 'INSERT', 'INSTR', 'INTEGER', 'INTERSECT', 'INTO'], 'IN'])
})

test('the catalog is read once until invalidated, and a failing server gives keywords only', async () => {
  const asked: string[] = []
  const cache = new CatalogNamesCache(async (sql) => {
    asked.push(sql)
    if (sql === 'SHOW TABLES') return [['account', 8, 'id', 2]]
    if (sql.startsWith('DESCRIBE')) return [['id'], ['balance']]
    return [['account.transfer']]
  })
  const first = await cache.get()
  assert.equal([first.tables, [...first.columns], first.functions], [['account'], [['account', ['id', 'balance']]], ['account.transfer']])
  await cache.get()
  assert.equal(asked, ['SHOW TABLES', 'DESCRIBE "account"', 'SHOW FUNCTIONS'])
  cache.invalidate()
  await cache.get()
  assert.is(asked.length, 6)
  const down = new CatalogNamesCache(async () => { throw new Error('no server') })
  assert.is(await down.get(), NO_NAMES)
})

test('REPL: Tab completes the variables \\set has set (a real terminal, through tmux)', async () => {
  const server: ServerProcess = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote(server.url)}`, { ACHERON_HISTORY: '', PAGER: '' })
  try {
    await t.waitForText('acheron>')
    t.line('\\set greeting_text hello')
    t.type("\\echo :'greet")
    t.press('Tab')
    await t.waitForText("\\echo :'greeting_text'")
    t.press('Enter')
    await t.waitForText("\n'hello'")
  } finally {
    t.kill()
    await server.kill()
  }
})

test.run()
