// open()'s sync, partitions and protocol are checked at open(), as workers is. `sync: true` or 'yes' was
// accepted and matched none of the log's modes, so the log flushed nothing before close (a power loss
// could take acknowledged batches); `partitions: 0` opened and failed each CREATE TABLE later with
// "PARTITIONS must be from 1 to 256", naming no option; an unknown protocol threw a plain Error, no code.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type OpenOptions } from '../../src/index.js'

async function refusal(options: Record<string, unknown>): Promise<AcheronError> {
  const failed = await open({ memory: true, ...options } as OpenOptions).then(async (db) => { await db.close(); return null }, (e: unknown) => e)
  assert.instance(failed, AcheronError, `open(${JSON.stringify(options)}) was accepted`)
  return failed as AcheronError
}

test('sync other than full, normal or off is refused at open()', async () => {
  for (const sync of [true, 'yes', 'FULL', 1]) {
    const e = await refusal({ sync })
    assert.is(e.code, 'CONSTRAINT')
    assert.match(e.message, /^sync must be 'full' \(the default\), 'normal' or 'off', got /)
  }
  assert.match((await refusal({ sync: true })).message, /got true$/)
  assert.match((await refusal({ sync: 'yes' })).message, /got 'yes'$/)
})

test('partitions out of 1..256 is refused at open(), naming the option', async () => {
  for (const partitions of [0, -1, 1.5, 257]) {
    const e = await refusal({ partitions })
    assert.is(e.code, 'CONSTRAINT')
    assert.is(e.message, `partitions must be an integer from 1 to 256 (those of a new table whose CREATE TABLE names none), got ${partitions}`)
  }
})

test('an unknown protocol is an AcheronError with a code', async () => {
  const e = await refusal({ protocol: 'nope' })
  assert.is(e.code, 'CONSTRAINT')
  assert.is(e.message, "unknown protocol 'nope' (known: aria, calvin, serial)")
})

test('the valid values still open', async () => {
  for (const options of [{ sync: 'normal' }, { sync: 'off' }, { partitions: 1 }, { partitions: 256 }, { protocol: 'serial' }] as OpenOptions[]) {
    const db = await open({ memory: true, ...options })
    await db.close()
  }
})

test.run()
