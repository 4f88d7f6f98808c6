import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectCode, guest, newDb } from './setup.js'

/** Function name → export of guest/assemblyscript/examples/tpcc.ts. */
const FUNCTIONS: [string, string][] = [
  ['district.new_order', 'new_order'], ['warehouse.payment', 'payment'], ['warehouse.tax', 'warehouse_tax'],
  ['district.pay', 'district_pay'], ['customer.discount', 'customer_discount'], ['customer.pay', 'customer_pay'],
  ['item.price', 'item_price'], ['stock.take', 'stock_take'], ['orders.create', 'order_create'],
]

const W = 1n
const D = W * 100n + 3n // district 3 of warehouse 1
const C = D * 10000n + 42n // customer 42 of that district
const stockKey = (w: bigint, i: bigint): bigint => w * 1_000_000n + i

function tpcc() {
  const db = newDb()
  const int = (name: string, dflt: bigint | null = 0n): [string, 'INTEGER', bigint | null, boolean] => [name, 'INTEGER', dflt, dflt !== null]
  db.createTable('warehouse', [['id', 'INTEGER'], int('tax'), int('ytd')])
  db.createTable('district', [['id', 'INTEGER'], int('tax'), int('ytd'), int('next_o_id', 1n)])
  db.createTable('customer', [['id', 'INTEGER'], int('discount'), int('balance'), int('ytd_payment'), int('payment_cnt')])
  db.createTable('item', [['id', 'INTEGER'], int('price', null), ['name', 'TEXT']])
  db.createTable('stock', [['id', 'INTEGER'], int('quantity'), int('ytd'), int('order_cnt'), int('remote_cnt')])
  db.createTable('orders', [['id', 'INTEGER'], int('customer', null), int('line_cnt', null), int('total', null), ['lines', 'TEXT']])
  const bytes = guest('tpcc')
  for (const [name, exportName] of FUNCTIONS) db.register(name, bytes, { exportName })
  db.put('warehouse', [W, 800n, 0n]) // 8% tax
  db.put('warehouse', [2n, 500n, 0n])
  db.put('district', [D, 200n, 0n, 7n]) // 2% tax, next order 7
  db.put('customer', [C, 1000n, 0n, 0n, 0n]) // 10% discount
  db.put('item', [11n, 250n, 'widget'])
  db.put('item', [12n, 1000n, 'gadget'])
  db.put('stock', [stockKey(W, 11n), 50n, 0n, 0n, 0n])
  db.put('stock', [stockKey(2n, 12n), 12n, 0n, 0n, 0n])
  return db
}

test('tpcc new_order: prices the lines, takes stock (remote too), writes the order, bumps next_o_id', () => {
  const db = tpcc()
  // 4 × 250 + 5 × 1000 = 6000 cents; −10% = 5400; +8% +2% tax = 5940.
  const r = db.call('district.new_order', D, [42n, 11n, W, 4n, 12n, 2n, 5n])
  assert.is(r.value, 5940n)
  assert.equal(db.row('district', D), [D, 200n, 0n, 8n])
  assert.equal(db.row('stock', stockKey(W, 11n)), [stockKey(W, 11n), 46n, 4n, 1n, 0n])
  assert.equal(db.row('stock', stockKey(2n, 12n)), [stockKey(2n, 12n), 98n, 5n, 1n, 1n]) // 12 - 5 < 10: +91; remote
  assert.equal(db.row('orders', D * 1_000_000n + 7n), [D * 1_000_000n + 7n, 42n, 2n, 5940n, '11x4,12x5'])
  assert.ok(db.calls.some((c) => c.name === 'warehouse.tax' && c.key === W && c.depth === 2))
})

test('tpcc new_order: an unknown item aborts the whole order (TPC-C\'s rollback case)', () => {
  const db = tpcc()
  expectCode(() => db.call('district.new_order', D, [42n, 11n, W, 1n, 999n, W, 1n]), 'TXN_ABORTED', /^item number is not valid$/)
  expectCode(() => db.call('district.new_order', D, [42n, 11n, W]), 'TXN_ABORTED', /new_order needs/)
  expectCode(() => db.call('district.new_order', D, [43n, 11n, W, 1n]), 'TXN_ABORTED', /^no such customer$/)
})

test('tpcc payment: warehouse and district year-to-date, the customer\'s balance and counters', () => {
  const db = tpcc()
  assert.is(db.call('warehouse.payment', W, [3n, 42n, 1500n]).value, -1500n)
  assert.is(db.call('warehouse.payment', W, [3n, 42n, 500n]).value, -2000n)
  assert.equal(db.row('warehouse', W), [W, 800n, 2000n])
  assert.equal(db.row('district', D), [D, 200n, 2000n, 7n])
  assert.equal(db.row('customer', C), [C, 1000n, -2000n, 2000n, 2n])
  expectCode(() => db.call('warehouse.payment', W, [3n, 42n, 0n]), 'TXN_ABORTED', /positive/)
  expectCode(() => db.call('warehouse.payment', W, [4n, 42n, 10n]), 'TXN_ABORTED', /^no such district$/)
})

test('tpcc per-key steps on their own: tax, discount, price, stock, order', () => {
  const db = tpcc()
  assert.is(db.call('warehouse.tax', W).value, 800n)
  assert.is(db.call('customer.discount', C).value, 1000n)
  assert.is(db.call('item.price', 12n).value, 1000n)
  expectCode(() => db.call('item.price', 13n), 'TXN_ABORTED', /not valid/)
  assert.is(db.call('stock.take', stockKey(W, 11n), [45n, 0n]).value, 96n)
  assert.is(db.call('orders.create', 5n, [1n, 1n, 10n, 'x']).value, 10n)
  expectCode(() => db.call('orders.create', 5n, [1n, 1n, 10n, 'x']), 'TXN_ABORTED', /^order exists$/)
})

test.run()
