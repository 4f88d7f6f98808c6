import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectCode, guest, newDb } from './setup.js'

const FUNCTIONS = ['balance', 'deposit_checking', 'transact_savings', 'amalgamate', 'write_check', 'send_payment']

function smallbank() {
  const db = newDb()
  db.createTable('sb_account', [['id', 'TEXT'], ['checking', 'INTEGER', 0n, true], ['savings', 'INTEGER', 0n, true]])
  const bytes = guest('smallbank')
  for (const f of FUNCTIONS) db.register(`sb_account.${f}`, bytes)
  db.put('sb_account', ['alice', 100n, 50n])
  db.put('sb_account', ['bob', 10n, 0n])
  return db
}

test('smallbank balance: checking + savings; 0 for an absent account', () => {
  const db = smallbank()
  assert.is(db.call('sb_account.balance', 'alice').value, 150n)
  assert.is(db.call('sb_account.balance', 'nobody').value, 0n)
  assert.is(db.row('sb_account', 'nobody'), undefined)
})

test('smallbank deposit_checking: adds, creates the account, rejects a negative amount', () => {
  const db = smallbank()
  assert.is(db.call('sb_account.deposit_checking', 'alice', [25n]).value, 125n)
  assert.is(db.call('sb_account.deposit_checking', 'carol', [7n]).value, 7n)
  assert.equal(db.row('sb_account', 'carol'), ['carol', 7n, 0n])
  expectCode(() => db.call('sb_account.deposit_checking', 'alice', [-1n]), 'TXN_ABORTED', /^deposit amount must not be negative$/)
  assert.equal(db.row('sb_account', 'alice'), ['alice', 125n, 50n])
})

test('smallbank transact_savings: adds or withdraws; aborts below zero', () => {
  const db = smallbank()
  assert.is(db.call('sb_account.transact_savings', 'alice', [-20n]).value, 30n)
  assert.is(db.call('sb_account.transact_savings', 'alice', [5n]).value, 35n)
  expectCode(() => db.call('sb_account.transact_savings', 'alice', [-36n]), 'TXN_ABORTED', /^insufficient savings$/)
  assert.equal(db.row('sb_account', 'alice'), ['alice', 100n, 35n])
})

test('smallbank amalgamate: moves both balances into the other account\'s checking (nested call)', () => {
  const db = smallbank()
  assert.is(db.call('sb_account.amalgamate', 'alice', ['bob']).value, 150n)
  assert.equal(db.row('sb_account', 'alice'), ['alice', 0n, 0n])
  assert.equal(db.row('sb_account', 'bob'), ['bob', 160n, 0n])
  assert.equal(db.calls.at(-1), { name: 'sb_account.deposit_checking', key: 'bob', args: [150n], depth: 2 })
})

test('smallbank write_check: debits checking; a penalty of 1 when both balances do not cover it', () => {
  const db = smallbank()
  assert.is(db.call('sb_account.write_check', 'alice', [120n]).value, -20n) // 150 covers 120: no penalty
  assert.is(db.call('sb_account.write_check', 'alice', [40n]).value, -61n) // 30 does not cover 40: penalty
  expectCode(() => db.call('sb_account.write_check', 'alice', [-5n]), 'TXN_ABORTED', /negative/)
})

test('smallbank send_payment: moves checking to another account; aborts on insufficient funds', () => {
  const db = smallbank()
  assert.is(db.call('sb_account.send_payment', 'alice', ['bob', 60n]).value, 40n)
  assert.equal(db.row('sb_account', 'alice'), ['alice', 40n, 50n])
  assert.equal(db.row('sb_account', 'bob'), ['bob', 70n, 0n])
  expectCode(() => db.call('sb_account.send_payment', 'alice', ['bob', 41n]), 'TXN_ABORTED', /^insufficient funds$/)
  expectCode(() => db.call('sb_account.send_payment', 'alice', ['bob', 0n]), 'TXN_ABORTED', /positive/)
  assert.equal(db.row('sb_account', 'alice'), ['alice', 40n, 50n])
})

test.run()
