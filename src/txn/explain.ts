/**
 * EXPLAIN CALL: a call run on the state after the last released batch, on the state thread, with a
 * tracer on its transaction state; its writes are dropped. The answer is the trace, one row per event
 * (TRACE_COLUMNS): each frame's call and return (or abort) with the fuel it used, every column it read
 * and wrote with the value before and after, its log lines, then the rows the call would commit with
 * their committed and new images — or why it would roll back.
 *
 * The trace is built from the engine's own execution path (TxnState, runStep, the runtimes). EXPLAIN
 * COMMIT uses the same recorder for a transaction taken from the batch log and run on the state before
 * its position (src/inspect/commit-trace.ts): its verdict then says what it did there.
 */
import { AcheronError, type CommitPosition } from '../errors.js'
import { realText } from '../result-types.js'
import { visibleColumns, type ColumnDef, type FunctionDef, type TableDef } from '../schema/catalog.js'
import type { Row, SqlValue } from '../values.js'
import type { TxnState, TxnTracer } from './txn-state.js'
import { runStep } from './txn-runner.js'
import type { DataTxn, ExplainCallTxn, ExplainLoggedTxn, TxnResult } from './types.js'

/** Events one trace keeps; beyond, the execution goes on and one last row counts what was left out. */
export const EXPLAIN_TRACE_EVENTS_MAX = 10_000

/** Characters of one rendered value in a trace; longer text and blobs are cut with their full size. */
const TRACE_VALUE_CHARS_MAX = 200

/**
 * A value as SQL would write it: 'text', 42, 1.5, X'00ff', NULL. A REAL as the consoles show one (realText):
 * a whole one keeps its '.0' (1.0, -0.0, 1.0e+20), so that a trace tells it from the INTEGER 1.
 */
export function literal(v: SqlValue): string {
  let s: string
  if (v === null) return 'NULL'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return realText(v)
  if (typeof v === 'string') s = `'${v.replaceAll("'", "''")}'`
  else s = `X'${Buffer.from(v).toString('hex')}'`
  if (s.length <= TRACE_VALUE_CHARS_MAX) return s
  const size = typeof v === 'string' ? `${v.length} characters` : `${v.length} bytes`
  return `${s.slice(0, TRACE_VALUE_CHARS_MAX)}… (${size})`
}

function rowText(table: TableDef, row: Row | null | undefined): string {
  if (row === null || row === undefined) return '(no row)'
  return `(${visibleColumns(table).map(({ column, place }) => `${column.name} = ${literal(row[place] ?? null)}`).join(', ')})`
}

function failureText(err: AcheronError): string {
  return `${err.code}: ${err.message}`
}

type TraceRow = [bigint, bigint, string, string | null, string | null, SqlValue, string, bigint | null]

/** The function, table and key a trace row is about (all null for the rows about the whole call). */
interface Where {
  readonly fn: string | null
  readonly table: string | null
  readonly key: SqlValue
}

const WHOLE_CALL: Where = { fn: null, table: null, key: null }

/** Collects the events of one execution as trace rows. */
class TraceRecorder implements TxnTracer {
  readonly rows: TraceRow[] = []
  private left = 0
  /** The frames entered and not left, innermost last. */
  private readonly frames: (Where & { readonly depth: number })[] = []
  /** The failure already shown where it was raised: outer frames only say they unwound. */
  private shown: unknown = undefined

  private add(depth: number, event: string, detail: string, fuel: number | null = null, at: Where = this.frames[this.frames.length - 1] ?? WHOLE_CALL): void {
    if (this.rows.length >= EXPLAIN_TRACE_EVENTS_MAX) {
      this.left++
      return
    }
    this.rows.push([
      BigInt(this.rows.length + 1), BigInt(depth), event, at.fn, at.table, at.key, detail,
      fuel === null ? null : BigInt(Math.round(fuel)),
    ])
  }

  private get depth(): number {
    return this.frames[this.frames.length - 1]?.depth ?? 0
  }

  enter(fn: FunctionDef, table: TableDef, key: bigint | string, args: readonly SqlValue[], depth: number): void {
    this.frames.push({ fn: fn.name, table: table.name, key, depth })
    this.add(depth, 'call', `(${[key, ...args].map(literal).join(', ')})`)
  }

  leave(fuel: number, outcome: { readonly value: SqlValue } | { readonly error: unknown }): void {
    if ('value' in outcome) this.add(this.depth, 'return', literal(outcome.value), fuel)
    else if (outcome.error instanceof AcheronError && this.shown !== outcome.error) {
      this.shown = outcome.error
      this.add(this.depth, 'abort', failureText(outcome.error), fuel)
    } else this.add(this.depth, 'unwind', outcome.error instanceof AcheronError ? `${outcome.error.code} from a call it made` : 'engine error', fuel)
    this.frames.pop()
  }

  get(_table: TableDef, _key: bigint | string, column: ColumnDef, value: SqlValue, present: boolean): void {
    this.add(this.depth, 'get', `${column.name} = ${literal(value)}${present ? '' : ' (no row)'}`)
  }

  set(_table: TableDef, _key: bigint | string, column: ColumnDef, before: SqlValue, after: SqlValue): void {
    this.add(this.depth, 'set', `${column.name}: ${literal(before)} → ${literal(after)}`)
  }

  remove(table: TableDef, _key: bigint | string, before: Row | undefined): void {
    this.add(this.depth, 'delete', rowText(table, before))
  }

  exists(_table: TableDef, _key: bigint | string, exists: boolean): void {
    this.add(this.depth, 'exists', exists ? 'the row exists' : 'no row')
  }

  log(message: string): void {
    this.add(this.depth, 'log', message)
  }

  /**
   * Where the trace ends: the rows the transaction writes, or why nothing commits. `at` is set for a
   * committed transaction (EXPLAIN COMMIT): the trace then says what it did at that position.
   */
  finish(state: TxnState, failure: AcheronError | null, result: TxnResult | null, at: CommitPosition | null): void {
    const position = at === null ? '' : ` at (${at.batch}, ${at.seq})`
    if (failure === null) {
      for (const w of state.pendingImages()) {
        const before = state.committed(w.table, w.key)
        const change = w.row === null ? 'delete' : before === undefined ? 'insert' : 'update'
        this.add(0, at === null ? `would ${change}` : DONE[change],
          `${rowText(w.table, before)} → ${rowText(w.table, w.row)}`, null, { fn: null, table: w.table.name, key: w.key })
      }
      const what = resultText(result)
      if (at === null) this.add(0, 'would commit', `${what}; nothing was committed (EXPLAIN)`, null, WHOLE_CALL)
      else this.add(0, 'committed', `${what}${position}`, null, WHOLE_CALL)
    } else if (at === null) this.add(0, 'would roll back', `${failureText(failure)}; nothing would be written`, null, WHOLE_CALL)
    else this.add(0, 'rolled back', `${failureText(failure)}${position}; nothing was written`, null, WHOLE_CALL)
    if (this.left > 0) {
      this.rows.push([BigInt(this.rows.length + 1), 0n, 'truncated', null, null, null, `${this.left} more events not shown (EXPLAIN_TRACE_EVENTS_MAX ${EXPLAIN_TRACE_EVENTS_MAX})`, null])
    }
  }
}

/** A row change as a committed transaction's trace names it. */
const DONE = { insert: 'inserted', update: 'updated', delete: 'deleted' } as const

/** What a transaction answered: a call's value, or what its statement read or changed. */
function resultText(r: TxnResult | null): string {
  if (r === null) return 'result NULL'
  if (r.value !== undefined) return `result ${literal(r.value)}`
  if (r.rows !== undefined) return `${r.rows.length} ${r.rows.length === 1 ? 'row' : 'rows'} read`
  return `${r.rowsAffected} ${r.rowsAffected === 1 ? 'row' : 'rows'} affected`
}

/** Runs the call on `state` with a tracer and answers with its trace; nothing of it is kept. */
export function explainCall(state: TxnState, txn: ExplainCallTxn): TxnResult {
  return traceTxn(state, { kind: 'call', fn: txn.fn, key: txn.key, args: txn.args }, null)
}

/** The transaction logged at `txn.at`, run on the state before it (EXPLAIN COMMIT), traced as what it did. */
export function explainLogged(state: TxnState, txn: ExplainLoggedTxn): TxnResult {
  return traceTxn(state, txn.txn, txn.at)
}

/**
 * Runs `txn` on `state` with a tracer, through the same code as a batch (runStep), and answers with its
 * trace; its writes are dropped. `at`: the position it committed at, for a logged transaction.
 */
function traceTxn(state: TxnState, txn: DataTxn, at: CommitPosition | null): TxnResult {
  const recorder = new TraceRecorder()
  state.tracer = recorder
  let result: TxnResult | null = null
  let failure: AcheronError | null = null
  try {
    result = runStep(state, txn)
    // The checks a commit makes (NOT NULL of every row written).
    state.finish()
  } catch (err) {
    if (!(err instanceof AcheronError)) throw err
    failure = err
  } finally {
    state.tracer = null
  }
  recorder.finish(state, failure, result, at)
  return { rows: recorder.rows, rowsAffected: 0 }
}
