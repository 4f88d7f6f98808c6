/**
 * Real WebAssembly through the real engine (open → createTable → createFunction → call), in worker
 * threads over SQLite and in memory on the calling thread.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { runtimeStats } from '../../src/wasm-exec/runtime.js'
import { tempDir } from '../support/tmp.js'
import { guest, newDb } from './setup.js'
import { abiModule, wat } from './wat.js'

const BANK = ['balance', 'deposit', 'withdraw', 'transfer']

async function openBank(options: OpenOptions): Promise<{ db: EmbeddedDatabase; close: () => Promise<void> }> {
  const tmp = options.memory === true ? null : tempDir()
  const db = await open({ ...options, ...(tmp !== null ? { dir: tmp.dir } : {}) })
  const close = async (): Promise<void> => {
    await db.close()
    tmp?.cleanup()
  }
  try {
    await db.createTable({
      name: 'account', partitions: 4,
      columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }],
    })
    const bytes = guest('bank')
    for (const f of BANK) await db.createFunction(`account.${f}`, bytes, { export: f })
    return { db, close }
  } catch (e) {
    await close()
    throw e
  }
}

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  try {
    await p
  } catch (e) {
    if (e instanceof AcheronError) return e
    throw new Error(`expected an AcheronError, got ${String(e)}`)
  }
  throw new Error('expected a failure, the call succeeded')
}

const balance = async (db: EmbeddedDatabase, id: string): Promise<unknown> => (await db.get('account', id)).row?.balance ?? null

/** Fuel one top-level invocation of account.<fn> uses, measured with the test suite's fake engine. */
function fuelUsed(fn: string, key: string, args: bigint[], row: [string, bigint]): number {
  const fake = newDb()
  fake.createTable('account', [['id', 'TEXT'], ['balance', 'INTEGER', 0n, true]])
  fake.register(`account.${fn}`, guest('bank'))
  fake.put('account', row)
  const r = fake.call(`account.${fn}`, key, args)
  return 10_000_000 - r.fuelLeft
}

for (const config of [{ workers: 2 }, { memory: true }] as OpenOptions[]) {
  const name = config.memory === true ? 'memory' : `workers ${config.workers}`

  test(`engine (${name}): deposit, withdraw and transfer across partitions`, async () => {
    const { db, close } = await openBank(config)
    try {
      assert.is((await db.call('account.deposit', 'alice', 100)).value, 100)
      assert.is((await db.call('account.deposit', 'bob', 5)).value, 5)
      assert.is((await db.call('account.withdraw', 'alice', 30)).value, 70)
      // 20 accounts over 4 partitions: transfers from alice reach every partition.
      for (let i = 0; i < 10; i++) assert.is((await db.call('account.transfer', 'alice', `acct${i}`, 2)).value, 68 - 2 * i)
      assert.is((await db.call('account.transfer', 'bob', 'alice', 5)).value, 0)
      assert.is(await balance(db, 'alice'), 55)
      assert.is(await balance(db, 'bob'), 0)
      for (let i = 0; i < 10; i++) assert.is((await db.call('account.balance', `acct${i}`)).value, 2)
    } finally {
      await close()
    }
  })

  test(`engine (${name}): an abort is TXN_ABORTED with the guest's message and a commit position, nothing changed`, async () => {
    const { db, close } = await openBank(config)
    try {
      await db.call('account.deposit', 'alice', 50)
      await db.call('account.deposit', 'bob', 10)
      const before = await db.digest()
      const e = await failure(db.call('account.withdraw', 'alice', 51))
      assert.is(e.code, 'TXN_ABORTED')
      assert.match(e.message, /insufficient funds/)
      assert.ok(e.commit !== undefined && e.commit.batch > 0)
      const transfer = await failure(db.call('account.transfer', 'alice', 'bob', 0))
      assert.is(transfer.code, 'TXN_ABORTED')
      assert.match(transfer.message, /amount must be positive/)
      assert.is(await balance(db, 'alice'), 50)
      assert.is(await balance(db, 'bob'), 10)
      assert.is(await db.digest(), before)
    } finally {
      await close()
    }
  })

  test(`engine (${name}): OUT_OF_FUEL at the same point on every replay; fuel use is exact`, async () => {
    const { db, close } = await openBank(config)
    try {
      const bytes = guest('bank')
      await db.call('account.deposit', 'alice', 100)
      await db.createFunction('account.starved', bytes, { export: 'transfer', fuel: 200 })
      const errors = await Promise.all([1, 2, 3].map(async () => failure(db.call('account.starved', 'alice', 'bob', 10))))
      for (const e of errors) {
        assert.is(e.code, 'OUT_OF_FUEL')
        assert.is(e.message, errors[0]?.message)
      }
      assert.is(await balance(db, 'alice'), 100)
      assert.is(await balance(db, 'bob'), null)
      // The engine charges exactly what the fake engine measures: that much suffices, one unit less does not.
      const used = fuelUsed('withdraw', 'alice', [10n], ['alice', 100n])
      await db.createFunction('account.exact', bytes, { export: 'withdraw', fuel: used })
      await db.createFunction('account.short', bytes, { export: 'withdraw', fuel: used - 1 })
      assert.is((await failure(db.call('account.short', 'alice', 10))).code, 'OUT_OF_FUEL')
      assert.is((await db.call('account.exact', 'alice', 10)).value, 90)
    } finally {
      await close()
    }
  })

  test(`engine (${name}): registration rejections are AcheronErrors and change nothing`, async () => {
    const { db, close } = await openBank(config)
    try {
      await db.call('account.deposit', 'alice', 100)
      const before = await db.digest()
      const garbage = await failure(db.createFunction('account.garbage', new Uint8Array([0, 1, 2, 3, 4, 5]), { export: 'deposit' }))
      assert.is(garbage.code, 'INVALID_WASM')
      const wasi = wat(`(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1 1) (func (export "deposit")))`)
      const imported = await failure(db.createFunction('account.wasi', wasi, { export: 'deposit' }))
      assert.is(imported.code, 'WASM_IMPORT_NOT_ALLOWED')
      assert.match(imported.message, /wasi_snapshot_preview1\.fd_write/)
      const noExport = await failure(db.createFunction('account.missing', guest('bank'), { export: 'nope' }))
      assert.is(noExport.code, 'INVALID_WASM')
      assert.is((await failure(db.call('account.garbage', 'alice', 1))).code, 'UNKNOWN_FUNCTION')
      assert.is(await db.digest(), before)
      assert.is((await db.call('account.deposit', 'alice', 1)).value, 101)
    } finally {
      await close()
    }
  })
}

test('engine (memory): identical bytes registered under several functions are compiled once per runtime', async () => {
  const runtimes = runtimeStats.runtimesCreated
  const compiled = runtimeStats.modulesCompiled
  const { db, close } = await openBank({ memory: true })
  try {
    await db.call('account.deposit', 'alice', 100)
    await db.call('account.withdraw', 'alice', 1)
    await db.call('account.transfer', 'alice', 'bob', 1)
    await db.call('account.balance', 'alice')
    const created = runtimeStats.runtimesCreated - runtimes
    assert.ok(created >= 1)
    assert.is(runtimeStats.modulesCompiled - compiled, created, `${created} runtimes, 4 functions of one module`)
  } finally {
    await close()
  }
})

/** A deterministic pseudo-random sequence (xorshift32). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

const ACCOUNTS = 20
const INITIAL = 1000

/** 200 random transfers among 20 accounts, in identical batches of 50; returns the final state. */
async function randomTransfers(config: OpenOptions): Promise<{ digest: string; total: number; outcomes: string[]; balances: unknown[] }> {
  const { db, close } = await openBank({ ...config, batchIntervalMs: Infinity })
  try {
    const inserted = db.insert('account', Array.from({ length: ACCOUNTS }, (_, i) => [`a${i}`, INITIAL]))
    db.flush()
    await inserted
    const next = prng(42)
    const pending: Promise<string>[] = []
    for (let group = 0; group < 4; group++) {
      for (let i = 0; i < 50; i++) {
        const from = next() % ACCOUNTS
        const to = (from + 1 + (next() % (ACCOUNTS - 1))) % ACCOUNTS
        const amount = 1 + (next() % 400)
        pending.push(db.call('account.transfer', `a${from}`, `a${to}`, amount).then(
          (r) => `ok ${String(r.value)}`,
          (e: unknown) => (e instanceof AcheronError ? `${e.code} ${e.message}` : `error ${String(e)}`),
        ))
      }
      db.flush()
    }
    const outcomes = await Promise.all(pending)
    const reads = Array.from({ length: ACCOUNTS }, (_, i) => db.get('account', `a${i}`))
    db.flush()
    const balances = (await Promise.all(reads)).map((r) => r.row?.balance)
    const total = balances.reduce((a: number, b) => a + Number(b), 0)
    return { digest: await db.digest(), total, outcomes, balances }
  } finally {
    await close()
  }
}

/** `relay(name, key)`: calls function `name` at `key` (TEXT); `relay(name, key, name2, key2)` has it relay on. */
const RELAY = abiModule(`
  (func (export "relay")
    (call $arg_read (i32.const 0) (i32.const 256))
    (call $call_begin (i32.const 256) (call $arg_len (i32.const 0)))
    (if (i32.eq (call $arg_type (i32.const 1)) (i32.const 3))
      (then (call $arg_read (i32.const 1) (i32.const 512)) (call $call_arg_text (i32.const 512) (call $arg_len (i32.const 1))))
      (else (call $call_arg_null)))
    (if (i32.gt_s (call $arg_count) (i32.const 2)) (then
      (call $arg_read (i32.const 2) (i32.const 768)) (call $call_arg_text (i32.const 768) (call $arg_len (i32.const 2)))
      (call $arg_read (i32.const 3) (i32.const 1024)) (call $call_arg_text (i32.const 1024) (call $arg_len (i32.const 3)))))
    (drop (call $call_invoke)))`)

test('engine: a nested call that names no function or gives a bad key says which function made it', async () => {
  // "no such function: t.nope" alone, under a CALL of t.relay, did not say where in the chain the name came from.
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE t (id TEXT PRIMARY KEY); CREATE TABLE n (id INTEGER PRIMARY KEY)')
    await db.createFunction('t.relay', RELAY)
    await db.createFunction('n.relay', RELAY)
    const e1 = await failure(db.call('t.relay', 'a', 't.nope', 'b'))
    assert.equal([e1.code, e1.message], ['UNKNOWN_FUNCTION', 'no such function: t.nope (called by t.relay)'])
    const e2 = await failure(db.call('t.relay', 'a', 'zz.f', 'b'))
    assert.equal([e2.code, e2.message], ['UNKNOWN_FUNCTION', 'no such function: zz.f; there is no table zz (called by t.relay)'])
    const e3 = await failure(db.call('t.relay', 'a', 'n.relay', 'x'))
    assert.equal([e3.code, e3.message], ['TYPE_MISMATCH', "column n.id is INTEGER, got 'x' (called by t.relay)"])
    const e4 = await failure(db.call('t.relay', 'a', 't.relay', null))
    assert.equal([e4.code, e4.message], ['CONSTRAINT', 'the key of t must not be NULL (called by t.relay)'])
    // Said once, by the function that made the call, however deep the chain: t.relay at b calls t.nope.
    const e5 = await failure(db.call('t.relay', 'a', 't.relay', 'b', 't.nope', 'c'))
    assert.equal([e5.code, e5.message], ['UNKNOWN_FUNCTION', 'no such function: t.nope (called by t.relay)'])
    // A CALL's own function is the statement's: its message is as it was.
    const e6 = await failure(db.call('t.nope', 'a'))
    assert.equal([e6.code, e6.message], ['UNKNOWN_FUNCTION', 'no such function: t.nope'])
  } finally {
    await db.close()
  }
})

test('engine: 200 concurrent random transfers conserve the total and give the same digest with 1 and 2 workers and in memory', async () => {
  const runs = [await randomTransfers({ workers: 1 }), await randomTransfers({ workers: 2 }), await randomTransfers({ memory: true })]
  const [first] = runs
  if (first === undefined) throw new Error('no run')
  assert.is(first.total, ACCOUNTS * INITIAL)
  const aborted = first.outcomes.filter((o) => o.startsWith('TXN_ABORTED')).length
  assert.ok(aborted > 0 && aborted < 200, `${aborted} of 200 aborted`)
  assert.ok(first.outcomes.every((o) => o.startsWith('ok') || o === 'TXN_ABORTED insufficient funds'), first.outcomes.find((o) => !o.startsWith('ok')))
  for (const r of runs.slice(1)) {
    assert.is(r.total, ACCOUNTS * INITIAL)
    assert.equal(r.outcomes, first.outcomes)
    assert.equal(r.balances, first.balances)
    assert.is(r.digest, first.digest)
  }
})

test.run()
