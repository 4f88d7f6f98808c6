import Database from 'better-sqlite3'
import { AcheronError, invariant, type CommitPosition } from '../errors.js'
import { stateDigest } from '../storage/digest.js'
import type { PartitionStore } from '../storage/partition-store.js'
import type { Row } from '../values.js'
import { Catalog, type RuntimeKind } from '../schema/catalog.js'
import { runCoordinatorTxn } from './coordinator-txns.js'
import { applyDdl, type DdlEffect } from './ddl.js'
import { ExecutionHost, type LogFn } from './execution-host.js'
import { InlineExecutor, type EngineExecutor } from './executor.js'
import { PipelinedExecutor } from './pipelined-executor.js'
import { loadRuntimes, type FunctionRuntime, type RuntimeModules } from '../schema/function-runtime.js'
import type { BatchRun, Protocol } from './protocols/protocol.js'
import { Sequencer, type Sequenced, type SequencerLimits } from './sequencer.js'
import type { RowWrite } from '../schema/rows.js'
import { isDdl, isExclusive, type CatalogReadTxn, type DataTxn, type DdlTxn, type ExclusiveMultiTxn, type ScanTxn, type SelectTxn, type SequencedTxn, type TxnInput, type TxnOutcome } from './types.js'
import { WorkerPool } from './worker-pool.js'
import { ACK_BEFORE_DURABLE_DELAY_MS, type EngineFaults } from './faults.js'

export interface EngineOptions extends SequencerLimits {
  readonly store: PartitionStore
  /** Execution threads; 0 runs on the coordinator's thread (required by stores without a ReaderSpec). */
  readonly workers: number
  readonly protocol: Protocol
  readonly defaultPartitions: number
  readonly runtimes: RuntimeModules
  readonly log: LogFn
  /** Deliberate bugs for the research harness; absent in normal use. */
  readonly faults?: EngineFaults
}

/** A data batch executed and waiting for its commit. */
interface ExecutedBatch {
  readonly batch: readonly Sequenced[]
  readonly run: BatchRun
  /** Final images of the committed transactions' writes, in id order. */
  readonly writes: RowWrite[]
  readonly executeMs: number
}

/** What each transaction of an executed batch replies, at its position in batch `number`. */
function outcomesAt(number: number, run: BatchRun): TxnOutcome[] {
  return run.executions.map((x, seq): TxnOutcome => {
    const commit = { batch: number, seq }
    return x.failure !== null ? { ok: false, failure: x.failure, commit } : { ok: true, result: x.result ?? { rowsAffected: 0 }, commit }
  })
}

function lastId(batch: readonly Sequenced[]): number {
  return (batch[batch.length - 1] as Sequenced).id
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
  /** Phase-1 executions that read a row of the batch still committing (pipelining); the fallback re-runs them. */
  staleExecutions: number
  lastBatchTxns: number
  /** Milliseconds spent executing batches (protocol + workers) and committing them (storage). */
  executeMs: number
  commitMs: number
}

/**
 * The coordinator: takes batches from the sequencer in order, has the protocol execute them, commits
 * each batch's writes atomically and durably, and only then replies. Batch N+1 may execute while batch
 * N commits; PipelinedExecutor makes that exact, so every batch acts on exactly the state of the
 * batches before it. Exclusive transactions (DDL, SELECT) run alone, after the previous commit.
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
  private ownHost: ExecutionHost | null = null
  private ownHostModules = -1
  readonly stats: EngineStats = { batches: 0, txns: 0, committed: 0, rolledBack: 0, fallbackTxns: 0, walkRounds: 0, lockMisses: 0, staleExecutions: 0, lastBatchTxns: 0, executeMs: 0, commitMs: 0 }
  /** Called after each batch is durable, before its replies are released. */
  onBatch: ((record: BatchRecord) => void) | null = null

  private constructor(
    private readonly opts: EngineOptions,
    private readonly runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>,
    private readonly executor: PipelinedExecutor,
  ) {
    const state = opts.store.load()
    this.catalog = new Catalog(state.catalog)
    this.modules = new Map(state.modules)
    this.lastBatch = opts.faults?.recoverOneBatchBack === true ? Math.max(0, state.lastBatch - 1) : state.lastBatch
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
    const engine = new Engine(opts, runtimes, new PipelinedExecutor(executor))
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
    if (this.sequencer.takeable(true)) {
      if (!this.pumpQueued) {
        this.pumpQueued = true
        // setImmediate, not a microtask: batches that never leave this thread (SELECT scans, DDL, the
        // inline executor) would otherwise chain through microtasks and starve timers and I/O while a
        // caller keeps awaiting queries in a loop.
        setImmediate(() => { this.pumpQueued = false; void this.pump() })
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
    let executed: ExecutedBatch | null = null
    try {
      // Here no batch is executing (one may be waiting for its commit): whatever arrived meanwhile is the
      // next batch now, up to the size bound — it overlaps the commit instead of waiting for the interval.
      for (let batch = this.sequencer.takeBatch(true); batch !== null; batch = this.sequencer.takeBatch(true)) {
        const first = batch[0] as Sequenced
        if (isExclusive(first.input)) {
          if (executed !== null) this.commitExecuted(executed)
          executed = null
          if (isDdl(first.input)) this.runDdlBatch(first, first.input)
          else this.runCoordinatorBatch(first, first.input)
        } else {
          executed = await this.executeDataBatch(batch, executed)
        }
      }
      // Nothing else is ready: commit now rather than wait for a next batch to overlap with.
      if (executed !== null) {
        // The fault's write-behind: the replies are out; the commit comes when the flusher gets to it.
        if (this.opts.faults?.ackBeforeDurable === true) await new Promise((resolve) => setTimeout(resolve, ACK_BEFORE_DURABLE_DELAY_MS))
        this.commitExecuted(executed)
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

  /**
   * Executes a data batch while the previous one commits: the batch's phase 1 is posted to the workers
   * before the (synchronous) commit starts; PipelinedExecutor marks whatever read a row the previous
   * batch wrote as stale, and the fallback executes it again after the commit, so the result equals
   * executing after the commit. If that commit fails, the speculative execution is thrown away and the
   * batch runs again on the state without it.
   */
  private async executeDataBatch(batch: readonly Sequenced[], previous: ExecutedBatch | null): Promise<ExecutedBatch | null> {
    const txns: SequencedTxn[] = batch.map((s) => ({ id: s.id, input: s.input as DataTxn }))
    const start = (pending: ExecutedBatch | null): Promise<BatchRun> => {
      try {
        this.executor.beginBatch(pending === null ? null : new Set(pending.writes.map((w) => w.rowKey)))
        const p = this.opts.protocol.runBatch(txns, this.executor)
        p.catch(() => {}) // observed below, after the previous batch's commit
        return p
      } catch (err) {
        return Promise.reject(err)
      }
    }
    let started = performance.now()
    let execution = start(previous)
    const previousOk = previous === null || this.commitExecuted(previous)
    this.executor.previousCommitted(previousOk)
    if (!previousOk) {
      await execution.catch(() => {})
      started = performance.now()
      execution = start(null)
    }
    try {
      const run = await execution
      invariant(run.executions.length === txns.length, 'one final execution per transaction')
      const writes: RowWrite[] = []
      run.executions.forEach((e, i) => {
        invariant(e.id === (txns[i] as SequencedTxn).id, 'executions in id order')
        invariant(e.lockMiss === null, 'no final execution is a lock miss')
        if (e.failure === null) for (const w of e.writes) writes.push(w)
      })
      if (this.opts.faults?.ackBeforeDurable === true) this.acknowledgeEarly(batch, run)
      return { batch, run, writes, executeMs: performance.now() - started }
    } catch (err) {
      this.failBatch(batch, err)
      return null
    }
  }

  /** The `ackBeforeDurable` fault: replies go out now, at the position the commit will use, before it is durable. */
  private acknowledgeEarly(batch: readonly Sequenced[], run: BatchRun): void {
    outcomesAt(this.lastBatch + 1, run).forEach((o, seq) => (batch[seq] as Sequenced).resolve(o))
  }

  /** Makes an executed batch durable, then releases its replies. False if the commit failed. */
  private commitExecuted(e: ExecutedBatch): boolean {
    const number = this.lastBatch + 1
    const started = performance.now()
    try {
      this.opts.store.commitBatch({ batch: number, nextTxnId: lastId(e.batch) + 1, writes: e.writes })
    } catch (err) {
      this.failBatch(e.batch, err)
      return false
    }
    this.stats.executeMs += e.executeMs
    this.stats.commitMs += performance.now() - started
    this.stats.fallbackTxns += e.run.fallbackTxns
    this.stats.walkRounds += e.run.walkRounds
    this.stats.lockMisses += e.run.lockMisses
    this.stats.staleExecutions = this.executor.staleExecutions
    this.committed(number, e.batch, outcomesAt(number, e.run))
    return true
  }

  private committed(number: number, batch: readonly Sequenced[], outcomes: readonly TxnOutcome[]): void {
    this.lastBatch = number
    this.stats.batches++
    this.stats.txns += batch.length
    this.stats.lastBatchTxns = batch.length
    for (const o of outcomes) o.ok ? this.stats.committed++ : this.stats.rolledBack++
    this.onBatch?.({ batch: number, txns: batch.map((s) => ({ id: s.id, input: s.input })), outcomes })
    batch.forEach((s, i) => s.resolve(outcomes[i] as TxnOutcome))
  }

  /**
   * A batch that did not commit (a storage failure such as a full disk, or an engine fault): nothing of
   * it is visible, its number is not used, and each of its transactions fails, retryably.
   */
  private failBatch(batch: readonly Sequenced[], err: unknown): void {
    const message = err instanceof Error ? err.message : String(err)
    this.opts.log('engine', `a batch of ${batch.length} failed and was not committed: ${err instanceof Error ? err.stack : message}`)
    for (const s of batch) s.resolve({ ok: false, failure: { code: 'INTERNAL', message: `batch not committed: ${message}` } })
  }

  /**
   * A query, an UPDATE/DELETE over all partitions or a catalog read runs alone at a batch boundary, on
   * the coordinator, over exactly the committed state: it sees every transaction ordered before it and
   * none after. Its position (and any writes) are made durable like any batch's, so that no two
   * transactions ever share a position.
   */
  /** Executes on the coordinator's thread the transactions that run alone and call functions. */
  private coordinatorHost(): ExecutionHost {
    this.ownHost ??= new ExecutionHost(this.opts.store.reader(), this.runtimes, this.opts.log)
    if (this.ownHost.catalogVersion !== this.catalog.version || this.ownHostModules !== this.modules.size) {
      this.ownHost.setCatalog(this.catalog.data, [...this.modules])
      this.ownHostModules = this.modules.size
    }
    return this.ownHost
  }

  private runCoordinatorBatch(s: Sequenced, txn: SelectTxn | ScanTxn | CatalogReadTxn | ExclusiveMultiTxn): void {
    const number = this.lastBatch + 1
    const commit: CommitPosition = { batch: number, seq: 0 }
    let outcome: TxnOutcome
    try {
      let writes: readonly RowWrite[] = []
      try {
        const run = runCoordinatorTxn(this.catalog, this.opts.store, () => this.coordinatorHost(), txn)
        outcome = { ok: true, result: run.result, commit }
        writes = run.writes
      } catch (err) {
        if (err instanceof AcheronError) {
          const failure = { code: err.code, message: err.message, ...(err.statement === undefined ? {} : { step: err.statement }) }
          outcome = { ok: false, failure, commit }
        }
        // SQLite's own refusals of a query (an integer overflow in SUM, say) are the query's failure.
        else if (err instanceof Database.SqliteError) outcome = { ok: false, failure: { code: 'CONSTRAINT', message: `query failed: ${err.message}` }, commit }
        else throw err
      }
      this.opts.store.commitBatch({ batch: number, nextTxnId: s.id + 1, writes })
    } catch (err) {
      return this.failBatch([s], err)
    }
    this.committed(number, [s], [outcome])
  }

  private runDdlBatch(s: Sequenced, ddl: DdlTxn): void {
    const number = this.lastBatch + 1
    const commit: CommitPosition = { batch: number, seq: 0 }
    let outcome: TxnOutcome
    try {
      let effect: DdlEffect
      try {
        effect = applyDdl({ catalog: this.catalog, modules: this.modules, runtimes: this.runtimes, defaultPartitions: this.opts.defaultPartitions }, ddl)
      } catch (err) {
        if (!(err instanceof AcheronError)) throw err
        // A refused DDL changes nothing, but it was sequenced: it still takes its place in the order.
        this.opts.store.commitBatch({ batch: number, nextTxnId: s.id + 1, writes: [] })
        return this.committed(number, [s], [{ ok: false, failure: { code: err.code, message: err.message }, commit }])
      }
      this.opts.store.commitBatch({ batch: number, nextTxnId: s.id + 1, writes: [], ...effect })
      if (effect.catalog !== undefined) this.catalog = new Catalog(effect.catalog)
      for (const [hash, bytes] of effect.addedModules ?? []) this.modules.set(hash, bytes)
      void this.executor.setCatalog(this.catalog.data, this.modules)
      outcome = { ok: true, result: { rowsAffected: 0 }, commit }
    } catch (err) {
      return this.failBatch([s], err)
    }
    this.committed(number, [s], [outcome])
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
    this.ownHost?.close()
    this.opts.store.close()
  }
}
