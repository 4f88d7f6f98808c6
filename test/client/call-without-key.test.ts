// call('t.f') without a key, embedded and remote: it said "key: unsupported value undefined; a value is a
// number, …", which did not say that a function runs at a key and so needs one. Now a TYPE_MISMATCH saying
// so, from both, before anything runs (nothing is sent, nothing is sequenced).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

const NO_KEY = "call('t.f') was given no key: a function runs at the row of a key, so call(fn, key, ...args), e.g. call('t.f', 'alice')"

let server: ServerProcess | null = null
test.after(async () => {
  await server?.kill()
})

/** What a JavaScript caller (no type checker) can write: call('t.f'). */
interface LooseCalls {
  call(fn: string, ...rest: unknown[]): Promise<unknown>
  callWithLogs(fn: string, ...rest: unknown[]): Promise<unknown>
}

async function assertNoKey(db: LooseCalls): Promise<void> {
  for (const attempt of [() => db.call('t.f'), () => db.callWithLogs('t.f'), () => db.call('t.f', undefined, 1)]) {
    const failed = await (attempt as () => Promise<unknown>)().then(() => null, (e: unknown) => e)
    assert.instance(failed, AcheronError)
    assert.is((failed as AcheronError).code, 'TYPE_MISMATCH')
    assert.is((failed as AcheronError).message, NO_KEY)
  }
}

test('embedded: call without a key says a call needs one', async () => {
  const db = await open({ memory: true })
  try {
    await assertNoKey(db as unknown as LooseCalls)
  } finally {
    await db.close()
  }
})

test('remote: the same words, before anything is sent', async () => {
  server = await startServer({ args: ['--partitions', '1', '--workers', '1'] })
  const db = await connect(server.url)
  try {
    await assertNoKey(db as unknown as LooseCalls)
  } finally {
    await db.close()
  }
})

test.run()
