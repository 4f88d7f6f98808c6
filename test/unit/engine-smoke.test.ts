import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/index.js'
import { openBank } from '../support/bank.js'
import { tempDir } from '../support/tmp.js'

for (const workers of [0, 1, 2]) {
  test(`bank transfer commits across keys (workers ${workers})`, async () => {
    const { dir, cleanup } = tempDir()
    const db = await openBank({ dir, workers })
    try {
      await db.insert('account', [['alice', 100], ['bob', 5]])
      const r = await db.call('account.transfer', 'alice', 'bob', 30)
      assert.is(r.value, 70)
      assert.ok(r.commit.batch > 0)
      assert.is((await db.get('account', 'alice')).row?.balance, 70)
      assert.is((await db.get('account', 'bob')).row?.balance, 35)
      try {
        await db.call('account.transfer', 'bob', 'alice', 1000)
        assert.unreachable('should have aborted')
      } catch (e) {
        assert.instance(e, AcheronError)
        assert.is((e as AcheronError).code, 'TXN_ABORTED')
        assert.ok((e as AcheronError).commit !== undefined)
      }
      assert.is((await db.get('account', 'bob')).row?.balance, 35)
    } finally {
      await db.close()
      cleanup()
    }
  })
}

test.run()
