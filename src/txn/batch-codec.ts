/**
 * The body of a batch log entry: the batch's time, the id of its first transaction and every
 * transaction's input, in id order (ids are consecutive within a batch). Calls, the hot path, have a
 * compact form; every other input is generic data (src/codec/values.ts). Decoding gives inputs equal to
 * the ones encoded, value for value and bit for bit, so that replay executes exactly what ran.
 *
 * The time is the sequencer's (src/txn/batch-time.ts): an input like the transactions, logged so that a
 * replay or a follower sees the time the first execution saw. Bodies written before it existed start
 * with the first id (at least 1, so never a 0 byte) and decode with time 0: nothing could read a time then.
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js'
import { readData, readValue, writeData, writeValue } from '../codec/values.js'
import type { SqlValue } from '../values.js'
import type { TxnInput } from './types.js'

const TAG_DATA = 0
const TAG_CALL = 1
/** The first byte of a body that starts with its time (an older body starts with a first id ≥ 1). */
const TIMED_BODY = 0

export interface DecodedBatch {
  readonly firstTxnId: number
  /** The batch's time, ms since the Unix epoch (0 in a body logged before batches had one). */
  readonly timeMs: number
  readonly inputs: TxnInput[]
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

export function encodeBatch(firstTxnId: number, timeMs: number, inputs: readonly TxnInput[], shared = false): EncodedBatch {
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
  return { body: w.finish(), offsets, firstTxnId, timeMs }
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
  if (r.remaining !== 0) throw new RangeError(`${r.remaining} bytes left over after ${n} transactions of a batch entry`)
  return { firstTxnId, timeMs, inputs, offsets }
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
