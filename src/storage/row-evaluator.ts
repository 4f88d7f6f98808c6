import Database from 'better-sqlite3'
import { queryFailure } from './query-failure.js'
import type { TableDef } from '../schema/catalog.js'
import type { RowExpr } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'
import { bindable, EXCLUDED_COLUMN_PREFIX, quoteIdent, ROW_SOURCE, sqliteTypeOf } from './sqlite-schema.js'
import { defineClockFunctions } from './sql-clock.js'
import { defineGuardFunctions } from './sql-guards.js'

/** Evaluated statements kept by text; beyond this many the cache starts over. */
const EVAL_STATEMENTS_MAX = 512

/**
 * Evaluates SQL expressions (an UPDATE's SET values, a WHERE) over one row, with SQLite itself, so that
 * they mean exactly what they mean in SQLite. The row is a one-row CTE whose columns are CAST to their
 * declared types, which gives them the same affinity in comparisons as the table's own columns.
 */
export class RowEvaluator {
  private readonly db = new Database(':memory:')
  private readonly statements = new Map<string, Database.Statement>()
  /** The time the clocks of the expressions read: the running transaction's batch's (its executor sets it). */
  timeMs = 0

  constructor() {
    defineClockFunctions(this.db, () => this.timeMs)
    defineGuardFunctions(this.db)
  }

  /**
   * The values of `exprs` over `row`; a WHERE-like expression comes back as 1 or 0 when `asCondition`.
   * `excluded`: an upsert's proposed row, read as the columns EXCLUDED_COLUMN_PREFIX + name.
   */
  evaluate(table: TableDef, row: Row, exprs: readonly RowExpr[], asCondition = false, excluded?: Row): SqlValue[] {
    if (exprs.length === 0) return []
    let cols = table.columns.map((c) => `CAST(? AS ${sqliteTypeOf(c.type)}) AS ${quoteIdent(c.name)}`).join(', ')
    if (excluded !== undefined) cols += `, ${table.columns.map((c) => `CAST(? AS ${sqliteTypeOf(c.type)}) AS ${quoteIdent(EXCLUDED_COLUMN_PREFIX + c.name)}`).join(', ')}`
    const items = exprs.map((e) => (asCondition ? `CASE WHEN (${e.sql}) THEN 1 ELSE 0 END` : `(${e.sql})`)).join(', ')
    const sql = `WITH "__acheron_row" AS (SELECT ${cols}) SELECT ${items} FROM "__acheron_row"`
    try {
      const stmt = this.prepare(sql)
      const values = [...row.map(bindable), ...(excluded ?? []).map(bindable), ...exprs.flatMap((e) => e.values.map(bindable))]
      const out = stmt.get(...values) as SqlValue[]
      return out.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v))
    } catch (err) {
      if (err instanceof Database.SqliteError) throw queryFailure(err, 'expression')
      throw err
    }
  }

  /**
   * Runs a SELECT that reads from ROW_SOURCE over one row (or none, when `row` is undefined): projection,
   * WHERE, aggregates, ORDER BY and LIMIT all evaluated by SQLite, with the table's column affinities.
   */
  select(table: TableDef, row: Row | undefined, query: RowExpr): Row[] {
    const cols = table.columns.map((c) => `CAST(? AS ${sqliteTypeOf(c.type)}) AS ${quoteIdent(c.name)}`).join(', ')
    const sql = `WITH ${ROW_SOURCE} AS (SELECT ${cols} WHERE ?) ${query.sql}`
    try {
      const stmt = this.prepare(sql)
      const values = [...(row ?? table.columns.map(() => null)).map(bindable), row === undefined ? 0 : 1, ...query.values.map(bindable)]
      return (stmt.all(...values) as SqlValue[][]).map((r) => r.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)))
    } catch (err) {
      if (err instanceof Database.SqliteError) throw queryFailure(err)
      throw err
    }
  }

  /** A prepared statement by text, cached; SQLite's errors are the caller's to map. */
  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql)
    if (stmt === undefined) {
      stmt = this.db.prepare(sql).raw(true).safeIntegers(true)
      if (this.statements.size >= EVAL_STATEMENTS_MAX) this.statements.clear()
      this.statements.set(sql, stmt)
    }
    return stmt
  }

  /** True when the condition holds for the row (SQLite's truth: non-zero, not NULL). */
  holds(table: TableDef, row: Row, where: RowExpr | null, excluded?: Row): boolean {
    return where === null || this.evaluate(table, row, [where], true, excluded)[0] === 1n
  }

  close(): void {
    this.db.close()
  }
}
