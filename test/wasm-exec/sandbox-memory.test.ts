/**
 * Memory the host holds for guests is bounded and counted deterministically: table sizes at registration,
 * the bytes of idle pooled instances per thread (evicted least recently used first, which changes no
 * outcome), the instances a call chain holds at once, and the host-side values a call chain keeps alive
 * (call arguments, results, return values, row values), counted in bytes against the MEMORY limit.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HOST_BYTES_MAX } from '../../src/wasm-exec/abi.js'
import { POOL_IDLE_BYTES_MAX, idleInstances } from '../../src/wasm-exec/instance-pool.js'
import { TABLE_ELEMENTS_MAX } from '../../src/wasm-exec/validate.js'
import { expectCode, newDb, runtime } from './setup.js'
import { abiModule, wat } from './wat.js'
import { moduleSource } from './fake-context.js'

const MiB = 1024 * 1024

test('a table above TABLE_ELEMENTS_MAX is INVALID_WASM naming the limit; one at the limit is accepted', () => {
  const table = (n: number): Uint8Array => wat(`(module (memory (export "memory") 1 1) (table ${n} funcref) (func (export "f")))`)
  const fn = { exportName: 'f', memoryBytes: 16 * MiB }
  expectCode(() => runtime.validate(moduleSource(table(10_000_000)), fn), 'INVALID_WASM', new RegExp(`table.*10000000.*${TABLE_ELEMENTS_MAX}`))
  runtime.validate(moduleSource(table(TABLE_ELEMENTS_MAX)), fn)
})

test('idle pooled instances are bounded per thread: 40 modules with 16 MiB memories, one call each', () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  for (let i = 0; i < 40; i++) {
    db.register(`t.f${i}`, abiModule(`(func (export "f${i}") (i32.store (i32.const 0) (i32.const ${i})) (call $ret_int (i64.const ${i})))`, '(memory (export "memory") 256 256)'))
    assert.is(db.call(`t.f${i}`, 1n).value, BigInt(i))
    assert.ok(idleInstances.bytes <= POOL_IDLE_BYTES_MAX, `${idleInstances.bytes} bytes pooled after ${i + 1} modules`)
  }
  assert.ok(idleInstances.bytes >= POOL_IDLE_BYTES_MAX - 16 * MiB, 'the pool still keeps what fits')
  // Evicted or pooled, every module answers the same.
  for (let i = 0; i < 40; i++) assert.is(db.call(`t.f${i}`, 1n).value, BigInt(i))
})

const nest = (pages: number): Uint8Array => abiModule(`
  (data (i32.const 0) "t.nest")
  ;; Pushes arg 1 text arguments of arg 0 bytes each as the key-and-args of a call to t.nest with depth - 1.
  (func (export "args") (local $i i32)
    (call $call_begin (i32.const 0) (i32.const 6))
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (i32.wrap_i64 (call $arg_int (i32.const 1)))))
      (call $call_arg_text (i32.const 0) (i32.wrap_i64 (call $arg_int (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  ;; nest(depth): returns a text of arg 0 bytes from the bottom; each level calls the next with a 1 MiB text argument.
  (func (export "nest")
    (if (i64.gt_s (call $arg_int (i32.const 0)) (i64.const 0)) (then
      (call $call_begin (i32.const 0) (i32.const 6))
      (call $call_arg_int (call $key_int))
      (call $call_arg_int (i64.sub (call $arg_int (i32.const 0)) (i64.const 1)))
      (call $call_arg_text (i32.const 64) (i32.const ${MiB}))
      (drop (call $call_invoke))
      (call $ret_text (i32.const 64) (call $result_len)))
    (else (call $ret_text (i32.const 64) (i32.const ${MiB})))))
  ;; Writes arg 1 bytes into column 1 arg 0 times (the same column: only the last value is held).
  (func (export "write") (local $i i64)
    (block $out (loop $l
      (br_if $out (i64.ge_s (local.get $i) (call $arg_int (i32.const 0))))
      (call $set_text (i32.const 1) (i32.const 64) (i32.wrap_i64 (call $arg_int (i32.const 1))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))
`, `(memory (export "memory") ${pages} ${pages})`)

/** Functions of a module whose memory is the whole MEMORY limit (at least 2 MiB: the texts are 1 MiB). */
function chainDb(memoryBytes: number) {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['s', 'TEXT']])
  const module = nest(memoryBytes / 65536)
  for (const f of ['args', 'nest', 'write']) db.register(`t.${f}`, module, { memoryBytes, fuel: 1_000_000_000 })
  return db
}

test('text arguments a chain holds count against its MEMORY limit: MEMORY_LIMIT, the same on every run', () => {
  const db = chainDb(16 * MiB)
  // 4 arguments of 1 MiB are fine; 255 of 16 MiB (what exhausted a worker's heap) are not.
  db.call('t.args', 1n, [BigInt(MiB), 4n])
  for (let i = 0; i < 2; i++) {
    expectCode(() => db.call('t.args', 1n, [BigInt(HOST_BYTES_MAX), 255n]), 'MEMORY_LIMIT', /host|held/)
  }
})

test('nested calls: arguments and results held down the chain are counted; within the limit they pass', () => {
  const db = chainDb(2 * MiB)
  // MEMORY 16 MiB: 8 levels × 1 MiB argument (+ a 1 MiB result and return value) fit; 20 levels do not.
  const big = chainDb(16 * MiB)
  assert.is((big.call('t.nest', 1n, [8n]).value as string).length, MiB)
  expectCode(() => big.call('t.nest', 1n, [20n]), 'MEMORY_LIMIT')
  const e = expectCode(() => db.call('t.nest', 1n, [20n]), 'MEMORY_LIMIT')
  assert.is(expectCode(() => db.call('t.nest', 1n, [20n]), 'MEMORY_LIMIT').message, e.message)
})

test('row values count as held once per column: rewriting a column does not add up; a bigger MEMORY allows more', () => {
  const db = chainDb(16 * MiB)
  db.call('t.write', 1n, [100n, BigInt(MiB)]) // 100 writes of 1 MiB to one column: 1 MiB held
  expectCode(() => chainDb(2 * MiB).call('t.args', 1n, [BigInt(MiB), 3n]), 'MEMORY_LIMIT')
  chainDb(4 * MiB).call('t.args', 1n, [BigInt(MiB), 3n])
})

test.run()
