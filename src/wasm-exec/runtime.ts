/**
 * The WebAssembly function runtime (kind 'wasm'): validates and instruments modules once per hash, then
 * runs each invocation in a fresh instance over a pooled memory, with fuel shared by the call chain.
 */
import { AcheronError } from '../errors.js'
import { MEMORY_BYTES_MAX, type FunctionDef } from '../schema/catalog.js'
import type { FunctionRuntime, InvocationContext, ModuleSource } from '../schema/function-runtime.js'
import type { SqlValue } from '../values.js'
import { Chain, Frame, Host, outOfFuelError } from './abi.js'
import { START_EXPORT } from './abi-signatures.js'
import { WASM_CALL_DEPTH_MAX } from './fuel.js'
import { fuelLeft, loadFuel } from './fuel-slice.js'
import { InstancePool, type PooledInstance } from './instance-pool.js'
import { isPreparation, type Preparation, type PreparedModule } from './prepared.js'
import { prepThread } from './prep-thread.js'
import { Wasm } from './wasm-api.js'
import { WASM_PAGE_BYTES, checkFunction, type ModuleFacts } from './validate.js'

/** Compiled modules (and rejections) kept per runtime; the oldest is dropped beyond this. */
export const MODULE_CACHE_ENTRIES_MAX = 512

interface Compiled {
  /** What it was made from, for other threads to adopt (preparedForm). */
  readonly prepared: PreparedModule
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
export const runtimeStats = { runtimesCreated: 0, modulesCompiled: 0, modulesAdopted: 0 }

/**
 * What raises the limit a MEMORY_LIMIT hit. The ceiling is the module's own declared maximum, which
 * `acheron fn build` sets to 1 MiB: raising MEMORY alone changes nothing until the module declares more,
 * and the message named nothing to do.
 */
function memoryLimitHint(declaredBytes: number, memoryBytes: number): string {
  const rebuild = 'rebuild the module with a larger declared maximum (acheron fn build --max-memory BYTES; asc --maximumMemory PAGES; wasm-ld --max-memory=BYTES)'
  if (declaredBytes < memoryBytes) return `. To give it more, ${rebuild}, up to its MEMORY of ${memoryBytes} bytes`
  if (memoryBytes >= MEMORY_BYTES_MAX) return ''
  return `. To give it more, ${rebuild} and register it WITH (MEMORY = BYTES), at most ${MEMORY_BYTES_MAX}`
}

class WasmRuntime implements FunctionRuntime {
  readonly kind = 'wasm' as const
  private readonly cache = new Map<string, Compiled | AcheronError>()
  /** Frames by nesting depth (invoke), and how many of them the invocations under way use. */
  private readonly frames: Frame[] = []
  private framesInUse = 0
  private readonly host: Host
  /**
   * Modules checked, instrumented and compiled for this runtime so far (a cache miss each), here or on the
   * preparation thread; for tests and benchmarks.
   */
  modulesCompiled = 0
  /** Modules taken over as another thread's runtime held them (a cache miss each, without the work). */
  modulesAdopted = 0

  constructor() {
    this.host = new Host((f, name, key, args) => this.nestedCall(f, name, key, args), (f, message) => { throw this.abortError(f, message) })
  }

  validate(source: ModuleSource, fn: Pick<FunctionDef, 'exportName' | 'memoryBytes'>): void {
    checkFunction(this.prepare(source).facts, fn)
  }

  /** Prepares a module on the preparation thread; `validate` of its hash is then a cache hit here. */
  async prepareOffThread(source: ModuleSource): Promise<void> {
    if (this.cache.has(source.hash)) return
    const preparation = await prepThread.prepare(source.bytes)
    if (this.cache.has(source.hash)) return
    this.modulesCompiled++
    runtimeStats.modulesCompiled++
    this.remember(source.hash, this.adopt(preparation))
  }

  forget(hash: string): void {
    const hit = this.cache.get(hash)
    if (hit === undefined) return
    if (!(hit instanceof AcheronError)) hit.pool.dispose()
    this.cache.delete(hash)
  }

  /** Instantiates a module this runtime holds once, ahead of its first invocation. */
  warm(hash: string): void {
    const hit = this.cache.get(hash)
    if (hit !== undefined && !(hit instanceof AcheronError)) hit.pool.warm()
  }

  /** The form other threads' runtimes adopt (ModuleSource.prepared), if this thread has the module. */
  preparedForm(hash: string): unknown {
    const hit = this.cache.get(hash)
    return hit === undefined || hit instanceof AcheronError ? undefined : hit.prepared
  }

  invoke(ctx: InvocationContext, source: ModuleSource): SqlValue {
    const c = this.prepare(source)
    if (c.checkedFn !== ctx.fn) {
      checkFunction(c.facts, ctx.fn)
      c.checkedFn = ctx.fn
    }
    const outer = this.host.frame
    // A nested invocation belongs to its caller's chain (it runs while the caller's frame is current).
    const chain = outer?.chain ?? new Chain(ctx.fn)
    // One frame per nesting depth, reused (a new one per invocation showed in the allocation profile).
    const depth = this.framesInUse
    let frame = this.frames[depth]
    if (frame === undefined) this.frames.push(frame = new Frame(ctx, chain))
    else frame.reset(ctx, chain)
    this.framesInUse = depth + 1
    frame.memoryMaxPages = c.facts.memoryMaxPages
    this.host.frame = frame
    let instance: PooledInstance | undefined
    try {
      // The caller's memory may have grown since it was counted; this instance joins the count before it exists.
      if (outer !== undefined) outer.holdInstance(outer.memory.buffer.byteLength + outer.tableBytes)
      frame.tableBytes = c.pool.instanceBytes - c.facts.memoryInitialPages * WASM_PAGE_BYTES
      frame.holdInstance(c.pool.instanceBytes)
      instance = c.pool.acquire()
      frame.attach(instance.memory, instance.bytes, instance.fuel, instance.growFailed, instance.depth)
      loadFuel(frame, ctx.fuel.remaining)
      // A nested invocation continues its caller's depth count: the limit covers the whole call chain.
      instance.depth.value = outer?.depth?.value ?? 0
      const exports = instance.exports
      if (c.hasStart) (exports[START_EXPORT] as Invocable)()
      ;(exports[ctx.fn.exportName] as Invocable)()
      return frame.ret
    } catch (e) {
      throw this.mapError(e, frame)
    } finally {
      // First, so that nothing below leaves the depth taken if it throws.
      this.framesInUse = depth
      if (frame.fuel !== undefined) ctx.fuel.remaining = fuelLeft(frame)
      frame.releaseAll()
      this.host.frame = outer
      if (instance !== undefined) c.pool.release(instance, frame.hostWrittenStart, frame.hostWrittenEnd)
      frame.clear()
    }
  }

  /** call_invoke: the callee spends from the same meter, so the counter is synced out and back in. */
  private nestedCall(f: Frame, name: string, key: SqlValue, args: SqlValue[]): SqlValue {
    f.ctx.fuel.remaining = fuelLeft(f)
    try {
      return f.ctx.call(name, key, args)
    } catch (e) {
      throw f.ctxFailed(e)
    } finally {
      loadFuel(f, f.ctx.fuel.remaining)
    }
  }

  private memoryLimitError(f: Frame): AcheronError {
    const bytes = f.memory.buffer.byteLength
    const declaredBytes = f.memoryMaxPages * WASM_PAGE_BYTES
    return new AcheronError('MEMORY_LIMIT', `function ${f.ctx.fn.name} exceeded its memory limit: memory.grow beyond the module's declared maximum of ${declaredBytes} bytes (${f.memoryMaxPages} pages) failed (memory is ${bytes} bytes; MEMORY limit ${f.ctx.fn.memoryBytes} bytes)${memoryLimitHint(declaredBytes, f.ctx.fn.memoryBytes)}`)
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

  /**
   * A module's compiled form, once per hash: adopted from `source.prepared` when another thread prepared
   * it, else prepared on the preparation thread while this one waits (binaryen is loaded there only). A
   * rejection is cached too.
   */
  private prepare(source: ModuleSource): Compiled {
    const hit = this.cache.get(source.hash)
    if (hit !== undefined) {
      if (hit instanceof AcheronError) throw new AcheronError(hit.code, hit.message)
      return hit
    }
    let preparation: Preparation
    if (isPreparation(source.prepared)) {
      preparation = source.prepared
      this.modulesAdopted++
      runtimeStats.modulesAdopted++
    } else {
      preparation = prepThread.prepareSync(source.bytes)
      this.modulesCompiled++
      runtimeStats.modulesCompiled++
    }
    const entry = this.adopt(preparation)
    this.remember(source.hash, entry)
    if (entry instanceof AcheronError) throw new AcheronError(entry.code, entry.message)
    return entry
  }

  private remember(hash: string, entry: Compiled | AcheronError): void {
    if (this.cache.size >= MODULE_CACHE_ENTRIES_MAX) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) {
        const dropped = this.cache.get(oldest)
        if (dropped !== undefined && !(dropped instanceof AcheronError)) dropped.pool.dispose()
        this.cache.delete(oldest)
      }
    }
    this.cache.set(hash, entry)
  }

  private adopt(p: Preparation): Compiled | AcheronError {
    if (!p.ok) return new AcheronError(p.code, p.message)
    const { facts } = p
    return {
      prepared: p,
      facts,
      hasStart: p.hasStart,
      pool: new InstancePool(p.module, {
        initialPages: facts.memoryInitialPages, maxPages: facts.memoryMaxPages,
        segments: p.segments, reusable: p.reusable, writesMemory: p.writesMemory, tableElements: facts.tableElements,
      }, this.host.imports),
      checkedFn: undefined,
    }
  }
}

export { WASM_CALL_DEPTH_MAX, WASM_PAGE_BYTES }

export function createRuntime(): FunctionRuntime {
  const runtime = new WasmRuntime()
  runtimeStats.runtimesCreated++
  return runtime
}
