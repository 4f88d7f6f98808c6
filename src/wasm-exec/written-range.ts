/**
 * Written-range tracking, part of the instrumentation pass (fuel.ts), so that reusing an instance
 * (instance-pool.ts) resets only the guest memory an invocation wrote, not the whole memory. Two mutable i32
 * globals, exported as `__acheron_written_start` and `__acheron_written_end`, hold the lowest byte offset
 * written and the highest + 1, unsigned; start 0xffffffff and end 0 mean "nothing written" and are their
 * initial values, which `__acheron_reset` puts back. Every instruction that writes memory widens the range
 * just before it writes, its operands evaluated once and in their order:
 *
 *   store P V          → store (block (local.set $p P) widen($p + offset, $p + offset + bytes) (local.get $p)) V
 *                        (a P that is a local.get or a constant is used as is, without $p)
 *   v128.store, v128.storeN_lane: the same (a lane store writes N/8 bytes)
 *   memory.fill D V N, memory.copy D S N, memory.init D O N
 *                      → (local.tee $d D) V (block (local.set $n N) charge($n) widen($d, $d + $n) (local.get $n))
 *
 * where charge($n) takes ⌊$n / FUEL_BYTES_PER_UNIT⌋ fuel and traps when the fuel runs out (fuel.ts: the
 * bytes a bulk operation moves are paid for before it moves them), and widen(s, e) is `if (s <u start) start = s; if (e >u end) end = e`.
 *
 * Only a write that does not trap must be covered, and one that does not trap ends at or below the memory
 * size, which is below 2^32 (MEMORY_BYTES_MAX), so i32 arithmetic is exact for it: no effective address
 * needs 33 bits. A write that traps may have widened the range first, with a wrapped address: the range is
 * then larger than what was written, never smaller, which costs only a larger reset (the pool clamps the
 * range to the memory). The same holds when an operand evaluated after the widening traps.
 *
 * Scratch locals: one i32 for stores ($p is free again right after the widening, whatever P contained), and
 * one pair ($d, $n) per nesting level of bulk operations: $d stays live while V/S/O and N run, and those
 * may hold another bulk operation, which then uses the next level's pair.
 *
 * Not charged to fuel, like the NaN checks: fuel counts the guest's own instructions, the widening is a
 * fixed few per write so the charge stays the same on every run, and a function's charge stays what it was
 * before this tracking existed.
 */
import type { Binaryen, BinaryenModule, ExpressionRef } from './binaryen.js'

export const WRITTEN_START_GLOBAL = '__acheron_written_start'
export const WRITTEN_END_GLOBAL = '__acheron_written_end'
/** The initial, "nothing written" values of the two globals, as unsigned numbers. */
export const WRITTEN_START_NONE = 0xffffffff
export const WRITTEN_END_NONE = 0

/** Operand stack slots the widening itself needs at once (a comparison of two i32). */
export const WIDEN_OPERANDS = 2

type AddVar = (f: number, t: number) => number

interface StoreInfo { ptr: ExpressionRef; offset: number; bytes: number }
interface LaneInfo { op: number; ptr: ExpressionRef; offset: number }
interface BulkInfo { dest: ExpressionRef; size: ExpressionRef }
type Setter = (e: ExpressionRef, child: ExpressionRef) => void

/** Bytes written by each store-lane op (the load-lane ops share the expression kind and write nothing). */
function laneStoreBytes(b: Binaryen): Map<number, number> {
  const ops = b as unknown as Record<string, number | undefined>
  const out = new Map<number, number>()
  for (const [name, bytes] of [['Store8LaneVec128', 1], ['Store16LaneVec128', 2], ['Store32LaneVec128', 4], ['Store64LaneVec128', 8]] as const) {
    const op = ops[name]
    if (op === undefined) throw new Error(`acheron invariant violated: binaryen.js has no operation ${name}`)
    out.set(op, bytes)
  }
  return out
}

export class WriteTracker {
  private readonly laneBytes: Map<number, number>
  private readonly bulk: Set<number>
  private readonly addVar: AddVar
  private func = 0
  private storeScratch: number | undefined
  /** Per function: the ($d, $n) pair of each bulk nesting level, and the current level. */
  private bulkScratch: [number, number][] = []
  private bulkLevel = 0

  /**
   * `chargeBytes(n)`: statements charging fuel for a bulk operation of `n()` bytes (and trapping when it
   * runs out), placed after the size operand is evaluated and before the operation runs (fuel.ts).
   */
  constructor(private readonly b: Binaryen, private readonly m: BinaryenModule, private readonly chargeBytes: (n: () => ExpressionRef) => ExpressionRef[]) {
    this.laneBytes = laneStoreBytes(b)
    this.bulk = new Set([b.MemoryFillId, b.MemoryCopyId, b.MemoryInitId])
    this.addVar = (b as unknown as { _BinaryenFunctionAddVar: AddVar })._BinaryenFunctionAddVar
  }

  /** Starts a function: its scratch locals are added to it on first use. */
  startFunction(f: number): void {
    this.func = f
    this.storeScratch = undefined
    this.bulkScratch = []
    this.bulkLevel = 0
  }

  /** Whether `expr` (of kind `id`) writes memory. */
  writes(expr: ExpressionRef, id: number): boolean {
    const b = this.b
    if (id === b.StoreId || this.bulk.has(id)) return true
    return id === b.SIMDLoadStoreLaneId && this.laneBytes.has((b.getExpressionInfo(expr) as unknown as LaneInfo).op)
  }

  /** Call before instrumenting the children of a bulk operation, and `leaveBulk` after: nested ones take the next level. */
  enterBulk(id: number): void {
    if (this.bulk.has(id)) this.bulkLevel++
  }

  leaveBulk(id: number): void {
    if (this.bulk.has(id)) this.bulkLevel--
  }

  /**
   * Instruments `expr` (of kind `id`, its children instrumented already) in place if it writes memory.
   * Returns the operand stack slots it then needs above the height its operands start at (0 if untouched).
   */
  track(expr: ExpressionRef, id: number): number {
    const b = this.b
    if (!this.writes(expr, id) || b.getExpressionType(expr) === b.unreachable) return 0 // never runs the write
    if (this.bulk.has(id)) return this.trackBulk(expr, id)
    const info = b.getExpressionInfo(expr) as unknown as StoreInfo & LaneInfo
    const bytes = id === b.StoreId ? info.bytes : this.laneBytes.get(info.op) ?? 0
    this.setter(id === b.StoreId ? 'Store' : 'SIMDLoadStoreLane', 'setPtr')(expr, this.trackedPtr(info.ptr, info.offset >>> 0, bytes))
    return WIDEN_OPERANDS
  }

  /** `ptr`, widening the range by [ptr + offset, ptr + offset + bytes) once it is evaluated. */
  private trackedPtr(ptr: ExpressionRef, offset: number, bytes: number): ExpressionRef {
    const { b, m } = this
    const id = b.getExpressionId(ptr)
    if (id === b.ConstId) {
      const at = (b.getExpressionInfo(ptr) as unknown as { value: number }).value >>> 0
      return m.block(null, [...this.widen(() => this.i32(at + offset), () => this.i32(at + offset + bytes)), ptr], b.i32)
    }
    const plus = (get: () => ExpressionRef, k: number) => (): ExpressionRef => (k === 0 ? get() : m.i32.add(get(), this.i32(k)))
    if (id === b.LocalGetId) {
      const index = (b.getExpressionInfo(ptr) as unknown as { index: number }).index
      const get = (): ExpressionRef => m.local.get(index, b.i32)
      return m.block(null, [...this.widen(plus(get, offset), plus(get, offset + bytes)), ptr], b.i32)
    }
    this.storeScratch ??= this.addVar(this.func, b.i32)
    const p = this.storeScratch
    const get = (): ExpressionRef => m.local.get(p, b.i32)
    return m.block(null, [m.local.set(p, ptr), ...this.widen(plus(get, offset), plus(get, offset + bytes)), get()], b.i32)
  }

  private trackBulk(expr: ExpressionRef, id: number): number {
    const { b, m } = this
    const info = b.getExpressionInfo(expr) as unknown as BulkInfo
    const [d, n] = this.bulkPair(this.bulkLevel)
    const kind = id === b.MemoryFillId ? 'MemoryFill' : id === b.MemoryCopyId ? 'MemoryCopy' : 'MemoryInit'
    const dest = (): ExpressionRef => m.local.get(d, b.i32)
    const size = (): ExpressionRef => m.local.get(n, b.i32)
    this.setter(kind, 'setDest')(expr, m.local.tee(d, info.dest, b.i32))
    this.setter(kind, 'setSize')(expr, m.block(null, [
      m.local.set(n, info.size), ...this.chargeBytes(size), ...this.widen(dest, () => m.i32.add(dest(), size())), size(),
    ], b.i32))
    return 2 + WIDEN_OPERANDS // the dest and the middle operand are on the stack below the size
  }

  /** binaryen.js's `<kind>.<name>` child setter (its typings lack most of them). */
  private setter(kind: string, name: string): Setter {
    const fn = (this.b as unknown as Record<string, Record<string, unknown> | undefined>)[kind]?.[name]
    if (typeof fn !== 'function') throw new Error(`acheron invariant violated: binaryen.js has no ${kind}.${name}`)
    return fn as Setter
  }

  private bulkPair(level: number): [number, number] {
    let pair = this.bulkScratch[level]
    if (pair === undefined) {
      pair = [this.addVar(this.func, this.b.i32), this.addVar(this.func, this.b.i32)]
      this.bulkScratch[level] = pair
    }
    return pair
  }

  /** `if (s <u start) start = s; if (e >u end) end = e` (`s` and `e` are pure: each is built twice). */
  private widen(s: () => ExpressionRef, e: () => ExpressionRef): ExpressionRef[] {
    const { b, m } = this
    const start = (): ExpressionRef => m.global.get(WRITTEN_START_GLOBAL, b.i32)
    const end = (): ExpressionRef => m.global.get(WRITTEN_END_GLOBAL, b.i32)
    return [
      m.if(m.i32.lt_u(s(), start()), m.global.set(WRITTEN_START_GLOBAL, s())),
      m.if(m.i32.gt_u(e(), end()), m.global.set(WRITTEN_END_GLOBAL, e())),
    ]
  }

  /** An i32.const of `n` taken modulo 2^32 (an address past 2^32 belongs to a write that traps). */
  private i32(n: number): ExpressionRef {
    return this.m.i32.const(n | 0)
  }
}
