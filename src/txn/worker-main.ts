// Entry of an execution worker thread: reads the checkpoint through its own read-only connection with
// the released batches laid over it (OverlayReader), and serves phase-1 and walk requests from the
// coordinator, one at a time, in order.
import { parentPort, workerData } from 'node:worker_threads'
import { decodeRowWrites } from '../codec/row-writes.js'
import { loadRuntimes } from '../schema/function-runtime.js'
import { OverlayReader } from '../storage/overlay.js'
import { SqliteSnapshotReader } from '../storage/sqlite-reader.js'
import { decodeWalkTask, encodeExecutions, encodeWalkResult } from './execution-codec.js'
import { ExecutionHost } from './execution-host.js'
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js'
import { decodeTxnAt, type EncodedBatch } from './batch-codec.js'
import type { DataTxn, SequencedTxn } from './types.js'

const init = workerData as WorkerInit
const port = parentPort
if (port === null) throw new Error('worker-main runs only as a worker thread')
const out = port

const runtimes = await loadRuntimes(init.runtimes)
const overlay = new OverlayReader(new SqliteSnapshotReader(init.readerFile, init.readerFaults))
const progress = new Int32Array(init.progress)
const host = new ExecutionHost(overlay, runtimes, () => { Atomics.add(progress, 0, 1) })

/**
 * The transactions of the latest batches decoded so far, by first id (phase 1 decodes them, walks reuse
 * them; two batches may be under way at once: one's walks, the next one's phase 1).
 */
const DECODED_BATCHES_KEPT = 3
const decodedBatches = new Map<number, (SequencedTxn | undefined)[]>()

function txnAt(batch: EncodedBatch, i: number): SequencedTxn {
  let decoded = decodedBatches.get(batch.firstTxnId)
  if (decoded === undefined) {
    decoded = []
    decodedBatches.set(batch.firstTxnId, decoded)
    if (decodedBatches.size > DECODED_BATCHES_KEPT) decodedBatches.delete(decodedBatches.keys().next().value as number)
  }
  let t = decoded[i]
  if (t === undefined) {
    t = { id: batch.firstTxnId + i, input: decodeTxnAt(batch.body, batch.offsets[i] as number) as DataTxn, timeMs: batch.timeMs }
    decoded[i] = t
  }
  return t
}

out.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply
  try {
    switch (req.op) {
      case 'catalog':
        Atomics.store(progress, 1, 1)
        try {
          if (req.changed !== null) overlay.tablesChanged(req.changed.batch, req.changed.tables)
          host.setCatalog(req.data, req.modules)
          // Compiled now, not in the first transaction that calls them: the watchdog times transactions.
          host.prepareFunctions()
        } finally {
          Atomics.store(progress, 1, 0)
        }
        return
      case 'release':
        // A large release (an INSERT of a million rows) is no transaction either: not timed.
        Atomics.store(progress, 1, 1)
        try {
          overlay.applyReleased(req.batch, decodeRowWrites(req.writes))
        } finally {
          Atomics.store(progress, 1, 0)
        }
        return
      case 'snapshot': {
        const batch = req.batch
        const txns = req.txns ?? Array.from({ length: req.to - req.from }, (_, i) => txnAt(batch as EncodedBatch, req.from + i))
        reply = { seq: req.seq, ok: true, value: encodeExecutions(host.runOnSnapshot(txns)) }
        break
      }
      case 'walks': {
        const batch = req.batch
        const tasks = req.tasks.map((t) => decodeWalkTask(t, (i) => txnAt(batch as EncodedBatch, i)))
        reply = { seq: req.seq, ok: true, value: host.runWalks(tasks).map(encodeWalkResult) }
        break
      }
    }
  } catch (err) {
    // A failed release or catalog change leaves this worker's view wrong: it must not serve again.
    if (req.seq === 0) throw err
    // The stack apart: it reaches the server's log, never a client's message (it was the message's tail).
    reply = err instanceof Error
      ? { seq: req.seq, ok: false, error: `${err.name}: ${err.message}`, ...(err.stack !== undefined ? { stack: err.stack } : {}) }
      : { seq: req.seq, ok: false, error: String(err) }
  }
  out.postMessage(reply)
})
Atomics.store(progress, 1, 0) // the pool set it before starting this worker
out.postMessage({ seq: 0, ready: true } satisfies WorkerReply)
