/**
 * A consistent copy of a node's checkpoint (its SQLite state file: rows, catalog, module bytes and the
 * batch it holds), made on a thread of its own so that the serving thread is not held up while a large
 * file is read. Snapshots for joining nodes are made of it (snapshots.ts).
 */
import { Worker } from 'node:worker_threads'

/** Copies the checkpoint `from` (a state file in use) to the new file `to`; resolves to the batch the copy holds. */
export function copyCheckpoint(from: string, to: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./checkpoint-copy-thread.js', import.meta.url), { workerData: { from, to } })
    let settled = false
    worker.once('message', (m: { batch?: number; error?: string }) => {
      settled = true
      if (typeof m.batch === 'number') resolve(m.batch)
      else reject(new Error(`cannot copy the checkpoint ${from}: ${m.error ?? 'no answer'}`))
    })
    worker.once('error', (err) => {
      settled = true
      reject(err)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the thread copying the checkpoint ${from} exited (${code}) without an answer`))
    })
  })
}
