// CREATE FUNCTIONS (every export of a module, or a chosen few, in one DDL transaction) and CALL … WITH
// LOGS (a call's log() lines in its reply): the parser, and the engine embedded, in memory and on disk
// (where the DDL is replayed from the batch log on reopen).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { LOG_LINES_PER_CALL_MAX } from '../../src/wasm-exec/abi.js'
import { LOG_LINES_PER_TXN_MAX } from '../../src/txn/txn-state.js'
import { exportedFunctions, registrableExports } from '../../src/wasm-exec/module-exports.js'
import { tempDir } from '../support/tmp.js'
import { assertError, oneOf } from './support.js'
import { wat } from '../wasm-exec/wat.js'

const root = new URL('../../../', import.meta.url).pathname
const LOGS_PATH = join(root, 'dist', 'guest', 'logs.wasm')
const BANK_PATH = join(root, 'dist', 'guest', 'bank.wasm')
const TABLE = 'CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) PARTITIONS 4'

async function rejection(p: Promise<unknown>): Promise<AcheronError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, AcheronError, `expected an AcheronError, got ${String(e)}`)
    return e as AcheronError
  }
  assert.unreachable('expected a rejection')
  throw new Error('unreachable')
}

async function functionNames(db: EmbeddedDatabase): Promise<string[]> {
  return (await db.query('SHOW FUNCTIONS')).rows.map((r) => String(r[0])).sort()
}

// ---- parser ------------------------------------------------------------------------------------

test('parse: CREATE FUNCTIONS t.* and t.(a, b), with OR REPLACE and WITH', () => {
  const all = oneOf('create-functions', "CREATE FUNCTIONS account.* FROM WASM FILE 'bank.wasm'")
  assert.equal([all.table, all.functions, all.orReplace, all.source.kind, all.fuel, all.memoryBytes], ['account', null, false, 'file', null, null])
  const some = oneOf('create-functions', "create or replace functions account.(deposit, Withdraw) from wasm X'0061736d' with (FUEL = 5, MEMORY = 65536)")
  assert.equal([some.table, some.functions, some.orReplace, some.source.kind, some.fuel, some.memoryBytes], ['account', ['deposit', 'Withdraw'], true, 'hex', 5, 65536])
  assert.equal(some.namePos, { offset: 28, line: 1, column: 29 }, 'errors about it point at the table')
})

test('parse: CREATE FUNCTIONS errors point at the culprit', () => {
  assertError("CREATE FUNCTIONS account FROM WASM FILE 'x'", 1, 26, /expected '\.'/)
  assertError("CREATE FUNCTIONS account.deposit FROM WASM FILE 'x'", 1, 26, /expected '\('/)
  assertError("CREATE FUNCTIONS account.(a, A) FROM WASM FILE 'x'", 1, 30, /named twice/)
  assertError("CREATE FUNCTIONS account.() FROM WASM FILE 'x'", 1, 27, /function name/)
  assertError('CREATE FUNCTIONS account.* FROM WASM', 1, 37, /BASE64|FILE/)
  assertError("CREATE FUNCTIONS account.* FROM WASM FILE 'x' EXPORT 'y'", 1, 47, /end|EXPORT|;/)
})

test('parse: CALL … WITH LOGS', () => {
  assert.is(oneOf('call', "CALL t.f('k', 1) WITH LOGS").withLogs, true)
  assert.is(oneOf('call', "call t.f('k') with logs").withLogs, true)
  assert.is(oneOf('call', "CALL t.f('k')").withLogs, false)
  assertError("CALL t.f('k') WITH", 1, 19, /LOGS/)
  assertError("CALL t.f('k') WITH FUEL", 1, 20, /LOGS/)
})

// ---- the module's exports ---------------------------------------------------------------------

test('exports: every function export with its signature; t.* takes the () -> () ones not starting with __', () => {
  const logs = new Uint8Array(readFileSync(LOGS_PATH))
  assert.equal(exportedFunctions(logs), [
    { name: 'say', callable: true }, { name: 'bump', callable: true }, { name: 'relay', callable: true },
    { name: 'fail', callable: true }, { name: 'helper', callable: false },
  ])
  assert.equal(registrableExports(logs), ['say', 'bump', 'relay', 'fail'])
  assert.equal(registrableExports(new Uint8Array(readFileSync(BANK_PATH))), ['balance', 'deposit', 'withdraw', 'transfer'])
  const e = (() => { try { registrableExports(new Uint8Array([1, 2, 3])); return null } catch (err) { return err as AcheronError } })()
  assert.is(e?.code, 'INVALID_WASM')
})

/** A module exporting `() -> ()` functions under names that can and cannot name a function. */
const ODD_NAMES = wat(`(module (import "acheron" "ret_int" (func $r (param i64))) (memory (export "memory") 1 1)
  (func $one (call $r (i64.const 1)))
  (export "ok" (func $one)) (export "ns.f" (func $one)) (export "my-func" (func $one)) (export "1abc" (func $one))
  (export "\\c3\\bcn\\c3\\af" (func $one)) (export "${'a'.repeat(65)}" (func $one)) (export "Ok_2" (func $one)))`)

test('exports: WebAssembly text given to t.* is named as such, as CREATE FUNCTION names it (it said "bad magic or version")', async () => {
  const text = new TextEncoder().encode(';; counter\n(module (memory (export "memory") 1 1) (func (export "f")))')
  await withDb({ memory: true }, async (db) => {
    await db.sql(TABLE)
    for (const sql of [`CREATE FUNCTIONS t.* FROM WASM X'${Buffer.from(text).toString('hex')}'`, `CREATE FUNCTION t.f FROM WASM X'${Buffer.from(text).toString('hex')}'`]) {
      const e = await rejection(db.sql(sql))
      assert.is(e.code, 'INVALID_WASM')
      assert.match(e.message, /not a WebAssembly module but WebAssembly text \(WAT\): compile it first \(wat2wasm/)
    }
  })
})

test('exports: t.* leaves out exports whose names cannot name a function (it refused the whole module with a SYNTAX_ERROR at 1:1)', async () => {
  // AssemblyScript exports a namespace's function as "ns.f"; hand-written WAT may say "my-func".
  assert.equal(registrableExports(ODD_NAMES), ['ok', 'Ok_2'])
  await withDb({ memory: true }, async (db) => {
    await db.sql(TABLE)
    const [r] = await db.sql(`CREATE FUNCTIONS t.* FROM WASM X'${Buffer.from(ODD_NAMES).toString('hex')}'`)
    assert.equal(r?.rows, [['t.ok', 'ok'], ['t.Ok_2', 'Ok_2']])
    // Such an export is still a function body, under a name of the caller's choosing.
    await db.sql(`CREATE FUNCTION t.dashed FROM WASM X'${Buffer.from(ODD_NAMES).toString('hex')}' EXPORT 'my-func'`)
    assert.is((await db.call('t.dashed', 'k')).value, 1)
  })
})

// ---- the engine ---------------------------------------------------------------------------------

const CONFIGS: [string, OpenOptions][] = [
  ['memory store', { memory: true, partitions: 4 }],
  ['SQLite, 2 workers', { workers: 2, sync: 'off', partitions: 4 }],
]

async function withDb(opts: OpenOptions, body: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const tmp = opts.memory === true ? null : tempDir()
  const db = await open({ ...opts, ...(tmp ? { dir: tmp.dir } : {}) })
  try {
    await body(db)
  } finally {
    await db.close()
    tmp?.cleanup()
  }
}

for (const [name, opts] of CONFIGS) {
  test(`${name}: CREATE FUNCTIONS registers every export in one DDL transaction, and lists them`, async () => {
    const tmp = opts.memory === true ? null : tempDir()
    const options = { ...opts, ...(tmp ? { dir: tmp.dir } : {}) }
    let db = await open(options)
    try {
      await db.sql(TABLE)
      const [r] = await db.sql(`CREATE FUNCTIONS t.* FROM WASM FILE '${LOGS_PATH}' WITH (FUEL = 100000)`)
      assert.equal(r?.columns, ['function', 'export'])
      assert.equal(r?.rows, [['t.say', 'say'], ['t.bump', 'bump'], ['t.relay', 'relay'], ['t.fail', 'fail']])
      assert.equal(await functionNames(db), ['t.bump', 't.fail', 't.relay', 't.say'])
      const fns = (await db.query('SHOW FUNCTIONS')).rows
      const fuelColumn = (await db.query('SHOW FUNCTIONS')).columns.indexOf('fuel')
      assert.ok(fns.every((f) => f[fuelColumn] === 100000), 'the WITH options apply to each')
      assert.equal((await db.sql("CALL t.bump('a'); CALL t.say('a', 2)")).map((x) => x.rows), [[[1]], [[2]]])

      // All or none: one that exists already refuses the whole statement.
      await db.sql(`CREATE TABLE u (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0)`)
      await db.sql(`CREATE FUNCTION u.bump FROM WASM FILE '${BANK_PATH}' EXPORT 'balance'`)
      const dup = await rejection(db.sql(`CREATE FUNCTIONS u.* FROM WASM FILE '${LOGS_PATH}'`))
      assert.is(dup.code, 'CONSTRAINT')
      assert.match(dup.message, /u\.bump already exists/)
      assert.equal((await functionNames(db)).filter((f) => f.startsWith('u.')), ['u.bump'], 'nothing of the refused statement registered')
      // OR REPLACE replaces it and adds the others.
      await db.sql(`CREATE OR REPLACE FUNCTIONS u.* FROM WASM FILE '${LOGS_PATH}'`)
      assert.equal((await functionNames(db)).filter((f) => f.startsWith('u.')), ['u.bump', 'u.fail', 'u.relay', 'u.say'])
      assert.equal((await db.sql("CALL u.bump('z')"))[0]?.rows, [[1]], 'u.bump now runs the new module')

      // A chosen subset; an export the module lacks refuses the whole statement.
      await db.sql('CREATE TABLE w (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0)')
      const [sub] = await db.sql(`CREATE FUNCTIONS w.(say, bump) FROM WASM FILE '${LOGS_PATH}'`)
      assert.equal(sub?.rows, [['w.say', 'say'], ['w.bump', 'bump']])
      const missing = await rejection(db.sql(`CREATE FUNCTIONS w.(fail, nope) FROM WASM FILE '${LOGS_PATH}'`))
      assert.is(missing.code, 'INVALID_WASM', missing.message)
      assert.match(missing.message, /nope/)
      const notBody = await rejection(db.sql(`CREATE FUNCTIONS w.(helper) FROM WASM FILE '${LOGS_PATH}'`))
      assert.is(notBody.code, 'INVALID_WASM', notBody.message)
      assert.equal((await functionNames(db)).filter((f) => f.startsWith('w.')), ['w.bump', 'w.say'])
      const noTable = await rejection(db.sql(`CREATE FUNCTIONS nosuch.* FROM WASM FILE '${LOGS_PATH}'`))
      assert.is(noTable.code, 'UNKNOWN_TABLE')
      assert.is(noTable.column, 18, 'pointed at the table name')

      if (tmp !== null) {
        // Replayed from the batch log (or the checkpoint) on reopen: the same functions, runnable.
        await db.close()
        db = await open(options)
        assert.equal((await functionNames(db)).filter((f) => !f.startsWith('u.')), ['t.bump', 't.fail', 't.relay', 't.say', 'w.bump', 'w.say'])
        assert.equal((await db.sql("CALL t.bump('a')"))[0]?.rows, [[2]])
      }
    } finally {
      await db.close()
      tmp?.cleanup()
    }
  })

  test(`${name}: CALL … WITH LOGS returns the log() lines of the committed execution`, async () => {
    await withDb(opts, async (db) => {
      await db.sql(`${TABLE}; CREATE FUNCTIONS t.* FROM WASM FILE '${LOGS_PATH}'`)
      const rs = await db.sql("CALL t.say('a', 3) WITH LOGS; CALL t.say('a', 2); CALL t.relay('a', 'b', 2) WITH LOGS; CALL t.say('a', 0) WITH LOGS")
      assert.equal(rs[0]?.logs, ['line 0', 'line 1', 'line 2'])
      assert.is('logs' in (rs[1] as object), false, 'not asked: no logs field')
      assert.equal(rs[2]?.logs, ['relay', 'line 0', 'line 1'], 'nested calls log in execution order')
      assert.equal(rs[3]?.logs, [], 'asked, none written: an empty list')

      assert.equal((await db.query("CALL t.say('q', 1) WITH LOGS")).logs, ['line 0'])
      // Through the SDK call.
      const c = await db.callWithLogs('t.say', 'q', 1)
      assert.equal([c.value, c.logs], [1, ['line 0']])

      // A failed call: the lines written before the abort ride on the error.
      const e = await rejection(db.sql("CALL t.fail('a') WITH LOGS"))
      assert.equal([e.code, e.logs], ['TXN_ABORTED', ['about to abort']])
      const e2 = await rejection(db.callWithLogs('t.fail', 'a'))
      assert.equal(e2.logs, ['about to abort'])
      assert.is((await rejection(db.sql("CALL t.fail('a')"))).logs, undefined)

      // Bounded: a call chain keeps LOG_LINES_PER_CALL_MAX lines and one marker.
      const [many] = await db.sql(`CALL t.say('a', ${LOG_LINES_PER_CALL_MAX + 10}) WITH LOGS`)
      assert.is(many?.logs?.length, LOG_LINES_PER_CALL_MAX + 1)
      assert.match(many?.logs?.at(-1) ?? '', /dropped/)

      // Inside BEGIN … COMMIT each CALL WITH LOGS gets its own lines; a transaction keeps LOG_LINES_PER_TXN_MAX.
      const calls = Math.ceil(LOG_LINES_PER_TXN_MAX / LOG_LINES_PER_CALL_MAX) + 1
      const txn = await db.sql(`BEGIN; CALL t.say('a', 1) WITH LOGS; CALL t.say('b', 2); ${"CALL t.say('c', 1000) WITH LOGS; ".repeat(calls)} COMMIT`)
      assert.equal(txn[1]?.logs, ['line 0'])
      assert.is(txn[2]?.logs, undefined)
      const kept = txn.slice(3, 3 + calls).reduce((n, r) => n + (r.logs?.length ?? 0), 0)
      assert.is(kept, LOG_LINES_PER_TXN_MAX + 1 - 3, 'the transaction keeps LOG_LINES_PER_TXN_MAX lines and one marker')
      const markers = txn.flatMap((r) => r.logs ?? []).filter((l) => l.includes(`first ${LOG_LINES_PER_TXN_MAX} of this transaction`))
      assert.is(markers.length, 1)
      // A transaction run alone (it holds a query over the table) keeps each CALL's lines too.
      const alone = await db.sql("BEGIN; CALL t.say('d', 2) WITH LOGS; SELECT COUNT(*) FROM t; CALL t.bump('d') WITH LOGS; COMMIT")
      assert.equal([alone[1]?.logs, alone[2]?.logs, alone[3]?.logs], [['line 0', 'line 1'], undefined, ['v=1']])
    })
  })

  test(`${name}: conflicting calls are re-executed, and each reply has only its final execution's lines`, async () => {
    await withDb(opts, async (db) => {
      await db.sql(`${TABLE}; CREATE FUNCTIONS t.* FROM WASM FILE '${LOGS_PATH}'`)
      // Every bump of one key conflicts with the others in its batch: all but one run again (or abort
      // and retry), and a reply's lines must be those of the execution that committed it.
      const rs = await Promise.all(Array.from({ length: 64 }, () => db.callWithLogs('t.bump', 'hot')))
      for (const r of rs) assert.equal(r.logs, [`v=${String(r.value)}`])
      assert.equal(rs.map((r) => r.value).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 64 }, (_, i) => i + 1))
    })
  })
}

test.run()
