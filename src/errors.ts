import type { CellTypes, ResultTypes } from './result-types.js'

/** Stable error codes of CONTRACT.md §4. Never rename one; add new ones at the end. */
export const ERROR_CODES = [
  'SYNTAX_ERROR', 'UNKNOWN_TABLE', 'UNKNOWN_FUNCTION', 'UNKNOWN_COLUMN', 'DUPLICATE_KEY',
  'TYPE_MISMATCH', 'CONSTRAINT', 'INVALID_WASM', 'WASM_IMPORT_NOT_ALLOWED', 'TXN_ABORTED',
  'WASM_TRAP', 'OUT_OF_FUEL', 'MEMORY_LIMIT', 'CALL_DEPTH_EXCEEDED', 'UNAUTHORIZED', 'FORBIDDEN',
  'PAYLOAD_TOO_LARGE', 'OVERLOADED', 'SHUTTING_DOWN', 'INTERNAL', 'STORAGE_FULL',
  // EXPLAIN COMMIT of a position whose transaction cannot be re-run (not yet committed, older than the
  // log still holds, a read, a catalog change): the message says why and which positions can be.
  'POSITION_UNAVAILABLE',
  // open() of a data directory another process (or another open in this one) holds: DataDirInUseError.
  'DATA_DIR_IN_USE',
  // A request to a database (open()) or client (connect()) after the caller's own close(): no retry helps.
  'DATABASE_CLOSED',
  // open() (or acheron serve) of a data directory whose files are damaged: DataDirDamagedError.
  'DATA_DIR_DAMAGED',
  // open() of a data directory that cannot be created or used: permissions, a file in its place, a
  // checkpoint of a newer acheron (StorageFormatError).
  'DATA_DIR_UNUSABLE',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** Codes of a transaction that ran and rolled itself back: such a failure carries its commit position. */
export const ROLLBACK_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TXN_ABORTED', 'WASM_TRAP', 'OUT_OF_FUEL', 'MEMORY_LIMIT', 'CALL_DEPTH_EXCEEDED', 'CONSTRAINT',
  'DUPLICATE_KEY', 'TYPE_MISMATCH', 'UNKNOWN_FUNCTION', 'UNKNOWN_TABLE', 'UNKNOWN_COLUMN',
])

export interface CommitPosition { readonly batch: number; readonly seq: number }

/** A statement of a script that completed before the script failed (AcheronError.results). */
export interface CompletedStatement {
  columns: string[]
  rows: unknown[][]
  rowsAffected: number
  commit: CommitPosition
  logs?: string[]
  /** One per column: 'INTEGER', 'REAL', 'TEXT', 'BLOB' or null (docs/protocol.md, "Replies"). */
  types?: ResultTypes
  /** For a column of values of several types, each value's type (docs/protocol.md, "Replies"). */
  cellTypes?: CellTypes
}

export interface AcheronErrorDetails {
  line?: number
  column?: number
  statement?: number
  commit?: CommitPosition
  /** The failure is transient (overload, shutdown, a lost connection): trying again later may succeed. */
  retryable?: boolean
  /**
   * The request may or may not have committed (its connection was lost before the reply): never send it
   * again blindly. Without this flag a failed request certainly did not take effect.
   */
  outcomeUnknown?: boolean
  /** `CALL … WITH LOGS` that failed: the `log()` lines its execution wrote before the failure. */
  logs?: string[]
  /**
   * false: what failed at `commit` ran alone there (a DDL, a statement over a whole table, a query), and
   * EXPLAIN COMMIT of that position is refused. Absent otherwise.
   */
  explainable?: false
}

/** The names AcheronError and its subclasses give their errors (`instanceof` across module copies). */
const ACHERON_ERROR_NAMES: ReadonlySet<string> = new Set(['AcheronError', 'DataDirInUseError', 'DataDirDamagedError', 'StorageFormatError'])

/** The one error type that crosses the public boundary: a stable code plus a message for a person. */
export class AcheronError extends Error {
  readonly code: ErrorCode
  // `declare`: a detail the error lacks is absent, not a key holding undefined (ES2022 class fields would
  // define each one, and every error printed by Node or spread listed them all as undefined).
  declare line?: number
  declare column?: number
  declare statement?: number
  declare commit?: CommitPosition
  declare retryable?: boolean
  declare outcomeUnknown?: boolean
  declare logs?: string[]
  declare explainable?: false
  /**
   * `sql(script)` that failed after some of its statements completed: their results, in order. They stay
   * committed (each statement outside BEGIN … COMMIT is its own transaction); absent when none completed.
   */
  declare results?: CompletedStatement[]

  /**
   * `err instanceof AcheronError` holds for an AcheronError of another copy of this module too
   * (`@acheron/client` beside `acheron`, two versions npm did not dedupe): its prototype is that copy's,
   * so the prototype test alone said no and an application took our error for a foreign one. A subclass
   * (DataDirInUseError) keeps the plain prototype test.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true
    return this === AcheronError && x instanceof Error && ACHERON_ERROR_NAMES.has(x.name) && (ERROR_CODES as readonly unknown[]).includes((x as { code?: unknown }).code)
  }

  constructor(code: ErrorCode, message: string, details: AcheronErrorDetails = {}) {
    super(message)
    this.name = 'AcheronError'
    this.code = code
    if (details.line !== undefined) this.line = details.line
    if (details.column !== undefined) this.column = details.column
    if (details.statement !== undefined) this.statement = details.statement
    if (details.commit !== undefined) this.commit = details.commit
    if (details.retryable !== undefined) this.retryable = details.retryable
    if (details.outcomeUnknown !== undefined) this.outcomeUnknown = details.outcomeUnknown
    if (details.logs !== undefined) this.logs = details.logs
    if (details.explainable === false) this.explainable = false
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message }
    if (this.line !== undefined) out.line = this.line
    if (this.column !== undefined) out.column = this.column
    if (this.statement !== undefined) out.statement = this.statement
    if (this.commit !== undefined) out.commit = this.commit
    // What a caller's retry decision needs, kept in a JSON log of the error too.
    if (this.retryable !== undefined) out.retryable = this.retryable
    if (this.outcomeUnknown !== undefined) out.outcomeUnknown = this.outcomeUnknown
    if (this.logs !== undefined) out.logs = this.logs
    if (this.explainable === false) out.explainable = false
    return out
  }
}

/** A failed invariant: the engine stops loudly rather than corrupt state. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`acheron invariant violated: ${message}`)
}
