// open()'s options of the wrong type. `memory: 'yes'` (or 1) is not `true`, so open() opened a data
// directory in ./acheron-data instead, silently: what the caller meant to keep in memory went to disk. A
// protocol that is neither a name nor a Protocol failed as a plain Error, with no code; a number option
// given as text or below zero (`txnWallMsMax: -1`, `resultBytesMax: 'x'`) was taken as it came. Each is
// TYPE_MISMATCH naming the option, before anything is created.
import { readdirSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

const BAD: [string, Record<string, unknown>][] = [
  ['memory', { memory: 'yes' }],
  ['memory', { memory: 1 }],
  ['checkpointAtClose', { memory: true, checkpointAtClose: 'no' }],
  ['protocol', { memory: true, protocol: 5 }],
  ['txnWallMsMax', { memory: true, txnWallMsMax: -1 }],
  ['resultBytesMax', { memory: true, resultBytesMax: 'x' }],
  ['batchIntervalMs', { memory: true, batchIntervalMs: Number.NaN }],
  ['log', { memory: true, log: 5 }],
]

test('open() refuses an option of the wrong type by name, and creates nothing', async () => {
  const tmp = tempDir()
  const cwd = process.cwd()
  process.chdir(tmp.dir)
  try {
    for (const [name, options] of BAD) {
      const e = await open(options as never).then(async (db) => { await db.close(); return null }, (err: unknown) => err)
      assert.ok(e instanceof AcheronError, `${JSON.stringify(options)}: ${String(e)}`)
      assert.is(e.code, 'TYPE_MISMATCH', e.message)
      assert.ok(e.message.startsWith(`open() ${name} is `), e.message)
    }
    assert.equal(readdirSync(tmp.dir), [])
  } finally {
    process.chdir(cwd)
    tmp.cleanup()
  }
})

test('the right types still open: Infinity batches by size only, 0 is a number too', async () => {
  const db = await open({ memory: true, batchIntervalMs: Number.POSITIVE_INFINITY, checkpointIntervalMs: 0, checkpointAtClose: false, log: () => {} })
  try {
    assert.equal((await db.query('SELECT 1 AS one')).rows, [[1]])
  } finally {
    await db.close()
  }
})

test.run()
