import type { FunctionDef, RuntimeKind, TableDef } from './catalog.js'
import type { SqlValue } from '../values.js'

/** Fuel shared by a whole call chain (CONTRACT.md §6). Runtimes subtract from `remaining`. */
export interface FuelMeter {
  remaining: number
}

/** Call depth limit of CONTRACT.md §6: the top-level call has depth 1; depth 65 fails. */
export const CALL_DEPTH_MAX = 64

/**
 * What one invocation of a function body sees: its key's row, its arguments, and a way to call
 * other functions inside the same transaction. Implemented by the engine (src/txn/txn-state.ts).
 *
 * Every method may throw. Errors thrown by these methods must propagate out of `invoke` unchanged
 * (an `AcheronError` is the transaction's own failure; an `EngineSignal` is the engine's control flow,
 * such as a deterministic lock miss) — a runtime must never turn them into a trap.
 */
export interface InvocationContext {
  readonly fn: FunctionDef
  readonly table: TableDef
  readonly key: SqlValue
  readonly args: readonly SqlValue[]
  /** 1 for the call the client made, +1 per nested call. */
  readonly depth: number
  readonly fuel: FuelMeter
  /** Column index by name (case-insensitive), -1 if none. */
  columnIndex(name: string): number
  rowExists(): boolean
  /** Column `c` of this key's row as the transaction sees it now; NULL if the row is absent. Throws UNKNOWN_COLUMN for a bad index. */
  getColumn(c: number): SqlValue
  /** Writes column `c`; an absent row is created with its defaults first. TYPE_MISMATCH / CONSTRAINT on bad values. */
  setColumn(c: number, value: SqlValue): void
  deleteRow(): void
  /** Runs `table.function` at `key` synchronously inside this transaction and returns its result. */
  call(fnName: string, key: SqlValue, args: readonly SqlValue[]): SqlValue
  /** A debug line for the server log; never affects the transaction. */
  log(message: string): void
  /** The time of the transaction's batch, ms since the Unix epoch (src/txn/batch-time.ts): the same in every call of the batch. */
  txnTimeMs(): number
}

export interface ModuleSource {
  /** SHA-256 hex of `bytes`: the cache key for compiled forms. */
  readonly hash: string
  readonly bytes: Uint8Array
  /**
   * What this kind's runtime on another thread made of the bytes (its `preparedForm`), posted here so that
   * this thread adopts it instead of checking and compiling again. Opaque outside the runtime.
   */
  readonly prepared?: unknown
}

/** A module as it is sent to a thread: its hash, bytes, and where there is one, the form to adopt (`prepared`). */
export type ModuleShipped = readonly [hash: string, bytes: Uint8Array, prepared?: unknown]

/**
 * The modules of `modules` a thread has not been sent yet, `sent` updated to match: hashes gone from
 * `modules` leave it (the thread drops those modules with the catalog change: ExecutionHost.setCatalog),
 * so bytes that come back are sent again.
 */
export function modulesToSend(sent: Set<string>, modules: ReadonlyMap<string, Uint8Array>): [hash: string, bytes: Uint8Array][] {
  for (const h of [...sent]) if (!modules.has(h)) sent.delete(h)
  const fresh = [...modules].filter(([h]) => !sent.has(h))
  for (const [h] of fresh) sent.add(h)
  return fresh
}

/**
 * Executes function bodies of one kind. One instance per thread; it may cache compiled modules by hash.
 * A runtime module exports `createRuntime(): FunctionRuntime` and is loaded by module specifier, so that
 * worker threads can load it too.
 */
export interface FunctionRuntime {
  readonly kind: RuntimeKind
  /**
   * Checks a body at registration (never on the hot path). Throws AcheronError `INVALID_WASM` or
   * `WASM_IMPORT_NOT_ALLOWED` with the reason.
   */
  validate(source: ModuleSource, fn: Pick<FunctionDef, 'exportName' | 'memoryBytes'>): void
  /**
   * Optional: does what `validate` costs off the calling thread (the engine calls it before it sequences a
   * CREATE FUNCTION), so that `validate` of the same hash is cheap afterwards. Rejects only when the work
   * could not be done (never for a module that fails its checks: that verdict is `validate`'s to throw).
   */
  prepareOffThread?(source: ModuleSource): Promise<void>
  /** Optional: drops what this runtime holds of a module no function runs any more (it is prepared again if it comes back). */
  forget?(hash: string): void
  /** Optional: makes the first invocation of a module this runtime holds as cheap as the next (instantiates it once). */
  warm?(hash: string): void
  /** Optional: a structured-cloneable form of a module this runtime holds, for ModuleSource.prepared elsewhere. */
  preparedForm?(hash: string): unknown
  /**
   * Runs one invocation from a fresh state and returns its return value (NULL if it set none).
   * Failures are thrown as AcheronError with code TXN_ABORTED, WASM_TRAP, OUT_OF_FUEL, MEMORY_LIMIT,
   * CALL_DEPTH_EXCEEDED, CONSTRAINT or TYPE_MISMATCH; they roll back the whole transaction.
   */
  invoke(ctx: InvocationContext, source: ModuleSource): SqlValue
}

export type RuntimeFactory = () => FunctionRuntime | Promise<FunctionRuntime>

/** Module specifiers (file URLs) of runtime modules by kind. */
export type RuntimeModules = Partial<Record<RuntimeKind, string>>

/** Loads each runtime module and creates its runtime; used identically by the coordinator and by workers. */
export async function loadRuntimes(modules: RuntimeModules): Promise<Map<RuntimeKind, FunctionRuntime>> {
  const out = new Map<RuntimeKind, FunctionRuntime>()
  for (const kind of Object.keys(modules).sort() as RuntimeKind[]) {
    const spec = modules[kind]
    if (spec === undefined) continue
    const mod = (await import(spec)) as { createRuntime?: RuntimeFactory }
    if (typeof mod.createRuntime !== 'function') throw new Error(`runtime module ${spec} does not export createRuntime()`)
    const runtime = await mod.createRuntime()
    if (runtime.kind !== kind) throw new Error(`runtime module ${spec} creates a '${runtime.kind}' runtime, expected '${kind}'`)
    out.set(kind, runtime)
  }
  return out
}

/**
 * Base class of the engine's own control-flow exceptions (for example a deterministic lock miss).
 * They pass through function runtimes untouched and never reach a client.
 */
export class EngineSignal extends Error {}
