/**
 * The body of a batch log entry: the batch's time, the id of its first transaction and every
 * transaction's input, in id order (ids are consecutive within a batch). Calls, the hot path, have a
 * compact form; every other input is generic data (src/codec/values.ts). Decoding gives inputs equal to
 * the ones encoded, value for value and bit for bit, so that replay executes exactly what ran.
 *
 * The time is the sequencer's (src/txn/batch-time.ts): an input like the transactions, logged so that a
 * replay or a follower sees the time the first execution saw. Bodies written before it existed start
 * with the first id (at least 1, so never a 0 byte) and decode with time 0: nothing could read a time then.
 *
 * After the transactions, a body may carry the origins of calls a follower forwarded (CallOrigin): the
 * inboxes once, then (transaction index, inbox, request id) for each. No transaction's execution reads
 * them; the follower that sent a call finds it there and answers its client from its own application of
 * the batch, so a call whose writer died is answered from the stream (docs/scale-out.md, step 2). Bodies
 * without origins end after their transactions, as before.
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js'
import { readData, readValue, writeData, writeValue } from '../codec/values.js'
import type { SqlValue } from '../values.js'
import type { TxnInput } from './types.js'

const TAG_DATA = 0
const TAG_CALL = 1
/** The first byte of a body that starts with its time (an older body starts with a first id ≥ 1). */
const TIMED_BODY = 0

/** Where a forwarded call came from: the forwarding follower's reply inbox and its id for the request there. */
export interface CallOrigin {
  readonly inbox: string
  readonly id: number
}

export interface DecodedBatch {
  readonly firstTxnId: number
  /** The batch's time, ms since the Unix epoch (0 in a body logged before batches had one). */
  readonly timeMs: number
  readonly inputs: TxnInput[]
  /** The forwarded calls' origins, by index in `inputs`, in index order (empty: none). */
  readonly origins: readonly { readonly index: number; readonly origin: CallOrigin }[]
}

/**
 * A batch's body with where each transaction starts in it. The executors get the body itself (on a
 * SharedArrayBuffer: one buffer for every thread) and decode the transactions they run.
 */
export interface EncodedBatch {
  readonly body: Uint8Array
  readonly offsets: Uint32Array
  readonly firstTxnId: number
  /** The batch's time (DecodedBatch.timeMs). */
  readonly timeMs: number
}

/** `origins[i]`: where input i came from, if a follower forwarded it (absent or empty: none did). */
export function encodeBatch(firstTxnId: number, timeMs: number, inputs: readonly TxnInput[], shared = false, origins?: readonly (CallOrigin | undefined)[]): EncodedBatch {
  const w = new ByteWriter(64 + inputs.length * 48, shared)
  w.u8(TIMED_BODY)
  w.varint(timeMs)
  w.varint(firstTxnId)
  w.varint(inputs.length)
  const offsets = new Uint32Array(inputs.length)
  inputs.forEach((input, i) => {
    offsets[i] = w.length
    if (input.kind === 'call') {
      w.u8(TAG_CALL)
      w.text(input.fn)
      writeValue(w, input.key)
      w.varint(input.args.length)
      for (const a of input.args) writeValue(w, a)
    } else {
      w.u8(TAG_DATA)
      writeData(w, input)
    }
  })
  if (origins !== undefined && origins.some((o) => o !== undefined)) writeOrigins(w, origins)
  return { body: w.finish(), offsets, firstTxnId, timeMs }
}

function writeOrigins(w: ByteWriter, origins: readonly (CallOrigin | undefined)[]): void {
  const inboxes = new Map<string, number>()
  let count = 0
  for (const o of origins) {
    if (o === undefined) continue
    count++
    if (!inboxes.has(o.inbox)) inboxes.set(o.inbox, inboxes.size)
  }
  w.varint(inboxes.size)
  for (const inbox of inboxes.keys()) w.text(inbox)
  w.varint(count)
  origins.forEach((o, i) => {
    if (o === undefined) return
    w.varint(i)
    w.varint(inboxes.get(o.inbox) as number)
    w.varint(o.id)
  })
}

function readOrigins(r: ByteReader, n: number): { index: number; origin: CallOrigin }[] {
  const inboxes: string[] = []
  for (let i = r.varint(); i > 0; i--) inboxes.push(r.text())
  const origins: { index: number; origin: CallOrigin }[] = []
  for (let i = r.varint(); i > 0; i--) {
    const index = r.varint()
    const inbox = inboxes[r.varint()]
    const id = r.varint()
    if (index >= n || inbox === undefined) throw new RangeError(`a call origin names transaction ${index} of ${n} or an inbox out of ${inboxes.length} in a batch entry`)
    origins.push({ index, origin: { inbox, id } })
  }
  return origins
}

function readTxn(r: ByteReader): TxnInput {
  const tag = r.u8()
  if (tag === TAG_CALL) {
    const fn = r.text()
    const key = readValue(r)
    const argc = r.varint()
    const args: SqlValue[] = []
    for (let j = 0; j < argc; j++) args.push(readValue(r))
    return { kind: 'call', fn, key, args }
  }
  if (tag === TAG_DATA) return readData(r) as TxnInput
  throw new RangeError(`unknown transaction tag ${tag} at byte ${r.offset - 1} of a batch entry`)
}

export function decodeBatch(body: Uint8Array): DecodedBatch & { readonly offsets: Uint32Array } {
  const r = new ByteReader(body)
  let timeMs = 0
  if (body[0] === TIMED_BODY) {
    r.u8()
    timeMs = r.varint()
  }
  const firstTxnId = r.varint()
  const n = r.varint()
  const inputs: TxnInput[] = []
  const offsets = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    offsets[i] = r.offset
    inputs.push(readTxn(r))
  }
  const origins = r.remaining > 0 ? readOrigins(r, n) : []
  if (r.remaining !== 0) throw new RangeError(`${r.remaining} bytes left over after ${n} transactions of a batch entry`)
  return { firstTxnId, timeMs, inputs, offsets, origins }
}

/** A batch body's time, read from its head alone (DecodedBatch.timeMs). */
export function batchTimeOf(body: Uint8Array): number {
  if (body[0] !== TIMED_BODY) return 0
  const r = new ByteReader(body)
  r.u8()
  return r.varint()
}

/** The transaction that starts at `offset` of a batch body. */
export function decodeTxnAt(body: Uint8Array, offset: number): TxnInput {
  const r = new ByteReader(body)
  r.offset = offset
  return readTxn(r)
}
