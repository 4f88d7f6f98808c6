/**
 * Host-owned linear memories for one module, reused across invocations. An instance imports its memory,
 * so instantiation is cheap (~150k/s instead of ~25k/s for an owned memory); a memory goes back to the
 * pool zeroed, and instantiation re-applies the data segments, so every invocation starts from exactly the
 * state a fresh instance of the original module would have.
 */
import { WASM_PAGE_BYTES } from './validate.js'
import { Wasm, type WasmMemory } from './wasm-api.js'

/** Memories kept per module; nested calls into the same module take more, which are then dropped. */
export const MEMORY_POOL_SIZE_MAX = 8

export class MemoryPool {
  private readonly free: WasmMemory[] = []
  private readonly initialBytes: number

  constructor(private readonly initialPages: number, private readonly maxPages: number) {
    this.initialBytes = initialPages * WASM_PAGE_BYTES
  }

  acquire(): WasmMemory {
    return this.free.pop() ?? new Wasm.Memory({ initial: this.initialPages, maximum: this.maxPages })
  }

  /**
   * Returns a memory after use. `dirty` is false when nothing can have written it since instantiation
   * applied the data segments. A grown memory is dropped: its larger size would be visible to the next
   * invocation through memory.size.
   */
  release(memory: WasmMemory, dirty: boolean): void {
    if (memory.buffer.byteLength !== this.initialBytes) return
    if (this.free.length >= MEMORY_POOL_SIZE_MAX) return
    if (dirty) new Uint8Array(memory.buffer).fill(0)
    this.free.push(memory)
  }
}
