import { Worker } from 'node:worker_threads'
import type { CatalogData } from '../schema/catalog.js'
import { modulesToSend } from '../schema/function-runtime.js'
import type { RowWrite } from '../schema/rows.js'
import type { EncodedBatch } from './batch-codec.js'
import type { LogFn } from './execution-host.js'
import { decodeExecutions, decodeWalkResult, encodeWalkTask, type ExecutionsWire, type WalkResultWire } from './execution-codec.js'
import type { EngineExecutor, PreparedFormOf } from './executor.js'
import type { Execution, SequencedTxn } from './types.js'
import type { WalkResult, WalkTask } from './walk.js'
import type { TablesChanged, WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js'

/**
 * The young generation of an execution worker's heap. Every transaction allocates short-lived objects
 * (its state, its rows, the wire form of its execution); V8's default young generation (16 MiB
 * semi-spaces) promotes many of them and leaves the GC threads a quarter of the engine's CPU. Measured
 * in docs/benchmarks.md.
 */
export const WORKER_YOUNG_GENERATION_MB = 96

/**
 * Default wall-clock bound on one transaction's execution in a worker (`txnWallMsMax`), the last line of
 * defence behind fuel (which bounds instructions and bytes, not time: a unit of a host call costs more than
 * one of `i32.add`). A worker whose progress counter has not moved for this long while it owes replies is
 * terminated; its requests fail, so its batch is voided (INTERNAL, retryable, no position) exactly like a
 * batch whose worker died, and the worker is replaced from a fresh checkpoint. Time never decides an
 * outcome: a voided batch is no outcome, and replay skips it.
 */
export const TXN_WALL_MS_MAX = 5_000

/** How often the watchdog looks at the workers (ms), at most; a quarter of the bound when that is shorter. */
const WATCHDOG_INTERVAL_MS_MAX = 250

/**
 * The most one look of the watchdog counts against a worker (ms). A look that comes later than this after
 * the one before means the process did not run meanwhile (stopped by SIGSTOP, a VM paused, its main thread
 * stalled): the worker could not run either, so that time is not its transaction's. Counted whole, a
 * process paused for longer than txnWallMsMax voided the batch in flight the moment it was resumed
 * (`acheron check --cluster`, whose writer pauses at its log write: the fail-over it checks never came).
 */
export const WATCHDOG_LOOK_MS_MAX = 1_000

/** Phase-1 transactions per worker message below which splitting costs more than it saves. */
const SNAPSHOT_CHUNK_TXNS_MIN = 16

/**
 * Releases held back for a worker before they are posted. A worker needs a release only before its
 * next request, so releases wait in `deferred` and go out just ahead of that request: with small
 * batches (few clients, one worker gets each batch) the other worker is not woken once per batch, and
 * the one that runs the next batch is woken once for the release and the request together. Beyond this
 * many, they are posted anyway (the buffers they hold stay bounded).
 */
export const DEFERRED_RELEASES_MAX = 64

type OrderedMessage = Extract<WorkerRequest, { seq: 0 }>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

interface Slot {
  worker: Worker
  ready: Promise<void>
  failed: Error | null
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>
  /** Module hashes this worker has been sent. */
  modules: Set<string>
  /** While a replacement comes up: the ordered messages it must get, in order. */
  outbox: OrderedMessage[] | null
  /** Ordered messages not posted yet: they go out before the next request (DEFERRED_RELEASES_MAX). */
  deferred: OrderedMessage[]
  /** Fails the slot: its pending requests reject with `err`. */
  fail: (err: Error) => void
  /**
   * The worker's progress counter (WorkerInit.progress), its value when last seen to move, and how long
   * the watchdog has seen it owe replies since without moving (each look counting WATCHDOG_LOOK_MS_MAX at most).
   */
  progress: Int32Array
  progressSeen: number
  waitedMs: number
}

/** Where transaction `id` is in a batch's body, or -1. */
function indexIn(batch: EncodedBatch | null, id: number): number {
  if (batch === null) return -1
  const i = id - batch.firstTxnId
  return i >= 0 && i < batch.offsets.length ? i : -1
}

/**
 * Execution on `worker_threads`. Each worker reads the checkpoint through its own read-only connection,
 * with the released batches' writes laid over it (the coordinator posts them, and catalog changes, to
 * every worker in order). Which worker runs what affects only speed: phase-1 executions are
 * independent, and walks are whole components.
 *
 * A worker that dies fails the requests it had. Its replacement starts from a fresh checkpoint (the
 * state thread commits every release posted before the replacement began) and receives, in order,
 * everything posted since.
 */
export class WorkerPool implements EngineExecutor {
  private readonly slots: Slot[] = []
  private seq = 1
  private catalog: CatalogData = { version: 0, tables: [], functions: [] }
  private modules: ReadonlyMap<string, Uint8Array> = new Map()
  private preparedForm: PreparedFormOf = () => undefined
  private closed = false

  constructor(
    size: number,
    private readonly init: Omit<WorkerInit, 'progress'>,
    private readonly log: LogFn,
    /** Resolves once a checkpoint holds every batch released so far. */
    private readonly checkpointNow: () => Promise<void>,
    /** TXN_WALL_MS_MAX unless a test or an operator sets it. */
    private readonly txnWallMsMax = TXN_WALL_MS_MAX,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn())
    this.watchdog = setInterval(() => this.watch(), Math.max(1, Math.min(WATCHDOG_INTERVAL_MS_MAX, Math.floor(txnWallMsMax / 4))))
    this.watchdog.unref()
  }

  /** When the watchdog last looked. */
  private lookedAt = performance.now()

  private readonly watchdog: ReturnType<typeof setInterval>
  private watchdogOn = true

  enforceWallClock(on: boolean): void {
    this.watchdogOn = on
  }

  /** Terminates a worker that owes replies and has executed no transaction for txnWallMsMax. */
  private watch(): void {
    const now = performance.now()
    const counted = Math.min(now - this.lookedAt, WATCHDOG_LOOK_MS_MAX)
    this.lookedAt = now
    for (const slot of this.slots) {
      const seen = Atomics.load(slot.progress, 0)
      if (slot.pending.size === 0 || seen !== slot.progressSeen || Atomics.load(slot.progress, 1) !== 0) {
        slot.progressSeen = seen
        slot.waitedMs = 0
        continue
      }
      slot.waitedMs += counted
      if (!this.watchdogOn || slot.failed !== null || slot.waitedMs <= this.txnWallMsMax) continue
      const ms = Math.round(slot.waitedMs)
      this.log('engine', `execution worker terminated: one transaction ran ${ms} ms, above txnWallMsMax (${this.txnWallMsMax} ms)`, 'warn')
      slot.fail(new Error(`execution worker terminated by the watchdog: one transaction ran longer than txnWallMsMax (${this.txnWallMsMax} ms)`))
      void slot.worker.terminate()
    }
  }

  private spawn(): Slot {
    const progress = new SharedArrayBuffer(8)
    Atomics.store(new Int32Array(progress), 1, 1) // starting up: not timed until the worker clears it
    const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
      workerData: { ...this.init, progress } satisfies WorkerInit, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    })
    let markReady!: () => void
    let markFailed!: (e: Error) => void
    const slot: Slot = {
      worker,
      ready: new Promise<void>((res, rej) => { markReady = res; markFailed = rej }),
      failed: null,
      pending: new Map(),
      modules: new Set(),
      outbox: null,
      deferred: [],
      fail: () => {},
      progress: new Int32Array(progress),
      progressSeen: 0,
      waitedMs: 0,
    }
    slot.ready.catch(() => {})
    worker.on('message', (msg: WorkerReply) => {
      if (msg.seq === 0 && 'ready' in msg) return markReady()
      const p = slot.pending.get(msg.seq)
      if (p === undefined) return
      slot.pending.delete(msg.seq)
      slot.waitedMs = 0
      if ('ok' in msg && msg.ok) p.resolve(msg.value)
      else if ('error' in msg) p.reject(workerError(msg.error, msg.stack))
    })
    const fail = (err: Error) => {
      if (slot.failed !== null) return
      slot.failed = err
      markFailed(err)
      for (const p of slot.pending.values()) p.reject(err)
      slot.pending.clear()
    }
    slot.fail = fail
    worker.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))))
    worker.on('exit', (code) => { if (!this.closed) fail(new Error(`execution worker exited with code ${code}`)) })
    return slot
  }

  /**
   * Posts an ordered message (catalog change, release) to a slot, or keeps it for its replacement. A
   * release may wait in `deferred` until the slot's next request (DEFERRED_RELEASES_MAX); a catalog
   * change goes at once, so that the worker adopts and warms new modules before they are called.
   */
  private post(slot: Slot, msg: OrderedMessage): void {
    if (slot.outbox !== null) slot.outbox.push(msg)
    else if (slot.failed === null) {
      slot.deferred.push(msg)
      if (msg.op !== 'release' || slot.deferred.length >= DEFERRED_RELEASES_MAX) this.postDeferred(slot)
    }
  }

  private postDeferred(slot: Slot): void {
    for (const m of slot.deferred) slot.worker.postMessage(m)
    slot.deferred.length = 0
  }

  private catalogMessage(slot: Slot, changed: TablesChanged | null): OrderedMessage {
    return { seq: 0, op: 'catalog', data: this.catalog, modules: this.freshModules(slot), changed }
  }

  /** The modules a slot's worker has not been sent yet, with their compiled forms where there are some. */
  private freshModules(slot: Slot): [string, Uint8Array, unknown][] {
    return modulesToSend(slot.modules, this.modules).map(([h, b]) => [h, b, this.preparedForm(h)])
  }

  /** Slot i, ready to take a request; a dead worker is replaced first. */
  private async slot(i: number): Promise<Slot> {
    let slot = this.slots[i] as Slot
    if (slot.failed !== null && slot.outbox === null) {
      void slot.worker.terminate()
      slot = this.replace(i)
    }
    await slot.ready
    return slot
  }

  private replace(i: number): Slot {
    // From here on, ordered messages wait in the outbox; everything released before (posted to the dead
    // worker or still deferred for it) is in the checkpoint: the state store had it first.
    const outbox: OrderedMessage[] = []
    const catalog = this.catalog
    const checkpointed = this.checkpointNow()
    const slot = this.spawn()
    slot.outbox = outbox
    this.slots[i] = slot
    const ready = slot.ready
    slot.ready = (async () => {
      await checkpointed
      await ready
      slot.worker.postMessage({ seq: 0, op: 'catalog', data: catalog, modules: this.freshModules(slot), changed: null } satisfies OrderedMessage)
      for (const m of outbox) slot.worker.postMessage(m)
      slot.outbox = null
    })()
    slot.ready.catch((err: unknown) => { slot.failed ??= err instanceof Error ? err : new Error(String(err)) })
    return slot
  }

  private async request<T>(i: number, req: DistributiveOmit<Extract<WorkerRequest, { op: 'snapshot' | 'walks' }>, 'seq'>): Promise<T> {
    const slot = this.slots[i] as Slot
    const s = slot.failed === null && slot.outbox === null ? slot : await this.slot(i)
    if (s.failed !== null) throw s.failed
    const seq = this.seq++
    return new Promise<T>((resolve, reject) => {
      if (s.pending.size === 0) s.waitedMs = 0
      s.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject })
      this.postDeferred(s)
      s.worker.postMessage({ ...req, seq })
    })
  }

  async setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>, changed: TablesChanged | null, preparedForm?: PreparedFormOf): Promise<void> {
    this.catalog = data
    this.modules = modules
    if (preparedForm !== undefined) this.preparedForm = preparedForm
    for (const slot of this.slots) this.post(slot, this.catalogMessage(slot, changed))
  }

  release(batch: number, _writes: readonly RowWrite[], encoded: Uint8Array): void {
    for (const slot of this.slots) this.post(slot, { seq: 0, op: 'release', batch, writes: encoded })
  }

  runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]> {
    return this.runOnSnapshotOf(null, txns)
  }

  runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    return this.runWalksOf(null, tasks)
  }

  async runOnSnapshotOf(batch: EncodedBatch | null, txns: readonly SequencedTxn[]): Promise<Execution[]> {
    const chunks = Math.max(1, Math.min(this.slots.length, Math.ceil(txns.length / SNAPSHOT_CHUNK_TXNS_MIN)))
    const size = Math.ceil(txns.length / chunks)
    // The batch's own transactions, in order, go as a range of its shared body: the workers decode them.
    const first = txns.length > 0 ? indexIn(batch, (txns[0] as SequencedTxn).id) : -1
    const inBody = first >= 0 && indexIn(batch, (txns[txns.length - 1] as SequencedTxn).id) === first + txns.length - 1
    const parts = await Promise.all(
      Array.from({ length: chunks }, async (_, i) => {
        const from = i * size
        const to = Math.min(txns.length, (i + 1) * size)
        const req = inBody
          ? { op: 'snapshot' as const, batch, from: first + from, to: first + to, txns: null }
          : { op: 'snapshot' as const, batch: null, from: 0, to: 0, txns: txns.slice(from, to) }
        return decodeExecutions(await this.request<ExecutionsWire>(i, req))
      }),
    )
    return parts.flat()
  }

  async runWalksOf(batch: EncodedBatch | null, tasks: readonly WalkTask[]): Promise<WalkResult[]> {
    // Largest components first, each to the least-loaded worker.
    const load = this.slots.map(() => 0)
    const assigned: number[][] = this.slots.map(() => [])
    const order = tasks.map((t, i) => [t.txns.length, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
    for (const [n, i] of order) {
      const w = load.indexOf(Math.min(...load))
      load[w] = (load[w] as number) + n
      ;(assigned[w] as number[]).push(i)
    }
    const out: WalkResult[] = new Array(tasks.length)
    await Promise.all(assigned.map(async (idx, w) => {
      if (idx.length === 0) return
      const indexOf = batch === null ? null : (id: number) => indexIn(batch, id)
      const res = await this.request<WalkResultWire[]>(w, { op: 'walks', batch, tasks: idx.map((i) => encodeWalkTask(tasks[i] as WalkTask, indexOf)) })
      idx.forEach((i, j) => { out[i] = decodeWalkResult(res[j] as WalkResultWire) })
    }))
    return out
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.watchdog)
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}

/**
 * A request's failure on an execution worker: its message is the worker's error (name and message, what
 * a client's "batch not committed: …" says), its stack the worker's (what the server logs).
 */
export function workerError(error: string, stack: string | undefined): Error {
  const e = new Error(`execution worker failed: ${error}`)
  if (stack !== undefined) e.stack = `${e.message}\n  on the worker: ${stack}`
  return e
}
