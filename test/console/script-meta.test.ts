// Meta-commands in -e and -f scripts, as psql reads them in -f files: they run where they stand, a bad one
// stops the script with exit 1 and one line on stderr, \q ends it with 0, \i nests (bounded), \e and
// \watch are refused outside the REPL, and no pager runs when stdout is not a terminal.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { INCLUDE_DEPTH_MAX } from '../../src/console/run-script.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { BANK_WASM, shellQuote, type Run, runConsole } from './support.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
let server: ServerProcess | null = null
const tmp = tempDir('acheron-console-script-meta-')
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after(async () => {
  await server?.kill()
  tmp.cleanup()
})

const run = (args: string[], env: Record<string, string> = {}): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args, { env })

// First in this file: the server has no table and no index yet.
test('an empty \\d, \\dt or \\di is psql\'s line on stderr, not a failure; \\d NAME of nothing is psql\'s line, a failure', async () => {
  const empty = await run(['-e', '\\di\n\\dt\n\\d\n\\di nosuch*\n\\echo went-on'])
  assert.is(empty.code, 0, empty.why)
  assert.is(empty.stdout, 'went-on\n', empty.why)
  assert.is(empty.stderr, [
    'Did not find any relations.', 'Did not find any relations.', 'Did not find any relations.', 'Did not find any relation named "nosuch*".', '',
  ].join('\n'), empty.why)
  const named = await run(['-e', '\\d nosuch\n\\echo not-reached'])
  assert.is(named.code, 1, named.why)
  assert.is(named.stderr, 'Did not find any relation named "nosuch".\n', named.why)
  assert.is(named.stdout, '', named.why)
  // --json keeps a listing a JSON line, empty or not.
  const json = await run(['--json', '-e', '\\di'])
  assert.is(json.code, 0, json.why)
  assert.equal(JSON.parse(json.stdout), { columns: ['name', 'table', 'columns'], rows: [] }, json.why)
})

test('-f: meta-commands run where they stand (\\pset, \\x, \\dt, \\di, \\d), \\q ends the script with 0 and nothing after it runs', async () => {
  const file = join(tmp.dir, 'setup.sql')
  writeFileSync(file, [
    'CREATE TABLE m1 (k INTEGER PRIMARY KEY, v TEXT);',
    "INSERT INTO m1 VALUES (1, 'a,b'), (2, NULL);",
    '\\pset format csv',
    "\\pset null 'NULL'",
    'SELECT k, v FROM m1',
    '  ORDER BY k;',
    '\\pset format aligned',
    '\\x on',
    'SELECT k FROM m1 WHERE k = 1;',
    '\\x off',
    'CREATE INDEX m1_v ON m1 (v DESC);',
    '\\dt m?',
    '\\di M1',
    '\\d M1',
    '\\q',
    'INSERT INTO m1 VALUES (3, \'after quit\');',
  ].join('\n'))
  const r = await run(['-f', file])
  assert.is(r.code, 0, r.why)
  assert.is(r.stderr, '', r.why)
  assert.ok(r.stdout.includes('Output format is csv.\nNull display is "NULL".\nk,v\n1,"a,b"\n2,NULL\nOutput format is aligned.\n'), r.why)
  assert.match(r.stdout, /Expanded display is on\.\n-\[ RECORD 1 \]-*\nk \| 1\n\(1 row\) {2}commit/, r.why)
  assert.match(r.stdout, /Tables\n name \| partitions \| key \| columns\n-+\+[-+]+\n m1 +\| +2 \| k +\| +2\n\(1 row\)/, r.why)
  // No default is blank, whatever \pset null says (as psql shows it).
  assert.match(r.stdout, /Table "m1"\n[^\n]+\n[^\n]+\n k +\| INTEGER \| not null \| +\| primary key\n v +\| TEXT +\| +\| +\|\nPartitions: 2\nIndexes:\n {4}"m1_v" \(v DESC\)\n/, r.why)
  assert.match(r.stdout, /Indexes\n name +\| table \| columns\n-+\+[-+]+\n m1_v +\| m1 +\| v DESC\n\(1 row\)/, r.why)
  const after = await run(['--json', '-e', 'SELECT COUNT(*) AS n FROM m1;'])
  assert.equal((JSON.parse(after.stdout) as { rows: unknown[][] }).rows, [[2]], after.why)
})

test('a meta-command line inside an unfinished statement runs where it stands and is no part of the statement', async () => {
  const file = join(tmp.dir, 'inside.sql')
  // psql runs \pset at once and leaves it out of the query buffer; the statement goes on below it.
  writeFileSync(file, ['SELECT 1 AS one,', '\\pset format csv', '  2 AS two', '\\echo between', '  , 3 AS three;', 'SELECT', '\\pset null (nil)', '  NULL AS n', '  FROM nowhere;'].join('\n'))
  const r = await run(['-f', file])
  assert.is(r.code, 1, r.why)
  assert.is(r.stdout, 'Output format is csv.\nbetween\none,two,three\n1,2,3\nNull display is "(nil)".\n', r.why)
  // The failing statement's caret still points into the file as written (the meta lines count as lines).
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9`), r.why)
})

test('\\d and its kin take a `;` at the end, as typed after SQL by habit', async () => {
  const r = await run(['-e', 'CREATE TABLE IF NOT EXISTS semi (k INTEGER PRIMARY KEY);\n\\d semi;\n\\dt;\n\\dt+ sem* ;\n\\df;\n\\di;'])
  assert.is(r.code, 0, r.why)
  assert.is(r.stderr, '', r.why)
  assert.match(r.stdout, /Table "semi"\n[^\n]+\n[^\n]+\n k +\| INTEGER \| not null \| +\| primary key\nPartitions: 2\n/, r.why)
  assert.is(r.stdout.split('\nTables\n').length - 1, 2, r.why)
  assert.match(r.stdout, /\nFunctions\n[\s\S]*\nIndexes\n/, r.why)
})

test('\\d+ NAME lists the table\'s functions one a line under Functions:, as its indexes (all on one line, they ran across the screen)', async () => {
  const setup = await run(['-e', `CREATE TABLE dplus (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0); CREATE FUNCTIONS dplus.(deposit, withdraw) FROM WASM FILE '${BANK_WASM.replace(/'/g, "''")}' WITH (FUEL = 5000)`])
  assert.is(setup.code, 0, setup.why)
  const r = await run(['-e', '\\d+ dplus'])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /\nRows: 0\nFunctions:\n    dplus\.deposit \(fuel 5000, memory \d+\)\n    dplus\.withdraw \(fuel 5000, memory \d+\)\n/, r.why)
})

test('\\h NAME shows that statement\'s lines of the SQL summary, as psql\'s \\h does (it printed the whole help); nothing found is psql\'s line, no failure', async () => {
  const r = await run(['-e', '\\h truncate\n\\h nosuch\n\\echo went-on'])
  assert.is(r.code, 0, r.why)
  assert.is(`${r.stdout}${r.stderr}`, [
    'SQL (docs/sql.md):',
    '  UPDATE t SET col = expr, ... [WHERE ...]     DELETE FROM t [WHERE ...]     TRUNCATE [TABLE] t',
    '      INSERT INTO t [(cols)] SELECT ...   the rows of a query (any SELECT, WITH too)',
    '      any of the three ... RETURNING *, col, expr AS name   the rows written',
    "      UPDATE's SET and WHERE, DELETE's WHERE may hold subqueries (SELECT ... FROM other tables);",
    '      WITH name AS (SELECT ...) UPDATE | DELETE ... names queries those subqueries read',
    'No help available for "nosuch".',
    'Try \\h with no arguments to see available help.',
    'went-on',
    '',
  ].join('\n'), r.why)
})

test('\\pset alone: every value in one column (tuples_only, the longest name, ran past the others\')', async () => {
  const r = await run(['-e', '\\pset'])
  assert.is(r.code, 0, r.why)
  assert.is(`${r.stdout}${r.stderr}`, 'format       aligned\nexpanded     off\nnull         "NULL" (an empty field in csv)\npager        on\ntuples_only  off\n', r.why)
})

test('csv: NULL is an empty field, \'\' is "" and \'NULL\' is NULL; after \\pset null, NULL is its text', async () => {
  const r = await run(['-e', [
    "CREATE TABLE csvnull (k INTEGER PRIMARY KEY, v TEXT);",
    "INSERT INTO csvnull VALUES (1, 'NULL'), (2, NULL), (3, '');",
    '\\pset format csv',
    'SELECT k, v FROM csvnull ORDER BY k;',
    "\\pset null '(null)'",
    'SELECT k, v FROM csvnull ORDER BY k;',
  ].join('\n')])
  assert.is(r.code, 0, r.why)
  assert.ok(r.stdout.includes('Output format is csv.\nk,v\n1,NULL\n2,\n3,""\nNull display is "(null)".\nk,v\n1,NULL\n2,(null)\n3,""\n'), r.why)
})

test('a bad meta-command stops the script: exit 1, one line on stderr, the statements after it not sent', async () => {
  const cases: [string, RegExp][] = [
    // The second -e is '-e #2'; the warning says where the line stands in it, as psql does for -f files.
    ['\\pset format html', /^-e #2:1: \\pset: unknown format "html" \(aligned, csv, json, markdown, unaligned\)\n$/],
    ['\\frob', /^-e #2:1: unknown meta-command \\frob: \\help lists them\n$/],
    ['\\watch 1', /^-e #2:1: \\watch: only in the interactive console\n$/],
    ['\\e', /^-e #2:1: \\e: only in the interactive console\n$/],
    ['\\d nosuch_table', /^-e #2:1: Did not find any relation named "nosuch_table"\.\n$/],
    ['\\i no/such.sql', /^-e #2:1: \\i: cannot read no\/such\.sql: no such file or directory$/m],
  ]
  assert.is((await run(['-e', 'CREATE TABLE m2 (k INTEGER PRIMARY KEY);'])).code, 0)
  for (const [line, stderr] of cases) {
    // (Not CREATE TABLE IF NOT EXISTS m2 here: from the second case on it says NOTICE … skipping on stderr.)
    const r = await run(['-e', 'SELECT 1 AS one;', '-e', `${line}\nINSERT INTO m2 VALUES (1);`])
    assert.is(r.code, 1, r.why)
    assert.match(r.stderr, stderr, r.why)
    assert.not.match(r.stdout, /INSERT/, r.why)
  }
  const count = await run(['--json', '-e', 'SELECT COUNT(*) AS n FROM m2;'])
  assert.equal((JSON.parse(count.stdout) as { rows: unknown[][] }).rows, [[0]], count.why)
})

test('\\i in a script runs another file (relative to the cwd); a file including itself stops at the depth bound', async () => {
  const inner = join(tmp.dir, 'inner.sql')
  writeFileSync(inner, 'SELECT 41 + 1 AS answer;\n')
  const r = await run(['-e', `\\i ${shellQuote(inner)}\nSELECT 'back' AS outer_file;`])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /^ answer\n-+\n +42\n\(1 row\)[^\n]*\n\n outer_file\n-+\n back\n/, r.why)
  const loop = join(tmp.dir, 'loop.sql')
  writeFileSync(loop, `SELECT 1 AS one;\n\\i ${shellQuote(loop)}\n`)
  const l = await run(['-f', loop])
  assert.is(l.code, 1, l.why)
  assert.is(l.stdout.split('(1 row)').length - 1, INCLUDE_DEPTH_MAX + 1, l.why)
  const path = loop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  assert.match(l.stderr, new RegExp(`^${path}:2: \\\\i: ${path}: files nest deeper than ${INCLUDE_DEPTH_MAX} \\(does one include itself\\?\\)\n$`), l.why)
})

test('--json: stdout holds only JSON lines; what meta-commands say goes to stderr', async () => {
  // \echo prints its words (psql's), on stdout without --json.
  const echoed = await run(['-e', "\\echo 'loading  it'  now\nSELECT 1 AS one;"])
  assert.is(echoed.code, 0, echoed.why)
  assert.match(echoed.stdout, /^loading {2}it now\n one\n/, echoed.why)
  const r = await run(['--json', '-e', "\\pset null '-'\n\\timing on\n\\conninfo\nSELECT NULL AS n;\n\\echo done"])
  assert.is(r.code, 0, r.why)
  const lines = r.stdout.trimEnd().split('\n')
  assert.is(lines.length, 1, r.why)
  assert.equal((JSON.parse(lines[0] as string) as { rows: unknown[][] }).rows, [[null]], r.why)
  assert.match(r.stderr, /^Null display is "-"\.\nTiming is on\.\nURL: [^\n]*\n[\s\S]*Time: \d+\.\d{3} ms\ndone\n$/, r.why)
  // A script's own \pset format does not turn --json's stdout into another format.
  const csv = await run(['--json', '-e', '\\pset format csv', '-e', "SELECT 2 AS two, 'x,y' AS s;"])
  assert.is(csv.code, 0, csv.why)
  assert.equal(JSON.parse(csv.stdout) as unknown, { columns: ['two', 's'], rows: [[2, 'x,y']], rowsAffected: 0, commit: (JSON.parse(csv.stdout) as { commit: unknown }).commit, types: ['INTEGER', 'TEXT'] }, csv.why)
  assert.match(csv.stderr, /^Output format stays json: --json keeps stdout JSON lines \(csv without --json\)\.\n$/, csv.why)
})

test('-f: a UTF-8 byte order mark at the start of a file is not part of the script', async () => {
  const file = join(tmp.dir, 'bom.sql')
  writeFileSync(file, '\ufeffSELECT 7 AS seven;\n')
  const r = await run(['-f', file])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /^ seven\n-+\n +7\n/, r.why)
  const inner = await run(['-e', `\\i ${shellQuote(file)}`])
  assert.is(inner.code, 0, inner.why)
  assert.match(inner.stdout, /^ seven\n/, inner.why)
})

test('\\conninfo asks the server its version (connecting first when no statement has yet)', async () => {
  const r = await run(['-e', '\\conninfo'])
  assert.is(r.code, 0, r.why)
  assert.ok(r.stdout.includes(`URL:            ${(server as ServerProcess).url}\nconnected:      yes\nserver version: ${VERSION}\nTLS:            no (ws://)\nauthenticated:  no token sent\n`), r.why)
})

test('no pager when stdout is not a terminal, however tall the result', async () => {
  const log = join(tmp.dir, 'pager.log')
  const pager = join(tmp.dir, 'pager.sh')
  writeFileSync(pager, `#!/bin/sh\ncat > ${shellQuote(log)}\n`, { mode: 0o755 })
  const values = Array.from({ length: 300 }, (_, i) => `(${i})`).join(', ')
  const r = await run(['-e', `CREATE TABLE m3 (k INTEGER PRIMARY KEY); INSERT INTO m3 VALUES ${values}; SELECT k FROM m3;`], { PAGER: `sh ${shellQuote(pager)}` })
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /\(300 rows\)/, r.why)
  assert.not.ok(existsSync(log), 'the pager ran')
})

test('\\d NAME of an index lists that index, as psql describes any relation by its name', async () => {
  const r = await run(['-e', 'CREATE TABLE indexed_t (k INTEGER PRIMARY KEY, v TEXT); CREATE INDEX indexed_by_v ON indexed_t (v DESC);', '-e', '\\d INDEXED_BY_V'])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /Indexes\n +name +\| +table +\| columns\n-+\+-+\+-+\n indexed_by_v \| indexed_t \| v DESC\n\(1 row\)/, r.why)
})

test("psql's -At prints bare values (a script's $(acheron console -Atc …)); \\t and \\a toggle it inside a script", async () => {
  const bare = await run(['-Atc', 'CREATE TABLE at1 (k INTEGER PRIMARY KEY, v TEXT)', '-Atc', "INSERT INTO at1 VALUES (1, 'a'), (2, NULL)",
    '-Atc', 'SELECT COUNT(*) FROM at1', '-Atc', 'SELECT k, v FROM at1 ORDER BY k', '-Atc', 'SELECT k FROM at1 WHERE k > 5'])
  assert.is(bare.code, 0, bare.why)
  assert.is(bare.stdout.replace(/batch: \d+/g, 'batch: B'), ['CREATE TABLE  commit {batch: B, seq: 0}', 'INSERT: 2 rows affected  commit {batch: B, seq: 0}', '2', '1|a', '2|NULL', ''].join('\n'), bare.why)
  const toggled = await run(['-e', '\\t\n\\a\nSELECT k FROM at1 ORDER BY k;\n\\a\n\\t off\nSELECT COUNT(*) AS n FROM at1;'])
  assert.is(toggled.code, 0, toggled.why)
  assert.match(toggled.stdout, /^Tuples only is on\.\nOutput format is unaligned\.\n1\n2\nOutput format is aligned\.\nTuples only is off\.\n n\n---\n 2\n\(1 row\)  commit/, toggled.why)
})

test.run()
