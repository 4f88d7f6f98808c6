import type { RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import type { Row } from '../values.js'
import type { EncodedBatch } from './batch-codec.js'
import type { EngineExecutor } from './executor.js'
import type { BatchExecutor } from './protocols/protocol.js'
import type { BatchShare } from './shared-phase1.js'
import type { Execution, SequencedTxn } from './types.js'
import type { WalkResult, WalkTask } from './walk.js'

/** What a batch's executor must wait for: the batches before it that were not yet released when it started. */
export interface Unreleased {
  /** Their row writes, batch by batch in order, once they have executed (empty for one that failed). */
  readonly images: Promise<readonly (readonly RowWrite[])[]>
  /** Settles once the last of them is released (or failed): their writes are in every executor then. */
  readonly released: Promise<unknown>
}

/** A batch's executor, and when its phase 1 is done (so that the next batch may start). */
export interface BatchContext extends BatchExecutor {
  readonly phase1: Promise<void>
  /**
   * True once a walk of this batch read the writes of batches not released yet: the batch may be
   * released only after all of them were (the engine checks; a log failure fails them all anyway).
   */
  readonly readAhead: () => boolean
  /**
   * Called when the protocol's runBatch settled: later calls of runOnSnapshot or runWalks reject, and the
   * calls still running are counted. A protocol that resolved with such a call in flight broke its
   * contract (its results cannot include what that call does, which may read a later batch's state).
   */
  readonly runBatchSettled: () => { stillRunning: number }
}

/** A BatchExecutor method called after its batch's runBatch settled. */
export class CalledAfterBatchError extends Error {}

/**
 * Lets a batch start while the batches before it still run their fallback walks or wait for their
 * release (their log entries to be durable, their writes to reach the executors). Its phase 1 then
 * reads a state that may lack those batches, so every phase-1 execution that touched a row they wrote
 * is marked `stale` (a protocol sends it to the fallback walk, which re-executes it); its walks start
 * only after they are released. Under contention this keeps the second core busy with the next
 * batch's phase 1 while one worker walks a large conflict component.
 *
 * Where the executor keeps its state on this thread (`runWalksAhead`: no workers), walks do not wait
 * for those releases either: they start once the batches before have executed, reading those batches'
 * writes laid over the released state. The wait for a log write then overlaps the next batch's whole
 * execution, not just its phase 1 (with the `serial` protocol, everything of it).
 */
export class PipelinedExecutor {
  /** Phase-1 executions marked stale because the state lagged (a cost of pipelining; for stats). */
  staleExecutions = 0
  /** What the protocol remembers from batch to batch (BatchExecutor.memory), for this engine's life. */
  private readonly protocolMemory = new Map<string, unknown>()

  /** `aheadWithoutImages`: the harness's fault — walks run ahead on the released state alone. */
  constructor(readonly inner: EngineExecutor, private readonly aheadWithoutImages = false) {}

  /** `share`: the batch's phase 1 shared with followers (src/txn/shared-phase1.ts), or null. */
  forBatch(batch: EncodedBatch | null, before: Unreleased | null, share: BatchShare | null = null): BatchContext {
    let markPhase1!: () => void
    const phase1 = new Promise<void>((resolve) => { markPhase1 = resolve })
    let readAhead = false
    // Made from `before.images` once per batch, when first needed (a walk runs again after a lock miss).
    let written: Promise<ReadonlySet<RowKey>> | undefined
    let imagesAhead: Promise<ReadonlyMap<RowKey, Row | null>> | undefined
    const remembered = this.protocolMemory
    // The protocol's calls of runOnSnapshot and runWalks still running, and whether its runBatch settled.
    let running = 0
    let settled = false
    const tracked = <A, R>(name: string, call: (arg: A) => Promise<R>) => async (arg: A): Promise<R> => {
      if (settled) throw new CalledAfterBatchError(`${name} was called after its batch's runBatch settled`)
      running++
      try {
        return await call(arg)
      } finally {
        running--
      }
    }
    return {
      phase1,
      readAhead: () => readAhead,
      runBatchSettled: () => {
        settled = true
        return { stillRunning: running }
      },
      memory<T>(key: string, make: () => T): T {
        if (!remembered.has(key)) remembered.set(key, make())
        return remembered.get(key) as T
      },
      runOnSnapshot: tracked('runOnSnapshot', async (txns: readonly SequencedTxn[]): Promise<Execution[]> => {
        let first: Execution[]
        try {
          first = share === null
            ? await this.inner.runOnSnapshotOf(batch, txns)
            : await share.run(txns, (here) => this.inner.runOnSnapshotOf(batch, here), markPhase1)
        } finally {
          markPhase1()
        }
        if (before === null) return first
        written ??= before.images.then(rowKeysWritten)
        const pending = await written
        if (pending.size === 0) return first
        first.forEach((e, i) => {
          if (e.accessed.some((rk) => pending.has(rk))) {
            first[i] = { ...e, stale: true }
            this.staleExecutions++
          }
        })
        return first
      }),
      runWalks: tracked('runWalks', async (tasks: readonly WalkTask[]): Promise<WalkResult[]> => {
        // A protocol without a phase 1 (serial) is done with it here.
        markPhase1()
        if (before === null) return this.inner.runWalksOf(batch, tasks)
        if (this.inner.runWalksAhead === undefined) {
          await before.released
          return this.inner.runWalksOf(batch, tasks)
        }
        imagesAhead ??= before.images.then(lastImages)
        const images = await imagesAhead
        if (images.size > 0) readAhead = true
        return this.inner.runWalksAhead(tasks, this.aheadWithoutImages ? new Map() : images)
      }),
    }
  }
}

function rowKeysWritten(batches: readonly (readonly RowWrite[])[]): ReadonlySet<RowKey> {
  const keys = new Set<RowKey>()
  for (const writes of batches) for (const w of writes) keys.add(w.rowKey)
  return keys
}

/** The last image of every row the batches wrote (they are in batch order). */
function lastImages(batches: readonly (readonly RowWrite[])[]): ReadonlyMap<RowKey, Row | null> {
  const images = new Map<RowKey, Row | null>()
  for (const writes of batches) for (const w of writes) images.set(w.rowKey, w.row)
  return images
}
