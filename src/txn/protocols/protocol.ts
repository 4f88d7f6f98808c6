import type { Execution, SequencedTxn } from '../types.js'
import type { WalkResult, WalkTask } from '../walk.js'

/** What a protocol may ask of the threads that execute transactions. */
export interface BatchExecutor {
  /**
   * Phase 1: every transaction runs alone on the batch snapshot, in parallel; results in input order.
   * An execution marked `stale` read a row of the previous batch before its commit was visible: use its
   * footprint, never its result (walks re-execute it).
   */
  runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]>
  /** Fallback walks: each task on one thread, tasks in parallel; results in task order. */
  runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]>
  /**
   * What the protocol remembers from one batch to the next under `key`, made by `make` at first use and
   * kept for this engine's life. It may decide how a batch is executed, never what it yields (a replay
   * starts without it and must give the same). Absent where nothing is kept: a protocol does without.
   */
  memory?<T>(key: string, make: () => T): T
}

export interface BatchRun {
  /** The final execution of every transaction of the batch, in id order. */
  readonly executions: readonly Execution[]
  /** Transactions that executed again after phase 1 (the fallback path). */
  readonly fallbackTxns: number
  /** Walk rounds (each lock miss that merges components costs a round). */
  readonly walkRounds: number
  /** Executions that strayed outside their component and made it merge or grow. */
  readonly lockMisses: number
  /** The batch ran as one serial walk (after at most a sample of its phase 1): it, or the batches before it, were contended. */
  readonly contended?: boolean
}

/**
 * A deterministic concurrency-control protocol. Contract: the final executions must equal executing
 * the batch one transaction at a time in id order, starting from the batch snapshot — so every
 * protocol yields the same results and state for the same batches. Research variants implement this
 * interface in one file and register in src/txn/protocols/index.ts.
 */
export interface Protocol {
  readonly name: string
  runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun>
}
