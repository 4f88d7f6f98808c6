import type { BaseReader } from '../schema/rows.js'
import type { RowKey } from '../schema/keys.js'
import type { Row } from '../values.js'
import { RowEvaluator } from '../storage/row-evaluator.js'
import { Catalog, type CatalogData, type RuntimeKind, type TableDef } from '../schema/catalog.js'
import type { FunctionRuntime, ModuleShipped, ModuleSource } from '../schema/function-runtime.js'
import { withDeadline } from '../schema/execution-deadline.js'
import { executeTxn } from './txn-runner.js'
import { TxnState, type ExecEnv } from './txn-state.js'
import type { Execution, SequencedTxn } from './types.js'
import { walk, type WalkResult, type WalkTask } from './walk.js'

/**
 * What a server-log line is: a function's `log()` line (`source` is the function the statement called), or
 * an event of the engine's own at a level (`source` is the part that speaks: engine, state, log, snapshot).
 */
export type LogKind = 'function' | 'info' | 'warn' | 'error'
export type LogFn = (source: string, message: string, kind?: LogKind) => void

/** The state one thread executes on: `begin`/`end` bracket one stable view of it. */
export interface HostReader extends BaseReader {
  begin(catalog: CatalogData): void
  end(): void
  close(): void
}

/**
 * Executes transactions on one thread — a worker's, the coordinator's with `workers: 0`, or the state
 * thread's for transactions that run alone — against that thread's reader. Every batch operation reads
 * one stable view: the last checkpoint with the released batches since laid over it.
 */
export class ExecutionHost {
  private catalog = Catalog.empty()
  private readonly modules = new Map<string, ModuleSource>()
  private readonly env: ExecEnv
  /** Evaluates expressions over one row (src/storage/row-evaluator.ts), for the transactions run here. */
  readonly evaluator = new RowEvaluator()
  /** The bound in force: txnWallMsMax, or null while it is not enforced (replay). */
  private wallLimitMs: number | null

  constructor(
    private readonly reader: HostReader,
    runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>,
    /** Called after every transaction executed (the worker's progress counter for the watchdog). */
    private readonly executed: () => void = () => {},
    /**
     * Wall-clock bound on one transaction, checked at every fuel slice (src/wasm-exec/fuel-slice.ts); null:
     * none here (an execution worker, which its pool's watchdog terminates instead).
     */
    private readonly txnWallMsMax: number | null = null,
    /** EngineFaults.keepNegativeZero (a deliberate bug for tests). */
    keepNegativeZero = false,
  ) {
    this.wallLimitMs = txnWallMsMax
    const self = this
    this.env = {
      get catalog() { return self.catalog },
      evaluator: this.evaluator,
      runtimes,
      module: (hash) => {
        const m = this.modules.get(hash)
        if (m === undefined) throw new Error(`module ${hash} was never sent to this thread`)
        return m
      },
      ...(keepNegativeZero ? { keepNegativeZero: true } : {}),
    }
  }

  private execute(base: BaseReader, allowed: Parameters<typeof executeTxn>[2], txn: SequencedTxn): Execution {
    const e = withDeadline(this.wallLimitMs, () => executeTxn(this.env, base, allowed, txn))
    this.executed()
    return e
  }

  /**
   * Makes `data` the catalog, with the modules it needs: `modules` are those not sent before; a module no
   * function of `data` runs is dropped, here and from the runtimes' caches (otherwise every module ever
   * registered stayed in every thread: a fuzz of a few thousand modules grew the server by hundreds of MiB).
   */
  setCatalog(data: CatalogData, modules: readonly ModuleShipped[]): void {
    this.catalog = new Catalog(data)
    for (const [hash, bytes, prepared] of modules) this.modules.set(hash, prepared === undefined ? { hash, bytes } : { hash, bytes, prepared })
    const used = new Set(data.functions.map((f) => f.moduleHash))
    for (const hash of [...this.modules.keys()]) {
      if (used.has(hash)) continue
      this.modules.delete(hash)
      for (const runtime of this.env.runtimes.values()) runtime.forget?.(hash)
    }
  }

  /**
   * Checks, compiles and instantiates every function's module now (runtimes cache them by hash), so that no
   * transaction pays for it. A module that fails its checks fails again, the same way, in the transactions calling it.
   */
  prepareFunctions(): void {
    for (const fn of this.catalog.data.functions) {
      const runtime = this.env.runtimes.get(fn.runtime)
      const source = this.modules.get(fn.moduleHash)
      if (runtime === undefined || source === undefined) continue
      try {
        runtime.validate(source, fn)
        runtime.warm?.(source.hash)
      } catch {
        // Deterministic: the call's own invocation meets the same error.
      }
      // Adopted (or refused) once: the runtime's cache holds it now, and may drop it later without this copy.
      if (source.prepared !== undefined) this.modules.set(source.hash, { hash: source.hash, bytes: source.bytes })
    }
  }

  /** Turns the wall-clock bound (if this host has one) on or off (EngineExecutor.enforceWallClock). */
  enforceWallClock(on: boolean): void {
    this.wallLimitMs = on ? this.txnWallMsMax : null
  }

  runOnSnapshot(txns: readonly SequencedTxn[]): Execution[] {
    this.reader.begin(this.catalog.data)
    try {
      return txns.map((t) => this.execute(this.reader, null, t))
    } finally {
      this.reader.end()
    }
  }

  /**
   * `ahead`: row images of batches that executed but are not released yet, laid over this thread's
   * state (EngineExecutor.runWalksAhead); null for the released state alone.
   */
  runWalks(tasks: readonly WalkTask[], ahead: ReadonlyMap<RowKey, Row | null> | null = null): WalkResult[] {
    this.reader.begin(this.catalog.data)
    try {
      const reader = this.reader
      const snapshot: BaseReader = ahead === null || ahead.size === 0 ? reader : {
        read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
          const image = ahead.get(rk)
          return image === undefined ? reader.read(table, key, rk) : image ?? undefined
        },
      }
      return tasks.map((task) => walk(task, snapshot, (base, allowed, txn) => this.execute(base, allowed, txn)))
    } finally {
      this.reader.end()
    }
  }

  /**
   * Runs `body` on a new transaction state over one committed snapshot (transactions run alone), its
   * clocks reading `timeMs`.
   */
  withState<T>(timeMs: number, body: (state: TxnState) => T): T {
    this.reader.begin(this.catalog.data)
    this.evaluator.timeMs = timeMs
    try {
      return body(new TxnState(this.env, this.reader, null, timeMs))
    } finally {
      this.reader.end()
    }
  }

  get catalogVersion(): number {
    return this.catalog.version
  }

  close(): void {
    this.reader.close()
    this.evaluator.close()
  }
}
