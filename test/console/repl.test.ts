// The interactive console as a person uses it: `acheron console URL` in a real pseudo-terminal (tmux on a
// private socket), keys typed, the screen read back. A statement over two lines with the continuation
// prompt, INSERT, an aligned SELECT, a SYNTAX_ERROR with the caret under its column, BEGIN … COMMIT held
// until COMMIT, Ctrl-C, \help, \timing, \q; then a second run that finds the first one's statements with Up.
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { MAIN, shellQuote, Terminal } from './support.js'

let server: ServerProcess | null = null
const terminals: Terminal[] = []
const history = tempDir('acheron-console-history-')
const HISTORY = join(history.dir, 'history')

function consoleIn(url: string, historyFile = HISTORY): Terminal {
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote(url)}`, { ACHERON_HISTORY: historyFile })
  terminals.push(t)
  return t
}

test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after.each(() => {
  for (const t of terminals.splice(0)) t.kill()
})
test.after(async () => {
  await server?.kill()
  history.cleanup()
})

/** The screen's last line (where the prompt and the line being typed are). */
const lastLine = (screen: string): string => screen.split('\n').pop() ?? ''

test('a session: multi-line CREATE TABLE, INSERT, an aligned SELECT, a caret, BEGIN … COMMIT, ROLLBACK, Ctrl-C, \\help, \\timing, \\q', async () => {
  const t = consoleIn((server as ServerProcess).url)
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'the prompt')
  assert.match(t.screen(), /^acheron console, connected to ws:\/\/127\.0\.0\.1:\d+\nType \\help for help/)

  t.line('CREATE TABLE account (id TEXT PRIMARY KEY,')
  await t.waitFor((s) => lastLine(s) === '      ->', 'the continuation prompt')
  t.line('  balance INTEGER DEFAULT 0);')
  await t.waitForText('CREATE TABLE  commit {batch: ')
  assert.match(t.screen(), /acheron> CREATE TABLE account \(id TEXT PRIMARY KEY,\n {6}->   balance INTEGER DEFAULT 0\);\nCREATE TABLE {2}commit/)

  t.line("INSERT INTO account VALUES ('alice', 100), ('bob', 7), ('carol', NULL);")
  await t.waitForText('INSERT: 3 rows affected')
  t.line('SELECT id, balance FROM account ORDER BY id;')
  let screen = await t.waitForText('(3 rows)')
  assert.ok(screen.includes([
    '  id   | balance',
    '-------+---------',
    ' alice |     100',
    ' bob   |       7',
    ' carol |    NULL',
    '(3 rows)  commit {batch: ',
  ].join('\n')), screen)

  t.line('SELECT id')
  t.line('  FROM account WHERE balance = = 1;')
  screen = await t.waitForText('ERROR SYNTAX_ERROR')
  assert.ok(screen.includes([
    "ERROR SYNTAX_ERROR: expected an expression, found '='",
    'LINE 2:   FROM account WHERE balance = = 1;',
    `${' '.repeat('LINE 2:   FROM account WHERE balance = '.length)}^`,
  ].join('\n')), screen)

  t.line('BEGIN;')
  await t.waitFor((s) => lastLine(s) === 'acheron*>', 'the prompt of a BEGIN block')
  t.line("INSERT INTO account VALUES ('dave', 1);")
  await t.waitFor((s) => s.split('\n').at(-2) === "acheron*> INSERT INTO account VALUES ('dave', 1);" && lastLine(s) === 'acheron*>', 'the INSERT held')
  assert.not.match(t.screen(), /INSERT: 1 row affected/)
  t.line('COMMIT;')
  screen = await t.waitForText('COMMIT  commit {batch: ')
  assert.match(screen, /BEGIN {2}commit \{batch: \d+, seq: \d+\}\nINSERT: 1 row affected {2}commit \{batch: \d+, seq: \d+\}\nCOMMIT {2}commit/)

  // ROLLBACK drops a held block unsent (it used to be held as one more statement); outside a block it
  // says there is nothing to roll back (it used to be a SYNTAX_ERROR from the server).
  t.line('BEGIN;')
  await t.waitFor((s) => lastLine(s) === 'acheron*>', 'the prompt of a second BEGIN block')
  t.line("INSERT INTO account VALUES ('erin', 1);")
  t.line('ROLLBACK;')
  await t.waitForText('ROLLBACK: the BEGIN block (1 statement) was not sent; nothing of it ran')
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'the prompt outside a block after ROLLBACK')
  t.line('ROLLBACK;')
  await t.waitForText('ROLLBACK: no transaction in progress (nothing was sent)')

  t.line('SELECT no such')
  await t.waitFor((s) => lastLine(s) === '      ->', 'the continuation prompt')
  t.press('C-c')
  await t.waitFor((s) => s.includes('      -> ^C') || s.includes('SELECT no such^C'), '^C')
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'a fresh prompt after Ctrl-C')

  t.line('\\help')
  await t.waitForText('\\timing [on|off]')
  t.line('\\timing')
  await t.waitForText('Timing is on.')
  t.line('SELECT COUNT(*) AS n FROM account;')
  screen = await t.waitFor((s) => /\(1 row\) {2}commit \{batch: \d+, seq: \d+\}\n\nTime: \d+\.\d{3} ms\nacheron>$/.test(s), 'the time of the statement')
  assert.ok(screen.includes(' n\n---\n 4\n'), screen)

  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test('history across runs: Up recalls the previous session\'s statements, Enter runs them; Ctrl-D leaves', async () => {
  const t = consoleIn((server as ServerProcess).url)
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'the prompt')
  t.press('Up')
  await t.waitFor((s) => lastLine(s) === 'acheron> SELECT COUNT(*) AS n FROM account;', 'the last statement of the first run')
  t.press('Enter')
  await t.waitForText('(1 row)')
  t.press('Up', 'Up', 'Up')
  await t.waitFor((s) => lastLine(s) === 'acheron> \\help', 'older entries (\\timing, then \\help)')
  t.press('C-c')
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'a fresh prompt')
  t.press('C-d')
  await t.waitForText('[exited 0]')
})

test('Tab completes keywords, meta-commands, tables, columns and functions from the catalog; Up past the oldest entry keeps the line', async () => {
  const t = consoleIn((server as ServerProcess).url, join(history.dir, 'fresh-history'))
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'the prompt')
  t.line('SELECT 1 AS one;')
  await t.waitForText('(1 row)')
  t.press('Up')
  await t.waitFor((s) => lastLine(s) === 'acheron> SELECT 1 AS one;', 'the only entry')
  t.press('Up', 'Up')
  await t.waitFor((s) => lastLine(s) === 'acheron> SELECT 1 AS one;', 'still the only entry after Up past it')
  t.press('C-c')
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'a fresh prompt')

  t.type('sel')
  t.press('Tab')
  await t.waitFor((s) => lastLine(s) === 'acheron> select', 'a keyword, in the case typed')
  t.type(' bal')
  t.press('Tab')
  await t.waitFor((s) => lastLine(s) === 'acheron> select balance', 'a column of the catalog')
  t.type(' FROM acc')
  t.press('Tab')
  await t.waitFor((s) => lastLine(s) === 'acheron> select balance FROM account', 'a table of the catalog')
  t.line(' LIMIT 0;')
  await t.waitForText('(0 rows)')
  t.type('\\ti')
  t.press('Tab')
  await t.waitFor((s) => lastLine(s) === 'acheron> \\timing', 'a meta-command')
  t.press('C-c')
  await t.waitFor((s) => lastLine(s) === 'acheron>', 'a fresh prompt')
  t.press('C-d')
  await t.waitForText('[exited 0]')
})

test.run()
