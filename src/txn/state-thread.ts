// Entry of the state thread: owns the checkpoint file of a data directory and runs a StateService on
// it, one message at a time, in the order the coordinator posted them (src/txn/thread-state-store.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { decodeRowWrites } from '../codec/row-writes.js'
import { crashPoints } from '../crash-points.js'
import { SqliteStateFile } from '../storage/state-file.js'
import { loadRuntimes } from '../schema/function-runtime.js'
import type { LogKind } from './execution-host.js'
import { StateService } from './state-service.js'
import type { StateThreadInit, StateThreadReply, StateThreadRequest } from './state-thread-protocol.js'

const init = workerData as StateThreadInit
const port = parentPort
if (port === null) throw new Error("state-thread runs only as a worker thread")
const out = port

const post = (m: StateThreadReply): void => out.postMessage(m)
const log = (fn: string, message: string, kind?: LogKind): void => post({ event: 'log', fn, message, ...(kind !== undefined ? { kind } : {}) })

/**
 * The checkpoint file, or why it cannot be opened. A full disk can refuse even the open (SQLite then
 * cannot size its WAL index, SQLITE_IOERR_SHMSIZE): that is said in words, and the thread ends, so the
 * open fails with the reason instead of waiting on a thread that is gone.
 */
async function openService(): Promise<StateService> {
  try {
    const file = new SqliteStateFile(init.file, init.sync, {
      ...(init.storageBytesMax !== undefined ? { storageBytesMax: init.storageBytesMax } : {}),
      crash: crashPoints(init.crashAt),
      ...(init.firstImageWins === true ? { firstImageWins: true } : {}),
      ...(init.checkpointAtClose === false ? { checkpointAtClose: false } : {}),
    })
    return new StateService(file, await loadRuntimes(init.runtimes), init.policy, log, init.resultBytesMax)
  } catch (err) {
    const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : ''
    const full = /SQLITE_FULL|SHMSIZE|SHMMAP/.test(code)
    post({ event: 'fatal', message: `cannot open the checkpoint ${init.file}${full ? ': the disk is full' : ''} (${code !== '' ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)})` })
    out.close()
    throw err
  }
}
const service = await openService()
service.onCheckpoint = (c) => post({ event: 'checkpointed', checkpoint: c })

function handle(req: StateThreadRequest): void {
  switch (req.op) {
    case 'apply':
      service.apply({ batch: req.batch, nextTxnId: req.nextTxnId, txnCount: req.txnCount, timeMs: req.timeMs, writes: decodeRowWrites(req.writes), ...(req.change !== undefined ? { change: req.change } : {}) })
      return
    case 'load': return post({ id: req.id, ok: true, value: service.load() })
    case 'run': return post({ id: req.id, ok: true, value: service.run(req.txn, req.timeMs) })
    case 'digest': return post({ id: req.id, ok: true, value: service.digest() })
    case 'scan': return post({ id: req.id, ok: true, value: service.scanTable(req.table) })
    case 'checkpoint':
      service.checkpoint()
      return post({ id: req.id, ok: true, value: null })
    case 'close':
      service.close()
      post({ id: req.id, ok: true, value: null })
      out.close()
      return
  }
}

out.on('message', (req: StateThreadRequest) => {
  try {
    handle(req)
  } catch (err) {
    // Damage found at open is a message for an operator, not a stack.
    const operators = err instanceof Error && (err.name === 'DataDirDamagedError' || err.name === 'StorageFormatError')
    const message = err instanceof Error ? (operators ? err.message : (err.stack ?? err.message)) : String(err)
    if ('id' in req) {
      // A request's failure (a query on a damaged page of acheron.db, say) goes back to its client: the
      // stack, with this machine's paths, is the operator's, in the server log; the reply says what failed.
      // Before, every client got the stack in its error message.
      if (!operators && err instanceof Error && err.stack !== undefined) log('state', `a request to the state thread failed: ${err.stack}`, 'error')
      post({ id: req.id, ok: false, error: err instanceof Error && !operators ? `${err.name}: ${err.message}` : message })
    } else {
      // The same for a failure that stops the engine: every client waiting got its stack, and `acheron
      // check` printed it in its FAIL line.
      if (!operators && err instanceof Error && err.stack !== undefined) log('state', `the state thread failed: ${err.stack}`, 'error')
      post({ event: 'fatal', message: err instanceof Error && !operators ? `${err.name}: ${err.message}` : message })
    }
  }
})
post({ event: 'ready' })
