/**
 * The WebAssembly function runtime (kind 'wasm'): validates and instruments modules once per hash, then
 * runs each invocation in a fresh instance over a pooled memory, with fuel shared by the call chain.
 */
import { AcheronError } from '../errors.js'
import type { FunctionDef } from '../schema/catalog.js'
import type { FunctionRuntime, InvocationContext, ModuleSource } from '../schema/function-runtime.js'
import type { SqlValue } from '../values.js'
import { Chain, Frame, Host, outOfFuelError } from './abi.js'
import { START_EXPORT } from './abi-signatures.js'
import { loadBinaryen, type Binaryen } from './binaryen.js'
import { WASM_CALL_DEPTH_MAX, instrument } from './fuel.js'
import { InstancePool, type PooledInstance } from './instance-pool.js'
import { Wasm, type WasmGlobal } from './wasm-api.js'
import { WASM_PAGE_BYTES, checkFunction, inspectModule, type ModuleFacts } from './validate.js'

/** Compiled modules (and rejections) kept per runtime; the oldest is dropped beyond this. */
export const MODULE_CACHE_ENTRIES_MAX = 512

interface Compiled {
  readonly facts: ModuleFacts
  readonly hasStart: boolean
  readonly pool: InstancePool
  /** The last function definition that passed checkFunction: the usual case skips the checks. */
  checkedFn: Pick<FunctionDef, 'exportName' | 'memoryBytes'> | undefined
}

type Invocable = () => void

/**
 * Counters over every wasm runtime of this thread (the engine creates its own runtimes by module URL, so
 * per-instance counters are out of a test's reach): modules compiled (cache misses) and runtimes created.
 */
export const runtimeStats = { runtimesCreated: 0, modulesCompiled: 0 }

class WasmRuntime implements FunctionRuntime {
  readonly kind = 'wasm' as const
  private readonly cache = new Map<string, Compiled | AcheronError>()
  private readonly host: Host
  /** Modules checked, instrumented and compiled so far (a cache miss each); for tests and benchmarks. */
  modulesCompiled = 0

  constructor(private readonly b: Binaryen) {
    this.host = new Host((f, name, key, args) => this.nestedCall(f, name, key, args), (f, message) => { throw this.abortError(f, message) })
  }

  validate(source: ModuleSource, fn: Pick<FunctionDef, 'exportName' | 'memoryBytes'>): void {
    checkFunction(this.prepare(source).facts, fn)
  }

  invoke(ctx: InvocationContext, source: ModuleSource): SqlValue {
    const c = this.prepare(source)
    if (c.checkedFn !== ctx.fn) {
      checkFunction(c.facts, ctx.fn)
      c.checkedFn = ctx.fn
    }
    const outer = this.host.frame
    // A nested invocation belongs to its caller's chain (it runs while the caller's frame is current).
    const frame = new Frame(ctx, outer?.chain ?? new Chain(ctx.fn))
    this.host.frame = frame
    let instance: PooledInstance | undefined
    try {
      // The caller's memory may have grown since it was counted; this instance joins the count before it exists.
      if (outer !== undefined) outer.holdInstance(outer.memory.buffer.byteLength + outer.tableBytes)
      frame.tableBytes = c.pool.instanceBytes - c.facts.memoryInitialPages * WASM_PAGE_BYTES
      frame.holdInstance(c.pool.instanceBytes)
      instance = c.pool.acquire()
      frame.attach(instance.memory, instance.bytes, instance.fuel, instance.growFailed, instance.depth)
      instance.fuel.value = BigInt(Math.max(0, Math.floor(ctx.fuel.remaining)))
      // A nested invocation continues its caller's depth count: the limit covers the whole call chain.
      instance.depth.value = outer?.depth?.value ?? 0
      const exports = instance.exports
      if (c.hasStart) (exports[START_EXPORT] as Invocable)()
      ;(exports[ctx.fn.exportName] as Invocable)()
      return frame.ret
    } catch (e) {
      throw this.mapError(e, frame)
    } finally {
      if (frame.fuel !== undefined) ctx.fuel.remaining = Math.max(0, Number(frame.fuel.value as bigint))
      frame.releaseAll()
      this.host.frame = outer
      if (instance !== undefined) c.pool.release(instance, frame.hostWrittenStart, frame.hostWrittenEnd)
    }
  }

  /** call_invoke: the callee spends from the same meter, so the counter is synced out and back in. */
  private nestedCall(f: Frame, name: string, key: SqlValue, args: SqlValue[]): SqlValue {
    const fuel = f.fuel as WasmGlobal
    f.ctx.fuel.remaining = Math.max(0, Number(fuel.value as bigint))
    try {
      return f.ctx.call(name, key, args)
    } catch (e) {
      f.ctxError = e
      throw e
    } finally {
      fuel.value = BigInt(Math.max(0, Math.floor(f.ctx.fuel.remaining)))
    }
  }

  private memoryLimitError(f: Frame): AcheronError {
    const bytes = f.memory.buffer.byteLength
    return new AcheronError('MEMORY_LIMIT', `function ${f.ctx.fn.name} exceeded its memory limit: memory.grow beyond the module's declared maximum failed (memory is ${bytes} bytes; MEMORY limit ${f.ctx.fn.memoryBytes} bytes)`)
  }

  private depthError(f: Frame): AcheronError {
    return new AcheronError('WASM_TRAP', `function ${f.ctx.fn.name} trapped: wasm call stack exhausted (call depth above ${WASM_CALL_DEPTH_MAX} frame units across the call chain)`)
  }

  private abortError(f: Frame, message: string): AcheronError {
    if (f.growFailed?.value === 1) return this.memoryLimitError(f)
    return new AcheronError('WASM_TRAP', `function ${f.ctx.fn.name} aborted: ${message}`)
  }

  private mapError(e: unknown, f: Frame): unknown {
    if (f.hasCtxError(e) || e instanceof AcheronError) return e
    if (e instanceof Wasm.RuntimeError && e instanceof Error) {
      if (f.fuel !== undefined && (f.fuel.value as bigint) < 0n) {
        return outOfFuelError(f.ctx.fn)
      }
      if (f.depth !== undefined && (f.depth.value as number) > WASM_CALL_DEPTH_MAX) return this.depthError(f)
      if (f.growFailed?.value === 1) return this.memoryLimitError(f)
      return new AcheronError('WASM_TRAP', `function ${f.ctx.fn.name} trapped: ${e.message}`)
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      // The depth limit is meant to make this unreachable; it is kept as a last resort (not deterministic).
      return new AcheronError('WASM_TRAP', `function ${f.ctx.fn.name} trapped: host call stack exhausted (recursion too deep)`)
    }
    if ((e instanceof Wasm.LinkError || e instanceof Wasm.CompileError) && e instanceof Error) {
      return new Error(`acheron invariant violated: instrumented module of ${f.ctx.fn.name} failed to link: ${e.message}`)
    }
    return e
  }

  /** Checks, instruments and compiles a module once per hash; a rejection is cached too. */
  private prepare(source: ModuleSource): Compiled {
    const hit = this.cache.get(source.hash)
    if (hit !== undefined) {
      if (hit instanceof AcheronError) throw new AcheronError(hit.code, hit.message)
      return hit
    }
    let entry: Compiled | AcheronError
    try {
      entry = this.compile(source.bytes)
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      entry = e
    }
    if (this.cache.size >= MODULE_CACHE_ENTRIES_MAX) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) {
        const dropped = this.cache.get(oldest)
        if (dropped !== undefined && !(dropped instanceof AcheronError)) dropped.pool.dispose()
        this.cache.delete(oldest)
      }
    }
    this.cache.set(source.hash, entry)
    if (entry instanceof AcheronError) throw new AcheronError(entry.code, entry.message)
    return entry
  }

  private compile(bytes: Uint8Array): Compiled {
    this.modulesCompiled++
    runtimeStats.modulesCompiled++
    const { module: m, facts } = inspectModule(this.b, bytes)
    try {
      const out = instrument(this.b, m, facts)
      const module = new Wasm.Module(out.bytes)
      return {
        facts,
        hasStart: out.hasStart,
        pool: new InstancePool(module, {
          initialPages: facts.memoryInitialPages, maxPages: facts.memoryMaxPages,
          segments: out.segments, reusable: out.reusable, writesMemory: out.writesMemory, tableElements: facts.tableElements,
        }, this.host.imports),
        checkedFn: undefined,
      }
    } finally {
      m.dispose()
    }
  }
}

export { WASM_CALL_DEPTH_MAX, WASM_PAGE_BYTES }

export async function createRuntime(): Promise<FunctionRuntime> {
  const runtime = new WasmRuntime(await loadBinaryen())
  runtimeStats.runtimesCreated++
  return runtime
}
