// psql's \gset [PREFIX]: the statement is sent as \g sends it, and its one row's columns become variables
// (PREFIX + column name); NULL unsets; no row, several rows or a column whose name is no variable name is an
// error that changes no variable; skipped inside an \if branch not taken. Scripts run as `acheron console
// -e/-f` against a real server; the REPL runs on pipes with a real session.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { scanStatements } from '../../src/console/scan.js'
import { Variables } from '../../src/console/variables.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { type Run, runConsole } from './support.js'
import { replOnPipes } from './repl-pipes.js'

let server: ServerProcess | null = null
const tmp = tempDir('acheron-console-gset-')
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after(async () => {
  await server?.kill()
  tmp.cleanup()
})

const run = (args: string[]): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args, { cwd: tmp.dir })

test('scan: in scripts a \\gset line ends the statement before it and sends it, as \\g does', () => {
  const text = 'SELECT 1 AS a\n\\gset p_\nSELECT 2 AS b \\gset\n\\gsetx\n'
  const scan = scanStatements(text, { metaLines: true })
  assert.equal(scan.statements.map((s) => [text.slice(s.start, s.end), s.sentByMeta === true]), [['SELECT 1 AS a', true], ['SELECT 2 AS b', true]])
})

test('Variables.assign: all or none; null unsets', () => {
  const v = new Variables()
  assert.is(v.set('gone', 'x'), null)
  assert.is(v.set('kept', 'old'), null)
  assert.match(v.assign([['kept', 'new'], ['COUNT(*)', '1']]) ?? '', /invalid variable name "COUNT\(\*\)"/)
  assert.is(v.get('kept'), 'old', 'nothing changed')
  assert.is(v.assign([['kept', 'new'], ['gone', null], ['fresh', '']]), null)
  assert.equal([v.get('kept'), v.get('gone'), v.get('fresh')], ['new', undefined, ''])
})

test('-f: \\gset sets a variable per column (with a prefix), NULL unsets, :name and \\if see them; its row is not shown', async () => {
  const file = join(tmp.dir, 'gset.sql')
  writeFileSync(file, [
    'CREATE TABLE gs_t (k INTEGER PRIMARY KEY, v TEXT);',
    "INSERT INTO gs_t VALUES (1, 'one'), (2, 'two words');",
    '\\set gone before',
    "SELECT COUNT(*) AS n, MAX(v) AS top, NULL AS gone, 1 AS flag, X'0aff' AS bytes FROM gs_t \\gset",
    '\\echo n=:n top=:top gone=:{?gone} bytes=:bytes',
    '\\if :flag',
    '  \\echo flag-true',
    '\\endif',
    'SELECT v FROM gs_t WHERE k = 2',
    '\\gset row_',
    "SELECT :n + 10 AS later, :'row_v' AS quoted;",
    "INSERT INTO gs_t VALUES (3, 'three') RETURNING k AS new_k \\gset",
    '\\echo new_k=:new_k',
    "INSERT INTO gs_t VALUES (4, 'four') \\gset",
    '\\if false',
    "  INSERT INTO gs_t VALUES (99, 'skipped') RETURNING k AS skipped \\gset",
    '\\endif',
    '\\echo skipped=:{?skipped}',
    'SELECT COUNT(*) AS total FROM gs_t;',
  ].join('\n'))
  const r = await run(['-f', file])
  assert.is(r.code, 0, r.why)
  assert.is(r.stderr, '', r.why)
  assert.ok(r.stdout.includes("n=2 top=two words gone=FALSE bytes=X'0aff'\nflag-true\n"), r.why)
  assert.match(r.stdout, / later \| +quoted\n-+\+-+\n +12 \| two words\n/, r.why)
  assert.ok(r.stdout.includes('new_k=3\n'), r.why)
  // A statement without rows is shown as \g shows it, and sets nothing.
  assert.ok(r.stdout.includes('INSERT: 1 row affected'), r.why)
  // The \gset in the branch not taken did not run: no variable, and its row is not in the table.
  assert.ok(r.stdout.includes('skipped=FALSE\n'), r.why)
  assert.match(r.stdout, / total\n-+\n +4\n/, r.why)
  // The rows \gset stored are not printed.
  assert.not.ok(r.stdout.includes(' top '), r.why)
  assert.not.ok(/\n new_k\n/.test(r.stdout), r.why)
})

test('-e: \\gset with no row, several rows or a column that is no variable name fails the script and says why', async () => {
  await run(['-e', "CREATE TABLE gs_e (k INTEGER PRIMARY KEY);\nINSERT INTO gs_e VALUES (1), (2);"])
  const none = await run(['-e', 'SELECT k FROM gs_e WHERE k < 0 \\gset\n\\echo not-reached'])
  assert.is(none.code, 1, none.why)
  assert.match(none.stderr, /^\\gset: no rows returned for \\gset\n$/, none.why)
  assert.not.ok(none.stdout.includes('not-reached'), none.why)
  const many = await run(['-e', 'SELECT k FROM gs_e\n\\gset'])
  assert.is(many.code, 1, many.why)
  assert.match(many.stderr, /\\gset: more than one row returned for \\gset/, many.why)
  const bad = await run(['-e', 'SELECT 1 AS fine, COUNT(*) FROM gs_e \\gset\n\\echo not-reached'])
  assert.is(bad.code, 1, bad.why)
  assert.match(bad.stderr, /\\gset: invalid variable name "COUNT\(\*\)" for column "COUNT\(\*\)"[^\n]*name the column with AS[^\n]*no variable was set/i, bad.why)
  const held = await run(['-e', 'BEGIN;\nSELECT 1 AS a \\gset\nCOMMIT;'])
  assert.is(held.code, 1, held.why)
  assert.match(held.stderr, /\\gset: not inside a BEGIN block/, held.why)
  const args = await run(['-e', 'SELECT 1 AS a \\gset p q'])
  assert.is(args.code, 1, args.why)
  assert.match(args.stderr, /\\gset: too many arguments/, args.why)
})


test('REPL: SELECT … \\gset is one history entry; a failed \\gset changes no variable and the session goes on; none runs in a skipped branch', async () => {
  const { out, err, input, history, ran } = replOnPipes((server as ServerProcess).url, tmp.dir)
  input.write('\\set a kept\n')
  input.write("SELECT 'set' AS a, 7 AS b \\gset\n")
  input.write('\\echo first :a :b\n')
  input.write('SELECT 8 AS a, NULL AS b FROM (SELECT 1 UNION ALL SELECT 2) AS two \\gset\n')
  input.write('SELECT 9 AS a, 1 + 1 \\gset\n')
  input.write('SELECT 10 AS a\n')
  input.write('  WHERE 1 = 0\n')
  input.write('\\gset\n')
  input.write('\\echo after :a :b\n')
  input.write('SELECT NULL AS b \\gset\n')
  input.write('\\echo last :{?b}\n')
  input.write('\\if false\n')
  input.write('SELECT 5 AS sk \\gset\n')
  input.write('\\endif\n')
  input.write('\\echo skipped :{?sk}\n')
  input.end()
  assert.is(await ran, 0)
  const all = out.join('') + err.join('')
  assert.ok(all.includes('first set 7\n'), all)
  assert.ok(err.join('').includes('\\gset: more than one row returned for \\gset'), all)
  assert.match(err.join(''), /\\gset: invalid variable name "[^"]+" for column/, all)
  assert.ok(err.join('').includes('\\gset: no rows returned for \\gset'), all)
  assert.ok(all.includes('after set 7\n'), all)
  assert.ok(all.includes('last FALSE\n'), all)
  assert.ok(all.includes('skipped FALSE\n'), all)
  assert.not.ok(all.includes(' sk\n'), all)
  // As \\g's: typed on one line, one entry with its \\gset; on a line of its own, an entry of its own.
  assert.equal(history.all(), ['\\set a kept', "SELECT 'set' AS a, 7 AS b \\gset", '\\echo first :a :b',
    'SELECT 8 AS a, NULL AS b FROM (SELECT 1 UNION ALL SELECT 2) AS two \\gset', 'SELECT 9 AS a, 1 + 1 \\gset',
    '\\gset', 'SELECT 10 AS a\n  WHERE 1 = 0', '\\echo after :a :b', 'SELECT NULL AS b \\gset', '\\echo last :{?b}',
    '\\if false', 'SELECT 5 AS sk \\gset', '\\endif', '\\echo skipped :{?sk}'])
})

test('REPL: \\gset sending a line of several statements again, a later one failing: the earlier result, then the error, in statement order', async () => {
  const { both, err, input, ran } = replOnPipes((server as ServerProcess).url, tmp.dir)
  input.write('\\set second kept\n')
  input.write('SELECT 1 AS first_held; SELECT nosuch FROM nowhere_gs;\n')
  input.write('\\gset\n')
  input.write('\\echo second=:second\n')
  input.end()
  assert.is(await ran, 0)
  const all = both.join('')
  // Each time: the first statement's table, then the second's error (psql prints a \gset's earlier results as they come).
  const marks = [...all.matchAll(/^ first_held$|^ERROR UNKNOWN_TABLE/gm)].map((m) => m[0])
  assert.equal(marks, [' first_held', 'ERROR UNKNOWN_TABLE', ' first_held', 'ERROR UNKNOWN_TABLE'], all)
  assert.is(all.split('(1 row)').length - 1, 2, all)
  assert.ok(all.includes('second=kept\n'), all)
  assert.not.ok(err.join('').includes('\\gset:'), all)
})

test.run()
