// The engine-level submit() (README, "Using the engine from TypeScript") takes a TxnInput built by hand.
// A call whose key or arguments are not engine values used to reach the batch log's encoder, which threw
// ("varint out of range"): the engine stopped for good and the submitting promise never settled. It is
// TYPE_MISMATCH at submit, and the database goes on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import type { TxnInput } from '../../src/txn/types.js'

const WAIT_MS = 5_000

async function settled(p: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve('not settled'), WAIT_MS) })
  try {
    return await Promise.race([p.then(() => 'accepted', (e: unknown) => e), late])
  } finally {
    clearTimeout(timer)
  }
}

test('a call with a key or arguments that are no engine values is refused, and the engine goes on', async () => {
  const db = await open({ memory: true, partitions: 1 })
  try {
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)')
    const cases: [unknown, RegExp][] = [
      [{ kind: 'call', fn: 't.f', key: { a: 1 }, args: [] }, /^key: unsupported value an object \(Object\); submit\(\) takes engine values/],
      [{ kind: 'call', fn: 't.f', key: 1n, args: 5 }, /^a call's args is an array of values, got 5$/],
      [{ kind: 'call', fn: 't.f', key: 1n }, /^a call's args is an array of values, got undefined$/],
      [{ kind: 'call', fn: 't.f', key: 1n, args: [undefined] }, /^argument 1: unsupported value undefined/],
      [{ kind: 'call', fn: 't.f', key: 1n, args: [true] }, /^argument 1: unsupported value true/],
      [{ kind: 'call', fn: 't.f', key: 2n ** 64n, args: [] }, /^key: unsupported value 18446744073709551616 \(outside 64 bits\)$/],
    ]
    for (const [input, message] of cases) {
      const e = await settled(db.submit(input as TxnInput))
      assert.instance(e, AcheronError, `${String(e)} for ${JSON.stringify(input, (_, x: unknown) => typeof x === 'bigint' ? String(x) : x)}`)
      assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
      assert.match((e as AcheronError).message, message)
      await db.sql('INSERT OR REPLACE INTO t VALUES (1, 1)')
    }
    assert.equal((await db.query('SELECT v FROM t')).rows, [[1]])
  } finally {
    await db.close()
  }
})

test.run()
