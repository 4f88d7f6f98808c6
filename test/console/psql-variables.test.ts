// psql's variables and the meta-commands around sending: \set, \unset, :name, :'name' and :"name" in
// statements and meta-commands (never inside strings, identifiers, comments or a `::`), \g and \gx (with a
// FILE; at the end of a line in the REPL), \s, \l and \!; and the REPL's note after START TRANSACTION.
// Scripts run as `acheron console -e/-f` against a real server; the REPL runs on pipes with a real session.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { metaWords } from '../../src/console/meta-commands.js'
import { blockOpenerName, metaCommandStart } from '../../src/console/repl.js'
import { scanStatements } from '../../src/console/scan.js'
import { interpolate, Variables, VARIABLES_MAX } from '../../src/console/variables.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { MAIN, shellQuote, Terminal, type Run, runConsole } from './support.js'
import { replOnPipes } from './repl-pipes.js'

let server: ServerProcess | null = null
const tmp = tempDir('acheron-console-vars-')
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after(async () => {
  await server?.kill()
  tmp.cleanup()
})

const run = (args: string[], env: Record<string, string> = {}): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args, { env, cwd: tmp.dir })

const vars = (entries: Record<string, string>): Variables => {
  const v = new Variables()
  for (const [n, value] of Object.entries(entries)) assert.is(v.set(n, value), null)
  return v
}

test('interpolate: :name as it is, :\'name\' a literal, :"name" an identifier; strings, identifiers, comments, :: and unset names untouched', () => {
  const v = vars({ t: 'kv', s: "it's", id: 'a "b"', n: '42' })
  const sql = `SELECT ':t', ":t", :n, :'s', :"id", x::t -- :t\n/* :t */ FROM :t WHERE :nope = :'nope';`
  const out = interpolate(sql, v.lookup)
  assert.is(out.text, `SELECT ':t', ":t", 42, 'it''s', "a ""b""", x::t -- :t\n/* :t */ FROM kv WHERE :nope = :'nope';`)
  // An offset after the values maps back to the text typed; inside a value, to its colon.
  const typedAt = sql.indexOf('WHERE')
  assert.is(out.originalOffset(out.text.indexOf('WHERE')), typedAt)
  assert.is(out.originalOffset(out.text.indexOf("'it''s'") + 3), sql.indexOf(":'s'"))
  assert.is(interpolate('SELECT 1', v.lookup).text, 'SELECT 1')
})

test('Variables: names of letters, digits and _, bounded in number; \\set lists them sorted and quoted', () => {
  const v = new Variables()
  assert.match(v.set('a-b', 'x') ?? '', /invalid variable name "a-b"/)
  for (let i = 0; i < VARIABLES_MAX; i++) assert.is(v.set(`v${i}`, ''), null)
  assert.match(v.set('one_more', 'x') ?? '', /at most 1000 variables/)
  assert.is(v.set('v0', 'replaced'), null, 'a variable already set may change')
  const w = vars({ b: "it's", a: '1' })
  assert.equal(w.listing(), ["a = '1'", "b = 'it''s'"])
  assert.ok(w.unset('a'))
  assert.not.ok(w.unset('a'))
})

test('metaWords with variables: a value stays one word; quoted parts are not interpolated', () => {
  const v = vars({ f: 'my file.sql', x: "o'k" })
  assert.equal(metaWords(" :f ':f' :'x' :\"x\" :none", v.lookup), ['my file.sql', ':f', "'o''k'", '"o\'k"', ':none'])
  assert.equal(metaWords(" a' 'b", v.lookup), ['a b'])
})

test('scan: in scripts a \\g or \\gx line ends the statement before it (no ; needed) and sends it', () => {
  const text = 'SELECT 1\n\\gx out.txt\nSELECT 2;\n\\g\n'
  const scan = scanStatements(text, { metaLines: true })
  assert.equal(scan.statements.map((s) => [text.slice(s.start, s.end), s.sentByMeta === true]), [['SELECT 1', true], ['SELECT 2;', false]])
  assert.is(scan.metaLines.length, 2)
})

test('REPL: a backslash outside strings and comments starts a meta-command anywhere on a line', () => {
  assert.is(metaCommandStart('', '\\d t'), 0)
  assert.is(metaCommandStart('', '   \\x'), 0)
  assert.is(metaCommandStart('', 'SELECT 1 \\gx'), 9)
  assert.is(metaCommandStart('', "SELECT '\\g' AS s;"), -1)
  assert.is(metaCommandStart('', 'SELECT 1 -- \\g'), -1)
  assert.is(metaCommandStart("SELECT 'open", "still \\g'"), -1)
  assert.is(metaCommandStart('SELECT 1 -- a comment', '\\g'), 0)
  assert.is(blockOpenerName('start  transaction;'), 'start transaction')
})

test('-e: \\set, \\unset and interpolation in statements, meta-commands and \\copy; an error points into the text typed', async () => {
  writeFileSync(join(tmp.dir, 'rows.csv'), '1,one\n2,two\n')
  const r = await run(['-e', [
    '\\set tbl vars_t',
    "\\set who 'O''Brien'",
    '\\set col name',
    '\\set file rows.csv',
    '\\set',
    'CREATE TABLE :tbl (id INTEGER PRIMARY KEY, :"col" TEXT);',
    "\\copy :tbl from :'file' csv",
    "INSERT INTO :tbl VALUES (3, :'who');",
    "SELECT id, :col, ':col' AS kept FROM :\"tbl\" WHERE id = 3;",
    '\\echo table :tbl, who :\'who\'',
    '\\unset who',
    "\\echo :who",
    'SELECT nope FROM :tbl;',
  ].join('\n')])
  assert.is(r.code, 1, r.why)
  assert.ok(r.stdout.includes("col = 'name'\nfile = 'rows.csv'\ntbl = 'vars_t'\nwho = 'O''Brien'\n"), r.why)
  assert.ok(r.stdout.includes('COPY 2'), r.why)
  assert.match(r.stdout, / id +\| +name +\| kept\n-+\+-+\+-+\n +3 \| O'Brien \| :col\n/, r.why)
  assert.ok(r.stdout.includes("table vars_t, who 'O''Brien'\n:who\n"), r.why)
  // The caret is under `nope` in the line as typed, not in what was sent.
  assert.match(r.stderr, /ERROR UNKNOWN_COLUMN[^\n]*\nLINE 13: SELECT nope FROM :tbl;\n {16}\^/, r.why)
  // A reference left as typed (no such variable) is the console's to explain, not a value's that holds one.
  const unset = await run(['-e', "SELECT 1 AS one, :'nope';"])
  assert.is(unset.code, 1, unset.why)
  assert.match(unset.stderr, /\nLINE 1: SELECT 1 AS one, :'nope';\n {25}\^\n:'nope' is no variable set here: \\set nope VALUE sets one/, unset.why)
  const value = await run(['-e', "\\set w ':x'\nSELECT :w;"])
  assert.is(value.code, 1, value.why)
  assert.not.match(value.stderr, /no variable set here/, value.why)
})

test('-e: a meta-command after a statement on its line, as psql reads it: SELECT … \\gx; a backslash in a string or comment is none', async () => {
  const r = await run(['-e', "SELECT 1 AS a, 'x\\y' AS s \\gx\nSELECT 2 AS b; \\echo after-b\nSELECT 3 AS c -- not \\g here\n;"])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /^-\[ RECORD 1 \]-*\na \| 1\ns \| x\\y\n/, r.why)
  assert.match(r.stdout, / b\n---\n 2\n\(1 row\)[^\n]*\n\nafter-b\n c\n---\n 3\n/, r.why)
})

test('-f: \\g and \\gx send the statement before them, \\g FILE writes its results there, \\g alone sends the last again', async () => {
  const file = join(tmp.dir, 'g.sql')
  writeFileSync(file, [
    'CREATE TABLE g_t (k INTEGER PRIMARY KEY, v TEXT);',
    "INSERT INTO g_t VALUES (1, 'a')",
    '\\g',
    'SELECT k, v FROM g_t',
    '\\gx',
    'SELECT COUNT(*) AS n FROM g_t',
    '\\g counted.txt',
    '\\g',
    "SELECT 'abc' AS piped \\g | tr a-z A-Z",
    '\\gx |grep -c piped',
  ].join('\n'))
  const r = await run(['-f', file])
  assert.is(r.code, 0, r.why)
  assert.is(r.stderr, '', r.why)
  assert.ok(r.stdout.includes('INSERT: 1 row affected'), r.why)
  assert.match(r.stdout, /-\[ RECORD 1 \]-*\nk \| 1\nv \| a\n/, r.why)
  assert.match(r.stdout, / n\n---\n 1\n\(1 row\)/, r.why)
  assert.match(readFileSync(join(tmp.dir, 'counted.txt'), 'utf8'), /^ n\n---\n 1\n\(1 row\)/)
  assert.ok(!r.stdout.includes('-[ RECORD 1 ]-\nn'), `\\gx applies to its statement only${r.why}`)
  // \\g |COMMAND: the results on COMMAND's stdin (psql's pipe), in records with \\gx.
  assert.match(r.stdout, / PIPED\n-+\n ABC\n\(1 ROW\)[^\n]*\n\n1\n$/, r.why)
  const missing = await run(['-e', 'SELECT 1\n\\g |'])
  assert.is(missing.code, 1, missing.why)
  assert.match(missing.stderr, /\\g: a command after \| is missing/, missing.why)
})

test('-e: \\l lists the one database; \\! runs a command with sh and sets SHELL_EXIT_CODE; \\s and \\! alone are for the REPL', async () => {
  const r = await run(['-e', '\\set v x\n\\l\n\\! echo "from-sh"; echo it\\\'s :v; exit 3\n\\echo :SHELL_EXIT_CODE :SHELL_ERROR\n\\!true\n\\echo :SHELL_EXIT_CODE :SHELL_ERROR'])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /List of databases\n +url +\| tables \| functions\n[-+]+\n ws:\/\/127\.0\.0\.1:\d+ \| +\d+ \| +\d+\n\(1 row\) {2}a server is one database/, r.why)
  assert.ok(r.stdout.includes("from-sh\nit's :v\n3 true\n0 false\n"), r.why)
  const json = await run(['--json', '-e', '\\! echo not-json'])
  assert.is(json.stdout, '', `with --json the command writes to stderr${json.why}`)
  assert.ok(json.stderr.includes('not-json'), json.why)
  const s = await run(['-e', '\\s'])
  assert.is(s.code, 1, s.why)
  assert.match(s.stderr, /\\s: only in the interactive console/, s.why)
  const shell = await run(['-e', '\\!'])
  assert.is(shell.code, 1, shell.why)
  assert.match(shell.stderr, /\\!: a shell only in the interactive console/, shell.why)
})


async function until(done: () => boolean, what: string, shown: () => string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !done();) {
    if (Date.now() > deadline) throw new Error(`no ${what} within 20 s:\n${shown()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('REPL: \\set and interpolation, SELECT … \\gx at the end of a line, \\g after lines typed, \\s; START TRANSACTION is named as typed', async () => {
  const { out, err, input, history, ran } = replOnPipes((server as ServerProcess).url, tmp.dir)
  const all = (): string => out.join('') + err.join('')
  const waitFor = (text: string, count = 1): Promise<void> => until(() => all().split(text).length - 1 >= count, JSON.stringify(text), all)
  input.write('CREATE TABLE r_t (k INTEGER PRIMARY KEY, v TEXT);\n')
  await waitFor('CREATE TABLE  commit')
  input.write("\\set v 'x y'\n")
  input.write("INSERT INTO r_t VALUES (1, :'v');\n")
  await waitFor('INSERT: 1 row affected')
  input.write('SELECT k, v FROM r_t \\gx\n')
  await waitFor('-[ RECORD 1 ]')
  assert.match(all(), /-\[ RECORD 1 \]-*\nk \| 1\nv \| x y\n/, all())
  input.write('SELECT COUNT(*)\n')
  input.write('  AS n FROM r_t\n')
  input.write('\\g\n')
  await waitFor('(1 row)', 2)
  assert.match(all(), / n\n---\n 1\n\(1 row\)/, all())
  input.write('start transaction;\n')
  await waitFor('held, then sent together')
  assert.ok(all().includes('start transaction: the statements up to COMMIT are held'), all())
  assert.ok(!all().includes('BEGIN: the statements'), all())
  input.write('ROLLBACK;\n')
  await waitFor('ROLLBACK:')
  input.write('\\s\n')
  await waitFor('SELECT COUNT(*)\n  AS n FROM r_t\n')
  assert.equal(history.all().slice(-4), ['SELECT COUNT(*)\n  AS n FROM r_t', 'start transaction;', 'ROLLBACK;', '\\s'])
  assert.ok(history.all().includes('SELECT k, v FROM r_t \\gx'), `typed on one line, one entry with its \\gx:\n${history.all().join('\n')}`)
  input.write(`\\s ${join(tmp.dir, 'hist.txt')}\n`)
  await waitFor('Wrote history to file')
  assert.ok(readFileSync(join(tmp.dir, 'hist.txt'), 'utf8').includes("INSERT INTO r_t VALUES (1, :'v');\n"))
  input.end()
  assert.is(await ran, 0)
})

test('REPL in a terminal: \\! COMMAND runs with the terminal and sets SHELL_EXIT_CODE; \\! alone is a shell until it exits', async () => {
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote((server as ServerProcess).url)}`, { ACHERON_HISTORY: '', PAGER: '', SHELL: 'sh' })
  try {
    const prompt = (n: number): Promise<string> => t.waitFor((s) => s.split('\n').filter((l) => l === 'acheron>').length >= n, `prompt ${n}`)
    await prompt(1)
    t.line('\\! echo from-sh-$((40 + 2)); exit 5')
    await t.waitForText('from-sh-42')
    t.line('\\echo code :SHELL_EXIT_CODE error :SHELL_ERROR')
    await t.waitForText('code 5 error true')
    t.line('\\!')
    await new Promise((r) => setTimeout(r, 300))
    t.line('echo in-the-shell-$((1 + 1)); exit')
    await t.waitForText('in-the-shell-2')
    t.line('SELECT 7 AS seven \\gx')
    const s = await t.waitForText('seven | 7')
    assert.match(s, /-\[ RECORD 1 \]-*\nseven \| 7\n/, s)
  } finally {
    t.kill()
  }
})

test('REPL: lines typed (or pasted) before Ctrl-D all run, in order; SELECT … \\watch N is one history entry, and \\g after a statement ended with ; one of its own', async () => {
  const { out, err, input, history, ran } = replOnPipes((server as ServerProcess).url, tmp.dir)
  input.write('SELECT 1 AS first_one;\n')
  input.write('\\if true\n')
  input.write('SELECT 2 AS second_one;\n')
  input.write('\\endif\n')
  input.write('\\echo last-line\n')
  // A \watch read before Ctrl-D runs once: nobody is left to stop it with Ctrl-C.
  input.write('SELECT 3 AS watched \\watch 1\n')
  // After a statement ended with ';', \g re-runs it: an entry of its own (it was in no entry).
  input.write('SELECT 4 AS fourth; \\g\n')
  input.end()
  assert.is(await ran, 0)
  const all = out.join('') + err.join('')
  assert.match(all, /first_one[\s\S]*second_one[\s\S]*last-line\n[\s\S]*watched[\s\S]*Watch stopped\./, all)
  assert.is(all.split('watched').length - 1, 1, all)
  assert.is(all.split('fourth').length - 1, 2, all)
  assert.not.ok(all.includes('without its \\endif'), all)
  assert.equal(history.all(), ['SELECT 1 AS first_one;', '\\if true', 'SELECT 2 AS second_one;', '\\endif', '\\echo last-line', 'SELECT 3 AS watched \\watch 1', 'SELECT 4 AS fourth;', '\\g'])
})

test('REPL: an \\e read before Ctrl-D opens no editor: one line says it was skipped, and the lines after it run', async () => {
  const opened = join(tmp.dir, 'editor-opened')
  const editor = join(tmp.dir, 'editor.sh')
  writeFileSync(editor, `#!/bin/sh\ntouch ${opened}\n`, { mode: 0o755 })
  const { out, err, input, ran } = replOnPipes((server as ServerProcess).url, tmp.dir, { EDITOR: editor, VISUAL: '' })
  // The SELECT's round trip keeps \e queued until the input has ended.
  input.write('SELECT 1 AS before_edit;\n')
  input.write('\\e\n')
  input.write('\\echo after-edit\n')
  input.end()
  assert.is(await ran, 0)
  const all = out.join('') + err.join('')
  assert.not.ok(existsSync(opened), `the editor ran: ${all}`)
  assert.ok(err.join('').includes('\\e skipped: the input ended (Ctrl-D) before it ran, so no editor was opened\n'), all)
  assert.match(all, /before_edit[\s\S]*after-edit\n/, all)
})

test.run()
