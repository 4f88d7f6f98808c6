import { Worker } from 'node:worker_threads'
import { encodeRowWrites } from '../codec/row-writes.js'
import type { BaseSnapshot, ReleasedEffects, StoredState } from '../storage/state-file.js'
import { SqliteSnapshotReader, type ReaderFaults } from '../storage/sqlite-reader.js'
import type { Row } from '../values.js'
import type { LogFn } from './execution-host.js'
import { WORKER_YOUNG_GENERATION_MB } from './worker-pool.js'
import type { Checkpointed, StateRun, StateTxn } from './state-service.js'
import type { StateStore } from './state-store.js'
import type { StateThreadInit, StateThreadReply, StateThreadRequest } from './state-thread-protocol.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/**
 * Released batches' effects go to the state thread in groups: each is held here up to
 * STATE_APPLY_DEFER_MS (or STATE_APPLIES_DEFERRED_MAX of them), and any request (a query, a digest, a
 * checkpoint) posts them first, so it still sees every batch released before it. With small batches
 * this wakes the state thread once per interval instead of once per batch; checkpoints, which lag by
 * design, lag by at most this much more.
 */
export const STATE_APPLY_DEFER_MS = 5
export const STATE_APPLIES_DEFERRED_MAX = 64

/**
 * The state of a data directory, owned by the state thread: checkpoints, queries and scans run there,
 * never on the thread that serves clients. Messages keep their order, so a run sees exactly the
 * batches applied before it. If the thread fails, every call fails from then on (`failure`): the
 * engine stops rather than go on without its state.
 */
export class ThreadStateStore implements StateStore {
  private readonly worker: Worker
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private nextId = 1
  private readonly ready: Promise<void>
  /** Applies not posted yet, oldest first, and the timer that posts them. */
  private readonly deferred: StateThreadRequest[] = []
  private deferTimer: NodeJS.Timeout | null = null
  failure: Error | null = null
  onCheckpoint: ((c: Checkpointed) => void) | null = null
  /** Called once if the state thread fails. */
  onFailure: ((e: Error) => void) | null = null

  constructor(private readonly init: StateThreadInit, private readonly log: LogFn) {
    this.worker = new Worker(new URL('./state-thread.js', import.meta.url), {
      workerData: init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    })
    let markReady!: () => void
    // A thread that fails before it is ready (its SQLite file cannot be opened) fails `load` with why,
    // instead of leaving it waiting on a thread that is gone.
    this.ready = new Promise((resolve, reject) => { markReady = resolve; this.failReady = reject })
    this.ready.catch(() => {})
    this.worker.on('message', (m: StateThreadReply) => {
      if ('event' in m) {
        if (m.event === 'ready') markReady()
        else if (m.event === 'checkpointed') this.onCheckpoint?.(m.checkpoint)
        else if (m.event === 'log') this.log(m.fn, m.message, m.kind)
        else this.fail(new Error(`the state thread failed: ${m.message}`))
        return
      }
      const p = this.pending.get(m.id)
      if (p === undefined) return
      this.pending.delete(m.id)
      if (m.ok) p.resolve(m.value)
      else p.reject(new Error(`the state thread failed: ${m.error}`))
    })
    this.worker.on('error', (err) => this.fail(err instanceof Error ? err : new Error(describeThrown(err))))
    this.worker.on('exit', (code) => { if (this.failure === null && !this.closed) this.fail(new Error(`the state thread exited with code ${code}`)) })
  }

  private closed = false

  private failReady: (err: Error) => void = () => {}

  private fail(err: Error): void {
    if (this.failure !== null) return
    this.failure = err
    this.failReady(err)
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    this.onFailure?.(err)
  }

  private request<T>(req: DistributiveOmit<Extract<StateThreadRequest, { id: number }>, 'id'>): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.postDeferred()
      this.worker.postMessage({ ...req, id })
    })
  }

  get readerFile(): string {
    return this.init.file
  }

  async load(): Promise<StoredState> {
    await this.ready
    return this.request<StoredState>({ op: 'load' })
  }

  apply(e: ReleasedEffects, encodedWrites: Uint8Array | null): void {
    if (this.failure !== null) return
    const writes = encodedWrites ?? encodeRowWrites(e.writes)
    const msg: StateThreadRequest = { op: 'apply', batch: e.batch, nextTxnId: e.nextTxnId, txnCount: e.txnCount, timeMs: e.timeMs, writes, ...(e.change !== undefined ? { change: e.change } : {}) }
    this.deferred.push(msg)
    if (e.change !== undefined || this.deferred.length >= STATE_APPLIES_DEFERRED_MAX) this.postDeferred()
    else if (this.deferTimer === null) {
      this.deferTimer = setTimeout(() => { this.deferTimer = null; this.postDeferred() }, STATE_APPLY_DEFER_MS)
      this.deferTimer.unref()
    }
  }

  private postDeferred(): void {
    if (this.deferTimer !== null) { clearTimeout(this.deferTimer); this.deferTimer = null }
    if (this.failure === null) for (const m of this.deferred) this.worker.postMessage(m)
    this.deferred.length = 0
  }

  run(txn: StateTxn, timeMs: number): Promise<StateRun> {
    return this.request<StateRun>({ op: 'run', txn, timeMs })
  }

  digest(): Promise<string> {
    return this.request<string>({ op: 'digest' })
  }

  scanTable(name: string): Promise<Row[]> {
    return this.request<Row[]>({ op: 'scan', table: name })
  }

  async checkpoint(): Promise<void> {
    await this.request<null>({ op: 'checkpoint' })
  }

  localReader(faults: ReaderFaults = {}): BaseSnapshot {
    return new SqliteSnapshotReader(this.init.file, faults)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.failure === null) await this.request<null>({ op: 'close' }).catch(() => {})
    await this.worker.terminate()
  }
}

/** What a thread threw that is not an Error here (an error object crosses threads without its class). */
function describeThrown(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const o = err as { message?: unknown; code?: unknown }
    if (typeof o.message === 'string') return typeof o.code === 'string' ? `${o.code}: ${o.message}` : o.message
    if (typeof o.code === 'string') return o.code
  }
  return String(err)
}
