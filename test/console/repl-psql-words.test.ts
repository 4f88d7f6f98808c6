// psql's `exit`, `quit` and `help` alone on a line: a newcomer's first words in the REPL. As SQL they only
// left a continuation prompt waiting for a ';'. The REPL runs on pipes here, with a session that records
// what it is sent.
import { PassThrough } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { History } from '../../src/console/history.js'
import { Printer } from '../../src/console/printer.js'
import { Repl } from '../../src/console/repl.js'
import type { Session, UnitOutcome } from '../../src/console/session.js'
import type { Unit } from '../../src/console/units.js'
import { Variables } from '../../src/console/variables.js'

/** How long the REPL may take to answer a line, and to close. */
const RUN_TIMEOUT_MS = 5000

async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + RUN_TIMEOUT_MS; !done() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10))
}

function repl(): { sent: string[]; out: string[]; input: PassThrough; ran: Promise<unknown> } {
  const sent: string[] = []
  const out: string[] = []
  const session = {
  variables: new Variables(),
    run: async (unit: Unit): Promise<UnitOutcome> => {
      sent.push(...unit.statements.map((s) => s.text))
      return { ok: true, elapsedMs: 1, results: unit.statements.map(() => ({ columns: ['x'], rows: [[1]], rowsAffected: 0, commit: { batch: 1, seq: 0 } })) }
    },
  } as unknown as Session
  const printer = new Printer({ out: (t) => out.push(t), err: (t) => out.push(t) }, false, {})
  const input = new PassThrough()
  const output = new PassThrough()
  output.resume()
  const r = new Repl({ session, printer, history: new History(null), input, output, baseDir: '/' })
  const ran = r.run()
  return { sent, out, input, ran: Promise.race([ran, new Promise((res) => setTimeout(() => res('the REPL did not finish'), RUN_TIMEOUT_MS).unref())]) }
}

for (const word of ['exit', 'quit', 'QUIT;', '  exit  ']) {
  test(`'${word}' alone on a line leaves the console (exit 0), sending nothing`, async () => {
    const { sent, input, ran } = repl()
    input.write(`${word}\n`)
    const code = await ran
    input.end()
    assert.is(code, 0)
    assert.equal(sent, [])
  })
}

test("'help' alone on a line prints \\help; inside a statement, exit and help are words of it", async () => {
  const { sent, out, input, ran } = repl()
  input.write('help\n')
  await until(() => out.join('').includes('\\q'))
  assert.match(out.join(''), /\\d/)
  input.write('SELECT\n')
  input.write('exit\n')
  input.write('FROM t;\n')
  await until(() => sent.length > 0)
  input.end()
  assert.is(await ran, 0)
  assert.equal(sent, ['SELECT\nexit\nFROM t;'])
})

test.run()
