import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import type { AcheronError } from '../../src/errors.js'
import { EXPLAIN_TRACE_EVENTS_MAX } from '../../src/txn/explain.js'
import { TRACE_COLUMNS } from '../../src/txn/types.js'
import { tempDir } from '../support/tmp.js'
import { abiModule } from '../wasm-exec/wat.js'

const BANK = readFileSync(new URL('../../guest/bank.wasm', import.meta.url)).toString('hex')

/** Get and set column 1, `n` times (arg 0): two trace events per round. */
const LOOPER = Buffer.from(abiModule(`
  (func (export "loop") (local $i i64) (local $n i64)
    (local.set $n (call $arg_int (i32.const 0)))
    (block $done (loop $l
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (call $set_int (i32.const 1) (i64.add (call $get_int (i32.const 1)) (i64.const 1)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (call $ret_int (call $get_int (i32.const 1))))
`)).toString('hex')

async function bank(db: EmbeddedDatabase): Promise<void> {
  await db.sql(`CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
    CREATE FUNCTIONS account.* FROM WASM X'${BANK}'; CALL account.deposit('alice', 100)`)
}

/** The trace as objects keyed by column, and its commit position. */
async function explain(db: EmbeddedDatabase, call: string): Promise<{ rows: Record<string, unknown>[]; batch: number }> {
  const [r] = await db.sql(`EXPLAIN ${call}`)
  assert.ok(r !== undefined)
  assert.equal(r.columns, [...TRACE_COLUMNS])
  return { rows: r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))), batch: r.commit.batch }
}

const brief = (rows: Record<string, unknown>[]): string[] => rows.map((r) => `${String(r.depth)} ${String(r.event)} ${String(r.key)} ${String(r.detail)}`)

test('a transfer: both frames, every column read and written, fuel per frame, the rows it would write', async () => {
  const db = await open({ memory: true })
  try {
    await bank(db)
    const { rows } = await explain(db, "CALL account.transfer('alice', 'bob', 30)")
    assert.equal(brief(rows), [
      "1 call alice ('alice', 'bob', 30)",
      '1 get alice balance = 100',
      '1 set alice balance: 100 → 70',
      "2 call bob ('bob', 30)",
      '2 get bob balance = NULL (no row)',
      '2 set bob balance: NULL → 30',
      '2 return bob 30',
      '1 return alice 70',
      "0 would update alice (id = 'alice', balance = 100) → (id = 'alice', balance = 70)",
      "0 would insert bob (no row) → (id = 'bob', balance = 30)",
      '0 would commit null result 70; nothing was committed (EXPLAIN)',
    ])
    assert.equal(rows.map((r) => r.step), rows.map((_, i) => i + 1))
    assert.equal(rows.filter((r) => r.event === 'call').map((r) => r.function), ['account.transfer', 'account.deposit'])
    const fuel = rows.filter((r) => r.event === 'return').map((r) => r.fuel as number)
    // The outer frame's fuel includes the nested call's.
    assert.ok((fuel[0] as number) > 0 && (fuel[1] as number) > (fuel[0] as number), `fuel ${fuel.join(', ')}`)
    // Nothing was committed.
    assert.equal((await db.sql('SELECT id, balance FROM account ORDER BY id'))[0]?.rows, [['alice', 100]])
  } finally {
    await db.close()
  }
})

test('an abort: where and why, and nothing would be written', async () => {
  const db = await open({ memory: true })
  try {
    await bank(db)
    const { rows } = await explain(db, "CALL account.transfer('alice', 'bob', 300)")
    assert.equal(brief(rows), [
      "1 call alice ('alice', 'bob', 300)",
      '1 get alice balance = 100',
      '1 abort alice TXN_ABORTED: insufficient funds',
      '0 would roll back null TXN_ABORTED: insufficient funds; nothing would be written',
    ])
    assert.ok((rows[2]?.fuel as number) > 0)
  } finally {
    await db.close()
  }
})

test('on a data directory with workers: it reads the released state, takes no batch and is not logged', async () => {
  const { dir, cleanup } = tempDir()
  try {
    let db = await open({ dir, workers: 2 })
    await bank(db)
    const deposit = (await db.sql("CALL account.deposit('bob', 5)"))[0]?.commit.batch
    const before = db.stats.batches
    const { rows, batch } = await explain(db, "CALL account.transfer('bob', 'alice', 5)")
    assert.is(rows[1]?.detail, 'balance = 5', 'sees the deposit released before it')
    assert.is(batch, deposit, 'positioned after the last released batch')
    assert.is(db.stats.batches, before, 'no batch')
    await db.close()
    db = await open({ dir, workers: 2 })
    try {
      assert.equal((await db.sql('SELECT id, balance FROM account ORDER BY id'))[0]?.rows, [['alice', 100], ['bob', 5]])
      const next = (await db.sql("CALL account.balance('bob')"))[0]?.commit.batch
      assert.is(next, (deposit as number) + 1, 'no batch was logged for it')
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test(`a long trace stops at EXPLAIN_TRACE_EVENTS_MAX rows and says how many it left out; the call runs to its end`, async () => {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0); CREATE FUNCTION counter.loop FROM WASM X'${LOOPER}'`)
    const rounds = EXPLAIN_TRACE_EVENTS_MAX / 2 + 100
    const { rows } = await explain(db, `CALL counter.loop(1, ${rounds})`)
    assert.is(rows.length, EXPLAIN_TRACE_EVENTS_MAX + 1)
    const last = rows[rows.length - 1]
    assert.is(last?.event, 'truncated')
    // In all: the call, a get and a set per round, the last get, the return, the write and the verdict.
    assert.is(last?.detail, `${2 * rounds + 5 - EXPLAIN_TRACE_EVENTS_MAX} more events not shown (EXPLAIN_TRACE_EVENTS_MAX ${EXPLAIN_TRACE_EVENTS_MAX})`)
  } finally {
    await db.close()
  }
})

test('a function\'s log() lines go into the trace, not to the server log (they read there as a call that happened)', async () => {
  const serverLog: string[] = []
  const db = await open({ memory: true, log: (line) => serverLog.push(line) })
  try {
    const logger = Buffer.from(abiModule(`(data (i32.const 16) "hello")
      (func (export "say") (call $log (i32.const 16) (i32.const 5)) (call $ret_int (i64.const 1)))`)).toString('hex')
    await db.sql(`CREATE TABLE t (k INTEGER PRIMARY KEY); CREATE FUNCTION t.say FROM WASM X'${logger}'`)
    const { rows } = await explain(db, 'CALL t.say(1)')
    assert.ok(rows.some((r) => r.event === 'log' && r.detail === 'hello'), JSON.stringify(rows))
    assert.equal(serverLog.filter((l) => l.includes('hello')), [], 'EXPLAIN wrote nothing to the server log')
    await db.call('t.say', 1)
    assert.equal(serverLog.filter((l) => l.includes('hello')), ['[t.say] hello'], 'a real call does')
  } finally {
    await db.close()
  }
})

/** m.keep sets column r to its REAL argument and returns it. */
const KEEP_REAL = Buffer.from(abiModule(`
  (func (export "keep")
    (call $set_real (i32.const 1) (call $arg_real (i32.const 0)))
    (call $ret_real (call $arg_real (i32.const 0))))
`)).toString('hex')

test('a whole REAL is written as the consoles write it (realText): 1.0, -0.0, 1.0e+20, never 1 or an integer\'s digits', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql(`CREATE TABLE m (id INTEGER PRIMARY KEY, r REAL); CREATE FUNCTION m.keep FROM WASM X'${KEEP_REAL}'`)
    const shown = async (arg: string): Promise<string[]> => brief((await explain(db, `CALL m.keep(1, ${arg})`)).rows)
    assert.equal(await shown('1.0'), [
      '1 call 1 (1, 1.0)',
      '1 set 1 r: NULL → 1.0',
      '1 return 1 1.0',
      '0 would insert 1 (no row) → (id = 1, r = 1.0)',
      '0 would commit null result 1.0; nothing was committed (EXPLAIN)',
    ])
    // The INTEGER argument stays 1: arg_real reads it as a REAL, which the function sets and returns.
    assert.equal((await shown('1')).slice(0, 3), ['1 call 1 (1, 1)', '1 set 1 r: NULL → 1.0', '1 return 1 1.0'])
    // From 10^15 on with an exponent, as SQLite's shell: toFixed wrote 100000000000000000000.0, and 1e+21.
    assert.equal((await shown('1e20')).slice(0, 3), ['1 call 1 (1, 1.0e+20)', '1 set 1 r: NULL → 1.0e+20', '1 return 1 1.0e+20'])
    assert.equal((await shown('1e21'))[2], '1 return 1 1.0e+21')
    assert.equal((await shown('-0.0'))[0], '1 call 1 (1, -0.0)')
    assert.equal((await shown('2.5'))[2], '1 return 1 2.5')
    await db.call('m.keep', 1, 1e20)
    assert.equal((await shown('3.0'))[1], '1 set 1 r: 1.0e+20 → 3.0')
  } finally {
    await db.close()
  }
})

test('EXPLAIN takes CALL only, without WITH LOGS, and not inside BEGIN … COMMIT', async () => {
  const db = await open({ memory: true })
  try {
    await bank(db)
    const failure = (sql: string): Promise<AcheronError> => db.sql(sql).then((): AcheronError => { throw new Error(`${sql} succeeded`) }, (e: AcheronError) => e)
    assert.match((await failure('EXPLAIN SELECT * FROM account')).message, /CALL/)
    assert.is((await failure("EXPLAIN CALL account.balance('alice') WITH LOGS")).code, 'SYNTAX_ERROR')
    const inside = await failure("BEGIN; EXPLAIN CALL account.balance('alice'); COMMIT")
    assert.is(inside.code, 'SYNTAX_ERROR')
    assert.match(inside.message, /EXPLAIN CALL statement outside BEGIN/)
    assert.is((await failure("EXPLAIN CALL account.nope('alice')")).code, 'UNKNOWN_FUNCTION')
  } finally {
    await db.close()
  }
})

test.run()
