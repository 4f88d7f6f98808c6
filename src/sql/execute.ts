// Executes a script: parsed statements → engine transactions, run one unit at a time, in order
// (CONTRACT.md §3 and §4). Every statement becomes exactly one transaction, or one step of the `multi`
// transaction of its BEGIN … COMMIT; each gets one result object R = {columns, rows, rowsAffected, commit}.
import { readFileSync } from 'node:fs'
import { AcheronError, type CommitPosition } from '../errors.js'
import { ROW_SOURCE, scanSourceSql } from '../storage/sqlite-schema.js'
import { indexesOf, visibleColumnNames, visibleColumns, type Catalog, type ColumnDef, type TableDef } from '../schema/catalog.js'
import type { ColumnAssignment, RowExpr } from '../schema/rows.js'
import type { Replan } from '../txn/sequencer.js'
import { isDdl, failureDetails, TRACE_COLUMNS, type CatalogReadTxn, type DataTxn, type InsertConflict, type ScanTxn, type SelectTxn, type TxnFailure, type TxnInput, type TxnOutcome, type TxnResult } from '../txn/types.js'
import { pinParam } from './params.js'
import type { ClockKind } from '../schema/clock.js'
import { checkParamsArray, checkStringArgument, checkWellFormedText, fitsNumber, fromClientValue, unsupportedValue, type SqlValue } from '../values.js'
import { registrableExports } from '../wasm-exec/module-exports.js'
import {
  statementName,
  type Assignment, type CallStmt, type CreateFunctionStmt, type CreateFunctionsStmt, type CreateTableStmt, type DeleteStmt, type ExplainCallStmt, type ExplainCommitStmt, type InsertStmt, type OnConflict, type Pos, type SelectStmt,
  type SqlExpr, type Statement, type UpdateStmt, type ValueExpr,
} from './ast.js'
import { parseScriptCached } from './parse.js'
import { pointKey } from './query.js'
import { renderExpr, renderSelect, type ColumnTypes, type TableSource } from './render.js'
import { groupTransactions } from './transactions.js'
import { fileProblem } from '../file-problem.js'
import { cellTypes, clientValueType, columnTypes, type CellTypes, type ResultTypes } from '../result-types.js'
import type { DatabaseStatementResult } from '../database.js'

/** What a script runs against: the embedded engine, or a server's. */
export interface SqlTarget {
  /** `plan` lets the engine plan the statement again at its position if a DDL changed the catalog first. */
  submit(input: TxnInput, plan?: Replan): Promise<TxnOutcome>
  /** The catalog as of now (every DDL already acknowledged is in it). */
  catalog(): Catalog
  /** SHOW STATS: the metrics as of now and the last durable batch; absent, SHOW STATS is FORBIDDEN. */
  stats?(): { rows: readonly (readonly [string, number])[]; lastBatch: number }
  /** SHOW CLUSTER: the nodes of this node's cluster (src/cluster/members.ts); absent, SHOW CLUSTER is FORBIDDEN. */
  cluster?(): Promise<{ columns: readonly string[]; rows: unknown[][]; lastBatch: number }>
}

export interface ExecuteOptions {
  /**
   * Reads `CREATE FUNCTION ... FROM WASM FILE 'path'` on the client's machine (console, embedded SDK).
   * Absent on a server, which never opens a client-supplied path: FILE is then FORBIDDEN.
   */
  readFile?: (path: string) => Uint8Array
  /**
   * Checked for every statement of the script before any of it runs; throwing refuses the whole script
   * (the server refuses an application token's DDL here: FORBIDDEN).
   */
  authorize?: (statement: Statement) => void
  /**
   * Receives each statement's R as the statement completes (committed, or a query answered), in order:
   * after a failure it holds the results of the statements before it, which stay committed. The server
   * sends them with the error (docs/protocol.md, "Replies").
   */
  completed?: StatementResult[]
}

/** `ExecuteOptions.readFile` for a client on this machine (console, embedded SDK). */
export function readLocalFile(path: string): Uint8Array {
  return readFileSync(path)
}

/** The result object R of CONTRACT.md §4, values converted for a JS client. */
export interface StatementResult {
  columns: string[]
  rows: unknown[][]
  rowsAffected: number
  commit: CommitPosition
  /** `CALL … WITH LOGS` only: the `log()` lines of the call's committed execution, in order. */
  logs?: string[]
  /** A DDL's IF [NOT] EXISTS that found nothing to do: what it skipped ("table t already exists, skipping"). */
  notice?: string
  /**
   * One entry per column, when there are columns: the type of the column's values (REAL tells 1.0 from
   * INTEGER 1, which a JS number and JSON cannot); null where the result says nothing (src/result-types.ts).
   */
  types?: ResultTypes
  /** For a column of values of several types, each value's type (src/result-types.ts, CellTypes); absent when there is none. */
  cellTypes?: CellTypes
}

export const TRANSACTION_KINDS_MESSAGE = 'BEGIN … COMMIT holds CALL, INSERT, UPDATE, DELETE, SELECT, SHOW and DESCRIBE only (no DDL — CREATE, DROP, ALTER — and no EXPLAIN) in this version'

/** A table's visible column types and key, for the renderer (a subquery pinned by key reads one row). */
function typedColumns(def: TableDef): ColumnTypes {
  return { types: visibleColumns(def).map((c) => c.column.type), key: (def.columns[def.keyIndex] as ColumnDef).name }
}

/** An engine value for a JS caller: INTEGER within ±2^53 as number, beyond as bigint (as the wire does). */
function clientValue(v: SqlValue): unknown {
  if (typeof v === 'bigint') return fitsNumber(v) ? Number(v) : v
  return v
}

function errorAt(code: AcheronError['code'], at: Pos, statement: number, message: string): AcheronError {
  return new AcheronError(code, message, { line: at.line, column: at.column, statement })
}

/**
 * Failures of the server or its machine, not of anything the statement says (the engine stopped, a full
 * disk, too many requests): no position, so that no caret points at a table name as if it were the cause.
 */
const UNPOSITIONED_CODES: ReadonlySet<AcheronError['code']> = new Set(['INTERNAL', 'OVERLOADED', 'SHUTTING_DOWN', 'STORAGE_FULL', 'DATABASE_CLOSED'])

/**
 * Where an error about what statement `s` ran points when it has no finer position: a syntax error at the
 * statement, a module CREATE FUNCTION refused at its source, any other (an unknown table, an abort, a
 * duplicate key...) at the table or function it names; nowhere for a failure of the server itself
 * (UNPOSITIONED_CODES).
 */
function failurePos(s: Statement, code: AcheronError['code']): Pos | null {
  if (UNPOSITIONED_CODES.has(code)) return null
  // A module refused is about the module the statement gives, not about the function's name.
  if ((s.kind === 'create-function' || s.kind === 'create-functions') && (code === 'INVALID_WASM' || code === 'WASM_IMPORT_NOT_ALLOWED')) return s.source.pos
  return code === 'SYNTAX_ERROR' ? s.pos : (s.namePos ?? s.pos)
}

/**
 * Where a transaction's failure points: where the engine says (TxnFailure.at), else at the value it is
 * about (TxnFailure.value), else as failurePos.
 */
function outcomePos(s: Statement, f: TxnFailure): Pick<Pos, 'line' | 'column'> | null {
  if (f.at !== undefined) return f.at
  const value = f.value === undefined ? undefined : valueExprs(s)[f.value] ?? selectedItem(s, f.value)
  return value?.pos ?? failurePos(s, f.code)
}

/**
 * For INSERT … SELECT, whose rows have no literals: the SELECT item that gave value `v` (values count row
 * by row, so its column is v modulo the row's width), when each item is one column. Not for `*` items or
 * a compound, where an item is not one column of every row.
 */
function selectedItem(s: Statement, v: number): { readonly pos: Pos } | undefined {
  if (s.kind !== 'insert' || s.select === undefined || s.select.compound.length > 0) return undefined
  const items = s.select.items
  if (items.length === 0 || items.some((i) => i.kind === 'star')) return undefined
  return items[v % items.length]
}

/**
 * A column's default as an expression (SET col = DEFAULT): its literal, or its clock, read as the clocks of
 * VALUES and SET are (the batch's time: DATETIME('now') is CURRENT_TIMESTAMP's text, DATE('now') and
 * TIME('now') CURRENT_DATE's and CURRENT_TIME's), never as a column that happens to bear the clock's name.
 */
function defaultExpr(col: ColumnDef, pos: Pos): SqlExpr {
  if (col.defaultClock === undefined) return { kind: 'literal', value: col.default, pos }
  const name = col.defaultClock === 'now' ? 'NOW' : col.defaultClock === 'date' ? 'DATE' : col.defaultClock === 'time' ? 'TIME' : 'DATETIME'
  const args: SqlExpr[] = name === 'NOW' ? [] : [{ kind: 'literal', value: 'now', pos }]
  return { kind: 'function', name, args, star: false, distinct: false, aggregate: false, pos }
}

/** An error's line and column fields at `at` (none without a position). */
function positionFields(at: Pick<Pos, 'line' | 'column'> | null): { line?: number; column?: number } {
  return at === null ? {} : { line: at.line, column: at.column }
}

/**
 * The values TxnFailure.value counts: an INSERT's row by row in source order, an UPDATE's SET items; a
 * CREATE TABLE's columns at their names, then at their DEFAULT literals; ADD COLUMN's DEFAULT, then its name;
 * DROP COLUMN's column; RENAME COLUMN's column, then its new name; a CREATE INDEX's table, then its columns.
 */
function valueExprs(s: Statement): readonly { readonly pos: Pos }[] {
  if (s.kind === 'insert') return s.rows.flat()
  if (s.kind === 'update') return s.set.map((a) => a.expr)
  if (s.kind === 'create-table') return [...s.columns.map((c) => ({ pos: c.pos })), ...s.columns.map((c) => ({ pos: c.defaultPos ?? c.pos }))]
  if (s.kind === 'alter-table-add-column') return [{ pos: s.column.defaultPos ?? s.column.pos }, { pos: s.column.pos }]
  if (s.kind === 'alter-table-drop-column') return [{ pos: s.columnPos }]
  if (s.kind === 'alter-table-rename-column') return [{ pos: s.columnPos }, { pos: s.toPos ?? s.columnPos }]
  if (s.kind === 'create-index' && s.tablePos !== undefined) return [s.tablePos, ...(s.columnPositions ?? [])].map((pos) => ({ pos }))
  return []
}

/** Adds the statement's index (and, lacking a finer one, its position) to an error about it. */
function pin(err: unknown, s: Statement): unknown {
  if (!(err instanceof AcheronError)) return err
  if (err.statement === undefined) err.statement = s.index
  const at = err.line === undefined && err.statement === s.index ? failurePos(s, err.code) : null
  if (at !== null) {
    err.line = at.line
    err.column = at.column
  }
  return err
}

/** How one statement runs: its engine transaction, and how its result becomes R. */
interface Planned {
  readonly statement: Statement
  readonly input: TxnInput
  readonly shape: (r: TxnResult) => ResultSet
  /** The caller asked for the log lines (`CALL … WITH LOGS`). */
  readonly withLogs?: boolean
}

/** A statement's columns and rows for a JS client, and the columns' types (none without columns). */
interface ResultSet { columns: string[]; rows: unknown[][]; types?: ResultTypes; cellTypes?: CellTypes }

const NO_ROWS = (): ResultSet => ({ columns: [], rows: [] })

/** `columns` over engine rows: the rows converted for a JS client, their types read before that loses them. */
function resultSet(columns: string[], rows: readonly (readonly SqlValue[])[]): ResultSet {
  const cells = cellTypes(columns.length, rows)
  return {
    columns, rows: rows.map((row) => row.map(clientValue)),
    ...(columns.length > 0 ? { types: columnTypes(columns.length, rows) } : {}),
    ...(cells !== undefined ? { cellTypes: cells } : {}),
  }
}

function rowsOf(r: TxnResult, columns: string[]): ResultSet {
  return resultSet(columns, r.rows ?? [])
}

/** ScanTxn.joined: the other tables an UPDATE's or DELETE's subqueries read (not its own), sorted; none: absent. */
function joinedOf(reads: ReadonlySet<string> | undefined, def: TableDef): { joined?: readonly string[] } {
  const joined = [...(reads ?? [])].filter((t) => t !== def.name).sort()
  return joined.length === 0 ? {} : { joined }
}

class Planner {
  constructor(private readonly catalog: Catalog, private readonly params: readonly SqlValue[], private readonly options: ExecuteOptions) {}

  private value(e: ValueExpr): SqlValue {
    if (e.kind === 'literal') return e.value
    const v = this.params[e.index]
    // Unreachable: executeScript checks every statement's parameter count first.
    if (v === undefined) throw new AcheronError('SYNTAX_ERROR', `no value for parameter ${e.index + 1}`, { line: e.pos.line, column: e.pos.column })
    return v
  }

  private table(name: string): TableDef {
    return this.catalog.table(name)
  }

  /** The names statements see (a dropped column is none of them). */
  private columns(def: TableDef): string[] {
    return visibleColumnNames(def)
  }

  /**
   * `excluded`: an upsert's expression, which also reads the proposed row as `excluded.col`. `reads`: the
   * expression may hold subqueries, which read the tables of the catalog; it collects their names.
   */
  private expr(e: SqlExpr, def: TableDef, s: Statement, excluded = false, reads?: Set<string>): RowExpr {
    const r = renderExpr(e, def.name, s.index, { columns: this.columns(def), typed: typedColumns(def), params: this.params, ...(reads === undefined ? {} : { table: (name: string) => this.tableSource(name) }) }, excluded)
    for (const t of r.tables) reads?.add(t)
    return { sql: r.sql, values: r.values }
  }

  /** A table as a query reads it (over all its partitions), or undefined when the catalog has none of that name. */
  private tableSource(name: string): TableSource | undefined {
    let t: TableDef
    try {
      t = this.catalog.table(name)
    } catch {
      return undefined
    }
    return { name: t.name, source: scanSourceSql(t), columns: this.columns(t), seekable: [(t.columns[t.keyIndex] as ColumnDef).name, ...indexesOf(t).map((i) => i.columns[0]?.name ?? '')], typed: typedColumns(t) }
  }

  /** The key an UPDATE/DELETE touches alone, or null (then it scans). */
  private key(where: SqlExpr | null, def: TableDef): SqlValue | null {
    const keyCol = def.columns[def.keyIndex] as ColumnDef
    const e = pointKey(where, keyCol.name)
    if (e === null) return null
    const v = this.value(e)
    // Only a value of the key's own type pins the row; anything else (`k = 5.0`, `k = '7'` on an INTEGER
    // key, `k = NULL`) keeps SQLite's comparison semantics by running as a scan.
    if (keyCol.type === 'INTEGER' ? typeof v === 'bigint' : typeof v === 'string') return v
    return null
  }

  /** SET items of an UPDATE (or, `excluded`, of an upsert's DO UPDATE); `reads` as for `expr`. */
  private sets(set: readonly Assignment[], def: TableDef, s: Statement, excluded = false, reads?: Set<string>): ColumnAssignment[] {
    return set.map((a) => {
      const i = this.catalog.columnIndex(def, a.column)
      if (i < 0) throw errorAt('UNKNOWN_COLUMN', a.pos, s.index, `no such column: ${a.column} (table ${def.name} has ${this.columns(def).join(', ')})`)
      const col = def.columns[i] as ColumnDef
      // SET col = DEFAULT (the standard's, PostgreSQL's), where no column is named DEFAULT: its default.
      const bare = a.expr.kind === 'column' && a.expr.table === null && a.expr.name.toUpperCase() === 'DEFAULT' && this.catalog.columnIndex(def, 'DEFAULT') < 0
      return { column: col.name, expr: this.expr(bare ? defaultExpr(col, a.expr.pos) : a.expr, def, s, excluded, reads) }
    })
  }

  private fileBytes(s: CreateFunctionStmt | CreateFunctionsStmt, path: string, at: Pos): Uint8Array {
    if (this.options.readFile === undefined) {
      throw errorAt('FORBIDDEN', at, s.index, `FROM WASM FILE '${path}' is read by the console or SDK on the client's machine; the server never opens a client path (send the module as BASE64 '...' or X'...')`)
    }
    try {
      return this.options.readFile(path)
    } catch (err) {
      throw errorAt('INVALID_WASM', at, s.index, `cannot read FROM WASM FILE '${path}': ${fileProblem(err)}`)
    }
  }

  /** The DataTxn a statement maps to inside BEGIN … COMMIT, or null when it has none. */
  dataTxn(s: Statement): Planned | null {
    switch (s.kind) {
      case 'call': return this.call(s)
      case 'insert': {
        const p = this.insert(s)
        return p.input.kind === 'insert' ? p : null
      }
      case 'update': {
        const p = this.update(s)
        return p.input.kind === 'update' ? p : null
      }
      case 'delete': {
        const p = this.delete(s)
        return p.input.kind === 'delete' ? p : null
      }
      case 'select': return s.table === null ? null : this.pointSelect(s, this.table(s.table))
      default: return null
    }
  }

  private call(s: CallStmt): Planned {
    this.catalog.function(s.fn)
    return {
      statement: s,
      input: { kind: 'call', fn: s.fn, key: this.value(s.key), args: s.args.map((a) => this.value(a)) },
      shape: (r) => resultSet(['result'], [[r.value ?? null]]),
      withLogs: s.withLogs,
    }
  }

  private explainCall(s: ExplainCallStmt): Planned {
    this.catalog.function(s.fn)
    return {
      statement: s,
      input: { kind: 'explain-call', fn: s.fn, key: this.value(s.key), args: s.args.map((a) => this.value(a)) },
      shape: (r) => rowsOf(r, [...TRACE_COLUMNS]),
    }
  }

  private explainCommit(s: ExplainCommitStmt): Planned {
    return {
      statement: s,
      input: { kind: 'explain-commit', batch: this.position(s.batch, 'batch'), seq: this.position(s.seq, 'seq') },
      shape: (r) => rowsOf(r, [...TRACE_COLUMNS]),
    }
  }

  /**
   * One number of a commit position: a whole number, at least 0, as a reply carries it. Batch 0 is a
   * position too (a query's before the first batch), which the engine refuses as one no transaction has.
   */
  private position(e: ValueExpr, what: 'batch' | 'seq'): number {
    const v = this.value(e)
    const n = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null
    if (n === null || n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
      const zero = what === 'batch' ? ' (batch 0 is before the first batch, where a query on a new database is placed)' : ''
      const most = `at most ${Number.MAX_SAFE_INTEGER} (2^53 - 1, the most a reply's number carries exactly)`
      throw new AcheronError('TYPE_MISMATCH', `the ${what} of a commit position is a whole number, at least 0${zero} and ${most}, not ${typeof v === 'string' ? `'${v}'` : String(v)}`, { line: e.pos.line, column: e.pos.column })
    }
    return Number(n)
  }

  private insert(s: InsertStmt): Planned {
    const def = this.table(s.table)
    if (s.columns !== null) {
      s.columns.forEach((c, i) => {
        if (this.catalog.columnIndex(def, c) >= 0) return
        const message = `no such column: ${c} (table ${def.name} has ${this.columns(def).join(', ')})`
        const at = s.columnPositions?.[i]
        throw at === undefined ? new AcheronError('UNKNOWN_COLUMN', message) : errorAt('UNKNOWN_COLUMN', at, s.index, message)
      })
    } else if (s.select === undefined) {
      // Without a column list a row gives every column (the parser checked the rows agree in width).
      const first = s.rows[0]?.[0]
      const width = s.rows[0]?.length ?? 0
      const visible = this.columns(def).length
      if (first !== undefined && width !== visible) {
        // Too few: naming the columns lets a row give fewer. Too many: no list helps; point at the first extra value, as PostgreSQL does.
        const extra = width > visible ? s.rows[0]?.[visible] : undefined
        const advice = extra === undefined ? '; name the columns to give fewer' : ''
        throw errorAt('SYNTAX_ERROR', (extra ?? first).pos, s.index, `table ${def.name} has ${visible} column${visible === 1 ? '' : 's'} but ${width} value${width === 1 ? ' was' : 's were'} supplied (${this.columns(def).join(', ')})${advice}`)
      }
    }
    const onConflict = s.onConflict === undefined ? undefined : this.onConflict(s, s.onConflict, def)
    const returning = this.returning(s.returning, def)
    if (s.select !== undefined) {
      const query = this.query(s.select)
      const width = s.columns?.length ?? this.columns(def).length
      if (query.columnNames.length !== width) {
        throw errorAt('SYNTAX_ERROR', s.select.pos, s.index, `the SELECT gives ${query.columnNames.length} column${query.columnNames.length === 1 ? '' : 's'} but ${s.columns === null ? `table ${def.name} has ${width} (${this.columns(def).join(', ')}); name the columns to give fewer` : `${width} ${width === 1 ? 'is' : 'are'} named`}`)
      }
      return {
        statement: s,
        input: {
          kind: 'insert-select', table: def.name, columns: s.columns, select: { sql: query.sql, values: query.values }, reads: query.reads, replace: s.orReplace,
          ...(s.orIgnore ? { ignore: true as const } : {}), ...(onConflict === undefined ? {} : { onConflict }), ...returning.input,
        },
        shape: returning.shape,
      }
    }
    const clocks: [number, number, ClockKind][] = []
    // A DEFAULT is the column's default, fixed here as a left-out column's is (no DDL changes the default of
    // a column that stays; a statement sequenced after a DROP and ADD COLUMN is planned again).
    const named = s.columns ?? this.columns(def)
    const rows = s.rows.map((row, r) => row.map((v, i) => {
      if (v.kind === 'default') {
        const col = def.columns[this.catalog.columnIndex(def, named[i] as string)] as ColumnDef
        if (col.defaultClock === undefined) return col.default
        clocks.push([r, i, col.defaultClock])
        return null
      }
      if (v.kind !== 'clock') return this.value(v)
      clocks.push([r, i, v.clock])
      return null
    }))
    return {
      statement: s,
      input: {
        kind: 'insert', table: def.name, columns: s.columns, rows, replace: s.orReplace, ...(clocks.length === 0 ? {} : { clocks }),
        ...(s.orIgnore ? { ignore: true as const } : {}), ...(onConflict === undefined ? {} : { onConflict }), ...returning.input,
      },
      shape: returning.shape,
    }
  }

  /**
   * A statement's RETURNING: the SELECT of its items over one row (ROW_SOURCE), which the engine runs
   * over each row written, and the result's shape; without one, no rows.
   */
  private returning(query: SelectStmt | undefined, def: TableDef): { input: { returning?: RowExpr }; shape: Planned['shape'] } {
    if (query === undefined) return { input: {}, shape: NO_ROWS }
    const r = renderSelect(query, { source: ROW_SOURCE, columns: this.columns(def), params: this.params })
    return { input: { returning: { sql: r.sql, values: r.values } }, shape: (res) => rowsOf(res, r.columnNames) }
  }

  /** An upsert clause: its conflict target must be the key (a table's one unique constraint). */
  private onConflict(s: InsertStmt, c: OnConflict, def: TableDef): InsertConflict {
    const key = (def.columns[def.keyIndex] as ColumnDef).name
    if (c.target !== null && c.target.toLowerCase() !== key.toLowerCase()) {
      const known = this.catalog.columnIndex(def, c.target) >= 0
      throw errorAt(known ? 'SYNTAX_ERROR' : 'UNKNOWN_COLUMN', c.pos, s.index, known
        ? `ON CONFLICT (${c.target}): only the primary key ${key} can conflict (it is ${def.name}'s one unique column)`
        : `no such column: ${c.target} (table ${def.name} has ${this.columns(def).join(', ')})`)
    }
    if (c.action === 'nothing') return { action: 'nothing' }
    return { action: 'update', sets: this.sets(c.set, def, s, true), where: c.where === null ? null : this.expr(c.where, def, s, true) }
  }

  /**
   * An UPDATE: at one key (in the workers) when its WHERE pins one, else over the table. One with
   * subqueries always runs over the table, on the state, where they can read the tables they name.
   */
  private update(s: UpdateStmt): Planned {
    const def = this.table(s.table)
    const reads = s.hasSubqueries ? new Set<string>() : undefined
    const sets = this.sets(s.set, def, s, false, reads)
    const where = s.where === null ? null : this.expr(s.where, def, s, false, reads)
    const key = reads === undefined ? this.key(s.where, def) : null
    const returning = this.returning(s.returning, def)
    const input: TxnInput = key === null
      ? { kind: 'update-scan', table: def.name, sets, where, ...joinedOf(reads, def), ...returning.input }
      : { kind: 'update', table: def.name, key, sets, where, ...returning.input }
    return { statement: s, input, shape: returning.shape }
  }

  /** A DELETE: at one key or over the table, as an UPDATE. */
  private delete(s: DeleteStmt): Planned {
    const def = this.table(s.table)
    const reads = s.hasSubqueries ? new Set<string>() : undefined
    const where = s.where === null ? null : this.expr(s.where, def, s, false, reads)
    const key = reads === undefined ? this.key(s.where, def) : null
    const returning = this.returning(s.returning, def)
    const input: TxnInput = key === null
      ? { kind: 'delete-scan', table: def.name, where, ...joinedOf(reads, def), ...returning.input }
      : { kind: 'delete', table: def.name, key, where, ...returning.input }
    return { statement: s, input, shape: returning.shape }
  }

  private select(s: SelectStmt): Planned {
    // One table and nothing else: a point read if the WHERE pins its key, else a scan of that table.
    if (s.table !== null) {
      const point = this.pointSelect(s, this.table(s.table))
      if (point !== null) return point
    }
    const r = this.query(s)
    const [first, ...others] = r.reads
    return {
      statement: s,
      input: { kind: 'select', table: first ?? null, ...(others.length > 0 ? { joined: others } : {}), sql: r.sql, values: r.values },
      shape: (res) => rowsOf(res, r.columnNames),
    }
  }

  /**
   * A SELECT as a query over the tables: its SQL, result names and the tables it reads (`reads`, its one
   * FROM table when simple, else each it names, at its reference: joins, subqueries, compounds, WITH).
   */
  private query(s: SelectStmt): { sql: string; values: SqlValue[]; columnNames: string[]; reads: string[] } {
    const def = s.table === null ? null : this.table(s.table)
    const r = renderSelect(s, {
      source: def === null ? '' : scanSourceSql(def),
      columns: def === null ? [] : this.columns(def),
      params: this.params,
      table: (name) => this.tableSource(name),
    })
    return { sql: r.sql, values: r.values, columnNames: r.columnNames, reads: def === null ? r.tables : [def.name] }
  }

  /**
   * A SELECT whose WHERE pins one key reads that row alone: it runs in the workers, inside a batch like
   * any point transaction, instead of alone on the coordinator over every partition. SQLite still
   * evaluates the whole statement, over a one-row source, so the answer is the same.
   */
  private pointSelect(s: SelectStmt, def: TableDef): Planned | null {
    const key = this.key(s.where, def)
    if (key === null) return null
    const r = renderSelect(s, { source: ROW_SOURCE, columns: this.columns(def), params: this.params })
    return {
      statement: s,
      input: { kind: 'select-key', table: def.name, key, query: { sql: r.sql, values: r.values } },
      shape: (res) => rowsOf(res, r.columnNames),
    }
  }

  private createTable(s: CreateTableStmt): Planned {
    const columns: ColumnDef[] = s.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull, default: c.default, ...(c.defaultClock === undefined ? {} : { defaultClock: c.defaultClock }) }))
    return {
      statement: s,
      input: { kind: 'create-table', name: s.name, columns, keyColumn: s.primaryKey, partitions: s.partitions, ifNotExists: s.ifNotExists },
      shape: NO_ROWS,
    }
  }

  private createFunction(s: CreateFunctionStmt): Planned {
    const src = s.source
    const body = src.kind === 'file' ? this.fileBytes(s, src.path, src.pos) : src.bytes
    const limits: { fuel?: number; memoryBytes?: number } = {}
    if (s.fuel !== null) limits.fuel = s.fuel
    if (s.memoryBytes !== null) limits.memoryBytes = s.memoryBytes
    return {
      statement: s,
      input: { kind: 'create-function', name: s.name, body, exportName: s.exportName ?? s.function, runtime: 'wasm', limits, orReplace: s.orReplace },
      shape: NO_ROWS,
    }
  }

  /**
   * CREATE FUNCTIONS: the functions are named here, from the module's exports (`t.*`) or the list, so
   * the logged DDL says exactly what it registered. Its result lists them.
   */
  private createFunctions(s: CreateFunctionsStmt): Planned {
    const src = s.source
    const body = src.kind === 'file' ? this.fileBytes(s, src.path, src.pos) : src.bytes
    const names = s.functions ?? registrableExports(body)
    const limits: { fuel?: number; memoryBytes?: number } = {}
    if (s.fuel !== null) limits.fuel = s.fuel
    if (s.memoryBytes !== null) limits.memoryBytes = s.memoryBytes
    const table = this.catalog.tables.get(s.table.toLowerCase())?.name ?? s.table
    const functions = names.map((name) => ({ name, exportName: name }))
    return {
      statement: s,
      input: { kind: 'create-functions', table: s.table, functions, body, runtime: 'wasm', limits, orReplace: s.orReplace },
      shape: () => resultSet(['function', 'export'], functions.map((f) => [`${table}.${f.name}`, f.exportName])),
    }
  }

  /** The transaction of a statement run on its own. */
  single(s: Statement): Planned {
    const catalogRead = (r: TxnResult): ResultSet => rowsOf(r, [...(r.columns ?? [])])
    switch (s.kind) {
      case 'create-table': return this.createTable(s)
      case 'drop-table': return { statement: s, input: { kind: 'drop-table', name: s.name, ifExists: s.ifExists }, shape: NO_ROWS }
      case 'alter-table-partitions': return { statement: s, input: { kind: 'alter-table-partitions', name: s.name, partitions: s.partitions }, shape: NO_ROWS }
      case 'create-function': return this.createFunction(s)
      case 'create-functions': return this.createFunctions(s)
      case 'drop-function': return { statement: s, input: { kind: 'drop-function', name: s.name, ifExists: s.ifExists }, shape: NO_ROWS }
      case 'alter-table-add-column': {
        const c = s.column
        if (c.defaultClock !== undefined) {
          // As SQLite: the rows already there would need a time of their own, which none of them was made at.
          throw errorAt('CONSTRAINT', c.defaultPos ?? c.pos, s.index, `ADD COLUMN takes no clock DEFAULT (the rows already there were not made at one time): add ${c.name} with a literal DEFAULT or none, then set it with UPDATE … SET ${c.name} = CURRENT_TIMESTAMP; a table created with the column gives each new row its batch's time`)
        }
        return { statement: s, input: { kind: 'alter-table-add-column', name: s.name, column: { name: c.name, type: c.type, notNull: c.notNull, default: c.default }, ifNotExists: s.ifNotExists }, shape: NO_ROWS }
      }
      case 'alter-table-rename-column': {
        // Checked here for the caret; the engine checks again at the statement's position.
        const def = this.table(s.name)
        if (this.catalog.columnIndex(def, s.column) < 0) throw errorAt('UNKNOWN_COLUMN', s.columnPos, s.index, `no such column: ${s.column} (table ${def.name} has ${this.columns(def).join(', ')})`)
        return { statement: s, input: { kind: 'alter-table-rename-column', name: s.name, column: s.column, to: s.to }, shape: NO_ROWS }
      }
      case 'alter-table-drop-column': {
        // Checked here for the caret; the engine checks again at the statement's position.
        const def = this.table(s.name)
        if (!s.ifExists && this.catalog.columnIndex(def, s.column) < 0) throw errorAt('UNKNOWN_COLUMN', s.columnPos, s.index, `no such column: ${s.column} (table ${def.name} has ${this.columns(def).join(', ')})`)
        return { statement: s, input: { kind: 'alter-table-drop-column', name: s.name, column: s.column, ifExists: s.ifExists }, shape: NO_ROWS }
      }
      case 'create-index': return { statement: s, input: { kind: 'create-index', name: s.name, table: s.table, columns: s.columns, ifNotExists: s.ifNotExists }, shape: NO_ROWS }
      case 'drop-index': return { statement: s, input: { kind: 'drop-index', name: s.name, ifExists: s.ifExists }, shape: NO_ROWS }
      case 'show-indexes': return { statement: s, input: { kind: 'show-indexes', table: s.table }, shape: catalogRead }
      case 'show-tables': return { statement: s, input: { kind: 'show-tables' }, shape: catalogRead }
      case 'show-functions': return { statement: s, input: { kind: 'show-functions' }, shape: catalogRead }
      case 'describe': return { statement: s, input: { kind: 'describe', table: s.table }, shape: catalogRead }
      case 'call': return this.call(s)
      case 'explain-call': return this.explainCall(s)
      case 'explain-commit': return this.explainCommit(s)
      case 'insert': return this.insert(s)
      case 'update': return this.update(s)
      case 'delete': return this.delete(s)
      case 'select': return this.select(s)
      case 'show-stats': case 'show-cluster': case 'begin': case 'commit':
        // executeScript answers SHOW STATS and SHOW CLUSTER itself; groupTransactions never leaves BEGIN or COMMIT alone.
        throw new AcheronError('SYNTAX_ERROR', `${s.kind.toUpperCase()} outside a transaction`)
    }
  }
}

/** Converts the script's parameters, and hands each statement its own slice of them. */
function splitParams(statements: readonly Statement[], params: readonly unknown[]): SqlValue[][] {
  // Array.from, not map: a hole ([1, ,]) is undefined, refused as such at its ?; map kept it a hole, which
  // read as "no value for parameter 2".
  const values = Array.from(params, (p, i) => {
    try {
      const v = fromClientValue(p)
      if (v === undefined) throw new AcheronError('TYPE_MISMATCH', `parameter ${i + 1}: ${unsupportedValue(p)}`)
      checkWellFormedText(v, `parameter ${i + 1}`)
      return v
    } catch (err) {
      throw pinParam(err, statements, i)
    }
  })
  const out: SqlValue[][] = []
  let at = 0
  for (const s of statements) {
    if (at + s.paramCount > values.length) {
      // Not numbered: the error carries `statement` (0-based), which consoles print beside the message.
      const given = values.length === 0 ? 'no values were given' : `only ${values.length - at} of the ${values.length} values given remain`
      throw errorAt('SYNTAX_ERROR', s.pos, s.index,
        `this statement has ${s.paramCount} ? parameter${s.paramCount === 1 ? '' : 's'}, but ${given}`)
    }
    out.push(values.slice(at, at + s.paramCount))
    at += s.paramCount
  }
  if (at !== values.length) {
    const last = statements[statements.length - 1]
    const message = `${values.length} parameter values given, but the script has ${at} ? parameter${at === 1 ? '' : 's'}`
    throw last === undefined ? new AcheronError('SYNTAX_ERROR', message, { line: 1, column: 1 }) : errorAt('SYNTAX_ERROR', last.pos, last.index, message)
  }
  return out
}

/**
 * SHOW STATS is not a transaction: it reads counters without entering the order, so it needs no batch
 * and cannot delay one. Its `commit` names the last durable batch the counters include, with seq -1:
 * it holds no position of its own.
 */
function showStats(target: SqlTarget, s: Statement): StatementResult {
  if (target.stats === undefined) throw errorAt('FORBIDDEN', s.pos, s.index, 'SHOW STATS: this database keeps no statistics')
  const { rows, lastBatch } = target.stats()
  const shown = rows.map(([name, value]) => [name, value])
  return { columns: ['metric', 'value'], rows: shown, rowsAffected: 0, commit: { batch: lastBatch, seq: -1 }, types: columnTypes(2, shown, clientValueType) }
}

/** SHOW CLUSTER: like SHOW STATS, outside the order (seq -1), as of the last batch this node committed. */
async function showCluster(target: SqlTarget, s: Statement): Promise<StatementResult> {
  if (target.cluster === undefined) throw errorAt('FORBIDDEN', s.pos, s.index, 'SHOW CLUSTER: this server is no node of a cluster (acheron serve --cluster, or acheron cluster)')
  let r: Awaited<ReturnType<NonNullable<SqlTarget['cluster']>>>
  try {
    r = await target.cluster()
  } catch (err) {
    throw new AcheronError('OVERLOADED', `SHOW CLUSTER: the cluster's bucket did not answer (${err instanceof Error ? err.message : String(err)}); try again`,
      { line: s.pos.line, column: s.pos.column, statement: s.index, retryable: true })
  }
  return { columns: [...r.columns], rows: r.rows, rowsAffected: 0, commit: { batch: r.lastBatch, seq: -1 }, types: columnTypes(r.columns.length, r.rows, clientValueType) }
}

async function run(target: SqlTarget, input: TxnInput, s: Statement, plan?: Replan, withLogs = false): Promise<{ result: TxnResult; commit: CommitPosition }> {
  let o: TxnOutcome
  try {
    o = await target.submit(input, plan)
  } catch (err) {
    throw pin(err, s)
  }
  if (o.ok) return o
  const at = outcomePos(s, o.failure)
  throw new AcheronError(o.failure.code, o.failure.message, {
    statement: s.index, ...positionFields(at), ...(o.commit === undefined ? {} : { commit: o.commit }),
    ...(withLogs ? { logs: [...(o.failure.logs ?? [])] } : {}),
    ...failureDetails(o.failure),
  })
}

/**
 * Runs a script: its statements in order, each unit (a statement, or BEGIN … COMMIT) awaited before the
 * next is planned, so that each sees the catalog and data of those before it. Resolves with one R per
 * statement (BEGIN and COMMIT included, with their transaction's commit); rejects with the first
 * failure: an AcheronError with `statement` (0-based), the statement's line and column (or a finer
 * position), and `commit` if its transaction ran. Statements before it stay committed.
 */
export async function executeScript(target: SqlTarget, script: string, params: readonly unknown[] = [], options: ExecuteOptions = {}): Promise<StatementResult[]> {
  checkStringArgument(script, 'the SQL script')
  checkParamsArray(params)
  const statements = parseScriptCached(script)
  if (options.authorize !== undefined) for (const s of statements) options.authorize(s)
  const paramsOf = splitParams(statements, params)
  const units = groupTransactions(statements)
  const results: StatementResult[] = options.completed ?? []
  for (const unit of units) {
    if (unit.kind === 'single') {
      const s = unit.statement
      if (s.kind === 'show-stats') {
        results.push(showStats(target, s))
        continue
      }
      if (s.kind === 'show-cluster') {
        results.push(await showCluster(target, s))
        continue
      }
      let planned: Planned
      try {
        planned = new Planner(target.catalog(), paramsOf[s.index] ?? [], options).single(s)
      } catch (err) {
        throw pin(err, s)
      }
      // A statement planned now runs at its position: if a DDL sequenced before it changes the catalog
      // first, the engine plans it again there (DDL itself is never re-planned).
      const plan: Replan | undefined = isDdl(planned.input) ? undefined : {
        catalogVersion: target.catalog().version,
        replan: (catalog) => {
          planned = new Planner(catalog, paramsOf[s.index] ?? [], options).single(s)
          return planned.input
        },
      }
      const withLogs = planned.withLogs === true
      const { result, commit } = await run(target, planned.input, s, plan, withLogs)
      results.push({
        ...planned.shape(result), rowsAffected: result.rowsAffected, commit,
        ...(withLogs ? { logs: [...(result.logs ?? [])] } : {}), ...(result.notice !== undefined ? { notice: result.notice } : {}),
      })
      continue
    }
    const planUnit = (catalog: Catalog): { steps: Planned[]; input: TxnInput } => {
      const steps: Planned[] = []
      // Point statements run in the workers as one `multi`; a query or a scan inside makes the whole
      // transaction run alone (`multi-exclusive`), where queries see its own writes.
      let alone = false
      for (const s of unit.statements) {
        if (s.kind === 'show-stats' || s.kind === 'show-cluster') {
          throw errorAt('SYNTAX_ERROR', s.pos, s.index, `${statementName(s.kind)} reads ${s.kind === 'show-stats' ? 'counters' : "what the cluster's nodes announce"} and is not a transaction: run it outside BEGIN … COMMIT`)
        }
        let p: Planned | null
        try {
          const planner = new Planner(catalog, paramsOf[s.index] ?? [], options)
          p = planner.dataTxn(s)
          if (p === null && (s.kind === 'select' || s.kind === 'insert' || s.kind === 'update' || s.kind === 'delete' || s.kind === 'show-tables' || s.kind === 'show-functions' || s.kind === 'show-indexes' || s.kind === 'describe')) {
            p = planner.single(s)
            alone = true
          }
        } catch (err) {
          throw pin(err, s)
        }
        if (p === null) {
          throw errorAt('SYNTAX_ERROR', s.pos, s.index, `${TRANSACTION_KINDS_MESSAGE}; run this ${statementName(s.kind)} statement outside BEGIN … COMMIT`)
        }
        steps.push(p)
      }
      const input: TxnInput = alone
        ? { kind: 'multi-exclusive', steps: steps.map((p) => p.input as DataTxn | SelectTxn | ScanTxn | CatalogReadTxn) }
        : { kind: 'multi', steps: steps.map((p) => p.input as DataTxn) }
      return { steps, input }
    }
    let unitPlan = planUnit(target.catalog())
    const plan: Replan = {
      catalogVersion: target.catalog().version,
      replan: (catalog) => {
        try {
          unitPlan = planUnit(catalog)
        } catch (err) {
          // The engine reports which step failed by its index inside the transaction.
          if (err instanceof AcheronError && err.statement !== undefined) err.statement = unit.statements.findIndex((st) => st.index === err.statement)
          throw err
        }
        return unitPlan.input
      },
    }
    let o: TxnOutcome
    try {
      o = await target.submit(unitPlan.input, plan)
    } catch (err) {
      throw pin(err, unit.begin)
    }
    const steps = unitPlan.steps
    if (!o.ok) {
      // Which step failed, when the engine says so (`step`); else the error is pinned at BEGIN.
      const step = o.failure.step
      const failed = step !== undefined ? (steps[step]?.statement ?? unit.begin) : unit.begin
      const at = outcomePos(failed, o.failure)
      throw new AcheronError(o.failure.code, o.failure.message, {
        statement: failed.index, ...positionFields(at), ...(o.commit === undefined ? {} : { commit: o.commit }),
        ...(steps.some((p) => p.withLogs === true) ? { logs: [...(o.failure.logs ?? [])] } : {}),
        ...failureDetails(o.failure),
      })
    }
    const { result, commit } = o
    results.push({ columns: [], rows: [], rowsAffected: 0, commit })
    steps.forEach((p, i) => {
      const r = result.steps?.[i] ?? { rowsAffected: 0 }
      results.push({ ...p.shape(r), rowsAffected: r.rowsAffected, commit, ...(p.withLogs === true ? { logs: [...(r.logs ?? [])] } : {}) })
    })
    results.push({ columns: [], rows: [], rowsAffected: 0, commit })
  }
  return results
}

/** The statement kinds whose result is a result set (what `query` accepts). */
const QUERY_KINDS: ReadonlySet<Statement['kind']> = new Set(['select', 'show-tables', 'show-functions', 'show-indexes', 'show-stats', 'show-cluster', 'describe', 'call', 'explain-call', 'explain-commit'])

/** A statement with a result set: a query, or an INSERT, UPDATE or DELETE with RETURNING. */
function hasResultSet(s: Statement): boolean {
  return QUERY_KINDS.has(s.kind) || ((s.kind === 'insert' || s.kind === 'update' || s.kind === 'delete') && s.returning !== undefined)
}

/** Throws SYNTAX_ERROR unless `sql` is exactly one statement with a result set (what `query()` runs). */
export function checkSingleQuery(sql: string): void {
  checkStringArgument(sql, 'the SQL of query()')
  const statements = parseScriptCached(sql)
  const s = statements[0]
  if (statements.length !== 1 || s === undefined || !hasResultSet(s)) {
    const at = statements.length > 1 ? statements[1] : s
    throw new AcheronError('SYNTAX_ERROR',
      `query() runs exactly one SELECT, SHOW, DESCRIBE, CALL, EXPLAIN, or INSERT, UPDATE or DELETE … RETURNING statement, got ${statements.length === 1 && s !== undefined ? s.kind.toUpperCase().replace('-', ' ') : `${statements.length} statements`}; use sql() for scripts`,
      at === undefined ? { line: 1, column: 1 } : { line: at.pos.line, column: at.pos.column, statement: at.index })
  }
}

/** One statement with a result set (SELECT, SHOW, DESCRIBE, CALL): its columns, rows and commit. */
export async function executeQuery(target: SqlTarget, sql: string, params: readonly unknown[] = [], options: ExecuteOptions = {}): Promise<QueryResult> {
  checkSingleQuery(sql)
  const [r] = await executeScript(target, sql, params, options)
  if (r === undefined) throw new AcheronError('INTERNAL', 'a query produced no result')
  return queryResult(r)
}

/**
 * What `query()` gives of its one statement's R: all of it but a DDL's notice, which a query never has;
 * `rowsAffected` counts the rows an INSERT, UPDATE or DELETE … RETURNING changed (0 for a query).
 */
export type QueryResult = DatabaseStatementResult

export function queryResult(r: StatementResult): QueryResult {
  return {
    columns: r.columns, rows: r.rows, rowsAffected: r.rowsAffected, commit: r.commit,
    ...(r.logs !== undefined ? { logs: r.logs } : {}), ...(r.types !== undefined ? { types: r.types } : {}),
    ...(r.cellTypes !== undefined ? { cellTypes: r.cellTypes } : {}),
  }
}
