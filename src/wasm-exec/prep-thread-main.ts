/** The module preparation thread (prep-thread.ts): prepares one module per message, in arrival order. */
import { parentPort } from 'node:worker_threads'
import { loadBinaryen } from './binaryen.js'
import { prepareModule } from './prepared.js'
import type { PrepReply, PrepRequest } from './prep-thread.js'

const port = parentPort
if (port === null) throw new Error('prep-thread-main.js runs as a worker thread')
const b = await loadBinaryen()

port.on('message', (req: PrepRequest) => {
  let reply: PrepReply
  try {
    reply = { id: req.id, preparation: prepareModule(b, req.bytes) }
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) }
  }
  port.postMessage(reply)
})
port.postMessage({ ready: true })
