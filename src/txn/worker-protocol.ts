import type { ReaderSpec } from '../storage/partition-store.js'
import type { CatalogData } from '../schema/catalog.js'
import type { RuntimeModules } from '../schema/function-runtime.js'
import type { ExecutionsWire, WalkResultWire, WalkTaskWire } from './execution-codec.js'
import type { SequencedTxn } from './types.js'

/** Messages between the coordinator and an execution worker (one JS object per postMessage). */
export interface WorkerInit {
  readonly reader: ReaderSpec
  readonly runtimes: RuntimeModules
}

export type WorkerRequest =
  | { readonly seq: number; readonly op: 'catalog'; readonly data: CatalogData; readonly modules: readonly (readonly [string, Uint8Array])[] }
  | { readonly seq: number; readonly op: 'snapshot'; readonly txns: readonly SequencedTxn[] }
  | { readonly seq: number; readonly op: 'walks'; readonly tasks: readonly WalkTaskWire[] }

export type WorkerReply =
  | { readonly seq: number; readonly ok: true; readonly value: null | ExecutionsWire | WalkResultWire[] }
  | { readonly seq: number; readonly ok: false; readonly error: string }
  | { readonly seq: -1; readonly log: { readonly fn: string; readonly message: string } }
  | { readonly seq: 0; readonly ready: true }
