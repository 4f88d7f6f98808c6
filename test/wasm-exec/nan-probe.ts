/**
 * The NaN canonicalisation tests' module (nan.test.ts): one export per float op, reading its operands as bit
 * patterns (`arg_int`) and returning the result's bits, scalars through `ret_int`, vectors stored to memory
 * and returned with `ret_blob` (two ways a guest can commit a float's bits). Also run as a script, in child
 * processes with V8 tiering flags, printing the bits of TIER_CASES as JSON.
 */
import { fileURLToPath } from 'node:url'
import { createRuntime } from '../../src/wasm-exec/runtime.js'
import { FakeDb } from './fake-context.js'
import { abiModule } from './wat.js'

/** The ops that can make a NaN (canonicalised); abs, neg, copysign, pmin and pmax are exact. */
export const UNARY_OPS = ['sqrt', 'ceil', 'floor', 'trunc', 'nearest'] as const
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'min', 'max'] as const

const argF64 = (i: number): string => `(f64.reinterpret_i64 (call $arg_int (i32.const ${i})))`
const argF32 = (i: number): string => `(f32.reinterpret_i32 (i32.wrap_i64 (call $arg_int (i32.const ${i}))))`
const retF64 = (e: string): string => `(call $ret_int (i64.reinterpret_f64 ${e}))`
const retF32 = (e: string): string => `(call $ret_int (i64.extend_i32_u (i32.reinterpret_f32 ${e})))`

/** Stores args [first, first + n) as the lanes (of `bytes` each) of the v128 at `addr` and loads it. */
function argVec(lane: 'f32' | 'f64', first: number, n: number, addr: number): string {
  const store = (i: number): string => lane === 'f64'
    ? `(i64.store (i32.const ${addr + 8 * i}) (call $arg_int (i32.const ${first + i})))`
    : `(i32.store (i32.const ${addr + 4 * i}) (i32.wrap_i64 (call $arg_int (i32.const ${first + i}))))`
  return `(block (result v128) ${Array.from({ length: n }, (_, i) => store(i)).join(' ')} (v128.load (i32.const ${addr})))`
}
const retVec = (e: string): string => `(v128.store (i32.const 64) ${e}) (call $ret_blob (i32.const 64) (i32.const 16))`

const scalarFuncs: string[] = []
for (const t of ['f32', 'f64'] as const) {
  const arg = t === 'f64' ? argF64 : argF32
  const ret = t === 'f64' ? retF64 : retF32
  for (const op of [...UNARY_OPS, 'abs', 'neg']) scalarFuncs.push(`(func (export "${t}.${op}") ${ret(`(${t}.${op} ${arg(0)})`)})`)
  for (const op of [...BINARY_OPS, 'copysign']) scalarFuncs.push(`(func (export "${t}.${op}") ${ret(`(${t}.${op} ${arg(0)} ${arg(1)})`)})`)
}
const vecFuncs: string[] = []
for (const [shape, lane, n] of [['f32x4', 'f32', 4], ['f64x2', 'f64', 2]] as const) {
  for (const op of [...UNARY_OPS, 'abs', 'neg']) vecFuncs.push(`(func (export "${shape}.${op}") ${retVec(`(${shape}.${op} ${argVec(lane, 0, n, 0)})`)})`)
  for (const op of [...BINARY_OPS, 'pmin', 'pmax']) {
    vecFuncs.push(`(func (export "${shape}.${op}") ${retVec(`(${shape}.${op} ${argVec(lane, 0, n, 0)} ${argVec(lane, n, n, 16)})`)})`)
  }
}

export const NAN_MODULE = abiModule(`
  ${scalarFuncs.join('\n')}
  ${vecFuncs.join('\n')}
  (func (export "f32.demote_f64") ${retF32(`(f32.demote_f64 ${argF64(0)})`)})
  (func (export "f64.promote_f32") ${retF64(`(f64.promote_f32 ${argF32(0)})`)})
  (func (export "f32x4.demote_f64x2_zero") ${retVec(`(f32x4.demote_f64x2_zero ${argVec('f64', 0, 2, 0)})`)})
  (func (export "f64x2.promote_low_f32x4") ${retVec(`(f64x2.promote_low_f32x4 ${argVec('f32', 0, 4, 0)})`)})
  (func (export "f64.reinterpret") (call $ret_int (i64.reinterpret_f64 ${argF64(0)})))
  ;; The NaN bits stored to memory and committed as a blob, as a guest might keep them.
  (func (export "f64.add_store")
    (f64.store (i32.const 64) (f64.add ${argF64(0)} ${argF64(1)}))
    (call $ret_blob (i32.const 64) (i32.const 8)))
  ;; A canonicalised op nested in another, inside a loop and an if arm (both metered regions).
  (func (export "nested") (local $i i32) (local $x f64)
    (local.set $x ${argF64(0)})
    (loop $l
      (if (i32.lt_s (local.get $i) (i32.const 3)) (then
        (local.set $x (f64.mul (f64.add (local.get $x) (f64.const 1)) (f64.sqrt (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
    ${retF64('(local.get $x)')})
`, '(memory (export "memory") 1 1)')

/** Registers the export `fn` of NAN_MODULE on first use (as t.<fn with _ for .>) and calls it. */
export function caller(db: FakeDb, fuel: number): (fn: string, ...args: bigint[]) => { value: unknown; fuelLeft: number } {
  const registered = new Set<string>()
  return (fn, ...args) => {
    const name = `t.${fn.replaceAll('.', '_')}`
    if (!registered.has(fn)) {
      db.register(name, NAN_MODULE, { exportName: fn, fuel })
      registered.add(fn)
    }
    return db.call(name, 1n, args)
  }
}

/**
 * Payload NaNs into the ops where V8's tiers disagree on x64 (Liftoff returns the first operand's NaN of
 * a commutative op, TurboFan may swap the operands) or make a NaN of their own sign (min: 0xfff8…).
 */
export const TIER_CASES: readonly (readonly [string, readonly bigint[]])[] = [
  ['f64.add', [0x7ff8000000005678n, 0x7ff800000000abcdn]], ['f64.mul', [0x7ff800000000abcdn, 0x7ff8000000005678n]],
  ['f32.add', [0x7fc05678n, 0x7fc0abcdn]], ['f64.min', [0x7ff8000000005678n, 0x3ff0000000000000n]],
  ['f64x2.add', [0x7ff8000000005678n, 1n, 0x7ff800000000abcdn, 0x7ff8000000000042n]],
]

/** The result of every tier case, `runs` times each, as strings (bits in hex, or a blob's bytes). */
export function runTierCases(call: ReturnType<typeof caller>, runs: number): string[][] {
  return TIER_CASES.map(([fn, args]) => {
    const seen = new Set<string>()
    for (let i = 0; i < runs; i++) {
      const v = call(fn, ...args).value
      seen.add(v instanceof Uint8Array ? Buffer.from(v).toString('hex') : BigInt.asUintN(64, v as bigint).toString(16))
    }
    return [...seen]
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const db = new FakeDb(await createRuntime())
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
  process.stdout.write(JSON.stringify(runTierCases(caller(db, 1_000_000), 200)) + '\n')
}
