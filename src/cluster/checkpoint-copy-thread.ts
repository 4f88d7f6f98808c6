/**
 * A worker thread that copies a checkpoint file (checkpoint-copy.ts): `VACUUM INTO` on a read-only
 * connection of its own is one read transaction, so the copy is the last checkpoint committed when it
 * began, whole, while the state thread goes on writing the file. Posts the batch the copy holds.
 */
import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'

const { from, to } = workerData as { from: string; to: string }
try {
  const source = new Database(from, { readonly: true, fileMustExist: true })
  try {
    source.prepare('VACUUM INTO ?').run(to)
  } finally {
    source.close()
  }
  const copy = new Database(to, { readonly: true, fileMustExist: true })
  try {
    const batch = copy.prepare("SELECT v FROM _acheron_meta WHERE k = 'last_batch'").pluck().get()
    parentPort?.postMessage({ batch: batch === undefined ? 0 : Number(batch) })
  } finally {
    copy.close()
  }
} catch (err) {
  parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) })
}
