import type { SqlValue } from '../values.js'

/**
 * JSON with the engine's value types: integers beyond ±2^53 and all bigints as {"$int": "digits"},
 * blobs as {"$blob": "base64"} — the same encoding as the wire protocol (CONTRACT.md §4).
 */
export function encodeJsonValue(v: SqlValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : { $int: v.toString() }
  if (v instanceof Uint8Array) return { $blob: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
  return v
}

/** Inverse of encodeJsonValue, with JSON integers read as INTEGER. */
export function decodeJsonValue(v: unknown): SqlValue | undefined {
  if (v === null) return null
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v
  if (typeof v === 'string') return v
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (typeof o.$int === 'string' && /^-?\d+$/.test(o.$int)) return BigInt(o.$int)
    if (typeof o.$blob === 'string') return new Uint8Array(Buffer.from(o.$blob, 'base64'))
  }
  return undefined
}

/** A value with its exact type, for storage of typed constants (a REAL 1.0 stays REAL). */
type TypedJson = null | { i: string } | { r: number | string } | { t: string } | { b: string }

export function encodeTyped(v: SqlValue): TypedJson {
  if (v === null) return null
  if (typeof v === 'bigint') return { i: v.toString() }
  // Non-finite reals are not JSON numbers.
  if (typeof v === 'number') return { r: Number.isFinite(v) ? v : String(v) }
  if (typeof v === 'string') return { t: v }
  return { b: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
}

export function decodeTyped(j: TypedJson): SqlValue {
  if (j === null) return null
  if ('i' in j) return BigInt(j.i)
  if ('r' in j) return Number(j.r)
  if ('t' in j) return j.t
  return new Uint8Array(Buffer.from(j.b, 'base64'))
}

/** Catalog data to JSON text, keeping typed defaults exact. */
export function catalogToJson(data: unknown): string {
  return JSON.stringify(data, function (this: unknown, k, v: unknown) {
    return k === 'default' ? encodeTyped(v as SqlValue) : v
  })
}

export function catalogFromJson<T>(text: string): T {
  return JSON.parse(text, (k, v: unknown) => (k === 'default' ? decodeTyped(v as TypedJson) : v)) as T
}
