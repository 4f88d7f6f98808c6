import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { SqlValue } from '../../src/values.js'
import { SURROGATE_DECODED, textGuest } from '../support/text-guest.js'
import { expectCode, guest, newDb } from './setup.js'
import { abiModule } from './wat.js'

const SCRATCH = 1024
/** WAT that returns the value of type `t` through the given getters (read copies it to SCRATCH). */
const retByType = (t: string, int: string, real: string, len: string, read: (dst: string) => string): string => `
  (local.set $t ${t})
  (block $done
    (if (i32.eq (local.get $t) (i32.const 1)) (then (call $ret_int ${int}) (br $done)))
    (if (i32.eq (local.get $t) (i32.const 2)) (then (call $ret_real ${real}) (br $done)))
    (if (i32.eq (local.get $t) (i32.const 3)) (then ${read(`(i32.const ${SCRATCH})`)} (call $ret_text (i32.const ${SCRATCH}) ${len}) (br $done)))
    (if (i32.eq (local.get $t) (i32.const 4)) (then ${read(`(i32.const ${SCRATCH})`)} (call $ret_blob (i32.const ${SCRATCH}) ${len}) (br $done)))
    (call $ret_null))`
const locals = '(local $t i32) (local $c i32) (local $i i32)'
const argI = '(i32.wrap_i64 (call $arg_int (i32.const 0)))'

const module = abiModule(`
  (data (i32.const 0) "balance")
  (data (i32.const 16) "BALANCE")
  (data (i32.const 32) "nope")
  (data (i32.const 48) "not today")
  (func (export "key") ${locals} ${retByType('(call $key_type)', '(call $key_int)', '(call $key_real)', '(call $key_len)', (d) => `(call $key_read ${d})`)})
  (func (export "key_int") (call $ret_int (call $key_int)))
  (func (export "key_real") (call $ret_real (call $key_real)))
  (func (export "key_len") (call $ret_int (i64.extend_i32_s (call $key_len))))
  (func (export "argc") (call $ret_int (i64.extend_i32_s (call $arg_count))))
  (func (export "arg") ${locals} (local.set $i ${argI})
    ${retByType('(call $arg_type (local.get $i))', '(call $arg_int (local.get $i))', '(call $arg_real (local.get $i))', '(call $arg_len (local.get $i))', (d) => `(call $arg_read (local.get $i) ${d})`)})
  (func (export "arg_int") (call $ret_int (call $arg_int ${argI})))
  (func (export "arg_real") (call $ret_real (call $arg_real ${argI})))
  (func (export "arg_len") (call $ret_int (i64.extend_i32_s (call $arg_len ${argI}))))
  (func (export "col") (call $ret_int (i64.extend_i32_s (call $col (i32.const 0) (i32.const 7)))))
  (func (export "col_upper") (call $ret_int (i64.extend_i32_s (call $col (i32.const 16) (i32.const 7)))))
  (func (export "col_none") (call $ret_int (i64.extend_i32_s (call $col (i32.const 32) (i32.const 4)))))
  (func (export "exists") (call $ret_int (i64.extend_i32_s (call $row_exists))))
  (func (export "get") ${locals} (local.set $c ${argI})
    ${retByType('(call $get_type (local.get $c))', '(call $get_int (local.get $c))', '(call $get_real (local.get $c))', '(call $get_len (local.get $c))', (d) => `(call $get_read (local.get $c) ${d})`)})
  (func (export "get_real") (call $ret_real (call $get_real ${argI})))
  (func (export "set") ${locals} (local.set $c ${argI}) (local.set $t (call $arg_type (i32.const 1)))
    (if (i32.eq (local.get $t) (i32.const 0)) (then (call $set_null (local.get $c))))
    (if (i32.eq (local.get $t) (i32.const 1)) (then (call $set_int (local.get $c) (call $arg_int (i32.const 1)))))
    (if (i32.eq (local.get $t) (i32.const 2)) (then (call $set_real (local.get $c) (call $arg_real (i32.const 1)))))
    (if (i32.eq (local.get $t) (i32.const 3)) (then (call $arg_read (i32.const 1) (i32.const ${SCRATCH}))
      (call $set_text (local.get $c) (i32.const ${SCRATCH}) (call $arg_len (i32.const 1)))))
    (if (i32.eq (local.get $t) (i32.const 4)) (then (call $arg_read (i32.const 1) (i32.const ${SCRATCH}))
      (call $set_blob (local.get $c) (i32.const ${SCRATCH}) (call $arg_len (i32.const 1))))))
  (func (export "set_nan") (call $set_real ${argI} (f64.const nan)))
  (func (export "del") (call $delete_row))
  (func (export "call") ${locals}
    (call $arg_read (i32.const 0) (i32.const 2048))
    (call $call_begin (i32.const 2048) (call $arg_len (i32.const 0)))
    (local.set $i (i32.const 1))
    (block $out (loop $next
      (br_if $out (i32.ge_s (local.get $i) (call $arg_count)))
      (local.set $t (call $arg_type (local.get $i)))
      (if (i32.eq (local.get $t) (i32.const 0)) (then (call $call_arg_null)))
      (if (i32.eq (local.get $t) (i32.const 1)) (then (call $call_arg_int (call $arg_int (local.get $i)))))
      (if (i32.eq (local.get $t) (i32.const 2)) (then (call $call_arg_real (call $arg_real (local.get $i)))))
      (if (i32.eq (local.get $t) (i32.const 3)) (then (call $arg_read (local.get $i) (i32.const 4096))
        (call $call_arg_text (i32.const 4096) (call $arg_len (local.get $i)))))
      (if (i32.eq (local.get $t) (i32.const 4)) (then (call $arg_read (local.get $i) (i32.const 4096))
        (call $call_arg_blob (i32.const 4096) (call $arg_len (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    ${retByType('(call $call_invoke)', '(call $result_int)', '(call $result_real)', '(call $result_len)', (d) => `(call $result_read ${d})`)})
  (func (export "result_before_call") (call $ret_int (i64.extend_i32_s (call $result_len))))
  (func (export "log") (call $log (i32.const 48) (i32.const 9)))
  (func (export "abort") (call $abort_txn (i32.const 48) (i32.const 9)) (call $ret_int (i64.const 1)))
  (func (export "noret"))
  (func (export "ret_twice") (call $ret_int (i64.const 1)) (call $ret_null))
  (func (export "ret_nan") (call $ret_real (f64.const nan)))
  (func (export "ret_neg_zero") (call $ret_real (f64.const -0)))
  (func (export "bad_ptr") (call $ret_text (i32.const 65530) (i32.const 10)))
  (func (export "bad_dst") (call $key_read (i32.const 65535)))
  (func (export "bad_arg") (call $ret_int (call $arg_int (i32.const 99))))
  (func (export "invoke_without_begin") (drop (call $call_invoke)))
  (func (export "invoke_without_key") (call $call_begin (i32.const 0) (i32.const 7)) (drop (call $call_invoke)))
  (func (export "arg_without_begin") (call $call_arg_null))
`)

const EXPORTS = ['key', 'key_int', 'key_real', 'key_len', 'argc', 'arg', 'arg_int', 'arg_real', 'arg_len', 'col', 'col_upper', 'col_none',
  'exists', 'get', 'get_real', 'set', 'set_nan', 'del', 'call', 'result_before_call', 'log', 'abort', 'noret', 'ret_twice', 'ret_nan',
  'ret_neg_zero', 'bad_ptr', 'bad_dst', 'bad_arg', 'invoke_without_begin', 'invoke_without_key', 'arg_without_begin']

function setup() {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['balance', 'INTEGER', 0n], ['r', 'REAL', null, true], ['s', 'TEXT'], ['b', 'BLOB']])
  db.createTable('u', [['id', 'TEXT'], ['v', 'INTEGER']])
  for (const e of EXPORTS) {
    db.register(`t.${e}`, module)
    db.register(`u.${e}`, module)
  }
  const call = (f: string, key: SqlValue, ...args: SqlValue[]): SqlValue => db.call(`t.${f}`, key, args).value
  return { db, call }
}

const blob = new Uint8Array([1, 2, 3, 0, 255])
const text = 'héllo wörld ✓'

test('key_type/key_int/key_real/key_len/key_read for every key type', () => {
  const { call } = setup()
  assert.is(call('key', 7n), 7n)
  assert.is(call('key', -(2n ** 63n)), -(2n ** 63n))
  assert.is(call('key', 2.5), 2.5)
  assert.is(call('key', text), text)
  assert.equal(call('key', blob), blob)
  assert.is(call('key', null), null)
  assert.is(call('key_len', text), BigInt(new TextEncoder().encode(text).length))
  assert.is(call('key_len', 7n), 0n)
})

test('documented conversions: *_int truncates a REAL, *_real converts an INTEGER, others give 0', () => {
  const { call } = setup()
  assert.is(call('key_int', 2.9), 2n)
  assert.is(call('key_int', -2.9), -2n)
  assert.is(call('key_int', 1e300), 2n ** 63n - 1n)
  assert.is(call('key_int', 'x'), 0n)
  assert.is(call('key_real', 3n), 3)
  assert.is(call('key_real', 'x'), 0)
})

test('arg_count/arg_type/arg_int/arg_real/arg_len/arg_read', () => {
  const { call } = setup()
  assert.is(call('argc', 1n), 0n)
  assert.is(call('argc', 1n, 1n, 'a', null), 3n)
  assert.is(call('arg', 1n, 0n), 0n)
  assert.is(call('arg', 1n, 1n, 42n), 42n)
  assert.is(call('arg', 1n, 1n, -0.5), -0.5)
  assert.is(call('arg', 1n, 1n, text), text)
  assert.equal(call('arg', 1n, 1n, blob), blob)
  assert.is(call('arg', 1n, 1n, null), null)
  assert.is(call('arg_int', 1n, 0n), 0n)
  assert.is(call('arg_real', 1n, 0n), 0)
  assert.is(call('arg_len', 1n, 1n, 'abc'), 3n)
  expectCode(() => call('bad_arg', 1n), 'WASM_TRAP', /argument index 99 out of range/)
})

test('col by name, case-insensitive, -1 if none', () => {
  const { call } = setup()
  assert.is(call('col', 1n), 1n)
  assert.is(call('col_upper', 1n), 1n)
  assert.is(call('col_none', 1n), -1n)
})

test('row_exists, set_* (creating the row), get_*, delete_row', () => {
  const { db, call } = setup()
  assert.is(call('exists', 9n), 0n)
  assert.is(call('get', 9n, 1n), null) // absent row reads NULL
  call('set', 9n, 1n, 100n)
  assert.is(call('exists', 9n), 1n)
  assert.equal(db.row('t', 9n), [9n, 100n, null, null, null])
  call('set', 9n, 2n, 1.25)
  call('set', 9n, 3n, text)
  call('set', 9n, 4n, blob)
  assert.is(call('get', 9n, 1n), 100n)
  assert.is(call('get', 9n, 2n), 1.25)
  assert.is(call('get', 9n, 3n), text)
  assert.equal(call('get', 9n, 4n), blob)
  assert.is(call('get_real', 9n, 1n), 100)
  call('set', 9n, 3n, null)
  assert.is(call('get', 9n, 3n), null)
  call('del', 9n)
  assert.is(call('exists', 9n), 0n)
  assert.is(db.row('t', 9n), undefined)
})

test('a written blob is a copy, not a view of guest memory', () => {
  const { db, call } = setup()
  call('set', 3n, 4n, blob)
  const stored = db.row('t', 3n)?.[4] as Uint8Array
  call('set', 4n, 4n, new Uint8Array([9, 9, 9, 9, 9]))
  assert.equal(stored, blob)
})

test('call_begin/call_arg_*/call_invoke/result_*: the first pushed value is the key', () => {
  const { db, call } = setup()
  assert.is(call('call', 1n, 'u.key', 'bob'), 'bob')
  assert.is(call('call', 1n, 'u.key', 5n), 5n)
  assert.is(call('call', 1n, 'u.key', 2.5), 2.5)
  assert.equal(call('call', 1n, 'u.key', blob), blob)
  assert.is(call('call', 1n, 'u.key', null), null)
  assert.is(call('call', 1n, 'u.argc', 'k', 1n, 'two', null, 4.5, blob), 5n)
  assert.is(call('call', 1n, 'u.arg', 'k', 3n, 'a', 'b', text), text)
  assert.is(call('call', 1n, 'u.noret', 'k'), null)
  const nested = db.calls.filter((c) => c.name === 'u.arg')
  assert.equal(nested.at(-1), { name: 'u.arg', key: 'k', args: [3n, 'a', 'b', text], depth: 2 })
  assert.is(call('result_before_call', 1n), 0n)
})

test('call errors: unknown function propagates; invoke without begin or key traps', () => {
  const { call } = setup()
  expectCode(() => call('call', 1n, 'u.missing', 'k'), 'UNKNOWN_FUNCTION')
  expectCode(() => call('invoke_without_begin', 1n), 'WASM_TRAP', /without call_begin/)
  expectCode(() => call('invoke_without_key', 1n), 'WASM_TRAP', /without a key/)
  expectCode(() => call('arg_without_begin', 1n), 'WASM_TRAP', /without call_begin/)
})

test('ret_*: NULL if never set, last one wins', () => {
  const { call } = setup()
  assert.is(call('noret', 1n), null)
  assert.is(call('ret_twice', 1n), null)
  assert.ok(Object.is(call('ret_neg_zero', 1n), -0))
})

test('NaN policy: a NaN from the guest becomes NULL (ret_real, set_real, call_arg_real)', () => {
  const { db, call } = setup()
  assert.is(call('ret_nan', 1n), null)
  call('set', 5n, 1n, 1n)
  expectCode(() => call('set_nan', 5n, 2n), 'CONSTRAINT') // r is NOT NULL: NaN is NULL
  assert.equal(db.row('t', 5n), [5n, 1n, null, null, null])
  assert.is(call('call', 1n, 'u.key', NaN), null)
})

test('log reaches ctx.log; abort_txn is TXN_ABORTED with its message and does not return', () => {
  const { db, call } = setup()
  call('log', 1n)
  assert.equal(db.logs, ['not today'])
  expectCode(() => call('abort', 1n), 'TXN_ABORTED', /^not today$/)
})

test('guest memory out of bounds in a host call is WASM_TRAP', () => {
  const { call } = setup()
  expectCode(() => call('bad_ptr', 1n), 'WASM_TRAP', /out of bounds/)
  expectCode(() => call('bad_dst', 'long key'), 'WASM_TRAP', /out of bounds/)
})

test('a trap a host call detects names the function that made the call, as a trap of the guest itself does', () => {
  const { call } = setup()
  // Without the name, a wrong arity deep in a call chain said only "argument index 0 out of range".
  expectCode(() => call('bad_arg', 1n), 'WASM_TRAP', /^function t\.bad_arg trapped: argument index 99 out of range/)
  expectCode(() => call('call', 1n, 'u.bad_arg', 'k'), 'WASM_TRAP', /^function u\.bad_arg trapped: argument index 99 out of range/)
  expectCode(() => call('bad_ptr', 1n), 'WASM_TRAP', /^function t\.bad_ptr trapped: ret_text: guest memory access out of bounds/)
  expectCode(() => call('bad_dst', 'long key'), 'WASM_TRAP', /^function t\.bad_dst trapped: key_read: guest memory access out of bounds/)
  expectCode(() => call('invoke_without_begin', 1n), 'WASM_TRAP', /^function t\.invoke_without_begin trapped: call_invoke without call_begin/)
  expectCode(() => call('invoke_without_key', 1n), 'WASM_TRAP', /^function t\.invoke_without_key trapped: call_invoke of .* without a key/)
  expectCode(() => call('arg_without_begin', 1n), 'WASM_TRAP', /^function t\.arg_without_begin trapped: call_arg_\* without call_begin/)
  expectCode(() => call('abort', 1n), 'TXN_ABORTED', /^not today$/) // the function's own message stays as it is
})

test('guest text is decoded with replacement: an encoded surrogate (ED A0 80) and invalid bytes become U+FFFD, every time', () => {
  const guest = textGuest('kv')
  const once = () => {
    const db = newDb()
    db.createTable('kv', [['id', 'TEXT'], ['v', 'TEXT']])
    for (const f of ['put', 'write', 'nested']) db.register(`kv.${f}`, guest)
    const wrote = db.call('kv.write', 'a').value
    const nested = db.call('kv.nested', 'b').value
    // A BLOB argument hands `put` raw bytes: 'a', a stray FF and FE, and a truncated two-byte sequence.
    const put = db.call('kv.put', 'c', [new Uint8Array([0x61, 0xff, 0xfe, 0xc3])]).value
    const rows = ['a', SURROGATE_DECODED, 'c'].map((k) => db.row('kv', k))
    return { wrote, nested, put, rows, calls: db.calls.map((c) => c.key) }
  }
  const first = once()
  assert.is(first.wrote, SURROGATE_DECODED, 'set_text then get_* in the same call reads U+FFFD, not a surrogate')
  assert.is(first.nested, SURROGATE_DECODED)
  assert.is(first.put, 'a\ufffd\ufffd\ufffd')
  // The nested call's key (call_arg_text of ED A0 80) is U+FFFD U+FFFD U+FFFD too: no row has a lone-surrogate key.
  assert.equal(first.rows, [['a', SURROGATE_DECODED], [SURROGATE_DECODED, SURROGATE_DECODED], ['c', 'a\ufffd\ufffd\ufffd']])
  assert.equal(first.calls, ['a', 'b', SURROGATE_DECODED, 'c'])
  for (const v of [first.wrote, first.nested, first.put, ...first.rows.flat()]) assert.ok(typeof v === 'string' && v.isWellFormed(), JSON.stringify(v))
  assert.equal(once(), first, 'deterministic: the same bytes decode the same way')
})

test("txn_time_ms gives the transaction's batch time (the AssemblyScript library's txnTimeMs)", () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  db.register('t.time', guest('astest'))
  for (const ms of [0, 1_767_323_045_678, 8_640_000_000_000_000]) {
    db.timeMs = ms
    assert.is(db.call('t.time', 1n).value, BigInt(ms))
  }
})

test.run()
