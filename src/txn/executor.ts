import type { CatalogData } from '../schema/catalog.js'
import type { ExecutionHost } from './execution-host.js'
import type { BatchExecutor } from './protocols/protocol.js'
import type { Execution, SequencedTxn } from './types.js'
import type { WalkResult, WalkTask } from './walk.js'

/** A BatchExecutor that the engine also keeps up to date with the catalog. */
export interface EngineExecutor extends BatchExecutor {
  /** Makes `data` (and these new modules) the catalog of the next operations. */
  setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>): Promise<void>
  close(): Promise<void>
}

/** Executes on the coordinator's own thread (`workers: 0`): for the in-memory store and debugging. */
export class InlineExecutor implements EngineExecutor {
  private readonly sent = new Set<string>()

  constructor(private readonly host: ExecutionHost) {}

  async setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const fresh = [...modules].filter(([h]) => !this.sent.has(h))
    for (const [h] of fresh) this.sent.add(h)
    this.host.setCatalog(data, fresh)
  }

  async runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]> {
    return this.host.runOnSnapshot(txns)
  }

  async runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    return this.host.runWalks(tasks)
  }

  async close(): Promise<void> {
    this.host.close()
  }
}
