// open({ dir }) with a dir that is no path: `''` failed as Node's bare ENOENT ("stat ''"), a number as a
// TypeError ERR_INVALID_ARG_TYPE, and null opened ./acheron-data in the working directory, silently.
// Failures are AcheronErrors (CONTRACT.md §4): TYPE_MISMATCH naming the option, before anything is
// created, as `acheron serve --data ''` refuses it.
import { readdirSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

test('open() refuses a dir that is no path: TYPE_MISMATCH naming dir, and nothing is created', async () => {
  const tmp = tempDir()
  const cwd = process.cwd()
  process.chdir(tmp.dir)
  try {
    for (const dir of ['', 5, null, ['data']]) {
      const e = await open({ dir } as never).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
      assert.ok(e instanceof AcheronError, `${JSON.stringify(dir)}: ${String(e)}`)
      assert.is(e.code, 'TYPE_MISMATCH')
      assert.match(e.message, /^open\(\) dir is the path of the data directory, a non-empty string, got /)
    }
    assert.equal(readdirSync(tmp.dir), [])
  } finally {
    process.chdir(cwd)
    tmp.cleanup()
  }
})

test.run()
