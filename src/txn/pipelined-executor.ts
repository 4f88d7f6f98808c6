import type { RowKey } from '../schema/keys.js'
import type { CatalogData } from '../schema/catalog.js'
import type { RowWrite } from '../schema/rows.js'
import type { TablesChanged } from './worker-protocol.js'
import type { EncodedBatch } from './batch-codec.js'
import type { EngineExecutor } from './executor.js'
import type { BatchExecutor } from './protocols/protocol.js'
import type { Execution, SequencedTxn } from './types.js'
import type { WalkResult, WalkTask } from './walk.js'

/**
 * Lets a batch's phase 1 run while the previous batch waits for its release (its log entry to be
 * durable, its writes to reach the executors). Phase 1 of batch N+1 then reads a state that may lag one
 * batch, so every phase-1 execution that touched a row batch N wrote is marked `stale` (a protocol
 * sends it to the fallback walk, which re-executes it); walks start only after batch N is released.
 */
export class PipelinedExecutor implements BatchExecutor {
  /** Rows the previous batch wrote, while its release may not be visible yet. */
  private pending: ReadonlySet<RowKey> | null = null
  private committed: Promise<boolean> = Promise.resolve(true)
  private settleCommitted: ((ok: boolean) => void) | null = null

  constructor(private readonly inner: EngineExecutor) {}

  /** Starts a batch; `previousWrites` are the rows of the batch whose release is still under way. */
  beginBatch(previousWrites: ReadonlySet<RowKey> | null, batch: EncodedBatch | null): void {
    this.inner.setBatch(batch)
    this.pending = previousWrites
    this.settleCommitted = null
    if (previousWrites === null) this.committed = Promise.resolve(true)
    else this.committed = new Promise((resolve) => { this.settleCommitted = resolve })
  }

  /** The previous batch was released (`ok`), or failed and none of its writes will ever be visible. */
  previousReleased(ok: boolean): void {
    this.settleCommitted?.(ok)
    this.settleCommitted = null
  }

  private async afterCommit(): Promise<boolean> {
    if (this.pending === null) return true
    const ok = await this.committed
    this.pending = null
    return ok
  }

  async runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]> {
    const pending = this.pending
    const first = await this.inner.runOnSnapshot(txns)
    if (pending === null) return first
    first.forEach((e, i) => {
      if (e.accessed.some((rk) => pending.has(rk))) {
        first[i] = { ...e, stale: true }
        this.staleExecutions++
      }
    })
    return first
  }

  async runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    await this.afterCommit()
    return this.inner.runWalks(tasks)
  }

  /** Phase-1 executions marked stale because the snapshot lagged (a cost of pipelining; for stats). */
  staleExecutions = 0

  setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>, changed: TablesChanged | null): Promise<void> {
    return this.inner.setCatalog(data, modules, changed)
  }

  release(batch: number, writes: readonly RowWrite[], encoded: Uint8Array): void {
    this.inner.release(batch, writes, encoded)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
