// psql's \if / \elif / \else / \endif: the boolean words psql takes, the block states, scripts (-e, -f, \i,
// stdin) against a real `acheron serve`, and the REPL in a real terminal (tmux), whose prompt shows psql's
// `@` in a branch that is skipped.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConditionalStack, parseBoolean } from '../../src/console/conditional.js'
import { promptOf } from '../../src/console/repl.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { MAIN, shellQuote, Terminal, type Run, runConsole } from './support.js'
import { replOnPipes } from './repl-pipes.js'

let server: ServerProcess | null = null
const tmp = tempDir('acheron-console-if-')
const terminals: Terminal[] = []
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

const run = (args: string[], stdin?: string): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args, stdin === undefined ? {} : { stdin })

function file(name: string, lines: readonly string[]): string {
  const path = join(tmp.dir, name)
  writeFileSync(path, lines.join('\n'))
  return path
}

test('parseBoolean takes psql\'s words: true/false, yes/no, on/off, 1/0, any case, unique prefixes', () => {
  for (const t of ['true', 'TRUE', 't', 'tr', 'yes', 'Y', 'on', 'ON', '1']) assert.is(parseBoolean(t), true, t)
  for (const f of ['false', 'f', 'FAL', 'no', 'N', 'off', 'of', '0']) assert.is(parseBoolean(f), false, f)
  // `o` is on and off; a word longer than the name, blanks, other numbers: none.
  for (const bad of ['o', 'truee', 'yess', '', ' true', '2', '01', 'maybe', 'true false']) assert.is(parseBoolean(bad), null, JSON.stringify(bad))
})

test('ConditionalStack: one branch taken at most, expressions read only where they count, nesting in a skipped branch', () => {
  const s = new ConditionalStack()
  const read: string[] = []
  const expr = (name: string, v: boolean | null) => () => (read.push(name), v)
  s.openIf(expr('if', false))
  assert.not.ok(s.active)
  assert.is(s.elif(expr('elif1', true)), null)
  assert.ok(s.active)
  assert.is(s.elif(expr('elif2', true)), null)   // a branch was taken: not read, skipped
  assert.not.ok(s.active)
  s.openIf(expr('nested', true))                  // inside a skipped branch: not read, skipped whole
  assert.not.ok(s.active)
  assert.is(s.otherwise(), null)
  assert.not.ok(s.active)
  assert.is(s.endif(), null)
  assert.is(s.otherwise(), null)                  // the outer block's \else: a branch was taken
  assert.not.ok(s.active)
  assert.is(s.elif(expr('after-else', true)), 'cannot occur after \\else')
  assert.is(s.otherwise(), 'cannot occur after \\else')
  assert.is(s.endif(), null)
  assert.ok(s.active)
  assert.equal(read, ['if', 'elif1'])
  assert.is(s.endif(), 'no matching \\if')
  assert.is(s.elif(expr('none', true)), 'no matching \\if')
  assert.is(s.otherwise(), 'no matching \\if')
  s.openIf(expr('bad', null))                     // not a boolean: the branch is false, \else taken
  assert.not.ok(s.active)
  assert.is(s.otherwise(), null)
  assert.ok(s.active)
  assert.is(s.depth, 1)
})

test('-f: the branch taken runs, the others are neither run nor interpolated; nesting; a statement may go on across the lines', async () => {
  const path = file('if.sql', [
    '\\set on_ prod',
    "\\set bad 'this is no SQL'",
    '\\if yes',
    '  \\echo first',
    '  \\if off',
    '    \\echo nested-false',
    '    SELECT :bad;',
    '  \\elif :\'on_\'',   // 'prod' is no boolean, but this \elif is in a branch taken: read
    '  \\endif',
  ])
  const r = await run(['-f', path])
  assert.is(r.code, 1, r.why)
  assert.is(r.stdout, 'first\n', r.why)
  assert.is(r.stderr, `${path}:8: \\elif: unrecognized value "'prod'" for "\\elif expression": Boolean expected\n`, r.why)

  const ok = file('if-ok.sql', [
    "\\set bad 'this is no SQL'",
    '\\set yes_ 1',
    '\\if :yes_',
    '  \\echo first',
    '  \\if off',
    '    \\echo nested-false',
    '    SELECT :bad;',
    '    \\q',
    '    \\pset format nonsense',
    '  \\elif t',
    '    \\echo nested-elif',
    '  \\else',
    '    \\echo nested-else',
    '  \\endif',
    '\\elif true',
    '  \\echo outer-elif',
    '\\else',
    '  SELECT :bad;',
    '\\endif',
    'SELECT',
    '\\if :yes_',
    '  2',
    '\\else',
    '  3',
    '\\endif',
    '  AS b;',
    '\\if 0',
    "  SELECT 'a \\endif in a string is no meta-command';",
    '  SELECT :bad;',
    '\\endif',
    '\\echo end',
  ])
  const r2 = await run(['-f', ok])
  assert.is(r2.code, 0, r2.why)
  assert.is(r2.stderr, '', r2.why)
  assert.match(r2.stdout, /^first\nnested-elif\n b\n---\n 2\n\(1 row\) {2}commit \{[^}]+\}\n\nend\n$/, r2.why)
})

test('errors: a word that is no boolean stops a script (the branch is false); \\elif, \\else, \\endif without \\if; a file ending inside a block', async () => {
  const bad = await run(['-e', '\\if maybe\nSELECT 1;\n\\endif'])
  assert.is(bad.code, 1, bad.why)
  assert.is(bad.stdout, '', bad.why)
  assert.is(bad.stderr, '\\if: unrecognized value "maybe" for "\\if expression": Boolean expected\n', bad.why)

  for (const [command, message] of [['\\elif true', '\\elif: no matching \\if'], ['\\else', '\\else: no matching \\if'], ['\\endif', '\\endif: no matching \\if']]) {
    const r = await run(['-e', `${command as string}\nSELECT 1;`])
    assert.is(r.code, 1, r.why)
    assert.is(r.stderr, `${message as string}\n`, r.why)
    assert.is(r.stdout, '', r.why)
  }
  const twice = await run(['-e', '\\if true\n\\else\n\\else\n\\endif'])
  assert.is(twice.stderr, '\\else: cannot occur after \\else\n', twice.why)

  // Each file has its blocks, as in psql: an \i file cannot close its includer's, and one left open is said.
  const open = file('open.sql', ['\\if true', "\\echo 'in the block'"])
  const r = await run(['-e', `\\i ${open}\n\\echo after`])
  assert.is(r.code, 1, r.why)
  assert.is(r.stdout, 'in the block\n', r.why)
  assert.is(r.stderr, `${open}: reached the end without finding closing \\endif (1 \\if block open)\n`, r.why)

  // A statement left without its `;` at the end is sent (as before) unless a block is open there.
  const unsent = await run(['-e', "\\if on\n\\echo in\nSELECT 'unsent' AS u"])
  assert.is(unsent.code, 1, unsent.why)
  assert.is(unsent.stdout, 'in\n', unsent.why)

  const piped = await run([], '\\if on\n\\if off\nSELECT 1;\n')
  assert.is(piped.code, 1, piped.why)
  assert.is(piped.stdout, '', piped.why)
  assert.is(piped.stderr, 'stdin: reached the end without finding closing \\endif (2 \\if blocks open)\n', piped.why)
})

test(':{?name} is TRUE or FALSE, whether the variable is set, as psql\'s (for \\if :{?name})', async () => {
  const r = await run(['-e', '\\set a 1\n\\if :{?a}\n\\echo a-set\n\\endif\n\\if :{?b}\n\\echo b-set\n\\else\n\\echo b-unset\n\\endif\n\\echo :{?a} :{?b} :{?} :{?a'])
  assert.is(r.code, 0, r.why)
  assert.is(r.stderr, '', r.why)
  assert.is(r.stdout, 'a-set\nb-unset\nTRUE FALSE :{?} :{?a\n', r.why)
})

test('a failed statement in the branch taken stops the script as anywhere (ON_ERROR_STOP), one in a branch skipped is not sent', async () => {
  const r = await run(['-e', '\\if false\nSELECT nope FROM nothing;\n\\else\nSELECT nope FROM nothing;\n\\echo not-reached\n\\endif'])
  assert.is(r.code, 1, r.why)
  assert.is(r.stdout, '', r.why)
  assert.match(r.stderr, /^ERROR UNKNOWN_TABLE[^\n]*\nLINE 4: SELECT nope FROM nothing;/, r.why)
})

test('the prompt shows psql\'s @ in a branch skipped, and * in a BEGIN block as before', () => {
  assert.is(promptOf({ skipping: false, inBlock: false }), 'acheron> ')
  assert.is(promptOf({ skipping: true, inBlock: false }), 'acheron@> ')
  assert.is(promptOf({ skipping: true, inBlock: true }), 'acheron@*> ')
  assert.is(promptOf({ skipping: false, inBlock: true }), 'acheron*> ')
})

test('REPL: \\if blocks typed at the prompt; a skipped branch shows @ and runs nothing; Ctrl-D inside a block says so', async () => {
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote((server as ServerProcess).url)}`, { ACHERON_HISTORY: '', PAGER: '' })
  terminals.push(t)
  const last = (s: string): string => s.split('\n').pop() ?? ''
  await t.waitFor((s) => last(s) === 'acheron>', 'the prompt')
  t.line('\\set go off')
  t.line('\\if :go')
  await t.waitFor((s) => last(s) === 'acheron@>', 'the @ prompt')
  t.line('\\echo skipped')
  t.line("SELECT 'it''s skipped \\endif';")
  t.line('\\else')
  await t.waitFor((s) => last(s) === 'acheron>', 'the prompt of the branch taken')
  t.line("SELECT 'taken' AS w;")
  await t.waitForText('(1 row)')
  t.line('\\if nonsense')
  await t.waitForText('\\if: unrecognized value "nonsense" for "\\if expression": Boolean expected')
  await t.waitFor((s) => last(s) === 'acheron@>', 'the @ prompt after a bad expression')
  t.line('\\endif')
  t.press('C-d')
  const screen = await t.waitForText('[exited 0]')
  assert.ok(screen.includes('left inside 1 \\if block without its \\endif'), screen)
  assert.not.ok(screen.includes('\nskipped'), screen)
  assert.not.ok(screen.includes("it's skipped"), screen)
  assert.ok(screen.includes(' taken\n(1 row)'), screen)
})

test('REPL: the lines typed in a skipped branch go into the history as in a branch taken (psql keeps every line typed)', async () => {
  const { out, input, history, ran } = replOnPipes((server as ServerProcess).url, tmp.dir)
  input.write('\\if false\n')
  input.write("SELECT 'not run'\n")
  input.write('  AS w;\n')
  input.write('\\echo skipped\n')
  input.write("SELECT 'a;b', 2; SELECT 3 \\gx\n")
  input.write('SELECT 4\n')
  input.write('\\else\n')
  input.write("SELECT 'taken' AS w;\n")
  input.write('\\endif\n')
  input.write('\\echo done\n')
  input.end()
  assert.is(await ran, 0)
  assert.equal(history.all(), [
    '\\if false', "SELECT 'not run'\n  AS w;", '\\echo skipped', "SELECT 'a;b', 2;", 'SELECT 3 \\gx', 'SELECT 4', '\\else',
    "SELECT 'taken' AS w;", '\\endif', '\\echo done',
  ])
  assert.not.ok(out.join('').includes('not run'), out.join(''))
  assert.not.ok(out.join('').includes('skipped\n'), out.join(''))
  assert.ok(out.join('').includes(' taken\n(1 row)'), out.join(''))
})

test.run()
