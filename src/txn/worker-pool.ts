import { Worker } from 'node:worker_threads'
import type { ReaderSpec } from '../storage/partition-store.js'
import type { CatalogData } from '../schema/catalog.js'
import type { LogFn } from './execution-host.js'
import { decodeExecutions, decodeWalkResult, encodeWalkTask, type ExecutionsWire, type WalkResultWire } from './execution-codec.js'
import type { EngineExecutor } from './executor.js'
import type { RuntimeModules } from '../schema/function-runtime.js'
import type { Execution, SequencedTxn } from './types.js'
import type { WalkResult, WalkTask } from './walk.js'
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** Phase-1 transactions per worker message below which splitting costs more than it saves. */
const SNAPSHOT_CHUNK_TXNS_MIN = 16

interface Slot {
  worker: Worker
  ready: Promise<void>
  isReady: boolean
  catalogVersion: number
  modules: Set<string>
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>
  failed: Error | null
}

/**
 * Execution on `worker_threads`, each with its own read-only SQLite connection. Which worker runs what
 * affects only speed: phase-1 executions are independent, and walks are whole components. A worker that
 * dies fails the operations it had and is replaced on next use.
 */
export class WorkerPool implements EngineExecutor {
  private readonly slots: Slot[] = []
  /** Per worker, the tail of requests waiting for it to be brought up to date (keeps their order). */
  private readonly chains: (Promise<void> | undefined)[] = []
  private seq = 1
  private catalog: CatalogData = { version: 0, tables: [], functions: [] }
  private modules: ReadonlyMap<string, Uint8Array> = new Map()
  private closed = false

  constructor(
    size: number,
    private readonly init: WorkerInit,
    private readonly log: LogFn,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn())
  }

  static create(size: number, reader: ReaderSpec, runtimes: RuntimeModules, log: LogFn): WorkerPool {
    return new WorkerPool(size, { reader, runtimes }, log)
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker-main.js', import.meta.url), { workerData: this.init })
    let markReady!: () => void
    let markFailed!: (e: Error) => void
    const slot: Slot = {
      worker,
      ready: new Promise<void>((res, rej) => { markReady = res; markFailed = rej }),
      isReady: false,
      catalogVersion: -1,
      modules: new Set(),
      pending: new Map(),
      failed: null,
    }
    slot.ready.catch(() => {})
    worker.on('message', (msg: WorkerReply) => {
      if (msg.seq === 0 && 'ready' in msg) {
        slot.isReady = true
        return markReady()
      }
      if (msg.seq === -1 && 'log' in msg) return this.log(msg.log.fn, msg.log.message)
      const p = slot.pending.get(msg.seq)
      if (p === undefined) return
      slot.pending.delete(msg.seq)
      if ('ok' in msg && msg.ok) p.resolve(msg.value)
      else if ('error' in msg) p.reject(new Error(`execution worker failed: ${msg.error}`))
    })
    const fail = (err: Error) => {
      slot.failed = err
      markFailed(err)
      for (const p of slot.pending.values()) p.reject(err)
      slot.pending.clear()
    }
    worker.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))))
    worker.on('exit', (code) => { if (!this.closed) fail(new Error(`execution worker exited with code ${code}`)) })
    return slot
  }

  /** The slot for index i, replaced if its worker died, with the current catalog sent. */
  private async slot(i: number): Promise<Slot> {
    let slot = this.slots[i] as Slot
    if (slot.failed !== null) {
      void slot.worker.terminate()
      slot = this.spawn()
      this.slots[i] = slot
    }
    await slot.ready
    if (slot.catalogVersion !== this.catalog.version) {
      const fresh = [...this.modules].filter(([h]) => !slot.modules.has(h))
      await this.request(slot, { op: 'catalog', data: this.catalog, modules: fresh })
      for (const [h] of fresh) slot.modules.add(h)
      slot.catalogVersion = this.catalog.version
    }
    return slot
  }

  /**
   * Sends a request to worker i: synchronously when it is up to date (so that the coordinator can post
   * a batch and then commit the previous one while the workers run), else after bringing it up to date.
   * Requests to one worker keep their order either way.
   */
  private send<T>(i: number, req: DistributiveOmit<WorkerRequest, 'seq'>): Promise<T> {
    const slot = this.slots[i] as Slot
    const chained = this.chains[i]
    if (chained === undefined && slot.failed === null && slot.isReady && slot.catalogVersion === this.catalog.version) {
      return this.request<T>(slot, req)
    }
    const p = (chained ?? Promise.resolve()).then(() => this.slot(i)).then((s) => this.request<T>(s, req))
    const tail = p.then(() => {}, () => {})
    this.chains[i] = tail
    void tail.then(() => { if (this.chains[i] === tail) this.chains[i] = undefined })
    return p
  }

  private request<T>(slot: Slot, req: DistributiveOmit<WorkerRequest, 'seq'>): Promise<T> {
    const seq = this.seq++
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject })
      slot.worker.postMessage({ ...req, seq })
    })
  }

  async setCatalog(data: CatalogData, modules: ReadonlyMap<string, Uint8Array>): Promise<void> {
    this.catalog = data
    this.modules = modules
  }

  async runOnSnapshot(txns: readonly SequencedTxn[]): Promise<Execution[]> {
    const chunks = Math.max(1, Math.min(this.slots.length, Math.ceil(txns.length / SNAPSHOT_CHUNK_TXNS_MIN)))
    const size = Math.ceil(txns.length / chunks)
    const parts = await Promise.all(
      Array.from({ length: chunks }, async (_, i) =>
        decodeExecutions(await this.send<ExecutionsWire>(i, { op: 'snapshot', txns: txns.slice(i * size, (i + 1) * size) }))),
    )
    return parts.flat()
  }

  async runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
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
      const res = await this.send<WalkResultWire[]>(w, { op: 'walks', tasks: idx.map((i) => encodeWalkTask(tasks[i] as WalkTask)) })
      idx.forEach((i, j) => { out[i] = decodeWalkResult(res[j] as WalkResultWire) })
    }))
    return out
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}
