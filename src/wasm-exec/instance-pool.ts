/**
 * Fresh state per invocation, cheaply. Instantiating costs about 0.7 µs per import (V8 builds per-import
 * call data), so an AssemblyScript module with ~30 imports instantiates only ~40k times/s. Instead, each
 * module keeps a pool of instances with their host-owned memories, and resets one after use to exactly
 * the state a new instance of the original module has:
 *
 * - memory: only the bytes the invocation wrote are reset. The instrumentation (written-range.ts) keeps the
 *   range [start, end) the guest's own instructions wrote in two exported globals, the host widens a range
 *   of its own in the Frame when it copies into guest memory (get_read, key_read, arg_read, result_read),
 *   and release zeroes the union of the two and copies back the parts of the active data segments inside
 *   it. A bank transfer's invocations write a few hundred bytes of their 64 KiB memory, so this replaces two
 *   64 KiB memsets per transfer. A module without memory-writing instructions leaves the globals alone,
 *   and they are not read.
 * - globals: `__acheron_reset` (added by fuel.ts) sets every mutable global to its initial value, the two
 *   written-range globals included;
 * - a grown memory cannot shrink, so an instance whose memory grew is dropped (so is one that ran
 *   `memory.grow 0`, which detaches the buffer as well);
 * - tables cannot change (table-mutating instructions are rejected), passive segments can only be
 *   dropped with data.drop, and a module using data.drop is never reused (`reusable` is false): it gets a
 *   new instance per invocation over a pooled memory instead, whose written range is zeroed (the bytes of
 *   the active segments left in it are the ones the next instantiation writes again).
 *
 * The start function is not part of this: the runtime calls it at the start of every invocation.
 */
import {
  DEPTH_EXPORT, FUEL_EXPORT, FUEL_REFILL_IMPORT, GROW_FAILED_EXPORT, HOST_MODULE, RESET_EXPORT, WRITTEN_END_EXPORT, WRITTEN_START_EXPORT,
} from './abi-signatures.js'
import type { DataSegment } from './fuel.js'
import { TABLE_ELEMENT_BYTES, WASM_PAGE_BYTES } from './validate.js'
import { Wasm, type WasmGlobal, type WasmImports, type WasmMemory, type WasmModule } from './wasm-api.js'

/** Idle instances kept per module; nested calls into the same module take more, which are then dropped. */
export const INSTANCE_POOL_SIZE_MAX = 8

/**
 * Bytes of idle pooled instances (their memories and tables) one thread keeps over all modules. Without
 * it 60 modules with 16 MiB memories held 1.34 GiB after one call each, for good. Past it the least
 * recently released idle instance (or memory) is dropped: pooling only saves instantiations, every
 * invocation starts from a fresh state either way, so eviction changes speed, never an outcome.
 */
export const POOL_IDLE_BYTES_MAX = 256 * 1024 * 1024

/**
 * Something idle in a pool, which the thread's budget may take back: made once per instance or memory and
 * linked into the budget's list while idle (an intrusive list: a Map keyed by instances, deleted from and
 * re-added to on every invocation, cost more than the invocation itself).
 */
export class IdleEntry {
  prev: IdleEntry | null = null
  next: IdleEntry | null = null
  linked = false

  constructor(readonly bytes: number, readonly evict: () => void) {}
}

/** The idle instances and memories of every pool of this thread, least recently released first. */
export class IdleBudget {
  private head: IdleEntry | null = null
  private tail: IdleEntry | null = null
  bytes = 0

  constructor(private readonly bytesMax: number) {}

  /** `e` became idle: it goes last; past the budget, the least recently released are evicted. */
  add(e: IdleEntry): void {
    if (e.linked) this.remove(e)
    e.prev = this.tail
    e.next = null
    if (this.tail !== null) this.tail.next = e
    else this.head = e
    this.tail = e
    e.linked = true
    this.bytes += e.bytes
    while (this.bytes > this.bytesMax && this.head !== null) {
      const oldest = this.head
      this.remove(oldest)
      oldest.evict()
    }
  }

  /** Takes `e` out of the budget (it is in use again, or dropped). */
  remove(e: IdleEntry): void {
    if (!e.linked) return
    if (e.prev !== null) e.prev.next = e.next
    else this.head = e.next
    if (e.next !== null) e.next.prev = e.prev
    else this.tail = e.prev
    e.prev = e.next = null
    e.linked = false
    this.bytes -= e.bytes
  }
}

/** This thread's budget (module state is per thread). */
export const idleInstances = new IdleBudget(POOL_IDLE_BYTES_MAX)

/**
 * Memories this large or larger are reset whole: the written range is kept in i32 globals, exact only
 * below 2^32 bytes (unreachable while MEMORY_BYTES_MAX is 256 MiB; a guard, not a path).
 */
const WRITTEN_RANGE_MEMORY_BYTES_MAX = 2 ** 32 - 1

export interface PooledInstance {
  readonly memory: WasmMemory
  /** A view of `memory` at its initial size; empty (detached) once the guest ran memory.grow. */
  readonly bytes: Uint8Array
  readonly exports: Record<string, unknown>
  readonly fuel: WasmGlobal
  readonly growFailed: WasmGlobal
  readonly depth: WasmGlobal
  readonly writtenStart: WasmGlobal
  readonly writtenEnd: WasmGlobal
  readonly reset: () => void
  /** Its memory at the initial size plus its tables, as counted (TABLE_ELEMENT_BYTES per element). */
  readonly bytesCounted: number
  /** Its entry in the thread's idle budget (made once, not per release). */
  idleEntry: IdleEntry | undefined
}

export interface InstancePoolOptions {
  readonly initialPages: number
  readonly maxPages: number
  /** Active data segments, restored where written on reuse. */
  readonly segments: readonly DataSegment[]
  /** False when instances must not be reused (a new one per invocation over a pooled memory). */
  readonly reusable: boolean
  /** False when no guest instruction writes memory: only host writes can, and the globals are not read. */
  readonly writesMemory: boolean
  /** Elements of the module's tables. */
  readonly tableElements: number
}

export class InstancePool {
  private readonly idle: PooledInstance[] = []
  private readonly idleMemories: WasmMemory[] = []
  /** The budget entries of the idle memories (a module using data.drop pools memories, not instances). */
  private readonly memoryEntries = new WeakMap<WasmMemory, IdleEntry>()
  private readonly initialBytes: number
  /** What one instance counts: its memory at the initial size and its tables. */
  readonly instanceBytes: number

  constructor(
    private readonly module: WasmModule,
    private readonly options: InstancePoolOptions,
    private readonly imports: { acheron: Record<string, unknown>; env: Record<string, unknown>; fuelRefill: () => void },
  ) {
    this.initialBytes = options.initialPages * WASM_PAGE_BYTES
    this.instanceBytes = this.initialBytes + options.tableElements * TABLE_ELEMENT_BYTES
  }

  /** Drops every idle instance and memory (the module left the runtime's cache). */
  dispose(): void {
    for (const p of this.idle) if (p.idleEntry !== undefined) idleInstances.remove(p.idleEntry)
    for (const m of this.idleMemories) this.forgetMemory(m)
    this.idle.length = 0
    this.idleMemories.length = 0
  }

  private forgetMemory(m: WasmMemory): void {
    const e = this.memoryEntries.get(m)
    if (e !== undefined) idleInstances.remove(e)
  }

  /**
   * Instantiates once and keeps the instance idle, so that the first invocation does not pay for the
   * instantiation (a module's data segments are copied then; a large module's take a while). An
   * instantiation that traps is left to the invocation, which reports it.
   */
  warm(): void {
    if (this.idle.length > 0 || this.idleMemories.length > 0) return
    let p: PooledInstance
    try {
      p = this.instantiate()
    } catch {
      return
    }
    this.release(p, 0, 0)
  }

  /** An instance in its initial state (throws a RuntimeError if instantiation traps). */
  acquire(): PooledInstance {
    const p = this.idle.pop()
    if (p === undefined) return this.instantiate()
    if (p.idleEntry !== undefined) idleInstances.remove(p.idleEntry)
    return p
  }

  private instantiate(): PooledInstance {
    const idleMemory = this.idleMemories.pop()
    if (idleMemory !== undefined) this.forgetMemory(idleMemory)
    const memory = idleMemory ?? new Wasm.Memory({ initial: this.options.initialPages, maximum: this.options.maxPages })
    const imports: WasmImports = { acheron: this.imports.acheron, env: this.imports.env, [HOST_MODULE]: { memory, [FUEL_REFILL_IMPORT]: this.imports.fuelRefill } }
    const exports = new Wasm.Instance(this.module, imports).exports
    return {
      memory, exports,
      bytes: new Uint8Array(memory.buffer),
      fuel: exports[FUEL_EXPORT] as WasmGlobal,
      growFailed: exports[GROW_FAILED_EXPORT] as WasmGlobal,
      depth: exports[DEPTH_EXPORT] as WasmGlobal,
      writtenStart: exports[WRITTEN_START_EXPORT] as WasmGlobal,
      writtenEnd: exports[WRITTEN_END_EXPORT] as WasmGlobal,
      reset: exports[RESET_EXPORT] as () => void,
      bytesCounted: this.instanceBytes,
      idleEntry: undefined,
    }
  }

  /**
   * Takes an instance back after an invocation (successful or not). [hostStart, hostEnd): the guest memory
   * host calls wrote (empty when hostStart >= hostEnd).
   */
  release(p: PooledInstance, hostStart: number, hostEnd: number): void {
    // Any memory.grow, even by 0 pages, detaches the buffer the view was made on (its length becomes 0). Grown,
    // its size would leak into the next invocation; by 0 pages, it is rare enough to be dropped as well. A
    // memory of 0 pages has an empty view either way: only its buffer tells.
    const grown = this.initialBytes === 0 ? p.memory.buffer.byteLength !== 0 : p.bytes.byteLength !== this.initialBytes
    if (grown) return
    const { reusable, segments } = this.options
    if (reusable ? this.idle.length >= INSTANCE_POOL_SIZE_MAX : this.idleMemories.length >= INSTANCE_POOL_SIZE_MAX) return
    let start = hostStart
    let end = hostEnd
    if (this.options.writesMemory) {
      start = Math.min(start, (p.writtenStart.value as number) >>> 0)
      end = Math.max(end, (p.writtenEnd.value as number) >>> 0)
    }
    if (this.initialBytes > WRITTEN_RANGE_MEMORY_BYTES_MAX) {
      start = 0
      end = this.initialBytes
    }
    // A write that trapped may have widened the range past the memory (written-range.ts).
    end = Math.min(end, this.initialBytes)
    const bytes = p.bytes
    if (start < end) bytes.fill(0, start, end)
    if (!reusable) {
      // The next instantiation writes the active segments again, over the zeros too.
      const memory = p.memory
      this.idleMemories.push(memory)
      let entry = this.memoryEntries.get(memory)
      if (entry === undefined) {
        entry = new IdleEntry(this.initialBytes, () => dropFrom(this.idleMemories, memory))
        this.memoryEntries.set(memory, entry)
      }
      idleInstances.add(entry)
      return
    }
    if (start < end) for (const s of segments) restore(bytes, s, start, end)
    p.reset()
    this.idle.push(p)
    p.idleEntry ??= new IdleEntry(p.bytesCounted, () => dropFrom(this.idle, p))
    idleInstances.add(p.idleEntry)
  }
}

function dropFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i >= 0) list.splice(i, 1)
}

/** Copies back the part of segment `s` inside [start, end). */
function restore(bytes: Uint8Array, s: DataSegment, start: number, end: number): void {
  const from = Math.max(start, s.offset)
  const to = Math.min(end, s.offset + s.data.length)
  if (from >= to) return
  if (from === s.offset && to === s.offset + s.data.length) bytes.set(s.data, s.offset)
  else bytes.set(s.data.subarray(from - s.offset, to - s.offset), from)
}
