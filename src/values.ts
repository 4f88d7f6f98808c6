import { AcheronError } from './errors.js'

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

/**
 * Whether an INTEGER travels to JavaScript as a number: within ±2^53 (the contract's rule for the wire
 * and the SDKs). The bounds are constants: a BigInt `**` in the check cost ~50–90 ns per value.
 */
const NUMBER_SAFE_MAX = 2n ** 53n
const NUMBER_SAFE_MIN = -NUMBER_SAFE_MAX
export function fitsNumber(v: bigint): boolean {
  return v >= NUMBER_SAFE_MIN && v <= NUMBER_SAFE_MAX
}

/**
 * Whether a JS number is an INTEGER as the contract reads numbers: integral and within ±2^53, the
 * range in which integers travel as numbers (fitsNumber) and every number is exactly one integer.
 */
export function isIntegerNumber(v: number): boolean {
  return Number.isInteger(v) && v >= -(2 ** 53) && v <= 2 ** 53
}

export function isInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX
}

/**
 * Converts a loosely typed client value (a JS number that is an integer, a boolean) to an engine value.
 * Integral JS numbers become INTEGER, as on the wire (CONTRACT.md §4). NaN becomes NULL, as the wire
 * sends it (JSON has no NaN), the ABI makes a guest's NaN and SQLite stores one: as a REAL NaN a call's
 * argument read as REAL embedded and as NULL over WebSocket.
 */
export function fromClientValue(v: unknown): SqlValue | undefined {
  if (v === null) return null
  switch (typeof v) {
    case 'bigint': return isInt64(v) ? v : undefined
    case 'number': return isIntegerNumber(v) ? BigInt(v) : Number.isNaN(v) ? null : v
    case 'boolean': return v ? 1n : 0n
    case 'string': return v
    // A copy: the caller keeps its array and may change it; what was submitted must not change with it.
    default: return v instanceof Uint8Array ? v.slice() : undefined
  }
}

/**
 * Why `v` is no SQL value, for the TYPE_MISMATCH that refuses it: `unsupported value ` and what it is.
 * String() alone said "[object Object]" for an object and "1,2" for an array, which named neither the
 * mistake nor what to pass instead.
 */
export function unsupportedValue(v: unknown, values = 'a value is a number, a bigint, a string, a boolean, a Uint8Array or null'): string {
  if (typeof v === 'bigint') return `unsupported value ${v} (outside 64 bits)`
  let shown: string
  if (Array.isArray(v)) shown = `an array of ${v.length}`
  else if (v instanceof Date) shown = `a Date (${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()}): pass its toISOString() or getTime()`
  else if (typeof v === 'object' && v !== null) shown = `an object (${v.constructor?.name ?? 'no prototype'})`
  else if (typeof v === 'function') shown = 'a function'
  else shown = String(v)
  return `unsupported value ${shown}; ${values}`
}

/**
 * A string the SDK takes (SQL text, a function name): from JavaScript anything else failed deep inside as a
 * TypeError ("src.charCodeAt is not a function"), and embedded, a call whose function name was a number
 * never settled and stopped every later transaction. It is the caller's TYPE_MISMATCH, before anything runs.
 */
export function checkStringArgument(v: unknown, what: string): asserts v is string {
  if (typeof v !== 'string') {
    const got = v === null || v === undefined ? String(v) : Array.isArray(v) ? 'an array' : typeof v === 'object' ? `an object (${v.constructor?.name ?? 'no prototype'})` : `${typeof v} ${String(v)}`
    throw new AcheronError('TYPE_MISMATCH', `${what} is a string, got ${got}`)
  }
}

/**
 * `call(fn)` without a key: the key was read as the value `undefined` ("key: unsupported value undefined"),
 * which did not say that a call runs at a key and so needs one. A TYPE_MISMATCH saying so, before anything runs.
 */
export function checkKeyGiven(fn: string, key: unknown): void {
  if (key === undefined) {
    throw new AcheronError('TYPE_MISMATCH', `call('${fn}') was given no key: a function runs at the row of a key, so call(fn, key, ...args), e.g. call('${fn}', 'alice')`)
  }
}

/**
 * The `params` of `sql()`/`query()`: an array (or absent). From JavaScript anything else used to fail
 * as a TypeError ("params.map is not a function"); it is TYPE_MISMATCH like any value the SDK cannot send.
 */
export function checkParamsArray(params: unknown): asserts params is readonly unknown[] {
  if (!Array.isArray(params)) {
    const got = params === null ? 'null' : typeof params === 'object' ? (params as object).constructor?.name ?? 'object' : typeof params
    throw new AcheronError('TYPE_MISMATCH', `params must be an array of values (one per ?), got ${got}`)
  }
}

/**
 * The index (in UTF-16 code units) of the first lone surrogate of `s`, or -1 when `s` is well-formed
 * UTF-16. A lone surrogate is a high one (U+D800–U+DBFF) not followed by a low one (U+DC00–U+DFFF), or a
 * low one not preceded by a high one. Only [from, to) is looked at: a surrogate pair split by either end
 * counts as lone.
 */
export function loneSurrogateIndex(s: string, from = 0, to = s.length): number {
  if ((from === 0 && to === s.length ? s : s.slice(from, to)).isWellFormed()) return -1
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c <= 0xdbff && i + 1 < to) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
    }
    return i
  }
  return -1
}

/**
 * The message for text that is not well-formed: `${what}: text is not well-formed Unicode (lone surrogate
 * U+D800 at ${where})`, `where` being e.g. `index 5` or `line 2, column 7`.
 */
export function notWellFormedMessage(what: string, unit: number, where: string): string {
  return `${what}: text is not well-formed Unicode (lone surrogate U+${unit.toString(16).toUpperCase().padStart(4, '0')} at ${where})`
}

/**
 * The rule for TEXT at every boundary (docs/sql.md, "Text is well-formed Unicode"): a string must be
 * well-formed UTF-16. A lone surrogate cannot be stored as UTF-8 (SQLite, the batch log) and would come
 * back as U+FFFD, so that a key or value would differ between the batch that wrote it and every later read
 * or replay. Any other value passes unchanged. Throws TYPE_MISMATCH naming `what` (e.g. `argument 2`,
 * `parameter 1`, `key`).
 */
export function checkWellFormedText(v: unknown, what: string): void {
  if (typeof v !== 'string') return
  const at = loneSurrogateIndex(v)
  if (at >= 0) throw new AcheronError('TYPE_MISMATCH', notWellFormedMessage(what, v.charCodeAt(at), `index ${at}`))
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
