// A bug of the console's own in the REPL (an exception while printing a result) is one error line, and
// the session goes on: it used to end with a raw stack trace. The REPL runs on pipes here, with a session
// that answers every statement and a printer that fails once.
import { PassThrough } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { RemoteStatementResult } from '../../src/client/remote.js'
import { History } from '../../src/console/history.js'
import { Printer } from '../../src/console/printer.js'
import { Repl } from '../../src/console/repl.js'
import type { Session, UnitOutcome } from '../../src/console/session.js'
import type { SourceStatement } from '../../src/console/source.js'
import type { Unit } from '../../src/console/units.js'
import { Variables } from '../../src/console/variables.js'

/** How long the REPL may take to answer a line, and to close. */
const RUN_TIMEOUT_MS = 5000

/** Resolves when `done` holds, or after RUN_TIMEOUT_MS (the assertions after it say what was missing). */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + RUN_TIMEOUT_MS; !done() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10))
}

class FailingOncePrinter extends Printer {
  private failed = false

  override async results(results: readonly RemoteStatementResult[], statements: readonly SourceStatement[] = []): Promise<void> {
    if (!this.failed) {
      this.failed = true
      throw new RangeError('Maximum call stack size exceeded')
    }
    await super.results(results, statements)
  }
}

/** Answers each statement with one row: its own text. */
const session = {
  variables: new Variables(),
  run: async (unit: Unit): Promise<UnitOutcome> => ({
    ok: true,
    elapsedMs: 1,
    results: unit.statements.map((s) => ({ columns: ['sent'], rows: [[s.text]], rowsAffected: 0, commit: { batch: 1, seq: 0 } })),
  }),
} as unknown as Session

test('an exception while printing a result: one ERROR line, and the next statement runs', async () => {
  const out: string[] = []
  const err: string[] = []
  const unhandled: string[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(String(reason)) }
  process.on('unhandledRejection', onUnhandled)
  try {
    const printer = new FailingOncePrinter({ out: (t) => out.push(t), err: (t) => err.push(t) }, false, {})
    const input = new PassThrough()
    const output = new PassThrough()
    output.resume()
    const repl = new Repl({ session, printer, history: new History(null), input, output, baseDir: '/' })
    const ran = repl.run()
    input.write('SELECT 1;\n')
    await until(() => err.length > 0 || unhandled.length > 0)
    input.write('SELECT 2;\n')
    await until(() => out.length > 0 || unhandled.length > 0)
    input.end()   // Ctrl-D
    const code = await Promise.race([ran, new Promise((r) => setTimeout(() => r('the REPL did not finish'), RUN_TIMEOUT_MS).unref())])
    assert.equal(unhandled, [])
    assert.equal(err, ['ERROR INTERNAL: the console failed on this input (RangeError: Maximum call stack size exceeded)\n'])
    assert.match(out.join(''), /^ +sent\n-+\n SELECT 2;\n\(1 row\)/)
    assert.is(code, 0)
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

test.run()
