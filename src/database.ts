// The one interface the embedded database (`open`) and the remote client (`connect`) share
// (CONTRACT.md §4): code written against `Database` runs unchanged in-process or over WebSocket.
import type { CommitPosition } from './errors.js'
import type { CellTypes, ResultType, ResultTypes } from './result-types.js'

export interface DatabaseStatementResult {
  columns: string[]
  rows: unknown[][]
  rowsAffected: number
  commit: CommitPosition
  /** `CALL … WITH LOGS` only: the call's `log()` lines. */
  logs?: string[]
  /** One per column: the type of its values ('INTEGER', 'REAL', 'TEXT', 'BLOB') or null; absent without columns (src/result-types.ts). */
  types?: ResultTypes
  /** For a column of values of several types (its `types` entry null), each value's type; absent when there is none (src/result-types.ts). */
  cellTypes?: CellTypes
}

export interface DatabaseQueryResult {
  columns: string[]
  rows: unknown[][]
  /** Rows an INSERT, UPDATE or DELETE … RETURNING changed; 0 for a query. */
  rowsAffected: number
  commit: CommitPosition
  /** `CALL … WITH LOGS` only: the call's `log()` lines. */
  logs?: string[]
  /** One per column: the type of its values ('INTEGER', 'REAL', 'TEXT', 'BLOB') or null; absent without columns (src/result-types.ts). */
  types?: ResultTypes
  /** For a column of values of several types (its `types` entry null), each value's type; absent when there is none (src/result-types.ts). */
  cellTypes?: CellTypes
}

export interface DatabaseCallResult {
  value: unknown
  commit: CommitPosition
  /** The value's type ('INTEGER', 'REAL', 'TEXT', 'BLOB'; null for NULL): REAL 1.0 and INTEGER 1 are both the number 1 (src/result-types.ts). */
  type?: ResultType | null
}

/** `callWithLogs`: the call's result and the `log()` lines of its committed execution. */
export interface DatabaseLoggedCallResult extends DatabaseCallResult {
  logs: string[]
}

export interface DatabaseCommitResult {
  rowsAffected: number
  commit: CommitPosition
}

export interface DatabaseFunctionOptions {
  /** The export to run; defaults to the function's name. */
  export?: string
  fuel?: number
  /** Memory limit in bytes. */
  memory?: number
  orReplace?: boolean
}

export interface Database {
  /** Runs a script; one result per statement, in order. */
  sql(script: string, params?: unknown[]): Promise<DatabaseStatementResult[]>
  /** Runs exactly one statement that returns rows. */
  query(sql: string, params?: unknown[]): Promise<DatabaseQueryResult>
  /** `CALL fn(key, ...args)` as one transaction. */
  call(fn: string, key: unknown, ...args: unknown[]): Promise<DatabaseCallResult>
  /**
   * `CALL fn(key, ...args) WITH LOGS`: also the `log()` lines the call wrote. A failure's AcheronError
   * carries them in `logs`.
   */
  callWithLogs(fn: string, key: unknown, ...args: unknown[]): Promise<DatabaseLoggedCallResult>
  /** `CREATE FUNCTION name FROM WASM <bytes>`. */
  createFunction(name: string, wasm: Uint8Array, options?: DatabaseFunctionOptions): Promise<DatabaseCommitResult>
  close(): Promise<void>
}
