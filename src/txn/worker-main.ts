// Entry of an execution worker thread: opens its own snapshot reader and runtimes, then serves
// phase-1 and walk requests from the coordinator, one at a time.
import { parentPort, workerData } from 'node:worker_threads'
import { SqliteSnapshotReader } from '../storage/sqlite-reader.js'
import { decodeWalkTask, encodeExecutions, encodeWalkResult } from './execution-codec.js'
import { ExecutionHost } from './execution-host.js'
import { loadRuntimes } from '../schema/function-runtime.js'
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js'

const init = workerData as WorkerInit
const port = parentPort
if (port === null) throw new Error('worker-main runs only as a worker thread')

const runtimes = await loadRuntimes(init.runtimes)
const host = new ExecutionHost(new SqliteSnapshotReader(init.reader.file), runtimes, (fn, message) => {
  port.postMessage({ seq: -1, log: { fn, message } } satisfies WorkerReply)
})

port.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply
  try {
    switch (req.op) {
      case 'catalog':
        host.setCatalog(req.data, req.modules)
        reply = { seq: req.seq, ok: true, value: null }
        break
      case 'snapshot':
        reply = { seq: req.seq, ok: true, value: encodeExecutions(host.runOnSnapshot(req.txns)) }
        break
      case 'walks':
        reply = { seq: req.seq, ok: true, value: host.runWalks(req.tasks.map(decodeWalkTask)).map(encodeWalkResult) }
        break
    }
  } catch (err) {
    reply = { seq: req.seq, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  }
  port.postMessage(reply)
})
port.postMessage({ seq: 0, ready: true } satisfies WorkerReply)
