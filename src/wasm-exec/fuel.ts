/**
 * Instruments a checked module for the runtime (binaryen has no fuel pass, so this is one):
 *
 * - Fuel: a mutable i64 global, exported as `__acheron_fuel`, is charged at the start of every metered
 *   region by the region's static instruction count, and below zero the region calls the host's
 *   `__acheron.fuel_refill`, which moves the next slice of the chain's fuel in (or leaves the counter below
 *   zero, and the region traps with `unreachable`): fuel-slice.ts, which is also where a thread's wall-clock
 *   deadline is checked. Regions are function bodies, loop bodies (charged per iteration) and `if` arms; a
 *   region's count excludes the regions nested in it. A `br` out of a block does not refund the skipped
 *   rest, so the charge is an upper bound of the instructions run — and the same on every run. Bulk memory
 *   operations also pay for their bytes, ⌊length / FUEL_BYTES_PER_UNIT⌋, after their operands and before
 *   they run (fuel-bytes.ts; the charge sits beside the written-range widening, written-range.ts).
 * - NaN canonicalisation (nan.ts): the result of every float operation that can make a NaN (scalar and
 *   f32x4/f64x2 add, sub, mul, div, min, max, sqrt, ceil, floor, trunc, nearest, demote, promote) is
 *   checked and a NaN replaced by the canonical one, since V8's JIT tiers disagree on which operand's NaN
 *   payload an op returns. The check is not charged (fuel counts the guest's own instructions; the check is
 *   a fixed few per op, so the charge stays the same on every run); its scratch locals and operands count
 *   in the frame weight below. Cost (bench/wasm-invoke.ts, node 20, x64): none for float-free code (its
 *   instrumented bytes are unchanged); ~0.35 ns per scalar f64 op and ~0.7 ns per f64x2 op in a
 *   latency-bound loop (3.2 → 4.6 ns per iteration of 4 scalar ops, 1.6 → 3.7 ns of 3 f64x2 ops).
 * - Memory limit: the delta of every `memory.grow` passes through a check that records, in the exported
 *   global `__acheron_grow_failed`, whether this grow exceeds the declared maximum (and so returns -1).
 * - Call depth: V8's own stack overflow depends on frame sizes that differ between JIT tiers, so it is never
 *   allowed to happen first. A mutable i32 global, exported as `__acheron_depth`, counts the stack in
 *   units: every function entry adds its weight (1 + ⌊slots / WASM_FRAME_SLOTS_PER_UNIT⌋, where slots are its
 *   params, locals and deepest operand stack, v128 counting 2) and traps (`unreachable`) once the count is
 *   above WASM_CALL_DEPTH_MAX; every exit restores the count the function found on entry (saved in a local):
 *   fallthrough and `br` out of the body (the body is wrapped in a block), `return` (rewritten into a `br`
 *   out of that block) and tail calls (`return_call*`, restored before the call, so they add no net depth).
 *   The host seeds the counter of a nested invocation with its caller's, so the limit covers the whole call
 *   chain.
 * - Fresh state: the memory becomes an import (`__acheron.memory`), keeping its data segments, so that the
 *   host owns it; `__acheron_reset` restores every mutable global, so that an instance can be reused
 *   (instance-pool.ts); every instruction that writes memory widens the range of bytes written, kept in
 *   the exported globals `__acheron_written_start`/`_end` (written-range.ts; not charged, like the NaN
 *   checks), so that the reuse resets only that; the start function is exported as `__acheron_start` and
 *   replaced by an empty one, so that it runs on every invocation, after the host has loaded the fuel.
 */
import { AcheronError } from '../errors.js'
import {
  DEPTH_EXPORT, FUEL_EXPORT, FUEL_REFILL_IMPORT, GROW_FAILED_EXPORT, HOST_MODULE, RESET_EXPORT, START_EXPORT, WRITTEN_END_EXPORT, WRITTEN_START_EXPORT,
} from './abi-signatures.js'
import { capturingOutput, type Binaryen, type BinaryenModule, type ExpressionRef } from './binaryen.js'
import { FUEL_BYTES_PER_UNIT } from './fuel-bytes.js'
import { NAN_CHECK_OPERANDS, NanCanonicalizer } from './nan.js'
import type { ModuleFacts } from './validate.js'
import { WRITTEN_END_GLOBAL, WRITTEN_END_NONE, WRITTEN_START_GLOBAL, WRITTEN_START_NONE, WriteTracker } from './written-range.js'

const FUEL_GLOBAL = '__acheron_fuel'
const DEPTH_GLOBAL = '__acheron_depth'
const BODY_LABEL = '__acheron_body'
const GROW_FAILED_GLOBAL = '__acheron_grow_failed'
const GROW_CHECK_FUNCTION = '__acheron_grow_check'
const START_STUB_FUNCTION = '__acheron_start_stub'
const RESET_FUNCTION = '__acheron_reset'
const FUEL_REFILL_FUNCTION = '__acheron_fuel_refill'

/**
 * Stack units a whole call chain may hold (see the header). A function with up to
 * WASM_FRAME_SLOTS_PER_UNIT - 1 slots is one unit, so plain recursion is limited to exactly this many frames.
 * Measured (node 20, x64): a Liftoff frame is about 64 + 8 × slots bytes (TurboFan frames are smaller),
 * i.e. at most ~130 bytes per unit, so the limit bounds guest frames to ~130 KB — far below the ~984 KB
 * main-thread stack even with 64 nested host calls on top (test/wasm-exec/depth.test.ts).
 */
export const WASM_CALL_DEPTH_MAX = 1000
export const WASM_FRAME_SLOTS_PER_UNIT = 16

const FUEL_BYTES_SHIFT = Math.log2(FUEL_BYTES_PER_UNIT)
if (!Number.isInteger(FUEL_BYTES_SHIFT)) throw new Error('acheron invariant violated: FUEL_BYTES_PER_UNIT must be a power of two')

/** binaryen 132 takes one bigint for i64.const; its typings still say (low, high). */
function i64(m: BinaryenModule, n: number): ExpressionRef {
  return (m.i64.const as unknown as (v: bigint) => ExpressionRef)(BigInt(n))
}

/** Child expression fields by expression kind, for the kinds the allowed features can produce. */
function childFields(b: Binaryen): Map<number, readonly string[]> {
  return new Map<number, readonly string[]>([
    [b.NopId, []], [b.BlockId, ['children']], [b.IfId, ['condition', 'ifTrue', 'ifFalse']], [b.LoopId, ['body']],
    [b.BreakId, ['condition', 'value']], [b.SwitchId, ['condition', 'value']], [b.CallId, ['operands']],
    [b.CallIndirectId, ['target', 'operands']], [b.LocalGetId, []], [b.LocalSetId, ['value']],
    [b.GlobalGetId, []], [b.GlobalSetId, ['value']], [b.LoadId, ['ptr']], [b.StoreId, ['ptr', 'value']],
    [b.ConstId, []], [b.UnaryId, ['value']], [b.BinaryId, ['left', 'right']],
    [b.SelectId, ['ifTrue', 'ifFalse', 'condition']], [b.DropId, ['value']], [b.ReturnId, ['value']],
    [b.MemorySizeId, []], [b.MemoryGrowId, ['delta']], [b.UnreachableId, []],
    [b.SIMDExtractId, ['vec']], [b.SIMDReplaceId, ['vec', 'value']], [b.SIMDShuffleId, ['left', 'right']],
    [b.SIMDTernaryId, ['a', 'b', 'c']], [b.SIMDShiftId, ['vec', 'shift']], [b.SIMDLoadId, ['ptr']],
    [b.SIMDLoadStoreLaneId, ['ptr', 'vec']], [b.MemoryInitId, ['dest', 'offset', 'size']], [b.DataDropId, []],
    [b.MemoryCopyId, ['dest', 'source', 'size']], [b.MemoryFillId, ['dest', 'value', 'size']],
    [b.TupleMakeId, ['operands']], [b.TupleExtractId, ['tuple']],
  ])
}

/** binaryen.js's per-kind expression classes, for replacing a child in place (`set<Field>` / `set<Child|Operand>At`). */
function expressionClasses(b: Binaryen): Map<number, Record<string, unknown>> {
  const bb = b as unknown as Record<string, Record<string, unknown>>
  const names: [number, string][] = [
    [b.BlockId, 'Block'], [b.IfId, 'If'], [b.LoopId, 'Loop'], [b.BreakId, 'Break'], [b.SwitchId, 'Switch'], [b.CallId, 'Call'],
    [b.CallIndirectId, 'CallIndirect'], [b.LocalSetId, 'LocalSet'], [b.GlobalSetId, 'GlobalSet'], [b.LoadId, 'Load'],
    [b.StoreId, 'Store'], [b.UnaryId, 'Unary'], [b.BinaryId, 'Binary'], [b.SelectId, 'Select'], [b.DropId, 'Drop'],
    [b.ReturnId, 'Return'], [b.MemoryGrowId, 'MemoryGrow'], [b.SIMDExtractId, 'SIMDExtract'], [b.SIMDReplaceId, 'SIMDReplace'],
    [b.SIMDShuffleId, 'SIMDShuffle'], [b.SIMDTernaryId, 'SIMDTernary'], [b.SIMDShiftId, 'SIMDShift'], [b.SIMDLoadId, 'SIMDLoad'],
    [b.SIMDLoadStoreLaneId, 'SIMDLoadStoreLane'], [b.MemoryInitId, 'MemoryInit'], [b.MemoryCopyId, 'MemoryCopy'],
    [b.MemoryFillId, 'MemoryFill'], [b.TupleMakeId, 'TupleMake'], [b.TupleExtractId, 'TupleExtract'],
  ]
  const out = new Map<number, Record<string, unknown>>()
  for (const [id, name] of names) {
    const cls = bb[name]
    if (cls === undefined) throw new Error(`acheron invariant violated: binaryen.js has no ${name} class`)
    out.set(id, cls)
  }
  return out
}

/** An active data segment: `data` is copied to `offset` when an instance is reset for reuse (the part of it written). */
export interface DataSegment {
  readonly offset: number
  readonly data: Uint8Array
}

export interface InstrumentResult {
  readonly bytes: Uint8Array
  readonly hasStart: boolean
  /** False when no instruction of the module writes memory (then only host calls can, and the written-range globals stay as they are). */
  readonly writesMemory: boolean
  /** The active data segments. */
  readonly segments: readonly DataSegment[]
  /** False when instances must not be reused (the module uses data.drop, which a reset cannot undo). */
  readonly reusable: boolean
}

class FuelPass {
  private readonly fields: Map<number, readonly string[]>
  private readonly classes: Map<number, Record<string, unknown>>
  private readonly nan: NanCanonicalizer
  private readonly written: WriteTracker
  writesMemory = false
  usesDataDrop = false
  /** Per function: the local holding the depth count found on entry, and the deepest operand stack seen. */
  private savedDepth = 0
  private height = 0

  constructor(private readonly b: Binaryen, private readonly m: BinaryenModule, private readonly facts: ModuleFacts) {
    this.fields = childFields(b)
    this.classes = expressionClasses(b)
    this.nan = new NanCanonicalizer(b, m)
    this.written = new WriteTracker(b, m, (n) => this.chargeBytes(n))
  }

  /**
   * `fuel -= n >> log2(FUEL_BYTES_PER_UNIT); if (fuel < 0) refill or trap`: the bytes of a bulk operation, paid
   * before it runs, so that its length operand cannot buy unbounded time for one unit. `n` is an i32 read
   * unsigned, as the operation reads it.
   */
  private chargeBytes(n: () => ExpressionRef): ExpressionRef[] {
    const { m, b } = this
    const fuel = (): ExpressionRef => m.global.get(FUEL_GLOBAL, b.i64)
    return [
      m.global.set(FUEL_GLOBAL, m.i64.sub(fuel(), m.i64.shr_u(m.i64.extend_u(n()), i64(m, FUEL_BYTES_SHIFT)))),
      this.refillOrTrap(),
    ]
  }

  /** `fuel -= cost; if (fuel < 0) refill or trap` */
  private charge(cost: number): ExpressionRef {
    const { m, b } = this
    const fuel = (): ExpressionRef => m.global.get(FUEL_GLOBAL, b.i64)
    return m.block(null, [
      m.global.set(FUEL_GLOBAL, m.i64.sub(fuel(), i64(m, cost))),
      this.refillOrTrap(),
    ], b.none)
  }

  /** `if (fuel < 0) { refill(); if (fuel < 0) unreachable }`: the next slice, or the trap (fuel-slice.ts). */
  private refillOrTrap(): ExpressionRef {
    const { m, b } = this
    const negative = (): ExpressionRef => m.i64.lt_s(m.global.get(FUEL_GLOBAL, b.i64), i64(m, 0))
    return m.if(negative(), m.block(null, [
      m.call(FUEL_REFILL_FUNCTION, [], b.none),
      m.if(negative(), m.unreachable()),
    ], b.none))
  }

  /** Charges `body` as one region (evaluated with `base` values on the operand stack): the body with its charge in front. */
  region(body: ExpressionRef, base: number): ExpressionRef {
    const cost = Math.max(1, this.cost(body, base))
    return this.m.block(null, [this.charge(cost), this.rewrite(body, base)], this.b.auto)
  }

  /** Operand stack slots a value of `type` takes (v128 counts as two 8-byte slots). */
  private slots(type: number): number {
    const b = this.b
    if (type === b.none || type === b.unreachable) return 0
    let n = 0
    for (const t of b.expandType(type)) n += t === b.v128 ? 2 : 1
    return n
  }

  /**
   * Exits of the current function, rewritten so that they restore the depth count: `return x` becomes
   * `br $__acheron_body x` (the wrapper restores it), and a tail call restores it before the call (its
   * operands then run one frame "shallower", which is harmless: the count stays deterministic).
   */
  private exit(expr: ExpressionRef): ExpressionRef {
    const { b, m } = this
    const id = b.getExpressionId(expr)
    if (id === b.ReturnId) {
      const value = (b.getExpressionInfo(expr) as unknown as { value: ExpressionRef }).value
      return m.br(BODY_LABEL, undefined, value === 0 ? undefined : value)
    }
    if ((id === b.CallId || id === b.CallIndirectId) && (b.getExpressionInfo(expr) as unknown as { isReturn: boolean }).isReturn) {
      return m.block(null, [m.global.set(DEPTH_GLOBAL, m.local.get(this.savedDepth, b.i32)), expr], b.unreachable)
    }
    return expr
  }

  /**
   * `expr` (counted already) as it runs instrumented: an exit restoring the depth count, or an op whose NaN
   * results are canonicalised. The canonicalisation is not charged (fuel counts the guest's instructions);
   * its operands, above `base`, count towards the frame's operand stack.
   */
  private rewrite(expr: ExpressionRef, base: number): ExpressionRef {
    const exit = this.exit(expr)
    if (exit !== expr) return exit
    const checked = this.nan.canonical(expr)
    if (checked !== expr) this.height = Math.max(this.height, base + NAN_CHECK_OPERANDS * this.slots(this.b.getExpressionType(expr)))
    return checked
  }

  /** Counts child `field` (index `i` of an array field) of `parent` and replaces it by its rewrite, if any. */
  private child(parent: ExpressionRef, id: number, field: string, c: ExpressionRef, base: number, i = -1): number {
    const n = this.cost(c, base)
    const r = this.rewrite(c, base)
    if (r !== c) {
      const cls = this.classes.get(id)
      const setter = i >= 0 ? (field === 'children' ? 'setChildAt' : 'setOperandAt') : `set${field[0]!.toUpperCase()}${field.slice(1)}`
      const fn = cls?.[setter]
      if (typeof fn !== 'function') throw new Error(`acheron invariant violated: cannot replace ${field} of binaryen expression kind ${id}`)
      if (i >= 0) (fn as (e: ExpressionRef, i: number, c: ExpressionRef) => void)(parent, i, r)
      else (fn as (e: ExpressionRef, c: ExpressionRef) => void)(parent, r)
    }
    return n
  }

  /**
   * Static instruction count of `expr`, instrumenting the regions nested in it (which are not counted),
   * rewriting the exits among its children, and recording the operand stack height (`base` values below).
   */
  private cost(expr: ExpressionRef, base: number): number {
    if (expr === 0) return 0
    const b = this.b
    const id = b.getExpressionId(expr)
    const fields = this.fields.get(id)
    if (fields === undefined) throw new AcheronError('INVALID_WASM', `invalid WebAssembly module: unsupported instruction (binaryen expression kind ${id})`)
    this.height = Math.max(this.height, base + this.slots(b.getExpressionType(expr)))
    // Leaves need no info (and binaryen.js has none for some of them, such as unreachable).
    if (fields.length === 0) {
      if (id === b.DataDropId) this.usesDataDrop = true
      return 1
    }
    const info = b.getExpressionInfo(expr) as unknown as Record<string, unknown>
    if (id === b.LoopId) {
      b.Loop.setBody(expr, this.region(info.body as ExpressionRef, base))
      return 1
    }
    if (id === b.IfId) {
      const n = 1 + this.child(expr, id, 'condition', info.condition as ExpressionRef, base)
      b.If.setIfTrue(expr, this.region(info.ifTrue as ExpressionRef, base))
      if (info.ifFalse !== 0) b.If.setIfFalse(expr, this.region(info.ifFalse as ExpressionRef, base))
      return n
    }
    if ((id === b.LoadId || id === b.StoreId) && info.isAtomic === true) {
      throw new AcheronError('INVALID_WASM', 'invalid WebAssembly module: atomic memory access is not allowed (nondeterministic)')
    }
    if (this.written.writes(expr, id)) this.writesMemory = true
    if (id === b.DataDropId) this.usesDataDrop = true
    const isBlock = id === b.BlockId
    this.written.enterBulk(id)
    let n = isBlock ? 0 : 1
    // Operands pile up on the stack; a block's children do not (all but the last leave nothing).
    let above = 0
    for (const f of fields) {
      const v = info[f]
      const kids = Array.isArray(v) ? (v as ExpressionRef[]) : typeof v === 'number' && v !== 0 ? [v] : []
      kids.forEach((c, i) => {
        n += this.child(expr, id, f, c, base + above, Array.isArray(v) ? i : -1)
        if (!isBlock) above += this.slots(b.getExpressionType(c))
      })
    }
    this.written.leaveBulk(id)
    this.height = Math.max(this.height, base + this.written.track(expr, id))
    if (id === b.MemoryGrowId) b.MemoryGrow.setDelta(expr, this.m.call(GROW_CHECK_FUNCTION, [info.delta as ExpressionRef], b.i32))
    return n
  }

  /**
   * Instruments one defined function: depth accounting around a fuel-charged body.
   *   saved = depth; depth = saved + weight; if (depth > MAX) unreachable
   *   ret = block $__acheron_body { charge; body }   ;; returns are `br`s out of this block
   *   depth = saved; ret
   */
  instrumentFunction(f: number): void {
    const { b, m } = this
    const info = b.getFunctionInfo(f)
    const addVar = (b as unknown as { _BinaryenFunctionAddVar(f: number, t: number): number })._BinaryenFunctionAddVar
    this.savedDepth = addVar(f, b.i32)
    this.height = 0
    this.nan.startFunction(f)
    this.written.startFunction(f)
    const body = this.region(info.body, 0)
    // Slots of the frame: params, locals (read after the body is instrumented, so the saved depth and the NaN
    // checks' scratch locals are in), the result local added below, 2 for the instrumentation's own operands,
    // and the deepest operand stack.
    let slots = this.height + 2 + this.slots(info.results)
    for (const t of b.expandType(info.params)) slots += this.slots(t)
    for (const t of b.getFunctionInfo(f).vars ?? []) slots += this.slots(t)
    const weight = 1 + Math.floor(slots / WASM_FRAME_SLOTS_PER_UNIT)
    const results = info.results
    const depth = (): ExpressionRef => m.global.get(DEPTH_GLOBAL, b.i32)
    const saved = (): ExpressionRef => m.local.get(this.savedDepth, b.i32)
    const enter = [
      m.local.set(this.savedDepth, depth()),
      m.global.set(DEPTH_GLOBAL, m.i32.add(saved(), m.i32.const(weight))),
      m.if(m.i32.gt_u(depth(), m.i32.const(WASM_CALL_DEPTH_MAX)), m.unreachable()),
    ]
    const leave = m.global.set(DEPTH_GLOBAL, saved())
    const wrapped = m.block(BODY_LABEL, [body], results)
    if (results === b.none) {
      b.Function.setBody(f, m.block(null, [...enter, wrapped, leave], b.none))
    } else {
      const ret = addVar(f, results)
      b.Function.setBody(f, m.block(null, [...enter, m.local.set(ret, wrapped), leave, m.local.get(ret, results)], results))
    }
  }

  /** grow_failed = (memory.size + delta > max); returns delta unchanged. */
  addGrowCheck(): void {
    const { m, b, facts } = this
    const delta = (): ExpressionRef => m.i64.extend_u(m.local.get(0, b.i32))
    const size = m.i64.extend_u(m.memory.size(facts.memoryName))
    m.addFunction(GROW_CHECK_FUNCTION, b.createType([b.i32]), b.i32, [], m.block(null, [
      m.global.set(GROW_FAILED_GLOBAL, m.i64.gt_u(m.i64.add(size, delta()), i64(m, facts.memoryMaxPages))),
      m.local.get(0, b.i32),
    ], b.i32))
  }
}

/** `__acheron_reset`: sets every mutable global back to its initial value (for instance reuse). */
function addReset(b: Binaryen, m: BinaryenModule): void {
  const sets: ExpressionRef[] = []
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const g = b.getGlobalInfo(m.getGlobalByIndex(i))
    if (!g.mutable || (g.module !== '' && g.module !== null) || g.name === FUEL_GLOBAL || g.name === DEPTH_GLOBAL) continue
    sets.push(m.global.set(g.name, m.copyExpression(g.init)))
  }
  m.addFunction(RESET_FUNCTION, b.none, b.none, [], m.block(null, sets.length > 0 ? sets : [m.nop()], b.none))
  m.addFunctionExport(RESET_FUNCTION, RESET_EXPORT)
}

/** The active data segments; their offsets are constants, as no allowed feature makes them otherwise. */
function activeSegments(m: BinaryenModule): DataSegment[] {
  // binaryen.js has these, its typings do not.
  const mm = m as unknown as {
    getNumDataSegments(): number
    getDataSegmentByIndex(i: number): number
    getDataSegmentInfo(ref: number): { offset: number | null; data: ArrayBuffer; passive: boolean }
  }
  const out: DataSegment[] = []
  for (let i = 0; i < mm.getNumDataSegments(); i++) {
    const info = mm.getDataSegmentInfo(mm.getDataSegmentByIndex(i))
    if (info.passive) continue
    if (typeof info.offset !== 'number') throw new Error('acheron invariant violated: active data segment without a constant offset')
    out.push({ offset: info.offset >>> 0, data: new Uint8Array(info.data) })
  }
  return out
}

/** Instruments a module that `inspectModule` accepted. Disposes nothing: the caller owns `m`. */
export function instrument(b: Binaryen, m: BinaryenModule, facts: ModuleFacts): InstrumentResult {
  const segments = activeSegments(m)
  m.addGlobal(FUEL_GLOBAL, b.i64, true, i64(m, 0))
  m.addGlobal(GROW_FAILED_GLOBAL, b.i32, true, m.i32.const(0))
  m.addGlobal(DEPTH_GLOBAL, b.i32, true, m.i32.const(0))
  // Reset by __acheron_reset with the guest's own globals.
  m.addGlobal(WRITTEN_START_GLOBAL, b.i32, true, m.i32.const(WRITTEN_START_NONE | 0))
  m.addGlobal(WRITTEN_END_GLOBAL, b.i32, true, m.i32.const(WRITTEN_END_NONE))
  m.addFunctionImport(FUEL_REFILL_FUNCTION, HOST_MODULE, FUEL_REFILL_IMPORT, b.none, b.none)
  const pass = new FuelPass(b, m, facts)
  const functions: number[] = []
  for (let i = 0; i < m.getNumFunctions(); i++) functions.push(m.getFunctionByIndex(i))
  for (const f of functions) {
    const info = b.getFunctionInfo(f)
    if (info.module !== '' && info.module !== null) continue // imports have no body
    pass.instrumentFunction(f)
  }
  pass.addGrowCheck()
  addReset(b, m)
  m.addGlobalExport(FUEL_GLOBAL, FUEL_EXPORT)
  m.addGlobalExport(GROW_FAILED_GLOBAL, GROW_FAILED_EXPORT)
  m.addGlobalExport(DEPTH_GLOBAL, DEPTH_EXPORT)
  m.addGlobalExport(WRITTEN_START_GLOBAL, WRITTEN_START_EXPORT)
  m.addGlobalExport(WRITTEN_END_GLOBAL, WRITTEN_END_EXPORT)
  const start = m.getStart()
  const hasStart = start !== 0
  if (hasStart) {
    m.addFunctionExport(b.getFunctionInfo(start).name, START_EXPORT)
    m.setStart(m.addFunction(START_STUB_FUNCTION, b.none, b.none, [], m.nop()))
  }
  m.addMemoryImport(facts.memoryName, HOST_MODULE, 'memory')
  const { value: ok, output } = capturingOutput(() => m.validate())
  if (!ok) throw new Error(`acheron invariant violated: instrumented module does not validate: ${output.slice(0, 500)}`)
  return { bytes: m.emitBinary(), hasStart, writesMemory: pass.writesMemory, segments, reusable: !pass.usesDataDrop }
}
