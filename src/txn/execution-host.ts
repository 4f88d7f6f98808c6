import type { RowKey } from '../storage/keys.js'
import type { SnapshotReader } from '../storage/partition-store.js'
import type { Row } from '../values.js'
import { Catalog, type CatalogData, type RuntimeKind } from './catalog.js'
import type { FunctionRuntime, ModuleSource } from './function-runtime.js'
import { executeTxn } from './txn-runner.js'
import type { BaseReader, ExecEnv } from './txn-state.js'
import type { Execution, SequencedTxn } from './types.js'
import { walk, type WalkResult, type WalkTask } from './walk.js'

export type LogFn = (fn: string, message: string) => void

/**
 * Executes transactions on one thread — a worker's, or the coordinator's with `workers: 0` — against
 * that thread's snapshot reader. Every batch operation reads one committed snapshot.
 */
export class ExecutionHost {
  private catalog = Catalog.empty()
  private readonly modules = new Map<string, ModuleSource>()
  private readonly env: ExecEnv
  /** Writes of the previous batch, which may not be visible in the snapshot yet (pipelined commit). */
  private overlay: ReadonlyMap<RowKey, Row | null> | null = null
  private readonly base: BaseReader

  constructor(
    private readonly reader: SnapshotReader,
    runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>,
    log: LogFn,
  ) {
    const self = this
    this.env = {
      get catalog() { return self.catalog },
      runtimes,
      module: (hash) => {
        const m = this.modules.get(hash)
        if (m === undefined) throw new Error(`module ${hash} was never sent to this thread`)
        return m
      },
      log,
    }
    this.base = {
      read: (table, key, rk) => {
        const o = this.overlay?.get(rk)
        if (o !== undefined) return o ?? undefined
        return this.reader.read(table, key, rk)
      },
    }
  }

  /**
   * Reads of the coming batch see these rows first: the final writes of the batch before it, whose
   * commit may still be under way. Exact either way, since they are that batch's final images.
   */
  setOverlay(writes: readonly (readonly [RowKey, Row | null])[] | null): void {
    this.overlay = writes === null || writes.length === 0 ? null : new Map(writes)
  }

  setCatalog(data: CatalogData, modules: readonly (readonly [string, Uint8Array])[]): void {
    this.catalog = new Catalog(data)
    for (const [hash, bytes] of modules) this.modules.set(hash, { hash, bytes })
  }

  runOnSnapshot(txns: readonly SequencedTxn[]): Execution[] {
    this.reader.begin(this.catalog.data)
    try {
      return txns.map((t) => executeTxn(this.env, this.base, null, t))
    } finally {
      this.reader.end()
    }
  }

  runWalks(tasks: readonly WalkTask[]): WalkResult[] {
    this.reader.begin(this.catalog.data)
    try {
      return tasks.map((task) => walk(task, this.base, (base, allowed, txn) => executeTxn(this.env, base, allowed, txn)))
    } finally {
      this.reader.end()
    }
  }

  close(): void {
    this.reader.close()
  }
}
