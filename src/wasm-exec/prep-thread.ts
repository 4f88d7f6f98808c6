/**
 * The thread that prepares modules (checks, instrumentation, compilation: prepared.ts) so that the thread
 * serving clients never does. Registering a 7–10 MB module took 4.5–6.2 s of binaryen on the serving
 * thread, during which no client was answered; here it takes the same time beside them.
 *
 * One thread per process, started at the first module and shared by every engine in it (a preparation
 * depends on the bytes alone). It keeps the process alive only while it has work. If it dies (a module
 * that exhausts binaryen's memory), the requests it held fail and the next request starts a new one.
 */
import { Worker } from 'node:worker_threads'
import { isPreparation, type Preparation } from './prepared.js'

export interface PrepRequest { readonly id: number; readonly bytes: Uint8Array }
export type PrepReply =
  | { readonly id: number; readonly preparation: Preparation }
  | { readonly id: number; readonly error: string }

interface Pending { resolve(p: Preparation): void; reject(e: Error): void }

class PrepThread {
  private worker: Worker | null = null
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** Preparations this thread answered, over the process; for tests. */
  prepared = 0

  prepare(bytes: Uint8Array): Promise<Preparation> {
    const worker = this.worker ?? this.start()
    const id = this.nextId++
    return new Promise<Preparation>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref()
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id, bytes } satisfies PrepRequest)
    })
  }

  private start(): Worker {
    const worker = new Worker(new URL('./prep-thread-main.js', import.meta.url))
    worker.unref()
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
    const fail = (err: Error): void => {
      if (this.worker !== worker) return
      this.worker = null
      const pending = [...this.pending.values()]
      this.pending.clear()
      for (const p of pending) p.reject(err)
    }
    worker.on('error', (err) => fail(new Error(`module preparation failed: the preparation thread failed (${err.message})`)))
    worker.on('exit', (code) => fail(new Error(`module preparation failed: the preparation thread exited with code ${code}`)))
    this.worker = worker
    return worker
  }
}

/** The process's preparation thread. */
export const prepThread = new PrepThread()
