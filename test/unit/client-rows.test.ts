// Object rows of `query(..., { rows: 'objects' })` (src/client/rows.ts), and the types of call<T>() and
// query<Row>(): the type checks below are compiled by the build (`tsc`), so a wrong type fails `npm test`
// before any suite runs; the functions holding them are never called.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkRowsOption, objectRows } from '../../src/client/rows.js'
import { AcheronError, open, type EmbeddedDatabase, type ObjectRow, type RemoteDatabase, type RemoteQueryResult, type SqlValue } from '../../src/index.js'
import type { Database } from '../../src/database.js'

test('each row is keyed by its column name, values kept as decoded', () => {
  const blob = new Uint8Array([1, 2])
  const rows = objectRows(['id', 'n', 'big', 'b', 'none'], [['a', 1, 2n ** 60n, blob, null], ['b', 2.5, 0, new Uint8Array(), null]])
  assert.equal(rows, [
    { id: 'a', n: 1, big: 2n ** 60n, b: blob, none: null },
    { id: 'b', n: 2.5, big: 0, b: new Uint8Array(), none: null },
  ])
  assert.is(rows[0]?.b, blob, 'the same Uint8Array, not a copy')
})

test('no rows, no objects; columns keep their order as keys', () => {
  assert.equal(objectRows(['a', 'b'], []), [])
  assert.equal(Object.keys(objectRows(['z', 'a', 'm'], [[1, 2, 3]])[0] ?? {}), ['z', 'a', 'm'])
})

test('checkRowsOption: arrays, objects or absent; anything else TYPE_MISMATCH (the remote client checks it the same way)', () => {
  checkRowsOption({})
  checkRowsOption({ rows: 'arrays' })
  checkRowsOption({ rows: 'objects' })
  checkRowsOption(undefined)
  try {
    checkRowsOption({ rows: 'Objects' } as unknown as { rows: 'objects' })
    assert.unreachable('accepted')
  } catch (e) {
    assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
  }
})

test('open() and query() refuse a misspelt option by name (open({ directory }) made ./acheron-data instead), and an interval no timer keeps', async () => {
  const e = await open({ directory: '/tmp/never' } as never).then(() => null, (err: AcheronError) => err)
  assert.equal([e?.code, e?.message.startsWith("open() has no option 'directory' (its options: dir, memory, ")], ['TYPE_MISMATCH', true], e?.message)
  // An interval Node's timers cannot keep fired after 1 ms (a checkpoint all the time): refused by name.
  for (const name of ['checkpointIntervalMs', 'traceBaseIntervalMs'] as const) {
    const big = await open({ memory: true, [name]: 2 ** 31 }).then(() => null, (err: AcheronError) => err)
    assert.equal([big?.code, big?.message], ['CONSTRAINT', `${name} must be an integer from 0 to 2147483647 ms, got 2147483648`])
  }
  assert.throws(() => checkRowsOption({ row: 'objects' } as never), (err: AcheronError) => err.code === 'TYPE_MISMATCH' && err.message === "query() has no option 'row' (its options: rows)")
})

test('query() options that are no object are TYPE_MISMATCH: null was a TypeError, a string such as \'objects\' silently gave arrays', async () => {
  for (const options of [null, 'objects', 5, ['rows']]) {
    assert.throws(() => checkRowsOption(options as never), (err: unknown) => err instanceof AcheronError && err.code === 'TYPE_MISMATCH' &&
      err.message.startsWith('query() options is an object ({ rows }), got '), String(options))
  }
  const db = await open({ memory: true })
  try {
    for (const options of [null, 'objects']) {
      const e = await db.query('SELECT 1 AS one', [], options as never).then(() => null, (err: unknown) => err)
      assert.ok(e instanceof AcheronError, `${String(options)}: ${String(e)}`)
      assert.is(e.code, 'TYPE_MISMATCH')
    }
  } finally {
    await db.close()
  }
})

test('a repeated column name keeps the later value', () => {
  assert.equal(objectRows(['id', 'id', 'x'], [[1, 2, 3]]), [{ id: 2, x: 3 }])
})

test('a column named __proto__ is an own key, not the prototype', () => {
  const [row] = objectRows(['__proto__', 'constructor'], [['p', 'c']])
  assert.ok(row !== undefined)
  assert.is(Object.getPrototypeOf(row), Object.prototype)
  assert.equal(Object.keys(row), ['__proto__', 'constructor'])
  assert.is(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 'p')
})

test('a row whose length differs from the columns is an INTERNAL error, not a silently shifted object', () => {
  try {
    objectRows(['a', 'b'], [[1, 2], [1]])
    assert.unreachable('expected a throw')
  } catch (e) {
    assert.instance(e, AcheronError)
    assert.is((e as AcheronError).code, 'INTERNAL')
    assert.match((e as AcheronError).message, 'row 1 has 1 values for 2 columns')
  }
})

test('open() gives object rows too: { rows: \'objects\' } was silently ignored embedded', async () => {
  const db = await open({ memory: true, partitions: 2 })
  try {
    await db.sql("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2)")
    const q = await db.query('SELECT id, n AS count FROM t ORDER BY id', [], { rows: 'objects' })
    assert.equal(q.columns, ['id', 'count'])
    assert.equal(q.rows, [{ id: 'a', count: 1 }, { id: 'b', count: 2 }])
    assert.equal((await db.query('SELECT id FROM t ORDER BY id', [], { rows: 'arrays' })).rows, [['a'], ['b']])
    assert.equal((await db.query('SELECT id FROM t ORDER BY id')).rows, [['a'], ['b']])
    // From JavaScript a misspelt option silently gave arrays: it is refused, before anything runs.
    for (const rows of ['object', 'maps', 1]) {
      try {
        await db.query('SELECT id FROM t', [], { rows } as unknown as { rows: 'arrays' })
        assert.unreachable(`rows: ${String(rows)} accepted`)
      } catch (e) {
        assert.instance(e, AcheronError)
        assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
        assert.match((e as AcheronError).message, `query() options.rows is 'arrays' or 'objects', got ${JSON.stringify(rows)}`)
      }
    }
  } finally {
    await db.close()
  }
})

// ---- types (checked by tsc; never run) ----------------------------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function expectType<T extends true>(): T | undefined { return undefined }

export async function typesOfTheRemoteClient(db: RemoteDatabase): Promise<void> {
  const untyped = await db.call('t.f', 'k')
  expectType<Equal<typeof untyped.value, unknown>>()
  const n = await db.call<number>('t.f', 'k', 1)
  expectType<Equal<typeof n.value, number>>()
  const logged = await db.callWithLogs<string>('t.f', 'k')
  expectType<Equal<typeof logged.value, string>>()
  expectType<Equal<typeof logged.logs, string[]>>()
  // @ts-expect-error a call<number>() value is not a string
  const s: string = n.value
  void s

  const arrays = await db.query('SELECT 1 AS one FROM t')
  expectType<Equal<typeof arrays, RemoteQueryResult<unknown[]>>>()
  const tuples = await db.query<[string, number]>('SELECT id, n FROM t', [])
  expectType<Equal<typeof tuples.rows, [string, number][]>>()
  const explicitArrays = await db.query('SELECT 1 AS one FROM t', [], { rows: 'arrays' })
  expectType<Equal<typeof explicitArrays.rows, unknown[][]>>()
  const objects = await db.query('SELECT id FROM t', [], { rows: 'objects' })
  expectType<Equal<typeof objects.rows, ObjectRow[]>>()
  expectType<Equal<ObjectRow, Record<string, SqlValue>>>()
  const typed = await db.query<{ id: string; n: number }>('SELECT id, n FROM t', undefined, { rows: 'objects' })
  expectType<Equal<typeof typed.rows, { id: string; n: number }[]>>()
  // @ts-expect-error a typed object row has no column it did not declare
  void typed.rows[0]?.missing
  // @ts-expect-error rows is 'arrays' or 'objects'
  await db.query('SELECT 1 FROM t', [], { rows: 'maps' })
  const chosenAtRunTime: { rows?: 'arrays' | 'objects' } = {}
  const either = await db.query('SELECT 1 FROM t', [], chosenAtRunTime)
  expectType<Equal<typeof either.rows, (unknown[] | ObjectRow)[]>>()

  // The remote client is still a Database: code written against the interface takes it unchanged.
  const asDatabase: Database = db
  void asDatabase
}

export async function typesOfTheEmbeddedDatabase(db: EmbeddedDatabase): Promise<void> {
  const arrays = await db.query('SELECT 1 AS one FROM t')
  expectType<Equal<typeof arrays.rows, unknown[][]>>()
  const objects = await db.query('SELECT id FROM t', [], { rows: 'objects' })
  expectType<Equal<typeof objects.rows, ObjectRow[]>>()
  const typed = await db.query<{ id: string }>('SELECT id FROM t', undefined, { rows: 'objects' })
  expectType<Equal<typeof typed.rows, { id: string }[]>>()
  const asDatabase: Database = db
  void asDatabase
}

test.run()
