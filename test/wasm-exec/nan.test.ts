/**
 * NaN canonicalisation (src/wasm-exec/nan.ts): every float operation that can make a NaN yields the
 * canonical NaN, whatever the inputs' payloads and V8's compilation tier; every other result, and the
 * bit-exact operations (abs, neg, copysign, reinterpret, pmin, pmax), keep their bits. The module and its
 * exports are in nan-probe.ts.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WASM_CALL_DEPTH_MAX } from '../../src/wasm-exec/fuel.js'
import { caller, runTierCases, TIER_CASES } from './nan-probe.js'
import { expectCode, newDb } from './setup.js'
import { abiModule } from './wat.js'

const probe = fileURLToPath(new URL('./nan-probe.js', import.meta.url))

const F32_CANONICAL = 0x7fc00000n
const F64_CANONICAL = 0x7ff8000000000000n
/** Quiet NaNs with payloads (and a negative one, and a signalling one): what x86 propagates. */
const F64_NANS = [0x7ff8000000005678n, 0x7ff800000000abcdn, 0xfff8000000001234n, 0x7ff0000000000001n]
const F32_NANS = [0x7fc05678n, 0x7fc0abcdn, 0xffc01234n, 0x7f800001n]

const f64Bits = (x: number): bigint => new BigUint64Array(new Float64Array([x]).buffer)[0]!
const f32Bits = (x: number): bigint => BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]!)
const f64Of = (bits: bigint): number => new Float64Array(new BigUint64Array([bits]).buffer)[0]!
const f32Of = (bits: bigint): number => new Float32Array(new Uint32Array([Number(bits)]).buffer)[0]!

/** Finite and infinite values, signed zeros, halves (for nearest) and a subnormal. */
const VALUES = [0, -0, 1, -1, 1.5, -2.5, 0.5, -0.5, 3.75, 1e300, -1e-300, 5e-324, Infinity, -Infinity, 2 ** 60 + 2 ** 9]
const F64_INPUTS = [...VALUES.map(f64Bits), ...F64_NANS]
const F32_INPUTS = [...VALUES.map(f32Bits), ...F32_NANS]

/** Round half to even, as `nearest` does (Math.round rounds half up). */
function nearest(x: number): number {
  if (!Number.isFinite(x)) return x
  const f = Math.floor(x)
  const d = x - f
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r
}

type Unary = (x: number) => number
type Binary = (x: number, y: number) => number
/** The ops that can make a NaN, with their IEEE results (JS computes them exactly, fround rounds once for f32). */
const UNARY: Record<string, Unary> = { sqrt: Math.sqrt, ceil: Math.ceil, floor: Math.floor, trunc: Math.trunc, nearest }
const BINARY: Record<string, Binary> = {
  add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y, min: Math.min, max: Math.max,
}

function setup(fuel = 1_000_000) {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
  const run = caller(db, fuel)
  const call = (fn: string, ...args: bigint[]): unknown => run(fn, ...args).value
  const fuelUsed = (fn: string, ...args: bigint[]): number => fuel - run(fn, ...args).fuelLeft
  return { run, call, fuelUsed }
}

const hex = (x: bigint): string => `0x${x.toString(16)}`
/** ret_int's (signed) i64 as the unsigned bits. */
const u = (v: unknown): bigint => BigInt.asUintN(64, v as bigint)
/** The canonical NaN's bits if `x` is a NaN, else the bits of `x`. */
const expectF64 = (x: number): bigint => (Number.isNaN(x) ? F64_CANONICAL : f64Bits(x))
const expectF32 = (x: number): bigint => (Number.isNaN(x) ? F32_CANONICAL : f32Bits(x))

/** The blob's little-endian lanes of `bytes` each. */
function lanes(blob: unknown, bytes: 4 | 8): bigint[] {
  if (!(blob instanceof Uint8Array) || blob.length !== 16) throw new Error(`expected 16 bytes, got ${String(blob)}`)
  const view = new DataView(blob.buffer, blob.byteOffset, 16)
  return Array.from({ length: 16 / bytes }, (_, i) => (bytes === 8 ? view.getBigUint64(8 * i, true) : BigInt(view.getUint32(4 * i, true))))
}

test('a NaN made from a payload NaN by f64.add is the canonical NaN (the reviewer\'s case)', () => {
  const { call } = setup()
  assert.is(hex(u(call('f64.add', 0x7ff8000000005678n, f64Bits(1)))), hex(F64_CANONICAL))
  assert.is(hex(u(call('f64.add', 0x7ff8000000005678n, 0x7ff800000000abcdn))), hex(F64_CANONICAL))
})

test('scalar f64 ops: NaN results are canonical, every other result keeps its bits', () => {
  const { call } = setup()
  for (const [op, fn] of Object.entries(UNARY)) {
    for (const x of F64_INPUTS) assert.is(hex(u(call(`f64.${op}`, x))), hex(expectF64(fn(f64Of(x)))), `f64.${op}(${hex(x)})`)
  }
  for (const [op, fn] of Object.entries(BINARY)) {
    for (const x of F64_INPUTS) {
      for (const y of F64_INPUTS) assert.is(hex(u(call(`f64.${op}`, x, y))), hex(expectF64(fn(f64Of(x), f64Of(y)))), `f64.${op}(${hex(x)}, ${hex(y)})`)
    }
  }
})

test('scalar f32 ops: NaN results are canonical, every other result keeps its bits', () => {
  const { call } = setup()
  for (const [op, fn] of Object.entries(UNARY)) {
    for (const x of F32_INPUTS) assert.is(hex(u(call(`f32.${op}`, x))), hex(expectF32(Math.fround(fn(f32Of(x))))), `f32.${op}(${hex(x)})`)
  }
  for (const [op, fn] of Object.entries(BINARY)) {
    for (const x of F32_INPUTS) {
      for (const y of F32_INPUTS) {
        assert.is(hex(u(call(`f32.${op}`, x, y))), hex(expectF32(Math.fround(fn(f32Of(x), f32Of(y))))), `f32.${op}(${hex(x)}, ${hex(y)})`)
      }
    }
  }
})

test('demote and promote: NaN results are canonical, every other result keeps its bits', () => {
  const { call } = setup()
  for (const x of [...F64_INPUTS, f64Bits(3.4e38), f64Bits(1e-50)]) {
    assert.is(hex(u(call('f32.demote_f64', x))), hex(expectF32(Math.fround(f64Of(x)))), `demote(${hex(x)})`)
  }
  for (const x of F32_INPUTS) assert.is(hex(u(call('f64.promote_f32', x))), hex(expectF64(f32Of(x))), `promote(${hex(x)})`)
})

test('abs, neg, copysign and reinterpret are bit-exact: a NaN keeps its payload', () => {
  const { call } = setup()
  for (const x of F64_NANS) {
    assert.is(hex(u(call('f64.abs', x))), hex(x & 0x7fffffffffffffffn))
    assert.is(hex(u(call('f64.neg', x))), hex(x ^ 0x8000000000000000n))
    assert.is(hex(u(call('f64.copysign', x, f64Bits(-1)))), hex(x | 0x8000000000000000n))
    assert.is(hex(u(call('f64.reinterpret', x))), hex(x))
  }
  for (const x of F32_NANS) {
    assert.is(hex(u(call('f32.abs', x))), hex(x & 0x7fffffffn))
    assert.is(hex(u(call('f32.neg', x))), hex(x ^ 0x80000000n))
    assert.is(hex(u(call('f32.copysign', x, f32Bits(1)))), hex(x & 0x7fffffffn))
  }
})

test('f64 bits stored to memory and committed as a blob are canonical too', () => {
  const { call } = setup()
  const blob = call('f64.add_store', 0x7ff8000000005678n, 0x7ff800000000abcdn) as Uint8Array
  assert.is(hex(new DataView(blob.buffer, blob.byteOffset, 8).getBigUint64(0, true)), hex(F64_CANONICAL))
})

/** Pairs of lane vectors mixing NaNs, zeros, infinities and ordinary values, lane by lane. */
function vectorCases(inputs: bigint[], n: number): bigint[][] {
  const out: bigint[][] = []
  for (let i = 0; i < inputs.length; i++) out.push(Array.from({ length: 2 * n }, (_, k) => inputs[(i + 5 * k) % inputs.length]!))
  return out
}

test('f32x4 and f64x2 ops: NaN lanes are canonical, the other lanes keep their bits; abs/neg/pmin/pmax are exact', () => {
  const { call } = setup()
  for (const [shape, n, inputs, of, bits] of [
    ['f32x4', 4, F32_INPUTS, f32Of, (x: number) => expectF32(Math.fround(x))],
    ['f64x2', 2, F64_INPUTS, f64Of, expectF64],
  ] as const) {
    const bytes = n === 4 ? 4 : 8
    for (const args of vectorCases([...inputs], n)) {
      const a = args.slice(0, n)
      const b = args.slice(n)
      for (const [op, fn] of Object.entries(UNARY)) {
        assert.equal(lanes(call(`${shape}.${op}`, ...a), bytes).map(hex), a.map((x) => hex(bits(fn(of(x))))), `${shape}.${op}(${a.map(hex)})`)
      }
      for (const [op, fn] of Object.entries(BINARY)) {
        const want = a.map((x, i) => hex(bits(fn(of(x), of(b[i]!)))))
        assert.equal(lanes(call(`${shape}.${op}`, ...args), bytes).map(hex), want, `${shape}.${op}(${args.map(hex)})`)
      }
      // abs and neg only touch the sign bit; pmin(x, y) is `y < x ? y : x` and pmax(x, y) `x < y ? y : x`:
      // one operand's exact bits. NaN payloads included.
      const sign = n === 4 ? 0x80000000n : 0x8000000000000000n
      assert.equal(lanes(call(`${shape}.abs`, ...a), bytes).map(hex), a.map((x) => hex(x & ~sign)), `${shape}.abs(${a.map(hex)})`)
      assert.equal(lanes(call(`${shape}.neg`, ...a), bytes).map(hex), a.map((x) => hex(x ^ sign)), `${shape}.neg(${a.map(hex)})`)
      const pmin = a.map((x, i) => hex(of(b[i]!) < of(x) ? b[i]! : x))
      const pmax = a.map((x, i) => hex(of(x) < of(b[i]!) ? b[i]! : x))
      assert.equal(lanes(call(`${shape}.pmin`, ...args), bytes).map(hex), pmin, `${shape}.pmin(${args.map(hex)})`)
      assert.equal(lanes(call(`${shape}.pmax`, ...args), bytes).map(hex), pmax, `${shape}.pmax(${args.map(hex)})`)
    }
  }
})

test('f32x4.demote_f64x2_zero and f64x2.promote_low_f32x4: NaN lanes canonical, others exact', () => {
  const { call } = setup()
  for (const args of vectorCases(F64_INPUTS, 1)) {
    const want = [...args.map((x) => hex(expectF32(Math.fround(f64Of(x))))), '0x0', '0x0']
    assert.equal(lanes(call('f32x4.demote_f64x2_zero', ...args), 4).map(hex), want, `demote(${args.map(hex)})`)
  }
  for (const args of vectorCases(F32_INPUTS, 2)) {
    const want = args.slice(0, 2).map((x) => hex(expectF64(f32Of(x))))
    assert.equal(lanes(call('f64x2.promote_low_f32x4', ...args), 8).map(hex), want, `promote(${args.map(hex)})`)
  }
})

/** What every tier case must give: canonical NaNs (a vector's blob as hex bytes, little-endian). */
const TIER_EXPECTED = TIER_CASES.map(([fn]) => {
  if (fn === 'f64x2.add') return ['000000000000f87f000000000000f87f']
  return [(fn.startsWith('f32') ? F32_CANONICAL : F64_CANONICAL).toString(16)]
})

test('the bits are the same on every run, also after V8 tiers up from Liftoff to TurboFan', () => {
  // Without canonicalisation, f64.add's payload changed after ~17,000 runs here (when TurboFan took over).
  assert.equal(runTierCases(setup().run, 40_000), TIER_EXPECTED)
})

test('the bits are the same under Liftoff only and under TurboFan only', () => {
  for (const flags of [['--liftoff', '--no-wasm-tier-up'], ['--no-liftoff']]) {
    const r = spawnSync(process.execPath, [...flags, probe], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`probe ${flags.join(' ')} failed: ${r.stderr}`)
    assert.equal(JSON.parse(r.stdout), TIER_EXPECTED, `node ${flags.join(' ')}`)
  }
})

test('canonicalisation is not metered: fuel is the same for NaN and non-NaN inputs and on every run', () => {
  const { call, fuelUsed } = setup()
  const add = fuelUsed('f64.add', 0x7ff8000000005678n, 0x7ff800000000abcdn)
  assert.is(fuelUsed('f64.add', f64Bits(1), f64Bits(2)), add)
  // copysign is not canonicalised and has the same shape (2 arguments, 1 op, 1 result).
  assert.is(fuelUsed('f64.copysign', f64Bits(1), f64Bits(2)), add)
  for (let i = 0; i < 100; i++) assert.is(fuelUsed('f64.add', 0x7ff8000000005678n, f64Bits(i)), add)
  // Nested ops inside metered loop and if regions: same result bits and fuel every time.
  const nested = fuelUsed('nested', 0x7ff8000000005678n)
  for (let i = 0; i < 100; i++) {
    assert.is(hex(u(call('nested', 0x7ff8000000005678n))), hex(F64_CANONICAL))
    assert.is(fuelUsed('nested', 0x7ff8000000005678n), nested)
  }
  let x = 1
  for (let i = 0; i < 3; i++) x = (x + 1) * Math.sqrt(x)
  assert.is(u(call('nested', f64Bits(1))), f64Bits(x))
})

test('the NaN checks\' scratch local and operands count towards the frame weight (call depth)', () => {
  // Two recursive functions alike but for one op: with copysign (not checked) a frame is 15 slots, one
  // stack unit; with add, the scratch f64 and the check's operands push it over 16 slots, two units.
  const rec = (name: string, op: string): string => `
    (func $${name} (param $k i64) (result i64) (local $a f64) (local $b f64) (local f64 f64 f64 f64 f64 f64)
      (if (i64.eqz (local.get $k)) (then (return (i64.const 0))))
      (local.set $a (${op} (local.get $a) (local.get $b)))
      (i64.add (call $${name} (i64.sub (local.get $k) (i64.const 1))) (i64.const 1)))
    (func (export "${name}") (call $ret_int (call $${name} (call $arg_int (i32.const 0)))))`
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER']])
  const bytes = abiModule(rec('plain', 'f64.copysign') + rec('checked', 'f64.add'))
  db.register('t.plain', bytes, { fuel: 100_000_000 })
  db.register('t.checked', bytes, { fuel: 100_000_000 })
  // rec(n) holds 1 + (n + 1) frames.
  const deep = BigInt(WASM_CALL_DEPTH_MAX - 100)
  assert.is(db.call('t.plain', 1n, [deep]).value, deep)
  expectCode(() => db.call('t.checked', 1n, [deep]), 'WASM_TRAP', /call stack exhausted/)
  const half = BigInt(WASM_CALL_DEPTH_MAX / 2 - 100)
  assert.is(db.call('t.checked', 1n, [half]).value, half)
})

test.run()
