import type { CommitPosition, ErrorCode } from '../errors.js'
import type { RowKey } from '../schema/keys.js'
import type { ColumnAssignment, RowExpr, RowWrite } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'
import type { ColumnDef, FunctionLimits, IndexColumn, RuntimeKind } from '../schema/catalog.js'
import type { ClockKind } from '../schema/clock.js'

/**
 * A transaction that executes inside a batch, on worker threads. Plain data (crosses threads).
 *
 * `returning` (INSERT, UPDATE, DELETE … RETURNING): a SELECT reading ROW_SOURCE, evaluated over each row
 * the statement wrote (as written; a deleted row as it was), whose rows are the result's `rows`, in the
 * order the rows were written. Absent in logs written before it.
 */
export type DataTxn =
  | { readonly kind: 'call'; readonly fn: string; readonly key: SqlValue; readonly args: readonly SqlValue[] }
  /**
   * Rows in the order of `columns` (every column not dropped, in table order, when null). Fails whole on a duplicate key
   * unless `replace` (the row is replaced) or `ignore` (the row is left out; absent in logs written before it).
   */
  | {
    readonly kind: 'insert'; readonly table: string; readonly columns: readonly string[] | null; readonly rows: readonly (readonly SqlValue[])[]; readonly replace: boolean; readonly ignore?: true; readonly onConflict?: InsertConflict; readonly returning?: RowExpr
    /** Values that are clocks (`VALUES (?, CURRENT_TIMESTAMP)`): [row, value, clock], NULL in `rows`, filled with the batch's time as the row is made. */
    readonly clocks?: readonly (readonly [number, number, ClockKind])[]
  }
  /** Point read of one row: its columns not dropped, named in `TxnResult.columns`. */
  | { readonly kind: 'get'; readonly table: string; readonly key: SqlValue }
  /**
   * A SELECT whose WHERE pins one key: `query` is the rendered SELECT reading from the one-row source
   * `ROW_SOURCE` (src/storage/row-evaluator.ts), which SQLite evaluates over this transaction's view of
   * that row, so it means exactly what it means over the table.
   */
  | { readonly kind: 'select-key'; readonly table: string; readonly key: SqlValue; readonly query: RowExpr }
  /** UPDATE of the row at `key` (if it exists and `where` holds for it). */
  | { readonly kind: 'update'; readonly table: string; readonly key: SqlValue; readonly sets: readonly ColumnAssignment[]; readonly where: RowExpr | null; readonly returning?: RowExpr }
  /** DELETE of the row at `key` (if it exists and `where` holds for it). */
  | { readonly kind: 'delete'; readonly table: string; readonly key: SqlValue; readonly where: RowExpr | null; readonly returning?: RowExpr }
  /** Several statements as one transaction (BEGIN … COMMIT): all commit, or none. */
  | { readonly kind: 'multi'; readonly steps: readonly DataTxn[] }
  /**
   * A statement that could not be planned against the catalog at its position (a DDL sequenced before
   * it changed the table): it fails with this error, there, on every replay.
   */
  | { readonly kind: 'plan-failed'; readonly code: ErrorCode; readonly message: string; readonly step?: number }

/** A catalog change; it forms a batch of its own, so it takes effect exactly between two batches. */
export type DdlTxn =
  | { readonly kind: 'create-table'; readonly name: string; readonly columns: readonly ColumnDef[]; readonly keyColumn: string; readonly partitions: number | null; readonly ifNotExists: boolean }
  | { readonly kind: 'drop-table'; readonly name: string; readonly ifExists: boolean }
  /** ALTER TABLE t PARTITIONS n: the same rows, laid out over n partitions from this position on. */
  | { readonly kind: 'alter-table-partitions'; readonly name: string; readonly partitions: number }
  /** ALTER TABLE t ADD COLUMN: the column goes last; every row has its default until written. */
  | { readonly kind: 'alter-table-add-column'; readonly name: string; readonly column: ColumnDef; readonly ifNotExists: boolean }
  /** ALTER TABLE t RENAME COLUMN column TO to: the column keeps its place, its values and its indexes. */
  | { readonly kind: 'alter-table-rename-column'; readonly name: string; readonly column: string; readonly to: string }
  /** ALTER TABLE t DROP COLUMN column: the column keeps its place, unseen (ColumnDef.dropped); no row is rewritten. */
  | { readonly kind: 'alter-table-drop-column'; readonly name: string; readonly column: string; readonly ifExists: boolean }
  /** CREATE INDEX name ON table (columns): the state thread's SQLite builds it on every partition at its position. */
  | { readonly kind: 'create-index'; readonly name: string; readonly table: string; readonly columns: readonly IndexColumn[]; readonly ifNotExists: boolean }
  | { readonly kind: 'drop-index'; readonly name: string; readonly ifExists: boolean }
  /** In the batch log, `body` is empty and `moduleHash` names it when the module was logged before. */
  | { readonly kind: 'create-function'; readonly name: string; readonly body: Uint8Array; readonly exportName: string; readonly runtime: RuntimeKind; readonly limits: Partial<FunctionLimits>; readonly orReplace: boolean; readonly moduleHash?: string }
  /**
   * Several functions of one table from one module, all or none (CREATE FUNCTIONS): each runs the
   * export named in `functions`. `body`/`moduleHash` as for create-function.
   */
  | { readonly kind: 'create-functions'; readonly table: string; readonly functions: readonly { readonly name: string; readonly exportName: string }[]; readonly body: Uint8Array; readonly runtime: RuntimeKind; readonly limits: Partial<FunctionLimits>; readonly orReplace: boolean; readonly moduleHash?: string }
  | { readonly kind: 'drop-function'; readonly name: string; readonly ifExists: boolean }

/**
 * A query over all partitions of a table, executed by SQLite itself at a batch boundary, so it sees
 * exactly the transactions ordered before it. `sql` reads the table through `scanSourceSql(table)`
 * (src/storage/sqlite-schema.ts) and binds every value; it comes from the SQL layer's renderer, never
 * from user text.
 */
export interface SelectTxn {
  readonly kind: 'select'
  /** The table its FROM names; null: a SELECT without FROM, or whose FROM is a subquery. */
  readonly table: string | null
  /** Every other table it reads (joins, subqueries), by catalog name, sorted; absent: none. */
  readonly joined?: readonly string[]
  readonly sql: string
  readonly values: readonly SqlValue[]
}

/**
 * UPDATE/DELETE of every row where `where` holds (all partitions), on the committed state. `joined`: the
 * other tables its subqueries read, by catalog name, sorted (absent: none); its expressions then name the
 * table's columns qualified by the table's name.
 */
export type ScanTxn =
  | { readonly kind: 'update-scan'; readonly table: string; readonly sets: readonly ColumnAssignment[]; readonly where: RowExpr | null; readonly joined?: readonly string[]; readonly returning?: RowExpr }
  | { readonly kind: 'delete-scan'; readonly table: string; readonly where: RowExpr | null; readonly joined?: readonly string[]; readonly returning?: RowExpr }
  /**
   * INSERT … SELECT: `select` (SQL over the tables `reads` names, in order) runs on the state before the
   * statement, and its rows are inserted as an `insert` of those rows would insert them (the same
   * defaults, conversions, duplicates and upsert), all or nothing.
   */
  | {
    readonly kind: 'insert-select'; readonly table: string; readonly columns: readonly string[] | null; readonly select: RowExpr; readonly reads: readonly string[]
    readonly replace: boolean; readonly ignore?: true; readonly onConflict?: InsertConflict; readonly returning?: RowExpr
  }

/**
 * EXPLAIN CALL: the call run on the state after the last released batch, its writes dropped; the result
 * is its trace, one row per event in TRACE_COLUMNS (src/txn/explain.ts).
 */
export interface ExplainCallTxn {
  readonly kind: 'explain-call'
  readonly fn: string
  readonly key: SqlValue
  readonly args: readonly SqlValue[]
}

/**
 * EXPLAIN COMMIT (batch, seq): the transaction logged at that commit position, re-run on the state
 * before it; the engine hands it to its CommitTracer (src/inspect/commit-trace.ts).
 */
export interface ExplainCommitTxn {
  readonly kind: 'explain-commit'
  readonly batch: number
  readonly seq: number
}

/**
 * Inside the engine that a CommitTracer rebuilt the state before `at` in: the data transaction logged
 * at `at`, run on the state after the last released batch and traced as what it did.
 */
export interface ExplainLoggedTxn {
  readonly kind: 'explain-logged'
  readonly txn: DataTxn
  readonly at: CommitPosition
  /** The time logged with its batch: what its clocks read then, and read again now. */
  readonly timeMs: number
}

/** The columns of an EXPLAIN CALL trace, one row per event (src/txn/explain.ts). */
export const TRACE_COLUMNS = ['step', 'depth', 'event', 'function', 'table', 'key', 'detail', 'fuel'] as const

/** Catalog reads: SHOW TABLES, SHOW FUNCTIONS, DESCRIBE t (result columns in `TxnResult.columns`). */
export type CatalogReadTxn =
  | { readonly kind: 'show-tables' }
  | { readonly kind: 'show-functions' }
  | { readonly kind: 'describe'; readonly table: string }
  /** Every index, or one table's (SHOW INDEXES FROM t). */
  | { readonly kind: 'show-indexes'; readonly table: string | null }

/**
 * A BEGIN … COMMIT holding queries or UPDATE/DELETE over all partitions: it runs alone, on the
 * coordinator; each query sees the transaction's own earlier writes. All steps commit, or none.
 */
export interface ExclusiveMultiTxn {
  readonly kind: 'multi-exclusive'
  readonly steps: readonly (DataTxn | SelectTxn | ScanTxn | CatalogReadTxn)[]
}

/** Transactions that run alone in a batch of their own: DDL (on the coordinator) and scans (on the state thread). */
export type ExclusiveTxn = DdlTxn | SelectTxn | ScanTxn | CatalogReadTxn | ExclusiveMultiTxn | ExplainCallTxn | ExplainCommitTxn | ExplainLoggedTxn

export type TxnInput = DataTxn | ExclusiveTxn

/** Read-only transactions that need the whole state: they read at a position and are never logged. */
export type ReadTxn = SelectTxn | CatalogReadTxn | ExclusiveMultiTxn | ExplainCallTxn | ExplainCommitTxn | ExplainLoggedTxn

export function isDdl(t: TxnInput): t is DdlTxn {
  return t.kind === 'create-table' || t.kind === 'drop-table' || t.kind === 'alter-table-partitions' || t.kind === 'alter-table-add-column' || t.kind === 'alter-table-rename-column' || t.kind === 'alter-table-drop-column' || t.kind === 'create-index' || t.kind === 'drop-index' || t.kind === 'create-function' || t.kind === 'create-functions' || t.kind === 'drop-function'
}

/** A DDL transaction that carries a module's bytes (prepared before it is sequenced, logged once). */
export type ModuleDdl = Extract<DdlTxn, { kind: 'create-function' | 'create-functions' }>

export function carriesModule(t: TxnInput): t is ModuleDdl {
  return t.kind === 'create-function' || t.kind === 'create-functions'
}

export function isExclusive(t: TxnInput): t is ExclusiveTxn {
  switch (t.kind) {
    case 'call': case 'insert': case 'get': case 'select-key': case 'update': case 'delete': case 'multi': case 'plan-failed': return false
    default: return true
  }
}

/**
 * Queries over a whole table, catalog reads, and BEGIN … COMMIT of nothing but reads: they take the
 * position after the last released batch, read exactly that state, and write nothing to the log.
 * (Reads of one key stay ordinary transactions inside batches.)
 */
/** SHOW TABLES, SHOW FUNCTIONS, SHOW INDEXES, DESCRIBE: answered from the catalog alone. */
export function isCatalogRead(t: { readonly kind: string }): t is CatalogReadTxn {
  return t.kind === 'show-tables' || t.kind === 'show-functions' || t.kind === 'show-indexes' || t.kind === 'describe'
}

export function isReadOnly(t: TxnInput): t is ReadTxn {
  switch (t.kind) {
    case 'select': case 'show-tables': case 'show-functions': case 'show-indexes': case 'describe': case 'explain-call': case 'explain-commit': case 'explain-logged': return true
    case 'multi-exclusive': return t.steps.every((s) => s.kind === 'select' || isCatalogRead(s) || s.kind === 'get' || s.kind === 'select-key')
    default: return false
  }
}

/** A transaction with its id: its arrival position, the tie-breaker of every conflict. */
export interface SequencedTxn {
  readonly id: number
  readonly input: DataTxn
  /** Its batch's time (src/txn/batch-time.ts), what its clocks read: ms since the Unix epoch. */
  readonly timeMs: number
}

export interface TxnResult {
  /** A call's return value. */
  readonly value?: SqlValue
  /** A read's rows. */
  readonly rows?: readonly Row[]
  /** Column names of `rows`, where the engine knows them (catalog reads, `get`). */
  readonly columns?: readonly string[]
  /** A `multi` transaction's results, one per step. */
  readonly steps?: readonly TxnResult[]
  readonly rowsAffected: number
  /**
   * The `log()` lines its functions wrote, in order, when there were any (in a `multi`, on each step's
   * result). Only the execution that decided the outcome contributes: re-executions start afresh.
   */
  readonly logs?: readonly string[]
  /** A DDL's IF [NOT] EXISTS that found nothing to do: what it skipped (DdlEffect.notice). */
  readonly notice?: string
}

export interface TxnFailure {
  readonly code: ErrorCode
  readonly message: string
  /** In a `multi` transaction, the index of the step that failed. */
  readonly step?: number
  /**
   * Which value of the failed statement it is about, when it is about one (a value the column refused, a
   * duplicate or NULL key): an INSERT's values counted row by row in source order, or an UPDATE's SET
   * item. The SQL layer points the error there.
   */
  readonly value?: number
  /**
   * Where in the failed statement's text it points, when the engine was told (the error carried a line
   * and column): a date modifier read from a row points at the modifier the statement gives
   * (src/storage/sql-clock.ts). The SQL layer prefers it to `value`.
   */
  readonly at?: { readonly line: number; readonly column: number }
  /** The `log()` lines written before it failed, when there were any (TxnResult.logs). */
  readonly logs?: readonly string[]
  /** It may have committed after all (its log entry's fate is unknown): never sent again blindly. */
  readonly outcomeUnknown?: boolean
  /**
   * Nothing of it took effect, and trying again may succeed: its whole batch failed for a reason outside
   * its transactions (the log refused it, the engine stopped, an execution thread died).
   */
  readonly retryable?: boolean
  /**
   * It ran alone at a position of its own — a DDL, a statement over a whole table, a query — which
   * EXPLAIN COMMIT does not re-run (it traces the transactions of data batches).
   */
  readonly ranAlone?: true
}

/**
 * What an AcheronError made from `f` carries besides its code and message: whether to retry it (the wire
 * carries both flags), and `explainable: false` when EXPLAIN COMMIT of its position would be refused.
 */
export function failureDetails(f: TxnFailure): { outcomeUnknown?: true; retryable?: true; explainable?: false } {
  const alone = f.ranAlone === true ? { explainable: false as const } : {}
  if (f.outcomeUnknown === true) return { outcomeUnknown: true, retryable: true, ...alone }
  return f.retryable === true ? { retryable: true, ...alone } : alone
}

/** What one execution of a transaction did, against some view of the state. */
export interface Execution {
  readonly id: number
  /** Every row key read or written, sorted: the conflict footprint. */
  readonly accessed: readonly RowKey[]
  /** Final image of every written row (empty when it failed). */
  readonly writes: readonly RowWrite[]
  readonly result: TxnResult | null
  readonly failure: TxnFailure | null
  /** Set when the execution touched a key outside its allowed set (a deterministic lock miss). */
  readonly lockMiss: RowKey | null
  /**
   * Set when it ran on a snapshot that lagged one batch and read a row that batch wrote (pipelining):
   * its footprint is a fair reconnaissance, but it must execute again before anything of it is used.
   */
  readonly stale?: true
}

/** The outcome a client sees: committed (`ok`) or rolled back by its own logic; both with a position. */
export type TxnOutcome =
  | { readonly ok: true; readonly result: TxnResult; readonly commit: CommitPosition }
  | { readonly ok: false; readonly failure: TxnFailure; readonly commit?: CommitPosition }

/**
 * What a row of an INSERT whose key exists does (SQL's `ON CONFLICT`): nothing, or an update of the row
 * there whose SET values and WHERE read its columns and the proposed row's (EXCLUDED_COLUMN_PREFIX).
 */
export type InsertConflict =
  | { readonly action: 'nothing' }
  | { readonly action: 'update'; readonly sets: readonly ColumnAssignment[]; readonly where: RowExpr | null }
