// A request that fails on an execution worker for a reason outside its transactions (a runtime's bug)
// voids its batch; its clients hear the error's name and message, on one line, and the worker's stack goes
// to the server's log only. The stack used to be the tail of the clients' message.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { AcheronError } from '../../src/index.js'
import { openBank } from '../support/bank.js'
import { tempDir } from '../support/tmp.js'

test('a runtime bug on a worker: the client hears its name and message, the log gets the worker\'s stack', async () => {
  const tmp = tempDir()
  const lines: string[] = []
  const db = await openBank({ dir: tmp.dir, workers: 2, log: (line) => lines.push(line) })
  try {
    const err = await db.call('account.crash', 'alice').then(() => null, (e: unknown) => e)
    assert.ok(err instanceof AcheronError, String(err))
    assert.is(err.code, 'INTERNAL')
    assert.match(err.message, /^batch not committed: execution worker failed: EnvironmentFailure: transaction \d+ could not execute: runtime bug$/)
    assert.is(err.retryable, true)
    const logged = lines.find((l) => l.includes('failed and was not committed'))
    assert.ok(logged !== undefined, lines.join('\n'))
    assert.match(logged, /could not execute: runtime bug\n {2}on the worker: EnvironmentFailure: transaction \d+ could not execute: runtime bug\n {4}at /, 'the worker\'s stack, in the log')
    assert.is((await db.call('account.deposit', 'alice', 5)).value, 5, 'the engine serves on')
  } finally {
    await db.close()
    tmp.cleanup()
  }
})

test.run()
