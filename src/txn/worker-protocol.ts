import type { ReaderFaults } from '../storage/sqlite-reader.js'
import type { CatalogData } from '../schema/catalog.js'
import type { ModuleShipped, RuntimeModules } from '../schema/function-runtime.js'
import type { ExecutionsWire, WalkResultWire, WalkTaskWire } from './execution-codec.js'
import type { EncodedBatch } from './batch-codec.js'
import type { SequencedTxn } from './types.js'

/** Messages between the coordinator and an execution worker (one JS object per postMessage). */
export interface WorkerInit {
  /** The checkpoint file the worker reads (its own read-only connection). */
  readonly readerFile: string
  readonly runtimes: RuntimeModules
  /**
   * Two Int32s for the coordinator's watchdog (worker-pool.ts), read without a message: [0] the worker
   * increments after every transaction it executes (a phase-1 execution or one step of a walk); [1] is 1
   * while it does work that is no transaction (starting up, applying a released batch, taking a catalog
   * change and compiling its modules), which the watchdog does not time.
   */
  readonly progress: SharedArrayBuffer
  /** The `repartitionReadsCatalogLayout` and `addColumnReadsCatalogColumns` faults (src/txn/faults.ts). */
  readonly readerFaults?: ReaderFaults
}

/** A catalog change at a batch: these tables (lower-cased) were dropped or (re)created by it. */
export interface TablesChanged {
  readonly batch: number
  readonly tables: readonly string[]
}

/** Requests in order; `release` and `catalog` change what later requests read and get no reply. */
export type WorkerRequest =
  | { readonly seq: 0; readonly op: 'catalog'; readonly data: CatalogData; readonly modules: readonly ModuleShipped[]; readonly changed: TablesChanged | null }
  | { readonly seq: 0; readonly op: 'release'; readonly batch: number; readonly writes: Uint8Array }
  /** Phase 1 of transactions [from, to) of the batch, or of `txns` when they are not from it. */
  | { readonly seq: number; readonly op: 'snapshot'; readonly batch: EncodedBatch | null; readonly from: number; readonly to: number; readonly txns: readonly SequencedTxn[] | null }
  | { readonly seq: number; readonly op: 'walks'; readonly batch: EncodedBatch | null; readonly tasks: readonly WalkTaskWire[] }

export type WorkerReply =
  | { readonly seq: number; readonly ok: true; readonly value: ExecutionsWire | WalkResultWire[] }
  /** `error`: the error's name and message, for clients; `stack`: where it was thrown, for the server's log only. */
  | { readonly seq: number; readonly ok: false; readonly error: string; readonly stack?: string }
  | { readonly seq: 0; readonly ready: true }
