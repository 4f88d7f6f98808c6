/**
 * Fresh state per invocation, cheaply. Instantiating costs about 0.7 µs per import (V8 builds per-import
 * call data), so an AssemblyScript module with ~30 imports instantiates only ~40k times/s. Instead, each
 * module keeps a pool of instances with their host-owned memories, and resets one after use to exactly
 * the state a new instance of the original module has:
 *
 * - memory: zeroed (only if something wrote it) and the active data segments copied back in;
 * - globals: `__acheron_reset` (added by fuel.ts) sets every mutable global to its initial value;
 * - a grown memory cannot shrink, so an instance whose memory grew is dropped;
 * - tables cannot change (table-mutating instructions are rejected), passive segments can only be
 *   dropped with data.drop, and a module using data.drop is never reused (`segments` is null): it gets a
 *   new instance per invocation over a pooled, zeroed memory instead.
 *
 * The start function is not part of this: the runtime calls it at the start of every invocation.
 */
import { DEPTH_EXPORT, FUEL_EXPORT, GROW_FAILED_EXPORT, HOST_MODULE, RESET_EXPORT } from './abi-signatures.js'
import type { DataSegment } from './fuel.js'
import { WASM_PAGE_BYTES } from './validate.js'
import { Wasm, type WasmGlobal, type WasmImports, type WasmMemory, type WasmModule } from './wasm-api.js'

/** Idle instances kept per module; nested calls into the same module take more, which are then dropped. */
export const INSTANCE_POOL_SIZE_MAX = 8

export interface PooledInstance {
  readonly memory: WasmMemory
  readonly exports: Record<string, unknown>
  readonly fuel: WasmGlobal
  readonly growFailed: WasmGlobal
  readonly depth: WasmGlobal
  readonly reset: () => void
}

export class InstancePool {
  private readonly idle: PooledInstance[] = []
  private readonly idleMemories: WasmMemory[] = []
  private readonly initialBytes: number

  constructor(
    private readonly module: WasmModule,
    private readonly initialPages: number,
    private readonly maxPages: number,
    /** Active data segments to restore on reuse; null when instances must not be reused. */
    private readonly segments: readonly DataSegment[] | null,
    private readonly imports: { acheron: Record<string, unknown>; env: Record<string, unknown> },
  ) {
    this.initialBytes = initialPages * WASM_PAGE_BYTES
  }

  /** An instance in its initial state (throws a RuntimeError if instantiation traps). */
  acquire(): PooledInstance {
    return this.idle.pop() ?? this.instantiate()
  }

  private instantiate(): PooledInstance {
    const memory = this.idleMemories.pop() ?? new Wasm.Memory({ initial: this.initialPages, maximum: this.maxPages })
    const imports: WasmImports = { acheron: this.imports.acheron, env: this.imports.env, [HOST_MODULE]: { memory } }
    const exports = new Wasm.Instance(this.module, imports).exports
    return {
      memory, exports,
      fuel: exports[FUEL_EXPORT] as WasmGlobal,
      growFailed: exports[GROW_FAILED_EXPORT] as WasmGlobal,
      depth: exports[DEPTH_EXPORT] as WasmGlobal,
      reset: exports[RESET_EXPORT] as () => void,
    }
  }

  /** Takes an instance back after an invocation (successful or not). `dirty`: its memory may have been written. */
  release(p: PooledInstance, dirty: boolean): void {
    const buffer = p.memory.buffer
    if (buffer.byteLength !== this.initialBytes) return // grown: its size would leak into the next invocation
    if (this.segments === null) {
      if (this.idleMemories.length >= INSTANCE_POOL_SIZE_MAX) return
      if (dirty) new Uint8Array(buffer).fill(0)
      this.idleMemories.push(p.memory)
      return
    }
    if (this.idle.length >= INSTANCE_POOL_SIZE_MAX) return
    if (dirty) {
      const bytes = new Uint8Array(buffer)
      bytes.fill(0)
      for (const s of this.segments) bytes.set(s.data, s.offset)
    }
    p.reset()
    this.idle.push(p)
  }
}
