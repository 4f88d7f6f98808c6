import { createHash } from 'node:crypto'
import { encodeRowWrites } from '../codec/row-writes.js'
import { AcheronError, invariant, type CommitPosition, type ErrorCode } from '../errors.js'
import { LogAppendError, type BatchLog, type LogEntry, type PeerAnswer } from '../log/batch-log.js'
import { Catalog, type RuntimeKind } from '../schema/catalog.js'
import { loadRuntimes, type FunctionRuntime, type RuntimeModules } from '../schema/function-runtime.js'
import type { RowWrite } from '../schema/rows.js'
import { OverlayReader } from '../storage/overlay.js'
import { checkpointDamageLine } from '../storage/damage.js'
import type { CatalogChange, StoredState } from '../storage/state-file.js'
import type { Row } from '../values.js'
import { adoptedExecutions } from './adopted.js'
import { batchTimeOf, decodeBatch, encodeBatch, type CallOrigin, type EncodedBatch } from './batch-codec.js'
import { BatchClock, type WallClockMs } from './batch-time.js'
import { applyDdl, type DdlEffect } from './ddl.js'
import { readCatalog } from './exclusive-txns.js'
import { executionsToBytes } from './execution-codec.js'
import { ExecutionHost, type LogFn } from './execution-host.js'
import { failureOf } from './failure.js'
import { FunctionLog } from './function-log.js'
import { InlineExecutor, type EngineExecutor } from './executor.js'
import { ACK_BEFORE_DURABLE_DELAY_MS, type EngineFaults } from './faults.js'
import { PipelinedExecutor } from './pipelined-executor.js'
import { RateLimitedLog } from './rate-limited-log.js'
import { Phase1Sharing, type BatchShare } from './shared-phase1.js'
import { checkSubmittedInput } from './submit-checks.js'
import type { BatchRun, Protocol } from './protocols/protocol.js'
import { runnableProtocol } from './protocols/plugin-guard.js'
import { inputBytes, Sequencer, type Replan, type Sequenced, type SequencerLimits } from './sequencer.js'
import type { StateStore } from './state-store.js'
import { ReadPositionBook } from './read-positions.js'
import { BatchWaiters } from './batch-waiters.js'
import type { Checkpointed, StateTxn } from './state-service.js'
import {
  carriesModule, isCatalogRead, isDdl, isExclusive, isReadOnly, type DataTxn, type DdlTxn, type Execution, type ExplainCommitTxn, type ModuleDdl, type ReadTxn, type SequencedTxn, type TxnFailure, type TxnInput, type TxnOutcome, type TxnResult,
} from './types.js'
import { TXN_WALL_MS_MAX, WorkerPool } from './worker-pool.js'

/** The calls a node forwarded to the writer, answered from the batches it applies (Engine.settleOwnCalls). */
export interface OwnForwardedCalls {
  /** Their origins' inbox (CallOrigin.inbox). */
  readonly inbox: string
  /** The call with this id (CallOrigin.id) had this outcome, at its batch's release on this node. */
  settled(id: number, outcome: TxnOutcome): void
}

export interface EngineOptions extends SequencerLimits {
  /** The batch log: the engine's durable input. */
  readonly batchLog: BatchLog
  /** Follow the log's writer instead of sequencing (BatchLog.follow): a replica that takes no requests. */
  readonly follow?: boolean
  /** The checkpointed state (a thread for a data directory, in-process for memory mode). */
  readonly store: StateStore
  /** Execution threads; 0 runs on the coordinator's thread. */
  readonly workers: number
  readonly protocol: Protocol
  readonly defaultPartitions: number
  readonly runtimes: RuntimeModules
  /** The runtimes of `runtimes`, if the caller loaded them already (memory mode shares them with its state store). */
  readonly loadedRuntimes?: ReadonlyMap<RuntimeKind, FunctionRuntime>
  readonly log: LogFn
  /** Observes every batch from the start, the batches replayed at recovery included. */
  readonly onBatch?: ((record: BatchRecord) => void) | null
  /** Row writes released but in no checkpoint yet beyond which no batch is taken until a checkpoint. */
  readonly dirtyWritesMax: number
  /** Bytes of inputs waiting (not yet taken into a batch, or reads not yet answered) beyond which OVERLOADED. */
  readonly pendingBytesMax: number
  /** Deliberate bugs for the research harness; absent in normal use. */
  readonly faults?: EngineFaults
  /** A follower waits this long before applying each batch (a lag for research; OpenOptions.natsLog.followDelayMs). */
  readonly followDelayMs?: number
  /**
   * Wall-clock bound on one transaction (TXN_WALL_MS_MAX by default): a worker's watchdog terminates it
   * (worker-pool.ts); inline, the WebAssembly runtime checks it at every fuel slice (fuel-slice.ts).
   */
  readonly txnWallMsMax?: number
  /**
   * EXPLAIN COMMIT: re-runs the transaction logged at a released position on the state before it and
   * answers with its trace (src/inspect/commit-trace.ts); rejects with AcheronError when it cannot.
   * Absent: the database keeps no log to re-run from.
   */
  readonly traceCommitted?: (at: CommitPosition) => Promise<TxnResult>
  /** The wall clock batches are stamped with (src/txn/batch-time.ts); Date.now when absent. */
  readonly wallClockMs?: WallClockMs
}

/** Everything the engine decided about one batch, for research hooks and tests. */
export interface BatchRecord {
  readonly batch: number
  readonly txns: readonly { readonly id: number; readonly input: TxnInput }[]
  readonly outcomes: readonly TxnOutcome[]
  /** True for a batch re-executed from the log at recovery. */
  readonly replayed: boolean
  /** The state digest right after this batch: call it inside the listener (the answer comes later). */
  readonly digest: () => Promise<string>
}

export interface EngineStats {
  batches: number
  /** Every transaction that ran: in batches, and reads answered at a position. */
  txns: number
  /** Transactions inside numbered (logged) batches. */
  batchedTxns: number
  committed: number
  rolledBack: number
  /** `rolledBack` by failure code (bounded by ERROR_CODES); the values sum to `rolledBack`. */
  rolledBackByCode: Partial<Record<ErrorCode, number>>
  fallbackTxns: number
  walkRounds: number
  lockMisses: number
  /** Phase-1 executions that read a row of the batch still being released (pipelining); the fallback re-runs them. */
  staleExecutions: number
  /** Batches whose walks ran before the batches ahead of them were released, on those batches' writes (no workers). */
  walksAhead: number
  /** Batches a protocol walked serially (after at most a sample of its phase 1) because they, or the batches before, were contended. */
  contendedBatches: number
  /** A follower's batches (and their transactions) applied from the writer's executions instead of executed again. */
  adoptedBatches: number
  adoptedTxns: number
  /**
   * Phase 1 shared with followers (src/txn/shared-phase1.ts). A writer: executions its followers made and
   * it used (`sharedPhase1Txns`), used as reconnaissance only (`…Stale`), or ran itself for want of an
   * answer (`…Missed`). A follower: transactions it executed for the writer (`servedPhase1Txns`).
   */
  sharedPhase1Txns: number
  sharedPhase1Stale: number
  sharedPhase1Missed: number
  servedPhase1Txns: number
  lastBatchTxns: number
  /** Milliseconds spent executing batches (protocol + workers) and waiting for the log after execution. */
  executeMs: number
  commitMs: number
  /** Read-only queries answered at a position, outside any batch. */
  reads: number
  /** Batches that failed whole (environment or log failures): no position, nothing visible. */
  failedBatches: number
  /** Checkpoints taken, the last batch the durable one holds, and what they cost on the state thread. */
  checkpoints: number
  checkpointBatch: number
  checkpointMs: number
  /** Row writes released since the last durable checkpoint (bounded by dirtyWritesMax), and how often that bound held batches back. */
  dirtyWrites: number
  backpressureWaits: number
  /** Recovery: batches and transactions replayed from the log at open, and how long it took. */
  replayedBatches: number
  replayedTxns: number
  replayMs: number
}

interface DirtyBatch {
  readonly batch: number
  readonly writes: number
}

/**
 * Data batches that may execute at once: one walking its fallback (or waiting for its log entry) while
 * the next runs its phase 1 — on two cores, the second keeps busy while one worker walks a large
 * conflict component.
 */
const INFLIGHT_MAX = 2
/**
 * A batch's log entry is written off the engine's thread, overlapping the batch's execution, when its
 * transactions take at least LOG_OVERLAP_TXN_US each (a running mean) and the batch at least
 * LOG_OVERLAP_BATCH_US in all; otherwise on the thread, before it executes. Measured (docs/benchmarks.md,
 * "The log write overlaps expensive batches"): TPC-C's transactions take 120–150 µs and gained from
 * overlapping; YCSB-T's and SmallBank's take 13–24 µs, gained nothing measurable, and keep the direct write
 * measured before (a blocked thread gathers larger batches); a batch shorter than a durable write (~250 µs
 * here) is answered sooner written directly (at one client, the hand-off to libuv's pool is most of the
 * difference). Timing only: which way an entry is written never changes what commits.
 */
export const LOG_OVERLAP_TXN_US = 50
export const LOG_OVERLAP_BATCH_US = 500

/** A data batch started and not yet released. */
interface InFlight {
  /** Its writes with their images, once it has executed (empty if it failed). */
  readonly images: Promise<readonly RowWrite[]>
  /** Its phase 1 is done (the next batch may start). */
  readonly phase1: Promise<void>
  /** Released (true) or failed (false); batches are released in order. */
  readonly released: Promise<boolean>
}

/** A batch on its way: executed (or failed), waiting for its log entry before its release. */
interface Executed {
  readonly number: number
  readonly batch: readonly Sequenced[]
  readonly durable: Promise<void>
  /** Final outcomes by seq, or the failure of the whole batch. */
  readonly outcomes: readonly TxnOutcome[] | null
  readonly failure: unknown
  /** Final images of the committed transactions' writes, in id order. */
  readonly writes: readonly RowWrite[]
  readonly change?: CatalogChange & { readonly modules: ReadonlyMap<string, Uint8Array>; readonly changedTables: readonly string[] }
  readonly run?: BatchRun
  readonly executeMs: number
  readonly replayed: boolean
  /** The batches in flight before it, when its walks read their unreleased writes (PipelinedExecutor). */
  readonly readAheadOf?: readonly InFlight[]
}

/**
 * The number of a batch holding nothing but reads of single keys. It writes nothing, so it is not
 * logged and takes no batch number: its transactions are positioned like queries, after the last
 * released batch (and a full disk does not stop them).
 */
const READS_ONLY = -1

/** Shares of the writer's phase 1 a follower runs at once; it declines more (src/txn/shared-phase1.ts). */
export const SHARES_RUNNING_MAX = 2

function isPointRead(t: TxnInput): boolean {
  return t.kind === 'get' || t.kind === 'select-key' || (t.kind === 'multi' && t.steps.every(isPointRead))
}

/** What a protocol's runBatch gave instead of a BatchRun, in a few words. */
function notABatchRun(run: unknown): string {
  if (typeof run !== 'object' || run === null) return String(run)
  return `an object without an \`executions\` array (keys: ${Object.keys(run).join(', ') || 'none'})`
}

/**
 * What breaks the BatchRun contract (one final execution per transaction, in id order, none a lock
 * miss), said in the protocol's terms, or null. A research protocol that broke it failed the batch with
 * "acheron invariant violated: executions in id order": an engine bug, by its words, naming no
 * transaction and not the protocol.
 */
export function wrongBatchRun(txns: readonly SequencedTxn[], executions: readonly Execution[]): string | null {
  const rule = 'one final execution per transaction, in id order'
  if (executions.length !== txns.length) return `runBatch gave ${executions.length} execution${executions.length === 1 ? '' : 's'} for a batch of ${txns.length} transaction${txns.length === 1 ? '' : 's'} (${rule})`
  for (let seq = 0; seq < txns.length; seq++) {
    const e = executions[seq] as Execution | undefined
    const id = (txns[seq] as SequencedTxn).id
    if (typeof e !== 'object' || e === null) return `execution ${seq} is ${String(e)}, not an Execution of transaction id ${id} (${rule})`
    if (e.id !== id) return `execution ${seq} is of transaction id ${String(e.id)}, where transaction id ${id} is (${rule}; the batch's ids are ${txns[0]?.id} to ${txns[txns.length - 1]?.id})`
    if (e.lockMiss !== null) return `the final execution of transaction id ${id} (execution ${seq}) is a lock miss: it read or wrote a row outside the rows its walk held, so it must be walked again`
  }
  return null
}

/** A BatchRun counter as the engine's statistics add it: a count, else nothing. */
function statCount(n: unknown): number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0
}

function ignoreOutcome(): void {}

/** The batch's call origins, one per transaction (undefined: none forwarded in it). */
function originsOf(batch: readonly Sequenced[]): (CallOrigin | undefined)[] | undefined {
  for (const s of batch) if (s.origin !== undefined) return batch.map((t) => t.origin)
  return undefined
}

function lastId(batch: readonly Sequenced[]): number {
  return (batch[batch.length - 1] as Sequenced).id
}

/** A failed batch's reply: retryable, no position. */
function batchFailure(code: ErrorCode, message: string): TxnOutcome {
  return { ok: false, failure: { code, message, retryable: true } }
}

/**
 * The coordinator. Batches come from the sequencer (or, at recovery, from the log) in order. Each is
 * appended to the batch log as it is taken, and executed at once — logging overlaps execution. A batch
 * is released once its entry is durable and it has executed: its writes go to the executors (the next
 * batch reads them) and to the state store (which checkpoints them later), then its replies go out.
 * Batch N+1's phase 1 may run while batch N waits for its release; PipelinedExecutor makes that exact.
 *
 * DDL runs on the coordinator, between batches. Scans that write (UPDATE/DELETE over all partitions)
 * run on the state thread, which holds the whole state. Read-only queries never enter a batch: they read
 * at the position after the last released batch and write nothing to the log.
 */
/**
 * A follower's state holds fewer batches than the stream still has before its first message (the writer
 * purged them behind its checkpoints): it cannot go on from its own state, only from the writer's snapshot.
 */
export class FollowerBehindError extends Error {
  override readonly name = 'FollowerBehindError'
}

/**
 * A node opened to write a stream holds fewer batches than the stream has before its first message (they
 * were purged behind the checkpoints of the nodes that wrote them): it can only follow, from the writer's
 * snapshot. A `--failover` node that took the writer lease gives it up and does that (src/cli/main.ts).
 */
export class WriterBehindStreamError extends Error {
  override readonly name = 'WriterBehindStreamError'
}

export class Engine {
  private catalog: Catalog
  private readonly modules: Map<string, Uint8Array>
  /** The last released batch, and the positions of the reads after it. */
  private readonly reads: ReadPositionBook
  /** Callers of atBatch waiting for their batch to be applied here. */
  private readonly batchWaiters = new BatchWaiters()
  private nextBatch: number
  private readonly sequencer: Sequencer
  /** Stamps each batch with its time as it is taken (src/txn/batch-time.ts). */
  private batchClock: BatchClock
  private running = false
  private pumpQueued = false
  private timer: NodeJS.Timeout | null = null
  private idleWaiters: (() => void)[] = []
  private closed = false
  /** Set when the log refused an append: nothing more is appended until every batch in flight has failed. */
  private logFailed: LogAppendError | null = null
  /** Released batches whose writes no checkpoint holds yet, oldest first, and their total. */
  private readonly dirty: DirtyBatch[] = []
  private dirtyWrites = 0
  private backpressured = false
  /** Set while checkpoints fail for want of space (the last one failed so): why. */
  private checkpointFull: string | null = null
  /**
   * Set once a read or a checkpoint met a damaged page of the checkpoint file (its message): from then
   * on no log segment is dropped, so that acheron verify --repair can still rebuild the file from a
   * trace base and the log. Before, checkpoints that did not touch the damaged page went on cutting the
   * log (and a trace-base copy that failed on the damage held none back), and the rebuild's batches went.
   */
  private checkpointDamage: string | null = null

  private noteDamage(message: string): void {
    const line = checkpointDamageLine(message)
    if (this.checkpointDamage !== null || line === null) return
    this.checkpointDamage = line
    this.opts.log('engine', `the checkpoint file is damaged: no log segment is dropped from now on, so that acheron verify --repair can rebuild it from the log (${line})`, 'error')
  }
  /** Data batches started and not yet released, oldest first; releases chain through `releaseTail`. */
  private readonly inflight: InFlight[] = []
  private releaseTail: Promise<void> = Promise.resolve()
  /** The `ackBeforeDurable` fault's entries, written a while after their batch is released. */
  private readonly lazyEntries = new Map<number, LogEntry>()
  /**
   * inputBytes of what was submitted and is not in the sequencer: reads not yet answered, CREATE FUNCTIONs
   * being prepared (bounded with the sequencer's by pendingBytesMax).
   */
  private readBytes = 0
  /** Set when the engine cannot go on safely (its state thread died, a void could not be logged). */
  private stopped: Error | null = null
  /** Running mean (1/8 weight to each batch) of a batch's execution time per transaction, in µs. */
  private executeUsPerTxn = 0
  /** Lines about batches that failed whole (a full disk refuses every batch): a few, not one per batch. */
  private readonly refusedLog: RateLimitedLog
  /** Functions' log() lines, written to the server log as outcomes are released (src/txn/function-log.ts). */
  private readonly functionLog: FunctionLog
  private readonly voidedLog: RateLimitedLog
  readonly stats: EngineStats = {
    batches: 0, txns: 0, batchedTxns: 0, committed: 0, rolledBack: 0, rolledBackByCode: {}, fallbackTxns: 0, walkRounds: 0, lockMisses: 0, staleExecutions: 0, walksAhead: 0, contendedBatches: 0, adoptedBatches: 0, adoptedTxns: 0,
    sharedPhase1Txns: 0, sharedPhase1Stale: 0, sharedPhase1Missed: 0, servedPhase1Txns: 0,
    lastBatchTxns: 0, executeMs: 0, commitMs: 0, reads: 0, failedBatches: 0, checkpoints: 0, checkpointBatch: 0, checkpointMs: 0,
    replayedBatches: 0, replayedTxns: 0, replayMs: 0, dirtyWrites: 0, backpressureWaits: 0,
  }
  onBatch: ((record: BatchRecord) => void) | null
  /** A replicated log's writer shares phase 1 with its followers, a follower executes its shares (null: no such log). */
  private readonly sharing: Phase1Sharing | null
  /** opts.protocol as it runs: a research protocol is checked to pass on only the executions it is given. */
  private readonly protocol: Protocol

  private constructor(
    private readonly opts: EngineOptions,
    private readonly runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>,
    private readonly executor: PipelinedExecutor,
    state: StoredState,
  ) {
    this.protocol = runnableProtocol(opts.protocol)
    this.catalog = new Catalog(state.catalog)
    this.modules = new Map(state.modules)
    this.reads = new ReadPositionBook(state.lastBatch, state.lastBatchTxns)
    this.nextBatch = state.lastBatch + 1
    this.stats.checkpointBatch = state.lastBatch
    this.sequencer = new Sequencer(opts, state.nextTxnId, () => performance.now())
    this.batchClock = new BatchClock(opts.wallClockMs)
    this.batchClock.observe(state.lastBatchTimeMs)
    this.onBatch = opts.onBatch ?? null
    this.refusedLog = new RateLimitedLog((m) => opts.log('engine', m, 'error'))
    this.functionLog = new FunctionLog(opts.log)
    this.voidedLog = new RateLimitedLog((m) => opts.log('engine', m, 'error'))
    const transport = opts.batchLog.phase1
    this.sharing = transport === undefined ? null : new Phase1Sharing(transport, state.lastBatch, opts.faults?.sharedPhase1IgnoresPosition === true)
  }

  /** Opens the state, replays the log after its checkpoint through this same engine, then serves. */
  static async start(opts: EngineOptions): Promise<Engine> {
    invariant(Number.isInteger(opts.workers) && opts.workers >= 0, 'workers is a non-negative integer')
    const [runtimes, state] = await Promise.all([opts.loadedRuntimes ?? loadRuntimes(opts.runtimes), opts.store.load()])
    let executor: EngineExecutor
    const readerFaults = {
      ...(opts.faults?.repartitionReadsCatalogLayout === true ? { catalogLayout: true } : {}),
      ...(opts.faults?.addColumnReadsCatalogColumns === true ? { catalogColumns: true } : {}),
      ...(opts.faults?.renameReadsCatalogKey === true ? { catalogKeyName: true } : {}),
    }
    if (opts.workers === 0) {
      const overlay = new OverlayReader(opts.store.localReader(readerFaults))
      executor = new InlineExecutor(new ExecutionHost(overlay, runtimes, undefined, opts.txnWallMsMax ?? TXN_WALL_MS_MAX, opts.faults?.keepNegativeZero === true), overlay)
    } else {
      const file = opts.store.readerFile
      if (file === null) throw new Error('this store lives in one thread: use workers: 0')
      executor = new WorkerPool(opts.workers, { readerFile: file, runtimes: opts.runtimes, readerFaults }, opts.log, () => opts.store.checkpoint(), opts.txnWallMsMax)
    }
    const engine = new Engine(opts, runtimes, new PipelinedExecutor(executor, opts.faults?.walksAheadWithoutImages === true), state)
    await engine.prepareCatalogModules()
    await executor.setCatalog(engine.catalog.data, engine.modules, null, (h) => engine.preparedForm(h))
    opts.store.onCheckpoint = (c) => engine.checkpointed(c)
    opts.store.onFailure = (err) => engine.stop(err)
    try {
      executor.enforceWallClock(false)
      await engine.replay(state)
      if (opts.faults?.openForgetsBatchTime === true) engine.batchClock = new BatchClock(opts.wallClockMs)
      executor.enforceWallClock(true)
      // After replay: a directory that cannot write the stream (behind its purge) refuses above, without
      // cutting off the writer that can.
      if (opts.follow !== true && opts.faults?.writerSkipsStartFence !== true) await opts.batchLog.fenceForWriting?.()
    } catch (err) {
      await engine.shutdown()
      throw err
    }
    if (opts.follow === true) {
      engine.followMode = true
      engine.followed = engine.follow().catch((err: unknown) => engine.stop(err))
    } else engine.announceRecovered()
    return engine
  }

  /** A follower's loop (Engine.follow), until its log closes or it takes over. */
  private followed: Promise<void> = Promise.resolve()
  /** True while following: no requests are taken. */
  private followMode = false
  /** The transaction id after the last batch a follower applied. */
  private followNextTxnId = 0

  /** A checkpoint was taken: the log before it may go, and the images it holds no longer count as dirty. */
  private checkpointed(c: Checkpointed): void {
    if (c.failed !== undefined) {
      this.noteDamage(c.failed.message)
      this.checkpointFull = c.failed.full ? c.failed.message : null
      // Held back by the bound: fail what waits (STORAGE_FULL) instead of letting it queue.
      if (this.checkpointFull !== null && this.backpressured) this.schedule()
      return
    }
    this.checkpointFull = null
    this.stats.checkpoints++
    this.stats.checkpointMs += c.ms
    if (!c.durable) return
    this.stats.checkpointBatch = c.batch
    if (this.checkpointDamage === null) this.opts.batchLog.checkpointed(c.batch).catch((err: unknown) => this.opts.log('engine', `dropping log segments failed: ${String(err)}`, 'warn'))
    while (this.dirty.length > 0 && (this.dirty[0] as DirtyBatch).batch <= c.batch) this.dirtyWrites -= (this.dirty.shift() as DirtyBatch).writes
    this.stats.dirtyWrites = this.dirtyWrites
    if (this.dirtyWrites <= this.opts.dirtyWritesMax) this.schedule()
  }

  get currentCatalog(): Catalog {
    return this.catalog
  }

  /** The last batch released (durable, executed, replied). */
  /** The last batch released (its replies sent, or applied on a follower). */
  private get lastReleased(): number {
    return this.reads.lastReleased
  }

  get lastCommittedBatch(): number {
    return this.lastReleased
  }

  /** Why the engine stopped (it answers every request with INTERNAL since), or null while it runs. */
  get stoppedBy(): Error | null {
    return this.stopped
  }

  // ---- recovery ---------------------------------------------------------------------------------

  /**
   * Re-executes every logged batch after the checkpoint, in order, through the same path as live
   * batches (execution, release), minus the append. Voided batches are skipped; batch numbers must
   * follow each other from the checkpoint on, or the log is missing something and recovery stops.
   */
  private async replay(state: StoredState): Promise<void> {
    const started = performance.now()
    const voided = new Set<number>()
    let lastLogged = 0
    const from = state.lastBatch + (this.opts.faults?.replayFromWrongPosition === true ? 2 : 1)
    let expected = from
    // First the whole log's shape, before anything runs: a gap refuses the open with nothing replayed.
    for (const e of this.opts.batchLog.entries()) {
      if (e.kind === 'void') voided.add(e.batch)
      else this.batchClock.observe(batchTimeOf(e.body))
      lastLogged = Math.max(lastLogged, e.batch)
      if (e.kind !== 'batch' || e.batch < from) continue
      if (e.batch !== expected && this.opts.batchLog.replicatedAs !== undefined && e.batch > expected) {
        throw new WriterBehindStreamError(`this data directory is behind ${this.opts.batchLog.replicatedAs}, refusing to write it: its checkpoint (acheron.db) holds batches up to ${state.lastBatch}, and the stream's first batch is ${e.batch} (batches ${expected} to ${e.batch - 1} were purged behind the checkpoints of the nodes that wrote it). Start first a node whose directory holds batch ${e.batch - 1} or later, so that it writes; then move this directory away and start this node following (--follow, --failover or --cluster), to start from the writer's snapshot`)
      }
      if (e.batch !== expected) {
        throw new Error(`the data directory is damaged, refusing to start: the checkpoint (acheron.db) holds batches up to ${state.lastBatch}, but the batch log (log/) holds batch ${e.batch} where batch ${expected} was due: batches ${expected} to ${e.batch - 1} are in neither (log segments were deleted, or the checkpoint lost part of its write-ahead log acheron.db-wal). Run acheron verify --data DIR; restore the directory from a backup`)
      }
      expected++
    }
    // An operator restarting after a crash sees why the server is not listening yet, and for how long it was not.
    if (expected > from) this.opts.log('engine', `recovering: replaying batches ${from} to ${expected - 1} from the log (the checkpoint holds batches up to ${state.lastBatch})`)
    let nextTxnId = state.nextTxnId
    for (const e of this.opts.batchLog.entries()) {
      if (e.kind !== 'batch' || e.batch < from) continue
      nextTxnId = await this.replayBatch(e, voided.has(e.batch))
    }
    await this.drain()
    if (this.stopped !== null) throw this.stopped
    this.nextBatch = Math.max(lastLogged, this.lastReleased) + (this.opts.faults?.recoverOneBatchBack === true ? 0 : 1)
    this.sequencer.resumeAt(Math.max(nextTxnId, this.sequencer.nextTxnId))
    this.stats.replayMs = performance.now() - started
    if (expected > from) this.opts.log('engine', `recovered: replayed ${this.stats.replayedBatches} batches (${this.stats.replayedTxns} transactions) in ${Math.round(this.stats.replayMs)} ms`)
  }

  /**
   * Executes one logged batch through the live path (minus the append) unless it was voided; answers
   * the transaction id after it.
   */
  private async replayBatch(e: Extract<LogEntry, { kind: 'batch' }>, voided: boolean, executions?: Uint8Array): Promise<number> {
    const decoded = decodeBatch(e.body)
    const nextTxnId = decoded.firstTxnId + decoded.inputs.length
    const timeMs = this.opts.faults?.replayReadsClock === true ? this.batchClock.readTime() : decoded.timeMs
    this.batchClock.observe(timeMs)
    if (voided || decoded.inputs.length === 0) return nextTxnId
    const batch: Sequenced[] = decoded.inputs.map((input, i) => ({
      id: decoded.firstTxnId + i, input: this.fromLogForm(input), plan: null, resolve: ignoreOutcome, arrivedAt: 0,
    }))
    // The calls this node forwarded are answered from its own application of the batch, too.
    const own = this.ownCalls
    if (own !== null) {
      for (const { index, origin } of decoded.origins) {
        if (origin.inbox !== own.inbox && this.opts.faults?.ownCallsIgnoreInbox !== true) continue
        const id = origin.id
        batch[index] = { ...(batch[index] as Sequenced), resolve: (o) => own.settled(id, o) }
      }
    }
    this.stats.replayedTxns += batch.length
    this.stats.replayedBatches++
    // One shared copy of the body for the executors (the log's buffer is not shared memory).
    const shared = new Uint8Array(new SharedArrayBuffer(e.body.length))
    shared.set(e.body)
    const encoded: EncodedBatch = { body: shared, offsets: decoded.offsets, firstTxnId: decoded.firstTxnId, timeMs }
    await this.process(e.batch, batch, Promise.resolve(), true, encoded, executions)
    return nextTxnId
  }

  /**
   * A follower: applies every batch its log's writer released, as they come (JetStreamBatchLog.follow),
   * through the same path as recovery; it sequences nothing itself. Resolves when the log closes.
   */
  private async follow(): Promise<void> {
    const follow = this.opts.batchLog.follow
    if (follow === undefined) throw new Error('this batch log has no writer to follow')
    this.executor.inner.enforceWallClock(false)
    const stopServing = this.opts.batchLog.phase1?.servePhase1((number, body, indexes) => this.runShare(number, body, indexes))
    try {
      await this.followLog(follow)
    } finally {
      stopServing?.()
    }
  }

  private async followLog(follow: NonNullable<BatchLog['follow']>): Promise<void> {
    await follow.call(this.opts.batchLog, async (e, executions, purged) => {
      // A log that lost its first entries can continue only a state that holds every batch before them.
      // (A batch voided right where the purge cut makes this refuse a follower that could go on: rare, and safe.)
      if (purged !== null && e.batch > this.lastReleased + 1) {
        throw new FollowerBehindError(`this follower cannot rebuild its state from ${purged}: its own data directory holds batches up to ${this.lastReleased}, and batch ${e.batch} is the first there. A --follow, --failover or --cluster node replaces its state with the writer's snapshot and follows on; opened by hand, open it again (it asks for the snapshot), or keep more batches in the stream`)
      }
      // What the checkpoint holds already is not applied again. Numbers may skip a batch the writer
      // voided (the log leaves those out), as they skip it at recovery.
      if (e.batch <= this.lastReleased || this.stopped !== null) return
      const delay = this.opts.followDelayMs ?? 0
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
      this.followNextTxnId = await this.replayBatch(e, false, executions)
      await this.drain()
    })
  }

  /**
   * A follower executes its share of the writer's batch `number` on its own state, which holds every
   * batch up to the position it reports (the writer marks stale what touched a row written after it:
   * src/txn/shared-phase1.ts). Null (declined) once it no longer follows, or if execution failed here.
   */
  private async runShare(number: number, body: Uint8Array, indexes: readonly number[]): Promise<PeerAnswer | null> {
    if (!this.followMode || this.stopped !== null || number <= this.lastReleased) return null
    // A follower too slow for the writer's pace declines rather than queue work the writer stopped waiting for.
    if (this.sharesRunning >= SHARES_RUNNING_MAX) return null
    const position = this.lastReleased
    this.sharesRunning++
    try {
      const decoded = decodeBatch(body)
      const txns = indexes.map((i): SequencedTxn => {
        const input = decoded.inputs[i]
        if (input === undefined || isExclusive(input) || isDdl(input)) throw new Error(`transaction ${i} of batch ${number} is not a data transaction`)
        return { id: decoded.firstTxnId + i, input: input as DataTxn, timeMs: decoded.timeMs }
      })
      const execs = await this.executor.inner.runOnSnapshotOf(null, txns)
      this.stats.servedPhase1Txns += execs.length
      return { position, executions: executionsToBytes(execs) }
    } catch {
      // The writer runs this share itself: nothing here decides an outcome.
      return null
    } finally {
      this.sharesRunning--
    }
  }

  private sharesRunning = 0

  private countShared(): void {
    const s = this.sharing?.stats
    if (s === undefined) return
    this.stats.sharedPhase1Txns = s.sharedTxns
    this.stats.sharedPhase1Stale = s.sharedStale
    this.stats.sharedPhase1Missed = s.sharedMissed
  }

  /**
   * For a follower: resolves when its loop ended, true when it stopped because its state fell behind the
   * stream's purge (a FollowerBehindError: only the writer's snapshot lets it go on), false otherwise.
   */
  async followEnded(): Promise<boolean> {
    await this.followed
    return this.stopped instanceof FollowerBehindError
  }

  /** Resolves (with why) once the batch log refuses every append for good (BatchLog.refusingForGood); never for a log that cannot. */
  logRefusingForGood(): Promise<string> {
    return this.opts.batchLog.refusingForGood?.() ?? new Promise<string>(() => {})
  }

  private ownCalls: OwnForwardedCalls | null = null
  /** A call with an origin was submitted: batches are searched for origins from then on (not on one node). */
  private takesForwardedCalls = false

  /**
   * The calls this node forwards carry `calls.inbox` as their origin; a batch applied here (following, or
   * taking over) gives each of them its outcome through `calls.settled` (null: no longer).
   */
  settleOwnCalls(calls: OwnForwardedCalls | null): void {
    this.ownCalls = calls
  }

  /** True for a follower: it answers no requests (they go to the writer). */
  get following(): boolean {
    return this.followMode
  }

  /**
   * A follower becomes the writer (it holds the writer lease): its log reads the stream to the end and
   * applies what the old writer logged and did not void; then this engine sequences, as after a restart.
   */
  async promote(): Promise<void> {
    if (!this.followMode) return
    const takeOver = this.opts.batchLog.takeOver
    if (takeOver === undefined) throw new Error('this batch log cannot be taken over')
    // A follower whose loop ended (it stopped: its state cannot go on from the stream) has nobody left to
    // finish the takeover: waiting for it kept the writer lease held forever, and no node wrote.
    await Promise.race([takeOver.call(this.opts.batchLog), this.followed])
    await this.followed
    await this.drain()
    if (this.stopped !== null) throw this.stopped
    this.nextBatch = Math.max(this.lastReleased, this.opts.batchLog.lastBatch) + 1
    this.sequencer.resumeAt(Math.max(this.followNextTxnId, this.sequencer.nextTxnId))
    this.executor.inner.enforceWallClock(true)
    this.followMode = false
    this.announceRecovered()
  }

  /**
   * A writer that recovered (opened, or took over) announces the batches the replay committed: followers
   * apply only what a writer announced, and before, one behind it (stopped before the writer, as acheron
   * cluster stops them) waited for the next batch, and so did every read through it.
   */
  private announceRecovered(): void {
    if (this.lastReleased > 0) this.opts.batchLog.released?.(this.lastReleased)
  }

  // ---- submission -------------------------------------------------------------------------------

  /** Sequences a transaction; resolves once it is released (or failed before running). Reads take a position at once. */
  submit(input: TxnInput, plan: Replan | null = null, origin?: CallOrigin): Promise<TxnOutcome> {
    if (this.stopped !== null) return Promise.reject(new AcheronError('INTERNAL', `the engine stopped: ${this.stopped.message}`))
    if (this.followMode) return Promise.reject(new AcheronError('FORBIDDEN', 'this node follows the batch log of another: it takes no requests (send them to the writer)'))
    try {
      checkSubmittedInput(input)
    } catch (err) {
      return Promise.reject(err)
    }
    // The bytes of what waits are bounded: a flood of large inputs is refused, retryably, instead of
    // holding them all in memory. One input alone is always accepted (the server bounds its size).
    const bytes = inputBytes(input)
    const waiting = this.sequencer.pendingBytes + this.readBytes
    if (waiting > 0 && waiting + bytes > this.opts.pendingBytesMax) {
      return Promise.reject(new AcheronError('OVERLOADED', `inputs of ${waiting} bytes wait already (pendingBytesMax ${this.opts.pendingBytesMax}); retry later`, { retryable: true }))
    }
    if (isReadOnly(input)) {
      this.readBytes += bytes
      return this.read(input).finally(() => { this.readBytes -= bytes })
    }
    const preparing = carriesModule(input) ? this.prepareModule(input) : null
    if (preparing !== null) {
      this.readBytes += bytes
      return preparing.finally(() => { this.readBytes -= bytes }).then(() => this.sequence(input, plan, bytes))
    }
    if (origin !== undefined) this.takesForwardedCalls = true
    return this.sequence(input, plan, bytes, origin)
  }

  private sequence(input: TxnInput, plan: Replan | null, bytes: number, origin?: CallOrigin): Promise<TxnOutcome> {
    if (this.stopped !== null) return Promise.reject(new AcheronError('INTERNAL', `the engine stopped: ${this.stopped.message}`))
    const p = this.sequencer.submit(input, plan, bytes, origin)
    this.schedule()
    return p
  }

  /**
   * A CREATE FUNCTION's module is checked, instrumented and compiled before it is sequenced, on the
   * runtime's preparation thread, never on this one: the DDL then finds it in the runtime's cache at its
   * position, and the execution threads adopt the compiled form (WorkerPool). The verdict depends on the
   * bytes alone, so preparing early decides nothing a replay would decide differently. A request waiting
   * here has no position yet: one sent after it may be sequenced before it (only a reply orders requests,
   * CONTRACT.md §5). Null when there is nothing to prepare: then it is sequenced at once.
   */
  private prepareModule(input: ModuleDdl): Promise<void> | null {
    const runtime = this.runtimes.get(input.runtime)
    if (runtime?.prepareOffThread === undefined || input.body.length === 0) return null
    const hash = createHash('sha256').update(input.body).digest('hex')
    // Prepared already (registered before): sequenced at once, in the order it was sent.
    if (runtime.preparedForm?.(hash) !== undefined) return null
    return runtime.prepareOffThread({ hash, bytes: input.body }).catch((err: unknown) => {
      throw new AcheronError('INTERNAL', `${input.kind === 'create-function' ? `CREATE FUNCTION ${input.name}` : `CREATE FUNCTIONS ${input.table}.(${input.functions.map((f) => f.name).join(', ')})`} was not run: ${err instanceof Error ? err.message : String(err)}`)
    })
  }

  /**
   * Prepares the catalog's modules on the preparation thread before the executors receive the catalog, so
   * that at open neither this thread nor an execution thread prepares one itself (nor loads binaryen): they
   * adopt these. A preparation that could not be done is left to the runtime's own fallback (the same
   * verdict, prepared when first needed).
   */
  private async prepareCatalogModules(): Promise<void> {
    const work = new Map<string, Promise<void>>()
    for (const fn of this.catalog.data.functions) {
      const runtime = this.runtimes.get(fn.runtime)
      const bytes = this.modules.get(fn.moduleHash)
      if (runtime?.prepareOffThread === undefined || bytes === undefined || work.has(fn.moduleHash)) continue
      work.set(fn.moduleHash, runtime.prepareOffThread({ hash: fn.moduleHash, bytes }).catch((err: unknown) => {
        this.opts.log('engine', `preparing module ${fn.moduleHash.slice(0, 12)} at open failed (it is prepared when first called): ${err instanceof Error ? err.message : String(err)}`, 'warn')
      }))
    }
    await Promise.all(work.values())
  }

  /** The compiled form of a module, as this thread's runtimes hold it, for the execution threads to adopt. */
  private preparedForm(hash: string): unknown {
    for (const runtime of this.runtimes.values()) {
      const form = runtime.preparedForm?.(hash)
      if (form !== undefined) return form
    }
    return undefined
  }

  /**
   * A read-only query at the position after the last released batch: it sees every transaction whose
   * reply went out before it arrived, reads exactly that state on the state thread (which gets it
   * after the releases posted before it), and writes nothing. Its position shares that batch, after its
   * transactions; reads there are numbered in arrival order.
   */
  private async read(input: ReadTxn): Promise<TxnOutcome> {
    if (this.closed) throw new AcheronError('SHUTTING_DOWN', 'the engine is shutting down', { retryable: true })
    return this.readAt(input, this.reads.take(1))
  }

  /**
   * Positions for `count` reads that a follower runs on its own state (src/cluster/follower-reads.ts),
   * reserved so that no two reads anywhere share one. Without `batch`: the ones this writer's own next
   * reads would take (after the batch it released last); with it, seqs after every read position handed
   * out at that batch, which must be one of the last READ_SEQ_BATCHES_KEPT released. The first is
   * returned; the others follow it in seq. Null unless this engine writes, or for a batch it does not keep.
   */
  reserveReadPositions(count: number, batch?: number): CommitPosition | null {
    if (this.followMode || this.stopped !== null || this.closed) return null
    return batch === undefined ? this.reads.take(count) : this.reads.reserve(count, batch)
  }

  /**
   * Calls `run` once this node's state holds batch `batch`: at once if it does, else synchronously at
   * the release of the first batch at or past it, after its writes were posted to the state thread and
   * before the next batch's are; so what `run` starts synchronously (planning a read, posting it) sees
   * exactly the state of the batch `run` is given. A follower's read runs in `run` once this node applied
   * the writer's read position (src/cluster/follower-reads.ts), through readFollowing.
   */
  atBatch<T>(batch: number, run: (held: number) => T): Promise<T> {
    if (this.stopped !== null) return Promise.reject(new AcheronError('INTERNAL', `the engine stopped: ${this.stopped.message}`))
    if (this.closed) return Promise.reject(new AcheronError('SHUTTING_DOWN', 'the engine is shutting down', { retryable: true }))
    // The fault runs on whatever state this node has now.
    if (this.opts.faults?.followerReadsIgnorePosition === true || batch <= this.lastReleased) return Promise.resolve(run(this.lastReleased))
    return this.batchWaiters.wait(batch, run)
  }

  /**
   * A read-only query on a follower, from inside atBatch: it reads the state this node holds now (posted
   * to the state thread now), at the position of that batch with the seq `seqAt` gives for it.
   */
  readFollowing(input: ReadTxn, plan: Replan | null, seqAt: (batch: number) => Promise<number>): Promise<TxnOutcome> {
    const batch = this.lastReleased
    return this.readReplanned(input, plan, seqAt(batch).then((seq) => ({ batch, seq })))
  }

  /** A read planned against an older catalog is planned again against this one (DDL changed it meanwhile). */
  private readReplanned(input: ReadTxn, plan: Replan | null, at: CommitPosition | Promise<CommitPosition>): Promise<TxnOutcome> {
    if (plan !== null && plan.catalogVersion !== this.catalog.version) {
      let replanned: TxnInput
      try {
        replanned = plan.replan(this.catalog)
      } catch (err) {
        if (!(err instanceof AcheronError)) throw err
        const failure = failureOf(err)
        return Promise.resolve(at).then((commit) => ({ ok: false, failure, commit }))
      }
      if (!isReadOnly(replanned)) throw new Error('acheron invariant violated: a read-only statement planned again is no longer read-only')
      input = replanned
    }
    return this.readAt(input, at)
  }

  /**
   * Reads the state of the last released batch: what it reads is fixed now, synchronously (the catalog,
   * or the read posted to the state thread); `at`, its position, may come later (a follower's seq).
   */
  private async readAt(input: ReadTxn, at: CommitPosition | Promise<CommitPosition>): Promise<TxnOutcome> {
    // Awaited on every path but a failed read, which must not leave it rejected unobserved.
    if (at instanceof Promise) at.catch(() => {})
    let outcome: TxnOutcome
    if (isCatalogRead(input)) {
      let read: { result: TxnResult } | { failure: TxnFailure }
      try {
        read = { result: readCatalog(this.catalog, input).result }
      } catch (err) {
        if (!(err instanceof AcheronError)) throw err
        read = { failure: failureOf(err) }
      }
      const commit = await at
      outcome = 'result' in read ? { ok: true, result: read.result, commit } : { ok: false, failure: { ...read.failure, ranAlone: true }, commit }
    } else if (input.kind === 'explain-commit') {
      outcome = await this.explainCommit(input, await at)
    } else {
      const run = await this.opts.store.run(input as StateTxn, this.batchClock.readTime())
      if (!run.ok && run.environment === true) this.noteDamage(run.failure.message)
      if (!run.ok && (run.failure.code === 'STORAGE_FULL' || run.environment === true)) return { ok: false, failure: run.failure }
      const commit = await at
      outcome = run.ok ? { ok: true, result: run.result, commit } : { ok: false, failure: { ...run.failure, ranAlone: true }, commit }
    }
    this.countReads([outcome])
    return outcome
  }

  /** EXPLAIN COMMIT: the trace of a released position's transaction, or why there is none. */
  private async explainCommit(input: ExplainCommitTxn, commit: CommitPosition): Promise<TxnOutcome> {
    try {
      if (input.batch < 1 || input.batch > this.lastReleased) {
        // Batch 0 is a position, not a batch: "there is no batch 0" read as a contradiction of the
        // planner's "a whole number, at least 0" given for -1.
        throw new AcheronError('POSITION_UNAVAILABLE', input.batch < 1
          ? `(${input.batch}, ${input.seq}) is before the first batch, batch 1: no transaction committed there; it is the position of a query that ran before any batch (queries are not logged), or no position at all (the last batch released is ${this.lastReleased})`
          : `batch ${input.batch} has not committed: the last batch released is ${this.lastReleased}`)
      }
      const trace = this.opts.traceCommitted
      if (trace === undefined) throw new AcheronError('POSITION_UNAVAILABLE', 'this database keeps no batch log to re-run a transaction from (memory mode)')
      return { ok: true, result: await trace({ batch: input.batch, seq: input.seq }), commit }
    } catch (err) {
      if (!(err instanceof AcheronError)) throw err
      // A transient refusal (traces at their limit, a log segment dropped meanwhile) has no position.
      if (err.retryable === true) return { ok: false, failure: { code: err.code, message: err.message, retryable: true } }
      return { ok: false, failure: { ...failureOf(err), ranAlone: true }, commit }
    }
  }

  private countOutcomes(outcomes: readonly TxnOutcome[]): void {
    const byCode = this.stats.rolledBackByCode
    for (const o of outcomes) {
      if (o.ok) this.stats.committed++
      else {
        this.stats.rolledBack++
        byCode[o.failure.code] = (byCode[o.failure.code] ?? 0) + 1
      }
    }
  }

  /** Reads ran: they count as transactions, outside any batch. */
  private countReads(outcomes: readonly TxnOutcome[]): void {
    this.stats.reads += outcomes.length
    this.stats.txns += outcomes.length
    this.countOutcomes(outcomes)
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

  /** Every row of a table as of the last released batch, all partitions, in key order. */
  scanTable(name: string): Promise<Row[]> {
    return this.opts.store.scanTable(name)
  }

  /** Takes a checkpoint of every released batch now (the log before it may then go). */
  checkpoint(): Promise<void> {
    return this.opts.store.checkpoint()
  }

  /**
   * Hash of the whole state as of the last released batch. Inside `onBatch` it is the state after that
   * batch exactly: the state store gets the request right after the batch's writes.
   */
  digest(): Promise<string> {
    return this.opts.store.digest()
  }

  // ---- the pump -----------------------------------------------------------------------------------

  /** Starts the pump when a batch is ready, or a timer for when the open batch falls due. Cheap per submit. */
  private schedule(): void {
    if (this.running) return
    if (this.sequencer.takeable(true)) {
      if (!this.pumpQueued) {
        this.pumpQueued = true
        // setImmediate, not a microtask: batches that never leave this thread (DDL, the inline executor)
        // would otherwise chain through microtasks and starve timers and I/O.
        setImmediate(() => { this.pumpQueued = false; void this.pump() })
      }
      return
    }
    if (this.timer !== null) return
    const due = this.sequencer.msUntilDue()
    if (due === null || !Number.isFinite(due)) return
    this.timer = setTimeout(() => { this.timer = null; this.schedule() }, due)
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      // Whatever arrived while the last batch ran its phase 1 is the next batch now, up to the size bound.
      for (let batch = this.take(); batch !== null; batch = this.take()) {
        if (this.logFailed !== null) {
          // The log refused a batch: every batch in flight fails with it; then the log goes on.
          await this.drain()
          this.resumeLog()
        }
        if (batch.every((s) => isPointRead(s.input))) {
          // Nothing but reads of single keys: no log entry, no batch number (see READS_ONLY).
          const encoded = encodeBatch((batch[0] as Sequenced).id, this.batchClock.readTime(), batch.map((s) => s.input), true)
          await this.process(READS_ONLY, batch, Promise.resolve(), false, encoded)
          continue
        }
        const number = this.nextBatch++
        const encoded = encodeBatch((batch[0] as Sequenced).id, this.batchClock.stamp(), batch.map((s) => this.logForm(s.input)), true, this.takesForwardedCalls ? originsOf(batch) : undefined)
        await this.process(number, batch, this.append(number, encoded.body, batch.length), false, encoded)
      }
      await this.drain()
      if (this.logFailed !== null) this.resumeLog()
    } catch (err) {
      this.stop(err)
    } finally {
      this.running = false
    }
    if (this.sequencer.pending === 0 || this.stopped !== null) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
    } else this.schedule()
  }

  private take(): Sequenced[] | null {
    if (this.stopped !== null) return null
    // Backpressure: past the bound of row writes no checkpoint holds yet (the executors' images, the
    // log since the checkpoint), no batch is taken until a checkpoint comes; waiting transactions queue
    // up to pendingTxnsMax, then OVERLOADED.
    if (this.dirtyWrites > this.opts.dirtyWritesMax) {
      if (!this.backpressured) {
        this.backpressured = true
        this.stats.backpressureWaits++
        void this.opts.store.checkpoint().catch(() => {})
      }
      // The checkpoint cannot be written (a full disk): writes fail at once, retryably, instead of
      // queueing until OVERLOADED; reads of single keys still run. The state thread retries the checkpoint.
      for (let full = this.checkpointFull; full !== null; full = this.checkpointFull) {
        const batch = this.sequencer.takeBatch(true, (s) => this.prepare(s))
        if (batch === null || batch.every((s) => isPointRead(s.input))) return batch
        this.failBatch(batch, batchFailure('STORAGE_FULL', `batch not committed: the checkpoint cannot be written (${full}) and ${this.dirtyWrites} released writes wait for it (dirtyWritesMax ${this.opts.dirtyWritesMax}); retry once space returns`))
      }
      return null
    }
    this.backpressured = false
    return this.sequencer.takeBatch(true, (s) => this.prepare(s))
  }

  /** Plans a statement again when a DDL changed the catalog since it was planned. */
  private prepare(s: Sequenced): void {
    if (s.plan === null || s.plan.catalogVersion === this.catalog.version) return
    try {
      s.input = s.plan.replan(this.catalog)
    } catch (err) {
      if (!(err instanceof AcheronError)) throw err
      s.input = { kind: 'plan-failed', code: err.code, message: err.message, ...(err.statement === undefined ? {} : { step: err.statement }) }
    }
  }

  /**
   * One batch, live or replayed. A data batch starts at once, beside the batches in flight before it,
   * and this returns once its phase 1 is done and fewer than INFLIGHT_MAX batches are in flight: the
   * next batch may then start while this one walks its fallback and waits for its release. A batch that
   * runs alone waits until every batch before it is released, then runs and is released.
   */
  private async process(number: number, batch: Sequenced[], durable: Promise<void>, replayed: boolean, encoded: EncodedBatch, executions?: Uint8Array): Promise<void> {
    const first = batch[0] as Sequenced
    if (!isExclusive(first.input)) {
      const f = this.startDataBatch(number, batch, durable, replayed, encoded, executions)
      await Promise.race([f.phase1, f.released])
      while (this.inflight.length >= INFLIGHT_MAX) await (this.inflight[0] as InFlight).released
      return
    }
    await this.drain()
    if (this.logFailed !== null) {
      // The log refused a batch before this one: it refuses this one too.
      this.failBatch(batch, this.logFailureOutcome())
      return
    }
    if (isDdl(first.input)) await this.release(this.runDdl(number, first, first.input, durable, replayed))
    else await this.release(await this.runOnState(number, first, first.input as StateTxn, encoded.timeMs, durable, replayed))
  }

  /** Waits until every batch in flight is released (or failed). */
  private async drain(): Promise<void> {
    while (this.inflight.length > 0) await (this.inflight[0] as InFlight).released
  }

  /** The log entry of a batch, appended as the batch is taken. Its promise is observed at release. */
  private append(number: number, body: Uint8Array, txns: number): Promise<void> {
    const entry: LogEntry = { kind: 'batch', batch: number, body }
    if (this.opts.faults?.ackBeforeDurable === true) {
      // The fault's lazy writer: the entry goes to the log a while after the batch is acknowledged.
      this.lazyEntries.set(number, entry)
      return Promise.resolve()
    }
    // Expensive transactions, enough of them to outlast a write: the write overlaps the batch's execution.
    // Otherwise it blocks this thread, as measured before (LOG_OVERLAP_TXN_US, LOG_OVERLAP_BATCH_US).
    const perTxn = this.executeUsPerTxn
    const p = this.opts.batchLog.append(entry, { overlap: perTxn >= LOG_OVERLAP_TXN_US && perTxn * txns >= LOG_OVERLAP_BATCH_US })
    p.catch(() => {}) // observed at release
    return p
  }

  /** Module bytes go to the log once: a module already known is logged by its hash. */
  private logForm(input: TxnInput): TxnInput {
    if (!carriesModule(input)) return input
    const hash = createHash('sha256').update(input.body).digest('hex')
    return this.modules.has(hash) ? { ...input, body: new Uint8Array(0), moduleHash: hash } : input
  }

  private fromLogForm(input: TxnInput): TxnInput {
    if (!carriesModule(input) || input.moduleHash === undefined) return input
    const body = this.modules.get(input.moduleHash)
    if (body === undefined) throw new Error(`the batch log names module ${input.moduleHash}, which neither the checkpoint nor an earlier log entry holds`)
    const { moduleHash: _, ...rest } = input
    return { ...rest, body }
  }

  /**
   * Starts a data batch beside the batches in flight before it: its phase 1 runs on a state that may
   * lack them (PipelinedExecutor marks what read their rows as stale, for the fallback to run again after
   * their release); its release follows theirs, in order. If one of them fails instead, nothing of it is
   * ever visible, and every execution of this batch read the right state.
   */
  private startDataBatch(number: number, batch: readonly Sequenced[], durable: Promise<void>, replayed: boolean, encoded: EncodedBatch, executions?: Uint8Array): InFlight {
    const txns: SequencedTxn[] = batch.map((s) => ({ id: s.id, input: s.input as DataTxn, timeMs: encoded.timeMs }))
    // A follower given the writer's executions of this batch adopts them instead of executing it.
    const adopted = executions === undefined ? null : adoptedExecutions(txns, executions, this.opts.faults?.followerAdoptsNewest === true)
    const started = performance.now()
    const ahead = [...this.inflight]
    const before = ahead.length === 0 ? null : {
      images: Promise.all(ahead.map((f) => f.images)),
      released: (ahead[ahead.length - 1] as InFlight).released,
    }
    // A writer with followers hands them their partitions' share of phase 1 (src/txn/shared-phase1.ts).
    const share: BatchShare | null = adopted === null && !replayed && !this.followMode && this.sharing !== null && number !== READS_ONLY
      ? this.sharing.share(number, txns, encoded.body, this.catalog)
      : null
    const context = this.executor.forBatch(encoded, before, share)
    let execution: Promise<BatchRun>
    if (adopted !== null) {
      this.stats.adoptedBatches++
      this.stats.adoptedTxns += adopted.length
      execution = Promise.resolve({ executions: adopted, fallbackTxns: 0, walkRounds: 0, lockMisses: 0 })
    } else {
      try {
        // Promise.resolve: a runBatch that returns a value instead of a promise is checked like any other.
        execution = Promise.resolve(this.protocol.runBatch(txns, context))
      } catch (err) {
        execution = Promise.reject(err)
      }
    }
    if (share !== null) {
      execution = execution.finally(() => {
        share.done()
        this.countShared()
      })
    }
    const executed = execution.then((run): Executed => {
      const { stillRunning } = context.runBatchSettled()
      if (stillRunning > 0) throw new Error(`protocol ${this.protocol.name}: runBatch resolved while ${stillRunning} of its runOnSnapshot or runWalks calls still ran (await every call: what one does after its batch resolved is in no result, and may read a later batch's state)`)
      // A research protocol is a plug-in (docs/research.md): a result that is no BatchRun failed the batch
      // with "Cannot read properties of undefined (reading 'length')", naming neither it nor the protocol.
      if (!Array.isArray((run as BatchRun | undefined)?.executions)) throw new Error(`protocol ${this.protocol.name}: runBatch resolved to ${notABatchRun(run)}, not a BatchRun ({ executions, fallbackTxns, walkRounds, lockMisses })`)
      const wrong = wrongBatchRun(txns, run.executions)
      if (wrong !== null) throw new Error(`protocol ${this.protocol.name}: ${wrong}`)
      const writes: RowWrite[] = []
      const outcomes = run.executions.map((e, seq): TxnOutcome => {
        const commit = { batch: number, seq }
        if (e.failure !== null) return { ok: false, failure: e.failure, commit }
        for (const w of e.writes) writes.push(w)
        return { ok: true, result: e.result ?? { rowsAffected: 0 }, commit }
      })
      const readAhead = context.readAhead()
      if (readAhead) this.stats.walksAhead++
      if (!replayed && adopted === null) this.executeUsPerTxn += ((performance.now() - started) * 1000 / txns.length - this.executeUsPerTxn) / 8
      return { number, batch, durable, outcomes, failure: null, writes, run, executeMs: performance.now() - started, replayed, ...(readAhead ? { readAheadOf: ahead } : {}) }
    }).catch((err: unknown): Executed => {
      // A rejected runBatch keeps its own error; calls made after it are refused all the same.
      context.runBatchSettled()
      return { number, batch, durable, outcomes: null, failure: err, writes: [], executeMs: performance.now() - started, replayed }
    })
    // (A broken invariant above fails the batch whole, like a failed execution: `executed` never rejects.)
    // Releases happen one at a time, in batch order.
    const released = this.releaseTail.then(() => executed).then((e) => this.release(e))
    const f: InFlight = {
      images: executed.then((e) => e.writes),
      phase1: context.phase1,
      released: released.finally(() => {
        const i = this.inflight.indexOf(f)
        if (i >= 0) this.inflight.splice(i, 1)
      }),
    }
    this.releaseTail = f.released.then(() => {}, () => {})
    this.inflight.push(f)
    return f
  }

  /** A DDL batch: applied to the catalog on the coordinator, between batches. */
  private runDdl(number: number, s: Sequenced, ddl: DdlTxn, durable: Promise<void>, replayed: boolean): Executed {
    const commit: CommitPosition = { batch: number, seq: 0 }
    let effect: DdlEffect
    try {
      effect = applyDdl({ catalog: this.catalog, modules: this.modules, runtimes: this.runtimes, defaultPartitions: this.opts.defaultPartitions, ...(this.opts.faults?.addReusesDroppedPlace === true ? { addReusesDroppedPlace: true } : {}) }, ddl)
    } catch (err) {
      if (!(err instanceof AcheronError)) return { number, batch: [s], durable, outcomes: null, failure: err, writes: [], executeMs: 0, replayed }
      // A refused DDL changes nothing, but it was sequenced: it still takes its place in the order.
      return { number, batch: [s], durable, outcomes: [{ ok: false, failure: { ...failureOf(err), ranAlone: true }, commit }], failure: null, writes: [], executeMs: 0, replayed }
    }
    const outcomes: TxnOutcome[] = [{ ok: true, result: { rowsAffected: 0, ...(effect.notice !== undefined ? { notice: effect.notice } : {}) }, commit }]
    if (effect.catalog === undefined) return { number, batch: [s], durable, outcomes, failure: null, writes: [], executeMs: 0, replayed }
    const modules = new Map(this.modules)
    for (const [hash, bytes] of effect.addedModules ?? []) modules.set(hash, bytes)
    for (const hash of effect.removedModules ?? []) modules.delete(hash)
    // Only these lose their rows; a repartitioned table keeps every row under the same key.
    const changedTables = [...(effect.createdTables ?? []), ...(effect.droppedTables ?? [])].map((t) => t.name.toLowerCase())
    const change = { ...effect, catalog: effect.catalog, modules, changedTables }
    return { number, batch: [s], durable, outcomes, failure: null, writes: [], change, executeMs: 0, replayed }
  }

  /** UPDATE/DELETE over all partitions (or a BEGIN … COMMIT holding them): on the state thread, after every earlier batch. */
  private async runOnState(number: number, s: Sequenced, txn: StateTxn, timeMs: number, durable: Promise<void>, replayed: boolean): Promise<Executed> {
    const started = performance.now()
    const commit: CommitPosition = { batch: number, seq: 0 }
    try {
      const run = await this.opts.store.run(txn, timeMs)
      // No room to flush the state under the scan: the environment's failure, not the transaction's.
      if (!run.ok && run.failure.code === 'STORAGE_FULL') throw new AcheronError('STORAGE_FULL', run.failure.message, { retryable: true })
      // A damaged checkpoint under the scan: no outcome either (a replay on a sound file would not fail).
      if (!run.ok && run.environment === true) throw new AcheronError(run.failure.code, run.failure.message)
      const outcome: TxnOutcome = run.ok ? { ok: true, result: run.result, commit } : { ok: false, failure: { ...run.failure, ranAlone: true }, commit }
      return { number, batch: [s], durable, outcomes: [outcome], failure: null, writes: run.ok ? run.writes : [], executeMs: performance.now() - started, replayed }
    } catch (err) {
      return { number, batch: [s], durable, outcomes: null, failure: err, writes: [], executeMs: performance.now() - started, replayed }
    }
  }

  /**
   * Releases a batch once its log entry is durable: its writes (or catalog change) go to the executors
   * and the state store, then its replies. False when the batch failed whole instead: its log entry was
   * refused (nothing of it is anywhere), or its execution failed (its entry is voided in the log first).
   */
  private async release(e: Executed): Promise<boolean> {
    const waitStarted = performance.now()
    try {
      await e.durable
    } catch (err) {
      if (!(err instanceof LogAppendError)) throw err
      if (err.uncertain) {
        // The entry may be in the log: its clients cannot be told it failed, nor that it committed.
        this.failBatch(e.batch, { ok: false, failure: { code: 'INTERNAL', message: `outcome unknown: ${err.message}; the engine stopped, and its next start reads the log and decides`, outcomeUnknown: true } })
        this.stop(err)
        return false
      }
      this.logFailed ??= err
      this.failBatch(e.batch, this.logFailureOutcome())
      return false
    }
    if (e.failure === null && e.readAheadOf !== undefined && (await Promise.all(e.readAheadOf.map((f) => f.released))).includes(false)) {
      // It read writes that never took effect (a log failure fails every later batch anyway; this keeps
      // a batch from ever being released on another path): it fails whole, as an environment failure
      // does (a batch of point reads is not answered; a logged batch is voided).
      e = { ...e, failure: new Error('a batch before it, whose writes it read, failed') }
    }
    if (e.failure !== null || e.outcomes === null) {
      if (e.number === READS_ONLY) {
        this.failBatch(e.batch, batchFailure('INTERNAL', `reads not answered: ${e.failure instanceof Error ? e.failure.message : String(e.failure)}`))
        return false
      }
      return this.voidBatch(e)
    }
    if (e.number === READS_ONLY) {
      const first = this.reads.take(e.batch.length)
      const outcomes = e.outcomes.map((o, i): TxnOutcome => ({ ...o, commit: { batch: first.batch, seq: first.seq + i } }) as TxnOutcome)
      this.countReads(outcomes)
      e.batch.forEach((s, i) => {
        const outcome = outcomes[i] as TxnOutcome
        this.functionLog.write(s.input, outcome)
        s.resolve(outcome)
      })
      return true
    }
    const nextTxnId = lastId(e.batch) + 1
    const encoded = encodeRowWrites(e.writes)
    if (e.change !== undefined) {
      this.catalog = new Catalog(e.change.catalog)
      for (const [h, b] of e.change.modules) this.modules.set(h, b)
      for (const h of e.change.removedModules ?? []) {
        this.modules.delete(h)
        for (const runtime of this.runtimes.values()) runtime.forget?.(h)
      }
      await this.executor.inner.setCatalog(this.catalog.data, this.modules, { batch: e.number, tables: e.change.changedTables }, (h) => this.preparedForm(h))
    }
    this.executor.inner.release(e.number, e.writes, encoded)
    this.sharing?.released(e.number, e.writes, e.change !== undefined)
    const change: CatalogChange | undefined = e.change === undefined ? undefined : {
      catalog: e.change.catalog,
      ...(e.change.createdTables !== undefined ? { createdTables: e.change.createdTables } : {}),
      ...(e.change.droppedTables !== undefined ? { droppedTables: e.change.droppedTables } : {}),
      ...(e.change.repartitionedTables !== undefined ? { repartitionedTables: e.change.repartitionedTables } : {}),
      // With their compiled forms: the state thread runs functions too (a BEGIN … COMMIT holding a query).
      ...(e.change.addedModules !== undefined ? { addedModules: e.change.addedModules.map(([h, b]) => [h, b, this.preparedForm(h)] as const) } : {}),
      ...(e.change.removedModules !== undefined && e.change.removedModules.length > 0 ? { removedModules: e.change.removedModules } : {}),
    }
    if (e.writes.length > 0) {
      this.dirty.push({ batch: e.number, writes: e.writes.length })
      this.dirtyWrites += e.writes.length
      this.stats.dirtyWrites = this.dirtyWrites
    }
    this.opts.store.apply({ batch: e.number, nextTxnId, txnCount: e.batch.length, timeMs: this.batchClock.lastMs, writes: e.writes, ...(change !== undefined ? { change } : {}) }, encoded)
    this.stats.executeMs += e.executeMs
    this.stats.commitMs += performance.now() - waitStarted
    if (e.run !== undefined) {
      // Statistics only (docs/research.md): a research protocol that leaves a counter out, or gives no
      // count, adds nothing. Added as given, one undefined made the engine's counter NaN for good
      // (SHOW STATS, /metrics' fallback_txns_total).
      this.stats.fallbackTxns += statCount(e.run.fallbackTxns)
      this.stats.walkRounds += statCount(e.run.walkRounds)
      this.stats.lockMisses += statCount(e.run.lockMisses)
      if (e.run.contended === true) this.stats.contendedBatches++
    }
    this.stats.staleExecutions = this.executor.staleExecutions
    this.released(e.number, e.batch, e.outcomes, e.replayed, e.run?.executions)
    const lazy = this.lazyEntries.get(e.number)
    if (lazy !== undefined) {
      this.lazyEntries.delete(e.number)
      setTimeout(() => { this.opts.batchLog.append(lazy).catch(() => {}) }, ACK_BEFORE_DURABLE_DELAY_MS)
    }
    return true
  }

  /** `executions`: a data batch's final executions, which a replicated log may send its followers. */
  private released(number: number, batch: readonly Sequenced[], outcomes: readonly TxnOutcome[], replayed: boolean, executions?: readonly Execution[]): void {
    // No reset of refusedLog here: on a nearly full disk small batches commit between large ones that
    // fail, and a reset at each commit logged every failure again (a line per refused batch).
    this.reads.released(number, batch.length)
    this.batchWaiters.released(number)
    this.stats.batches++
    this.stats.txns += batch.length
    this.stats.batchedTxns += batch.length
    this.stats.lastBatchTxns = batch.length
    this.countOutcomes(outcomes)
    if (!replayed) this.opts.batchLog.released?.(number, executions === undefined ? undefined : () => executionsToBytes(executions))
    this.onBatch?.({ batch: number, txns: batch.map((s) => ({ id: s.id, input: s.input })), outcomes, replayed, digest: () => this.opts.store.digest() })
    batch.forEach((s, i) => {
      const outcome = outcomes[i] as TxnOutcome
      // A replayed batch (recovery, a follower) wrote its lines when it was first answered.
      if (!replayed) this.functionLog.write(s.input, outcome)
      s.resolve(outcome)
    })
  }

  /**
   * A logged batch whose execution failed for reasons outside its transactions (a worker died, memory
   * ran out): a replay could not reproduce that, so the batch never takes effect. Its void entry must be
   * durable before its clients hear that it failed.
   */
  private async voidBatch(e: Executed): Promise<boolean> {
    const message = e.failure instanceof Error ? e.failure.message : String(e.failure)
    this.noteDamage(message)
    if (e.replayed) throw new Error(`replaying batch ${e.number} from the log failed: ${e.failure instanceof Error ? e.failure.stack : message}`)
    this.voidedLog.log(`batch ${e.number} (${e.batch.length} transactions) failed and was not committed: ${e.failure instanceof Error ? e.failure.stack : message}`)
    {
      try {
        await this.opts.batchLog.append({ kind: 'void', batch: e.number })
      } catch (err) {
        // Its entry is in the log, unvoided: whoever reads the log next commits it. Its clients cannot be
        // told it failed (nor that it committed).
        const why = `batch ${e.number} failed and its void entry could not be logged (${String(err)}); its outcome is decided at the next start`
        this.failBatch(e.batch, { ok: false, failure: { code: 'INTERNAL', message: `outcome unknown: ${why}`, outcomeUnknown: true } })
        throw new Error(why)
      }
    }
    const full = e.failure instanceof AcheronError && e.failure.code === 'STORAGE_FULL'
    // A damaged checkpoint met on an execution worker: its line alone, not the worker's wrapping and stack.
    this.failBatch(e.batch, batchFailure(full ? 'STORAGE_FULL' : 'INTERNAL', `batch not committed: ${checkpointDamageLine(message) ?? message}`))
    return false
  }

  private logFailureOutcome(): TxnOutcome {
    const err = this.logFailed
    if (err?.full === true) return batchFailure('STORAGE_FULL', `batch not committed: ${err.message}`)
    return batchFailure('INTERNAL', `batch not committed: ${err?.message ?? 'the batch log refused it'}`)
  }

  /** A batch that failed whole: nothing of it is visible and its number is never published. */
  private failBatch(batch: readonly Sequenced[], outcome: TxnOutcome): void {
    this.stats.failedBatches++
    for (const s of batch) s.resolve(outcome)
  }

  /** After a refused append, with no batch in flight: the log goes on from its last whole entry. */
  private resumeLog(): void {
    const err = this.logFailed
    this.logFailed = null
    if (err !== null) this.refusedLog.log(`the batch log refused a write: ${err.message}; the batches in flight failed (${err.full ? 'STORAGE_FULL' : 'INTERNAL'}, retryable) and nothing of them is visible`)
    this.opts.batchLog.resume()
    this.nextBatch = Math.max(this.lastReleased, this.opts.batchLog.lastBatch) + 1
  }

  /** The engine cannot go on safely: every waiting and later transaction fails; a restart recovers from the log. (Internal.) */
  stop(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err))
    if (this.stopped !== null) return
    this.stopped = e
    this.opts.log('engine', `the engine stopped: ${e.stack ?? e.message}`, 'error')
    this.sequencer.close(`the engine stopped: ${e.message}`)
    this.batchWaiters.fail(new AcheronError('INTERNAL', `the engine stopped: ${e.message}`))
    for (let b = this.sequencer.takeBatch(true); b !== null; b = this.sequencer.takeBatch(true)) {
      for (const s of b) s.resolve(batchFailure('INTERNAL', `the engine stopped: ${e.message}`))
    }
  }

  /**
   * Stops accepting transactions, runs and makes durable everything already accepted, takes a last
   * checkpoint, then stops the threads. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.batchWaiters.fail(new AcheronError('SHUTTING_DOWN', 'the engine is shutting down', { retryable: true }))
    if (this.followMode) {
      // The follower's loop ends with its log, after the batch it is applying.
      await this.opts.batchLog.close()
      await this.followed
    }
    this.sequencer.close('the engine is shutting down')
    this.schedule()
    await this.idle()
    await this.shutdown()
  }

  private async shutdown(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer)
    await this.executor.inner.close()
    await this.opts.store.close()
    await this.opts.batchLog.close()
  }
}
