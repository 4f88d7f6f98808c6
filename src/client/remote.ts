// The remote client SDK (CONTRACT.md §4): `connect(url, { token })` → a RemoteDatabase with the same
// operations as the embedded one (sql, query, call, createFunction, close), over one pipelined WebSocket.
//
// Outcome-unknown rule: when the connection drops (or a reply times out) while a request is in flight,
// that request rejects with AcheronError('INTERNAL', 'connection lost: outcome unknown', { retryable: true })
// and `outcomeUnknown` set (see `isOutcomeUnknown`). The SDK never sends it again by itself: it may or may
// not have committed, and only the caller can decide (e.g. by reading state) whether to retry. Later requests
// reconnect transparently (bounded attempts); a connection that answers no ping after a request timed out
// on it is dropped, so they reconnect then too (probe). A request that was never sent because no connection could be
// made rejects with a retryable INTERNAL error without `outcomeUnknown`: it certainly did not run.
import { constants as bufferConstants } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Database } from '../database.js'
import WebSocket from 'ws'
import { AcheronError, ERROR_CODES, type CommitPosition, type ErrorCode } from '../errors.js'
import { AUTH_TOKEN_BYTES_MAX, decodeValue, encodeValue, PAYLOAD_BYTES_MAX_HEADER } from '../server/wire.js'
import { checkSingleQuery, queryResult } from '../sql/execute.js'
import { parseScript } from '../sql/parse.js'
import { Lexer } from '../sql/lexer.js'
import { checkScriptWellFormed } from '../sql/split.js'
import { pinParam } from '../sql/params.js'
import { checkKeyGiven, checkParamsArray, checkStringArgument, checkWellFormedText, fromClientValue, unsupportedValue, type SqlValue } from '../values.js'
import { checkRowsOption, objectRows } from './rows.js'
import { checkConnectOptions, checkConnectUrl } from './connect-options.js'
import { checkCallFunctionName, checkCreateFunctionName, checkFunctionBytes, checkFunctionOptions } from '../function-options.js'
import { fileProblem } from '../file-problem.js'
import { FUEL_MAX, MEMORY_BYTES_MAX } from '../schema/catalog.js'
import { decodeCellTypes, decodeResultTypes, type CellTypes, type ResultType, type ResultTypes } from '../result-types.js'

export interface ReconnectOptions {
  /** Connection attempts per (re)connect before requests reject: at least 1 (default 5). */
  attemptsMax?: number | undefined
  /** Wait between attempts in ms (default 200). */
  delayMs?: number | undefined
}

/**
 * connect()'s options. Each may be given as undefined, which is the same as leaving it out (so that
 * `{ token: process.env.ACHERON_TOKEN }` compiles under exactOptionalPropertyTypes too).
 */
export interface RemoteConnectOptions {
  /**
   * Sent as `Authorization: Bearer <token>` on every (re)connect (in the auth frame alone when it cannot go
   * in a header: other than visible ASCII, or with surrounding spaces), and checked at connect time.
   */
  token?: string | undefined
  /** A request with no reply within this long rejects as outcome-unknown (default 60000; 0: never; at most 2^31-1). */
  requestTimeoutMs?: number | undefined
  reconnect?: ReconnectOptions | undefined
  /** Opening-handshake timeout per attempt in ms (default 5000; 0: none, the OS's TCP timeouts apply). */
  connectTimeoutMs?: number | undefined
  /** Reads `FROM WASM FILE 'path'` on this machine (default: fs.readFileSync). */
  readFile?: ((path: string) => Uint8Array) | undefined
  /**
   * For `wss://`: the certificate authority (PEM) that signed the server's certificate, for a private or
   * self-signed one; Node's own trust store (and NODE_EXTRA_CA_CERTS) applies otherwise. A Buffer is a
   * Uint8Array: the type names only the latter so that the client's types need no @types/node.
   */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[] | undefined
  /** For `wss://`: false accepts any certificate (tests only: it gives up the server's identity). Default true. */
  rejectUnauthorized?: boolean | undefined
}

/** `ca` as tls wants it: Buffers (a plain Uint8Array becomes one over the same bytes) and a mutable array. */
function caForTls(ca: string | Uint8Array | readonly (string | Uint8Array)[]): string | Buffer | (string | Buffer)[] {
  const one = (c: string | Uint8Array): string | Buffer =>
    typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength)
  return typeof ca === 'string' || ca instanceof Uint8Array ? one(ca) : ca.map(one)
}

export interface RemoteFunctionOptions {
  export?: string
  fuel?: number
  /** Memory limit in bytes. */
  memory?: number
  orReplace?: boolean
}

export interface RemoteStatementResult {
  columns: string[]
  rows: unknown[][]
  rowsAffected: number
  commit: CommitPosition
  /** `CALL … WITH LOGS` only: the call's `log()` lines. */
  logs?: string[]
  /** A DDL's IF [NOT] EXISTS that found nothing to do: what it skipped ("table t already exists, skipping"). */
  notice?: string
  /**
   * One entry per column: the SQLite type of the column's values ('INTEGER', 'REAL', 'TEXT', 'BLOB'), or
   * null (all NULL, or several types). Tells REAL 1.0 from INTEGER 1, both the number 1 here. Absent
   * without columns, and from a server older than the field.
   */
  types?: ResultTypes
  /**
   * For a column of values of several types (its `types` entry null), one type per row: which of its
   * numbers is REAL. Absent when no column is of several types, and from a server older than the field.
   */
  cellTypes?: CellTypes
}

/**
 * `call<T>()`: `T` is what the caller says the function returns (default `unknown`). It is not checked at
 * run time: the value is whatever the server decoded (number, bigint, string, Uint8Array or null).
 */
export interface RemoteCallResult<T = unknown> {
  value: T
  commit: CommitPosition
  /**
   * The value's type, as the reply's `types` says: 'INTEGER', 'REAL', 'TEXT', 'BLOB', or null for NULL
   * (REAL 1.0 and INTEGER 1 are both the number 1 in `value`). Absent from a server older than the field.
   */
  type?: ResultType | null
}
export interface RemoteLoggedCallResult<T = unknown> extends RemoteCallResult<T> { logs: string[] }
export interface RemoteCommitResult { rowsAffected: number; commit: CommitPosition }
/** `query<Row>()`: `Row` is each row's type as the caller states it (arrays by default, objects on request). */
export interface RemoteQueryResult<Row = unknown[]> {
  columns: string[]
  rows: Row[]
  /** Rows an INSERT, UPDATE or DELETE … RETURNING changed; 0 for a query. */
  rowsAffected: number
  commit: CommitPosition
  logs?: string[]
  /** As RemoteStatementResult's `types`. */
  types?: ResultTypes
  /** As RemoteStatementResult's `cellTypes`. */
  cellTypes?: CellTypes
}

/** A row as `{ rows: 'objects' }` gives it: each value keyed by its column name. */
export type ObjectRow = Record<string, SqlValue>

/** How `query` shapes rows: `'arrays'` (default, values in column order) or `'objects'` (keyed by column name). */
export interface RemoteQueryOptions {
  rows?: 'arrays' | 'objects'
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
const DEFAULT_ATTEMPTS_MAX = 5
const DEFAULT_DELAY_MS = 200
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000
/**
 * The largest reply frame accepted: the longest string Node can make of it (a UTF-8 frame of N bytes is at
 * most N characters). ws's default, 100 MiB, is below what the server may send: it bounds a result's raw
 * bytes (resultBytesMax, 64 MiB) and JSON writes a control character as six bytes (\u0001), a quote as two.
 */
const REPLY_BYTES_MAX = bufferConstants.MAX_STRING_LENGTH
/**
 * The least time a ping after a timed-out request is given before its socket is dropped (probe). A server
 * running a transaction on its main thread (--workers 0, the default on two cores) answers no ping until
 * that transaction ends, after TXN_WALL_MS_MAX (5,000 ms) at most: twice that leaves room for the batch
 * around it. A shorter requestTimeoutMs must not make a busy server look gone.
 */
const PING_WAIT_MS_MIN = 10_000
/**
 * What a close code the server sends without a reason means, for the message of the requests the close
 * takes with it (the server's own closes, 1001 and 1013, give their reason).
 */
const CLOSE_MEANINGS: ReadonlyMap<number, string> = new Map([
  // ws closes at once on a frame over its limit, unread: payloadBytesMax plus 1 MiB (docs/operations.md).
  [1009, "a request frame over the server's size limit (payloadBytesMax, 16 MiB by default)"],
])
/** Codes retryable whatever the server says (a server before the `retryable` field said nothing). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['SHUTTING_DOWN', 'OVERLOADED', 'STORAGE_FULL'])

/**
 * True for a failure whose transaction may or may not have committed (the connection dropped under it).
 * It asks the error's own flag, not `instanceof`: an AcheronError of another copy of this module
 * (`@acheron/client` beside `acheron`, two versions npm did not dedupe) must not pass for a clean failure.
 */
export function isOutcomeUnknown(err: unknown): boolean {
  return err instanceof Error && (err as { outcomeUnknown?: unknown }).outcomeUnknown === true
}

function outcomeUnknown(message: string): AcheronError {
  return new AcheronError('INTERNAL', message, { retryable: true, outcomeUnknown: true })
}

/**
 * Node's codes for a server certificate this client does not accept (OpenSSL's verify results, and a
 * name the certificate does not list): not transient, so a connection attempt that got one is not retried.
 */
const CERTIFICATE_ERROR = /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+)$/

function isCertificateError(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code
  return typeof code === 'string' && CERTIFICATE_ERROR.test(code)
}

/**
 * Why a connection attempt failed, in words an application's user can act on: Node's `connect
 * ECONNREFUSED 127.0.0.1:7000` alone did not say that no server listens there. Node's text stays in
 * parentheses, for logs and for what matches on it.
 */
function connectFailureMessage(url: string, e: Error): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ECONNREFUSED') return `cannot connect to ${url}: connection refused (${e.message}); is "acheron serve" running there, and is this its port?`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot connect to ${url}: unknown host (${e.message}); check the URL's host name`
  return `cannot connect to ${url}: ${e.message}`
}

/**
 * Whether a token can travel as `Authorization: Bearer T`: visible ASCII, spaces only inside. Node refuses a
 * header with any other character ('€', a newline: "Invalid character in header content", which failed
 * every attempt, as a retryable INTERNAL), and HTTP drops surrounding whitespace ('apptok ' arrived as
 * 'apptok'). Such a token is sent in the auth frame alone, which every attempt sends anyway.
 */
function fitsHeader(token: string): boolean {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(token)
}

/**
 * A token longer than a server accepts (AUTH_TOKEN_BYTES_MAX): refused before any connection, since every
 * attempt would be refused alike, whichever way it travels. In the auth frame a server before the limit
 * closed the connection (1009); in the Authorization header one past Node's header limit (16 KiB) was
 * HTTP 431; both looked like a dropped connection and were retried.
 */
function tokenRefusal(token: string | undefined): AcheronError | null {
  if (token === undefined) return null
  const bytes = Buffer.byteLength(token)
  if (bytes <= AUTH_TOKEN_BYTES_MAX) return null
  return new AcheronError('UNAUTHORIZED', `the token is ${bytes} bytes, more than a server accepts (AUTH_TOKEN_BYTES_MAX, ${AUTH_TOKEN_BYTES_MAX} bytes of UTF-8): use a shorter token; nothing was sent`)
}

/**
 * HTTP 431 to the upgrade: the headers are longer than the server (or a proxy before it) reads. Every attempt
 * sends the same headers, so it is final, not a dropped connection to retry (it was, attemptsMax times).
 */
function headersTooLarge(url: string, authorization: string | undefined): AcheronError {
  const what = `${url} refused the WebSocket upgrade with HTTP 431 (request header fields too large)`
  if (authorization === undefined) return new AcheronError('INTERNAL', `${what}: the request carried no token; a proxy before the server may be adding headers`)
  const bytes = Buffer.byteLength(authorization) - 'Bearer '.length
  return new AcheronError('UNAUTHORIZED', `${what}: the Authorization header carries the token (${bytes} bytes), more than that server or a proxy before it reads; use a shorter token`)
}

/**
 * Another HTTP answer than 101 to the upgrade, from whatever is at the URL (a proxy, another web server, a
 * server shutting down). A 5xx, 408 or 429 may pass, and is tried again; any other 4xx is the request's
 * (a wrong path or port, a proxy that wants its own credentials) and would come again at every attempt: final.
 */
function upgradeRefused(url: string, status: number): AcheronError {
  const what = `${url} answered the WebSocket upgrade with HTTP ${status}`
  if (status >= 500 || status === 408 || status === 429) return new AcheronError('INTERNAL', `${what}; tried again`, { retryable: true })
  if (status === 401 || status === 407) return new AcheronError('UNAUTHORIZED', `${what}: something before the server (a proxy) asks for credentials of its own; acheron's token goes in connect(url, { token })`)
  if (status === 403) return new AcheronError('FORBIDDEN', `${what}: refused there (acheron refuses a browser page of another origin this way; a proxy may refuse anything)`)
  return new AcheronError('INTERNAL', `${what}: not an acheron server's answer (it upgrades at any path); check the URL's host and port`)
}

function asCode(c: unknown): ErrorCode {
  return typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c) ? c as ErrorCode : 'INTERNAL'
}

function isCommit(c: unknown): c is CommitPosition {
  return typeof c === 'object' && c !== null && typeof (c as { batch?: unknown }).batch === 'number' && typeof (c as { seq?: unknown }).seq === 'number'
}

/** An error object of the wire protocol → AcheronError with code, message, line/column, statement, commit. */
export function errorFromWire(e: unknown): AcheronError {
  const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>
  const code = asCode(o.code)
  const err = new AcheronError(code, typeof o.message === 'string' ? o.message : `server error ${String(o.code)}`, {
    ...(typeof o.line === 'number' ? { line: o.line } : {}),
    ...(typeof o.column === 'number' ? { column: o.column } : {}),
    ...(typeof o.statement === 'number' ? { statement: o.statement } : {}),
    ...(isCommit(o.commit) ? { commit: { batch: o.commit.batch, seq: o.commit.seq } } : {}),
    ...(RETRYABLE_CODES.has(code) || o.retryable === true ? { retryable: true } : {}),
    ...(o.outcomeUnknown === true ? { outcomeUnknown: true, retryable: true } : {}),
    ...(logLines(o.logs) !== undefined ? { logs: logLines(o.logs) as string[] } : {}),
    ...(o.explainable === false ? { explainable: false as const } : {}),
  })
  return err
}

/** A failed script's reply may carry the results of the statements that completed first (docs/protocol.md). */
function withCompleted(err: AcheronError, results: unknown): AcheronError {
  if (Array.isArray(results) && results.length > 0) {
    try {
      err.results = results.map(decodeResult)
    } catch {
      // Malformed: the error itself is what matters.
    }
  }
  return err
}

/**
 * A request after (or overtaken by) the caller's own close(): DATABASE_CLOSED, as open()'s database says
 * after its close(), so that code written against Database branches on one code. Not retryable: no retry
 * undoes a close. (It was INTERNAL, the code of a failure of the server or its environment.)
 */
function clientClosed(): AcheronError {
  return new AcheronError('DATABASE_CLOSED', 'the client is closed')
}

/**
 * An error of the connection (a refusal) for one of the requests it fails. The requests a close or a refusal
 * failed were all rejected with one instance, so what a caller added to one rejection (a message prefixed
 * with the request's name, a field) showed on every other.
 */
function copyOf(err: AcheronError): AcheronError {
  return errorFromWire(err.toJSON())
}

/** A "logs" field of the wire: an array of strings, else absent. */
function logLines(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...(v as string[])] : undefined
}

function decodeResult(r: unknown): RemoteStatementResult {
  const o = r as { columns?: unknown; rows?: unknown; rowsAffected?: unknown; commit?: unknown; logs?: unknown; notice?: unknown; types?: unknown; cellTypes?: unknown }
  const logs = logLines(o?.logs)
  if (!Array.isArray(o?.columns) || !Array.isArray(o.rows) || !isCommit(o.commit)) {
    throw new AcheronError('INTERNAL', `malformed result from the server: ${JSON.stringify(r)?.slice(0, 200)}`)
  }
  // Optional both ways: an older server sends none, and a malformed one is left out rather than refused.
  const types = decodeResultTypes(o.types, o.columns.length)
  const cellTypes = decodeCellTypes(o.cellTypes, o.columns.length, o.rows.length)
  return {
    columns: o.columns.map(String),
    rows: (o.rows as unknown[]).map((row, i) => (row as unknown[]).map((v, j) => decodeValue(v, `row ${i} column ${j}`))),
    rowsAffected: typeof o.rowsAffected === 'number' ? o.rowsAffected : 0,
    commit: { batch: o.commit.batch, seq: o.commit.seq },
    ...(logs !== undefined ? { logs } : {}),
    ...(typeof o.notice === 'string' ? { notice: o.notice } : {}),
    ...(types !== undefined ? { types } : {}),
    ...(cellTypes !== undefined ? { cellTypes } : {}),
  }
}

/** A `call` reply's value type: its one column's entry of `types`; nothing when the server sent none (older). */
function callType(r: RemoteStatementResult): { type?: ResultType | null } {
  const type = r.types?.[0]
  return type === undefined ? {} : { type }
}

/**
 * A value as the wire carries it, refused here as the embedded SDK refuses it (TYPE_MISMATCH, named the
 * same way): what is no SQL value (undefined, a Date, an object, a bigint outside 64 bits, which JSON
 * would turn into null or text), and text that is not well-formed UTF-16.
 */
function wireValue(v: unknown, what: string): unknown {
  if (fromClientValue(v) === undefined) {
    throw new AcheronError('TYPE_MISMATCH', `${what}: ${unsupportedValue(v)}`)
  }
  checkWellFormedText(v, what)
  return encodeValue(v)
}

function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

/**
 * A module's bytes as the SQL source the SDK sends: BASE64, 4 characters for 3 bytes. As X'<hex>' (2 for 1)
 * a module over 8 MiB made a frame over the server's 16 MiB and was refused unsent, though the server and
 * open()'s database take one of 12 MiB.
 */
function moduleSource(bytes: Uint8Array): string {
  return `BASE64 '${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}'`
}

/**
 * Replaces every `FROM WASM FILE 'path'` of the script by `BASE64 '…'` of the file's bytes, read here (the
 * server never opens a client path). Source positions come from the AST (the FILE token); the string
 * literal after it is found with the same lexer, so comments and '' escapes are handled.
 */
export function resolveFileSources(script: string, readFile: (path: string) => Uint8Array = readFileSync): string {
  return resolveFileSourcesWithEdits(script, readFile).text
}

/** One `FILE 'path'` replaced: [start, end) of the caller's script became `text`. */
interface SourceEdit { readonly start: number; readonly end: number; readonly text: string }

/** resolveFileSources, and where it replaced what: to map the server's positions back to the caller's script. */
function resolveFileSourcesWithEdits(script: string, readFile: (path: string) => Uint8Array): { text: string; edits: readonly SourceEdit[] } {
  if (!/file/i.test(script)) return { text: script, edits: [] }
  const statements = parseScript(script)
  const edits: { start: number; end: number; text: string }[] = []
  for (const s of statements) {
    if ((s.kind !== 'create-function' && s.kind !== 'create-functions') || s.source.kind !== 'file') continue
    const start = s.source.pos.offset
    const lexer = new Lexer(script.slice(start))
    const fileTok = lexer.next()
    const strTok = lexer.next()
    if (fileTok.kind !== 'word' || fileTok.value !== 'FILE' || strTok.kind !== 'string' || strTok.value !== s.source.path) {
      throw new AcheronError('INTERNAL', `cannot locate FROM WASM FILE '${s.source.path}' in the script`, { line: s.source.pos.line, column: s.source.pos.column, statement: s.index })
    }
    let bytes: Uint8Array
    try {
      bytes = readFile(s.source.path)
    } catch (err) {
      throw new AcheronError('INVALID_WASM', `cannot read FROM WASM FILE '${s.source.path}': ${fileProblem(err)}`,
        { line: s.source.pos.line, column: s.source.pos.column, statement: s.index })
    }
    edits.push({ start, end: start + strTok.end, text: moduleSource(bytes) })
  }
  let out = script
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end)
  return { text: out, edits: edits.sort((a, b) => a.start - b.start) }
}

/** The offset of 1-based (line, column) in `text`, lines ending at \n as the lexer counts them; null if none. */
function offsetAt(text: string, line: number, column: number): number | null {
  let start = 0
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start)
    if (nl < 0) return null
    start = nl + 1
  }
  return start + column - 1
}

/**
 * Moves an error's line and column from the text sent (each `FILE 'path'` replaced by BASE64 '<the module's
 * base64>', thousands of characters) back to the caller's script. A position inside a replaced literal is
 * that literal's start.
 */
function positionInScript(err: AcheronError, sent: string, script: string, edits: readonly SourceEdit[]): void {
  if (edits.length === 0 || err.line === undefined || err.column === undefined) return
  const at = offsetAt(sent, err.line, err.column)
  if (at === null) return
  let shift = 0
  let original = -1
  for (const e of edits) {
    const sentStart = e.start + shift
    if (at < sentStart) break
    if (at < sentStart + e.text.length) { original = e.start; break }
    shift += e.text.length - (e.end - e.start)
  }
  if (original < 0) original = at - shift
  const lineStart = script.lastIndexOf('\n', original - 1) + 1
  let line = 1
  for (let i = script.indexOf('\n'); i >= 0 && i < lineStart; i = script.indexOf('\n', i + 1)) line++
  err.line = line
  err.column = original - lineStart + 1
}

/** The CREATE FUNCTION statement `createFunction` sends. */
export function createFunctionSql(name: string, bytes: Uint8Array, options: RemoteFunctionOptions = {}): string {
  checkFunctionOptions(options, ['export', 'fuel', 'memory', 'orReplace'])
  checkCreateFunctionName(name)
  checkFunctionBytes(bytes)
  let sql = `CREATE ${options.orReplace === true ? 'OR REPLACE ' : ''}FUNCTION ${name} FROM WASM ${moduleSource(bytes)}`
  if (options.export !== undefined) sql += ` EXPORT ${quoteString(options.export)}`
  const limits: string[] = []
  // The engine's check and words (CONSTRAINT, as embedded): a number out of range is no wrong type, and
  // what SQL cannot write (1.5, NaN) must be refused here, as itself.
  const int = (what: string, n: number, max: number): string => {
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new AcheronError('CONSTRAINT', `${what} must be an integer from 1 to ${max}, got ${n}`)
    return String(n)
  }
  if (options.fuel !== undefined) limits.push(`FUEL = ${int('FUEL', options.fuel, FUEL_MAX)}`)
  if (options.memory !== undefined) limits.push(`MEMORY = ${int('MEMORY', options.memory, MEMORY_BYTES_MAX)}`)
  if (limits.length > 0) sql += ` WITH (${limits.join(', ')})`
  return `${sql};`
}

/** An ok reply as it came: the results, and `server` for the "version" op. */
interface OkReply {
  readonly results: unknown[]
  readonly server?: unknown
}

/** What the server says it is (the "version" op, docs/protocol.md). */
export interface ServerInfo {
  readonly name: string
  readonly version: string
}

interface Pending {
  readonly ws: WebSocket
  resolve: (reply: OkReply) => void
  reject: (err: AcheronError) => void
  timer: NodeJS.Timeout | null
}

/** A connection to `acheron serve`: the embedded interface over the wire protocol. */
export class RemoteDatabase implements Database {
  private ws: WebSocket | null = null
  private connecting: Promise<WebSocket> | null = null
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closed = false
  /** The close() under way or done: what every close() call waits for. */
  private closeDone: Promise<void> | null = null
  /** Aborted by close(): ends a connection attempt under way and the wait between attempts. */
  private readonly closing = new AbortController()
  private readonly requestTimeoutMs: number
  private readonly attemptsMax: number
  /** How long a ping after a timed-out request may go unanswered before the socket is dropped (probe). */
  private readonly pingWaitMs: number
  /** The connection-level refusal (UNAUTHORIZED, OVERLOADED) each socket received, if any. */
  private readonly refusals = new WeakMap<WebSocket, AcheronError>()
  /** Each connection's server's `payloadBytesMax`, when the server said it on the upgrade. */
  private readonly payloadBytesMax = new WeakMap<WebSocket, number>()
  /** Sockets pinged after a request timed out, not yet answered (probe). */
  private readonly probing = new WeakSet<WebSocket>()
  /** Sockets dropped because they answered no ping: their close says so. */
  private readonly silent = new WeakSet<WebSocket>()
  private readonly delayMs: number
  private readonly connectTimeoutMs: number
  private readonly readFile: (path: string) => Uint8Array
  /** Connections opened so far (1 after connect; grows with each reconnect). */
  connections = 0

  private constructor(readonly url: string, private readonly options: RemoteConnectOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.pingWaitMs = Math.max(this.requestTimeoutMs, PING_WAIT_MS_MIN)
    this.attemptsMax = Math.max(1, options.reconnect?.attemptsMax ?? DEFAULT_ATTEMPTS_MAX)
    this.delayMs = options.reconnect?.delayMs ?? DEFAULT_DELAY_MS
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    this.readFile = options.readFile ?? ((p) => readFileSync(p))
  }

  static async connect(url: string, options: RemoteConnectOptions = {}): Promise<RemoteDatabase> {
    checkConnectUrl(url)
    checkConnectOptions(options)
    const db = new RemoteDatabase(url, options)
    await db.socket()
    return db
  }

  /** Runs a script: one result per statement, in order; rejects at the first failure. FILE sources are read here. */
  async sql(script: string, params: unknown[] = []): Promise<RemoteStatementResult[]> {
    checkStringArgument(script, 'the SQL script')
    checkParamsArray(params)
    checkScriptWellFormed(script)
    const { text, edits } = resolveFileSourcesWithEdits(script, this.readFile)
    // Array.from, not map: a hole ([1, ,]) is undefined, refused as such at its ?; map kept it a hole,
    // which JSON.stringify sent as null, so the statement ran with NULL there.
    const wire = Array.from(params, (p, i) => {
      try {
        return wireValue(p, `parameter ${i + 1}`)
      } catch (err) {
        // As embedded: a script that does not parse is its SYNTAX_ERROR first; else the value's error at its ?.
        throw pinParam(err, parseScript(script), i)
      }
    })
    let results: unknown[]
    try {
      results = (await this.request({ op: 'sql', sql: text, params: wire })).results
    } catch (err) {
      // The server's line and column are in the text sent: after a FILE on the same line they were off by
      // the length of the module's source (column 9281 for the caller's 144).
      if (err instanceof AcheronError) positionInScript(err, text, script, edits)
      throw err
    }
    return results.map(decodeResult)
  }

  /**
   * One SELECT, SHOW, DESCRIBE, CALL or EXPLAIN: its result set. `Row` types the rows (unchecked, like `call<T>`);
   * `{ rows: 'objects' }` gives each row as an object keyed by column name (ObjectRow by default).
   */
  query<Row = unknown[]>(sql: string, params?: unknown[], options?: RemoteQueryOptions & { rows?: 'arrays' }): Promise<RemoteQueryResult<Row>>
  query<Row = ObjectRow>(sql: string, params: unknown[] | undefined, options: RemoteQueryOptions & { rows: 'objects' }): Promise<RemoteQueryResult<Row>>
  query(sql: string, params: unknown[] | undefined, options: RemoteQueryOptions): Promise<RemoteQueryResult<unknown[] | ObjectRow>>
  async query(sql: string, params: unknown[] = [], options: RemoteQueryOptions = {}): Promise<RemoteQueryResult<unknown>> {
    checkRowsOption(options)
    checkSingleQuery(sql)
    const [r] = await this.sql(sql, params)
    if (r === undefined) throw new AcheronError('INTERNAL', 'a query produced no result')
    const rows = options.rows === 'objects' ? objectRows(r.columns, r.rows) : r.rows
    return { ...queryResult(r), rows }
  }

  /** Calls `table.function` on `key`: its return value and commit position. */
  async call<T = unknown>(fn: string, key: unknown, ...args: unknown[]): Promise<RemoteCallResult<T>> {
    checkCallFunctionName(fn)
    checkKeyGiven(fn, key)
    const { results } = await this.request({ op: 'call', fn, key: wireValue(key, 'key'), args: args.map((a, i) => wireValue(a, `argument ${i + 1}`)) })
    const r = decodeResult(results[0])
    return { value: (r.rows[0]?.[0] ?? null) as T, commit: r.commit, ...callType(r) }
  }

  /** `call`, and the `log()` lines it wrote (CALL … WITH LOGS); a failure's AcheronError carries them in `logs`. */
  async callWithLogs<T = unknown>(fn: string, key: unknown, ...args: unknown[]): Promise<RemoteLoggedCallResult<T>> {
    checkCallFunctionName(fn)
    checkKeyGiven(fn, key)
    const { results } = await this.request({ op: 'call', fn, key: wireValue(key, 'key'), args: args.map((a, i) => wireValue(a, `argument ${i + 1}`)), logs: true })
    const r = decodeResult(results[0])
    return { value: (r.rows[0]?.[0] ?? null) as T, commit: r.commit, ...callType(r), logs: r.logs ?? [] }
  }

  async createFunction(name: string, wasm: Uint8Array, options: RemoteFunctionOptions = {}): Promise<RemoteCommitResult> {
    let results: RemoteStatementResult[]
    try {
      results = await this.sql(createFunctionSql(name, wasm, options))
    } catch (err) {
      // A line and column of the statement this SDK wrote, not of anything the caller wrote (a column
      // past the module's source, thousands of characters in): the caller's call has no position, as embedded.
      if (err instanceof AcheronError) {
        delete err.line
        delete err.column
        delete err.statement
      }
      throw err
    }
    const [r] = results
    if (r === undefined) throw new AcheronError('INTERNAL', 'CREATE FUNCTION produced no result')
    return { rowsAffected: r.rowsAffected, commit: r.commit }
  }

  /**
   * What the server is: its software and version (package.json of the acheron it runs), asked with the
   * "version" op; null from a server older than that op (it answers SYNTAX_ERROR "unknown op").
   */
  async serverInfo(): Promise<ServerInfo | null> {
    let reply: OkReply
    try {
      reply = await this.request({ op: 'version' })
    } catch (err) {
      if (err instanceof AcheronError && err.code === 'SYNTAX_ERROR' && /unknown op/.test(err.message)) return null
      throw err
    }
    const s = reply.server as Partial<ServerInfo> | undefined
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || typeof s.version !== 'string') {
      throw new AcheronError('INTERNAL', `the server's reply to "version" has no server {name, version}: ${JSON.stringify(reply).slice(0, 200)}`)
    }
    return { name: s.name, version: s.version }
  }

  /** The server's version (`acheron --version` on its machine), or null from a server older than the "version" op. */
  async serverVersion(): Promise<string | null> {
    return (await this.serverInfo())?.version ?? null
  }

  /**
   * Closes the connection; requests still in flight reject as outcome-unknown. Every call gets the one close
   * under way, so each resolves only once the socket has closed (a second close() while the first waited
   * for the close handshake returned at once); after that, at once.
   */
  close(): Promise<void> {
    this.closeDone ??= this.closeOnce()
    return this.closeDone
  }

  private async closeOnce(): Promise<void> {
    this.closed = true
    this.closing.abort()
    const ws = this.ws
    this.ws = null
    this.failPending(() => outcomeUnknown('the client closed the connection: outcome unknown'))
    if (ws !== null && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { ws.terminate(); resolve() }, 1000)
        ws.once('close', () => { clearTimeout(t); resolve() })
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
        else ws.close(1000, 'client close')
      })
    }
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size
  }

  // ---- the connection ---------------------------------------------------------------------------

  private async request(body: Record<string, unknown>): Promise<OkReply> {
    const ws = await this.socket()
    const id = this.nextId++
    return new Promise<OkReply>((resolve, reject) => {
      if (this.closed) {
        // close() came between the socket's opening and this send: the caller's own close, which no retry undoes.
        reject(clientClosed())
        return
      }
      // Encoded before it is registered: a frame too long for a string (about 512 MiB of JSON) must fail
      // as itself, certainly unsent, not as a RangeError that leaves its timer and entry behind.
      let frame: string
      try {
        frame = JSON.stringify({ id, ...body })
      } catch (err) {
        reject(new AcheronError('PAYLOAD_TOO_LARGE', `the request cannot be encoded (${err instanceof Error ? err.message : String(err)}): it was not sent`))
        return
      }
      // Longer than the server reads: it would close the connection (1009) and every request in flight on
      // it would become outcome unknown. Refused here instead, alone. (A UTF-8 byte count only when the
      // frame could be over: a code unit is at most 3 bytes.)
      const max = this.payloadBytesMax.get(ws)
      if (max !== undefined && frame.length * 3 > max) {
        const bytes = Buffer.byteLength(frame)
        if (bytes > max) {
          reject(new AcheronError('PAYLOAD_TOO_LARGE', `a request frame is at most ${max} bytes on this server (payloadBytesMax), this one is ${bytes}: it was not sent`))
          return
        }
      }
      const p: Pending = { ws, resolve, reject, timer: null }
      if (this.requestTimeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id)
          reject(outcomeUnknown(`no reply within ${this.requestTimeoutMs} ms: outcome unknown`))
          this.probe(ws)
        }, this.requestTimeoutMs)
      }
      if (ws.readyState !== WebSocket.OPEN) {
        // ws sends nothing on a socket that is closing: the request never left this client, so its
        // outcome is certain. It was rejected as outcome unknown, though it had not run, when the server
        // had just refused the connection (OVERLOADED at connectionsMax): that refusal is its outcome.
        if (p.timer) clearTimeout(p.timer)
        const refusal = this.refusals.get(ws)
        reject(refusal !== undefined ? copyOf(refusal) : new AcheronError('INTERNAL', `connection to ${this.url} closed before the request was sent: it did not run`, { retryable: true }))
        return
      }
      this.pending.set(id, p)
      ws.send(frame, (err) => {
        // A failed send may still have reached the socket buffer partly: treat it as outcome-unknown too.
        if (err && this.pending.get(id) === p) {
          this.pending.delete(id)
          if (p.timer) clearTimeout(p.timer)
          reject(outcomeUnknown(`connection lost: outcome unknown (${err.message})`))
        }
      })
    })
  }

  /** The open socket, (re)connecting with bounded attempts when there is none. */
  private socket(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(clientClosed())
    if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws)
    this.connecting ??= this.connectWithRetries().finally(() => { this.connecting = null })
    return this.connecting
  }

  private async connectWithRetries(): Promise<WebSocket> {
    const tooLong = tokenRefusal(this.options.token)
    if (tooLong !== null) throw tooLong
    let last: AcheronError | null = null
    for (let attempt = 1; attempt <= this.attemptsMax; attempt++) {
      if (this.closed) throw clientClosed()
      try {
        const ws = await this.open()
        if (this.closed) { ws.terminate(); throw clientClosed() }
        this.ws = ws
        this.connections++
        return ws
      } catch (err) {
        last = err instanceof AcheronError ? err : new AcheronError('INTERNAL', `cannot connect to ${this.url}: ${err instanceof Error ? err.message : String(err)}`, { retryable: true })
        // UNAUTHORIZED, FORBIDDEN, an untrusted certificate: the same attempt again would fail the same way.
        if (last.retryable !== true) throw last
        if (attempt < this.attemptsMax) await sleep(this.delayMs, undefined, { signal: this.closing.signal }).catch(() => {})
      }
    }
    throw last ?? new AcheronError('INTERNAL', `cannot connect to ${this.url}`, { retryable: true })
  }

  /** One connection attempt: the upgrade, then an auth round trip so that a wrong or missing token fails here. */
  private open(): Promise<WebSocket> {
    const headers: Record<string, string> = {}
    const token = this.options.token
    if (token !== undefined && fitsHeader(token)) headers.authorization = `Bearer ${token}`
    return new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url, {
        headers,
        maxPayload: REPLY_BYTES_MAX,
        ...(this.options.ca !== undefined ? { ca: caForTls(this.options.ca) } : {}),
        ...(this.options.rejectUnauthorized !== undefined ? { rejectUnauthorized: this.options.rejectUnauthorized } : {}),
      })
      let settled = false
      let serverError: AcheronError | null = null
      // Every attempt makes one auth round trip, with an empty token when none was given: a server that needs
      // one then refuses it here, at connect(), and not at the first request as it did without one.
      const authId = this.nextId++
      // close() during the attempt: a handshake that hangs (a stopped server's port still accepts) would
      // otherwise hold the waiting requests, and the process, until connectTimeoutMs, or for ever with 0.
      const closed = (): void => done(clientClosed())
      this.closing.signal.addEventListener('abort', closed)
      const done = (err: AcheronError | null): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.closing.signal.removeEventListener('abort', closed)
        // The server's own refusal of the auth frame (a proxy's 401 to the upgrade says something else).
        if (err !== null && err.code === 'UNAUTHORIZED' && this.options.token === undefined && upgraded) {
          err = new AcheronError('UNAUTHORIZED', `${this.url} requires a token: connect(url, { token })`)
        }
        if (err !== null) { ws.terminate(); reject(err) } else resolve(ws)
      }
      // Whether the upgrade completed: past it, a timeout is an auth frame nobody answered (a WebSocket server
      // that is not acheron's), not a handshake that did not happen.
      let upgraded = false
      const timer = this.connectTimeoutMs === 0 ? undefined
        : setTimeout(() => done(new AcheronError('INTERNAL', upgraded
          ? `${this.url} accepted the WebSocket connection but answered no authentication frame within ${this.connectTimeoutMs} ms: is it an acheron server? check the URL's port`
          : `no WebSocket handshake with ${this.url} within ${this.connectTimeoutMs} ms`, { retryable: true })), this.connectTimeoutMs)
      // Why the connection failed, for the message of the requests it takes with it (a reply over
      // REPLY_BYTES_MAX, a reset): the close that follows says only 1006.
      let lastError: Error | null = null
      ws.on('error', (e) => {
        lastError = e
        if (settled) return
        const status = /^Unexpected server response: (\d+)$/.exec(e.message)?.[1]
        done(status === '431' ? headersTooLarge(this.url, headers.authorization)
          : status !== undefined ? upgradeRefused(this.url, Number(status))
          : new AcheronError('INTERNAL', connectFailureMessage(this.url, e), { retryable: !isCertificateError(e) }))
      })
      ws.on('upgrade', (res) => {
        const max = Number(res.headers[PAYLOAD_BYTES_MAX_HEADER])
        if (Number.isSafeInteger(max) && max > 0) this.payloadBytesMax.set(ws, max)
      })
      ws.on('open', () => {
        upgraded = true
        ws.send(JSON.stringify({ id: authId, op: 'auth', token: this.options.token ?? '' }))
      })
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) return
        let msg: { id?: unknown; ok?: unknown; results?: unknown; error?: unknown; server?: unknown }
        try { msg = JSON.parse(data.toString()) } catch { return }
        if (typeof msg !== 'object' || msg === null) return
        if (msg.id === authId) {
          if (msg.ok === true) done(null)
          else if (msg.ok === false) done(errorFromWire(msg.error))
          // No reply of the protocol (an echo server sends the auth frame back): it was "server error undefined".
          // What came is not shown: an echo of the auth frame would put the token in the message.
          else done(new AcheronError('INTERNAL', `${this.url} answered the authentication frame with no reply of the acheron protocol${(msg as { op?: unknown }).op === 'auth' ? ' (it sent the frame back)' : ''}: is it an acheron server? check the URL's port`))
          return
        }
        if (typeof msg.id !== 'number') {
          // A connection-level refusal (UNAUTHORIZED, OVERLOADED) precedes the close.
          if (msg.ok === false) {
            serverError = errorFromWire(msg.error)
            this.refusals.set(ws, serverError)
            if (!settled) done(serverError)
          }
          return
        }
        const p = this.pending.get(msg.id)
        if (p === undefined) return
        this.pending.delete(msg.id)
        if (p.timer) clearTimeout(p.timer)
        if (msg.ok === true && Array.isArray(msg.results)) p.resolve({ results: msg.results, server: msg.server })
        else p.reject(withCompleted(errorFromWire(msg.error), msg.results))
      })
      ws.on('close', (code: number, reason: Buffer) => {
        if (!settled) {
          // The one frame sent so far is the auth frame: a server that found it too large (one before
          // AUTH_TOKEN_BYTES_MAX read at most 4 KiB) would close every attempt alike.
          if (serverError === null && upgraded && code === 1009) {
            done(new AcheronError('UNAUTHORIZED', `${this.url} closed the connection (1009, frame too large) at the auth frame, which carries the token (${Buffer.byteLength(this.options.token ?? '')} bytes): that server reads less before authentication; use a shorter token, or one of visible ASCII, which goes in the Authorization header`))
            return
          }
          done(serverError ?? new AcheronError('INTERNAL', `connection to ${this.url} closed during the handshake (${code} ${reason.toString()})`, { retryable: true }))
          return
        }
        if (this.ws === ws) this.ws = null
        // The server refused requests before running them (UNAUTHORIZED/OVERLOADED): that is their outcome.
        const silence = this.silent.has(ws) ? `no answer to a ping within ${this.pingWaitMs} ms` : ''
        const why = [String(code), CLOSE_MEANINGS.get(code) ?? '', reason.toString(), lastError?.message ?? '', silence].filter((s) => s.length > 0).join(', ')
        const refused = serverError
        this.failPending(() => refused !== null ? copyOf(refused) : outcomeUnknown(`connection lost (${why}): outcome unknown`), ws)
      })
    })
  }

  /**
   * After a request timed out on `ws`: is anyone there? A connection whose peer vanished without a FIN or RST
   * (a host gone, a NAT or load balancer that dropped the flow) stays open for TCP, and every later request
   * would time out on it in turn. A ping that gets no pong within requestTimeoutMs (PING_WAIT_MS_MIN at
   * least) drops the socket: its requests reject as outcome unknown and the next request reconnects. A
   * busy server answers the ping late, not never (a transaction on its main thread delays it by at most
   * TXN_WALL_MS_MAX), so only a silent connection is dropped.
   */
  private probe(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN || this.probing.has(ws)) return
    this.probing.add(ws)
    const silent = setTimeout(() => {
      this.silent.add(ws)
      ws.terminate()
    }, this.pingWaitMs)
    const answered = (): void => {
      clearTimeout(silent)
      this.probing.delete(ws)
      // Each probe's listeners go with it: a socket probed many times must not collect them.
      ws.off('pong', answered)
      ws.off('close', answered)
    }
    ws.on('pong', answered)
    ws.on('close', answered)
    ws.ping()
  }

  /** Rejects the requests in flight (on `ws` only, when given): never re-sent. */
  private failPending(err: () => AcheronError, ws?: WebSocket): void {
    for (const [id, p] of [...this.pending]) {
      if (ws !== undefined && p.ws !== ws) continue
      this.pending.delete(id)
      if (p.timer) clearTimeout(p.timer)
      p.reject(err())
    }
  }
}

/**
 * Opens a connection to `acheron serve` at `url` (ws://HOST:PORT): a string, or a URL (typed by its `href`,
 * so that a project without the DOM's or Node's types compiles against this).
 */
export function connect(url: string | { readonly href: string }, options: RemoteConnectOptions = {}): Promise<RemoteDatabase> {
  // A URL object, as the ws package takes one (it was refused: "url is ws://HOST:PORT …, got ws://…/").
  return RemoteDatabase.connect(url instanceof URL ? url.href : url as string, options)
}
