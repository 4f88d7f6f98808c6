/**
 * The owner of the checkpoint file: it takes every released batch's effects in order, checkpoints them
 * off the critical path, and answers what needs the whole state at one position — queries and scans
 * (SELECT without a key, UPDATE/DELETE over all partitions, BEGIN … COMMIT holding them), digests and
 * table scans. It runs on the state thread (src/txn/state-thread.ts) for a data directory, or on the
 * coordinator's thread in memory mode; either way one at a time, in the order the coordinator sent.
 */
import Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'
import { queryFailure } from '../storage/query-failure.js'
import { Catalog, visibleColumns, type CatalogData, type RuntimeKind } from '../schema/catalog.js'
import { modulesToSend, type FunctionRuntime } from '../schema/function-runtime.js'
import type { RowWrite } from '../schema/rows.js'
import { damagedCheckpointMessage, isSqliteDamage } from '../storage/damage.js'
import { stateDigest } from '../storage/digest.js'
import { SqliteStateFile, type ReleasedEffects, type StoredState } from '../storage/state-file.js'
import type { Row, SqlValue } from '../values.js'
import { ExecutionHost, type LogFn } from './execution-host.js'
import { runExclusiveTxn } from './exclusive-txns.js'
import { failureOf } from './failure.js'
import { RateLimitedLog } from './rate-limited-log.js'
import type { ExclusiveMultiTxn, ExplainCallTxn, ExplainLoggedTxn, ScanTxn, SelectTxn, TxnFailure, TxnResult } from './types.js'

/** Transactions the state thread runs: queries (read-only) and scans (their writes go through the log). */
export type StateTxn = SelectTxn | ScanTxn | ExclusiveMultiTxn | ExplainCallTxn | ExplainLoggedTxn

export type StateRun =
  | { readonly ok: true; readonly result: TxnResult; readonly writes: readonly RowWrite[] }
  /**
   * `environment`: the failure is the environment's (a damaged checkpoint), not the transaction's: it has
   * no position, and a scan that meets it is voided like a batch whose worker died (a replay on a sound
   * file would not fail).
   */
  | { readonly ok: false; readonly failure: TxnFailure; readonly environment?: true }

export interface CheckpointPolicy {
  /** A checkpoint is taken this long after the first effect it would hold; 0: after every batch. */
  readonly intervalMs: number
  /** ...or as soon as this many row writes wait for one. */
  readonly writesMax: number
}

export { RESULT_BYTES_MAX } from './result-bytes.js'
import { RESULT_BYTES_MAX } from './result-bytes.js'

export interface Checkpointed {
  /** The last batch the checkpoint holds. */
  readonly batch: number
  /** Survives a power loss (the WAL was synced): the log before it may be dropped. */
  readonly durable: boolean
  /** Milliseconds the checkpoint took (flush, commit, WAL sync). */
  readonly ms: number
  readonly writes: number
  /** Set when this checkpoint failed (nothing of it committed; it is retried): why, and whether the disk was full. */
  readonly failed?: { readonly message: string; readonly full: boolean }
}

/** SQLite result codes of the environment (the disk, the file, memory), never of the statement. */
const ENVIRONMENT_ERRORS = /^SQLITE_(IOERR|FULL|CORRUPT|NOMEM|CANTOPEN|NOTADB|READONLY|BUSY|LOCKED|PROTOCOL)/

/** SQLite refused a write for want of space (a full disk, or the file's page cap). */
export function isStorageFull(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code === 'SQLITE_FULL'
}

export class StateService {
  private catalog = Catalog.empty()
  private readonly modules = new Map<string, Uint8Array>()
  private host: ExecutionHost | null = null
  private hostModules = new Set<string>()
  /** Compiled forms of modules added since the execution host last took its catalog (it adopts them). */
  private readonly prepared = new Map<string, unknown>()
  private timer: NodeJS.Timeout | null = null
  private failedCheckpoints = 0
  private readonly failureLog: RateLimitedLog

  constructor(
    private readonly file: SqliteStateFile,
    private readonly runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>,
    private readonly policy: CheckpointPolicy,
    private readonly log: LogFn,
    /** A read's result beyond this many bytes fails with PAYLOAD_TOO_LARGE. */
    private readonly resultBytesMax = RESULT_BYTES_MAX,
  ) {
    this.failureLog = new RateLimitedLog((m) => this.log('state', m, 'error'))
  }

  /** Told of every checkpoint (the coordinator drops the log before a durable one). */
  onCheckpoint: ((c: Checkpointed) => void) | null = null

  load(): StoredState {
    const state = this.file.load()
    this.catalog = new Catalog(state.catalog)
    for (const [h, b] of state.modules) this.modules.set(h, b)
    return state
  }

  apply(e: ReleasedEffects): void {
    this.file.apply(e)
    if (e.change !== undefined) {
      this.catalog = new Catalog(e.change.catalog)
      for (const [h, b, form] of e.change.addedModules ?? []) {
        this.modules.set(h, b)
        if (form !== undefined) this.prepared.set(h, form)
      }
      for (const h of e.change.removedModules ?? []) {
        this.modules.delete(h)
        this.prepared.delete(h)
      }
    }
    if (this.policy.intervalMs === 0 || this.file.uncommittedWrites >= this.policy.writesMax) this.checkpoint()
    else if (this.timer === null) this.timer = setTimeout(() => { this.timer = null; this.checkpoint() }, this.policy.intervalMs)
  }

  /** Commits what waits, syncs it, and reports it; a failure (a full disk) is logged and retried later. */
  checkpoint(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null }
    if (this.file.appliedBatch === this.file.checkpointBatch && this.file.uncommittedWrites === 0) return
    const started = performance.now()
    const writes = this.file.uncommittedWrites
    try {
      const batch = this.file.checkpoint(true)
      if (this.failedCheckpoints > 0) this.log('state', `checkpoint at batch ${batch} succeeded after ${this.failedCheckpoints} failed attempts`)
      this.failedCheckpoints = 0
      this.failureLog.reset()
      this.onCheckpoint?.({ batch, durable: true, ms: performance.now() - started, writes })
    } catch (err) {
      this.failedCheckpoints++
      const message = isSqliteDamage(err) ? damagedCheckpointMessage(this.file.file, err) : err instanceof Error ? err.message : String(err)
      this.onCheckpoint?.({ batch: this.file.checkpointBatch, durable: false, ms: performance.now() - started, writes, failed: { message, full: isStorageFull(err) } })
      this.failureLog.log(`checkpoint failed (${this.failedCheckpoints} in a row; the log keeps everything, retrying): ${message}`)
      this.timer = setTimeout(() => { this.timer = null; this.checkpoint() }, Math.max(50, this.policy.intervalMs))
    }
  }

  /**
   * Executes a transaction over exactly the applied state, its clocks reading `timeMs` (its batch's
   * time, or a query's read time). Its writes, if any, are the caller's to log and release.
   */
  run(txn: StateTxn, timeMs: number): StateRun {
    try {
      this.file.clockMs = timeMs
      const run = runExclusiveTxn(this.catalog, this.file, () => this.executionHost(), txn, timeMs, this.resultBytesMax)
      return { ok: true, result: run.result, writes: run.writes }
    } catch (err) {
      if (err instanceof AcheronError) {
        return { ok: false, failure: failureOf(err) }
      }
      // The released writes could not be flushed under the query (a full disk): no outcome, retryable.
      if (isSqliteDamage(err)) {
        const message = damagedCheckpointMessage(this.file.file, err)
        // The stack too, for whoever reports it: SQLite's error says where it met the page.
        this.failureLog.log(`${message}: ${err.stack ?? err.message}`)
        return { ok: false, failure: { code: 'INTERNAL', message }, environment: true }
      }
      if (isStorageFull(err)) return { ok: false, failure: { code: 'STORAGE_FULL', message: `not answered: the checkpoint file has no room for the writes this query must see (${(err as Error).message}); retry once space returns` } }
      // SQLite's own refusals of a query (an integer overflow in SUM, say) are the query's failure; its
      // environment's (I/O, a damaged file, no memory) are not an outcome a replay could reproduce.
      if (err instanceof Database.SqliteError && !ENVIRONMENT_ERRORS.test(err.code)) return { ok: false, failure: failureOf(queryFailure(err)) }
      throw err
    }
  }

  private executionHost(): ExecutionHost {
    this.file.flush()
    this.host ??= new ExecutionHost(this.file.reader(), this.runtimes)
    if (this.host.catalogVersion !== this.catalog.version || this.hostModules.size !== this.modules.size) {
      const fresh = modulesToSend(this.hostModules, this.modules)
      this.host.setCatalog(this.catalog.data, fresh.map(([h, b]) => [h, b, this.prepared.get(h)]))
      this.prepared.clear()
    }
    return this.host
  }

  digest(): string {
    return stateDigest(this.catalog.data, (t) => this.file.scanTable(t))
  }

  /** Every row of a table, in key order, with the columns statements see (the digest hashes whole rows). */
  scanTable(name: string): Row[] {
    const table = this.catalog.table(name)
    const rows = this.file.scanTable(table)
    if (table.columns.every((c) => c.dropped !== true)) return rows
    const places = visibleColumns(table).map((c) => c.place)
    return rows.map((r) => places.map((p) => r[p] as SqlValue))
  }

  get appliedCatalog(): CatalogData {
    return this.catalog.data
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.host?.close()
    const held = this.file.checkpointBatch
    const applied = this.file.appliedBatch
    const failed = this.file.close()
    // A stop said nothing of it, and the next start's replay of batches (after "a clean stop replays
    // nothing", docs/operations.md) came unexplained.
    if (failed !== null) this.log('state', `the checkpoint at close failed (${failed}): nothing is lost, the log holds every batch after the checkpoint; the next start replays batches ${held + 1} to ${applied} from it`, 'warn')
  }
}
