import type { CrashAt } from '../crash-points.js'
import type { SyncMode } from '../log/batch-log.js'
import type { RuntimeModules } from '../schema/function-runtime.js'
import type { CatalogChange } from '../storage/state-file.js'
import type { CheckpointPolicy, Checkpointed, StateTxn } from './state-service.js'
import type { LogKind } from './execution-host.js'

/** Messages between the coordinator and the state thread (src/txn/state-thread.ts). */
export interface StateThreadInit {
  readonly file: string
  readonly sync: SyncMode
  readonly storageBytesMax?: number
  readonly resultBytesMax?: number
  readonly crashAt?: CrashAt
  readonly runtimes: RuntimeModules
  readonly policy: CheckpointPolicy
  /** The `checkpoint-first-image` mutant: a checkpoint keeps the first image of a row, not the last. */
  readonly firstImageWins?: boolean
  /** OpenOptions.checkpointAtClose (default true). */
  readonly checkpointAtClose?: boolean
}

export type StateThreadRequest =
  | { readonly op: 'apply'; readonly batch: number; readonly nextTxnId: number; readonly txnCount: number; readonly timeMs: number; readonly writes: Uint8Array; readonly change?: CatalogChange }
  | { readonly op: 'load'; readonly id: number }
  | { readonly op: 'run'; readonly id: number; readonly txn: StateTxn; readonly timeMs: number }
  | { readonly op: 'digest'; readonly id: number }
  | { readonly op: 'scan'; readonly id: number; readonly table: string }
  | { readonly op: 'checkpoint'; readonly id: number }
  | { readonly op: 'close'; readonly id: number }

export type StateThreadReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }
  | { readonly event: 'ready' }
  | { readonly event: 'checkpointed'; readonly checkpoint: Checkpointed }
  | { readonly event: 'log'; readonly fn: string; readonly message: string; readonly kind?: LogKind }
  | { readonly event: 'fatal'; readonly message: string }
