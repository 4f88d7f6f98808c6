// acheron demo: its exit status says whether it showed what it says (src/cli/demo.ts). It counted every
// refused transfer (OVERLOADED past the engine's bound on waiting transactions) as "aborted by their own
// logic", and exited 0 when every statement had failed on someone else's account table.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runDemo } from '../../src/cli/demo.js'
import { open } from '../../src/index.js'
import { describeRun, runCli } from '../console/support.js'
import { tempDir } from '../support/tmp.js'

test('the transfers: committed, rolled back by the function, and refused are told apart; a refusal fails the demo', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const lines: string[] = []
    // An engine that lets 50 transactions wait: most of 4,000 transfers in flight are refused.
    const ok = await runDemo({ dir, sync: 'off', transfers: 4000, pendingTxnsMax: 50, out: (l) => lines.push(l) })
    const summary = lines.find((l) => l.startsWith('4000 CALL account.transfer')) ?? lines.join('\n')
    const m = /: (\d+) committed, (\d+) rolled back by their own logic, refused: (\d+) OVERLOADED$/.exec(summary)
    assert.ok(m !== null, summary)
    assert.is(Number(m[1]) + Number(m[2]) + Number(m[3]), 4000, summary)
    assert.ok(Number(m[3]) > 0, summary)
    assert.is(ok, false)
    assert.ok(lines.includes(`demo failed: transfers were refused: ${m[3]} OVERLOADED`), lines.join('\n'))
    // The money is still all there: a refused transfer did nothing.
    assert.match(lines.join('\n'), /^ {2}-> 16000 \| 16 /m)
  } finally {
    cleanup()
  }
})

test('a data directory whose account table is another program\'s: the demo says what failed and exits 1', async () => {
  const { dir, cleanup } = tempDir()
  const own = tempDir()
  try {
    const db = await open({ dir })
    await db.sql('CREATE TABLE account (id INTEGER PRIMARY KEY, owner TEXT)')
    await db.close()
    const args = ['demo', '--data', dir, '--transfers', '20', '--sync', 'off']
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    assert.match(r.stdout, /demo failed: INSERT OR REPLACE INTO account VALUES \('user00', 1000\), [^\n]*… failed: TYPE_MISMATCH/)
    // Its transfers are not run on a table they cannot use.
    assert.not.match(r.stdout, /CALL account\.transfer\(\.\.\.\)/)
    // A demo that did what it shows exits 0, also run again on its own directory.
    const again = ['demo', '--data', own.dir, '--transfers', '50', '--sync', 'off']
    for (let i = 0; i < 2; i++) {
      const ok = await runCli(again)
      assert.is(ok.code, 0, describeRun(again, ok))
      assert.match(ok.stdout, /50 CALL account\.transfer\(\.\.\.\), up to 50 at once, in [\d.]+ s \(\d+ txn\/s\): \d+ committed, \d+ rolled back by their own logic\n/)
    }
  } finally {
    cleanup()
    own.cleanup()
  }
})

test.run()
