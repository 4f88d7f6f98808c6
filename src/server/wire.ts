import { AcheronError, type AcheronErrorDetails, type CommitPosition } from '../errors.js'
import { IDENTIFIER_LENGTH_MAX } from '../schema/catalog.js'
import type { ResultType } from '../result-types.js'
import { checkWellFormedText, fitsNumber, loneSurrogateIndex, notWellFormedMessage } from '../values.js'

/** A qualified function name `t.f`: two identifiers and the dot. A longer "fn" is refused before any lookup. */
export const FUNCTION_NAME_CHARS_MAX = 2 * IDENTIFIER_LENGTH_MAX + 1
/**
 * The response header of the WebSocket upgrade that tells a client the server's `payloadBytesMax`: the SDK
 * refuses a longer request itself (PAYLOAD_TOO_LARGE, unsent) instead of sending a frame that the server
 * would answer by closing the connection (1009), taking every request in flight on it with it.
 */
export const PAYLOAD_BYTES_MAX_HEADER = 'acheron-payload-bytes-max'
/**
 * The longest token (UTF-8 bytes) an auth frame authenticates a connection with. Tokens such as JWTs run
 * to several KiB; 8 KiB is also what common proxies pass in one header line. A longer token in the auth
 * frame of a connection still authenticating is UNAUTHORIZED, saying so; the SDK refuses one itself,
 * unsent, when it cannot go in the `Authorization` header instead.
 */
export const AUTH_TOKEN_BYTES_MAX = 8 * 1024

/**
 * How deeply a frame's JSON may nest (the frame object is level 1; a valid request needs 3). Deeper is
 * SYNTAX_ERROR: nothing of the protocol nests, and recursive code (messages, logs) must never overflow the stack.
 */
export const WIRE_NESTING_DEPTH_MAX = 32

/**
 * The wire form of values (CONTRACT.md §4): JSON numbers for integers within ±2^53 and for reals,
 * {"$int": "digits"} beyond, {"$blob": "base64"} for BLOB, strings, null. Non-finite reals, which
 * JSON cannot carry, travel as {"$real": "Infinity" | "-Infinity"} (an extension).
 */
export function encodeValue(v: unknown): unknown {
  if (typeof v === 'bigint') return fitsNumber(v) ? Number(v) : { $int: v.toString() }
  if (v instanceof Uint8Array) return { $blob: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? null : { $real: v > 0 ? 'Infinity' : '-Infinity' }
  return v ?? null
}

/**
 * Standard base64, padded: what `{"$blob"}` holds (and what the server sends). Checked as one character
 * class and at most two '=', with the length a multiple of 4 — the same language as groups of four, but a
 * regex repeating a group keeps a backtrack entry per group and overflowed the stack past ~3 MB of BLOB.
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/
function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64_CHARS.test(s)
}

/**
 * A wire value → a client value; TYPE_MISMATCH naming `what` for anything else, and for a string that is
 * not well-formed UTF-16 (JSON can escape a lone surrogate, "\ud800"; TEXT never holds one).
 */
export function decodeValue(v: unknown, what: string): unknown {
  if (typeof v === 'string') {
    checkWellFormedText(v, what)
    return v
  }
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o)
    if (keys.length === 1 && typeof o.$int === 'string' && /^-?\d+$/.test(o.$int)) {
      if (/^-?\d{1,20}$/.test(o.$int)) return BigInt(o.$int)
      // More digits than any 64-bit integer has: the engine's words for one just past the range, where it was
      // "not a value of the wire protocol", as if the {"$int"} form were wrong.
      throw new AcheronError('TYPE_MISMATCH', `${what}: unsupported value ${o.$int.length > 40 ? `${o.$int.slice(0, 40)}… (${o.$int.replace('-', '').length} digits)` : o.$int} (outside 64 bits)`)
    }
    if (keys.length === 1 && typeof o.$blob === 'string') {
      // Node's decoder skips what is not base64 and stops at the first '=': a value it would change is refused.
      if (!isBase64(o.$blob)) throw new AcheronError('TYPE_MISMATCH', `${what}: {"$blob"} must be standard base64 (A–Z, a–z, 0–9, +, /, padded with = to a multiple of 4 characters), got ${JSON.stringify(o.$blob.slice(0, 40))}${o.$blob.length > 40 ? '…' : ''}`)
      return new Uint8Array(Buffer.from(o.$blob, 'base64'))
    }
    if (keys.length === 1 && (o.$real === 'Infinity' || o.$real === '-Infinity')) return o.$real === 'Infinity' ? Infinity : -Infinity
  }
  throw new AcheronError('TYPE_MISMATCH', `${what}: not a value of the wire protocol: ${JSON.stringify(v)?.slice(0, 80)}`)
}

/** A "fn" that is not well-formed UTF-16 names no function and cannot be logged: a malformed request. */
export function checkFunctionName(fn: string): void {
  if (fn.length > FUNCTION_NAME_CHARS_MAX) {
    throw new AcheronError('SYNTAX_ERROR', `"fn" is at most ${FUNCTION_NAME_CHARS_MAX} characters (table.function, identifiers of at most ${IDENTIFIER_LENGTH_MAX}), got ${fn.length}`)
  }
  const at = loneSurrogateIndex(fn)
  if (at >= 0) throw new AcheronError('SYNTAX_ERROR', notWellFormedMessage('"fn"', fn.charCodeAt(at), `index ${at}`))
}

export type Request =
  | { readonly id: number; readonly op: 'sql'; readonly sql: string; readonly params: readonly unknown[] }
  /** `logs: true`: the reply's result carries the call's `log()` lines (as CALL … WITH LOGS does). */
  | { readonly id: number; readonly op: 'call'; readonly fn: string; readonly key: unknown; readonly args: readonly unknown[]; readonly logs: boolean }
  | { readonly id: number | null; readonly op: 'auth'; readonly token: string }
  /** What the server is: answered with `server` (serverReply), nothing run. */
  | { readonly id: number; readonly op: 'version' }

/**
 * The one decoder of incoming frames: a valid request, or SYNTAX_ERROR (a malformed frame, a "fn" that is
 * not well-formed UTF-16) or TYPE_MISMATCH (a value that is not one of the wire protocol, or text that is
 * not well-formed), with the id when one was readable.
 */
export function decodeRequest(text: string): Request {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch {
    throw new AcheronError('SYNTAX_ERROR', 'a frame must be one JSON object')
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new AcheronError('SYNTAX_ERROR', 'a frame must be one JSON object')
  const m = msg as Record<string, unknown>
  // Every error reply carries the id the frame had, whenever it had a numeric one (even one refused below).
  const numericId = typeof m.id === 'number' ? m.id : null
  const id = numericId !== null && Number.isSafeInteger(numericId) ? numericId : null
  const bad = (why: string): never => {
    throw Object.assign(new AcheronError('SYNTAX_ERROR', why), { requestId: numericId })
  }
  if (openingBrackets(text) > WIRE_NESTING_DEPTH_MAX && nestingExceeds(m, WIRE_NESTING_DEPTH_MAX)) bad(`a frame's JSON is nested deeper than ${WIRE_NESTING_DEPTH_MAX} levels`)
  // An auth frame's id too: one of 1.5 authenticated with no reply, which its client waited for in vain.
  if (numericId !== null && id === null) bad(`"id" must be an integer within ±2^53, got ${numericId}`)
  if (m.op === 'auth') {
    // A token of another type was "no token was given", though one was.
    if (m.token !== undefined && typeof m.token !== 'string') bad(`"token" must be a string, got ${m.token === null ? 'null' : Array.isArray(m.token) ? 'an array' : typeof m.token}`)
    return { id, op: 'auth', token: typeof m.token === 'string' ? m.token : '' }
  }
  if (id === null) bad('a request needs a numeric "id"')
  // Values are named as the SDKs name them ("argument 2", "parameter 1"), so one mistake reads the same
  // embedded, through the remote SDK and in a raw frame.
  const withId = <T>(decode: () => T): T => {
    try {
      return decode()
    } catch (err) {
      throw Object.assign(err as AcheronError, { requestId: id })
    }
  }
  const value = (v: unknown, what: string): unknown => withId(() => {
    if (typeof v === 'number' && Math.abs(v) === NUMBER_EXACT_MAX) {
      const rounded = numberRoundedToExactMax(text)
      if (rounded !== null) throw new AcheronError('TYPE_MISMATCH', `${what}: the number ${rounded} is beyond ±2^53, where JSON numbers are not exact (it reads as ${v}): send an INTEGER this large as {"$int": "${/^-?\d+$/.test(rounded) ? rounded : 'digits'}"}`)
    }
    return decodeValue(v, what)
  })
  const list = (v: unknown, field: string, what: string): unknown[] => {
    if (v === undefined) return []
    if (!Array.isArray(v)) bad(`"${field}" must be an array`)
    return (v as unknown[]).map((x, i) => value(x, `${what} ${i + 1}`))
  }
  if (m.op === 'sql') {
    if (typeof m.sql !== 'string') bad('an "sql" request needs an "sql" string')
    checkFields(m, 'sql', bad)
    // The SQL text itself is checked by the lexer, which points at the lone surrogate's line and column.
    return { id: id as number, op: 'sql', sql: m.sql as string, params: list(m.params, 'params', 'parameter') }
  }
  if (m.op === 'call') {
    if (typeof m.fn !== 'string') bad('a "call" request needs "fn": "table.function"')
    withId(() => checkFunctionName(m.fn as string))
    // A missing key is a malformed frame, refused before it takes a position (a null key is the engine's
    // CONSTRAINT at the position it ran at, as CALL t.f(NULL) is).
    if (!('key' in m)) bad('a "call" request needs "key": the key of the row the function runs at')
    if (m.logs !== undefined && typeof m.logs !== 'boolean') bad('"logs" must be true or false')
    checkFields(m, 'call', bad)
    return { id: id as number, op: 'call', fn: m.fn as string, key: value(m.key, 'key'), args: list(m.args, 'args', 'argument'), logs: m.logs === true }
  }
  if (m.op === 'version') return { id: id as number, op: 'version' }
  return bad(`unknown op ${JSON.stringify(m.op)}: use "sql", "call", "version" or "auth"`)
}

/** The fields of the requests that run something; any other is refused (checkFields). */
const REQUEST_FIELDS: Readonly<Record<'sql' | 'call', readonly string[]>> = {
  sql: ['id', 'op', 'sql', 'params'],
  call: ['id', 'op', 'fn', 'key', 'args', 'logs'],
}

/**
 * SYNTAX_ERROR for a field an "sql" or "call" request does not have. It was ignored: a misspelt "arg" for
 * "args" ran the function with no arguments, "param" the script with no parameters, and "log" for "logs"
 * answered without the lines, each silently (the SDK refuses an option it does not have the same way).
 */
function checkFields(m: Record<string, unknown>, op: 'sql' | 'call', bad: (why: string) => never): void {
  const fields = REQUEST_FIELDS[op]
  for (const k of Object.keys(m)) {
    if (!fields.includes(k)) bad(`a "${op}" request has no field ${JSON.stringify(k)} (its fields are ${fields.map((f) => `"${f}"`).join(', ')})`)
  }
}

/** 2^53: the largest magnitude at which a JSON number is an INTEGER of the wire protocol. */
const NUMBER_EXACT_MAX = 2 ** 53
const NUMBER_EXACT_MAX_BIG = 2n ** 53n
/** A JSON string (skipped) or number token. */
const JSON_STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g

/**
 * The first number in a frame's text that JSON.parse rounds to ±2^53 without being it (9007199254740993 reads
 * as 9007199254740992, an INTEGER within range), or null. Looked for only when a value is ±2^53, so a frame
 * without one pays nothing: a client that writes a large integer as a number (Python's json.dumps does)
 * stored a neighbour of it, silently.
 */
function numberRoundedToExactMax(text: string): string | null {
  for (const m of text.matchAll(JSON_STRING_OR_NUMBER)) {
    const t = m[0]
    if (t.startsWith('"') || Math.abs(Number(t)) !== NUMBER_EXACT_MAX) continue
    const parts = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t)
    if (parts === null) continue
    const digits = BigInt(`${parts[1] ?? ''}${parts[2] ?? ''}`)
    const shift = Number(parts[3] ?? '0') - (parts[2] ?? '').length
    const exact = shift >= 0 ? digits * 10n ** BigInt(shift) === NUMBER_EXACT_MAX_BIG : digits === NUMBER_EXACT_MAX_BIG * 10n ** BigInt(-shift)
    if (!exact) return t
  }
  return null
}

/**
 * `{` and `[` in the text, in strings too: an upper bound on how deeply its JSON nests, so that the usual
 * small frame skips nestingExceeds' walk.
 */
function openingBrackets(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x7b || c === 0x5b) n++
  }
  return n
}

/** True when `v` nests objects/arrays deeper than `max` levels; iterative, so any depth is safe to check. */
function nestingExceeds(v: unknown, max: number): boolean {
  const stack: { node: object; depth: number }[] = [{ node: v as object, depth: 1 }]
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.depth > max) return true
    for (const child of Array.isArray(top.node) ? top.node : Object.values(top.node)) {
      if (typeof child === 'object' && child !== null) stack.push({ node: child as object, depth: top.depth + 1 })
    }
  }
  return false
}

/** How much of an oversized frame is looked at for its id (`leadingRequestId`). */
const LEADING_ID_BYTES_MAX = 64

/**
 * The id of a frame that is refused without being parsed (PAYLOAD_TOO_LARGE), read from its first bytes
 * when it starts with `{"id":n` (as the SDK and the console send it); otherwise null.
 */
export function leadingRequestId(frame: Buffer): number | null {
  const m = /^\s*\{\s*"id"\s*:\s*(-?\d{1,16})\s*[,}]/.exec(frame.subarray(0, LEADING_ID_BYTES_MAX).toString('latin1'))
  const id = m === null ? NaN : Number(m[1])
  return Number.isSafeInteger(id) ? id : null
}

/** The numeric "id" of a frame's text that is a JSON object, else null: for a frame refused before decodeRequest. */
export function jsonRequestId(text: string): number | null {
  let m: unknown
  try {
    m = JSON.parse(text)
  } catch {
    return null
  }
  const id = typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined
  return typeof id === 'number' ? id : null
}

/** The id a rejected frame carried, if any. */
export function requestIdOf(err: unknown): number | null {
  const id = (err as { requestId?: unknown }).requestId
  return typeof id === 'number' ? id : null
}

export interface WireResult {
  columns: readonly string[]
  rows: readonly (readonly unknown[])[]
  rowsAffected: number
  commit: CommitPosition
  /** Present when the caller asked for a call's `log()` lines. */
  logs?: readonly string[]
  /** A DDL's IF [NOT] EXISTS that found nothing to do: what it skipped. */
  notice?: string
  /** One per column: the type of its values, or null (src/result-types.ts); a client may ignore it. */
  types?: readonly (ResultType | null)[]
  /** For a column of values of several types, each value's type (src/result-types.ts, CellTypes); a client may ignore it. */
  cellTypes?: readonly (readonly (ResultType | null)[] | null)[]
}

/** A result's fields after its rows, in the order the wire has them. */
function resultTail(r: WireResult): Record<string, unknown> {
  return {
    rowsAffected: r.rowsAffected, commit: r.commit,
    ...(r.logs !== undefined ? { logs: r.logs } : {}),
    ...(r.notice !== undefined ? { notice: r.notice } : {}),
    ...(r.types !== undefined ? { types: r.types } : {}),
    ...(r.cellTypes !== undefined ? { cellTypes: r.cellTypes } : {}),
  }
}

function wireResults(results: readonly WireResult[]): unknown[] {
  return results.map((r) => ({ columns: r.columns, rows: r.rows.map((row) => row.map(encodeValue)), ...resultTail(r) }))
}

/**
 * A value's JSON text on the wire: encodeValue's, except a REAL -0 (`SELECT -0.0`, `0.0 * -1`), which
 * JSON.stringify writes `0`, dropping the sign a REAL has: it is written `-0.0`, still a JSON number, which
 * JSON.parse reads as -0 (consoles show it `-0.0`, as psql shows a float8 -0 as `-0`).
 */
export function valueJson(v: unknown): string {
  return Object.is(v, -0) ? '-0.0' : JSON.stringify(encodeValue(v))
}

function hasNegativeZero(r: WireResult): boolean {
  return r.rows.some((row) => row.some((v) => Object.is(v, -0)))
}

/** One result as JSON text, its values written by valueJson. */
function resultJson(r: WireResult): string {
  const rows = r.rows.map((row) => `[${row.map(valueJson).join(',')}]`).join(',')
  return `{"columns":${JSON.stringify(r.columns)},"rows":[${rows}],${JSON.stringify(resultTail(r)).slice(1)}`
}

export function okReply(id: number | null, results: readonly WireResult[]): string {
  // JSON.stringify as a whole (the fast way) unless a -0 is there, whose sign it would drop.
  if (!results.some(hasNegativeZero)) return JSON.stringify({ id, ok: true, results: wireResults(results) })
  return `{"id":${JSON.stringify(id)},"ok":true,"results":[${results.map(resultJson).join(',')}]}`
}

/**
 * The reply to a call (without logs): the same text as okReply with its one result, written out
 * directly, since every call answers one (test/unit/wire.test.ts compares the two).
 */
export function callReply(id: number, value: unknown, commit: CommitPosition, type: ResultType | null): string {
  return `{"id":${id},"ok":true,"results":[{"columns":["result"],"rows":[[${valueJson(value)}]],"rowsAffected":0,"commit":{"batch":${commit.batch},"seq":${commit.seq}},"types":[${type === null ? 'null' : `"${type}"`}]}]}`
}

/** What the "version" op answers: the server's software and its version (package.json). */
export interface ServerInfo {
  readonly name: 'acheron'
  readonly version: string
}

/** The reply to {"op":"version"}: an ok reply with no results, and `server`. */
export function serverReply(id: number, server: ServerInfo): string {
  return JSON.stringify({ id, ok: true, results: [], server })
}

/**
 * `completed`: the results of a script's statements that completed before the failure (they stay
 * committed); sent as `results` beside `error` when there are any (docs/protocol.md, "Replies").
 */
export function errorReply(id: number | null, err: unknown, completed: readonly WireResult[] = []): string {
  const e = err instanceof AcheronError ? err : new AcheronError('INTERNAL', err instanceof Error ? err.message : String(err))
  const error: Record<string, unknown> & AcheronErrorDetails = { code: e.code, message: e.message }
  if (e.line !== undefined) error.line = e.line
  if (e.column !== undefined) error.column = e.column
  if (e.statement !== undefined) error.statement = e.statement
  if (e.commit !== undefined) error.commit = e.commit
  if (e.logs !== undefined) error.logs = e.logs
  // What failed ran alone at its position: EXPLAIN COMMIT of it is refused (the console's hint needs this).
  if (e.explainable === false) error.explainable = false
  // The request may have committed after all (docs/protocol.md): a client must not send it again blindly.
  if (e.outcomeUnknown === true) error.outcomeUnknown = true
  // Nothing of it took effect and trying again may succeed (an INTERNAL says so only here).
  if (e.retryable === true) error.retryable = true
  return JSON.stringify({ id, ok: false, error, ...(completed.length > 0 ? { results: wireResults(completed) } : {}) })
}
