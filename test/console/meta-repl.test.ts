// psql's meta-commands in the interactive console, driven in a real terminal (tmux) against a real
// `acheron serve`: \d and its kin, \x (on, auto), \pset, \o and \i, the pager and \e through small sh
// scripts that record what they were given, \watch stopped with Ctrl-C, \conninfo, and a one-line warning
// for each bad argument with the console still running.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { MAIN, ROOT, shellQuote, Terminal } from './support.js'

let server: ServerProcess | null = null
const terminals: Terminal[] = []
const tmp = tempDir('acheron-console-meta-')
const url = (): string => (server as ServerProcess).url
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

function consoleIn(env: Record<string, string> = {}): Terminal {
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote(url())}`, { ACHERON_HISTORY: '', PAGER: '', ...env })
  terminals.push(t)
  return t
}

/** A sh script in the temporary directory; returns the command that runs it. */
function script(name: string, body: string): string {
  const path = join(tmp.dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return `sh ${shellQuote(path)}`
}

const lastLine = (screen: string): string => screen.split('\n').pop() ?? ''
const prompt = (t: Terminal, what = 'the prompt'): Promise<string> => t.waitFor((s) => lastLine(s) === 'acheron>', what)
/** The screen after the last line that starts with `marker` (what the latest command printed). */
const after = (screen: string, marker: string): string => screen.slice(screen.lastIndexOf(marker))

test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after.each(() => {
  for (const t of terminals.splice(0)) t.kill()
})
test.after(async () => {
  await server?.kill()
  tmp.cleanup()
})

test('\\d, \\dt, \\df, \\d NAME, \\d+ NAME: the catalog as psql lists it, patterns with * and ?, case-insensitive', async () => {
  const t = consoleIn()
  await prompt(t)
  t.line("CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT) PARTITIONS 3;")
  await t.waitForText('CREATE TABLE  commit')
  t.line('CREATE TABLE audit (n INTEGER PRIMARY KEY);')
  await t.waitForText('CREATE TABLE  commit', 2)
  t.line("CREATE FUNCTION account.deposit FROM WASM FILE 'dist/guest/bank.wasm' WITH (FUEL = 5000000);")
  await t.waitForText('CREATE FUNCTION  commit')
  t.line("INSERT INTO account VALUES ('alice', 100, NULL), ('bob', 7, 'x');")
  await t.waitForText('INSERT: 2 rows affected')
  await prompt(t)

  t.line('\\d')
  let s = after(await t.waitForText('List of tables and functions'), 'acheron> \\d')
  assert.match(s, /\n account +\| table +\| 3 partitions, key id\n/, s)
  assert.match(s, /\n audit +\| table +\| 2 partitions, key n\n/, s)
  assert.match(s, /\n account\.deposit \| function \| on account, export deposit\n\(3 rows\)/, s)

  t.line('\\dt A*')
  s = after(await t.waitFor((x) => after(x, 'acheron> \\dt').includes('(2 rows)'), '\\dt A*'), 'acheron> \\dt')
  assert.ok(s.includes('Tables\n  name   | partitions | key | columns\n'), s)
  t.line('\\dt aud?t')
  s = after(await t.waitFor((x) => after(x, 'acheron> \\dt aud').includes('(1 row)'), '\\dt aud?t'), 'acheron> \\dt aud')
  assert.match(s, /\n audit \| +2 \| n +\| +1\n\(1 row\)/, s)

  t.line('\\df dep*')
  s = after(await t.waitFor((x) => after(x, 'acheron> \\df').includes('(1 row)'), '\\df'), 'acheron> \\df')
  assert.match(s, / name +\| +table +\| +export +\| runtime +\| +fuel +\| +memory\n/, s)
  assert.match(s, / account\.deposit \| account \| deposit \| \w+ +\| 5000000 \| +\d+\n/, s)

  t.line('\\d account')
  s = after(await t.waitForText('Partitions: 3'), 'acheron> \\d account')
  assert.ok(s.includes([
    'Table "account"',
    ' column  |  type   | nullable | default |     key',
    '---------+---------+----------+---------+-------------',
    ' id      | TEXT    | not null |         | primary key',
    ' balance | INTEGER | not null | 0       |',
    ' note    | TEXT    |          |         |',
    'Partitions: 3',
  ].join('\n')), s)

  t.line('\\d+ ACCOUNT')
  s = after(await t.waitForText('Rows: 2'), 'acheron> \\d+ ACCOUNT')
  assert.match(s, /Partitions: 3\nRows: 2\nFunctions:\n    account\.deposit \(fuel 5000000, memory \d+\)/, s)

  t.line('\\d nosuch')
  s = after(await t.waitForText('Did not find any relation named "nosuch".'), 'acheron> \\d nosuch')
  await prompt(t, 'the prompt after a warning')

  // A `;` typed by habit, as after SQL: it was `\d: no table matches "audit;"` and `unknown meta-command \dt;`.
  t.line('\\d audit;')
  s = after(await t.waitForText('Partitions: 2'), 'acheron> \\d audit;')
  assert.ok(s.startsWith('acheron> \\d audit;\nTable "audit"\n'), s)
  t.line('\\dt;')
  s = after(await t.waitFor((x) => after(x, 'acheron> \\dt;').includes('(2 rows)'), '\\dt;'), 'acheron> \\dt;')
  assert.match(s, /\nTables\n[\s\S]*\n account +\|[\s\S]*\n audit +\|/, s)
  await prompt(t, 'the prompt after \\dt;')
  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test('\\x on and auto, \\pset null, format csv and markdown, \\pset alone; bad arguments are one-line warnings', async () => {
  const t = consoleIn()
  await prompt(t)
  t.line('\\x')
  await t.waitForText('Expanded display is on.')
  t.line("SELECT id, note FROM account WHERE id = 'alice';")
  let s = after(await t.waitForText('(1 row)'), 'acheron> SELECT id')
  assert.match(s, /\n-\[ RECORD 1 \]-*\nid {3}\| alice\nnote \| NULL\n\(1 row\)/, s)

  t.line('\\pset null (null)')
  await t.waitForText('Null display is "(null)".')
  t.line("SELECT id, note FROM account WHERE id = 'alice';")
  s = after(await t.waitForText('(1 row)', 2), 'Null display')
  assert.match(s, /\nnote \| \(null\)\n/, s)

  // auto: a row wider than the 200 columns of the terminal is shown as a record, a narrow one as a table.
  t.line('\\x auto')
  await t.waitForText('Expanded display is used automatically.')
  t.line(`SELECT id, '${'w'.repeat(210)}' AS wide FROM account WHERE id = 'bob';`)
  s = after(await t.waitForText('(1 row)', 3), 'acheron> SELECT id, \'www')
  // (tmux cuts the screen's lines at 200 columns)
  assert.match(s, /\n-\[ RECORD 1 \][-\n]*\nid {3}\| bob\nwide \| w{150}/, s)
  t.line("SELECT id FROM account WHERE id = 'bob';")
  s = after(await t.waitForText('(1 row)', 4), "acheron> SELECT id FROM account WHERE id = 'bob'")
  assert.match(s, /\n id\n-----\n bob\n\(1 row\)/, s)
  t.line('\\x off')
  await t.waitForText('Expanded display is off.')

  t.line('\\pset format csv')
  await t.waitForText('Output format is csv.')
  t.line("INSERT INTO account VALUES ('q\"uote, comma', 1, 'a|b');")
  await t.waitForText('INSERT: 1 row affected')
  t.line("SELECT id, balance, note FROM account WHERE balance = 1;")
  s = after(await t.waitFor((x) => lastLine(x) === 'acheron>' && x.includes('id,balance,note'), 'the CSV and the prompt'), 'acheron> SELECT id, balance, note')
  assert.ok(s.includes('id,balance,note\n"q""uote, comma",1,a|b\nacheron>'), s)
  t.line('\\pset format markdown')
  await t.waitForText('Output format is markdown.')
  t.line("SELECT id, balance, note FROM account WHERE balance = 1;")
  s = after(await t.waitForText('| id | balance | note |'), 'Output format is markdown.')
  assert.ok(s.includes('| id | balance | note |\n| --- | ---: | --- |\n| q"uote, comma | 1 | a\\|b |\n'), s)

  t.line('\\pset')
  s = after(await t.waitForText('tuples_only  off'), 'acheron> \\pset\n')
  // The values in one column: tuples_only, the longest name, ran two columns past the others'.
  assert.ok(s.includes('format       markdown\nexpanded     off\nnull         "(null)"\npager        on\ntuples_only  off'), s)

  // Each bad argument: one line naming it, no stack trace, and the console goes on.
  const bad: [string, string][] = [
    ['\\pset format html', '\\pset: unknown format "html" (aligned, csv, json, markdown, unaligned)'],
    ['\\pset colour on', '\\pset: unknown option "colour" (null, format, pager, expanded, tuples_only)'],
    ['\\pset pager maybe', '\\pset pager: expected on or off, not "maybe"'],
    ['\\x sideways', '\\x: expected off, on, auto, not "sideways"'],
    ['\\timing soon', '\\timing: expected on or off, not "soon"'],
    ['\\watch 0', '\\watch: the interval must be a positive number of seconds, not "0"'],
    ['\\watch 3601', '\\watch: the interval is at most 3600 seconds, not 3601'],
    ['\\watch abc', '\\watch: the interval must be a positive number of seconds, not "abc"'],
    ['\\i', '\\i: missing argument (\\help shows it)'],
    ['\\i /no/such/file.sql', '\\i: cannot read /no/such/file.sql: no such file or directory'],
    ["\\pset null 'open", '\\pset: a quote is not closed'],
    ['\\o /no/such/dir/out.txt', '\\o: cannot write /no/such/dir/out.txt: no such file or directory'],
    ['\\conninfo please', '\\conninfo: too many arguments (it takes none): please'],
    ['\\frobnicate', 'unknown meta-command \\frobnicate: \\help lists them'],
  ]
  for (const [line, warning] of bad) {
    t.line(line)
    await t.waitForText(warning)
    s = await prompt(t, `the prompt after ${line}`)
    const rest = after(s, `acheron> ${line}`).split('\n').slice(1)
    assert.ok(rest[0]?.startsWith(warning), `${line}: ${rest.join('\n')}`)
    assert.is(rest.length, 2, `one line of warning, then the prompt: ${rest.join('\n')}`)
  }
  assert.not.match(t.screen(), /\n\s+at /)
  t.line('\\pset format aligned')
  await t.waitForText('Output format is aligned.')
  t.line('SELECT COUNT(*) AS n FROM account;')
  await t.waitForText(' n\n---\n 3\n')
  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test('\\o FILE sends results to the file until \\o; \\i FILE (relative to the cwd) runs its statements and meta-commands', async () => {
  const out = join(tmp.dir, 'out.txt')
  const include = join(tmp.dir, 'include.sql')
  writeFileSync(include, "-- from \\i\nCREATE TABLE included (k INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO included VALUES (1, 'one'),\n  (2, NULL);\n\\pset null '<nil>'\nSELECT k, v FROM included ORDER BY k;\n")
  const t = consoleIn()
  await prompt(t)
  t.line(`\\i ${relative(ROOT, include)}`)
  let s = after(await t.waitForText('(2 rows)'), 'acheron> \\i')
  assert.match(s, /CREATE TABLE {2}commit.*\nINSERT: 2 rows affected {2}commit.*\nNull display is "<nil>"\.\n k \| {3}v\n---\+-------\n 1 \| one\n 2 \| <nil>\n\(2 rows\)/, s)

  t.line(`\\o ${shellQuote(out)}`)
  await prompt(t)
  t.line('SELECT k FROM included WHERE k = 2;')
  await t.waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('(1 row)'), 'the result in the \\o file')
  assert.match(readFileSync(out, 'utf8'), /^ k\n---\n 2\n\(1 row\) {2}commit \{batch: \d+, seq: \d+\}\n\n$/)
  s = await prompt(t, 'the prompt after the SELECT into the file')
  assert.not.match(after(s, 'acheron> SELECT k FROM included WHERE k = 2;'), /\(1 row\)/)
  t.line('\\o')
  await prompt(t)
  t.line('SELECT k FROM included WHERE k = 1;')
  s = after(await t.waitForText('(1 row)'), 'acheron> SELECT k FROM included WHERE k = 1;')
  assert.match(s, /\n 1\n\(1 row\)/, s)
  assert.not.match(readFileSync(out, 'utf8'), / 1\n/)

  // A file that cannot take the result (a full disk): the result comes to the screen, and later ones too.
  t.line('\\o /dev/full')
  await prompt(t)
  t.line('SELECT v FROM included WHERE k = 1;')
  s = after(await t.waitForText('(1 row)', 2), 'acheron> SELECT v FROM included WHERE k = 1;')
  assert.match(s, /\n\\o: cannot write \/dev\/full \(no space left on the device\); results go to the screen again\n {2}v\n-----\n one\n\(1 row\)/, s)
  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test('the pager: $PAGER gets a result taller than the terminal on its stdin; short ones and \\pset pager off stay on the screen', async () => {
  const log = join(tmp.dir, 'pager.log')
  const pager = script('pager.sh', `cat >> ${shellQuote(log)}\necho '[pager exited]' >> ${shellQuote(log)}`)
  const t = consoleIn({ PAGER: pager })
  await prompt(t)
  t.line('CREATE TABLE tall (k INTEGER PRIMARY KEY);')
  await t.waitForText('CREATE TABLE  commit')
  t.line(`INSERT INTO tall VALUES ${Array.from({ length: 60 }, (_, i) => `(${i})`).join(', ')};`)
  await t.waitForText('INSERT: 60 rows affected')
  t.line('SELECT k FROM tall ORDER BY k;')
  await t.waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('[pager exited]'), 'the pager to run')
  let paged = readFileSync(log, 'utf8')
  assert.match(paged, /^ k\n----\n  0\n  1\n[\s\S]* 59\n\(60 rows\) {2}commit \{batch: \d+, seq: \d+\}\n\n\[pager exited\]\n$/)
  let s = await prompt(t, 'the prompt after the pager')
  assert.not.match(after(s, 'acheron> SELECT k FROM tall'), /\(60 rows\)/)

  // 34 lines, but each row's line wraps into two of the terminal's 50 rows: paged too (it was not).
  t.line(`SELECT k, '${'w'.repeat(390)}' AS wide FROM tall WHERE k < 30 ORDER BY k;`)
  await t.waitFor(() => readFileSync(log, 'utf8').split('[pager exited]').length === 3, 'the pager for wrapped lines')
  assert.match(readFileSync(log, 'utf8').slice(paged.length), /\n 29 \| w{390}\n\(30 rows\)/)
  paged = readFileSync(log, 'utf8')
  await prompt(t, 'the prompt after the pager for wrapped lines')

  t.line('SELECT k FROM tall WHERE k < 3 ORDER BY k;')
  await t.waitForText('(3 rows)')
  t.line('\\pset pager off')
  await t.waitForText('Pager usage is off.')
  t.line('SELECT k FROM tall ORDER BY k;')
  s = await t.waitForText('(60 rows)')
  assert.match(s, /\n 58\n 59\n\(60 rows\)/)
  assert.is(readFileSync(log, 'utf8'), paged, 'the pager ran once only')
  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test('\\e edits the last statement (or the one being typed) in $EDITOR and runs it when it ends with ;', async () => {
  const seen = join(tmp.dir, 'editor-saw.log')
  const next = join(tmp.dir, 'editor-next.sql')
  // The editor records what it was given and leaves the file holding `next` (or fails when next says FAIL).
  const editor = script('editor.sh', `cat "$1" >> ${shellQuote(seen)}\necho '[end]' >> ${shellQuote(seen)}\ngrep -q FAIL ${shellQuote(next)} && exit 3\ncp ${shellQuote(next)} "$1"`)
  const t = consoleIn({ EDITOR: editor, VISUAL: '' })
  await prompt(t)
  t.line('SELECT 7 AS seven;')
  await t.waitForText('(1 row)')
  writeFileSync(next, 'SELECT 40 + 2 AS answer;\n')
  t.line('\\e')
  await t.waitForText(' answer\n--------\n     42\n(1 row)')
  assert.is(readFileSync(seen, 'utf8'), 'SELECT 7 AS seven;\n[end]\n')

  // Not ending with ';': it stays the statement being typed, and the next line ends it.
  writeFileSync(next, 'SELECT 5\n  AS five\n')
  t.line('SELECT 1')
  await t.waitFor((x) => lastLine(x) === '      ->', 'the continuation prompt')
  t.line('\\e')
  await t.waitFor(() => readFileSync(seen, 'utf8').split('[end]').length === 3, 'the editor a second time')
  await t.waitFor((x) => lastLine(x) === '      ->', 'the continuation prompt after \\e')
  assert.is(readFileSync(seen, 'utf8'), 'SELECT 7 AS seven;\n[end]\nSELECT 1\n[end]\n')
  t.line(';')
  await t.waitForText(' five\n------\n    5\n(1 row)')

  writeFileSync(next, 'FAIL')
  t.line('\\e')
  await t.waitForText(`\\e: ${editor} exited with 3; nothing was run`)
  await prompt(t, 'the prompt after a failed editor')
  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test('\\watch N re-runs the last statement until Ctrl-C; \\conninfo', async () => {
  const t = consoleIn()
  await prompt(t)
  t.line('SELECT COUNT(*) AS n FROM tall;')
  await t.waitForText('(1 row)')
  t.line('\\watch 0.2')
  await t.waitForText('Every 0.2 s, run 3 at ')
  t.press('C-c')
  await t.waitForText('Watch stopped.')
  await prompt(t, 'the prompt after the watch')
  let s = after(t.screen(), 'acheron> \\watch 0.2')
  const runs = s.split('Every 0.2 s, run ').length - 1
  assert.ok(runs >= 3, s)
  assert.is(s.split(' n\n----\n 60\n(1 row)').length - 1, runs, s)
  // Inside a held BEGIN block a watch would only add to the block: refused.
  t.line('BEGIN;')
  await t.waitFor((x) => lastLine(x) === 'acheron*>', 'the prompt of a BEGIN block')
  t.line('\\watch 1')
  await t.waitForText('\\watch: not inside a BEGIN block (COMMIT or ROLLBACK first)')
  t.line('ROLLBACK;')
  await prompt(t, 'the prompt after ROLLBACK')
  t.line('\\conninfo')
  s = await t.waitForText('authenticated:')
  assert.ok(after(s, 'acheron> \\conninfo').includes(`URL:            ${url()}\nconnected:      yes\nserver version: ${VERSION}\nTLS:            no (ws://)\nauthenticated:  no token sent`), s)
  t.line('\\q')
  await t.waitForText('[exited 0]')
})

test.run()
