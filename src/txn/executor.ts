import type { CatalogData } from '../schema/catalog.js'
import { modulesToSend } from '../schema/function-runtime.js'
import type { RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import type { Row } from '../values.js'
import type { OverlayReader } from '../storage/overlay.js'
import type { EncodedBatch } from './batch-codec.js'
import type { ExecutionHost } from './execution-host.js'
import type { BatchExecutor } from './protocols/protocol.js'
import type { Execution, SequencedTxn } from './types.js'
import type { WalkResult, WalkTask } from './walk.js'
import type { TablesChanged } from './worker-protocol.js'

/** A module's compiled form by hash, as the coordinator's runtimes hold it (undefined: none). */
export type PreparedFormOf = (hash: string) => unknown

/** A BatchExecutor that the engine also keeps up to date with the catalog and the released batches. */
export interface EngineExecutor extends BatchExecutor {
  /**
   * Makes `data` (and these modules) the catalog of the next operations; `changed` names the tables a DDL
   * batch replaced; `preparedForm` gives a module's compiled form where the coordinator's runtime has one,
   * for the executing threads to adopt instead of compiling it again.
   */
  setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>, changed: TablesChanged | null, preparedForm?: PreparedFormOf): Promise<void>
  /** A released batch's writes (and their shared binary form): every operation after this reads them. */
  release(batch: number, writes: readonly RowWrite[], encoded: Uint8Array): void
  /** Phase 1 and walks of a batch's transactions, the batch given in its shared binary form (by index). */
  runOnSnapshotOf(batch: EncodedBatch | null, txns: readonly SequencedTxn[]): Promise<Execution[]>
  runWalksOf(batch: EncodedBatch | null, tasks: readonly WalkTask[]): Promise<WalkResult[]>
  /**
   * Walks on the released state with `ahead` laid over it: the last image of each row written by the
   * batches that executed but are not released yet. Only an executor whose state lives on the
   * coordinator's thread has it (the inline one): workers would need those images shipped, and wait for
   * the release instead.
   */
  runWalksAhead?(tasks: readonly WalkTask[], ahead: ReadonlyMap<RowKey, Row | null>): Promise<WalkResult[]>
  /**
   * Whether the wall-clock bound on one transaction (TXN_WALL_MS_MAX) is enforced. Off while the log is
   * replayed at open: a batch that was acknowledged must be executed again however long it takes, since
   * voiding it then would publish a different history.
   */
  enforceWallClock(on: boolean): void
  close(): Promise<void>
}

/** Executes on the coordinator's own thread (`workers: 0`; the default on two cores or fewer, and memory mode). */
export class InlineExecutor implements EngineExecutor {
  private readonly sent = new Set<string>()

  constructor(private readonly host: ExecutionHost, private readonly overlay: OverlayReader) {}

  async setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>, changed: TablesChanged | null): Promise<void> {
    if (changed !== null) this.overlay.tablesChanged(changed.batch, changed.tables)
    const fresh = modulesToSend(this.sent, modules)
    this.host.setCatalog(data, fresh)
  }

  release(batch: number, writes: readonly RowWrite[]): void {
    this.overlay.applyReleased(batch, writes)
  }

  enforceWallClock(on: boolean): void {
    this.host.enforceWallClock(on)
  }

  async runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]> {
    return this.host.runOnSnapshot(txns)
  }

  async runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    return this.host.runWalks(tasks)
  }

  runOnSnapshotOf(_batch: EncodedBatch | null, txns: readonly SequencedTxn[]): Promise<Execution[]> {
    return this.runOnSnapshot(txns)
  }

  runWalksOf(_batch: EncodedBatch | null, tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    return this.runWalks(tasks)
  }

  async runWalksAhead(tasks: readonly WalkTask[], ahead: ReadonlyMap<RowKey, Row | null>): Promise<WalkResult[]> {
    return this.host.runWalks(tasks, ahead)
  }

  async close(): Promise<void> {
    this.host.close()
  }
}
