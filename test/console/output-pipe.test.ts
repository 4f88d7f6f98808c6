// psql's \o |COMMAND (later results into a command's stdin, the command waited for at \o and at the end)
// and \qecho (a line where results go), in scripts against a real `acheron serve`.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { shellQuote, type Run, runConsole } from './support.js'

let server: ServerProcess | null = null
const tmp = tempDir('acheron-console-opipe-')
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after(async () => {
  await server?.kill()
  tmp.cleanup()
})

const run = (args: string[]): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args)

test('\\o |COMMAND: later results go to COMMAND\'s stdin until \\o, which waits for it; notes stay on the screen', async () => {
  const r = await run([
    '-e', "SELECT 'before' AS w;",
    '-e', '\\o |tr a-z A-Z',
    '-e', "SELECT 'piped' AS w;",
    '-e', '\\echo a note',
    '-e', '\\o',
    '-e', "SELECT 'after' AS w;",
  ])
  assert.is(r.code, 0, r.why)
  assert.is(r.stderr, '', r.why)
  // \o waited for tr: its output comes before what runs after \o, and only the piped result is upper case.
  assert.match(r.stdout, /^ +w\n-+\n before\n\(1 row\) {2}commit [^\n]+\n\na note\n +W\n-+\n PIPED\n\(1 ROW\) {2}COMMIT [^\n]+\n\n +w\n-+\n after\n/, r.why)
})

test('\\o |COMMAND left open: the console closes its stdin at the end and waits for it; \\qecho goes there too', async () => {
  const out = join(tmp.dir, 'late.txt')
  // The command writes its file only a moment after its input ends: the console must wait for it.
  const r = await run(['-e', `\\o |sleep 0.5; cat > ${shellQuote(out)}`, '-e', '\\qecho first line', '-e', 'SELECT 2 AS n;'])
  assert.is(r.code, 0, r.why)
  assert.is(r.stdout, '', r.why)
  assert.match(readFileSync(out, 'utf8'), /^first line\n n\n---\n 2\n\(1 row\)/)
})

test('\\qecho: its words to stdout without \\o, to the \\o file with it (where \\echo stays on the screen); with --json on stderr', async () => {
  const file = join(tmp.dir, 'q.txt')
  const r = await run(['-e', "\\qecho 'to stdout'", '-e', `\\o ${file}`, '-e', '\\qecho into :the file', '-e', '\\echo on screen', '-e', '\\o'])
  assert.is(r.code, 0, r.why)
  assert.is(r.stdout, 'to stdout\non screen\n', r.why)
  assert.is(readFileSync(file, 'utf8'), 'into :the file\n')
  const j = await run(['--json', '-e', '\\qecho hello', '-e', 'SELECT 1 AS one;'])
  assert.is(j.code, 0, j.why)
  assert.is(j.stderr, 'hello\n', j.why)
  assert.equal(JSON.parse(j.stdout).rows, [[1]], j.why)
})

test('\\g |COMMAND inside a BEGIN block is refused, as \\g FILE is: its results come at COMMIT, and the command would get nothing', async () => {
  const out = join(tmp.dir, 'held.txt')
  const r = await run(['-e', `BEGIN;\nSELECT 1 AS a \\g |cat > ${shellQuote(out)}\nCOMMIT;`])
  assert.is(r.code, 1, r.why)
  assert.match(r.stderr, /\\g: FILE, \|COMMAND and \\gx not inside a BEGIN block: its results come at COMMIT/, r.why)
  assert.not.ok(existsSync(out), 'the command did not run')
})

test('\\o | without a command is refused', async () => {
  const r = await run(['-e', '\\o |', '-e', 'SELECT 1;'])
  assert.is(r.code, 1, r.why)
  assert.is(r.stderr, '-e #1:1: \\o: a command after | is missing\n', r.why)
})

test.run()
