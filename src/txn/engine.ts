import { AcheronError, invariant, type CommitPosition } from '../errors.js'
import { stateDigest } from '../storage/digest.js'
import type { PartitionStore } from '../storage/partition-store.js'
import { Catalog, type RuntimeKind } from './catalog.js'
import { applyDdl, type DdlEffect } from './ddl.js'
import { ExecutionHost, type LogFn } from './execution-host.js'
import { InlineExecutor, type EngineExecutor } from './executor.js'
import { loadRuntimes, type FunctionRuntime, type RuntimeModules } from './function-runtime.js'
import type { Protocol } from './protocols/protocol.js'
import { Sequencer, type Sequenced, type SequencerLimits } from './sequencer.js'
import { isDdl, type DataTxn, type Execution, type RowWrite, type SequencedTxn, type TxnInput, type TxnOutcome } from './types.js'
import { WorkerPool } from './worker-pool.js'
import type { Row } from '../values.js'

export interface EngineOptions extends SequencerLimits {
  readonly store: PartitionStore
  /** Execution threads; 0 runs on the coordinator's thread (required by stores without a ReaderSpec). */
  readonly workers: number
  readonly protocol: Protocol
  readonly defaultPartitions: number
  readonly runtimes: RuntimeModules
  readonly log: LogFn
}

/** Everything the engine decided about one batch, for research hooks and tests. */
export interface BatchRecord {
  readonly batch: number
  readonly txns: readonly { readonly id: number; readonly input: TxnInput }[]
  readonly outcomes: readonly TxnOutcome[]
}

export interface EngineStats {
  batches: number
  txns: number
  committed: number
  rolledBack: number
  fallbackTxns: number
  walkRounds: number
  lockMisses: number
  lastBatchTxns: number
}

/**
 * The coordinator: takes batches from the sequencer one at a time, has the protocol execute them,
 * commits each batch's writes atomically and durably, and only then replies. Batches never overlap,
 * so every batch reads exactly the state of the batches before it.
 */
export class Engine {
  private catalog: Catalog
  private modules: Map<string, Uint8Array>
  private lastBatch: number
  private readonly sequencer: Sequencer
  private running = false
  private pumpQueued = false
  private timer: NodeJS.Timeout | null = null
  private idleWaiters: (() => void)[] = []
  private closed = false
  readonly stats: EngineStats = { batches: 0, txns: 0, committed: 0, rolledBack: 0, fallbackTxns: 0, walkRounds: 0, lockMisses: 0, lastBatchTxns: 0 }
  /** Called after each batch is durable, before its replies are released. */
  onBatch: ((record: BatchRecord) => void) | null = null

  private constructor(
    private readonly opts: EngineOptions,
    private readonly runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>,
    private readonly executor: EngineExecutor,
  ) {
    const state = opts.store.load()
    this.catalog = new Catalog(state.catalog)
    this.modules = new Map(state.modules)
    this.lastBatch = state.lastBatch
    this.sequencer = new Sequencer(opts, state.nextTxnId, () => performance.now())
  }

  static async start(opts: EngineOptions): Promise<Engine> {
    invariant(Number.isInteger(opts.workers) && opts.workers >= 0, 'workers is a non-negative integer')
    const runtimes = await loadRuntimes(opts.runtimes)
    const spec = opts.store.readerSpec()
    let executor: EngineExecutor
    if (opts.workers === 0) executor = new InlineExecutor(new ExecutionHost(opts.store.reader(), runtimes, opts.log))
    else if (spec === null) throw new Error('this store lives in one thread: use workers: 0')
    else executor = WorkerPool.create(opts.workers, spec, opts.runtimes, opts.log)
    const engine = new Engine(opts, runtimes, executor)
    await executor.setCatalog(engine.catalog.data, engine.modules)
    return engine
  }

  get currentCatalog(): Catalog {
    return this.catalog
  }

  get lastCommittedBatch(): number {
    return this.lastBatch
  }

  /** Sequences a transaction; resolves once its batch is durable (or it failed before running). */
  submit(input: TxnInput): Promise<TxnOutcome> {
    const p = this.sequencer.submit(input)
    this.schedule()
    return p
  }

  /** Closes every pending transaction into batches now, instead of waiting for the interval. */
  flush(): void {
    this.sequencer.flush()
    this.schedule()
  }

  /** Resolves when nothing is pending or executing. */
  idle(): Promise<void> {
    if (!this.running && this.sequencer.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Every committed row of a table, all partitions, in key order; call it when idle. */
  scanTable(name: string): Row[] {
    return this.opts.store.scanTable(this.catalog.table(name))
  }

  /** Hash of the whole committed state; call it when idle. */
  digest(): string {
    return stateDigest(this.catalog, this.opts.store)
  }

  /** Starts the pump when a batch is ready, or a timer for when the open batch falls due. Cheap per submit. */
  private schedule(): void {
    if (this.running) return
    if (this.sequencer.takeable()) {
      if (!this.pumpQueued) {
        this.pumpQueued = true
        queueMicrotask(() => { this.pumpQueued = false; void this.pump() })
      }
      return
    }
    // A set timer is for the current or an earlier head, so it fires no later than needed.
    if (this.timer !== null) return
    const due = this.sequencer.msUntilDue()
    if (due === null || !Number.isFinite(due)) return
    this.timer = setTimeout(() => { this.timer = null; this.schedule() }, due)
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (let batch = this.sequencer.takeBatch(); batch !== null; batch = this.sequencer.takeBatch()) {
        await this.runBatch(batch)
      }
    } finally {
      this.running = false
    }
    if (this.sequencer.pending === 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
    } else this.schedule()
  }

  private async runBatch(batch: readonly Sequenced[]): Promise<void> {
    const number = this.lastBatch + 1
    const first = batch[0] as Sequenced
    let outcomes: TxnOutcome[]
    try {
      if (isDdl(first.input)) outcomes = this.runDdlBatch(number, first, first.input)
      else outcomes = await this.runDataBatch(number, batch)
    } catch (err) {
      // The batch did not commit (a storage failure such as a full disk, or an engine fault): nothing
      // of it is visible, its number is not used, and each of its transactions fails retryably.
      const message = err instanceof Error ? err.message : String(err)
      this.opts.log('engine', `batch ${number} failed and was not committed: ${err instanceof Error ? err.stack : message}`)
      for (const s of batch) s.resolve({ ok: false, failure: { code: 'INTERNAL', message: `batch not committed: ${message}` } })
      return
    }
    this.lastBatch = number
    this.stats.batches++
    this.stats.txns += batch.length
    this.stats.lastBatchTxns = batch.length
    for (const o of outcomes) o.ok ? this.stats.committed++ : this.stats.rolledBack++
    this.onBatch?.({ batch: number, txns: batch.map((s) => ({ id: s.id, input: s.input })), outcomes })
    batch.forEach((s, i) => s.resolve(outcomes[i] as TxnOutcome))
  }

  private runDdlBatch(number: number, s: Sequenced, ddl: Parameters<typeof applyDdl>[1]): TxnOutcome[] {
    const commit: CommitPosition = { batch: number, seq: 0 }
    let effect: DdlEffect
    try {
      effect = applyDdl({ catalog: this.catalog, modules: this.modules, runtimes: this.runtimes, defaultPartitions: this.opts.defaultPartitions }, ddl)
    } catch (err) {
      if (!(err instanceof AcheronError)) throw err
      // A refused DDL changes nothing, but it was sequenced: it still takes its place in the order.
      this.opts.store.commitBatch({ batch: number, nextTxnId: this.sequencer.nextTxnId, writes: [] })
      return [{ ok: false, failure: { code: err.code, message: err.message }, commit }]
    }
    this.opts.store.commitBatch({ batch: number, nextTxnId: this.sequencer.nextTxnId, writes: [], ...effect })
    if (effect.catalog !== undefined) this.catalog = new Catalog(effect.catalog)
    for (const [hash, bytes] of effect.addedModules ?? []) this.modules.set(hash, bytes)
    void this.executor.setCatalog(this.catalog.data, this.modules)
    return [{ ok: true, result: { rowsAffected: 0 }, commit }]
  }

  private async runDataBatch(number: number, batch: readonly Sequenced[]): Promise<TxnOutcome[]> {
    const txns: SequencedTxn[] = batch.map((s) => ({ id: s.id, input: s.input as DataTxn }))
    const run = await this.opts.protocol.runBatch(txns, this.executor)
    invariant(run.executions.length === txns.length, 'one final execution per transaction')
    const writes: RowWrite[] = []
    const outcomes = run.executions.map((e: Execution, seq): TxnOutcome => {
      invariant(e.id === (txns[seq] as SequencedTxn).id, 'executions in id order')
      invariant(e.lockMiss === null, 'no final execution is a lock miss')
      const commit = { batch: number, seq }
      if (e.failure !== null) return { ok: false, failure: e.failure, commit }
      for (const w of e.writes) writes.push(w)
      return { ok: true, result: e.result ?? { rowsAffected: 0 }, commit }
    })
    this.opts.store.commitBatch({ batch: number, nextTxnId: this.sequencer.nextTxnId, writes })
    this.stats.fallbackTxns += run.fallbackTxns
    this.stats.walkRounds += run.walkRounds
    this.stats.lockMisses += run.lockMisses
    return outcomes
  }

  /**
   * Stops accepting transactions, runs and makes durable everything already accepted, then stops
   * the workers. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.sequencer.close('the engine is shutting down')
    this.schedule()
    await this.idle()
    if (this.timer !== null) clearTimeout(this.timer)
    await this.executor.close()
    this.opts.store.close()
  }
}
