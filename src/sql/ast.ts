// The typed AST of Acheron's SQL (CONTRACT.md §3). Every node carries the position of its first token in
// the ORIGINAL script, so that any later error (UNKNOWN_COLUMN, TYPE_MISMATCH, ...) can point at it.
import type { ColumnType, IndexColumn } from '../schema/catalog.js'
import type { ClockKind } from '../schema/clock.js'
import type { SqlValue } from '../values.js'

/** A place in the original script: 0-based UTF-16 offset, 1-based line and column (lines end at `\n`). */
export interface Pos {
  readonly offset: number
  readonly line: number
  readonly column: number
}

// ---- expressions ---------------------------------------------------------------------------------

export interface LiteralExpr {
  readonly kind: 'literal'
  readonly value: SqlValue
  readonly pos: Pos
  /** Set for TRUE/FALSE (value 1n/0n): SQLite gives `x IS TRUE` its own meaning, so it is rendered as written. */
  readonly keyword?: 'TRUE' | 'FALSE'
}
/** `?`: `index` counts from 0 in order of appearance within its statement. */
export interface ParamExpr { readonly kind: 'param'; readonly index: number; readonly pos: Pos }
/** What CALL arguments, VALUES rows, LIMIT and OFFSET accept: a literal or a parameter. */
export type ValueExpr = LiteralExpr | ParamExpr
/** A clock in an INSERT's VALUES (`CURRENT_TIMESTAMP`, `NOW()`, …): the batch's time, filled in as the row is made. */
export interface ClockValueExpr { readonly kind: 'clock'; readonly clock: ClockKind; readonly pos: Pos }
/** `DEFAULT` in a row of VALUES (the standard's and PostgreSQL's): the column's default, as if the row left it out. */
export interface DefaultValueExpr { readonly kind: 'default'; readonly pos: Pos }
export type InsertValueExpr = ValueExpr | ClockValueExpr | DefaultValueExpr

export interface ColumnExpr {
  readonly kind: 'column'
  /** The qualifier of `t.col`, or null. */
  readonly table: string | null
  /** As written (names are case-insensitive). */
  readonly name: string
  readonly pos: Pos
}
export type UnaryOp = '-' | '+' | 'NOT'
export interface UnaryExpr { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: SqlExpr; readonly pos: Pos }
export type BinaryOp =
  | 'OR' | 'AND'
  | '=' | '!=' | 'IS' | 'IS NOT'
  | '<' | '<=' | '>' | '>='
  | '+' | '-' | '*' | '/' | '%' | '||'
  /** JSON: `j -> path` the JSON of the part, `j ->> path` its SQL value (SQLite's and PostgreSQL's). */
  | '->' | '->>'
export interface BinaryExpr { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: SqlExpr; readonly right: SqlExpr; readonly pos: Pos }
export interface InExpr { readonly kind: 'in'; readonly operand: SqlExpr; readonly list: readonly SqlExpr[]; readonly negated: boolean; readonly pos: Pos }
export interface BetweenExpr { readonly kind: 'between'; readonly operand: SqlExpr; readonly low: SqlExpr; readonly high: SqlExpr; readonly negated: boolean; readonly pos: Pos }
/** `escape`: the ESCAPE character's expression (SQLite checks that it is one character), or null. */
/** `x [NOT] LIKE p [ESCAPE c]`, or with `glob` `x [NOT] GLOB p` (SQLite's: case-sensitive, `*` `?` `[…]`, no ESCAPE). */
export interface LikeExpr { readonly kind: 'like'; readonly operand: SqlExpr; readonly pattern: SqlExpr; readonly escape: SqlExpr | null; readonly negated: boolean; readonly glob?: true; readonly pos: Pos }
export interface FunctionExpr {
  readonly kind: 'function'
  /** Upper case, one of AGGREGATE_FUNCTIONS or SCALAR_FUNCTIONS. */
  readonly name: string
  readonly args: readonly SqlExpr[]
  /** `COUNT(*)` */
  readonly star: boolean
  /** `COUNT(DISTINCT x)` */
  readonly distinct: boolean
  readonly aggregate: boolean
  /** `GROUP_CONCAT(x, sep ORDER BY y)`: the order the values are joined in (else the order rows are read). */
  readonly orderBy?: readonly OrderTerm[]
  /** `agg(…) FILTER (WHERE cond)`: only the rows where `cond` holds are aggregated. */
  readonly filter?: SqlExpr
  /** `f(…) OVER (…)`: a window function (then `aggregate` is false: it does not group the query). */
  readonly over?: WindowSpec
  readonly pos: Pos
}

export interface NamedWindow { readonly name: string; readonly spec: WindowSpec; readonly pos: Pos }

/** Where a window frame starts or ends: `UNBOUNDED PRECEDING`, `n PRECEDING`, `CURRENT ROW`, `n FOLLOWING`, `UNBOUNDED FOLLOWING`. */
export interface FrameBound {
  readonly kind: 'unbounded-preceding' | 'preceding' | 'current-row' | 'following' | 'unbounded-following'
  /** The `n` of `n PRECEDING` / `n FOLLOWING`: a non-negative number literal or `?`. */
  readonly offset: ValueExpr | null
  readonly pos: Pos
}
/** `ROWS | RANGE | GROUPS BETWEEN start AND end` (a lone start ends at CURRENT ROW). */
export interface WindowFrame { readonly unit: 'ROWS' | 'RANGE' | 'GROUPS'; readonly start: FrameBound; readonly end: FrameBound; readonly pos: Pos }
/** `OVER ([PARTITION BY e, …] [ORDER BY …] [frame])`, or `OVER name` of a WINDOW clause (`ref`, the rest empty). */
export interface WindowSpec {
  /** `OVER name`: the named window itself (the other fields are empty). */
  readonly ref?: string
  /**
   * `(name [ORDER BY …] [frame])`: a window based on a named one, which gives its PARTITION BY and may
   * give its ORDER BY (this one then has none) but no frame (as in SQLite).
   */
  readonly base?: { readonly name: string; readonly pos: Pos }
  readonly partitionBy: readonly SqlExpr[]
  readonly orderBy: readonly OrderTerm[]
  readonly frame: WindowFrame | null
  readonly pos: Pos
}

/** `CASE [operand] WHEN w THEN t ... [ELSE e] END`: with an operand, each `w` is compared with it (`=`). */
export interface CaseExpr {
  readonly kind: 'case'
  readonly operand: SqlExpr | null
  readonly whens: readonly { readonly when: SqlExpr; readonly then: SqlExpr }[]
  readonly otherwise: SqlExpr | null
  readonly pos: Pos
}

/** The types `CAST(x AS type)` takes: SQLite's storage classes and NUMERIC (INT is INTEGER). */
export const CAST_TYPES: ReadonlySet<string> = new Set(['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC'])
/** `CAST(x AS type)`, `type` one of CAST_TYPES. */
export interface CastExpr { readonly kind: 'cast'; readonly operand: SqlExpr; readonly type: string; readonly pos: Pos }
/** `x COLLATE name`: compares and sorts x by one of SQLite's built-in collations. */
export interface CollateExpr { readonly kind: 'collate'; readonly operand: SqlExpr; readonly collation: Collation; readonly pos: Pos }
export type Collation = 'BINARY' | 'NOCASE' | 'RTRIM'
/** SQLite's built-in collations, the only ones there are (an application's own would not replay elsewhere). */
export const COLLATIONS: ReadonlySet<string> = new Set<Collation>(['BINARY', 'NOCASE', 'RTRIM'])

/** `(SELECT …)` as a value: the one column of its one row, NULL when it has no rows; a second row fails the statement (render.ts). */
export interface SubqueryExpr { readonly kind: 'subquery'; readonly select: SelectQuery; readonly pos: Pos }
/** `EXISTS (SELECT …)`: 1 when the subquery has a row, else 0 (`NOT EXISTS` is NOT over it). */
export interface ExistsExpr { readonly kind: 'exists'; readonly select: SelectQuery; readonly pos: Pos }
/** `x [NOT] IN (SELECT …)`, the subquery of one column. */
export interface InSelectExpr { readonly kind: 'in-select'; readonly operand: SqlExpr; readonly select: SelectQuery; readonly negated: boolean; readonly pos: Pos }

export type SqlExpr =
  | ValueExpr | ColumnExpr | UnaryExpr | BinaryExpr | InExpr | BetweenExpr | LikeExpr | FunctionExpr | CaseExpr | CastExpr | CollateExpr
  | SubqueryExpr | ExistsExpr | InSelectExpr

// ---- statements ----------------------------------------------------------------------------------

interface StatementBase {
  readonly pos: Pos
  /** Where the statement names its table or function: errors about what it ran point there. */
  readonly namePos?: Pos
  /** 0-based index among the script's non-empty statements: the index of its result. */
  readonly index: number
  /** The statement's original text, without its `;` and surrounding comments. */
  readonly text: string
  /** How many `?` the statement has. */
  readonly paramCount: number
  /** Where each of its `?` is, in order (paramPositions[i] is parameter i of the statement). */
  readonly paramPositions?: readonly Pos[]
}

export interface ColumnAst {
  readonly name: string
  /** Canonical type (aliases INT, BIGINT, BOOL, FLOAT, DOUBLE are mapped). */
  readonly type: ColumnType
  readonly notNull: boolean
  /** The DEFAULT literal as written (not yet coerced to the column type); NULL when none. */
  readonly default: SqlValue
  readonly primaryKey: boolean
  readonly pos: Pos
  /** Where the DEFAULT literal is, when there is one: a default the column's type refuses is reported there. */
  readonly defaultPos?: Pos
  /** `DEFAULT CURRENT_TIMESTAMP` (CURRENT_DATE, CURRENT_TIME, NOW()): ColumnDef.defaultClock; `default` is NULL. */
  readonly defaultClock?: ClockKind
}

export interface CreateTableStmt extends StatementBase {
  readonly kind: 'create-table'
  readonly name: string
  readonly ifNotExists: boolean
  readonly columns: readonly ColumnAst[]
  /** The one primary-key column, as declared in `columns`. */
  readonly primaryKey: string
  readonly partitions: number | null
}
export interface DropTableStmt extends StatementBase { readonly kind: 'drop-table'; readonly name: string; readonly ifExists: boolean }
/** ALTER TABLE t PARTITIONS n */
export interface AlterTablePartitionsStmt extends StatementBase { readonly kind: 'alter-table-partitions'; readonly name: string; readonly partitions: number }
/** ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] column: the column goes last, every row takes its default. */
export interface AlterTableAddColumnStmt extends StatementBase { readonly kind: 'alter-table-add-column'; readonly name: string; readonly column: ColumnAst; readonly ifNotExists: boolean }
/**
 * ALTER TABLE t RENAME [COLUMN] column TO name: the column keeps its place and its values; what names it
 * (queries, indexes, functions' `col`) uses the new name from the next statement on.
 */
export interface AlterTableRenameColumnStmt extends StatementBase {
  readonly kind: 'alter-table-rename-column'; readonly name: string; readonly column: string; readonly to: string; readonly columnPos: Pos
  /** Where the new name is: a name another column has is reported there. */
  readonly toPos?: Pos
}
/**
 * ALTER TABLE t DROP [COLUMN] [IF EXISTS] column: no statement sees the column from the next one on;
 * its values stay in the rows, unseen, as PostgreSQL leaves a dropped column's (ColumnDef.dropped).
 */
export interface AlterTableDropColumnStmt extends StatementBase { readonly kind: 'alter-table-drop-column'; readonly name: string; readonly column: string; readonly ifExists: boolean; readonly columnPos: Pos }

export type WasmSource =
  | { readonly kind: 'base64'; readonly bytes: Uint8Array; readonly pos: Pos }
  | { readonly kind: 'hex'; readonly bytes: Uint8Array; readonly pos: Pos }
  /** Read by the console/SDK on the client's machine; a server rejects it. */
  | { readonly kind: 'file'; readonly path: string; readonly pos: Pos }

export interface CreateFunctionStmt extends StatementBase {
  readonly kind: 'create-function'
  /** `table.function` as written. */
  readonly name: string
  readonly table: string
  readonly function: string
  readonly orReplace: boolean
  readonly source: WasmSource
  /** null: the export named like the function. */
  readonly exportName: string | null
  readonly fuel: number | null
  readonly memoryBytes: number | null
}
/**
 * `CREATE [OR REPLACE] FUNCTIONS t.* FROM WASM …` (every export of the module that is a function) or
 * `CREATE FUNCTIONS t.(a, b) FROM WASM …` (the named ones): one DDL transaction, all or none.
 */
export interface CreateFunctionsStmt extends StatementBase {
  readonly kind: 'create-functions'
  readonly table: string
  /** null: `t.*`; else the functions named, each run by the export of its own name. */
  readonly functions: readonly string[] | null
  readonly orReplace: boolean
  readonly source: WasmSource
  readonly fuel: number | null
  readonly memoryBytes: number | null
}
export interface DropFunctionStmt extends StatementBase { readonly kind: 'drop-function'; readonly name: string; readonly table: string; readonly function: string; readonly ifExists: boolean }
/** CREATE INDEX name ON table (col [ASC|DESC], …): for the state thread's queries and scans; it changes no result. */
export interface CreateIndexStmt extends StatementBase {
  readonly kind: 'create-index'; readonly name: string; readonly table: string; readonly columns: readonly IndexColumn[]; readonly ifNotExists: boolean
  /** Where the table and each column are written: an unknown one, or a column named twice, is reported there. */
  readonly tablePos?: Pos
  readonly columnPositions?: readonly Pos[]
}
export interface DropIndexStmt extends StatementBase { readonly kind: 'drop-index'; readonly name: string; readonly ifExists: boolean }
/** SHOW INDEXES [FROM table]: every index, or one table's. */
export interface ShowIndexesStmt extends StatementBase { readonly kind: 'show-indexes'; readonly table: string | null }
export interface ShowTablesStmt extends StatementBase { readonly kind: 'show-tables' }
export interface ShowFunctionsStmt extends StatementBase { readonly kind: 'show-functions' }
export interface DescribeStmt extends StatementBase { readonly kind: 'describe'; readonly table: string }
/** The server's health and metrics (src/stats/metrics.ts); not a transaction: it only reads counters. */
export interface ShowStatsStmt extends StatementBase { readonly kind: 'show-stats' }
/** The nodes of a cluster (src/cluster/members.ts); not a transaction: it reads what they announce. */
export interface ShowClusterStmt extends StatementBase { readonly kind: 'show-cluster' }

export interface CallStmt extends StatementBase {
  readonly kind: 'call'
  /** `table.function` as written. */
  readonly fn: string
  readonly key: ValueExpr
  readonly args: readonly ValueExpr[]
  /** `CALL … WITH LOGS`: the reply carries the `log()` lines of the call's committed (final) execution. */
  readonly withLogs: boolean
}

/**
 * INSERT, UPDATE and DELETE may end in `RETURNING item, …` (as SQLite and PostgreSQL): `returning` is
 * the SELECT of those items FROM the table, which the engine evaluates over each row the statement
 * wrote (a deleted row as it was). No aggregates, window functions or subqueries in it.
 */
export interface InsertStmt extends StatementBase {
  readonly kind: 'insert'
  readonly table: string
  readonly orReplace: boolean
  /** `INSERT OR IGNORE`: a row whose key exists or that breaks a NOT NULL is left out (and not counted). */
  readonly orIgnore: boolean
  /** null: every column in table order. */
  readonly columns: readonly string[] | null
  /** Where each of `columns` is written (an unknown one is reported there). */
  readonly columnPositions?: readonly Pos[]
  /** Every row has columns.length values when columns is given (checked by the parser). Empty with `select`. */
  readonly rows: readonly (readonly InsertValueExpr[])[]
  /** `INSERT INTO t [(cols)] SELECT …` (or `WITH … SELECT …`): the rows are the query's, over the state before the statement. */
  readonly select?: SelectStmt
  /** `ON CONFLICT [(key)] DO NOTHING | DO UPDATE SET … [WHERE …]`: what a row whose key exists does. */
  readonly onConflict?: OnConflict
  readonly returning?: SelectStmt
}

/**
 * An INSERT's upsert clause. `DO UPDATE`'s SET and WHERE read the row there by its columns and the row
 * the INSERT proposed as `excluded.col` (SQLite's and PostgreSQL's name).
 */
export type OnConflict =
  | { readonly action: 'nothing'; readonly target: string | null; readonly pos: Pos }
  | { readonly action: 'update'; readonly target: string | null; readonly set: readonly Assignment[]; readonly where: SqlExpr | null; readonly pos: Pos }

export interface Assignment { readonly column: string; readonly expr: SqlExpr; readonly pos: Pos }
export interface UpdateStmt extends StatementBase {
  readonly kind: 'update'
  readonly table: string
  readonly set: readonly Assignment[]
  readonly where: SqlExpr | null
  /** A subquery appears in SET or WHERE: the statement then runs over the table, reading the tables it names. */
  readonly hasSubqueries: boolean
  readonly returning?: SelectStmt
}
export interface DeleteStmt extends StatementBase {
  readonly kind: 'delete'
  readonly table: string
  readonly where: SqlExpr | null
  /** A subquery appears in WHERE: the statement then runs over the table, reading the tables it names. */
  readonly hasSubqueries: boolean
  readonly returning?: SelectStmt
}

export type SelectItem =
  /** `*`, or `t.*` naming the table read (or its alias): every column of the table. */
  | { readonly kind: 'star'; readonly pos: Pos; readonly table?: string }
  /** `label` is the result column's name: the alias, else the column name, else the expression's text. */
  | { readonly kind: 'expr'; readonly expr: SqlExpr; readonly alias: string | null; readonly label: string; readonly pos: Pos }

/** `nulls`: `NULLS FIRST` / `NULLS LAST` as written (SQLite's default: NULLs first ascending, last descending). */
export interface OrderTerm { readonly expr: SqlExpr; readonly descending: boolean; readonly nulls?: 'FIRST' | 'LAST'; readonly pos: Pos }

/** What FROM (or a JOIN) reads: a table of the catalog, or a subquery (a derived table). */
export type FromItem =
  | { readonly kind: 'table'; readonly name: string; readonly alias: string | null; readonly pos: Pos }
  | { readonly kind: 'derived'; readonly select: SelectQuery; readonly alias: string | null; readonly pos: Pos }

/** `INNER` is a plain `JOIN`; `comma` is `FROM a, b` (a cross join that SQLite may reorder). */
export type JoinKind = 'inner' | 'left' | 'right' | 'full' | 'cross' | 'comma'

/** A JOIN after the first FROM item: at most one of `on` and `using` (neither for cross and comma). */
export interface JoinClause {
  readonly kind: JoinKind
  readonly item: FromItem
  readonly on: SqlExpr | null
  /** `USING (a, b)`: the columns as written. */
  readonly using: readonly { readonly name: string; readonly pos: Pos }[] | null
  /** `NATURAL … JOIN`: USING every column of the joined item that the items before it have. */
  readonly natural?: true
  readonly pos: Pos
}

/** How a compound SELECT combines its parts, as SQLite does (the set operations remove duplicates). */
export type CompoundOp = 'UNION' | 'UNION ALL' | 'INTERSECT' | 'EXCEPT'

/** `UNION SELECT …` and the like: a part after the first, with no ORDER BY or LIMIT of its own. */
export interface CompoundPart { readonly op: CompoundOp; readonly query: SelectQuery; readonly pos: Pos }

/** `WITH name [(col, …)] AS (SELECT …)`: a table the statement's query reads by name. */
export interface CommonTable {
  readonly name: string
  /** The column names given, or null: the query's result names. */
  readonly columns: readonly string[] | null
  readonly query: SelectQuery
  readonly pos: Pos
}

/** The body of a SELECT: the statement's, or a subquery's. */
export interface SelectQuery {
  /** null: `SELECT` without `FROM`, which evaluates its expressions once (`SELECT 1 + 1`). */
  readonly from: FromItem | null
  readonly joins: readonly JoinClause[]
  readonly distinct: boolean
  readonly items: readonly SelectItem[]
  readonly where: SqlExpr | null
  readonly groupBy: readonly SqlExpr[]
  readonly having: SqlExpr | null
  /** The parts after the first, in order; ORDER BY, LIMIT and OFFSET are then the whole compound's. */
  readonly compound: readonly CompoundPart[]
  readonly orderBy: readonly OrderTerm[]
  readonly limit: ValueExpr | null
  readonly offset: ValueExpr | null
  /** A subquery appears anywhere in it (FROM, items, WHERE, ...). */
  readonly hasSubqueries: boolean
  /** `WINDOW name AS (…), …` after HAVING: windows its items and ORDER BY name with `OVER name`. */
  readonly windows?: readonly NamedWindow[]
  /** `WITH …` before it (a subquery's own, read only inside it; a statement's is SelectStmt.with). */
  readonly with?: readonly CommonTable[]
  /** `WITH RECURSIVE`: each of its WITH queries may also read itself. */
  readonly recursive?: boolean
  /**
   * `VALUES (e, …), (e, …)` as a statement: the query is these rows (each as long as the first), its
   * columns column1, column2, …; its items, FROM, WHERE, GROUP BY and HAVING are empty.
   */
  readonly values?: readonly (readonly SqlExpr[])[]
  readonly pos: Pos
}

export interface SelectStmt extends StatementBase, SelectQuery {
  readonly kind: 'select'
  /** `WITH …` before the SELECT, in order (each may read the ones before it). */
  readonly with: readonly CommonTable[]
  /** `WITH RECURSIVE`: each WITH query may also read itself (its recursive SELECTs after UNION [ALL]). */
  readonly recursive: boolean
  /** The one table read, when FROM names one table and nothing else (no join, subquery, compound or WITH), else null. */
  readonly table: string | null
  /** `FROM t AS a`: qualifiers may use `a`. */
  readonly tableAlias: string | null
  /** An aggregate function appears in the items, HAVING or ORDER BY. */
  readonly hasAggregates: boolean
  /**
   * Every column reference, in order of appearance (not those inside subqueries). Names in GROUP BY,
   * HAVING and ORDER BY may also be output aliases; `renderSelect` resolves them.
   */
  readonly columnRefs: readonly ColumnExpr[]
}

/**
 * `EXPLAIN CALL t.f(key, args…)`: runs the call on the state after the last released batch, commits
 * nothing, and answers with its trace (src/txn/explain.ts). A read: never logged, no batch.
 */
export interface ExplainCallStmt extends StatementBase {
  readonly kind: 'explain-call'
  readonly fn: string
  readonly key: ValueExpr
  readonly args: readonly ValueExpr[]
}
/**
 * `EXPLAIN COMMIT (batch, seq)`: re-runs the transaction logged at that commit position on the state
 * before it (rebuilt from a checkpoint and the batch log, src/inspect/commit-trace.ts) and answers with
 * its trace, as EXPLAIN CALL does. A read: never logged, no batch.
 */
export interface ExplainCommitStmt extends StatementBase {
  readonly kind: 'explain-commit'
  readonly batch: ValueExpr
  readonly seq: ValueExpr
}
export interface BeginStmt extends StatementBase { readonly kind: 'begin' }
export interface CommitStmt extends StatementBase { readonly kind: 'commit' }

export type Statement =
  | CreateTableStmt | DropTableStmt | AlterTablePartitionsStmt | AlterTableAddColumnStmt | AlterTableRenameColumnStmt | AlterTableDropColumnStmt | CreateFunctionStmt | CreateFunctionsStmt | DropFunctionStmt
  | CreateIndexStmt | DropIndexStmt | ShowIndexesStmt | ShowTablesStmt | ShowFunctionsStmt | ShowStatsStmt | ShowClusterStmt | DescribeStmt
  | CallStmt | ExplainCallStmt | ExplainCommitStmt | InsertStmt | UpdateStmt | DeleteStmt | SelectStmt
  | BeginStmt | CommitStmt

export type StatementKind = Statement['kind']

/** Aggregates of CONTRACT.md §3. */
export const AGGREGATE_FUNCTIONS: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'MIN', 'MAX', 'AVG', 'TOTAL', 'GROUP_CONCAT', 'STRING_AGG', 'JSON_GROUP_ARRAY', 'JSON_GROUP_OBJECT'])
/**
 * Aggregates whose result depends on the order of their rows, with their [min, max] argument counts (the
 * separator of GROUP_CONCAT and STRING_AGG, the label of JSON_GROUP_OBJECT): they take `ORDER BY` after
 * their arguments. The other aggregates take one argument.
 */
export const AGGREGATE_ARITY: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ['GROUP_CONCAT', [1, 2]], ['STRING_AGG', [2, 2]], ['JSON_GROUP_ARRAY', [1, 1]], ['JSON_GROUP_OBJECT', [2, 2]],
])
/**
 * Functions that exist only over a window (`OVER` required), with their [min, max] argument counts. The
 * aggregates of AGGREGATE_FUNCTIONS but GROUP_CONCAT and STRING_AGG may also take OVER (WINDOW_AGGREGATES).
 */
export const WINDOW_FUNCTIONS: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ['ROW_NUMBER', [0, 0]], ['RANK', [0, 0]], ['DENSE_RANK', [0, 0]], ['PERCENT_RANK', [0, 0]], ['CUME_DIST', [0, 0]],
  ['NTILE', [1, 1]], ['LAG', [1, 3]], ['LEAD', [1, 3]], ['FIRST_VALUE', [1, 1]], ['LAST_VALUE', [1, 1]], ['NTH_VALUE', [2, 2]],
])
/**
 * Aggregates that may run over a window. Not GROUP_CONCAT, STRING_AGG and the JSON_GROUP ones: over a
 * frame that grows with every row their text grows too, so a table of n rows would build n² characters.
 */
export const WINDOW_AGGREGATES: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'MIN', 'MAX', 'AVG', 'TOTAL'])
/** Deterministic scalar functions, with their [min, max] argument counts (SQLite semantics). */
export const SCALAR_FUNCTIONS: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ['ABS', [1, 1]], ['LENGTH', [1, 1]], ['LOWER', [1, 1]], ['UPPER', [1, 1]], ['TYPEOF', [1, 1]],
  ['COALESCE', [2, 64]], ['IFNULL', [2, 2]], ['NULLIF', [2, 2]], ['ROUND', [1, 2]], ['SUBSTR', [2, 3]],
  ['TRIM', [1, 2]], ['LTRIM', [1, 2]], ['RTRIM', [1, 2]], ['REPLACE', [3, 3]], ['INSTR', [2, 2]], ['HEX', [1, 1]],
  ['QUOTE', [1, 1]], ['UNICODE', [1, 1]], ['CHAR', [1, 64]], ['IIF', [3, 3]], ['SIGN', [1, 1]],
  ['CONCAT', [1, 64]], ['CONCAT_WS', [2, 64]], ['OCTET_LENGTH', [1, 1]], ['UNHEX', [1, 2]],
  // Math whose results IEEE 754 defines exactly (so every machine that replays the log computes the same
  // bits); not LN, EXP, POW, SIN, …, which each C library rounds in its own way.
  ['SQRT', [1, 1]], ['FLOOR', [1, 1]], ['CEIL', [1, 1]], ['CEILING', [1, 1]], ['TRUNC', [1, 1]], ['MOD', [2, 2]], ['PI', [0, 0]],
  // JSON (SQLite's JSON1, text in and out).
  ['JSON', [1, 1]], ['JSON_VALID', [1, 2]], ['JSON_TYPE', [1, 2]], ['JSON_QUOTE', [1, 1]], ['JSON_EXTRACT', [2, 64]],
  ['JSON_ARRAY', [0, 64]], ['JSON_OBJECT', [0, 64]], ['JSON_ARRAY_LENGTH', [1, 2]], ['JSON_INSERT', [3, 63]],
  ['JSON_REPLACE', [3, 63]], ['JSON_SET', [3, 63]], ['JSON_REMOVE', [1, 64]], ['JSON_PATCH', [2, 2]],
  // MIN and MAX with two or more arguments are scalar in SQLite.
  ['MIN', [2, 64]], ['MAX', [2, 64]],
  // Time: NOW() and SQLite's date functions read the batch's time for 'now' (src/schema/clock.ts).
  ['NOW', [0, 0]], ['DATE', [0, 64]], ['TIME', [0, 64]], ['DATETIME', [0, 64]], ['JULIANDAY', [0, 64]], ['UNIXEPOCH', [0, 64]],
  ['STRFTIME', [1, 64]], ['TIMEDIFF', [2, 2]],
])

/**
 * SQLite's date functions: where their time values are (the first, `times` of them; before it, STRFTIME's
 * format), the rest being modifiers. With no time value given, the time is 'now'.
 */
export const DATE_FUNCTIONS: ReadonlyMap<string, { readonly timeAt: number; readonly times: number }> = new Map([
  ...['DATE', 'TIME', 'DATETIME', 'JULIANDAY', 'UNIXEPOCH'].map((f) => [f, { timeAt: 0, times: 1 }] as const),
  ['STRFTIME', { timeAt: 1, times: 1 }], ['TIMEDIFF', { timeAt: 0, times: 2 }],
])

/**
 * SQLite functions refused for what they would break, with the reason given: each reads something other
 * than its arguments (a random source, the connection, the C library's rounding), so a replay of the
 * log, or another node, would compute another value. Any other unknown name is simply unknown. (The
 * clock is offered: the date functions read the batch's time, which the log holds.)
 */
export const REFUSED_FUNCTIONS: ReadonlyMap<string, string> = new Map<string, string>([
  ...['RANDOM', 'RANDOMBLOB'].map((f) => [f, 'it is random, and a replay of the log must compute the same value: pass a value from the client as a parameter (?)'] as const),
  ...['CHANGES', 'TOTAL_CHANGES', 'LAST_INSERT_ROWID', 'SQLITE_VERSION', 'SQLITE_SOURCE_ID'].map((f) => [f, 'it reads the SQLite connection, which is the engine\'s own: use RETURNING, rowsAffected, or SHOW STATS'] as const),
  ...['PRINTF', 'FORMAT'].map((f) => [f, 'a width in its format can ask for a string of up to 1 GB, which no bound of this version checks: use || and the text functions'] as const),
  ...['LN', 'LOG', 'LOG2', 'LOG10', 'EXP', 'POW', 'POWER', 'SIN', 'COS', 'TAN', 'ASIN', 'ACOS', 'ATAN', 'ATAN2', 'SINH', 'COSH', 'TANH', 'ASINH', 'ACOSH', 'ATANH', 'DEGREES', 'RADIANS']
    .map((f) => [f, 'its result is rounded differently by different C libraries, and a replay of the log on another machine must compute the same bits (SQRT, FLOOR, CEIL, TRUNC, MOD and PI are exact)'] as const),
])

/**
 * Clock functions of PostgreSQL (and SQLite's clock keywords written as calls) that are spelt otherwise
 * here, and what to write: "unknown function 'CURRENT_TIMESTAMP'" and a list of 70 names that holds no
 * clock left a user to guess that the clocks exist at all.
 */
export const CLOCK_SPELLINGS: ReadonlyMap<string, string> = new Map<string, string>([
  ...['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME'].map((f) => [f, `write ${f} without parentheses (SQLite's keyword), or NOW()`] as const),
  ...['CLOCK_TIMESTAMP', 'STATEMENT_TIMESTAMP', 'TRANSACTION_TIMESTAMP', 'LOCALTIMESTAMP', 'LOCALTIME', 'TIMEOFDAY', 'GETDATE', 'SYSDATE', 'SYSTIMESTAMP', 'UTC_TIMESTAMP']
    .map((f) => [f, "write NOW() or CURRENT_TIMESTAMP: every clock reads the time of the transaction's batch, in UTC"] as const),
  ['DATE_TRUNC', "use SQLite's date functions: DATE(x) for the day, STRFTIME('%Y-%m-01', x) for the month, DATETIME(x, 'start of month')"],
  ...['EXTRACT', 'DATE_PART'].map((f) => [f, "use STRFTIME: STRFTIME('%Y', x) is the year as text, CAST(STRFTIME('%H', x) AS INTEGER) the hour as a number"] as const),
  ...['TO_CHAR', 'DATE_FORMAT'].map((f) => [f, "use STRFTIME(format, x), SQLite's (%Y-%m-%d %H:%M:%S)"] as const),
  ...['AGE', 'DATEDIFF'].map((f) => [f, 'use TIMEDIFF(a, b), or JULIANDAY(a) - JULIANDAY(b) for days, UNIXEPOCH(a) - UNIXEPOCH(b) for seconds'] as const),
])

/**
 * Functions of PostgreSQL, MySQL and SQLite that have another spelling here, and what to write: "unknown
 * function 'GREATEST'" and a list of 70 names left a user to find that MAX(a, b) does its job.
 */
export const FUNCTION_SPELLINGS: ReadonlyMap<string, string> = new Map<string, string>([
  ['GREATEST', 'write MAX(a, b, …) (SQLite\'s scalar MAX: NULL when any argument is NULL, where PostgreSQL\'s GREATEST skips NULLs)'],
  ['LEAST', 'write MIN(a, b, …) (SQLite\'s scalar MIN: NULL when any argument is NULL, where PostgreSQL\'s LEAST skips NULLs)'],
  ['SUBSTRING', 'write SUBSTR(s, start[, length]) (start counts from 1)'],
  ['LEFT', 'write SUBSTR(s, 1, n)'],
  ['RIGHT', 'write SUBSTR(s, -n) (for n > 0)'],
  ...['POSITION', 'STRPOS', 'LOCATE'].map((f) => [f, 'write INSTR(s, part): the position of part in s, from 1, or 0'] as const),
  ...['CHAR_LENGTH', 'CHARACTER_LENGTH', 'LEN'].map((f) => [f, 'write LENGTH(s): its characters (OCTET_LENGTH(s) for its bytes)'] as const),
  ...['NVL', 'ISNULL'].map((f) => [f, 'write COALESCE(a, b, …) or IFNULL(a, b)'] as const),
  ['ARRAY_AGG', 'write JSON_GROUP_ARRAY(x [ORDER BY …]): the values as a JSON array'],
  ...['BOOL_AND', 'EVERY'].map((f) => [f, 'write MIN(cond) (1 when it holds on every row, 0 when not, NULL over no rows)'] as const),
  ['BOOL_OR', 'write MAX(cond) (1 when it holds on some row, 0 when not, NULL over no rows)'],
  ...['GEN_RANDOM_UUID', 'UUID', 'UUID_GENERATE_V4', 'NEWID'].map((f) => [f, 'it would be random, and a replay of the log must compute the same value: make the UUID in the client and pass it as a parameter (?)'] as const),
])

/**
 * Other systems' clocks written as keywords, without parentheses, as SQLite's CURRENT_TIMESTAMP is, with
 * the system they are from: they parse as column names, and where no column has the name they get their
 * CLOCK_SPELLINGS hint instead of "no such column" alone; where no column can be (a DEFAULT, a VALUES
 * row), the hint at once.
 */
export const CLOCK_KEYWORD_SPELLINGS: ReadonlyMap<string, string> = new Map([
  ['LOCALTIMESTAMP', 'PostgreSQL'], ['LOCALTIME', 'PostgreSQL'], ['SYSDATE', 'Oracle'], ['SYSTIMESTAMP', 'Oracle'],
])

const DDL_NAMES: Readonly<Record<string, string>> = {
  'create-table': 'CREATE TABLE', 'drop-table': 'DROP TABLE', 'alter-table-partitions': 'ALTER TABLE', 'alter-table-add-column': 'ALTER TABLE', 'alter-table-rename-column': 'ALTER TABLE', 'alter-table-drop-column': 'ALTER TABLE',
  'create-index': 'CREATE INDEX', 'drop-index': 'DROP INDEX',
  'create-function': 'CREATE FUNCTION', 'create-functions': 'CREATE FUNCTIONS', 'drop-function': 'DROP FUNCTION',
}

/** A statement kind as SQL spells it, for messages: 'ALTER TABLE', 'SHOW TABLES', 'EXPLAIN CALL'. */
export function statementName(kind: Statement['kind']): string {
  return DDL_NAMES[kind] ?? kind.toUpperCase().replace(/-/g, ' ')
}

/**
 * What SQLite's `LIMIT -1` (its idiom for no limit, as in `LIMIT -1 OFFSET 10`) is written here: without a
 * word, "LIMIT must be a non-negative integer" left a sqlite3 user to find LIMIT ALL. Empty otherwise.
 */
export function negativeLimitHint(what: string, v: unknown): string {
  return what === 'LIMIT' && typeof v === 'bigint' && v < 0n ? " (SQLite's negative LIMIT, no limit, is LIMIT ALL here, or OFFSET n without a LIMIT)" : ''
}
