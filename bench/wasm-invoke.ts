/**
 * Benchmark of the wasm function runtime on one core, through the test suite's fake engine context:
 * fresh-state invocations/s of a trivial function (WAT and AssemblyScript), of the bank transfer (two
 * invocations per transfer), the cost of one host call and of one call between guest functions, and of one
 * iteration of a float loop (scalar f64 and f64x2, the ops whose NaNs the instrumentation canonicalises) and
 * of a store loop (every store widens the invocation's written range, see src/wasm-exec/written-range.ts).
 * Run: node dist/bench/wasm-invoke.js
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import type { FuelMeter, InvocationContext } from '../src/schema/function-runtime.js'
import { createRuntime } from '../src/wasm-exec/runtime.js'
import { FakeDb } from '../test/wasm-exec/fake-context.js'
import { abiModule } from '../test/wasm-exec/wat.js'

const root = new URL('../../', import.meta.url).pathname
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-guests.js')], { encoding: 'utf8' })
if (build.status !== 0) throw new Error(`build-guests failed: ${build.stderr}`)
const guest = (name: string): Uint8Array => new Uint8Array(readFileSync(join(root, 'dist', 'guest', `${name}.wasm`)))

const runtime = await createRuntime()
const db = new FakeDb(runtime)
db.createTable('counter', [['id', 'INTEGER'], ['n', 'INTEGER', 0n, true]])
db.createTable('usertable', [['id', 'INTEGER'], ['value', 'INTEGER', 0n, true], ['payload', 'TEXT']])
db.createTable('account', [['id', 'TEXT'], ['balance', 'INTEGER', 0n, true]])
db.register('counter.noop', guest('counter'))
db.register('counter.bump', guest('counter'))
db.register('usertable.read', guest('ycsbt'))
for (const f of ['deposit', 'transfer']) db.register(`account.${f}`, guest('bank'))
const hostLoop = abiModule(`
  (func (export "spin") (local $i i32) (local $n i32) (local $s i64)
    (local.set $n (i32.wrap_i64 (call $arg_int (i32.const 0))))
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $s (i64.add (local.get $s) (call $key_int)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $ret_int (local.get $s)))`)
db.register('counter.spin', hostLoop)
const callLoop = abiModule(`
  (func $leaf (param $x i64) (result i64) (i64.add (local.get $x) (i64.const 1)))
  (func (export "calls") (local $i i32) (local $n i32) (local $s i64)
    (local.set $n (i32.wrap_i64 (call $arg_int (i32.const 0))))
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $s (call $leaf (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $ret_int (local.get $s)))`)
db.register('counter.calls', callLoop)
// Per iteration: 4 scalar f64 ops that can make a NaN (sqrt, mul, add, add), or 3 f64x2 ones (mul, add, add).
const floatLoops = abiModule(`
  (func (export "floats") (local $i i32) (local $n i32) (local $x f64) (local $s f64)
    (local.set $n (i32.wrap_i64 (call $arg_int (i32.const 0))))
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $s (f64.add (local.get $s) (f64.mul (f64.sqrt (local.get $x)) (f64.const 0.5))))
      (local.set $x (f64.add (local.get $x) (f64.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $ret_real (local.get $s)))
  (func (export "simd") (local $i i32) (local $n i32) (local $x v128) (local $s v128)
    (local.set $n (i32.wrap_i64 (call $arg_int (i32.const 0))))
    (local.set $x (v128.const f64x2 1 2))
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $s (f64x2.add (local.get $s) (f64x2.mul (local.get $x) (v128.const f64x2 0.5 0.25))))
      (local.set $x (f64x2.add (local.get $x) (v128.const f64x2 1 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $ret_real (f64x2.extract_lane 0 (local.get $s))))`)
db.register('counter.floats', floatLoops)
db.register('counter.simd', floatLoops)
// Per iteration: one i64.store at a computed address, within 1 KiB (so the reset after the loop stays small).
const storeLoop = abiModule(`
  (func (export "stores") (local $i i32) (local $n i32)
    (local.set $n (i32.wrap_i64 (call $arg_int (i32.const 0))))
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (i64.store (i32.and (i32.shl (local.get $i) (i32.const 3)) (i32.const 0x3f8)) (i64.extend_i32_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $ret_int (i64.const 0)))`)
db.register('counter.stores', storeLoop)

/** Invocations of `fnName` per second through runtime.invoke with one reusable context. */
function invokeRate(fnName: string, key: bigint | string, args: (bigint | string)[], seconds = 1.5): number {
  const f = db.functions.get(fnName)
  if (f === undefined) throw new Error(fnName)
  const meter: FuelMeter = { remaining: 0 }
  const ctx: InvocationContext = db.context(f, key, args, 1, meter)
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9))
  let n = 0
  const started = process.hrtime.bigint()
  while (true) {
    for (let i = 0; i < 1000; i++) {
      meter.remaining = f.def.fuel
      runtime.invoke(ctx, f.source)
    }
    n += 1000
    if (process.hrtime.bigint() > deadline) break
  }
  return n / (Number(process.hrtime.bigint() - started) / 1e9)
}

function callRate(fnName: string, key: string, args: (bigint | string)[], seconds = 1.5): number {
  const deadline = Date.now() + seconds * 1000
  let n = 0
  const started = process.hrtime.bigint()
  while (Date.now() < deadline) {
    for (let i = 0; i < 200; i++) db.call(fnName, key, args)
    n += 200
  }
  db.calls.length = 0
  return n / (Number(process.hrtime.bigint() - started) / 1e9)
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
invokeRate('counter.noop', 1n, [], 0.5) // warm-up
const trivialWat = invokeRate('counter.noop', 1n, [])
const bumpWat = invokeRate('counter.bump', 1n, [])
const readAs = invokeRate('usertable.read', 1n, [])
db.call('account.deposit', 'alice', [1_000_000_000n])
callRate('account.transfer', 'alice', ['bob', 1n], 0.3)
const transfers = callRate('account.transfer', 'alice', ['bob', 1n])
const spin0 = invokeRate('counter.spin', 1n, [0n], 1)
const spinN = invokeRate('counter.spin', 1n, [10_000n], 1)
const hostCallNs = (1e9 / spinN - 1e9 / spin0) / 10_000
const calls0 = invokeRate('counter.calls', 1n, [0n], 1)
const callsN = invokeRate('counter.calls', 1n, [10_000n], 1)
const wasmCallNs = (1e9 / callsN - 1e9 / calls0) / 10_000
/** ns per loop iteration of `fnName(n)`, from the rates at n = 0 and n = 10,000. */
const iterationNs = (fnName: string): number => (1e9 / invokeRate(fnName, 1n, [10_000n], 1) - 1e9 / invokeRate(fnName, 1n, [0n], 1)) / 10_000
const floatNs = iterationNs('counter.floats')
const simdNs = iterationNs('counter.simd')
const storeNs = iterationNs('counter.stores')

console.log(`trivial function (WAT, counter.noop), fresh state per call:    ${fmt(trivialWat)} invocations/s`)
console.log(`counter.bump (WAT, 4 host calls):                            ${fmt(bumpWat)} invocations/s`)
console.log(`ycsbt read (AssemblyScript, memory reset per call):           ${fmt(readAs)} invocations/s`)
console.log(`bank transfer (AS, 2 invocations via nested call, fake ctx):  ${fmt(transfers)} transfers/s`)
console.log(`host call (key_int from a metered loop):                      ${(hostCallNs).toFixed(1)} ns/call`)
console.log(`wasm-to-wasm call (fuel + depth counted, from a metered loop): ${(wasmCallNs).toFixed(1)} ns/call`)
console.log(`float loop iteration (4 scalar f64 ops: sqrt, mul, 2 add):    ${(floatNs).toFixed(2)} ns/iteration`)
console.log(`f64x2 loop iteration (3 f64x2 ops: mul, 2 add):               ${(simdNs).toFixed(2)} ns/iteration`)
console.log(`store loop iteration (1 i64.store at a computed address):    ${(storeNs).toFixed(2)} ns/iteration`)
