import { AcheronError } from '../errors.js'
import { checkDeadline } from '../schema/execution-deadline.js'
import { rowKeyOf, sortByRowKey, sortRowKeys, tableKeyName, type RowKey } from '../schema/keys.js'
import type { RowEvaluator } from '../storage/row-evaluator.js'
import type { Row, SqlValue } from '../values.js'
import type { Catalog, ColumnDef, FunctionDef, RuntimeKind, TableDef } from '../schema/catalog.js'
import { checkNotNull, coerceKey, coerceToColumn, defaultRow } from './coerce.js'
import {
  CALL_DEPTH_MAX, EngineSignal, type FuelMeter, type FunctionRuntime, type InvocationContext, type ModuleSource,
} from '../schema/function-runtime.js'
import type { BaseReader, RowWrite } from '../schema/rows.js'

/** What a thread executing transactions has at hand for one batch. */
export interface ExecEnv {
  readonly catalog: Catalog
  /** SQL expressions over one row (UPDATE/DELETE by key), evaluated by SQLite. */
  readonly evaluator: RowEvaluator
  readonly runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>
  /** Module bytes by SHA-256 hex. */
  module(hash: string): ModuleSource
  /** EngineFaults.keepNegativeZero: a deliberate bug, absent in normal use. */
  readonly keepNegativeZero?: boolean
}

/**
 * Thrown when a fallback execution touches a row outside its conflict component. It is deterministic
 * (the first such access of a deterministic execution), so the walk can merge components and rerun.
 */
export class LockMiss extends EngineSignal {
  constructor(readonly rowKey: RowKey) {
    super(`lock miss on ${rowKey}`)
  }
}

/**
 * `log()` lines one transaction keeps for its caller (CALL … WITH LOGS). Each call chain already writes
 * at most LOG_LINES_PER_CALL_MAX lines of at most LOG_LINE_BYTES_MAX bytes (src/wasm-exec/abi.ts); this
 * bounds a transaction of many calls (BEGIN … COMMIT). Later lines are dropped after one marker line;
 * the server log still gets every line the call chains wrote.
 */
export const LOG_LINES_PER_TXN_MAX = 256

/**
 * Observes one execution, for EXPLAIN CALL (src/txn/explain.ts): every frame entered and left, and
 * every column a function read or wrote. Only a transaction run to be explained has one; it changes
 * nothing of what the execution does.
 */
export interface TxnTracer {
  enter(fn: FunctionDef, table: TableDef, key: bigint | string, args: readonly SqlValue[], depth: number): void
  /** The frame entered last returned `value`, or threw `error`, having used `fuel` (its calls' included). */
  leave(fuel: number, outcome: { readonly value: SqlValue } | { readonly error: unknown }): void
  /** `present`: the row exists (an absent row's columns read as NULL). */
  get(table: TableDef, key: bigint | string, column: ColumnDef, value: SqlValue, present: boolean): void
  set(table: TableDef, key: bigint | string, column: ColumnDef, before: SqlValue, after: SqlValue): void
  remove(table: TableDef, key: bigint | string, before: Row | undefined): void
  exists(table: TableDef, key: bigint | string, exists: boolean): void
  log(message: string): void
}

const NO_LOG_LINES: readonly string[] = Object.freeze([])

interface PendingWrite {
  readonly table: TableDef
  readonly key: bigint | string
  row: SqlValue[] | null
}

/**
 * One transaction's view and footprint: reads go to its own buffered writes first, then to the base;
 * every row touched is recorded (the conflict footprint); writes stay buffered until the batch commits.
 */
export class TxnState {
  private readonly pending = new Map<RowKey, PendingWrite>()
  private readonly touched = new Set<RowKey>()
  /**
   * Buffered writes so far. A frame keeps the last image of its own row it read with the count it read
   * it at: while no write happened since, the image is still what a read would return.
   */
  writeCount = 0
  /** Bytes of the rows its point reads answered so far (src/txn/result-bytes.ts): bounded by RESULT_BYTES_MAX. */
  resultBytes = 0
  /** The `log()` lines of this execution, for the caller (LOG_LINES_PER_TXN_MAX, then one marker); null until the first. */
  private logLines: string[] | null = null
  private logsDropped = false

  /** The `log()` lines of this execution so far (most execute none: the array is made at the first). */
  get logs(): readonly string[] {
    return this.logLines ?? NO_LOG_LINES
  }

  /** Set only for EXPLAIN CALL. */
  tracer: TxnTracer | null = null

  constructor(
    readonly env: ExecEnv,
    private readonly base: BaseReader,
    /** Rows this execution may touch (a fallback walk's component), or null for any. */
    private readonly allowed: ReadonlySet<RowKey> | null,
    /** The time its clocks read: its batch's (src/txn/batch-time.ts), or a query's read time. */
    readonly timeMs: number,
  ) {}

  private touch(rk: RowKey): void {
    if (this.allowed !== null && !this.allowed.has(rk)) throw new LockMiss(rk)
    this.touched.add(rk)
  }

  read(table: TableDef, key: bigint | string, rk: RowKey = rowKeyOf(table, key)): Row | undefined {
    this.touch(rk)
    const w = this.pending.get(rk)
    if (w !== undefined) return w.row ?? undefined
    return this.fromBase(table, key, rk)
  }

  /**
   * A committed row. An image written before an ALTER TABLE … ADD COLUMN (kept by the executors, or in a
   * checkpoint that has not reached the ALTER yet) lacks the columns added since: they read as their
   * defaults, as the checkpoint will hold them once it has.
   */
  private fromBase(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
    const row = this.base.read(table, key, rk)
    if (row === undefined || row.length >= table.columns.length) return row
    return [...row, ...table.columns.slice(row.length).map((c) => c.default)]
  }

  /** Buffers the new image of a row (null deletes it). */
  write(table: TableDef, key: bigint | string, row: SqlValue[] | null, rk: RowKey = rowKeyOf(table, key)): void {
    this.touch(rk)
    this.writeCount++
    const w = this.pending.get(rk)
    if (w !== undefined) w.row = row
    else this.pending.set(rk, { table, key, row })
  }

  /**
   * A function's `log()` line: kept for the caller who asks for it and, once the outcome is released, for
   * the server log (src/txn/function-log.ts), so that an execution run again writes it once. A traced run
   * (EXPLAIN CALL, EXPLAIN COMMIT) commits nothing: its lines go into the trace, never to the server log.
   */
  log(message: string): void {
    this.tracer?.log(message)
    const lines = this.logLines ??= []
    if (lines.length < LOG_LINES_PER_TXN_MAX) lines.push(message)
    else if (!this.logsDropped) {
      this.logsDropped = true
      lines.push(`[log: lines after the first ${LOG_LINES_PER_TXN_MAX} of this transaction dropped]`)
    }
  }

  /**
   * Runs `fnName` at `key` inside this transaction. `caller` names the function making a nested call: a
   * name or key that does not resolve is its mistake, so the error says so (the CALL's own function is
   * the statement's, and the statement's position points at it).
   */
  call(fnName: string, key: SqlValue, args: readonly SqlValue[], depth: number, fuel: FuelMeter, caller?: string): SqlValue {
    if (depth > CALL_DEPTH_MAX) {
      throw new AcheronError('CALL_DEPTH_EXCEEDED', `call depth exceeds ${CALL_DEPTH_MAX} at ${fnName}`)
    }
    let fn: FunctionDef
    let table: TableDef
    let k: bigint | string
    try {
      fn = this.env.catalog.function(fnName)
      table = this.env.catalog.table(fn.table)
      k = coerceKey(table, key)
    } catch (e) {
      if (caller === undefined || !(e instanceof AcheronError)) throw e
      throw new AcheronError(e.code, `${e.message} (called by ${caller})`)
    }
    const runtime = this.env.runtimes.get(fn.runtime)
    if (runtime === undefined) throw new AcheronError('INTERNAL', `no ${fn.runtime} runtime is loaded for ${fn.name}`)
    checkDeadline(fn.name)
    const frame = new Frame(this, fn, table, k, args, depth, fuel)
    const tracer = this.tracer
    if (tracer === null) return runtime.invoke(frame, this.env.module(fn.moduleHash))
    tracer.enter(fn, table, k, args, depth)
    const before = fuel.remaining
    try {
      const value = runtime.invoke(frame, this.env.module(fn.moduleHash))
      tracer.leave(before - fuel.remaining, { value })
      return value
    } catch (error) {
      tracer.leave(before - fuel.remaining, { error })
      throw error
    }
  }

  /** The row as this transaction sees it now, without touching it (EXPLAIN's before images). */
  peek(table: TableDef, key: bigint | string): Row | undefined {
    const rk = rowKeyOf(table, key)
    const w = this.pending.get(rk)
    if (w !== undefined) return w.row ?? undefined
    return this.fromBase(table, key, rk)
  }

  /** The committed image of a row (before this transaction), for EXPLAIN's final writes. */
  committed(table: TableDef, key: bigint | string): Row | undefined {
    return this.fromBase(table, key, rowKeyOf(table, key))
  }

  /** This transaction's buffered final images, in row key order (EXPLAIN's final writes; no checks). */
  pendingImages(): { table: TableDef; key: bigint | string; row: Row | null }[] {
    return [...this.pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, w]) => ({ table: w.table, key: w.key, row: w.row }))
  }

  /** The footprint and final writes; checks NOT NULL of every row about to commit. */
  finish(): { accessed: RowKey[]; writes: RowWrite[] } {
    // Arrays of their final length: push() grows an empty array to 17 slots at its first element, and a
    // transaction writes a few rows (this runs for every transaction).
    const writes = new Array<RowWrite>(this.pending.size)
    let i = 0
    for (const [rowKey, w] of this.pending) {
      if (w.row !== null) checkNotNull(w.table, w.row)
      writes[i++] = { rowKey, table: tableKeyName(w.table), key: w.key, row: w.row }
    }
    const accessed = new Array<RowKey>(this.touched.size)
    i = 0
    for (const rk of this.touched) accessed[i++] = rk
    return { accessed: sortRowKeys(accessed), writes: sortByRowKey(writes) }
  }

  /** This transaction's uncommitted rows of one table, as they stand now. */
  pendingWrites(table: TableDef): RowWrite[] {
    const name = tableKeyName(table)
    const out: RowWrite[] = []
    for (const [rowKey, w] of this.pending) {
      if (w.table === table) out.push({ rowKey, table: name, key: w.key, row: w.row })
    }
    return out
  }

  /** The footprint so far (also of a failed execution: its decision depended on these rows). */
  accessedSoFar(): RowKey[] {
    return sortRowKeys([...this.touched])
  }
}

/** One invocation's context: a function running at one key of its table. */
class Frame implements InvocationContext {
  /** The row key of `table` and `key`, made once: a function reads and writes its own row many times. */
  private readonly rk: RowKey
  /** Its row as last read, valid while the transaction's writeCount is `seenAt` (ownRow). */
  private seen: Row | undefined = undefined
  private seenAt = -1

  constructor(
    private readonly txn: TxnState,
    readonly fn: FunctionDef,
    readonly table: TableDef,
    readonly key: bigint | string,
    readonly args: readonly SqlValue[],
    readonly depth: number,
    readonly fuel: FuelMeter,
  ) {
    this.rk = rowKeyOf(table, key)
  }

  columnIndex(name: string): number {
    return this.txn.env.catalog.columnIndex(this.table, name)
  }

  /**
   * This frame's row as the transaction sees it. Read again only after a write (by any frame of the
   * transaction): the first read touched the row, and nothing else changes what it returns.
   */
  private ownRow(): Row | undefined {
    const txn = this.txn
    if (this.seenAt === txn.writeCount) return this.seen
    const row = txn.read(this.table, this.key, this.rk)
    this.seen = row
    this.seenAt = txn.writeCount
    return row
  }

  txnTimeMs(): number {
    return this.txn.timeMs
  }

  rowExists(): boolean {
    const exists = this.ownRow() !== undefined
    this.txn.tracer?.exists(this.table, this.key, exists)
    return exists
  }

  private column(c: number): ColumnDef {
    const col = Number.isInteger(c) ? this.table.columns[c] : undefined
    // A dropped column keeps its place but is no column any function may read or write (ColumnDef.dropped).
    if (col === undefined || col.dropped === true) throw new AcheronError('UNKNOWN_COLUMN', `${this.table.name} has no column #${c}`)
    return col
  }

  getColumn(c: number): SqlValue {
    const col = this.column(c)
    const row = this.ownRow()
    const value = row === undefined ? null : (row[c] as SqlValue)
    this.txn.tracer?.get(this.table, this.key, col, value, row !== undefined)
    return value
  }

  setColumn(c: number, value: SqlValue): void {
    const col = this.column(c)
    if (c === this.table.keyIndex) {
      throw new AcheronError('CONSTRAINT', `${this.fn.name} cannot change the key column ${this.table.name}.${col.name}`)
    }
    const v = coerceToColumn(this.table, col, value, this.txn.env.keepNegativeZero === true)
    if (v === null && col.notNull) throw new AcheronError('CONSTRAINT', `NOT NULL constraint failed: ${this.table.name}.${col.name}`)
    const current = this.ownRow()
    const row = current === undefined ? defaultRow(this.table, this.key, this.txn.timeMs) : [...current]
    row[c] = v
    const txn = this.txn
    txn.write(this.table, this.key, row, this.rk)
    this.seen = row
    this.seenAt = txn.writeCount
    this.txn.tracer?.set(this.table, this.key, col, current === undefined ? null : (current[c] as SqlValue), v)
  }

  deleteRow(): void {
    const tracer = this.txn.tracer
    const before = tracer === null ? undefined : this.txn.peek(this.table, this.key)
    const txn = this.txn
    txn.write(this.table, this.key, null, this.rk)
    this.seen = undefined
    this.seenAt = txn.writeCount
    tracer?.remove(this.table, this.key, before)
  }

  call(fnName: string, key: SqlValue, args: readonly SqlValue[]): SqlValue {
    return this.txn.call(fnName, key, args, this.depth + 1, this.fuel, this.fn.name)
  }

  log(message: string): void {
    this.txn.log(message)
  }
}
