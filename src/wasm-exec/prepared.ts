/**
 * What registering a module costs, done once per hash: the checks of CONTRACT.md §6, the instrumentation
 * pass and V8's compilation. The result is plain data plus a compiled `WebAssembly.Module`, which
 * `postMessage` shares between threads, so the work can run on one thread (the preparation thread, off
 * the thread that serves clients) and be adopted by the others without doing it again.
 *
 * The verdict depends on the bytes alone (and this build of binaryen), never on the catalog or on which
 * thread ran it: preparing before a CREATE FUNCTION is sequenced and applying the verdict at its position
 * is the same as preparing at its position.
 */
import { AcheronError, type ErrorCode } from '../errors.js'
import type { Binaryen } from './binaryen.js'
import { instrument, type DataSegment } from './fuel.js'
import { inspectModule, type ModuleFacts } from './validate.js'
import { Wasm, type WasmModule } from './wasm-api.js'

/** A module that passed: everything an instance pool needs. */
export interface PreparedModule {
  readonly ok: true
  readonly facts: ModuleFacts
  readonly hasStart: boolean
  readonly writesMemory: boolean
  readonly segments: readonly DataSegment[]
  readonly reusable: boolean
  /** The instrumented module, compiled. */
  readonly module: WasmModule
}

/** A module that failed its checks: the error every CREATE FUNCTION and call of it gets. */
export interface RejectedModule {
  readonly ok: false
  readonly code: ErrorCode
  readonly message: string
}

export type Preparation = PreparedModule | RejectedModule

/** Checks, instruments and compiles `bytes`. Throws only what is not a verdict (a bug, an exhausted heap). */
export function prepareModule(b: Binaryen, bytes: Uint8Array): Preparation {
  let inspected: ReturnType<typeof inspectModule>
  try {
    inspected = inspectModule(b, bytes)
  } catch (e) {
    if (e instanceof AcheronError) return { ok: false, code: e.code, message: e.message }
    throw e
  }
  const { module: m, facts } = inspected
  try {
    const out = instrument(b, m, facts)
    return {
      ok: true, facts, hasStart: out.hasStart, writesMemory: out.writesMemory, segments: out.segments, reusable: out.reusable,
      module: new Wasm.Module(out.bytes),
    }
  } catch (e) {
    if (e instanceof AcheronError) return { ok: false, code: e.code, message: e.message }
    throw e
  } finally {
    m.dispose()
  }
}

/** A preparation that came from another thread: structured cloning keeps its shape but checks nothing. */
export function isPreparation(v: unknown): v is Preparation {
  if (typeof v !== 'object' || v === null) return false
  const p = v as Partial<PreparedModule> & Partial<RejectedModule>
  if (p.ok === false) return typeof p.code === 'string' && typeof p.message === 'string'
  return p.ok === true && typeof p.facts === 'object' && p.module instanceof Wasm.Module
}
