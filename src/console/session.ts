// The console's connection and how one unit runs: FROM WASM FILE read here (relative to the statement's
// source), the unit's statements sent as one `sql` request, and a failure pinned to the statement and the
// source position it came from (the server counts lines and columns in the text it was sent).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { RemoteDatabase, resolveFileSources, type RemoteStatementResult } from '../client/remote.js'
import { AcheronError } from '../errors.js'
import { AUTH_TOKEN_BYTES_MAX } from '../server/wire.js'
import { connectionFailureReason } from './connect-failure.js'
import type { Grid } from './format-table.js'
import type { SourceStatement } from './source.js'
import { lineColumnOf, offsetBeforeEdit, offsetOf, type LineColumn } from './text-position.js'
import type { Unit } from './units.js'
import { interpolate, Variables, type Interpolated } from './variables.js'
import { withLogsAppended } from './with-logs.js'

export const DEFAULT_URL = 'ws://127.0.0.1:7878'

export interface LocatedError {
  readonly error: AcheronError
  /** The statement that failed, when known. */
  readonly statement: SourceStatement | null
  /** The failure's position in `statement.source.text`, when the error carries one. */
  readonly at: LineColumn | null
  /** The `:name` the failure points at, left as typed because no variable of that name is set. */
  readonly unsetVariable?: string
}

export type UnitOutcome =
  | { readonly ok: true; readonly results: readonly RemoteStatementResult[]; readonly elapsedMs: number }
  | { readonly ok: false; readonly failure: LocatedError; readonly elapsedMs: number }

interface SentPart {
  readonly statement: SourceStatement
  /** The statement with its variables put in (`:name`, `:'name'`, `:"name"`; variables.ts). */
  readonly interpolated: Interpolated
  /** The statement as sent (FILE sources replaced by X'hex'). */
  readonly sent: string
  /** Where `sent` starts in the request's text. */
  readonly sentOffset: number
}

function asAcheronError(err: unknown): AcheronError {
  return err instanceof AcheronError ? err : new AcheronError('INTERNAL', err instanceof Error ? err.message : String(err))
}

/** An error positioned at `localOffset` of `part.sent` → its statement and source position. */
function locatedIn(error: AcheronError, statement: SourceStatement, interpolated: Interpolated, sent: string, localOffset: number): LocatedError {
  const original = interpolated.originalOffset(offsetBeforeEdit(interpolated.text, sent, localOffset))
  const at = lineColumnOf(statement.source.text, statement.offset + original)
  const unset = notInterpolatedAt(statement.text, original, interpolated)
  return unset === null ? { error, statement, at } : { error, statement, at, unsetVariable: unset }
}

/** The `:name` (`:'name'`, `:"name"`) at `offset` of the statement typed when it was left as typed (no such variable). */
function notInterpolatedAt(typed: string, offset: number, interpolated: Interpolated): string | null {
  const m = /^:(?:[A-Za-z0-9_]+|'[A-Za-z0-9_]+'|"[A-Za-z0-9_]+")/.exec(typed.slice(offset))
  return m === null || interpolated.replacedAt(offset) ? null : m[0]
}

function locate(error: AcheronError, parts: readonly SentPart[], requestText: string): LocatedError {
  if (error.line !== undefined && error.column !== undefined) {
    const offset = offsetOf(requestText, error.line, error.column)
    const part = parts.findLast((p) => p.sentOffset <= offset) ?? parts[0]
    if (part !== undefined) return locatedIn(error, part.statement, part.interpolated, part.sent, offset - part.sentOffset)
  }
  const part = error.statement !== undefined ? parts[error.statement] : parts[0]
  return { error, statement: part?.statement ?? null, at: null }
}

export interface SessionOptions {
  token?: string
}

export class Session {
  private db: RemoteDatabase | null = null
  /** `\logs on`: CALLs are sent WITH LOGS, and their `log()` lines are printed after the result. */
  withLogs = false
  /** \set's variables, put into every statement sent (and \i's files share them). */
  readonly variables = new Variables()

  constructor(readonly url: string, private readonly options: SessionOptions = {}) {}

  /**
   * A failure as the console says it. The server's UNAUTHORIZED words are for programs ("the first frame
   * must be {"op":"auth",...}"): a console user is told what to give instead.
   */
  private failureOf(err: unknown): AcheronError {
    const e = asAcheronError(err)
    if (e.code !== 'UNAUTHORIZED') return e
    const token = this.options.token
    if (token === undefined) return new AcheronError('UNAUTHORIZED', 'the server asks for a token: give --token T (its --admin-token or --app-token)')
    // The SDK refuses a token over the limit itself: "the server refused" it was untrue, no server saw it.
    if (Buffer.byteLength(token) > AUTH_TOKEN_BYTES_MAX) return new AcheronError('UNAUTHORIZED', `the token given with --token cannot be used (${e.message})`)
    return new AcheronError('UNAUTHORIZED', `the server refused the token given with --token (${e.message})`)
  }

  /**
   * A statement's failure: as failureOf, and a connection that could not be re-opened (the server went
   * away since the start) said in the words the console uses at start, not Node's `connect ECONNREFUSED`.
   */
  private statementFailureOf(err: unknown): AcheronError {
    const e = this.failureOf(err)
    const reason = connectionFailureReason(this.url, e)
    return reason === null ? e : new AcheronError(e.code, reason, e.retryable === undefined ? {} : { retryable: e.retryable })
  }

  /** Opens the connection now (later requests reconnect by themselves); rejects with the reason. */
  async connect(): Promise<void> {
    try {
      await this.database()
    } catch (err) {
      throw this.failureOf(err)
    }
  }

  get connected(): boolean {
    return this.db !== null
  }

  /** Sends one unit and waits for its outcome; never rejects. */
  async run(unit: Unit): Promise<UnitOutcome> {
    const parts: SentPart[] = []
    let requestText = ''
    for (const statement of unit.statements) {
      let sent: string
      const interpolated = interpolate(statement.text, this.variables.lookup)
      try {
        sent = resolveFileSources(interpolated.text, (path) => readFileSync(resolve(statement.source.baseDir, path)))
        if (this.withLogs) sent = withLogsAppended(sent)
      } catch (err) {
        const e = this.failureOf(err)
        const at = e.line !== undefined && e.column !== undefined ? offsetOf(interpolated.text, e.line, e.column) : null
        return { ok: false, elapsedMs: 0, failure: at === null ? { error: e, statement, at: null } : locatedIn(e, statement, interpolated, interpolated.text, at) }
      }
      // A statement may leave out its `;` at the end of a -e or a file (`-e BEGIN -e "UPDATE …"`): sent
      // together in one BEGIN block, it needs one before the next, or the server reads `BEGIN UPDATE …`.
      if (parts.length > 0) requestText += requestText.endsWith(';') ? '\n' : ';\n'
      parts.push({ statement, interpolated, sent, sentOffset: requestText.length })
      requestText += sent
    }
    const started = performance.now()
    try {
      const db = await this.database()
      const results = await db.sql(requestText)
      return { ok: true, results, elapsedMs: performance.now() - started }
    } catch (err) {
      return { ok: false, failure: locate(this.statementFailureOf(err), parts, requestText), elapsedMs: performance.now() - started }
    }
  }

  /** The rows of one query (for the REPL's completion); rejects on any failure. */
  async rows(sql: string): Promise<readonly (readonly unknown[])[]> {
    return (await this.query(sql)).rows
  }

  /** One query's columns, rows and types (for \d and its kin, \copy); rejects with an AcheronError on any failure. */
  async query(sql: string): Promise<Grid> {
    try {
      return await (await this.database()).query(sql)
    } catch (err) {
      throw this.statementFailureOf(err)
    }
  }

  /** Runs `sql` with `params` (\copy's INSERTs); rejects with an AcheronError on any failure. */
  async execute(sql: string, params: unknown[]): Promise<void> {
    try {
      await (await this.database()).sql(sql, params)
    } catch (err) {
      throw this.statementFailureOf(err)
    }
  }

  /** What \conninfo says: the URL, TLS (wss://), whether a token is sent, whether a connection is open. */
  info(): { readonly url: string; readonly tls: boolean; readonly token: boolean; readonly connected: boolean } {
    return { url: this.url, tls: /^wss:/i.test(this.url), token: this.options.token !== undefined, connected: this.db !== null }
  }

  /**
   * The server's version for \conninfo, connecting if there is no connection yet (the answer is the
   * server's): the version, or why there is none — never a rejection, \conninfo says it either way.
   */
  async serverVersion(): Promise<{ readonly version: string } | { readonly unknown: string }> {
    try {
      const v = await (await this.database()).serverVersion()
      return v === null ? { unknown: 'not reported (the server predates the "version" op)' } : { version: v }
    } catch (err) {
      const e = this.failureOf(err)
      return { unknown: `cannot ask: ${e.code}: ${e.message.split('\n')[0] ?? ''}` }
    }
  }

  async close(): Promise<void> {
    const db = this.db
    this.db = null
    await db?.close()
  }

  private async database(): Promise<RemoteDatabase> {
    this.db ??= await RemoteDatabase.connect(this.url, this.options.token !== undefined ? { token: this.options.token } : {})
    return this.db
  }
}
