/**
 * The module preparation thread (prep-thread.ts): prepares one module per message, in arrival order, from
 * its parent's port (answered there) and from the port of synchronous requests (answered there, then the
 * request's id is stored in the shared flag and the blocked caller woken).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { loadBinaryen } from './binaryen.js'
import { prepareModule } from './prepared.js'
import type { PrepReply, PrepRequest, PrepThreadData } from './prep-thread.js'

const port = parentPort
if (port === null) throw new Error('prep-thread-main.js runs as a worker thread')
const { syncPort, syncDone } = workerData as PrepThreadData
const done = new Int32Array(syncDone)
const b = await loadBinaryen()

function answer(req: PrepRequest): PrepReply {
  try {
    return { id: req.id, preparation: prepareModule(b, req.bytes) }
  } catch (e) {
    return { id: req.id, error: e instanceof Error ? e.message : String(e) }
  }
}

port.on('message', (req: PrepRequest) => port.postMessage(answer(req)))
;(syncPort as MessagePort).on('message', (req: PrepRequest) => {
  syncPort.postMessage(answer(req))
  // After the post: the woken caller reads the answer with receiveMessageOnPort at once.
  Atomics.store(done, 0, req.id)
  Atomics.notify(done, 0)
})
port.postMessage({ ready: true })
