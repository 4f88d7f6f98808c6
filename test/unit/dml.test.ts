// UPDATE / DELETE by key (SQLite evaluates the expressions over the row, in the workers), over all
// partitions (at a batch boundary, on the coordinator), BEGIN … COMMIT as `multi`, and catalog reads.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import type { DataTxn, TxnInput, TxnOutcome, TxnResult } from '../../src/txn/types.js'
import { openBank } from '../support/bank.js'
import { tempDir } from '../support/tmp.js'

const e = (sql: string, ...values: (bigint | number | string | null)[]) => ({ sql, values })

async function ok(db: EmbeddedDatabase, input: TxnInput): Promise<TxnResult> {
  const o = await db.submit(input)
  if (!o.ok) throw new Error(`${o.failure.code}: ${o.failure.message}`)
  return o.result
}

async function fails(db: EmbeddedDatabase, input: TxnInput): Promise<Extract<TxnOutcome, { ok: false }>> {
  const o = await db.submit(input)
  assert.ok(!o.ok, `expected ${input.kind} to fail`)
  return o as Extract<TxnOutcome, { ok: false }>
}

async function balances(db: EmbeddedDatabase): Promise<Record<string, unknown>> {
  const rows = await ok(db, { kind: 'select', table: 'account', sql: 'SELECT "id", "balance" FROM "account$all" ORDER BY "id"', values: [] })
  return Object.fromEntries((rows.rows ?? []).map((r) => [r[0], Number(r[1])]))
}

for (const [name, opts] of [['SQLite, 2 workers', { workers: 2 }], ['memory', { memory: true }]] as [string, OpenOptions][]) {
  test(`${name}: UPDATE and DELETE by key and over all partitions`, async () => {
    const tmp = opts.memory ? null : tempDir()
    const db = await openBank({ ...opts, ...(tmp ? { dir: tmp.dir } : {}) })
    try {
      await db.insert('account', [['a', 10], ['b', 0], ['c', 25], ['d', 5]])
      assert.is((await ok(db, { kind: 'update', table: 'account', key: 'a', sets: [{ column: 'balance', expr: e('"balance" + ?', 5n) }], where: e('"balance" > ?', 0n) })).rowsAffected, 1)
      assert.is((await ok(db, { kind: 'update', table: 'account', key: 'b', sets: [{ column: 'balance', expr: e('"balance" + ?', 5n) }], where: e('"balance" > ?', 0n) })).rowsAffected, 0, 'WHERE false')
      assert.is((await ok(db, { kind: 'update', table: 'account', key: 'zz', sets: [{ column: 'balance', expr: e('?', 1n) }], where: null })).rowsAffected, 0, 'absent row')
      // Affinity as on a real table: an INTEGER column equals the text '5'.
      assert.is((await ok(db, { kind: 'delete', table: 'account', key: 'd', where: e('"balance" = ?', '5') })).rowsAffected, 1)
      assert.equal(await balances(db), { a: 15, b: 0, c: 25 })
      assert.is((await ok(db, { kind: 'update-scan', table: 'account', sets: [{ column: 'balance', expr: e('"balance" * ?', 2n) }], where: e('"balance" >= ?', 10n) })).rowsAffected, 2)
      assert.equal(await balances(db), { a: 30, b: 0, c: 50 })
      assert.is((await ok(db, { kind: 'delete-scan', table: 'account', where: e('"balance" < ?', 40n) })).rowsAffected, 2)
      assert.equal(await balances(db), { c: 50 })
      assert.is((await ok(db, { kind: 'delete-scan', table: 'account', where: null })).rowsAffected, 1)
      assert.equal(await balances(db), {})
    } finally {
      await db.close()
      tmp?.cleanup()
    }
  })
}

test('UPDATE checks types, NOT NULL and the key, by key and over all partitions', async () => {
  const db = await openBank({ memory: true })
  try {
    await db.insert('account', [['a', 1], ['b', 2]])
    const set = (expr: ReturnType<typeof e>, column = 'balance') => [{ column, expr }]
    assert.is((await fails(db, { kind: 'update', table: 'account', key: 'a', sets: set(e('?', 'ten')), where: null })).failure.code, 'TYPE_MISMATCH')
    assert.is((await fails(db, { kind: 'update', table: 'account', key: 'a', sets: set(e('NULL')), where: null })).failure.code, 'CONSTRAINT')
    assert.is((await fails(db, { kind: 'update', table: 'account', key: 'a', sets: set(e('?', 'z'), 'id'), where: null })).failure.code, 'CONSTRAINT')
    assert.is((await fails(db, { kind: 'update', table: 'account', key: 'a', sets: set(e('1'), 'nope'), where: null })).failure.code, 'UNKNOWN_COLUMN')
    assert.is((await fails(db, { kind: 'update-scan', table: 'account', sets: set(e('?', 'ten')), where: null })).failure.code, 'TYPE_MISMATCH')
    const full = await fails(db, { kind: 'update-scan', table: 'account', sets: set(e('NULL')), where: e('"id" = ?', 'b') })
    assert.is(full.failure.code, 'CONSTRAINT')
    assert.ok(full.commit !== undefined)
    assert.equal(await balances(db), { a: 1, b: 2 }, 'a failed UPDATE changes nothing')
  } finally {
    await db.close()
  }
})

test('multi (BEGIN … COMMIT): all steps commit together, or none', async () => {
  const db = await openBank({ memory: true })
  try {
    await db.insert('account', [['a', 10]])
    const steps: DataTxn[] = [
      { kind: 'update', table: 'account', key: 'a', sets: [{ column: 'balance', expr: e('"balance" - ?', 3n) }], where: null },
      { kind: 'insert', table: 'account', columns: null, rows: [['b', 3n]], replace: false },
      { kind: 'call', fn: 'account.deposit', key: 'b', args: [1n] },
      { kind: 'get', table: 'account', key: 'b' },
    ]
    const r = await ok(db, { kind: 'multi', steps })
    assert.equal(r.steps?.map((s) => s.rowsAffected), [1, 1, 0, 0])
    assert.is(r.steps?.[2]?.value, 4n, 'a later step sees the earlier steps')
    assert.equal(r.steps?.[3]?.rows, [['b', 4n]])
    const bad = await fails(db, { kind: 'multi', steps: [steps[0] as DataTxn, { kind: 'insert', table: 'account', columns: null, rows: [['a', 1n]], replace: false }] })
    assert.is(bad.failure.code, 'DUPLICATE_KEY')
    assert.equal(await balances(db), { a: 7, b: 4 }, 'the failed transaction left nothing behind')
  } finally {
    await db.close()
  }
})

test('SHOW TABLES, SHOW FUNCTIONS and DESCRIBE list the catalog', async () => {
  const db = await openBank({ memory: true, partitions: 4 })
  try {
    const tables = await ok(db, { kind: 'show-tables' })
    assert.equal(tables.columns, ['name', 'partitions', 'key', 'columns'])
    assert.equal(tables.rows, [['account', 4n, 'id', 2n]])
    const fns = await ok(db, { kind: 'show-functions' })
    assert.equal(fns.columns, ['name', 'table', 'export', 'runtime', 'fuel', 'memory', 'module_hash'])
    const deposit = fns.rows?.find((r) => r[0] === 'account.deposit')
    assert.equal(deposit?.slice(0, 6), ['account.deposit', 'account', 'deposit', 'js', 10_000_000n, 16n * 1024n * 1024n])
    assert.match(String(deposit?.[6]), /^[0-9a-f]{64}$/)
    const d = await ok(db, { kind: 'describe', table: 'account' })
    assert.equal(d.rows, [['id', 'TEXT', 1n, null, 1n], ['balance', 'INTEGER', 1n, '0', 0n]])
    assert.is((await fails(db, { kind: 'describe', table: 'nope' })).failure.code, 'UNKNOWN_TABLE')
  } finally {
    await db.close()
  }
})

test('INSERT without a column list giving more or fewer values than the table has columns: SYNTAX_ERROR at the row (at the first extra value), nothing sequenced; an unknown column of the list at its name', async () => {
  const db = await openBank({ memory: true })
  try {
    const before = db.engine.stats.batches
    for (const [sql, column] of [["INSERT INTO account VALUES ('only');", 29], ["INSERT INTO account VALUES ('a', 1, 3), ('b', 2, 4);", 37]] as const) {
      const err = await db.sql(sql).then(() => null, (e: unknown) => e as AcheronError)
      assert.ok(err instanceof AcheronError, sql)
      assert.is(err.code, 'SYNTAX_ERROR', err.message)
      assert.equal([err.line, err.column, err.commit], [1, column, undefined], err.message)
    }
    const short = await db.sql("INSERT INTO account VALUES ('only');").catch((e: AcheronError) => e.message)
    assert.is(short, 'table account has 2 columns but 1 value was supplied (id, balance); name the columns to give fewer')
    // Too many: naming the columns cannot help, so the message does not say to; the caret is at the first extra value.
    const long = await db.sql("INSERT INTO account VALUES ('a', 1, 3)").catch((e: AcheronError) => e.message)
    assert.is(long, 'table account has 2 columns but 3 values were supplied (id, balance)')
    // An unknown column of the list is reported where it is written, not at the table.
    const unknown = await db.sql("INSERT INTO account (id,\n   nope) VALUES ('a', 1)").then(() => null, (e: unknown) => e as AcheronError)
    assert.equal([unknown?.code, unknown?.line, unknown?.column, unknown?.statement], ['UNKNOWN_COLUMN', 2, 4, 0])
    const unknownSelect = await db.sql("INSERT INTO account (nope) SELECT 1").then(() => null, (e: unknown) => e as AcheronError)
    assert.equal([unknownSelect?.code, unknownSelect?.line, unknownSelect?.column], ['UNKNOWN_COLUMN', 1, 22])
    assert.is(db.engine.stats.batches, before, 'nothing was sequenced')
    // Naming the columns gives fewer.
    assert.equal((await db.sql("INSERT INTO account (id) VALUES ('only');"))[0]?.rowsAffected, 1)
  } finally {
    await db.close()
  }
})

test.run()
