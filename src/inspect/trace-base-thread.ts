/** The thread that makes one trace base (trace-base-copy.ts) and answers with it. */
import { parentPort } from 'node:worker_threads'
import { copyTraceBase, type TraceBaseCopyReply, type TraceBaseCopyRequest } from './trace-base-copy.js'

if (parentPort !== null) {
  const port = parentPort
  port.once('message', (r: TraceBaseCopyRequest) => {
    port.postMessage(copyTraceBase(r) satisfies TraceBaseCopyReply)
  })
}
