// The console and function logs: `\logs on|off` sends every CALL WITH LOGS and prints the lines after
// the result (dimmed on a terminal, in the JSON object with --json, on stderr with a failure);
// CREATE FUNCTIONS t.* FROM WASM FILE reads the file here and lists what it registered.
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Printer } from '../../src/console/printer.js'
import { withLogsAppended } from '../../src/console/with-logs.js'
import { startServer, type ServerProcess } from '../support/server-process.js'
import { MAIN, shellQuote, Terminal, type Run, runConsole } from './support.js'

const LOGS_WASM = fileURLToPath(new URL('../../guest/logs.wasm', import.meta.url))
let server: ServerProcess | null = null
const terminals: Terminal[] = []
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  const r = await run(['-e', 'CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0);', '-e', `CREATE FUNCTIONS t.* FROM WASM FILE '${LOGS_WASM}';`])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, / function +\| export\n-+\+-+\n t\.say +\| say\n t\.bump +\| bump\n t\.relay +\| relay\n t\.fail +\| fail\n\(4 rows\)/, r.why)
})
test.after(async () => {
  for (const t of terminals) t.kill()
  await server?.kill()
})

const run = (args: string[]): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args)

test('WITH LOGS in a script: the lines follow the result; without it, none', async () => {
  const r = await run(['-e', "CALL t.say('a', 2) WITH LOGS;", '-e', "CALL t.say('a', 1);"])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, / result\n-+\n +2\n\(1 row\) +commit \{batch: \d+, seq: 0\}\nlog: line 0\nlog: line 1\n\n result\n-+\n +1\n\(1 row\)[^\n]*\n\n$/, r.why)
})

test('\\logs on sends every CALL WITH LOGS, \\logs off stops it; --json carries them in the object', async () => {
  const r = await run(['-e', '\\logs on', '-e', "CALL t.relay('a', 'b', 1);", '-e', '\\logs off', '-e', "CALL t.say('a', 1);"])
  assert.is(r.code, 0, r.why)
  assert.match(r.stdout, /Function logs are on: every CALL is sent WITH LOGS\.\n/, r.why)
  assert.match(r.stdout, /\nlog: relay\nlog: line 0\n/, r.why)
  assert.is(r.stdout.split('log: ').length - 1, 2, `only the first CALL's lines: ${r.why}`)
  assert.match(r.stdout, /Function logs are off\./, r.why)
  const j = await run(['--json', '-e', '\\logs', '-e', "CALL t.say('a', 1) -- a trailing comment", '-e', ';'])
  assert.is(j.code, 0, j.why)
  const line = j.stdout.trim().split('\n').pop() ?? ''
  assert.equal((JSON.parse(line) as { logs?: string[] }).logs, ['line 0'], j.why)
})

test('a failed CALL WITH LOGS prints the lines written before the failure, after the error', async () => {
  const r = await run(['-e', '\\logs on', '-e', "CALL t.fail('a');"])
  assert.is(r.code, 1, r.why)
  assert.match(r.stderr, /ERROR TXN_ABORTED: failing on purpose\n[\s\S]*log: about to abort\n/, r.why)
  const j = await run(['--json', '-e', "CALL t.fail('a') WITH LOGS;"])
  assert.equal((JSON.parse(j.stderr.trim()) as { logs?: string[] }).logs, ['about to abort'], j.why)
})

test('the REPL: \\logs on, then a CALL shows its lines under the result', async () => {
  const t = new Terminal(`${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote((server as ServerProcess).url)}`, { ACHERON_HISTORY: '', PAGER: '' })
  terminals.push(t)
  await t.waitForText('acheron>')
  t.line('\\logs on')
  await t.waitForText('Function logs are on')
  t.line("CALL t.say('r', 3);")
  const screen = await t.waitForText('log: line 2')
  // The screen may be read before the next prompt is drawn: the last line need not end in a newline yet.
  assert.match(screen, /\(1 row\)[^\n]*\nlog: line 0\nlog: line 1\nlog: line 2(\n|$)/, screen)
})

test('pieces: WITH LOGS is appended to one CALL only; lines are dimmed on a terminal only', async () => {
  assert.is(withLogsAppended("CALL t.f('k')"), "CALL t.f('k') WITH LOGS")
  assert.is(withLogsAppended("CALL t.f('k') -- note\n;"), "CALL t.f('k') WITH LOGS -- note\n;")
  assert.is(withLogsAppended("CALL t.f('k') WITH LOGS"), "CALL t.f('k') WITH LOGS")
  assert.is(withLogsAppended('SELECT 1'), 'SELECT 1')
  assert.is(withLogsAppended('CALL t.f('), 'CALL t.f(', 'a syntax error is left for the server to report')
  const result = { columns: ['result'], rows: [[1]], rowsAffected: 0, commit: { batch: 1, seq: 0 }, logs: ['hello'] }
  const capture = (terminal: boolean, env: NodeJS.ProcessEnv): Promise<string> => {
    let out = ''
    const p = new Printer({ out: (s) => { out += s }, err: () => {} }, false, env)
    if (terminal) p.terminal = { size: () => ({ columns: 80, rows: 50 }), handOver: (f) => f() }
    return p.results([result]).then(() => out)
  }
  assert.match(await capture(true, {}), /\x1b\[2mlog: hello\x1b\[22m\n/)
  assert.match(await capture(true, { NO_COLOR: '1' }), /\nlog: hello\n/)
  // no-color.org: an empty NO_COLOR leaves colour on (it turned it off).
  assert.match(await capture(true, { NO_COLOR: '' }), /\x1b\[2mlog: hello\x1b\[22m\n/)
  assert.match(await capture(false, {}), /\nlog: hello\n/)
})

test.run()
