/**
 * Binary forms of engine values. `SqlValue`s keep their exact type and bits (INTEGER as i64, REAL as
 * the f64 bit pattern, TEXT as UTF-8, BLOB as bytes), so a value read back is the value written.
 * `data` is a generic form of plain JS data (objects, arrays, numbers, bigints, strings, bytes,
 * booleans, null, undefined) for the rarely used parts of a log record, such as DDL.
 */
import type { SqlValue } from '../values.js'
import { ByteReader, ByteWriter } from './bytes.js'

const V_NULL = 0
const V_INT = 1
const V_REAL = 2
const V_TEXT = 3
const V_BLOB = 4

export function writeValue(w: ByteWriter, v: SqlValue): void {
  if (v === null) w.u8(V_NULL)
  else if (typeof v === 'bigint') { w.u8(V_INT); w.i64(v) }
  else if (typeof v === 'number') { w.u8(V_REAL); w.f64(v) }
  else if (typeof v === 'string') { w.u8(V_TEXT); w.text(v) }
  else { w.u8(V_BLOB); w.bytes(v) }
}

export function readValue(r: ByteReader): SqlValue {
  const tag = r.u8()
  switch (tag) {
    case V_NULL: return null
    case V_INT: return r.i64()
    case V_REAL: return r.f64()
    case V_TEXT: return r.text()
    case V_BLOB: return r.bytes()
    default: throw new RangeError(`unknown value tag ${tag} at ${r.offset - 1}`)
  }
}

const D_NULL = 0
const D_BIGINT = 1
const D_NUMBER = 2
const D_STRING = 3
const D_BYTES = 4
const D_FALSE = 5
const D_TRUE = 6
const D_ARRAY = 7
const D_OBJECT = 8
const D_UNDEFINED = 9

/** Nesting depth of generic data; engine inputs never come close. */
export const DATA_DEPTH_MAX = 64

export function writeData(w: ByteWriter, v: unknown, depth = 0): void {
  if (depth > DATA_DEPTH_MAX) throw new RangeError(`data nested deeper than ${DATA_DEPTH_MAX}`)
  if (v === null) w.u8(D_NULL)
  else if (v === undefined) w.u8(D_UNDEFINED)
  else if (typeof v === 'bigint') { w.u8(D_BIGINT); w.i64(v) }
  else if (typeof v === 'number') { w.u8(D_NUMBER); w.f64(v) }
  else if (typeof v === 'string') { w.u8(D_STRING); w.text(v) }
  else if (typeof v === 'boolean') w.u8(v ? D_TRUE : D_FALSE)
  else if (v instanceof Uint8Array) { w.u8(D_BYTES); w.bytes(v) }
  else if (Array.isArray(v)) {
    w.u8(D_ARRAY)
    w.varint(v.length)
    for (const x of v) writeData(w, x, depth + 1)
  } else if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
    w.u8(D_OBJECT)
    w.varint(entries.length)
    for (const [k, x] of entries) {
      w.text(k)
      writeData(w, x, depth + 1)
    }
  } else throw new TypeError(`cannot encode a ${typeof v}`)
}

export function readData(r: ByteReader, depth = 0): unknown {
  if (depth > DATA_DEPTH_MAX) throw new RangeError(`data nested deeper than ${DATA_DEPTH_MAX}`)
  const tag = r.u8()
  switch (tag) {
    case D_NULL: return null
    case D_UNDEFINED: return undefined
    case D_BIGINT: return r.i64()
    case D_NUMBER: return r.f64()
    case D_STRING: return r.text()
    case D_BYTES: return r.bytes()
    case D_FALSE: return false
    case D_TRUE: return true
    case D_ARRAY: {
      const n = r.varint()
      const out: unknown[] = []
      for (let i = 0; i < n; i++) out.push(readData(r, depth + 1))
      return out
    }
    case D_OBJECT: {
      const n = r.varint()
      const out: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        const k = r.text()
        out[k] = readData(r, depth + 1)
      }
      return out
    }
    default: throw new RangeError(`unknown data tag ${tag} at ${r.offset - 1}`)
  }
}

/** A standalone encoding of generic data (tests, small records). */
export function encodeData(v: unknown): Uint8Array {
  const w = new ByteWriter(256)
  writeData(w, v)
  return w.finish().slice()
}

export function decodeData(b: Uint8Array): unknown {
  return readData(new ByteReader(b))
}
