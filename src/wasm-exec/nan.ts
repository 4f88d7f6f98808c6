/**
 * NaN canonicalisation, part of the instrumentation pass (fuel.ts). WebAssembly lets an operation that makes
 * a NaN return any NaN, and V8 returns what the CPU gives: on x64 the payload of one operand, and which one
 * depends on the JIT tier (Liftoff keeps `f64.add a b`'s operand order, TurboFan may swap the operands of a
 * commutative op), so the same invocation could commit different bits before and after tier-up, through
 * `i64.reinterpret_f64` or a store to memory, and replay would diverge. As wasmtime's
 * `cranelift_nan_canonicalization` does, every result of an operation that can make a NaN is checked, and
 * a NaN replaced by the canonical one (f32: 0x7fc00000, f64: 0x7ff8000000000000; lane by lane for
 * f32x4/f64x2):
 *
 *   select(local.tee $t (op …), canonical, f.eq(local.get $t, local.get $t))        ;; scalars
 *   v128.bitselect(local.tee $t (op …), canonical, fNxM.eq(local.get $t, local.get $t)) ;; vectors
 *
 * Left alone, because their result bits are defined exactly: abs, neg, copysign, pmin/pmax (a select of
 * one operand), loads, constants, reinterpret, splat/extract/replace lane, and the int→float conversions
 * (which never make a NaN). Relaxed SIMD is rejected at validation.
 */
import type { Binaryen, BinaryenModule, ExpressionRef } from './binaryen.js'

/**
 * Values of the result's type on the operand stack at once while one is checked (the result, the
 * canonical NaN, and the two operands of the comparison), for the frame-size accounting.
 */
export const NAN_CHECK_OPERANDS = 4

type Shape = 'f32' | 'f64' | 'f32x4' | 'f64x2'

const F32_CANONICAL_BITS = 0x7fc00000
const F64_CANONICAL_BITS = 0x7ff8000000000000n

/**
 * The operations whose result can be a NaN with arbitrary bits, by result shape, keyed by expression kind
 * (binaryen numbers unary and binary ops separately: the same number is a different op in each).
 */
function nanMakers(b: Binaryen): Map<number, Map<number, Shape>> {
  const ops = b as unknown as Record<string, number | undefined>
  const table = (names: [Shape, string][]): Map<number, Shape> => {
    const out = new Map<number, Shape>()
    for (const [shape, name] of names) {
      const op = ops[name]
      if (op === undefined) throw new Error(`acheron invariant violated: binaryen.js has no operation ${name}`)
      out.set(op, shape)
    }
    return out
  }
  const suffixes: [Shape, string][] = [['f32', 'Float32'], ['f64', 'Float64'], ['f32x4', 'VecF32x4'], ['f64x2', 'VecF64x2']]
  const each = (names: string[]): [Shape, string][] => suffixes.flatMap(([shape, suffix]) => names.map((n): [Shape, string] => [shape, n + suffix]))
  const unary = table([
    ...each(['Sqrt', 'Ceil', 'Floor', 'Trunc', 'Nearest']),
    ['f32', 'DemoteFloat64'], ['f64', 'PromoteFloat32'],
    ['f32x4', 'DemoteZeroVecF64x2ToVecF32x4'], ['f64x2', 'PromoteLowVecF32x4ToVecF64x2'],
  ])
  const binary = table(each(['Add', 'Sub', 'Mul', 'Div', 'Min', 'Max']))
  return new Map([[b.UnaryId, unary], [b.BinaryId, binary]])
}

/** The 16 little-endian bytes of `lanes` copies of `bits` (each `laneBytes` wide). */
function splatBytes(bits: bigint, laneBytes: number, lanes: number): number[] {
  const out: number[] = []
  for (let l = 0; l < lanes; l++) for (let i = 0; i < laneBytes; i++) out.push(Number((bits >> BigInt(8 * i)) & 0xffn))
  return out
}

export class NanCanonicalizer {
  private readonly makers: Map<number, Map<number, Shape>>
  /** Per function: one scratch local per type (reused: nothing runs between a tee and its two gets). */
  private scratch = new Map<number, number>()
  private func = 0

  constructor(private readonly b: Binaryen, private readonly m: BinaryenModule) {
    this.makers = nanMakers(b)
  }

  /** Starts a function: its scratch locals are added to it on first use. */
  startFunction(f: number): void {
    this.func = f
    this.scratch = new Map()
  }

  /** `expr` with its NaN results canonicalised, or `expr` itself if it cannot make a NaN. Its children are not visited. */
  canonical(expr: ExpressionRef): ExpressionRef {
    const b = this.b
    const ops = this.makers.get(b.getExpressionId(expr))
    if (ops === undefined) return expr
    const shape = ops.get((b.getExpressionInfo(expr) as unknown as { op: number }).op)
    if (shape === undefined) return expr
    return this.check(expr, shape)
  }

  private check(expr: ExpressionRef, shape: Shape): ExpressionRef {
    const { b, m } = this
    const type = shape === 'f32' ? b.f32 : shape === 'f64' ? b.f64 : b.v128
    const t = this.local(type)
    const value = m.local.tee(t, expr, type)
    const get = (): ExpressionRef => m.local.get(t, type)
    switch (shape) {
      case 'f32': return m.select(m.f32.eq(get(), get()), value, m.f32.const_bits(F32_CANONICAL_BITS))
      case 'f64': return m.select(m.f64.eq(get(), get()), value, m.f64.const_bits(F64_CANONICAL_BITS))
      case 'f32x4': return m.v128.bitselect(value, m.v128.const(splatBytes(BigInt(F32_CANONICAL_BITS), 4, 4)), m.f32x4.eq(get(), get()))
      case 'f64x2': return m.v128.bitselect(value, m.v128.const(splatBytes(F64_CANONICAL_BITS, 8, 2)), m.f64x2.eq(get(), get()))
    }
  }

  private local(type: number): number {
    let t = this.scratch.get(type)
    if (t === undefined) {
      const addVar = (this.b as unknown as { _BinaryenFunctionAddVar(f: number, t: number): number })._BinaryenFunctionAddVar
      t = addVar(this.func, type)
      this.scratch.set(type, t)
    }
    return t
  }
}
