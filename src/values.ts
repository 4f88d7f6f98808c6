/**
 * Values as the engine holds them. The JS type is the SQL type, without ambiguity:
 * INTEGER (and BOOLEAN) = bigint, REAL = number, TEXT = string, BLOB = Uint8Array, NULL = null.
 */
export type SqlValue = null | bigint | number | string | Uint8Array

/** A row in the column order of its table's definition. */
export type Row = readonly SqlValue[]

/** Value type tags of the WebAssembly ABI (CONTRACT.md §6). */
export const VALUE_TYPE = { NULL: 0, INTEGER: 1, REAL: 2, TEXT: 3, BLOB: 4 } as const

export function valueTypeTag(v: SqlValue): number {
  if (v === null) return VALUE_TYPE.NULL
  switch (typeof v) {
    case 'bigint': return VALUE_TYPE.INTEGER
    case 'number': return VALUE_TYPE.REAL
    case 'string': return VALUE_TYPE.TEXT
    default: return VALUE_TYPE.BLOB
  }
}

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n

export function isInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX
}

/**
 * Converts a loosely typed client value (a JS number that is an integer, a boolean) to an engine value.
 * Integral JS numbers become INTEGER, as on the wire (CONTRACT.md §4).
 */
export function fromClientValue(v: unknown): SqlValue | undefined {
  if (v === null) return null
  switch (typeof v) {
    case 'bigint': return isInt64(v) ? v : undefined
    case 'number': return Number.isInteger(v) && Number.isSafeInteger(v) ? BigInt(v) : v
    case 'boolean': return v ? 1n : 0n
    case 'string': return v
    default: return v instanceof Uint8Array ? v : undefined
  }
}

export function valuesEqual(a: SqlValue, b: SqlValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  // Object.is keeps -0 and +0 apart, which the digest does too.
  return Object.is(a, b)
}

export function rowsEqual(a: Row | undefined, b: Row | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i] as SqlValue, b[i] as SqlValue)) return false
  return true
}

/** A short human rendering of a value for error messages. */
export function describeValue(v: SqlValue): string {
  if (v === null) return 'NULL'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`
  return `X'${Buffer.from(v.subarray(0, 20)).toString('hex')}${v.length > 20 ? '…' : ''}'`
}
