import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectCode, guest, newDb } from './setup.js'

function bank() {
  const db = newDb()
  db.createTable('account', [['id', 'TEXT'], ['balance', 'INTEGER', 0n, true]])
  const bytes = guest('bank')
  for (const f of ['balance', 'deposit', 'withdraw', 'transfer']) db.register(`account.${f}`, bytes)
  return db
}

test('bank: deposit creates the account and returns the new balance', () => {
  const db = bank()
  assert.is(db.call('account.balance', 'alice').value, 0n)
  assert.is(db.call('account.deposit', 'alice', [100n]).value, 100n)
  assert.is(db.call('account.deposit', 'alice', [25n]).value, 125n)
  assert.equal(db.row('account', 'alice'), ['alice', 125n])
  expectCode(() => db.call('account.deposit', 'alice', [0n]), 'TXN_ABORTED', /positive/)
})

test('bank: withdraw aborts on insufficient funds', () => {
  const db = bank()
  db.call('account.deposit', 'alice', [50n])
  assert.is(db.call('account.withdraw', 'alice', [20n]).value, 30n)
  expectCode(() => db.call('account.withdraw', 'alice', [31n]), 'TXN_ABORTED', /^insufficient funds$/)
  assert.equal(db.row('account', 'alice'), ['alice', 30n])
})

test('bank: transfer debits here and deposits at the other key through a nested call', () => {
  const db = bank()
  db.call('account.deposit', 'alice', [100n])
  const r = db.call('account.transfer', 'alice', ['bob', 40n])
  assert.is(r.value, 60n)
  assert.equal(db.row('account', 'alice'), ['alice', 60n])
  assert.equal(db.row('account', 'bob'), ['bob', 40n])
  assert.equal(db.calls.at(-1), { name: 'account.deposit', key: 'bob', args: [40n], depth: 2 })
  expectCode(() => db.call('account.transfer', 'bob', ['alice', 41n]), 'TXN_ABORTED', /insufficient funds/)
  assert.ok(r.fuelLeft < 10_000_000)
})

test('ycsbt: read, update, add and transfer', () => {
  const db = newDb()
  db.createTable('usertable', [['id', 'INTEGER'], ['value', 'INTEGER', 0n, true], ['payload', 'TEXT']])
  const bytes = guest('ycsbt')
  for (const f of ['read', 'update', 'add', 'transfer']) db.register(`usertable.${f}`, bytes)
  assert.is(db.call('usertable.update', 1n, [100n, 'x'.repeat(100)]).value, 100n)
  assert.is(db.call('usertable.read', 1n).value, 100n)
  assert.is(db.call('usertable.add', 2n, [5n]).value, 5n)
  assert.is(db.call('usertable.transfer', 1n, [2n, 30n]).value, 70n)
  assert.is(db.call('usertable.read', 2n).value, 35n)
  assert.equal(db.row('usertable', 1n), [1n, 70n, 'x'.repeat(100)])
  expectCode(() => db.call('usertable.transfer', 2n, [1n, 36n]), 'TXN_ABORTED', /insufficient/)
})

test('counter.wat: a hand-written module', () => {
  const db = newDb()
  db.createTable('counter', [['id', 'INTEGER'], ['n', 'INTEGER', 0n, true]])
  const bytes = guest('counter')
  db.register('counter.bump', bytes)
  db.register('counter.noop', bytes)
  assert.is(db.call('counter.bump', 1n).value, 1n)
  assert.is(db.call('counter.bump', 1n, [10n]).value, 11n)
  assert.is(db.call('counter.noop', 1n).value, null)
})

test.run()
