// A JavaScript value that is no SQL value (an object, an array, a Date, undefined, a function) is refused
// with TYPE_MISMATCH before it runs, embedded and remote alike. The message must say what was passed and
// what a value may be: String() alone gave "unsupported value [object Object]" and, for an array,
// "unsupported value 1,2", which reads like two numbers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open, type Database } from '../../src/index.js'
import { startServer, tempDir } from '../support/server-process.js'

const VALUES = 'a value is a number, a bigint, a string, a boolean, a Uint8Array or null'
const CASES: [unknown, string][] = [
  [{ a: 1 }, 'unsupported value an object (Object)'],
  [[1, 2], 'unsupported value an array of 2'],
  [new Date(Date.UTC(2026, 0, 2)), 'unsupported value a Date (2026-01-02T00:00:00.000Z): pass its toISOString() or getTime()'],
  [undefined, 'unsupported value undefined'],
  [new Map(), 'unsupported value an object (Map)'],
]

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    assert.instance(e, AcheronError)
    assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
    return (e as AcheronError).message
  }
  throw new Error('accepted')
}

async function check(db: Database): Promise<void> {
  for (const [v, said] of CASES) {
    assert.is(await messageOf(db.call('kv.put', 'k', 'x', v)), `argument 2: ${said}; ${VALUES}`)
    assert.is(await messageOf(db.sql('SELECT ?', [v])), `parameter 1: ${said}; ${VALUES}`)
    // An undefined key is no key at all, said as such (test/client/call-without-key.test.ts).
    const keySaid = v === undefined
      ? "call('kv.put') was given no key: a function runs at the row of a key, so call(fn, key, ...args), e.g. call('kv.put', 'alice')"
      : `key: ${said}; ${VALUES}`
    assert.is(await messageOf(db.call('kv.put', v)), keySaid)
  }
  // A bigint past 64 bits keeps its own reason.
  assert.is(await messageOf(db.call('kv.put', 'k', 2n ** 64n)), 'argument 1: unsupported value 18446744073709551616 (outside 64 bits)')
}

test('embedded: an unsupported value is named by what it is', async () => {
  const db = await open({ memory: true, partitions: 1 })
  try {
    await check(db)
  } finally {
    await db.close()
  }
})

test('remote: the same message, before anything is sent', async () => {
  const data = tempDir()
  const server = await startServer({ dataDir: data.dir })
  try {
    const db = await connect(server.url)
    try {
      await check(db)
    } finally {
      await db.close()
    }
  } finally {
    await server.kill()
    data.cleanup()
  }
})

test.run()
