/**
 * The Rust crate's wrappers and the C header's helpers over every ABI import, through the wasm runtime
 * (the test suite's engine, test/wasm-exec/fake-context.ts): guest/rust/test/probe.rs and
 * guest/c/test/probe.c, which export the same functions where both languages have them.
 */
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import type { SqlValue } from '../../src/values.js'
import { expectCode, newDb } from '../wasm-exec/setup.js'
import { guestModule, guestTest, type GuestLanguage } from '../support/guest-toolchains.js'

const COMMON = ['echo', 'echo_key', 'count', 'store', 'clear', 'exists', 'time', 'remove', 'forward', 'say', 'bad_column', 'write_typed', 'abort_with', 'hog']
const RUST_ONLY = ['read_typed', 'typed', 'optional', 'optional_first', 'raw_args', 'fail_with', 'boom']
const C_ONLY = ['read_text', 'read_real', 'read_int', 'read_blob']

function probe(lang: GuestLanguage) {
  const db = newDb()
  db.createTable('kv', [['id', 'TEXT'], ['i', 'INTEGER'], ['r', 'REAL'], ['t', 'TEXT'], ['b', 'BLOB']])
  db.createTable('nums', [['id', 'INTEGER'], ['v', 'INTEGER']])
  db.createTable('reals', [['id', 'REAL'], ['v', 'INTEGER']])
  const bytes = guestModule('probe', lang)
  for (const f of [...COMMON, ...(lang === 'rust' ? RUST_ONLY : C_ONLY)]) db.register(`kv.${f}`, bytes)
  db.register('nums.echo_key', bytes)
  db.register('reals.echo_key', bytes)
  return db
}

const VALUES: SqlValue[] = [42n, -9223372036854775808n, 9223372036854775807n, -1.5, 0, 'héllo ✓', '', new Uint8Array([0, 1, 255]), new Uint8Array(0), null]

for (const lang of ['rust', 'c'] as GuestLanguage[]) {
  guestTest(lang)(`${lang}: every value type passes through arguments, the key, the row, nested calls and the return value`, () => {
    const db = probe(lang)
    for (const v of VALUES) {
      assert.equal(db.call('kv.echo', 'k', [v]).value, v, `echo ${String(v)}`)
      assert.equal(db.call('kv.forward', 'k', ['kv.echo', 'other', v]).value, v, `forward ${String(v)}`)
    }
    assert.is(db.call('kv.echo_key', 'clé').value, 'clé')
    assert.is(db.call('nums.echo_key', -7n).value, -7n)
    assert.is(db.call('reals.echo_key', 2.5).value, 2.5)
    assert.is(db.call('kv.count', 'k').value, 0n)
    assert.is(db.call('kv.count', 'k', [1n, 'x', null]).value, 3n)
    // A nested call with no arguments after the key, and one with several.
    assert.is(db.call('kv.forward', 'k', ['kv.count', 'other']).value, 0n)
    assert.is(db.call('kv.forward', 'k', ['kv.count', 'other', 1n, 2n]).value, 2n)
  })

  guestTest(lang)(`${lang}: a row is written, read back, cleared and deleted by column name`, () => {
    const db = probe(lang)
    assert.is(db.call('kv.exists', 'a').value, 0n)
    assert.is(db.call('kv.store', 'a', ['i', 5n]).value, 5n)
    assert.is(db.call('kv.store', 'a', ['R', 0.25]).value, 0.25, 'column names are case-insensitive')
    assert.is(db.call('kv.store', 'a', ['t', 'text ✓']).value, 'text ✓')
    assert.equal(db.call('kv.store', 'a', ['b', new Uint8Array([9, 8])]).value, new Uint8Array([9, 8]))
    assert.equal(db.row('kv', 'a'), ['a', 5n, 0.25, 'text ✓', new Uint8Array([9, 8])])
    assert.is(db.call('kv.clear', 'a', ['t']).value, 1n)
    assert.is(db.call('kv.exists', 'a').value, 1n)
    assert.is(db.call('kv.remove', 'a').value, 0n)
    assert.is(db.row('kv', 'a'), undefined)
    db.call('kv.write_typed', 'w', [3n, 1.5, 'typed', new Uint8Array([1, 2, 3])])
    assert.equal(db.row('kv', 'w'), ['w', 3n, 1.5, 'typed', new Uint8Array([1, 2, 3])])
    expectCode(() => db.call('kv.bad_column', 'a'), 'TXN_ABORTED', /^unknown column nope$/)
  })

  guestTest(lang)(`${lang}: txn_time_ms gives the batch's time`, () => {
    const db = probe(lang)
    db.timeMs = 1_767_323_045_678
    assert.is(db.call('kv.time', 'a').value, 1_767_323_045_678n)
  })

  guestTest(lang)(`${lang}: log lines reach the engine; abort is TXN_ABORTED with the message; memory past the maximum is MEMORY_LIMIT`, () => {
    const db = probe(lang)
    db.call('kv.say', 'k', ['a line ✓'])
    assert.equal(db.logs, ['a line ✓'])
    expectCode(() => db.call('kv.abort_with', 'k', ['stop here ✓']), 'TXN_ABORTED', /^stop here ✓$/)
    // The heap starts in the memory the module has; 64 KiB more grows it, 2 MiB is past its 1 MiB maximum.
    assert.is(db.call('kv.hog', 'k', [1000n]).value, lang === 'rust' ? 1000n : 7n)
    assert.is(db.call('kv.hog', 'k', [65536n]).value, lang === 'rust' ? 65536n : 7n)
    expectCode(() => db.call('kv.hog', 'k', [2n * 1024n * 1024n]), 'MEMORY_LIMIT')
  })
}

guestTest('rust')('rust: export! converts typed arguments strictly, Err aborts, a panic is WASM_TRAP with its message', () => {
  const db = probe('rust')
  assert.is(db.call('kv.typed', 'k', [7n, 2n, 's', new Uint8Array([1]), null, 1n]).value, '7 2 s [1] None true')
  assert.is(db.call('kv.typed', 'k', [7n, 0.5, '', new Uint8Array(0), 3n, 0n]).value, '7 0.5  [] Some(3) false')
  expectCode(() => db.call('kv.typed', 'k', ['7', 2n, 's', new Uint8Array([1]), null, 1n]), 'TXN_ABORTED', /^argument 1 \(i\) must be INTEGER, got TEXT$/)
  expectCode(() => db.call('kv.typed', 'k', [7n, 'x', 's', new Uint8Array([1]), null, 1n]), 'TXN_ABORTED', /^argument 2 \(r\) must be REAL or INTEGER, got TEXT$/)
  expectCode(() => db.call('kv.typed', 'k', [7n, 2n, 's', 'not a blob', null, 1n]), 'TXN_ABORTED', /^argument 4 \(b\) must be BLOB, got TEXT$/)
  expectCode(() => db.call('kv.typed', 'k', [7n, 2n, 's', new Uint8Array([1]), 1.5, 1n]), 'TXN_ABORTED', /^argument 5 \(o\) must be INTEGER, got REAL$/)
  // Missing arguments are the engine's trap, as for any guest.
  // It said "(the call has 1 arguments)", which read oddly beside a CALL that wrote two values (the key and one).
  expectCode(() => db.call('kv.typed', 'k', [7n]), 'WASM_TRAP', /argument index 1 out of range: the call passed 1 argument after its key \(arguments count from 0 after the key: CALL t\.f\(key, arg0, arg1, …\)\)/)
  // An Option parameter left out at the end of the call is None, as NULL is; it trapped as an index out of range.
  assert.is(db.call('kv.optional', 'k', [1n, 2n, 'x']).value, '1 Some(2) Some("x") 3')
  assert.is(db.call('kv.optional', 'k', [1n, null, null]).value, '1 None None 3')
  assert.is(db.call('kv.optional', 'k', [1n, 2n]).value, '1 Some(2) None 2')
  assert.is(db.call('kv.optional', 'k', [1n]).value, '1 None None 1')
  expectCode(() => db.call('kv.optional', 'k', []), 'WASM_TRAP', /argument index 0 out of range: the call passed no argument after its key/)
  expectCode(() => db.call('kv.optional', 'k', [1n, 'two']), 'TXN_ABORTED', /^argument 2 \(o\) must be INTEGER, got TEXT$/)
  assert.is(db.call('kv.optional_first', 'k', [null, 5n]).value, 'None 5')
  expectCode(() => db.call('kv.optional_first', 'k', []), 'WASM_TRAP', /argument index 1 out of range: the call passed no argument after its key/)
  // The raw helpers convert as the ABI does: a REAL argument truncated, TEXT read as 0.
  assert.is(db.call('nums.echo_key', 4n).value, 4n)
  db.register('nums.raw_args', guestModule('probe', 'rust'))
  assert.is(db.call('nums.raw_args', 4n, [9.9, 3n, 'x', new Uint8Array([5])]).value, '9 3 x [5] 4')
  db.call('kv.write_typed', 'w', [-3n, 1.5, 'typed', new Uint8Array([1, 2])])
  assert.is(db.call('kv.read_typed', 'w').value, '-3 1.5 typed [1, 2] false')
  expectCode(() => db.call('kv.fail_with', 'k', ['no such thing']), 'TXN_ABORTED', /^no such thing$/)
  // Rust 1.63 says "panicked at 'MESSAGE', FILE:LINE:COL"; later versions "panicked at FILE:LINE:COL:\nMESSAGE".
  const panic = expectCode(() => db.call('kv.boom', 'k', [3n]), 'WASM_TRAP', /aborted: panicked at /)
  assert.match(panic.message, 'index out of bounds: the len is 1 but the index is 3')
  assert.match(panic.message, /probe\.rs:\d+:\d+/)
  assert.is(db.call('kv.boom', 'k', [0n]).value, 1n, 'the next call starts fresh after a panic')
})

guestTest('c')('c: the typed getters and return helpers', () => {
  const db = probe('c')
  db.call('kv.write_typed', 'w', [-3n, 1.5, 'typed', new Uint8Array([1, 2])])
  assert.is(db.call('kv.read_text', 'w').value, 'typed')
  assert.is(db.call('kv.read_real', 'w').value, 1.5)
  assert.is(db.call('kv.read_int', 'w').value, -3n)
  assert.equal(db.call('kv.read_blob', 'w').value, new Uint8Array([1, 2]))
  // An absent row reads NULL: 0 and "" from the typed getters.
  assert.is(db.call('kv.read_int', 'absent').value, 0n)
  assert.is(db.call('kv.read_text', 'absent').value, '')
})

test.run()
