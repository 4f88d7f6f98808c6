import { availableParallelism } from 'node:os'
import type { Database } from './database.js'
import type { ObjectRow, RemoteQueryOptions, RemoteQueryResult } from './client/remote.js'
import { checkRowsOption, objectRows } from './client/rows.js'
import { AcheronError, type CommitPosition } from './errors.js'
import { checkOptionNames } from './option-names.js'
import { TIMER_MS_MAX } from './timer-limits.js'
import { executeQuery, executeScript, readLocalFile, type ExecuteOptions, type SqlTarget, type StatementResult } from './sql/execute.js'
import type { HistorySample } from './stats/history.js'
import { DatabaseStats, type LatencyTotals, type ServerGauges, type StatsRow } from './stats/metrics.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { DirLock } from './storage/dir-lock.js'
import { markNatsLog, NATS_LOG_FILE, readNatsLogMark } from './storage/nats-log-mark.js'
import { COMMIT_TRACE_IMAGE_BYTES_MAX, CommitTracer } from './inspect/commit-trace.js'
import { holdForTraceBases, TRACE_BASE_INTERVAL_MS, TRACE_BASE_LOG_BYTES, TRACE_BASES_DIR, TRACE_BASES_KEPT, TraceBaseKeeper } from './inspect/trace-bases.js'
import { DataDirDamagedError, fileProblems, QUICK_CHECK_LINES_MAX, quickCheck } from './storage/damage.js'
import { crashPoints, type CrashAt } from './crash-points.js'
import { LogCorruptError, type BatchLog, type SyncMode } from './log/batch-log.js'
import { FileBatchLog } from './log/file-log.js'
import { MemoryBatchLog } from './log/memory-log.js'
import { COLUMN_TYPES, PARTITIONS_MAX, type ColumnType, type RuntimeKind } from './schema/catalog.js'
import { loadRuntimes, type RuntimeModules } from './schema/function-runtime.js'
import { checkpointBatch, DATABASE_FILE, refuseNewerCheckpoint, rewriteCheckpointBatch, SqliteStateFile } from './storage/state-file.js'
import { Engine, type BatchRecord, type EngineStats, type OwnForwardedCalls } from './txn/engine.js'
import type { CallOrigin } from './txn/batch-codec.js'
import type { EngineFaults } from './txn/faults.js'
import type { LogFn } from './txn/execution-host.js'
import type { Replan } from './txn/sequencer.js'
import { StateService, type CheckpointPolicy } from './txn/state-service.js'
import { LocalStateStore, type StateStore } from './txn/state-store.js'
import { ThreadStateStore } from './txn/thread-state-store.js'
import { PROTOCOLS, protocolByName, type Protocol } from './txn/protocols/index.js'
import { isReadOnly, failureDetails, type TxnInput, type TxnOutcome, type TxnResult } from './txn/types.js'
import { checkKeyGiven, checkWellFormedText, fitsNumber, fromClientValue, loneSurrogateIndex, unsupportedValue, type SqlValue } from './values.js'
import { makeDirectory } from './storage/make-dir.js'
import { valueType, type ResultType } from './result-types.js'
import { NeedsWriter, type ReadPositionSource } from './cluster/local-reads.js'
import { checkCallFunctionName, checkCreateFunctionName, checkFunctionBytes, checkFunctionOptions } from './function-options.js'

export const DEFAULT_DATA_DIR = './acheron-data'
export const DEFAULT_PARTITIONS = 8
export const DEFAULT_BATCH_TXNS_MAX = 1000
export const DEFAULT_BATCH_INTERVAL_MS = 2
export const DEFAULT_PENDING_TXNS_MAX = 100_000
/** Bytes of inputs waiting to be taken into a batch or answered (roughly: text and blob bytes). */
export const DEFAULT_PENDING_BYTES_MAX = 256 * 1024 * 1024
/** A checkpoint is taken at most this long after the first write it holds... */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000
/** ...or once this many row writes wait for one (it bounds the executors' in-memory images). */
export const DEFAULT_CHECKPOINT_WRITES_MAX = 500_000

/**
 * Execution worker threads when none are asked for. On two cores or fewer, none: the server's own thread
 * executes, 1.3–1.9× the throughput of two workers over WebSocket and a quarter less CPU per transaction
 * (docs/benchmarks.md, "Execution threads on a 2-core machine": hand-offs between threads cost more than
 * the parallelism gives back when the server, its threads and the clients share two cores). With more
 * cores, two workers.
 */
export function defaultWorkers(cores = availableParallelism()): number {
  return cores <= 2 ? 0 : 2
}

/**
 * Most execution worker threads a database starts. Each is a thread with its own WebAssembly runtime and
 * row images (about 10 MiB at rest): `workers: 500` on a 2-core machine took 10 s to start and 5.4 GB.
 */
export const WORKERS_MAX = 64

/**
 * Concurrency control when none is asked for: `aria` with execution workers; `serial` when transactions
 * execute on the coordinator's thread. Aria's phase 1 pays off only in parallel: on one thread it
 * executes every transaction on the snapshot and then again each one that conflicted, where serial
 * executes each once (docs/benchmarks.md, "One execution thread: serial by default": +8% uniform,
 * +45% at Zipf 0.99, embedded). Both give the same results and state (the harness's determinism property).
 */
export function defaultProtocol(workers: number): 'aria' | 'serial' {
  return workers === 0 ? 'serial' : 'aria'
}

/** SHOW CLUSTER's answer, from whatever keeps the cluster's membership (src/cluster/members.ts). */
export interface ClusterView {
  readonly columns: readonly string[]
  rows(): Promise<unknown[][]>
}

export interface OpenOptions {
  /** Data directory (created if missing). Default `./acheron-data`. */
  dir?: string
  /** Keep everything in memory instead (nothing survives close; execution runs inline: workers 0; no dir). */
  memory?: boolean
  /** Partitions of a new table when its DDL names none. Default 8. */
  partitions?: number
  /** Execution worker threads, 0 to WORKERS_MAX; 0 executes on the calling thread. Default: defaultWorkers() (0 in memory). */
  workers?: number
  /** Concurrency control: 'aria', 'calvin', 'serial', or a research Protocol; default `defaultProtocol(workers)`. */
  protocol?: string | Protocol
  /**
   * 'full' (default): a batch is acknowledged only once its log entry is flushed to disk (fdatasync).
   * 'normal': once written to the operating system (flushed within ~200 ms). 'off': never flushed by us.
   * A process kill loses nothing acknowledged in any mode; a power loss may, except with 'full'.
   */
  sync?: SyncMode
  /** Caps the batch log's bytes: an append beyond fails its batch whole, with STORAGE_FULL (a stand-in for a full disk). */
  storageBytesMax?: number
  /**
   * Caps the checkpoint file's bytes (SQLite's max_page_count): a checkpoint beyond fails as on a full
   * disk and is retried; once `dirtyWritesMax` released writes wait for it, writes fail with STORAGE_FULL.
   * A stand-in for a full disk on the checkpoint's side (tests).
   */
  checkpointBytesMax?: number
  /** Bytes of one read's result (SELECT over a table) beyond which it fails with PAYLOAD_TOO_LARGE. Default 64 MiB. */
  resultBytesMax?: number
  /** Bytes of inputs accepted and not yet taken into a batch or answered, beyond which OVERLOADED. Default 256 MiB. */
  pendingBytesMax?: number
  /** Longest a released write waits for a checkpoint (ms; 0: a checkpoint after every batch). Default 1000; 0 in memory. */
  checkpointIntervalMs?: number
  /** A checkpoint is taken as soon as this many row writes wait for one. Default 500,000. */
  checkpointWritesMax?: number
  /**
   * Whether close() takes a last checkpoint of every released batch, so that the next open replays
   * nothing. Default true; false leaves the checkpoint where the last one left it, as a crash after the
   * last reply would (tests and measurements of recovery).
   */
  checkpointAtClose?: boolean
  /**
   * Row writes released but in no durable checkpoint yet (what the executors hold in memory, what the
   * log holds since the checkpoint) beyond which no batch is taken until a checkpoint comes. Default
   * twice checkpointWritesMax.
   */
  dirtyWritesMax?: number
  /** A log segment is closed once it holds this many bytes. Default 64 MiB. */
  logSegmentBytesMax?: number
  /** Log segments kept after a durable checkpoint made them unnecessary. Default 2. */
  logSegmentsKept?: number
  /**
   * Copies of the checkpoint kept in `<dir>/trace-bases/` so that EXPLAIN COMMIT can re-run positions
   * older than the checkpoint; the log keeps every batch after the oldest (src/inspect/trace-bases.ts).
   * Default TRACE_BASES_KEPT (2); 0 keeps none.
   */
  traceBasesKept?: number
  /** A new trace base is taken this long after the newest (ms). Default TRACE_BASE_INTERVAL_MS (60,000). */
  traceBaseIntervalMs?: number
  /** … or once this many bytes of log were appended since it. Default TRACE_BASE_LOG_BYTES (128 MiB). */
  traceBaseLogBytes?: number
  /**
   * The batch log on a NATS JetStream stream instead of `<dir>/log/` (src/log/jetstream-log.ts): an
   * append is acknowledged once a quorum of the stream's replicas stored it, so the log outlives this
   * machine. The data directory then holds the checkpoint only; a new directory recovers everything the
   * stream still holds from its start. One engine writes a stream: a second one fences the first off.
   */
  natsLog?: NatsLogOptions
  /** Observes every batch from the start, the batches replayed at recovery included. */
  onBatch?: (record: BatchRecord) => void
  /** Kill the process at a named instant (research and crash tests only). */
  crashAt?: CrashAt
  /** Stop the process (SIGSTOP) at the N-th message of a batch log on NATS (fail-over tests only). */
  pauseAt?: CrashAt
  batchTxnsMax?: number
  /**
   * Longest wait of a transaction for its batch to close while a batch executes (an idle engine closes it
   * at once); Infinity closes batches only by size, DDL/SELECT or `flush()`.
   */
  batchIntervalMs?: number
  pendingTxnsMax?: number
  /**
   * Wall-clock bound (ms) on one transaction's execution: past it the batch fails whole, retryably
   * (INTERNAL, no position), as if a worker had died. A worker thread is terminated by its watchdog; with
   * workers: 0 the WebAssembly runtime stops the guest at its next fuel slice (src/wasm-exec/fuel-slice.ts).
   * Default TXN_WALL_MS_MAX (5,000).
   */
  txnWallMsMax?: number
  /** Extra function runtimes by kind (module URLs exporting createRuntime); `wasm` is built in. */
  runtimes?: RuntimeModules
  /**
   * Receives server-log lines: functions' `log()` lines (`[table.function] line`, at release, rate-limited)
   * and the engine's own events (`[engine] …`, `[state] …`). The second argument says which, and at what
   * level (`acheron serve` logs each at its level, a function's name in the field `fn`).
   */
  log?: (line: string, event: ServerLogEvent) => void
  /** Deliberate engine bugs, for the research harness's mutants only (src/testing/mutants.ts). */
  faults?: EngineFaults
  /**
   * Memory mode only: start from this image of a state file (better-sqlite3's `serialize()` of a
   * checkpoint) instead of empty; the batch log (see `wrapBatchLog`) is replayed after it. EXPLAIN
   * COMMIT's engine is opened this way (src/inspect/commit-trace-thread.ts).
   */
  memoryImage?: Buffer
  /**
   * Wraps or replaces the batch log the database opened: tests (to hold back or refuse appends), and
   * EXPLAIN COMMIT's engine, which replays a log it filled itself.
   */
  wrapBatchLog?: (log: BatchLog) => BatchLog
  /**
   * The wall clock each batch is stamped with as it is sequenced: what `CURRENT_TIMESTAMP`, `NOW()`, the
   * date functions, clock defaults and functions' `txn_time_ms` read (ms since the Unix epoch; default
   * Date.now). The stamp is logged with the batch, so replay and followers read it, not this clock; batch
   * times never go backwards even when it does. For tests and simulations that fix time.
   */
  wallClockMs?: () => number
}

export interface NatsLogOptions {
  /** NATS server URLs (nats://host:port). */
  servers: string[]
  /** Stream name. Default ACHERON_LOG. */
  stream?: string
  /** Replicas when the stream is created: 3 needs a cluster of three servers. Default 1. */
  replicas?: number
  /** Batches the stream keeps behind a durable checkpoint. Default 1,000. */
  batchesKept?: number
  /**
   * How long an append may go unanswered (resent meanwhile) before its outcome counts as unknown and the
   * engine stops. Default LOG_APPEND_TIMEOUT_MS (30 s).
   */
  appendTimeoutMs?: number
  /**
   * Follow the stream's writer instead of writing it: the database applies every batch the writer
   * releases, as it releases them, and takes no requests (FORBIDDEN) — a hot standby that keeps its own
   * checkpoint, with `digest()` and `lastCommittedBatch` to watch it (docs/scale-out.md).
   */
  follow?: boolean
  /**
   * With `follow`: how long a new data directory waits for the writer's snapshot when the stream's first
   * batches were purged (src/log/snapshots.ts). Default SNAPSHOT_FETCH_TIMEOUT_MS (120 s).
   */
  snapshotTimeoutMs?: number
  /**
   * With `follow`: this directory is known to have fallen behind the stream (its engine stopped saying
   * so: `fellBehindStream()`), so it starts from the writer's snapshot, waiting for a writer to hand one
   * out as a new directory does. Without it, a directory the writer says the stream no longer continues
   * takes the snapshot too; one whose gap shows only while it reads (messages gone from the middle, or
   * no writer answered at the open) stops behind again.
   */
  behind?: boolean
  /**
   * The writer hands each follower the calls that start on its partitions, to run phase 1 of a batch on
   * its own state (src/txn/shared-phase1.ts); a follower runs the share it gets. Only protocols with a
   * phase 1 share (`aria`, `calvin`; `serial` has none). Default false: measured on one machine, it adds
   * a round trip to every batch and saves the writer no CPU it could measure (docs/benchmarks.md).
   */
  sharePhase1?: boolean
  /**
   * With `follow`: each batch waits this long before this node applies it, as on a follower that lags
   * (a slow link or machine). For research: the harness's cluster sets it so that reads answered by a
   * follower have a lag to respect (src/cluster/follower-reads.ts). Default 0.
   */
  followDelayMs?: number
}

export interface ColumnSpec {
  name: string
  type: ColumnType
  notNull?: boolean
  default?: unknown
  primaryKey?: boolean
}

export interface TableSpec {
  name: string
  columns: ColumnSpec[]
  partitions?: number
  ifNotExists?: boolean
}

export interface FunctionOptions {
  /** The export to run; defaults to the function's name. */
  export?: string
  fuel?: number
  /** Memory limit in bytes. */
  memory?: number
  orReplace?: boolean
  runtime?: RuntimeKind
}

export interface CallResult {
  value: unknown
  commit: CommitPosition
  /**
   * The value's type: 'INTEGER', 'REAL', 'TEXT', 'BLOB', or null for NULL. The value as a JS number no
   * longer says whether it was REAL 1.0 or INTEGER 1; this does, as the server's `call` op answers in `types`.
   */
  type: ResultType | null
}

/** What a server-log line is (OpenOptions.log): a function's `log()` line, or an engine event at a level. */
export interface ServerLogEvent {
  readonly level: 'info' | 'warn' | 'error'
  /** The function whose statement wrote the line, or the part of the engine speaking (engine, state, log, snapshot, trace-bases). */
  readonly source: string
  /** True for a function's `log()` line. */
  readonly function: boolean
}

/** `callWithLogs`: also the `log()` lines of the call's committed execution. */
export interface LoggedCallResult extends CallResult {
  logs: string[]
}

export interface CommitResult {
  rowsAffected: number
  commit: CommitPosition
}

const WASM_RUNTIME = new URL('./wasm-exec/runtime.js', import.meta.url).href

/** Converts an engine value for a JS caller: INTEGER within ±2^53 as number, beyond as bigint (as the wire does). */
export function toClientValue(v: SqlValue): unknown {
  if (typeof v === 'bigint') return fitsNumber(v) ? Number(v) : v
  return v
}

/** `what` names the value in an error; with `n`, it is `${what} ${n}` (built only for an error). */
function toEngineValue(v: unknown, what: string, n?: number): SqlValue {
  const out = fromClientValue(v)
  if (out === undefined) throw new AcheronError('TYPE_MISMATCH', `${n === undefined ? what : `${what} ${n}`}: ${unsupportedValue(v)}`)
  if (typeof out === 'string' && loneSurrogateIndex(out) >= 0) checkWellFormedText(out, n === undefined ? what : `${what} ${n}`)
  return out
}

/** open()'s options: `satisfies` makes the compiler hold this list to OpenOptions, no more, no less. */
const OPEN_OPTION_NAMES = Object.keys({
  dir: 0, memory: 0, partitions: 0, workers: 0, protocol: 0, sync: 0, storageBytesMax: 0, checkpointBytesMax: 0,
  resultBytesMax: 0, pendingBytesMax: 0, checkpointIntervalMs: 0, checkpointWritesMax: 0, checkpointAtClose: 0,
  dirtyWritesMax: 0, logSegmentBytesMax: 0, logSegmentsKept: 0, traceBasesKept: 0, traceBaseIntervalMs: 0,
  traceBaseLogBytes: 0, natsLog: 0, onBatch: 0, crashAt: 0, pauseAt: 0, batchTxnsMax: 0, batchIntervalMs: 0,
  pendingTxnsMax: 0, txnWallMsMax: 0, runtimes: 0, log: 0, faults: 0, memoryImage: 0, wrapBatchLog: 0, wallClockMs: 0,
} satisfies Record<keyof OpenOptions, 0>)

/** The log's flush modes (SyncMode), for checking what open() is given. */
const SYNC_MODES: readonly SyncMode[] = ['full', 'normal', 'off']

/**
 * open()'s options that are numbers (of ms, bytes, writes, …): each at least 0; Infinity where a bound may be
 * none. (`partitions` and `workers` have checks of their own, CONSTRAINT with their ranges.)
 */
const OPEN_NUMBER_OPTIONS = [
  'storageBytesMax', 'checkpointBytesMax', 'resultBytesMax', 'pendingBytesMax', 'checkpointIntervalMs',
  'checkpointWritesMax', 'dirtyWritesMax', 'logSegmentBytesMax', 'logSegmentsKept', 'traceBasesKept', 'traceBaseIntervalMs',
  'traceBaseLogBytes', 'batchTxnsMax', 'batchIntervalMs', 'pendingTxnsMax', 'txnWallMsMax',
] as const satisfies readonly (keyof OpenOptions)[]
const OPEN_BOOLEAN_OPTIONS = ['memory', 'checkpointAtClose'] as const satisfies readonly (keyof OpenOptions)[]
const OPEN_FUNCTION_OPTIONS = ['onBatch', 'log', 'wrapBatchLog', 'wallClockMs'] as const satisfies readonly (keyof OpenOptions)[]

function shownOption(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? 'an array' : typeof v === 'object' && v !== null ? 'an object' : String(v)
}

/**
 * TYPE_MISMATCH for an option of the wrong type, naming it. `memory: 'yes'` is not true, so it opened
 * ./acheron-data on disk, silently; a protocol that is no name nor Protocol was a plain Error; a number
 * option given as text or below zero was taken as it came.
 */
function checkOpenOptionTypes(options: OpenOptions): void {
  const o = options as Record<string, unknown>
  for (const name of OPEN_BOOLEAN_OPTIONS) {
    const v = o[name]
    if (v !== undefined && typeof v !== 'boolean') throw new AcheronError('TYPE_MISMATCH', `open() ${name} is true or false, got ${shownOption(v)}`)
  }
  for (const name of OPEN_NUMBER_OPTIONS) {
    const v = o[name]
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v < 0)) {
      throw new AcheronError('TYPE_MISMATCH', `open() ${name} is a number, at least 0, got ${shownOption(v)}`)
    }
  }
  for (const name of OPEN_FUNCTION_OPTIONS) {
    const v = o[name]
    if (v !== undefined && typeof v !== 'function') throw new AcheronError('TYPE_MISMATCH', `open() ${name} is a function, got ${shownOption(v)}`)
  }
  const protocol = o.protocol
  if (protocol !== undefined && typeof protocol !== 'string' && (typeof protocol !== 'object' || protocol === null)) {
    throw new AcheronError('TYPE_MISMATCH', `open() protocol is a name (${Object.keys(PROTOCOLS).join(', ')}) or a Protocol, got ${shownOption(protocol)}`)
  }
}

/** open()'s options that can be refused before anything opens: their names, values and the intervals a timer keeps. */
function checkOpenOptions(options: OpenOptions): void {
  if (typeof options !== 'object' || options === null) throw new AcheronError('TYPE_MISMATCH', `open() options is an object, got ${String(options)}`)
  checkOptionNames('open()', options, OPEN_OPTION_NAMES)
  checkOpenOptionTypes(options)
  // '' failed as Node's bare ENOENT, a number as a TypeError, and null opened ./acheron-data silently.
  const dir: unknown = options.dir
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) {
    throw new AcheronError('TYPE_MISMATCH', `open() dir is the path of the data directory, a non-empty string, got ${typeof dir === 'string' ? "''" : Array.isArray(dir) ? 'an array' : String(dir)}`)
  }
  // Each was ignored, or failed without a code: `dir` silently, `workers: 2` as a plain Error.
  if (options.memory === true && options.dir !== undefined) {
    throw new AcheronError('CONSTRAINT', `memory: true keeps nothing on disk, so it takes no dir (got '${options.dir}'): give dir or memory, not both`)
  }
  // `sync: true` (or a misspelt mode) matched none of the modes the log tests for, so it flushed nothing
  // before close: acknowledged batches a power loss could take, with no word said.
  const sync: unknown = options.sync
  if (sync !== undefined && !SYNC_MODES.includes(sync as SyncMode)) {
    throw new AcheronError('CONSTRAINT', `sync must be 'full' (the default), 'normal' or 'off', got ${typeof sync === 'string' ? `'${sync}'` : String(sync)}`)
  }
  // Checked at the first CREATE TABLE otherwise, where "PARTITIONS must be from 1 to 256" named no option.
  const partitions = options.partitions
  if (partitions !== undefined && !(Number.isSafeInteger(partitions) && partitions >= 1 && partitions <= PARTITIONS_MAX)) {
    throw new AcheronError('CONSTRAINT', `partitions must be an integer from 1 to ${PARTITIONS_MAX} (those of a new table whose CREATE TABLE names none), got ${String(partitions)}`)
  }
  if (typeof options.protocol === 'string' && PROTOCOLS[options.protocol] === undefined) {
    throw new AcheronError('CONSTRAINT', `unknown protocol '${options.protocol}' (known: ${Object.keys(PROTOCOLS).join(', ')})`)
  }
  for (const name of ['checkpointIntervalMs', 'traceBaseIntervalMs'] as const) {
    const ms = options[name]
    // A longer interval fired after 1 ms, again and again.
    if (ms !== undefined && !(Number.isSafeInteger(ms) && ms >= 0 && ms <= TIMER_MS_MAX)) {
      throw new AcheronError('CONSTRAINT', `${name} must be an integer from 0 to ${TIMER_MS_MAX} ms, got ${String(ms)}`)
    }
  }
}

function unwrap(o: TxnOutcome, withLogs = false): { result: TxnResult; commit: CommitPosition } {
  if (!o.ok) {
    throw new AcheronError(o.failure.code, o.failure.message, {
      ...(o.commit ? { commit: o.commit } : {}), ...(withLogs ? { logs: [...(o.failure.logs ?? [])] } : {}),
      ...failureDetails(o.failure),
    })
  }
  return o
}

/**
 * What a call's outcome gives its caller (EmbeddedDatabase.typedCall): a failure is thrown as its
 * AcheronError, with the `log()` lines where `withLogs`.
 */
export function callResultOf(o: TxnOutcome, withLogs: boolean): LoggedCallResult {
  const { result, commit } = unwrap(o, withLogs)
  const value = result.value ?? null
  // The copy of the log lines only where they are asked for.
  return { value: toClientValue(value), type: valueType(value), commit, logs: withLogs ? [...(result.logs ?? [])] : [] }
}

/**
 * An embedded Acheron: the engine in this process over a data directory. The same operations as the
 * remote client (`call`, `createFunction`, `close`), plus the engine-level ones tests and tools use.
 */
export class EmbeddedDatabase implements Database {
  /** Rates, latencies and in-flight counts for SHOW STATS (measured here, around every submit). */
  private readonly metrics: DatabaseStats

  /** close() finished: every request is refused as DATABASE_CLOSED (while it runs, the engine's SHUTTING_DOWN). */
  private closed = false
  /**
   * The close under way or done. A second close() called while the first ran returned at once (the engine
   * said it was closing already), before the engine had stopped, and released the data directory's lock
   * while the first was still writing the last batch and checkpoint.
   */
  private closing: Promise<void> | null = null

  private constructor(readonly engine: Engine, private readonly lock: DirLock | null, private readonly tracer: CommitTracer | null, private readonly bases: TraceBaseKeeper | null) {
    this.metrics = new DatabaseStats({ counters: engine.stats, lastBatch: () => engine.lastCommittedBatch })
  }

  /**
   * `held`: the lock of `options.dir`, taken by the caller, who keeps it: this database neither takes
   * the lock nor releases it, at close() or after a failed open (openHoldingLock).
   */
  static async open(options: OpenOptions = {}, held: DirLock | null = null): Promise<EmbeddedDatabase> {
    checkOpenOptions(options)
    const memory = options.memory === true
    const runtimes: RuntimeModules = { wasm: WASM_RUNTIME, ...options.runtimes }
    const workers = options.workers ?? (memory ? 0 : defaultWorkers())
    if (!Number.isSafeInteger(workers) || workers < 0 || workers > WORKERS_MAX) {
      throw new AcheronError('CONSTRAINT', `workers must be an integer from 0 to ${WORKERS_MAX} (execution threads; 0 executes on the calling thread), got ${String(workers)}`)
    }
    if (memory && workers > 0) {
      throw new AcheronError('CONSTRAINT', `workers must be 0 with memory: true (the in-memory state lives in the calling thread, which executes), got ${workers}: execution threads need a data directory (dir)`)
    }
    const protocol = typeof options.protocol === 'object' ? options.protocol : protocolByName(options.protocol ?? defaultProtocol(workers))
    const log = options.log ?? (() => {})
    const logFn: LogFn = (source, message, kind = 'info') =>
      log(`[${source}] ${message}`, { level: kind === 'function' ? 'info' : kind, source, function: kind === 'function' })
    const loaded = memory ? await loadRuntimes(runtimes) : undefined
    const opened = await openStorage(options, runtimes, logFn, loaded, held)
    const { store, lock } = opened
    const dir = options.dir ?? DEFAULT_DATA_DIR
    // On a stream the writer purges behind its checkpoint for every node (followers join from it): the
    // copies are kept for a data directory's own log only.
    const bases = memory || options.natsLog !== undefined ? null : new TraceBaseKeeper({
      dir: join(dir, TRACE_BASES_DIR), checkpointFile: join(dir, DATABASE_FILE),
      kept: options.traceBasesKept ?? TRACE_BASES_KEPT,
      intervalMs: options.traceBaseIntervalMs ?? TRACE_BASE_INTERVAL_MS,
      logBytes: options.traceBaseLogBytes ?? TRACE_BASE_LOG_BYTES,
      bytesMax: COMMIT_TRACE_IMAGE_BYTES_MAX,
      log: (line) => logFn('trace-bases', line, 'warn'),
      ...(options.faults?.traceBaseUnheld === true ? { unheld: true } : {}),
      ...(options.faults?.traceBaseBatchBehind === true ? { batchBehind: true } : {}),
    })
    const wrapped = options.wrapBatchLog?.(opened.batchLog) ?? opened.batchLog
    const batchLog = bases === null ? wrapped : holdForTraceBases(wrapped, bases)
    const tracer = memory ? null : new CommitTracer({
      log: options.natsLog !== undefined ? { servers: options.natsLog.servers, stream: options.natsLog.stream } : { dir: join(dir, 'log') },
      checkpointFile: join(dir, DATABASE_FILE),
      basesDir: join(dir, TRACE_BASES_DIR),
      partitions: options.partitions ?? DEFAULT_PARTITIONS, runtimes: options.runtimes ?? {},
      ...(options.faults?.commitTraceSkipsBatchPrefix === true ? { skipBatchPrefix: true } : {}),
      ...(options.faults?.commitTraceReadsClock === true ? { readsClock: true } : {}),
    })
    try {
      const engine = await Engine.start({
        batchLog,
        store,
        ...(options.natsLog?.follow === true ? { follow: true } : {}),
        ...(options.natsLog?.followDelayMs !== undefined ? { followDelayMs: options.natsLog.followDelayMs } : {}),
        ...(loaded !== undefined ? { loadedRuntimes: loaded } : {}),
        ...(options.onBatch !== undefined ? { onBatch: options.onBatch } : {}),
        dirtyWritesMax: options.dirtyWritesMax ?? 2 * (options.checkpointWritesMax ?? DEFAULT_CHECKPOINT_WRITES_MAX),
        workers,
        protocol,
        defaultPartitions: options.partitions ?? DEFAULT_PARTITIONS,
        batchTxnsMax: options.batchTxnsMax ?? DEFAULT_BATCH_TXNS_MAX,
        batchIntervalMs: options.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS,
        pendingTxnsMax: options.pendingTxnsMax ?? DEFAULT_PENDING_TXNS_MAX,
        pendingBytesMax: options.pendingBytesMax ?? DEFAULT_PENDING_BYTES_MAX,
        runtimes,
        log: logFn,
        ...(options.faults !== undefined ? { faults: options.faults } : {}),
        ...(options.txnWallMsMax !== undefined ? { txnWallMsMax: options.txnWallMsMax } : {}),
        ...(options.wallClockMs !== undefined ? { wallClockMs: options.wallClockMs } : {}),
        ...(tracer !== null ? { traceCommitted: (at: CommitPosition) => tracer.trace(at) } : {}),
      })
      return new EmbeddedDatabase(engine, lock, tracer, bases)
    } catch (err) {
      await bases?.close()
      await store.close().catch(() => {})
      await batchLog.close().catch(() => {})
      lock?.releaseAfterFailedOpen()
      throw err
    }
  }

  /**
   * Submits any engine transaction; resolves with its outcome (failures included, not thrown). The engine
   * keeps `input` as given (no copy): the methods above copy the caller's values, this one does not.
   */
  submit(input: TxnInput, plan?: Replan, origin?: CallOrigin): Promise<TxnOutcome> {
    if (this.closed) return Promise.reject(this.closedError())
    const started = this.metrics.begin()
    return this.engine.submit(input, plan ?? null, origin).then(
      (o) => { this.metrics.end(started); return o },
      (err: unknown) => { this.metrics.abandon(); throw err },
    )
  }

  // call() is the hot path: one promise on the engine's (no async frames), and no logs array.
  call(fn: string, key: unknown, ...args: unknown[]): Promise<CallResult> {
    let input: TxnInput
    try {
      input = this.callInput(fn, key, args)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.submit(input).then((o) => {
      const { result, commit } = unwrap(o)
      const value = result.value ?? null
      return { value: toClientValue(value), type: valueType(value), commit }
    })
  }

  /** `call`, and the `log()` lines it wrote (CALL … WITH LOGS); a failure's AcheronError carries them in `logs`. */
  async callWithLogs(fn: string, key: unknown, ...args: unknown[]): Promise<LoggedCallResult> {
    const { value, type, commit, logs } = await this.typedCall(fn, key, args, true)
    return { value, type, commit, logs }
  }

  /**
   * `call` and `callWithLogs` (logs an empty array without `withLogs`); the server's `call` op runs this.
   * `origin`: a follower forwarded the call (logged with it, so that the follower can answer it from the stream).
   */
  async typedCall(fn: string, key: unknown, args: readonly unknown[], withLogs: boolean, origin?: CallOrigin): Promise<LoggedCallResult> {
    return callResultOf(await this.submit(this.callInput(fn, key, args), undefined, origin), withLogs)
  }

  /**
   * The calls this node forwards to the writer carry `calls.inbox` as their origin; each batch this node
   * applies gives those in it their outcome (callResultOf makes it what typedCall returns). Null: no longer.
   */
  settleOwnCalls(calls: OwnForwardedCalls | null): void {
    this.engine.settleOwnCalls(calls)
  }

  private callInput(fn: string, key: unknown, args: readonly unknown[]): TxnInput {
    checkCallFunctionName(fn)
    checkKeyGiven(fn, key)
    // Of its final length (an empty array grows to 17 slots at its first push).
    const engineArgs = new Array<SqlValue>(args.length)
    for (let i = 0; i < args.length; i++) engineArgs[i] = toEngineValue(args[i], 'argument', i + 1)
    return { kind: 'call', fn, key: toEngineValue(key, 'key'), args: engineArgs }
  }

  async createFunction(name: string, wasm: Uint8Array, options: FunctionOptions = {}): Promise<CommitResult> {
    checkFunctionOptions(options, ['export', 'fuel', 'memory', 'orReplace', 'runtime'])
    checkCreateFunctionName(name)
    checkFunctionBytes(wasm)
    const fnName = name.split('.')[1] ?? name
    const limits: { fuel?: number; memoryBytes?: number } = {}
    if (options.fuel !== undefined) limits.fuel = options.fuel
    if (options.memory !== undefined) limits.memoryBytes = options.memory
    const { result, commit } = unwrap(await this.submit({
      // A copy: the caller may reuse its array once this returns, before the DDL runs or is logged.
      kind: 'create-function', name, body: wasm.slice(), exportName: options.export ?? fnName,
      runtime: options.runtime ?? 'wasm', limits, orReplace: options.orReplace === true,
    }))
    return { rowsAffected: result.rowsAffected, commit }
  }

  async dropFunction(name: string, ifExists = false): Promise<CommitResult> {
    const { result, commit } = unwrap(await this.submit({ kind: 'drop-function', name, ifExists }))
    return { rowsAffected: result.rowsAffected, commit }
  }

  async createTable(spec: TableSpec): Promise<CommitResult> {
    const keys = spec.columns.filter((c) => c.primaryKey === true)
    if (keys.length !== 1) throw new AcheronError('CONSTRAINT', `table ${spec.name} needs exactly one PRIMARY KEY column, has ${keys.length}`)
    const key = keys[0] as ColumnSpec
    if (key.default !== undefined && key.default !== null) throw new AcheronError('CONSTRAINT', `the primary-key column ${key.name} takes no DEFAULT: every insert gives the key, which places the row`)
    const columns = spec.columns.map((c) => {
      const type = c.type.toUpperCase() as ColumnType
      if (!COLUMN_TYPES.includes(type)) throw new AcheronError('TYPE_MISMATCH', `unknown column type ${c.type}`)
      return { name: c.name, type, notNull: c.notNull === true, default: toEngineValue(c.default ?? null, `default of ${c.name}`) }
    })
    const { result, commit } = unwrap(await this.submit({
      kind: 'create-table', name: spec.name, columns, keyColumn: (keys[0] as ColumnSpec).name,
      partitions: spec.partitions ?? null, ifNotExists: spec.ifNotExists === true,
    }))
    return { rowsAffected: result.rowsAffected, commit }
  }

  async dropTable(name: string, ifExists = false): Promise<CommitResult> {
    const { result, commit } = unwrap(await this.submit({ kind: 'drop-table', name, ifExists }))
    return { rowsAffected: result.rowsAffected, commit }
  }

  /** One transaction inserting every row (arrays in table column order, or `columns` order). */
  async insert(table: string, rows: unknown[][], options: { columns?: string[]; replace?: boolean } = {}): Promise<CommitResult> {
    const { result, commit } = unwrap(await this.submit({
      kind: 'insert', table, columns: options.columns ?? null, replace: options.replace === true,
      rows: rows.map((r) => r.map((v, i) => toEngineValue(v, 'column', i + 1))),
    }))
    return { rowsAffected: result.rowsAffected, commit }
  }

  /** A serializable point read: the row as an object by column name, or null. */
  async get(table: string, key: unknown): Promise<{ row: Record<string, unknown> | null; commit: CommitPosition }> {
    const { result, commit } = unwrap(await this.submit({ kind: 'get', table, key: toEngineValue(key, 'key') }))
    // Named by the columns the read itself saw: a DDL may follow it before this runs.
    const row = result.rows?.[0]
    const columns = result.columns ?? []
    return {
      row: row === undefined ? null : Object.fromEntries(columns.map((name, i) => [name, toClientValue(row[i] as SqlValue)])),
      commit,
    }
  }

  /**
   * Runs a script (CONTRACT.md §3): one result per statement, in order; rejects at the first failure, whose
   * AcheronError carries the results of the statements that completed before it in `results`.
   */
  async sql(script: string, params: unknown[] = []): Promise<StatementResult[]> {
    // Before the script is read: SHOW STATS and the planner read no engine state a closed database has.
    if (this.closed) throw this.closedError()
    const completed: StatementResult[] = []
    try {
      return await executeScript(this.sqlTarget(), script, params, { readFile: readLocalFile, completed })
    } catch (err) {
      if (err instanceof AcheronError && completed.length > 0) err.results = completed
      throw err
    }
  }

  /**
   * One SELECT, SHOW, DESCRIBE, CALL or EXPLAIN: its result set. As on connect()'s client, `Row` types the rows
   * (unchecked) and `{ rows: 'objects' }` gives each row as an object keyed by column name.
   */
  query<Row = unknown[]>(sql: string, params?: unknown[], options?: RemoteQueryOptions & { rows?: 'arrays' }): Promise<RemoteQueryResult<Row>>
  query<Row = ObjectRow>(sql: string, params: unknown[] | undefined, options: RemoteQueryOptions & { rows: 'objects' }): Promise<RemoteQueryResult<Row>>
  query(sql: string, params: unknown[] | undefined, options: RemoteQueryOptions): Promise<RemoteQueryResult<unknown[] | ObjectRow>>
  async query(sql: string, params: unknown[] = [], options: RemoteQueryOptions = {}): Promise<RemoteQueryResult<unknown>> {
    checkRowsOption(options)
    if (this.closed) throw this.closedError()
    const r = await executeQuery(this.sqlTarget(), sql, params, { readFile: readLocalFile })
    return options.rows === 'objects' ? { ...r, rows: objectRows(r.columns, r.rows) } : r
  }

  /**
   * What SQL runs against; a server passes its own gauges for SHOW STATS, and a cluster's node the rows
   * of SHOW CLUSTER (src/cluster/members.ts).
   */
  sqlTarget(server?: ServerGauges, cluster?: ClusterView): SqlTarget {
    return {
      submit: (i, plan) => this.submit(i, plan),
      catalog: () => this.engine.currentCatalog,
      stats: () => ({ rows: this.statsRows(server), lastBatch: this.engine.lastCommittedBatch }),
      ...(cluster === undefined ? {} : {
        cluster: async () => ({ columns: cluster.columns, rows: await cluster.rows(), lastBatch: this.engine.lastCommittedBatch }),
      }),
    }
  }

  /**
   * A follower's read-only query (src/cluster/follower-reads.ts): planned and read on this node's state
   * once it holds the writer's read position (`positions.next()`): exactly that batch's state, at that
   * position, or — when this node had applied past it already — the state it holds, at a seq the writer
   * reserves at that batch. Anything that does not plan to a read-only query throws NeedsWriter, before
   * any of it ran: the request goes to the writer instead.
   */
  async followerRead(script: string, params: readonly unknown[], options: ExecuteOptions, positions: ReadPositionSource): Promise<StatementResult[]> {
    const at = await positions.next()
    const seqAt = (batch: number): Promise<number> => (batch === at.batch ? Promise.resolve(at.seq) : positions.seqAt(batch))
    const started = this.metrics.begin()
    try {
      // Planned and posted synchronously inside atBatch, against the catalog and state of the batch held.
      const results = await this.engine.atBatch(at.batch, () => executeScript(this.followerReadTarget(seqAt), script, params, options))
      this.metrics.end(started)
      return results
    } catch (err) {
      this.metrics.abandon()
      throw err
    }
  }

  /** The SqlTarget of a follower read (followerRead): a read-only query, or NeedsWriter. */
  private followerReadTarget(seqAt: (batch: number) => Promise<number>): SqlTarget {
    return {
      submit: (input, plan) => {
        if (!isReadOnly(input) || input.kind === 'explain-commit' || input.kind === 'explain-logged') return Promise.reject(new NeedsWriter())
        return this.engine.readFollowing(input, plan ?? null, seqAt)
      },
      catalog: () => this.engine.currentCatalog,
    }
  }

  /** Positions for `count` reads a follower answers (Engine.reserveReadPositions); null unless this database writes. */
  reserveReadPositions(count: number, batch?: number): CommitPosition | null {
    return this.engine.reserveReadPositions(count, batch)
  }

  /** The SHOW STATS metrics (docs/sql.md): one [name, value] per metric. */
  statsRows(server?: ServerGauges): StatsRow[] {
    return this.metrics.rows(server)
  }

  /** The latency of every transaction since open (GET /metrics's histogram). */
  latencySinceOpen(): LatencyTotals {
    return this.metrics.latencySinceOpen()
  }

  /** One sample of the metrics' history (GET /stats/history; src/stats/history.ts), labelled `tUnixMs`. */
  statsSample(tUnixMs: number, server?: ServerGauges): HistorySample {
    return this.metrics.sample(tUnixMs, server)
  }

  /** Takes a checkpoint of every released batch now; the log before it may then be dropped. */
  checkpoint(): Promise<void> {
    return this.engine.checkpoint()
  }

  /** Closes pending transactions into a batch now. */
  flush(): void {
    this.engine.flush()
  }

  /** Hash of the whole committed state, once everything submitted so far has run. */
  async digest(): Promise<string> {
    await this.engine.idle()
    return this.engine.digest()
  }

  /**
   * A follower (natsLog.follow) becomes the stream's writer: it applies the rest of the stream, then
   * takes requests. Call it only holding the writer lease (src/cluster/writer-lease.ts).
   */
  promote(): Promise<void> {
    return this.engine.promote()
  }

  /**
   * A follower: resolves when it stopped following, true when it stopped because its directory fell
   * behind the stream's purge (it can go on only from the writer's snapshot: close it and open the
   * directory again following, which takes one), false when it closed or took over.
   */
  fellBehindStream(): Promise<boolean> {
    return this.engine.followEnded()
  }

  /**
   * A writer on a replicated log: resolves (with why) once the log refuses every append for good: another
   * writer appended to the stream (this one is fenced off it), or an entry's fate is unknown. Only closing
   * the database and opening it again (following the stream) gets past it.
   */
  streamRefusesWrites(): Promise<string> {
    return this.engine.logRefusingForGood()
  }

  /** True while this database follows a stream's writer (it takes no requests). */
  get following(): boolean {
    return this.engine.following
  }

  /**
   * The last batch the oldest copy of the checkpoint kept for EXPLAIN COMMIT holds (src/inspect/trace-bases.ts):
   * every position after it can be re-run. Null when none is kept (yet).
   */
  get oldestTraceBase(): number | null {
    return this.bases?.current[0]?.batch ?? null
  }

  /** The last batch released here: durable, executed and replied (a follower: applied). */
  get lastCommittedBatch(): number {
    return this.engine.lastCommittedBatch
  }

  get stats(): Readonly<EngineStats> {
    return this.engine.stats
  }

  /** Observes every batch after it is durable (research and tests). */
  onBatch(listener: ((record: BatchRecord) => void) | null): void {
    this.engine.onBatch = listener
  }

  /**
   * Stops the engine, making durable what it accepted, and releases the data directory. Every call gets the
   * one close under way: a second close() while the first runs resolves only when the database is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce()
    return this.closing
  }

  private async closeOnce(): Promise<void> {
    // The engine refuses new requests at once; EXPLAIN COMMITs under way end with SHUTTING_DOWN. Both are
    // awaited together: an engine that failed while the tracer's threads stopped was a rejection nobody
    // handled yet, which ends a Node process.
    const [tracer, engine] = await Promise.allSettled([this.tracer?.close(), this.engine.close()])
    const [bases] = await Promise.allSettled([this.bases?.close()])
    const failure = [engine, tracer, bases].find((r) => r.status === 'rejected')
    const failed = failure === undefined ? null : failure.reason as unknown
    // Closed either way: the engine refuses everything from its close() on, and a failed close is not
    // undone. Requests got the engine's SHUTTING_DOWN, retryable, for ever, so a loop retrying on
    // `retryable` spun; they get DATABASE_CLOSED, saying why the directory cannot be opened again here.
    this.closed = true
    if (failed === null) {
      this.lock?.release()
      return
    }
    // The lock stays held: what failed (the last checkpoint, the batch log) may not have let go of the
    // directory's files, and a second open() of it in this process must not write beside them.
    this.closeFailure = failed instanceof Error ? failed.message : String(failed)
    // INTERNAL and not retryable whatever failed (a STORAGE_FULL said retryable, and a close() again does
    // nothing): the engine's error as the cause.
    const err = new AcheronError('INTERNAL', `close() failed: ${this.closeFailure}; the database is closed, but its data directory stays held until this process exits (what it acknowledged is in its batch log: opening the directory again recovers it)`)
    Object.defineProperty(err, 'cause', { value: failed, configurable: true, writable: true })
    throw err
  }

  /** Why close() failed, once it did: requests after it say so (closedError). */
  private closeFailure: string | null = null

  /**
   * Why this database cannot serve requests now (GET /readyz), or null when it can: closing or closed, or
   * its engine stopped (a log write whose outcome is unknown, a dead state thread: its next open decides).
   */
  notReadyReason(): string | null {
    if (this.closed) return 'the database is closed'
    if (this.closing !== null) return 'the database is closing'
    const stopped = this.engine.stoppedBy
    return stopped === null ? null : `the engine stopped: ${stopped.message}`
  }

  /**
   * A request after close() finished. The engine's SHUTTING_DOWN is retryable, which a closed database never
   * becomes: a loop retrying on `retryable` (docs/client.md) would spin for ever.
   */
  private closedError(): AcheronError {
    if (this.closeFailure !== null) return new AcheronError('DATABASE_CLOSED', `the database was closed, and its close() failed (${this.closeFailure}): its data directory can be opened again once this process exits`)
    return new AcheronError('DATABASE_CLOSED', 'the database was closed: open() it again to use it')
  }
}

/**
 * The batch log and the state store of a data directory (`<dir>/log/`, `<dir>/acheron.db`, the state
 * on its own thread), or of memory mode (both in memory, the state on the calling thread). `lock` is the
 * one the database releases at its close: none in memory, nor when the caller holds it (`held`).
 */
/**
 * A node's directory, whose batch log is a NATS stream (its mark, NATS_LOG_FILE), is not opened on a log
 * file of its own: that log would start empty beside the stream's (the checkpoint holds only what the
 * stream gave it), its batches would be no node's, and `acheron verify --repair` once rebuilt an empty
 * checkpoint from such a log.
 */
function refuseNatsNodeDir(dir: string): void {
  const mark = readNatsLogMark(dir)
  if (mark === null) return
  const stream = mark.stream === null ? 'a NATS JetStream stream' : `the NATS JetStream stream ${mark.stream}`
  throw new AcheronError('DATA_DIR_UNUSABLE', `${dir} is a cluster node's data directory: its batch log is ${stream} (${join(dir, NATS_LOG_FILE)} says so), not a log file here. Opened without the stream it would start a log of its own, apart from the cluster's. Open it with its stream (acheron serve --log-nats URL,… or --cluster URL,…; open({ natsLog })); to make the directory a database of its own instead, move ${NATS_LOG_FILE} away first`)
}

/**
 * A checkpoint that holds batches in a directory with no `log/`: no log file ever wrote it here (an open
 * makes `log/` before the checkpoint, and drops only segments, never the directory). It is a cluster node's
 * directory from before nodes marked theirs (NATS_LOG_FILE), or one whose `log/` was removed, with what it
 * held after the checkpoint. A log started here would go on apart from the node's stream, and `acheron
 * verify` would take it for the directory's own: refused, as a marked node's directory is.
 */
function refuseCheckpointWithoutLog(dir: string, checkpointFile: string): void {
  const logDir = join(dir, 'log')
  if (existsSync(logDir) || !existsSync(checkpointFile)) return
  const holds = checkpointBatch(checkpointFile)
  if (holds === 0) return
  throw new AcheronError('DATA_DIR_UNUSABLE', `${dir} has a checkpoint of batches up to ${holds} and no batch log (${logDir}): it is a cluster node's data directory, whose log is a NATS JetStream stream (nodes before ${NATS_LOG_FILE} did not say so), or its log/ was removed, and with it any batch after the checkpoint. Opened without a log it would start one of its own. Open a node with its stream (acheron serve --log-nats URL,… or --cluster URL,…; open({ natsLog })); to make the directory a database of its own from this checkpoint, create the empty directory ${logDir} first`)
}

async function openStorage(options: OpenOptions, runtimes: RuntimeModules, log: LogFn, loaded: Awaited<ReturnType<typeof loadRuntimes>> | undefined, held: DirLock | null): Promise<{ batchLog: BatchLog; store: StateStore; lock: DirLock | null }> {
  if (options.memory === true) {
    const policy: CheckpointPolicy = { intervalMs: options.checkpointIntervalMs ?? 0, writesMax: options.checkpointWritesMax ?? DEFAULT_CHECKPOINT_WRITES_MAX }
    const file = new SqliteStateFile(':memory:', 'off', {
      ...(options.faults?.checkpointFirstImage === true ? { firstImageWins: true } : {}),
      ...(options.memoryImage !== undefined ? { image: options.memoryImage } : {}),
    })
    const service = new StateService(file, loaded ?? new Map(), policy, log, options.resultBytesMax)
    return { batchLog: new MemoryBatchLog(), store: new LocalStateStore(service, file.reader()), lock: null }
  }
  const dir = options.dir ?? DEFAULT_DATA_DIR
  if (held !== null) {
    if (held.dir !== dir || !held.held) throw new AcheronError('INTERNAL', `open() of ${dir} was given ${held.held ? `the lock of ${held.dir}` : 'a released lock'}`)
    if (held.uncleanStop) checkPagesAfterUncleanStop(join(dir, DATABASE_FILE), dir, log)
    return { ...(await openLogAndState(dir, options, runtimes, log)), lock: null }
  }
  makeDirectory(dir)
  // Before anything of the directory is read or written: a second opener must not touch the log.
  const lock = DirLock.acquire(dir)
  try {
    if (lock.uncleanStop) checkPagesAfterUncleanStop(join(dir, DATABASE_FILE), dir, log)
    return { ...(await openLogAndState(dir, options, runtimes, log)), lock }
  } catch (err) {
    lock.releaseAfterFailedOpen()
    throw err
  }
}

/**
 * After a stop that was not clean (the last holder left its acheron.pid: kill -9, a crash, a power loss),
 * SQLite's quick_check of every page of the checkpoint, before anything is served: damage a crash left
 * (a disk that lost or tore writes it had acknowledged) is refused at open, naming the file, instead of
 * failing reads later (or answering from a garbled page). Not at every open: it reads the whole file,
 * 0.3 s for a 91 MB checkpoint in the page cache and 2.6 s from disk on this 2-core machine (about 30 s a
 * GB from disk), and a clean stop left nothing half-written (docs/operations.md, "What every open checks").
 */
function checkPagesAfterUncleanStop(file: string, dir: string, log: LogFn): void {
  if (!existsSync(file)) return
  const started = performance.now()
  const found = quickCheck(file)
  if (found.length > 0) throw new DataDirDamagedError(found.slice(0, QUICK_CHECK_LINES_MAX).map((m) => `${file}: SQLite quick_check after an unclean stop: ${m.slice(0, 400)}`), dir)
  log('state', `the last stop was not clean: SQLite's quick_check of ${file} found it sound in ${Math.round(performance.now() - started)} ms`)
}

async function openLogAndState(dir: string, options: OpenOptions, runtimes: RuntimeModules, log: LogFn): Promise<{ batchLog: BatchLog; store: StateStore }> {
  const damaged = fileProblems(dir)
  if (damaged.length > 0) throw new DataDirDamagedError(damaged, dir)
  const sync = options.sync ?? 'full'
  const crash = crashPoints(options.crashAt)
  let batchLog: BatchLog
  if (options.natsLog !== undefined) {
    const n = options.natsLog
    // Loaded only here: a database without a NATS log never loads the NATS client.
    const { JetStreamBatchLog, LOG_STREAM_DEFAULT } = await import('./log/jetstream-log.js')
    const stream = await JetStreamBatchLog.open({
      servers: n.servers, crash,
      ...(options.pauseAt !== undefined ? { pauseAt: options.pauseAt } : {}),
      ...(n.stream !== undefined ? { stream: n.stream } : {}),
      ...(n.replicas !== undefined ? { replicas: n.replicas } : {}),
      ...(n.batchesKept !== undefined ? { batchesKept: n.batchesKept } : {}),
      ...(n.appendTimeoutMs !== undefined ? { appendTimeoutMs: n.appendTimeoutMs } : {}),
      ...(n.follow === true ? { follower: true } : {}),
      ...(n.sharePhase1 === true ? { sharePhase1: true } : {}),
      ...(options.faults?.followerAppliesVoided === true ? { applyVoided: true } : {}),
      ...(options.faults?.followerAdoptsNewest === true ? { adoptNewest: true } : {}),
      ...(options.faults?.snapshotPurgeUnheld === true ? { purgeUnheld: true } : {}),
      ...(options.faults?.followerJoinsUnheld === true ? { joinUnheld: true } : {}),
      ...(options.faults?.fencedAppendAcked === true ? { fencedAppendAcked: true } : {}),
      ...(options.storageBytesMax !== undefined ? { bytesMax: options.storageBytesMax } : {}),
    })
    const checkpointFile = join(dir, DATABASE_FILE)
    try {
      // Once the stream answered: nothing else in the directory would say its log is there (verify --repair).
      markNatsLog(dir, { stream: n.stream ?? LOG_STREAM_DEFAULT })
      // A follower asks the writer to hold the batches after its state until it caught up (a purge
      // between its open and its first read would otherwise take them). On a new directory, against a
      // stream whose first batches were purged, it starts from the writer's snapshot instead. (A writer
      // on a new directory has no one to ask: recovery refuses the gap.)
      const fresh = !existsSync(checkpointFile)
      const holds = fresh ? 0 : checkpointBatch(checkpointFile)
      const held = n.follow === true ? await stream.holdAfter(holds) : null
      const fromSnapshot = async (why: string): Promise<void> => {
        const batch = await stream.fetchSnapshot(checkpointFile, n.snapshotTimeoutMs, (line) => log('snapshot', line), options.faults?.snapshotKeepsOldWal === true)
        if (options.faults?.snapshotResumesLate === true) rewriteCheckpointBatch(checkpointFile, batch + 1)
        log('snapshot', `${why}: started from the writer's snapshot, which holds batches up to ${batch}`)
      }
      if (n.follow === true && (n.behind === true || (!fresh && held === false))) {
        // A follower whose directory fell behind the purge (stopped, or too slow, for longer than the
        // writer keeps batches): its state is a prefix of the stream's, so the writer's newer one replaces
        // it whole, and nothing the stream holds is lost.
        const why = `this directory's checkpoint holds batches up to ${holds}, and the stream no longer holds the next`
        log('snapshot', `${why}: replacing it with the writer's snapshot`, 'warn')
        await fromSnapshot(why)
      } else if (n.follow === true && fresh) {
        if (held === false || (held === null && await stream.purgedFront())) {
          log('snapshot', `the stream's first batches were purged: asking the writer for a snapshot`)
          await fromSnapshot(`the stream's first batches were purged`)
        } else log('snapshot', `the stream starts at its first batch: this new node reads it from there`)
      }
    } catch (err) {
      await stream.close()
      throw err
    }
    const { copyCheckpoint } = await import('./cluster/checkpoint-copy.js')
    stream.serveSnapshots(checkpointFile, copyCheckpoint)
    batchLog = stream
  } else {
    refuseNatsNodeDir(dir)
    // A checkpoint a newer acheron wrote is refused before the log's open could cut anything of its log.
    const checkpointFile = join(dir, DATABASE_FILE)
    refuseNewerCheckpoint(checkpointFile)
    refuseCheckpointWithoutLog(dir, checkpointFile)
    // A damaged segment is damage like any other: the operator gets the same refusal and what to do.
    // Unless it holds only batches the checkpoint holds: recovery does not need it (warned below).
    const fileLog = await FileBatchLog.open({
      dir: join(dir, 'log'), sync, crash,
      checkpointBatch: existsSync(checkpointFile) ? checkpointBatch(checkpointFile) : 0,
      ...(options.logSegmentBytesMax !== undefined ? { segmentBytesMax: options.logSegmentBytesMax } : {}),
      ...(options.logSegmentsKept !== undefined ? { segmentsKept: options.logSegmentsKept } : {}),
      ...(options.storageBytesMax !== undefined ? { bytesMax: options.storageBytesMax } : {}),
      ...(options.faults?.preallocateOverEntries === true ? { preallocateOverEntries: true } : {}),
    }).catch((err: unknown) => { throw err instanceof LogCorruptError ? new DataDirDamagedError([err.message], dir) : err })
    if (fileLog.cutTail !== null) {
      const c = fileLog.cutTail
      log('log', `cut a tail of ${c.bytes} bytes at byte ${c.offset} of ${c.file} that is no whole entry: a write the last run did not finish, or, if it did not crash, a last entry the disk damaged (its batch may have been acknowledged; the checksum cannot tell). Its bytes are kept in ${c.keptIn}`, 'warn')
    }
    for (const d of fileLog.damagedUnneeded) {
      log('log', `${d.damage.message}; it holds only batches before ${d.beforeBatch}, which the checkpoint holds, so recovery does not need it: started without it. It is left in place: run acheron verify --data ${dir}, then move it away (docs/operations.md, "Full disks and damaged data directories")`, 'warn')
    }
    batchLog = fileLog
  }
  const policy: CheckpointPolicy = { intervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, writesMax: options.checkpointWritesMax ?? DEFAULT_CHECKPOINT_WRITES_MAX }
  const store = new ThreadStateStore({
    file: join(dir, DATABASE_FILE), sync, runtimes, policy,
    ...(options.checkpointBytesMax !== undefined ? { storageBytesMax: options.checkpointBytesMax } : {}),
    ...(options.resultBytesMax !== undefined ? { resultBytesMax: options.resultBytesMax } : {}),
    ...(options.crashAt !== undefined ? { crashAt: options.crashAt } : {}),
    ...(options.faults?.checkpointFirstImage === true ? { firstImageWins: true } : {}),
    ...(options.checkpointAtClose === false ? { checkpointAtClose: false } : {}),
  }, log)
  return { batchLog, store }
}

export function open(options: OpenOptions = {}): Promise<EmbeddedDatabase> {
  return EmbeddedDatabase.open(options)
}

/**
 * open() of `options.dir` under `lock`, the directory's lock the caller took and keeps after this
 * database's close(): `acheron verify --repair` holds one lock from its check through the rebuild to
 * the check after, where releasing it between the steps let another process open the directory.
 */
export function openHoldingLock(options: OpenOptions & { dir: string }, lock: DirLock): Promise<EmbeddedDatabase> {
  return EmbeddedDatabase.open(options, lock)
}
