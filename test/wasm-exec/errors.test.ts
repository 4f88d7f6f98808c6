import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { EngineSignal } from '../../src/schema/function-runtime.js'
import { Wasm } from '../../src/wasm-exec/wasm-api.js'
import { expectCode, guest, newDb, thrown } from './setup.js'
import { abiModule, wat } from './wat.js'

const module = abiModule(`
  (data (i32.const 0) "t.nest")
  (data (i32.const 16) "t.get")
  (func (export "unreachable") unreachable)
  (func (export "div0") (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (func (export "oob") (drop (i32.load (i32.const 70000))))
  (func $recurse (export "recurse") (call $recurse))
  (func (export "get") (call $ret_int (call $get_int (i32.const 1))))
  (func (export "nest") (local $d i64)
    (local.set $d (call $arg_int (i32.const 0)))
    (if (i64.gt_s (local.get $d) (i64.const 0)) (then
      (call $call_begin (i32.const 0) (i32.const 6))
      (call $call_arg_int (call $key_int))
      (call $call_arg_int (i64.sub (local.get $d) (i64.const 1)))
      (drop (call $call_invoke))))
    (call $ret_int (local.get $d)))
  (func (export "call_get")
    (call $call_begin (i32.const 16) (i32.const 5))
    (call $call_arg_int (i64.const 2))
    (drop (call $call_invoke))
    (call $ret_int (call $result_int)))
`)

function setup() {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
  for (const f of ['unreachable', 'div0', 'oob', 'recurse', 'get', 'nest', 'call_get']) db.register(`t.${f}`, module)
  return db
}

test('traps are WASM_TRAP with the reason', () => {
  const db = setup()
  expectCode(() => db.call('t.unreachable', 1n), 'WASM_TRAP', /unreachable/)
  expectCode(() => db.call('t.div0', 1n), 'WASM_TRAP', /divide by zero/)
  expectCode(() => db.call('t.oob', 1n), 'WASM_TRAP', /out of bounds/)
})

test('unbounded recursion is WASM_TRAP (the counted stack limit), and the runtime keeps working afterwards', () => {
  const db = setup()
  expectCode(() => db.call('t.recurse', 1n), 'WASM_TRAP', /wasm call stack exhausted/)
  assert.is(db.call('t.nest', 1n, [3n]).value, 3n)
})

test('env.abort from AssemblyScript is WASM_TRAP with its message and position', () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  db.register('t.boom', guest('astest'))
  expectCode(() => db.call('t.boom', 1n), 'WASM_TRAP', /boom at .*astest\.ts:\d+:\d+/)
})

test('env.abort with undecodable pointers is still WASM_TRAP', () => {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  const bytes = wat(`(module (import "env" "abort" (func $abort (param i32 i32 i32 i32))) (memory (export "memory") 1 1)
    (func (export "f") (call $abort (i32.const 0) (i32.const 99999) (i32.const 1) (i32.const 2))))`)
  db.register('t.f', bytes)
  expectCode(() => db.call('t.f', 1n), 'WASM_TRAP', /aborted: abort$/)
})

test('call depth beyond the limit is the engine\'s CALL_DEPTH_EXCEEDED, passed through', () => {
  const db = setup()
  assert.is(db.call('t.nest', 1n, [63n]).value, 63n)
  expectCode(() => db.call('t.nest', 1n, [64n]), 'CALL_DEPTH_EXCEEDED')
  assert.is(db.call('t.nest', 1n, [2n]).value, 2n)
})

class LockMiss extends EngineSignal {}

test('errors thrown by ctx methods propagate unchanged (same object), also from nested frames', () => {
  const db = setup()
  const signal = new LockMiss('lock miss')
  db.throwFrom = { method: 'getColumn', error: signal }
  assert.is(thrown(() => db.call('t.get', 1n)), signal)

  const runtimeError = new Wasm.RuntimeError('from the engine')
  db.throwFrom = { method: 'getColumn', error: runtimeError }
  assert.is(thrown(() => db.call('t.get', 1n)), runtimeError)

  const overflow = new RangeError('Maximum call stack size exceeded')
  db.throwFrom = { method: 'getColumn', error: overflow }
  assert.is(thrown(() => db.call('t.call_get', 1n)), overflow) // thrown in the callee, seen by the caller's caller

  const failure = new AcheronError('TYPE_MISMATCH', 'nope')
  db.throwFrom = { method: 'call', error: failure }
  assert.is(thrown(() => db.call('t.call_get', 1n)), failure)

  const plain = { not: 'an error' }
  db.throwFrom = { method: 'getColumn', error: plain }
  assert.is(thrown(() => db.call('t.get', 1n)), plain)

  db.put('t', [2n, 5n])
  assert.is(db.call('t.call_get', 1n).value, 5n)
})

test.run()
