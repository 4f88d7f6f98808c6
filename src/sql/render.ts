// A parsed SELECT (or expression) → SQL for SQLite over a source the engine chooses. The SQL is generated
// from the AST, never copied from the user's text: identifiers are checked against the table and quoted,
// and every literal and parameter becomes a `?` bound to its value (TRUE and FALSE stay keywords). An integer literal at the top of
// ORDER BY / GROUP BY is written as digits, because SQLite reads it as a column position there.
import { AcheronError } from '../errors.js'
import type { SqlValue } from '../values.js'
import type { ColumnExpr, Pos, SelectStmt, SqlExpr } from './ast.js'

export interface RenderOptions {
  /** What FROM reads: a quoted table name or a parenthesized subquery. Trusted, engine-made SQL. */
  readonly source: string
  /** The table's columns in order, as the catalog spells them. */
  readonly columns: readonly string[]
  /** The values of the statement's `?` parameters, in order. */
  readonly params: readonly SqlValue[]
}

export interface RenderedSql {
  readonly sql: string
  /** Bind these, in order, to the `?` of `sql`. */
  readonly values: SqlValue[]
}

export interface RenderedSelect extends RenderedSql {
  /** The result's column names (read rows as arrays: SQLite's own names may differ). */
  readonly columnNames: string[]
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Clauses that may name an output alias instead of a column (as SQLite allows). */
type Scope = 'plain' | 'aliases'

class Renderer {
  readonly values: SqlValue[] = []
  private readonly byName = new Map<string, string>()
  private readonly aliases = new Set<string>()

  constructor(private readonly opts: RenderOptions, private readonly table: string | null, private readonly tableAlias: string | null, private readonly statement: number) {
    for (const c of opts.columns) this.byName.set(c.toLowerCase(), c)
  }

  addAlias(alias: string): void {
    this.aliases.add(alias.toLowerCase())
  }

  fail(code: 'UNKNOWN_COLUMN' | 'UNKNOWN_TABLE' | 'SYNTAX_ERROR' | 'TYPE_MISMATCH', at: Pos, message: string): never {
    throw new AcheronError(code, message, { line: at.line, column: at.column, statement: this.statement })
  }

  column(e: ColumnExpr, scope: Scope): string {
    if (e.table !== null) {
      const q = e.table.toLowerCase()
      if (q !== this.table?.toLowerCase() && q !== this.tableAlias?.toLowerCase()) this.fail('UNKNOWN_TABLE', e.pos, `no such table: ${e.table}`)
    }
    const c = this.byName.get(e.name.toLowerCase())
    if (c !== undefined) return quoteIdentifier(c)
    if (e.table === null && scope === 'aliases' && this.aliases.has(e.name.toLowerCase())) return quoteIdentifier(e.name)
    const known = this.table === null ? 'a SELECT without FROM has no columns' : `table ${this.table} has ${this.opts.columns.join(', ')}`
    return this.fail('UNKNOWN_COLUMN', e.pos, `no such column: ${e.table === null ? '' : `${e.table}.`}${e.name} (${known})`)
  }

  bind(v: SqlValue): string {
    this.values.push(v)
    return '?'
  }

  expr(e: SqlExpr, scope: Scope): string {
    switch (e.kind) {
      case 'literal': return e.keyword ?? this.bind(e.value)
      case 'param': {
        const v = this.opts.params[e.index]
        if (v === undefined) this.fail('SYNTAX_ERROR', e.pos, `no value for parameter ${e.index + 1} (${this.opts.params.length} given)`)
        return this.bind(v)
      }
      case 'column': return this.column(e, scope)
      case 'unary': return `(${e.op} ${this.expr(e.operand, scope)})`
      case 'binary': return `(${this.expr(e.left, scope)} ${e.op} ${this.expr(e.right, scope)})`
      case 'in': return `(${this.expr(e.operand, scope)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map((x) => this.expr(x, scope)).join(', ')}))`
      case 'between':
        return `(${this.expr(e.operand, scope)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${this.expr(e.low, scope)} AND ${this.expr(e.high, scope)})`
      case 'like': {
        // In source order: literals become parameters as they are rendered.
        const head = `(${this.expr(e.operand, scope)} ${e.negated ? 'NOT LIKE' : 'LIKE'} ${this.expr(e.pattern, scope)}`
        return `${head}${e.escape === null ? '' : ` ESCAPE ${this.expr(e.escape, scope)}`})`
      }
      case 'function':
        if (e.star) return `${e.name}(*)`
        return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map((x) => this.expr(x, scope)).join(', ')})`
      case 'cast': return `CAST(${this.expr(e.operand, scope)} AS ${e.type})`
      case 'case': {
        const operand = e.operand === null ? '' : ` ${this.expr(e.operand, scope)}`
        const whens = e.whens.map((w) => ` WHEN ${this.expr(w.when, scope)} THEN ${this.expr(w.then, scope)}`).join('')
        const otherwise = e.otherwise === null ? '' : ` ELSE ${this.expr(e.otherwise, scope)}`
        return `(CASE${operand}${whens}${otherwise} END)`
      }
    }
  }

  /** ORDER BY / GROUP BY term: a bare integer is a 1-based position in the result columns. */
  term(e: SqlExpr, resultColumns: number): string {
    if (e.kind === 'literal' && typeof e.value === 'bigint') {
      if (e.value < 1n || e.value > BigInt(resultColumns)) this.fail('SYNTAX_ERROR', e.pos, `column position ${e.value} is out of range 1 to ${resultColumns}`)
      return e.value.toString()
    }
    return this.expr(e, 'aliases')
  }

  count(e: SelectStmt['limit'], what: string): string {
    if (e === null) return ''
    const v = e.kind === 'literal' ? e.value : this.opts.params[e.index]
    if (v === undefined) return this.fail('SYNTAX_ERROR', e.pos, `no value for parameter ${e.kind === 'param' ? e.index + 1 : 0} (${this.opts.params.length} given)`)
    if (typeof v !== 'bigint' || v < 0n) this.fail('TYPE_MISMATCH', e.pos, `${what} must be a non-negative integer`)
    return ` ${what} ${this.bind(v)}`
  }
}

/**
 * The SELECT as SQL over `opts.source`, with its result column names. Throws UNKNOWN_COLUMN /
 * UNKNOWN_TABLE (with the reference's position) for a name the table does not have.
 */
export function renderSelect(sel: SelectStmt, opts: RenderOptions): RenderedSelect {
  const r = new Renderer(opts, sel.table, sel.tableAlias, sel.index)
  const items: string[] = []
  const columnNames: string[] = []
  for (const item of sel.items) {
    if (item.kind === 'star') {
      const q = item.table?.toLowerCase()
      if (q !== undefined && q !== sel.table?.toLowerCase() && q !== sel.tableAlias?.toLowerCase()) r.fail('UNKNOWN_TABLE', item.pos, `no such table: ${item.table} (this SELECT reads ${sel.table}${sel.tableAlias !== null ? ` AS ${sel.tableAlias}` : ''})`)
      for (const c of opts.columns) items.push(quoteIdentifier(c))
      columnNames.push(...opts.columns)
      continue
    }
    const sql = r.expr(item.expr, 'plain')
    items.push(item.alias === null ? sql : `${sql} AS ${quoteIdentifier(item.alias)}`)
    columnNames.push(item.label)
    if (item.alias !== null) r.addAlias(item.alias)
  }
  let sql = `SELECT ${sel.distinct ? 'DISTINCT ' : ''}${items.join(', ')} FROM ${opts.source}`
  if (sel.where !== null) sql += ` WHERE ${r.expr(sel.where, 'plain')}`
  if (sel.groupBy.length > 0) sql += ` GROUP BY ${sel.groupBy.map((g) => r.term(g, columnNames.length)).join(', ')}`
  if (sel.having !== null) sql += ` HAVING ${r.expr(sel.having, 'aliases')}`
  if (sel.orderBy.length > 0) {
    sql += ` ORDER BY ${sel.orderBy.map((o) => `${r.term(o.expr, columnNames.length)}${o.descending ? ' DESC' : ''}${o.nulls === undefined ? '' : ` NULLS ${o.nulls}`}`).join(', ')}`
  }
  sql += r.count(sel.limit, 'LIMIT')
  sql += r.count(sel.offset, 'OFFSET')
  return { sql, values: r.values, columnNames }
}

/** One expression (an UPDATE's SET value or WHERE, a DELETE's WHERE) as SQL over the table's columns. */
export function renderExpr(e: SqlExpr, table: string, statement: number, opts: Omit<RenderOptions, 'source'>): RenderedSql {
  const r = new Renderer({ ...opts, source: '' }, table, null, statement)
  const sql = r.expr(e, 'plain')
  return { sql, values: r.values }
}
