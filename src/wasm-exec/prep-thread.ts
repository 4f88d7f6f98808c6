/**
 * The thread that prepares modules (checks, instrumentation, compilation: prepared.ts) so that the thread
 * serving clients never does. Registering a 7–10 MB module took 4.5–6.2 s of binaryen on the serving
 * thread, during which no client was answered; here it takes the same time beside them. It is also the
 * only thread that loads binaryen (about 1 s of compilation and 0.5 s of initialisation per thread): the
 * runtimes of the serving and execution threads adopt what it prepared, so a database opens without it.
 *
 * One thread per process (per thread that asks), started at the first module and shared by every engine in
 * it (a preparation depends on the bytes alone). It keeps the process alive only while it has work. If it
 * dies (a module that exhausts binaryen's memory), the requests it held fail and the next request starts a
 * new one.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { isPreparation, type Preparation } from './prepared.js'

export interface PrepRequest { readonly id: number; readonly bytes: Uint8Array }
export type PrepReply =
  | { readonly id: number; readonly preparation: Preparation }
  | { readonly id: number; readonly error: string }

/** What the thread is started with: the port and flag of synchronous requests (PrepThread.prepareSync). */
export interface PrepThreadData { readonly syncPort: MessagePort; readonly syncDone: SharedArrayBuffer }

/**
 * How long a synchronous preparation may block its caller before it fails. The largest modules measured
 * took 6.2 s; a thread that has not answered in this time is taken to be lost (it cannot be told dead from
 * slow while the caller blocks, since its exit is an event the blocked caller never sees).
 */
export const PREP_SYNC_WAIT_MS_MAX = 120_000

interface Pending { resolve(p: Preparation): void; reject(e: Error): void }

interface Started {
  readonly worker: Worker
  readonly syncPort: MessagePort
  /** Int32 slot 0: the id of the last synchronous request answered. */
  readonly syncDone: Int32Array
}

class PrepThread {
  private thread: Started | null = null
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** Preparations this thread answered, over the process; for tests. */
  prepared = 0
  /** Of those, the ones asked for synchronously (a runtime met a module no thread had prepared). */
  preparedSync = 0

  prepare(bytes: Uint8Array): Promise<Preparation> {
    const { worker } = this.thread ?? this.start()
    const id = this.nextId++
    return new Promise<Preparation>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref()
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id, bytes } satisfies PrepRequest)
    })
  }

  /**
   * Prepares a module while the caller blocks (Atomics.wait until the thread answers on its own port):
   * for a runtime that meets, inside a transaction, a module no thread prepared for it (recovery replaying
   * a CREATE FUNCTION, a module dropped from a full cache). Waits behind the thread's queued requests.
   */
  prepareSync(bytes: Uint8Array): Preparation {
    const started = this.thread ?? this.start()
    const id = this.nextId++
    started.syncPort.postMessage({ id, bytes } satisfies PrepRequest)
    const deadline = performance.now() + PREP_SYNC_WAIT_MS_MAX
    for (;;) {
      const done = Atomics.load(started.syncDone, 0)
      if (done === id) break
      const left = deadline - performance.now()
      if (left <= 0) {
        this.lose(started, new Error(`module preparation failed: the preparation thread did not answer in ${PREP_SYNC_WAIT_MS_MAX} ms`))
        throw new Error(`module preparation failed: the preparation thread did not answer in ${PREP_SYNC_WAIT_MS_MAX} ms`)
      }
      Atomics.wait(started.syncDone, 0, done, Math.min(left, 1000))
    }
    const received = receiveMessageOnPort(started.syncPort)
    const reply = received?.message as PrepReply | undefined
    if (reply === undefined || reply.id !== id) throw new Error('module preparation failed: the preparation thread answered out of turn')
    if ('error' in reply) throw new Error(`module preparation failed: ${reply.error}`)
    if (!isPreparation(reply.preparation)) throw new Error('module preparation failed: the preparation thread answered a malformed result')
    this.prepared++
    this.preparedSync++
    return reply.preparation
  }

  private start(): Started {
    const channel = new MessageChannel()
    const syncDone = new SharedArrayBuffer(4)
    const worker = new Worker(new URL('./prep-thread-main.js', import.meta.url), {
      workerData: { syncPort: channel.port2, syncDone } satisfies PrepThreadData,
      transferList: [channel.port2],
    })
    // Read only by receiveMessageOnPort: a listener would take the answers a blocked caller waits for.
    channel.port1.unref()
    const started: Started = { worker, syncPort: channel.port1, syncDone: new Int32Array(syncDone) }
    worker.on('message', (msg: PrepReply | { ready: true }) => {
      if (!('id' in msg)) return
      const p = this.pending.get(msg.id)
      if (p === undefined) return
      this.pending.delete(msg.id)
      if (this.pending.size === 0) worker.unref()
      if ('error' in msg) return p.reject(new Error(`module preparation failed: ${msg.error}`))
      if (!isPreparation(msg.preparation)) return p.reject(new Error('module preparation failed: the preparation thread answered a malformed result'))
      this.prepared++
      p.resolve(msg.preparation)
    })
    worker.on('error', (err) => this.lose(started, new Error(`module preparation failed: the preparation thread failed (${err.message})`)))
    worker.on('exit', (code) => this.lose(started, new Error(`module preparation failed: the preparation thread exited with code ${code}`)))
    // After the listeners (adding one refs the worker again): the thread keeps the process alive only
    // while asynchronous requests wait (a synchronous caller blocks the process itself).
    worker.unref()
    this.thread = started
    return started
  }

  /** The thread is gone (or given up on): what it held fails, and the next request starts another. */
  private lose(started: Started, err: Error): void {
    if (this.thread !== started) return
    this.thread = null
    started.syncPort.close()
    void started.worker.terminate()
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(err)
  }
}

/** The process's preparation thread. */
export const prepThread = new PrepThread()
