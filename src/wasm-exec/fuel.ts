/**
 * Instruments a checked module for the runtime (binaryen has no fuel pass, so this is one):
 *
 * - Fuel: a mutable i64 global, exported as `__acheron_fuel`, is charged at the start of every metered
 *   region by the region's static instruction count, and the region traps (`unreachable`) when the counter
 *   drops below zero. Regions are function bodies, loop bodies (charged per iteration) and `if` arms; a
 *   region's count excludes the regions nested in it. A `br` out of a block does not refund the skipped
 *   rest, so the charge is an upper bound of the instructions run — and the same on every run.
 * - Memory limit: the delta of every `memory.grow` passes through a check that records, in the exported
 *   global `__acheron_grow_failed`, whether this grow exceeds the declared maximum (and so returns -1).
 * - Fresh state: the memory becomes an import (`__acheron.memory`), keeping its data segments, so that the
 *   host can hand each instance a pooled, zeroed memory; the start function is exported as
 *   `__acheron_start` and replaced by an empty one, so that it runs after the host has loaded the fuel.
 */
import { AcheronError } from '../errors.js'
import { FUEL_EXPORT, GROW_FAILED_EXPORT, HOST_MODULE, START_EXPORT } from './abi-signatures.js'
import { capturingOutput, type Binaryen, type BinaryenModule, type ExpressionRef } from './binaryen.js'
import type { ModuleFacts } from './validate.js'

const FUEL_GLOBAL = '__acheron_fuel'
const GROW_FAILED_GLOBAL = '__acheron_grow_failed'
const GROW_CHECK_FUNCTION = '__acheron_grow_check'
const START_STUB_FUNCTION = '__acheron_start_stub'

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

/** Expression kinds that write guest memory: a module without them leaves its memory as instantiated. */
function memoryWriters(b: Binaryen): Set<number> {
  return new Set([b.StoreId, b.SIMDLoadStoreLaneId, b.MemoryInitId, b.MemoryCopyId, b.MemoryFillId, b.MemoryGrowId])
}

export interface InstrumentResult {
  readonly bytes: Uint8Array
  readonly hasStart: boolean
  /** False when no instruction of the module writes memory (then only host calls can dirty it). */
  readonly writesMemory: boolean
}

class FuelPass {
  private readonly fields: Map<number, readonly string[]>
  private readonly writers: Set<number>
  writesMemory = false

  constructor(private readonly b: Binaryen, private readonly m: BinaryenModule, private readonly facts: ModuleFacts) {
    this.fields = childFields(b)
    this.writers = memoryWriters(b)
  }

  /** `fuel -= cost; if (fuel < 0) unreachable` */
  private charge(cost: number): ExpressionRef {
    const { m, b } = this
    const fuel = (): ExpressionRef => m.global.get(FUEL_GLOBAL, b.i64)
    return m.block(null, [
      m.global.set(FUEL_GLOBAL, m.i64.sub(fuel(), i64(m, cost))),
      m.if(m.i64.lt_s(fuel(), i64(m, 0)), m.unreachable()),
    ], b.none)
  }

  /** Charges `body` as one region: returns the body with its charge in front. */
  region(body: ExpressionRef): ExpressionRef {
    const cost = Math.max(1, this.cost(body))
    return this.m.block(null, [this.charge(cost), body], this.b.auto)
  }

  /** Static instruction count of `expr`, instrumenting the regions nested in it (which are not counted). */
  private cost(expr: ExpressionRef): number {
    if (expr === 0) return 0
    const b = this.b
    const id = b.getExpressionId(expr)
    const fields = this.fields.get(id)
    if (fields === undefined) throw new AcheronError('INVALID_WASM', `invalid WebAssembly module: unsupported instruction (binaryen expression kind ${id})`)
    // Leaves need no info (and binaryen.js has none for some of them, such as unreachable).
    if (fields.length === 0) return 1
    const info = b.getExpressionInfo(expr) as unknown as Record<string, unknown>
    if (id === b.LoopId) {
      b.Loop.setBody(expr, this.region(info.body as ExpressionRef))
      return 1
    }
    if (id === b.IfId) {
      b.If.setIfTrue(expr, this.region(info.ifTrue as ExpressionRef))
      if (info.ifFalse !== 0) b.If.setIfFalse(expr, this.region(info.ifFalse as ExpressionRef))
      return 1 + this.cost(info.condition as ExpressionRef)
    }
    if ((id === b.LoadId || id === b.StoreId) && info.isAtomic === true) {
      throw new AcheronError('INVALID_WASM', 'invalid WebAssembly module: atomic memory access is not allowed (nondeterministic)')
    }
    if (this.writers.has(id)) this.writesMemory = true
    let n = id === b.BlockId ? 0 : 1
    for (const f of fields) {
      const v = info[f]
      if (Array.isArray(v)) for (const c of v as ExpressionRef[]) n += this.cost(c)
      else if (typeof v === 'number') n += this.cost(v)
    }
    if (id === b.MemoryGrowId) b.MemoryGrow.setDelta(expr, this.m.call(GROW_CHECK_FUNCTION, [info.delta as ExpressionRef], b.i32))
    return n
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

/** Instruments a module that `inspectModule` accepted. Disposes nothing: the caller owns `m`. */
export function instrument(b: Binaryen, m: BinaryenModule, facts: ModuleFacts): InstrumentResult {
  m.addGlobal(FUEL_GLOBAL, b.i64, true, i64(m, 0))
  m.addGlobal(GROW_FAILED_GLOBAL, b.i32, true, m.i32.const(0))
  const pass = new FuelPass(b, m, facts)
  const functions: number[] = []
  for (let i = 0; i < m.getNumFunctions(); i++) functions.push(m.getFunctionByIndex(i))
  for (const f of functions) {
    const info = b.getFunctionInfo(f)
    if (info.module !== '' && info.module !== null) continue // imports have no body
    b.Function.setBody(f, pass.region(info.body))
  }
  pass.addGrowCheck()
  m.addGlobalExport(FUEL_GLOBAL, FUEL_EXPORT)
  m.addGlobalExport(GROW_FAILED_GLOBAL, GROW_FAILED_EXPORT)
  const start = m.getStart()
  const hasStart = start !== 0
  if (hasStart) {
    m.addFunctionExport(b.getFunctionInfo(start).name, START_EXPORT)
    m.setStart(m.addFunction(START_STUB_FUNCTION, b.none, b.none, [], m.nop()))
  }
  m.addMemoryImport(facts.memoryName, HOST_MODULE, 'memory')
  const { value: ok, output } = capturingOutput(() => m.validate())
  if (!ok) throw new Error(`acheron invariant violated: instrumented module does not validate: ${output.slice(0, 500)}`)
  return { bytes: m.emitBinary(), hasStart, writesMemory: pass.writesMemory }
}
