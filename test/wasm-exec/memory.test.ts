import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectCode, guest, newDb } from './setup.js'
import { abiModule } from './wat.js'

const module = abiModule(`
  (global $g (mut i64) (i64.const 0))
  (data (i32.const 200) "\\07")
  (data (i32.const 0) "t.nest")
  ;; Bumps a global and a memory cell, reads and clears a data-segment byte: fresh state gives 2007.
  (func (export "fresh")
    (global.set $g (i64.add (global.get $g) (i64.const 1)))
    (i32.store8 (i32.const 100) (i32.add (i32.load8_u (i32.const 100)) (i32.const 1)))
    (call $ret_int (i64.add (i64.mul (i64.add (global.get $g) (i64.extend_i32_u (i32.load8_u (i32.const 100)))) (i64.const 1000))
      (i64.extend_i32_u (i32.load8_u (i32.const 200)))))
    (i32.store8 (i32.const 200) (i32.const 0)))
  ;; Recursion through the engine: every frame has its own memory, each sees its cell at 1.
  (func (export "nest") (local $d i64)
    (i32.store8 (i32.const 100) (i32.add (i32.load8_u (i32.const 100)) (i32.const 1)))
    (local.set $d (call $arg_int (i32.const 0)))
    (if (i64.gt_s (local.get $d) (i64.const 0)) (then
      (call $call_begin (i32.const 0) (i32.const 6))
      (call $call_arg_int (call $key_int))
      (call $call_arg_int (i64.sub (local.get $d) (i64.const 1)))
      (drop (call $call_invoke))
      (if (i64.ne (call $result_int) (i64.const 1)) (then unreachable))))
    (call $ret_int (i64.extend_i32_u (i32.load8_u (i32.const 100)))))
  ;; Dirties a global and memory, then traps: the next invocation must not see any of it.
  (func (export "bump_then_trap")
    (global.set $g (i64.const 99))
    (i32.store8 (i32.const 100) (i32.const 99))
    (i32.store8 (i32.const 200) (i32.const 0))
    unreachable)
  (func (export "grow_ok") (drop (memory.grow (i32.const 1))) (call $ret_int (i64.extend_i32_u (memory.size))))
  (func (export "size") (call $ret_int (i64.extend_i32_u (memory.size))))
  (func (export "grow_fail_handled") (call $ret_int (i64.extend_i32_s (memory.grow (i32.const 5)))))
  (func (export "grow_fail_trap") (if (i32.eq (memory.grow (i32.const 5)) (i32.const -1)) (then unreachable)))
  (func (export "grow_ok_then_trap") (drop (memory.grow (i32.const 1))) unreachable)
  (func (export "grow_fail_ok_then_trap") (drop (memory.grow (i32.const 5))) (drop (memory.grow (i32.const 1))) unreachable)
`, '(memory (export "memory") 1 3)')

function setup() {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
  for (const f of ['fresh', 'bump_then_trap', 'nest', 'grow_ok', 'size', 'grow_fail_handled', 'grow_fail_trap', 'grow_ok_then_trap', 'grow_fail_ok_then_trap']) {
    db.register(`t.${f}`, module)
  }
  return db
}

test('every invocation starts from a fresh state: globals, memory and data segments', () => {
  const db = setup()
  for (let i = 0; i < 5; i++) assert.is(db.call('t.fresh', 1n).value, 2007n)
})

test('a trap leaves nothing behind for the next invocation', () => {
  const db = setup()
  for (let i = 0; i < 3; i++) {
    expectCode(() => db.call('t.bump_then_trap', 1n), 'WASM_TRAP')
    assert.is(db.call('t.fresh', 1n).value, 2007n)
  }
})

test('a module that drops a passive data segment still starts fresh every time (no instance reuse)', () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  const bytes = abiModule(`
    (global $g (mut i64) (i64.const 0))
    (data $p "\\05")
    (func (export "f")
      (global.set $g (i64.add (global.get $g) (i64.const 1)))
      (memory.init $p (i32.const 10) (i32.const 0) (i32.const 1))
      (data.drop $p)
      (call $ret_int (i64.add (global.get $g) (i64.extend_i32_u (i32.load8_u (i32.const 10))))))`)
  db.register('t.f', bytes)
  for (let i = 0; i < 4; i++) assert.is(db.call('t.f', 1n).value, 6n)
})

test('fresh state in AssemblyScript (global and heap)', () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  db.register('t.fresh', guest('astest'))
  for (let i = 0; i < 4; i++) assert.is(db.call('t.fresh', 1n).value, 2n)
})

test('nested invocations of the same module each get their own memory', () => {
  const db = setup()
  assert.is(db.call('t.nest', 1n, [5n]).value, 1n)
  assert.is(db.call('t.nest', 1n, [12n]).value, 1n) // deeper than the pool keeps
  assert.is(db.call('t.fresh', 1n).value, 2007n)
})

test('growth within the declared maximum works, and the next call starts at the initial size', () => {
  const db = setup()
  assert.is(db.call('t.grow_ok', 1n).value, 2n)
  assert.is(db.call('t.size', 1n).value, 1n)
  assert.is(db.call('t.grow_ok', 1n).value, 2n)
})

test('growth beyond the maximum returns -1 to the guest; a trap after it is MEMORY_LIMIT', () => {
  const db = setup()
  assert.is(db.call('t.grow_fail_handled', 1n).value, -1n)
  expectCode(() => db.call('t.grow_fail_trap', 1n), 'MEMORY_LIMIT', /memory limit/)
  // The module's own maximum (3 pages) is what refused: the message names it beside the MEMORY limit, which
  // alone (16 MiB, far above what failed) left an author looking at the wrong number.
  expectCode(() => db.call('t.grow_fail_trap', 1n), 'MEMORY_LIMIT',
    /memory\.grow beyond the module's declared maximum of 196608 bytes \(3 pages\) failed \(memory is 65536 bytes; MEMORY limit 16777216 bytes\)/)
  expectCode(() => db.call('t.grow_ok_then_trap', 1n), 'WASM_TRAP', /unreachable/)
  expectCode(() => db.call('t.grow_fail_ok_then_trap', 1n), 'WASM_TRAP')
})

test('MEMORY_LIMIT says what raises the limit: the declared maximum first, then MEMORY', () => {
  // `acheron fn build` declares 1 MiB; a function hitting that under the default MEMORY of 16 MiB is
  // helped only by a rebuild, which the message used not to mention.
  const db = setup()
  expectCode(() => db.call('t.grow_fail_trap', 1n), 'MEMORY_LIMIT',
    /\. To give it more, rebuild the module with a larger declared maximum \(acheron fn build --max-memory BYTES; asc --maximumMemory PAGES; wasm-ld --max-memory=BYTES\), up to its MEMORY of 16777216 bytes$/)
  // Declared maximum = MEMORY: both have to grow.
  const tight = newDb()
  tight.createTable('t', [['id', 'INTEGER']])
  tight.register('t.grow_fail_trap', module, { memoryBytes: 3 * 65536 })
  expectCode(() => tight.call('t.grow_fail_trap', 1n), 'MEMORY_LIMIT',
    /rebuild the module with a larger declared maximum \(.*\) and register it WITH \(MEMORY = BYTES\), at most 268435456$/)
})

test('AssemblyScript allocating beyond its declared maximum fails with MEMORY_LIMIT', () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  db.register('t.hog', guest('astest'))
  assert.is(db.call('t.hog', 1n, [1000n]).value, 1000n)
  expectCode(() => db.call('t.hog', 1n, [4_000_000n]), 'MEMORY_LIMIT')
  assert.is(db.call('t.hog', 1n, [500_000n]).value, 500_000n)
})

test.run()
