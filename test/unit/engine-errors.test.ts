// Each way a transaction can fail: the right code, the commit position where it ran, nothing else harmed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, type EmbeddedDatabase } from '../../src/index.js'
import { createFunctionSql } from '../../src/client/remote.js'
import { openBank } from '../support/bank.js'

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  const e = await p.then(() => null, (err: unknown) => err)
  assert.instance(e, AcheronError, 'expected an AcheronError')
  return e as AcheronError
}

let db: EmbeddedDatabase

test.before(async () => {
  db = await openBank({ memory: true })
  await db.insert('account', [['alice', 100], ['bob', 0]])
})
test.after(async () => db.close())

test('an abort rolls back the whole call chain and carries its commit position', async () => {
  const e = await failure(db.call('account.transfer', 'bob', 'alice', 5))
  assert.is(e.code, 'TXN_ABORTED')
  assert.match(e.message, /insufficient funds/)
  assert.ok(e.commit !== undefined && e.commit.batch > 0 && e.commit.seq >= 0)
  assert.is((await db.get('account', 'alice')).row?.balance, 100)
})

test('a failing callee aborts the caller too: nothing of the chain commits', async () => {
  await db.insert('account', [['full', 9223372036854775807n]])
  // alice's withdraw succeeds, then the deposit at `full` overflows int64: the withdraw rolls back with it.
  const e = await failure(db.call('account.transfer', 'alice', 'full', 1))
  assert.is(e.code, 'TYPE_MISMATCH', 'an int64 overflow of a column is a TYPE_MISMATCH')
  assert.is((await db.get('account', 'alice')).row?.balance, 100)
  assert.is((await db.get('account', 'full')).row?.balance, 9223372036854775807n, 'integers beyond 2^53 come back as bigint')
})

test('UNKNOWN_FUNCTION and UNKNOWN_TABLE', async () => {
  const noFunction = await failure(db.call('account.nope', 'alice'))
  assert.equal([noFunction.code, noFunction.message], ['UNKNOWN_FUNCTION', 'no such function: account.nope'])
  // Where the table is what is missing, the message says so.
  const noTable = await failure(db.call('Nope.f', 'alice'))
  assert.equal([noTable.code, noTable.message], ['UNKNOWN_FUNCTION', 'no such function: Nope.f; there is no table Nope'])
  assert.is((await failure(db.get('nope', 1))).code, 'UNKNOWN_TABLE')
  assert.is((await failure(db.insert('nope', [[1]]))).code, 'UNKNOWN_TABLE')
  assert.is((await failure(db.createFunction('nope.f', new Uint8Array(0), { runtime: 'js', export: 'deposit' }))).code, 'UNKNOWN_TABLE')
})

test('call depth is limited to 64: CALL_DEPTH_EXCEEDED', async () => {
  await db.createTable({ name: 'chain', columns: [{ name: 'id', type: 'INTEGER', primaryKey: true }] })
  await db.createFunction('chain.recurse', new Uint8Array(0), { runtime: 'js' })
  const e = await failure(db.call('chain.recurse', 1))
  assert.is(e.code, 'CALL_DEPTH_EXCEEDED')
  assert.match(e.message, /64/)
  assert.ok(e.commit !== undefined)
})

test('NOT NULL: CONSTRAINT', async () => {
  const e = await failure(db.call('account.nullify', 'alice'))
  assert.is(e.code, 'CONSTRAINT')
  assert.is((await db.get('account', 'alice')).row?.balance, 100)
})

test('a key of the wrong type: TYPE_MISMATCH; a NULL key: CONSTRAINT', async () => {
  assert.is((await failure(db.call('account.deposit', 12, 1))).code, 'TYPE_MISMATCH')
  assert.is((await failure(db.call('account.deposit', null, 1))).code, 'CONSTRAINT')
})

test('INSERT: DUPLICATE_KEY fails the whole statement, also within one statement; OR REPLACE overwrites', async () => {
  assert.is((await failure(db.insert('account', [['carol', 1], ['alice', 1]]))).code, 'DUPLICATE_KEY')
  assert.is((await db.get('account', 'carol')).row, null, 'no row of the failed INSERT is visible')
  assert.is((await failure(db.insert('account', [['dave', 1], ['dave', 2]]))).code, 'DUPLICATE_KEY')
  await db.insert('account', [['alice', 7]], { replace: true })
  assert.is((await db.get('account', 'alice')).row?.balance, 7)
  await db.insert('account', [['alice', 100]], { replace: true })
})

test('INSERT checks columns and types', async () => {
  assert.is((await failure(db.insert('account', [['erin', 'ten']]))).code, 'TYPE_MISMATCH')
  assert.is((await failure(db.insert('account', [['erin', 1]], { columns: ['id', 'nope'] }))).code, 'UNKNOWN_COLUMN')
  assert.is((await failure(db.insert('account', [[1]], { columns: ['balance'] }))).code, 'CONSTRAINT')
  assert.is((await failure(db.insert('account', [['erin', null]]))).code, 'CONSTRAINT')
  await db.insert('account', [['erin']], { columns: ['id'] })
  assert.is((await db.get('account', 'erin')).row?.balance, 0, 'the DEFAULT fills unnamed columns')
})

test('a runtime that throws a plain error is no outcome: its whole batch fails, INTERNAL, without a position', async () => {
  // Submitted together, so they share a batch: a replay could not reproduce a host failure, so the
  // batch is voided (in the log) and every transaction of it fails retryably, the innocent one too.
  const both = [db.call('account.deposit', 'alice', 5), db.call('account.crash', 'alice')].map(failure)
  for (const e of await Promise.all(both)) {
    assert.is(e.code, 'INTERNAL')
    assert.is(e.commit, undefined, 'no position: it never ran as far as anyone can tell')
    assert.is(e.retryable, true, 'nothing of it took effect: it may be sent again')
    assert.is(e.outcomeUnknown, undefined)
  }
  assert.ok(db.stats.failedBatches >= 1)
  const ok = await db.call('account.deposit', 'alice', 1)
  assert.is(ok.value, 101, 'nothing of the failed batch is visible')
  await db.call('account.withdraw', 'alice', 1)
})

test('DDL errors: duplicate table and function, bad partitions, bad key type, IF [NOT] EXISTS', async () => {
  const cols = [{ name: 'id', type: 'INTEGER' as const, primaryKey: true }]
  assert.is((await failure(db.createTable({ name: 'account', columns: cols }))).code, 'CONSTRAINT')
  await db.createTable({ name: 'account', columns: cols, ifNotExists: true })
  assert.is((await failure(db.createTable({ name: 't1', columns: cols, partitions: 0 }))).code, 'CONSTRAINT')
  assert.is((await failure(db.createTable({ name: 't2', columns: [{ name: 'id', type: 'REAL', primaryKey: true }] }))).code, 'TYPE_MISMATCH')
  assert.is((await failure(db.createTable({ name: '1bad', columns: cols }))).code, 'SYNTAX_ERROR')
  assert.is((await failure(db.createTable({ name: 't3', columns: [...cols, { name: 'ID', type: 'TEXT' }] }))).code, 'CONSTRAINT')
  assert.is((await failure(db.createFunction('account.deposit', new Uint8Array(0), { runtime: 'js' }))).code, 'CONSTRAINT')
  assert.is((await failure(db.createFunction('account.x', new Uint8Array(0), { runtime: 'js', fuel: 0 }))).code, 'CONSTRAINT')
  // A misspelt option is refused, not ignored (`replace` did nothing; `orReplace` replaces), in both SDKs.
  const misspelt = await failure(db.createFunction('account.deposit', new Uint8Array(0), { runtime: 'js', replace: true } as never))
  assert.equal([misspelt.code, misspelt.message], ['TYPE_MISMATCH', "createFunction() has no option 'replace' (its options: export, fuel, memory, orReplace, runtime)"])
  assert.is((await failure(db.createFunction('account.x', new Uint8Array(0), { runtime: 'js', fuel: '5' } as never))).code, 'TYPE_MISMATCH')
  assert.throws(() => createFunctionSql('account.x', new Uint8Array(0), { replace: true } as never), (e: unknown) => e instanceof AcheronError && e.code === 'TYPE_MISMATCH' && /no option 'replace'/.test(e.message))
  assert.is((await failure(db.dropTable('nope'))).code, 'UNKNOWN_TABLE')
  await db.dropTable('nope', true)
  assert.is((await failure(db.dropFunction('account.nope'))).code, 'UNKNOWN_FUNCTION')
})

test('DDL takes effect between batches: a call before CREATE FUNCTION fails, one after sees it', async () => {
  await db.createTable({ name: 'ctr', columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'balance', type: 'INTEGER', default: 0 }] })
  const before = db.call('ctr.deposit', 'a', 1)
  const create = db.createFunction('ctr.deposit', new Uint8Array(0), { runtime: 'js' })
  const after = db.call('ctr.deposit', 'a', 1)
  assert.is((await failure(before)).code, 'UNKNOWN_FUNCTION')
  const c = await create
  const a = await after
  assert.is(a.value, 1)
  assert.ok(a.commit.batch > c.commit.batch)
  await db.dropTable('ctr')
  assert.is((await failure(db.call('ctr.deposit', 'a', 1))).code, 'UNKNOWN_FUNCTION', 'DROP TABLE drops its functions')
})

test.run()
