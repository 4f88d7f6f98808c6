/**
 * The body of a batch log entry: the id of its first transaction and every transaction's input, in id
 * order (ids are consecutive within a batch). Calls, the hot path, have a compact form; every other
 * input is generic data (src/codec/values.ts). Decoding gives inputs equal to the ones encoded, value
 * for value and bit for bit, so that replay executes exactly what ran.
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js'
import { readData, readValue, writeData, writeValue } from '../codec/values.js'
import type { SqlValue } from '../values.js'
import type { TxnInput } from './types.js'

const TAG_DATA = 0
const TAG_CALL = 1

export interface DecodedBatch {
  readonly firstTxnId: number
  readonly inputs: TxnInput[]
}

export function encodeBatch(firstTxnId: number, inputs: readonly TxnInput[]): Uint8Array {
  const w = new ByteWriter(64 + inputs.length * 48)
  w.varint(firstTxnId)
  w.varint(inputs.length)
  for (const input of inputs) {
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
  }
  return w.finish()
}

export function decodeBatch(body: Uint8Array): DecodedBatch {
  const r = new ByteReader(body)
  const firstTxnId = r.varint()
  const n = r.varint()
  const inputs: TxnInput[] = []
  for (let i = 0; i < n; i++) {
    const tag = r.u8()
    if (tag === TAG_CALL) {
      const fn = r.text()
      const key = readValue(r)
      const argc = r.varint()
      const args: SqlValue[] = []
      for (let j = 0; j < argc; j++) args.push(readValue(r))
      inputs.push({ kind: 'call', fn, key, args })
    } else if (tag === TAG_DATA) {
      inputs.push(readData(r) as TxnInput)
    } else throw new RangeError(`unknown transaction tag ${tag} at byte ${r.offset - 1} of a batch entry`)
  }
  if (r.remaining !== 0) throw new RangeError(`${r.remaining} bytes left over after ${n} transactions of a batch entry`)
  return { firstTxnId, inputs }
}
