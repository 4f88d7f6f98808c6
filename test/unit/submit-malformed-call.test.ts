// The engine-level submit() (README, "Using the engine from TypeScript") takes a TxnInput built by hand.
// A call whose key or arguments are not engine values used to reach the batch log's encoder, which threw
// ("varint out of range"): the engine stopped for good and the submitting promise never settled. It is
// TYPE_MISMATCH at submit, and the database goes on. So is any other input the log cannot encode (a
// function, a symbol, a cycle: it stopped the engine, "cannot encode a function") or the executor cannot
// read (a row value that is no engine value, a missing field: the whole batch failed as INTERNAL, other
// clients' transactions with it).
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

test('an insert, get, update, delete or multi the log or executor cannot take is refused; the batch it would have shared commits', async () => {
  const db = await open({ memory: true, partitions: 1 })
  try {
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)')
    const cyclic: { kind: 'insert'; table: string; columns: null; rows: unknown[][]; replace: boolean } = { kind: 'insert', table: 't', columns: null, rows: [], replace: false }
    cyclic.rows.push([1n, cyclic])
    const cases: [unknown, RegExp][] = [
      [{ kind: 'insert', table: 't', columns: null, rows: [[1n, () => 1]], replace: false }, /^insert\.rows\[0\]\[1\]: unsupported value a function/],
      [{ kind: 'insert', table: 't', columns: null, rows: [[1n, Symbol('s')]], replace: false }, /^insert\.rows\[0\]\[1\]: unsupported value Symbol\(s\)/],
      [{ kind: 'insert', table: 't', columns: null, rows: [[1n, new Date(0)]], replace: false }, /^insert\.rows\[0\]\[1\]: unsupported value a Date \(1970-01-01T00:00:00\.000Z\)/],
      [{ kind: 'insert', table: 't', columns: null, rows: [[1n, true]], replace: false }, /^insert\.rows\[0\]\[1\]: unsupported value true/],
      [{ kind: 'insert', table: 't', columns: null, rows: [[1n, 2n ** 70n]], replace: false }, /outside 64 bits/],
      [cyclic, /^insert\.rows\[0\]\[1\]: unsupported value an object/],
      [{ kind: 'insert', table: 't', columns: null, replace: false }, /^insert\.rows is an array, got undefined$/],
      [{ kind: 'get', key: 1n }, /^get\.table is a string, got undefined/],
      [{ kind: 'update', table: 't', key: 1n, sets: [{ column: 'v', expr: { sql: '1' } }], where: null }, /^update\.sets\[0\]\.expr\.values is an array, got undefined$/],
      [{ kind: 'delete', table: 't', key: undefined, where: null }, /^delete\.key: unsupported value undefined/],
      [{ kind: 'multi', steps: [{ kind: 'get', table: 't', key: 1n }, { kind: 'call', fn: 't.f', key: 1n, args: [{}] }] }, /^multi\.steps\[1\]: argument 1: unsupported value an object/],
      [{ kind: 'multi', steps: [{ kind: 'select', table: 't' }] }, /^multi\.steps\[0\] is a call, insert, get, select-key, update or delete, got kind select$/],
      [{ kind: 'drop-table', name: 't', ifExists: false, note: () => 1 }, /^note: unsupported value a function/],
    ]
    for (const [input, message] of cases) {
      // Submitted beside a good insert, which would share its batch: the good one commits.
      const good = db.submit({ kind: 'insert', table: 't', columns: null, rows: [[2n, 2n]], replace: true })
      const e = await settled(db.submit(input as TxnInput))
      assert.instance(e, AcheronError, `${String(e)} for ${message}`)
      assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
      assert.match((e as AcheronError).message, message)
      const outcome = await good
      assert.ok(outcome.ok, JSON.stringify(outcome.ok ? null : outcome.failure))
    }
    assert.equal((await db.query('SELECT id, v FROM t')).rows, [[2, 2]])
  } finally {
    await db.close()
  }
})

test.run()
