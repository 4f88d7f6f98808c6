import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WASM_CALL_DEPTH_MAX } from '../../src/wasm-exec/fuel.js'
import { createRuntime } from '../../src/wasm-exec/runtime.js'
import { DEPTH_MODULE, runScenarios, type Outcome } from './depth-probe.js'
import { FakeDb } from './fake-context.js'
import { expectCode, newDb } from './setup.js'
import { wat } from './wat.js'

const probe = fileURLToPath(new URL('./depth-probe.js', import.meta.url))
const EXHAUSTED = /trapped: wasm call stack exhausted/

function setup(fuel = 100_000_000) {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
  for (const f of ['rec', 'inf', 'nest']) db.register(`t.${f}`, DEPTH_MODULE, { fuel })
  return db
}

test('the limit is exact: a chain of WASM_CALL_DEPTH_MAX small frames runs, one more traps', () => {
  const db = setup()
  // rec(n) holds 1 + (n + 1) frames.
  assert.is(db.call('t.rec', 1n, [BigInt(WASM_CALL_DEPTH_MAX - 2)]).value, BigInt(WASM_CALL_DEPTH_MAX - 2))
  expectCode(() => db.call('t.rec', 1n, [BigInt(WASM_CALL_DEPTH_MAX - 1)]), 'WASM_TRAP', EXHAUSTED)
  // The counter starts from zero on every invocation, also after a trap.
  assert.is(db.call('t.rec', 1n, [BigInt(WASM_CALL_DEPTH_MAX - 2)]).value, BigInt(WASM_CALL_DEPTH_MAX - 2))
})

test('unbounded recursion fails with the same code and message every time, whatever the fuel (if enough)', async () => {
  const first = expectCode(() => setup().call('t.inf', 1n), 'WASM_TRAP', EXHAUSTED)
  assert.is(first.message, `function t.inf trapped: wasm call stack exhausted (call depth above ${WASM_CALL_DEPTH_MAX} frame units across the call chain)`)
  for (const fuel of [100_000, 1_000_000, 10_000_000, 1_000_000_000]) {
    const db = new FakeDb(await createRuntime())
    db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
    db.register('t.inf', DEPTH_MODULE, { fuel })
    for (let i = 0; i < 20; i++) assert.is(expectCode(() => db.call('t.inf', 1n), 'WASM_TRAP').message, first.message)
  }
  // Too little fuel to get that deep: OUT_OF_FUEL, also at the same point every time.
  const small = setup(500)
  for (let i = 0; i < 5; i++) expectCode(() => small.call('t.inf', 1n), 'OUT_OF_FUEL')
})

test('the limit covers the whole call chain: 64 nested host calls, big frames and deep operand stacks', () => {
  const db = setup()
  for (let i = 0; i < 10; i++) {
    for (const what of [0n, 1n, 2n]) {
      const e = expectCode(() => db.call('t.nest', 1n, [63n, what]), 'WASM_TRAP', EXHAUSTED)
      assert.is(e.message.startsWith('function t.nest trapped'), true)
    }
  }
  // The nest itself is fine.
  assert.is(db.call('t.nest', 1n, [63n, 3n]).value, 63n)
})

function same(outcomes: Outcome[], reference: Outcome[], where: string): void {
  for (const o of outcomes) if (o.code !== 'WASM_TRAP' || !EXHAUSTED.test(o.message)) throw new Error(`${where}: ${o.code} ${o.message}`)
  assert.equal(outcomes, reference, where)
}

test('the same outcomes in a worker thread and under every V8 tier (Liftoff only, TurboFan only, default)', async () => {
  const reference = await runScenarios(2)
  same(reference, reference, 'main thread')
  const inWorker = await new Promise<Outcome[]>((resolve, reject) => {
    const w = new Worker(probe)
    w.once('message', (m: Outcome[]) => { resolve(m); void w.terminate() })
    w.once('error', reject)
  })
  same(inWorker.slice(0, reference.length), reference, 'worker')
  for (const flags of [['--liftoff', '--no-wasm-tier-up'], ['--no-liftoff']]) {
    const r = spawnSync(process.execPath, [...flags, probe], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`probe ${flags.join(' ')} failed: ${r.stderr}`)
    same((JSON.parse(r.stdout) as Outcome[]).slice(0, reference.length), reference, `node ${flags.join(' ')}`)
  }
})

test('every exit restores the count: return, br out of the body, fallthrough, multi-value, tail calls', () => {
  const bytes = wat(`(module
    (import "acheron" "arg_int" (func $arg_int (param i32) (result i64)))
    (import "acheron" "ret_int" (func $ret_int (param i64)))
    (memory (export "memory") 1 1)
    (func $ret (param $x i64) (result i64)
      (if (i64.gt_s (local.get $x) (i64.const 5)) (then (return (i64.const 1))))
      (i64.const 2))
    (func $brout (param $x i64)
      (block $b (br_if $b (i64.gt_s (local.get $x) (i64.const 5))) (nop)))
    (func $brbody (param $x i64) (result i64)
      (i64.const 3) (br_if 0 (i64.gt_s (local.get $x) (i64.const 5))) (drop) (i64.const 4))
    (func $mv (param $x i64) (result i64 i64)
      (if (i64.gt_s (local.get $x) (i64.const 5)) (then (return (i64.const 1) (i64.const 2))))
      (i64.const 3) (i64.const 4))
    (func $tail (param $x i64) (result i64)
      (if (result i64) (i64.le_s (local.get $x) (i64.const 0))
        (then (i64.const 7))
        (else (return_call $tail (i64.sub (local.get $x) (i64.const 1))))))
    (func $tail_void (param $x i64)
      (if (i64.gt_s (local.get $x) (i64.const 0)) (then (return_call $tail_void (i64.sub (local.get $x) (i64.const 1))))))
    (func (export "loop") (local $i i64) (local $n i64) (local $s i64)
      (local.set $n (call $arg_int (i32.const 0)))
      (block $out (loop $l
        (br_if $out (i64.ge_s (local.get $i) (local.get $n)))
        (local.set $s (i64.add (local.get $s) (call $ret (local.get $i))))
        (call $brout (local.get $i))
        (local.set $s (i64.add (local.get $s) (call $brbody (local.get $i))))
        (local.set $s (i64.add (local.get $s) (i64.add (call $mv (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $l)))
      (call $ret_int (local.get $s)))
    (func (export "tail")
      (call $tail_void (call $arg_int (i32.const 0)))
      (call $ret_int (call $tail (call $arg_int (i32.const 0))))))`, { tail_call: true })
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  db.register('t.loop', bytes)
  db.register('t.tail', bytes)
  // 3000 iterations of calls that each leave through a different exit: no net depth.
  const expected = Array.from({ length: 3000 }, (_, i) => (i > 5 ? 1 + 3 + 3 : 2 + 4 + 7)).reduce((a, b) => a + b, 0)
  assert.is(db.call('t.loop', 1n, [3000n]).value, BigInt(expected))
  // Tail recursion far beyond the limit: tail calls add no depth.
  assert.is(db.call('t.tail', 1n, [100_000n]).value, 7n)
})

test.run()
