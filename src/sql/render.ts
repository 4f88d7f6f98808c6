// A parsed SELECT (or expression) → SQL for SQLite over sources the engine chooses. The SQL is generated
// from the AST, never copied from the user's text: identifiers are checked against the tables and quoted,
// and every literal and parameter becomes a `?` bound to its value (TRUE and FALSE stay keywords). An integer literal at the top of
// ORDER BY / GROUP BY is written as digits, because SQLite reads it as a column position there.
//
// Names resolve as SQLite resolves them, and are checked here first so that an error points at the
// reference: a qualified `x.col` at the FROM item named or aliased `x` (innermost query first, then the
// queries around it: a correlated subquery), an unqualified `col` at the one item of the innermost query
// that has it (two are ambiguous, unless a USING joined them), then at the queries around it.
import { AcheronError } from '../errors.js'
import { EXCLUDED_COLUMN_PREFIX, ROWS_EXAMINED_FUNCTION } from '../storage/sqlite-schema.js'
import { SCALAR_ROWS_FUNCTION, TEXT_CAST_FUNCTION } from '../storage/sql-guards.js'
import type { SqlValue } from '../values.js'
import type { ColumnType } from '../schema/catalog.js'
import { CLOCK_KEYWORD_SPELLINGS, CLOCK_SPELLINGS, DATE_FUNCTIONS, negativeLimitHint } from './ast.js'
import type { ColumnExpr, CommonTable, FrameBound, FromItem, FunctionExpr, JoinClause, NamedWindow, OrderTerm, Pos, SelectItem, SelectQuery, SelectStmt, SqlExpr, ValueExpr, WindowSpec } from './ast.js'
import { clockCall, CLOCK_KEYWORDS, isNowText, isZoneModifier, TIME_MODIFIER_FUNCTION, TIME_VALUE_FUNCTION, ZONE_MODIFIER_MESSAGE } from '../schema/clock.js'
import { checkFrameOffset, checkRangeOrder, containsAggregate, frameBoundText, isIdentifier, unnamedColumnHint } from './parser.js'

/** A table as a query reads it: the SQL naming its rows, and its columns in order. */
export interface TableSource {
  /** The table's name as the catalog spells it. */
  readonly name: string
  /** What FROM reads: a quoted table or view name. Trusted, engine-made SQL. */
  readonly source: string
  /** The table's columns in order, as the catalog spells them. */
  readonly columns: readonly string[]
  /** Columns a condition can seek the table by: its key and each index's first column (absent: none known). */
  readonly seekable?: readonly string[]
  /** The types of `columns`, in order, and its key column (a table of the catalog; absent: not known). */
  readonly typed?: ColumnTypes
}

/** A table's column types and key column, which tell when `key = value` reads at most one row. */
export interface ColumnTypes {
  readonly types: readonly ColumnType[]
  readonly key: string
}

export interface RenderOptions {
  /** What the statement's FROM table reads: a quoted table name or a parenthesized subquery. Trusted, engine-made SQL. */
  readonly source: string
  /** That table's columns in order, as the catalog spells them. */
  readonly columns: readonly string[]
  /** The values of the statement's `?` parameters, in order. */
  readonly params: readonly SqlValue[]
  /** That table's column types and key, when it is a table of the catalog. */
  readonly typed?: ColumnTypes
  /**
   * Every other table the SELECT names (joins, subqueries), by its name as written; undefined for an
   * unknown one (UNKNOWN_TABLE at the name). Absent: only the FROM table can be read.
   */
  readonly table?: (name: string) => TableSource | undefined
}

export interface RenderedSql {
  readonly sql: string
  /** Bind these, in order, to the `?` of `sql`. */
  readonly values: SqlValue[]
}

export interface RenderedSelect extends RenderedSql {
  /** The result's column names (read rows as arrays: SQLite's own names may differ). */
  readonly columnNames: string[]
  /** The tables read through `RenderOptions.table` (joins and subqueries), by catalog name, sorted, once each. */
  readonly tables: string[]
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** What a SELECT without FROM reads: one row, no columns. */
const NO_TABLE_SOURCE = '(SELECT NULL)'

/** Clauses that may name an output alias instead of a column (as SQLite allows). */
type Scope = 'plain' | 'aliases'

/** One FROM item of a query, as its columns resolve. */
interface Source {
  /** What a qualifier names it by: its alias, else its table's name (null: a derived table with no alias). */
  readonly qualifier: string | null
  /** The table's name when aliased (SQLite refuses it then; accepted here when nothing else is named so). */
  readonly tableName: string | null
  readonly columns: readonly string[]
  readonly byName: ReadonlyMap<string, string>
  /** Lower-case names of columns a USING merged into the same column of an item before it. */
  readonly merged: Set<string>
  /** Read only through its qualifier (an upsert's `excluded`): an unqualified name never resolves to it. */
  readonly qualifiedOnly?: true
  /** Lower-case names of the columns a condition can seek it by (TableSource.seekable). */
  readonly seekable?: ReadonlySet<string>
  /** Lower-case column name → type, for a table of the catalog (TableSource.typed). */
  readonly types?: ReadonlyMap<string, ColumnType>
  /** Its query reads the join through a fence (joinFence): while `active`, its columns are the fence's. */
  fence?: JoinFence
  /** It stands left of a RIGHT or FULL JOIN (SQLite's JT_LTORJ): its `q.*` lists a column a later USING joined as the joined value. */
  leftOfRightJoin?: true
}

/** The columns of a fenced join: `"$fence"."cN"` for each column of each item (lower-case name → cN). */
interface JoinFence {
  readonly aliases: ReadonlyMap<string, string>
  active: boolean
}

/** The name of a fenced join in the query around it: `$` is in no user identifier. */
const FENCE_NAME = '$fence'

type ErrorCode = 'UNKNOWN_COLUMN' | 'UNKNOWN_TABLE' | 'SYNTAX_ERROR' | 'TYPE_MISMATCH'

/** A query that joins, or holds a subquery, in any of its parts: its cost may be a product of tables. */
function examinesProducts(q: SelectQuery): boolean {
  // A subquery's own WITH counts as a subquery: one of its queries may recurse, or join.
  return q.joins.length > 0 || q.hasSubqueries || (q.with?.length ?? 0) > 0 || q.compound.some((p) => examinesProducts(p.query))
}

/** The state shared by a statement's query and its subqueries. */
class Statement {
  readonly tables = new Set<string>()
  /** Joins or subqueries: every WHERE and ON counts the rows it examines (ROWS_EXAMINED_FUNCTION). */
  readonly counted: boolean
  /** An expression over one row (renderExpr), not a query: its columns are written unqualified. */
  readonly expressionOnly: boolean
  /** `sel` null: an expression; `subqueries`, one that reads tables (it runs in a query over its table). */
  constructor(readonly opts: RenderOptions, readonly index: number, sel: SelectStmt | null, subqueries = false) {
    this.expressionOnly = sel === null && !subqueries
    // A recursive WITH query is counted too: each row its recursive SELECT reads is one examined, so a
    // recursion that never ends stops at the bound.
    this.counted = subqueries || (sel !== null && (sel.recursive || examinesProducts(sel) || sel.with.some((c) => examinesProducts(c.query))))
  }

  /**
   * A WHERE or ON condition, counted when the statement is. The count names a column of every item in
   * `sources`: SQLite evaluates a term in the innermost loop that binds what it reads, and a term that
   * reads nothing once, before the loops.
   */
  condition(sql: string | null, sources: readonly Source[]): string | null {
    if (!this.counted) return sql
    const args = sources.flatMap((s) => (s.columns[0] === undefined ? [] : [s.qualifier === null ? quoteIdentifier(s.columns[0]) : `${quoteIdentifier(s.qualifier)}.${quoteIdentifier(s.columns[0])}`]))
    const count = `${ROWS_EXAMINED_FUNCTION}(${args.join(', ')})`
    return sql === null ? count : `${count} AND ${sql}`
  }

  fail(code: ErrorCode, at: Pos, message: string): never {
    throw new AcheronError(code, message, { line: at.line, column: at.column, statement: this.index })
  }
}

class Renderer {
  values: SqlValue[] = []
  private readonly sources: Source[] = []
  private readonly aliases = new Set<string>()
  /**
   * The WITH queries of the query this renderer scopes, rendered so far, by lower-case name: tables that
   * the rest of that query, and its subqueries, read by name.
   */
  readonly ctes = new Map<string, TableSource>()
  /** The lower-case name of the WITH query (not RECURSIVE) being rendered in this scope, if one is. */
  defining: string | null = null

  private outwardsDefining(name: string): boolean {
    for (let r: Renderer | null = this; r !== null; r = r.parent) if (r.defining === name.toLowerCase()) return true
    return false
  }

  constructor(private readonly stmt: Statement, private readonly parent: Renderer | null) {}

  get statement(): Statement {
    return this.stmt
  }

  private fail(code: ErrorCode, at: Pos, message: string): never {
    return this.stmt.fail(code, at, message)
  }

  addAlias(alias: string): void {
    this.aliases.add(alias.toLowerCase())
  }

  /** Renders with a fresh list of bound values, returned beside the SQL (clauses rendered out of text order). */
  captured(render: () => string): RenderedSql {
    const saved = this.values
    this.values = []
    try {
      const sql = render()
      return { sql, values: this.values }
    } finally {
      this.values = saved
    }
  }

  get fromSources(): readonly Source[] {
    return this.sources
  }

  get multiple(): boolean {
    return this.sources.length > 1
  }

  /** A FROM item: `first` is the statement's own FROM table, read through opts.source. */
  fromItem(item: FromItem, first: boolean): string {
    let source: string
    let columns: readonly string[]
    let tableName: string | null = null
    let seekable: ReadonlySet<string> | undefined
    let typed: ColumnTypes | undefined
    if (item.kind === 'derived') {
      const sub = renderQuery(this.stmt, item.select, this, true)
      const seen = new Set<string>()
      for (const c of sub.columnNames) {
        if (seen.has(c.toLowerCase())) this.fail('SYNTAX_ERROR', item.pos, `the subquery in FROM has two columns named ${c}: give them different aliases (AS)`)
        seen.add(c.toLowerCase())
      }
      this.values.push(...sub.values)
      source = `(${sub.sql})`
      columns = sub.columnNames
    } else {
      const opts = this.stmt.opts
      const t: TableSource = first ? { name: item.name, source: opts.source, columns: opts.columns, ...(opts.typed === undefined ? {} : { typed: opts.typed }) } : this.table(item.name, item.pos)
      source = t.source
      columns = t.columns
      tableName = t.name
      if (t.seekable !== undefined) seekable = new Set(t.seekable.map((c) => c.toLowerCase()))
      typed = t.typed
    }
    const qualifier = item.alias ?? tableName
    if (qualifier !== null && this.sources.some((s) => s.qualifier?.toLowerCase() === qualifier.toLowerCase())) {
      this.fail('SYNTAX_ERROR', item.pos, `${qualifier} is named twice in FROM: give one of them an alias (… JOIN ${qualifier} AS ${qualifier}2)`)
    }
    const byName = new Map<string, string>()
    for (const c of columns) byName.set(c.toLowerCase(), c)
    const types = typed === undefined ? {} : { types: new Map(columns.map((c, i) => [c.toLowerCase(), typed.types[i] as ColumnType])) }
    this.sources.push({ qualifier, tableName: item.alias === null ? null : tableName, columns, byName, merged: new Set(), ...(seekable === undefined ? {} : { seekable }), ...types })
    return qualifier === null ? source : `${source} AS ${quoteIdentifier(qualifier)}`
  }

  /** The innermost WITH query of that name, if one is. */
  private cte(name: string): TableSource | undefined {
    for (let r: Renderer | null = this; r !== null; r = r.parent) {
      const cte = r.ctes.get(name.toLowerCase())
      if (cte !== undefined) return cte
    }
    return undefined
  }

  private table(name: string, at: Pos): TableSource {
    // The innermost WITH query of that name, else the table.
    const cte = this.cte(name)
    if (cte !== undefined) return cte
    const first = this.stmt.opts
    const t = first.table !== undefined ? first.table(name) : undefined
    if (t === undefined) {
      if (this.outwardsDefining(name)) {
        // SQLite would take it as recursive; PostgreSQL, and this parser, want the word.
        return this.fail('UNKNOWN_TABLE', at, `no such table: ${name} (the WITH query ${name} reads itself: say WITH RECURSIVE)`)
      }
      return this.fail('UNKNOWN_TABLE', at, first.table === undefined ? `no such table: ${name} (this SELECT reads one table)` : `no such table: ${name}`)
    }
    this.stmt.tables.add(t.name)
    return t
  }

  /** A JOIN after the first item: its item, then its ON (over the items so far) or USING. */
  join(j: JoinClause): string {
    const word = j.kind === 'comma' ? ',' : j.kind === 'inner' ? ' JOIN' : ` ${j.kind.toUpperCase()} JOIN`
    const item = this.fromItem(j.item, false)
    if (j.kind === 'right' || j.kind === 'full') for (const s of this.sources.slice(0, -1)) s.leftOfRightJoin = true
    let sql = `${word} ${item}`
    if (j.on !== null) sql += ` ON ${this.stmt.condition(this.expr(j.on, 'plain'), this.sources) as string}`
    const right = this.sources[this.sources.length - 1] as Source
    // NATURAL: as USING the columns of the joined item that an item before it has, in its order (none:
    // a cross join, as in SQLite).
    const using = j.natural !== true ? j.using
      : right.columns.filter((c) => this.sources.slice(0, -1).some((s) => s.byName.has(c.toLowerCase()) && !s.merged.has(c.toLowerCase()))).map((name) => ({ name, pos: j.pos }))
    if (using !== null && using.length > 0) {
      const names: string[] = []
      for (const u of using) {
        const lower = u.name.toLowerCase()
        const r = right.byName.get(lower)
        const left = this.sources.slice(0, -1).filter((s) => s.byName.has(lower) && !s.merged.has(lower))
        if (r === undefined || left.length === 0) {
          this.fail('UNKNOWN_COLUMN', u.pos, `cannot join using column ${u.name}: it is not in both sides (${right.qualifier ?? 'the subquery'} has ${right.columns.join(', ')})`)
        }
        if (left.length > 1) this.fail('SYNTAX_ERROR', u.pos, `ambiguous column name in USING: ${u.name} (in ${left.map((s) => s.qualifier ?? 'a subquery').join(' and ')})`)
        right.merged.add(lower)
        names.push(quoteIdentifier(r))
      }
      sql += ` USING (${names.join(', ')})`
    }
    return sql
  }

  /** Sources of this query that have the column, and the column's spelling in the first. */
  private having(lower: string): Source[] {
    return this.sources.filter((s) => s.qualifiedOnly !== true && s.byName.has(lower))
  }

  /** The rows of a VALUES statement, as an item without a name whose columns are `columns`. */
  valuesSource(columns: readonly string[]): void {
    this.sources.push({ qualifier: null, tableName: null, columns, byName: new Map(columns.map((c) => [c.toLowerCase(), c])), merged: new Set() })
  }

  /** An upsert's `excluded`: the proposed row's columns, read as EXCLUDED_COLUMN_PREFIX + name. */
  addExcluded(columns: readonly string[]): void {
    const byName = new Map<string, string>()
    for (const c of columns) byName.set(c.toLowerCase(), EXCLUDED_COLUMN_PREFIX + c)
    this.sources.push({ qualifier: 'excluded', tableName: null, columns, byName, merged: new Set(), qualifiedOnly: true })
  }

  column(e: ColumnExpr, scope: Scope): string {
    const lower = e.name.toLowerCase()
    if (e.table !== null) {
      // By qualifier in every query outwards first; only then an aliased table by its own name. So
      // `FROM t AS y` inside a subquery does not take the outer query's `t.col` (as in SQLite, which
      // never reads an aliased table by its own name).
      const s = this.outwards((r) => r.qualified(e.table as string, false)) ?? this.outwards((r) => r.qualified(e.table as string, true))
      if (s !== undefined) {
        const c = s.byName.get(lower)
        if (c === undefined) {
          this.fail('UNKNOWN_COLUMN', e.pos, `no such column: ${e.table}.${e.name} (${s.qualifier ?? e.table} has ${s.columns.join(', ')})`)
        }
        const fenced = s.fence?.active === true ? s.fence.aliases.get(lower) : undefined
        if (fenced !== undefined) return `${quoteIdentifier(FENCE_NAME)}.${quoteIdentifier(fenced)}`
        // An UPDATE's, DELETE's or upsert's expression reads one row by its columns' names alone.
        return this.stmt.expressionOnly ? quoteIdentifier(c) : `${quoteIdentifier(s.qualifier ?? e.table)}.${quoteIdentifier(c)}`
      }
      return this.fail('UNKNOWN_TABLE', e.pos, `no such table: ${e.table}`)
    }
    for (let r: Renderer | null = this; r !== null; r = r.parent) {
      const found = r.having(lower)
      if (found.length > 0) {
        // A USING merges a column of later items into the first one's; SQLite reads it unqualified.
        if (found.slice(1).some((s) => !s.merged.has(lower))) {
          this.fail('SYNTAX_ERROR', e.pos, `ambiguous column name: ${e.name} (in ${found.map((s) => s.qualifier ?? 'a subquery').join(' and ')}: qualify it, as ${found[0]?.qualifier ?? 't'}.${e.name})`)
        }
        const first = found[0] as Source
        const fenced = first.fence?.active === true ? first.fence.aliases.get(lower) : undefined
        if (fenced !== undefined) return `${quoteIdentifier(FENCE_NAME)}.${quoteIdentifier(fenced)}`
        return quoteIdentifier(first.byName.get(lower) as string)
      }
      if (r === this && scope === 'aliases' && this.aliases.has(lower)) return quoteIdentifier(e.name)
    }
    // SQLite's CURRENT_DATE, CURRENT_TIME and CURRENT_TIMESTAMP are keywords (no parentheses), so they
    // parse as names: where no column has the name, they read the batch's time (src/schema/clock.ts).
    const clock = e.table === null ? CLOCK_KEYWORDS.get(e.name.toUpperCase()) : undefined
    if (clock !== undefined) return clockCall(clock)
    // PostgreSQL's LOCALTIMESTAMP and LOCALTIME (and Oracle's SYSDATE), keywords too: where no column has the
    // name, told what to write, as their call form is (only "no such column" left a user to guess that the
    // clocks exist).
    const upper = e.name.toUpperCase()
    const system = e.table === null ? CLOCK_KEYWORD_SPELLINGS.get(upper) : undefined
    const spelling = system === undefined ? undefined : CLOCK_SPELLINGS.get(upper)
    if (spelling !== undefined) return this.fail('UNKNOWN_COLUMN', e.pos, `no such column: ${e.name} (${system}'s clock ${upper} is not offered here: ${spelling})`)
    const known = this.sources.length === 0 ? 'a SELECT without FROM has no columns'
      : this.sources.length === 1 ? `table ${this.sources[0]?.qualifier ?? '(subquery)'} has ${this.sources[0]?.columns.join(', ')}`
        : `no table in FROM has it`
    // SQLite lets WHERE name a result alias; here, as in PostgreSQL, only ORDER BY, GROUP BY and HAVING do.
    const alias = e.table === null && this.aliases.has(e.name.toLowerCase())
      ? `; ${e.name} is an alias of the SELECT's items, which only ORDER BY, GROUP BY and HAVING can name: repeat its expression here`
      : ''
    // A subquery's column named by its text (k+1) is what the user may have meant: say how to name it.
    const unnamed = this.sources.flatMap((s) => s.columns).find((c) => !isIdentifier(c))
    const derived = unnamed === undefined ? '' : `; ${unnamedColumnHint()}, ${unnamed} AS name`
    return this.fail('UNKNOWN_COLUMN', e.pos, `no such column: ${e.name} (${known}${alias}${derived})`)
  }

  /** The first item `find` gives in this query or, outwards, the queries around it. */
  private outwards(find: (r: Renderer) => Source | undefined): Source | undefined {
    for (let r: Renderer | null = this; r !== null; r = r.parent) {
      const s = find(r)
      if (s !== undefined) return s
    }
    return undefined
  }

  /**
   * The item a qualifier names: by alias (or table name if not aliased), else (`byTableName`) by the
   * table name of an aliased item, where nothing else is called so.
   */
  private qualified(q: string, byTableName = true): Source | undefined {
    const lower = q.toLowerCase()
    return this.sources.find((s) => s.qualifier?.toLowerCase() === lower) ?? (byTableName ? this.sources.find((s) => s.tableName?.toLowerCase() === lower) : undefined)
  }

  /** `*` or `q.*`: the columns, named as SQLite names them. */
  star(table: string | undefined, at: Pos, items: string[], names: string[]): void {
    if (table !== undefined) {
      const s = this.qualified(table)
      if (s === undefined) {
        const reads = this.sources.map((x) => x.qualifier ?? '(subquery)').join(', ')
        this.fail('UNKNOWN_TABLE', at, `no such table: ${table} (this SELECT reads ${reads})`)
      }
      const later = this.sources.slice(this.sources.indexOf(s) + 1)
      for (const c of s.columns) {
        // As SQLite expands it: unqualified, the joined value (a row only the right side gave has it too).
        const joined = s.leftOfRightJoin === true && later.some((x) => x.merged.has(c.toLowerCase()))
        items.push(this.multiple && !joined ? `${quoteIdentifier(s.qualifier as string)}.${quoteIdentifier(c)}` : quoteIdentifier(c))
      }
      names.push(...s.columns)
      return
    }
    for (const s of this.sources) {
      for (const c of s.columns) {
        const lower = c.toLowerCase()
        if (s.merged.has(lower)) continue
        // A column a USING merged is read unqualified: SQLite gives the joined value (both sides of FULL JOIN).
        const merged = this.sources.some((x) => x.merged.has(lower))
        items.push(!this.multiple || merged || s.qualifier === null ? quoteIdentifier(c) : `${quoteIdentifier(s.qualifier)}.${quoteIdentifier(c)}`)
        names.push(c)
      }
    }
  }

  bind(v: SqlValue): string {
    this.values.push(v)
    return '?'
  }

  private subquery(q: SelectQuery, at: Pos, oneColumn: boolean): string {
    const sub = renderQuery(this.stmt, q, this, false)
    if (oneColumn && sub.columnNames.length !== 1) {
      this.fail('SYNTAX_ERROR', at, `this subquery must return one column, it returns ${sub.columnNames.length} (${sub.columnNames.join(', ')})`)
    }
    this.values.push(...sub.values)
    return `(${sub.sql})`
  }

  /**
   * `(SELECT …)` used as a value: its one row's value, NULL without rows, and a failure of the statement
   * at the subquery when it gives a second row, as in PostgreSQL (SQLite takes the first row it meets,
   * which depends on the order the partitions are read in). One that cannot give two rows (an aggregate
   * without GROUP BY, a LIMIT of 0 or 1, a lookup by key: pinsKey) is written as it is, at no cost. Any
   * other reads at most two of its rows
   * through a count that fails at the second (SCALAR_ROWS_FUNCTION):
   * `(SELECT "v" FROM (… LIMIT 2) GROUP BY NULL HAVING acheron_scalar_rows(COUNT(*), line, column))`.
   * Its value is its column's, so it keeps the column's affinity in comparisons, as SQLite's own
   * subquery does (an INTEGER column's 10 equals the text '10'); GROUP BY NULL makes no row of no rows.
   */
  private scalarSubquery(q: SelectQuery, at: Pos): string {
    if (this.atMostOneRow(q) || this.pinsKey(q)) return this.subquery(q, q.pos, true)
    const sub = renderQuery(this.stmt, q, this, true)
    const name = sub.columnNames[0]
    if (sub.columnNames.length !== 1 || name === undefined) {
      return this.fail('SYNTAX_ERROR', q.pos, `this subquery must return one column, it returns ${sub.columnNames.length} (${sub.columnNames.join(', ')})`)
    }
    this.values.push(...sub.values)
    // Its own LIMIT or OFFSET comes first: the second row is the second of the rows it gives.
    const rows = q.limit === null && q.offset === null ? `${sub.sql} LIMIT 2` : `SELECT * FROM (${sub.sql}) LIMIT 2`
    return `(SELECT ${quoteIdentifier(name)} FROM (${rows}) GROUP BY NULL HAVING ${SCALAR_ROWS_FUNCTION}(COUNT(*), ${at.line}, ${at.column}))`
  }

  /**
   * A query of one table of the catalog whose WHERE pins its key: `key = v` (or `v = key`), alone or in a
   * chain of ANDs, where `v` reads nothing of that table (no column of it, no subquery). Keys are
   * unique, and SQLite's comparison leaves at most one key equal to `v` when the key is INTEGER (`v` is
   * compared as a number), or TEXT and `v` a literal, a `?` or a TEXT or BLOB column (compared as text,
   * BINARY). A TEXT key against a number compares the key as a number, where '5' and '05' are both 5;
   * that, and anything not known, counts as not pinned. A lookup by key so costs what it cost before.
   */
  private pinsKey(q: SelectQuery): boolean {
    const from = q.from
    if (from?.kind !== 'table' || q.joins.length > 0 || q.compound.length > 0 || q.where === null) return false
    const t = this.cte(from.name) ?? this.stmt.opts.table?.(from.name)
    const typed = t?.typed
    if (t === undefined || typed === undefined) return false
    const keyType = typed.types[t.columns.findIndex((c) => c.toLowerCase() === typed.key.toLowerCase())]
    const own = new Set(t.columns.map((c) => c.toLowerCase()))
    const names = new Set([from.name.toLowerCase(), ...(from.alias === null ? [] : [from.alias.toLowerCase()])])
    const ownColumn = (c: ColumnExpr): boolean => (c.table === null ? own.has(c.name.toLowerCase()) : names.has(c.table.toLowerCase()))
    const isKey = (x: SqlExpr): boolean => x.kind === 'column' && x.name.toLowerCase() === typed.key.toLowerCase() && (x.table === null || x.table.toLowerCase() === (from.alias ?? from.name).toLowerCase())
    const pins = (v: SqlExpr): boolean => {
      if (v.kind === 'literal' || v.kind === 'param') return true
      const columns: ColumnExpr[] = []
      if (!collectOuterColumns(v, columns) || columns.some(ownColumn)) return false
      if (keyType === 'INTEGER') return true
      const type = v.kind === 'column' && keyType === 'TEXT' ? this.outerType(v) : undefined
      return type === 'TEXT' || type === 'BLOB'
    }
    const terms = (e: SqlExpr): SqlExpr[] => (e.kind === 'binary' && e.op === 'AND' ? [...terms(e.left), ...terms(e.right)] : [e])
    return terms(q.where).some((e) => e.kind === 'binary' && e.op === '=' && ((isKey(e.left) && pins(e.right)) || (isKey(e.right) && pins(e.left))))
  }

  /** The type of a column of the queries around a subquery (this one outwards), when its item is a table of the catalog. */
  private outerType(e: ColumnExpr): ColumnType | undefined {
    const lower = e.name.toLowerCase()
    if (e.table !== null) {
      const q = e.table
      const s = this.outwards((r) => r.qualified(q, false)) ?? this.outwards((r) => r.qualified(q, true))
      return s?.types?.get(lower)
    }
    for (let r: Renderer | null = this; r !== null; r = r.parent) {
      const found = r.having(lower)
      if (found.length > 1) return undefined
      if (found.length === 1) return found[0]?.types?.get(lower)
    }
    return undefined
  }

  /** A query that gives at most one row whatever the rows: one aggregate group, or a LIMIT of 0 or 1. */
  private atMostOneRow(q: SelectQuery): boolean {
    if (q.limit !== null) {
      const n = this.valueOf(q.limit)
      if (typeof n === 'bigint' && n <= 1n) return true
    }
    if (q.compound.length > 0 || q.groupBy.length > 0) return false
    return q.items.some((i) => i.kind === 'expr' && containsAggregate(i.expr)) || (q.having !== null && containsAggregate(q.having))
  }

  expr(e: SqlExpr, scope: Scope): string {
    switch (e.kind) {
      case 'literal': return e.keyword ?? this.bind(e.value)
      case 'param': return this.bind(this.valueOf(e))
      case 'column': return this.column(e, scope)
      case 'unary': return `(${e.op} ${this.expr(e.operand, scope)})`
      case 'binary': return `(${this.expr(e.left, scope)} ${e.op} ${this.expr(e.right, scope)})`
      case 'in': return `(${this.expr(e.operand, scope)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map((x) => this.expr(x, scope)).join(', ')}))`
      case 'in-select': return `(${this.expr(e.operand, scope)} ${e.negated ? 'NOT IN' : 'IN'} ${this.subquery(e.select, e.select.pos, true)})`
      case 'subquery': return this.scalarSubquery(e.select, e.pos)
      case 'exists': return `(EXISTS ${this.subquery(e.select, e.pos, false)})`
      case 'between':
        return `(${this.expr(e.operand, scope)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${this.expr(e.low, scope)} AND ${this.expr(e.high, scope)})`
      case 'like': {
        // In source order: literals become parameters as they are rendered.
        const op = e.glob === true ? 'GLOB' : 'LIKE'
        const head = `(${this.expr(e.operand, scope)} ${e.negated ? `NOT ${op}` : op} ${this.expr(e.pattern, scope)}`
        return `${head}${e.escape === null ? '' : ` ESCAPE ${this.expr(e.escape, scope)}`})`
      }
      case 'function': {
        const timed = e.over === undefined ? this.timeCall(e, scope) : null
        if (timed !== null) return timed
        const call = e.star
          ? `${e.name}(*)`
          : `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map((x) => this.expr(x, scope)).join(', ')}${e.orderBy === undefined ? '' : ` ORDER BY ${this.orderTerms(e.orderBy, scope)}`})`
        const filtered = e.filter === undefined ? call : `${call} FILTER (WHERE ${this.expr(e.filter, scope)})`
        if (e.over === undefined) return filtered
        return e.over.ref === undefined ? `${filtered} OVER (${this.window(e.over)})` : `${filtered} OVER ${this.windowRef(e.over.ref, e.over.pos)}`
      }
      case 'cast': {
        // To TEXT through TEXT_CAST_FUNCTION, which refuses a blob that is not well-formed UTF-8.
        const operand = this.expr(e.operand, scope)
        return e.type === 'TEXT' ? `CAST(${TEXT_CAST_FUNCTION}(${operand}, ${e.pos.line}, ${e.pos.column}) AS TEXT)` : `CAST(${operand} AS ${e.type})`
      }
      case 'collate': return `(${this.expr(e.operand, scope)} COLLATE ${e.collation})`
      case 'case': {
        const operand = e.operand === null ? '' : ` ${this.expr(e.operand, scope)}`
        const whens = e.whens.map((w) => ` WHEN ${this.expr(w.when, scope)} THEN ${this.expr(w.then, scope)}`).join('')
        const otherwise = e.otherwise === null ? '' : ` ELSE ${this.expr(e.otherwise, scope)}`
        return `(CASE${operand}${whens}${otherwise} END)`
      }
    }
  }

  /**
   * NOW() and SQLite's date functions, reading the batch's time where SQLite would read the machine's
   * clock ('now', or no time value), and refusing the modifiers that read its time zone: at the literal
   * or parameter when the statement gives one, else when a row's value is met (src/storage/sql-clock.ts).
   * Null for any other function.
   */
  private timeCall(e: FunctionExpr, scope: Scope): string | null {
    if (e.name === 'NOW') return clockCall('now')
    const shape = DATE_FUNCTIONS.get(e.name)
    if (shape === undefined) return null
    const args = e.args.map((a, i) => {
      if (i < shape.timeAt) return this.expr(a, scope)
      const known = a.kind === 'literal' || a.kind === 'param' ? this.valueOf(a) : undefined
      if (i < shape.timeAt + shape.times) {
        if (known === undefined) return `${TIME_VALUE_FUNCTION}(${this.expr(a, scope)})`
        return isNowText(known) ? clockCall('now') : this.expr(a, scope)
      }
      // A row's value, checked when it is met: the call carries the argument's place, for the error's caret.
      if (known === undefined) return `${TIME_MODIFIER_FUNCTION}(${this.expr(a, scope)}, ${a.pos.line}, ${a.pos.column})`
      if (isZoneModifier(known)) this.fail('SYNTAX_ERROR', a.pos, `'${String(known)}' is not offered, because ${ZONE_MODIFIER_MESSAGE}`)
      return this.expr(a, scope)
    })
    if (e.args.length === shape.timeAt) args.push(clockCall('now'))
    return `${e.name}(${args.join(', ')})`
  }

  private orderTerms(terms: readonly OrderTerm[], scope: Scope): string {
    return orderTermsSql(terms, (e) => this.expr(e, scope))
  }

  /** The windows its WINDOW clause names, by lower-case name. */
  private namedWindows = new Map<string, NamedWindow>()

  /** A query's `WINDOW name AS (…), …`, rendered before its items (which name them) and placed after HAVING. */
  windowClause(windows: readonly NamedWindow[]): string {
    // A window may be based only on one named before it: SQLite ignores a base named after (or not at
    // all) without a word, and would run the window without the base's PARTITION BY.
    const parts = windows.map((w, i) => {
      const base = w.spec.base
      if (base !== undefined && !this.namedWindows.has(base.name.toLowerCase()) && windows.slice(i).some((x) => x.name.toLowerCase() === base.name.toLowerCase())) {
        this.fail('SYNTAX_ERROR', base.pos, `window ${w.name} is based on ${base.name}, which is named after it: name ${base.name} first`)
      }
      const sql = `${quoteIdentifier(w.name)} AS (${this.window(w.spec)})`
      this.namedWindows.set(w.name.toLowerCase(), w)
      return sql
    })
    return parts.length === 0 ? '' : ` WINDOW ${parts.join(', ')}`
  }

  private windowRef(name: string, at: Pos): string {
    return quoteIdentifier(this.namedWindow(name, at).name)
  }

  /** The window this SELECT's WINDOW clause names `name`; a SYNTAX_ERROR at `at` when there is none. */
  private namedWindow(name: string, at: Pos): NamedWindow {
    const known = this.namedWindows.get(name.toLowerCase())
    if (known === undefined) {
      const names = [...this.namedWindows.values()].map((w) => w.name)
      this.fail('SYNTAX_ERROR', at, `no such window: ${name} (${names.length === 0 ? 'name one with WINDOW name AS (…) after HAVING' : `this SELECT's WINDOW clause names ${names.join(', ')}`})`)
    }
    return known
  }

  /**
   * `name` of `(name [ORDER BY …] [frame])`, checked as SQLite checks it: the base gives the PARTITION
   * BY, and the ORDER BY unless the window has its own (the base then has none); a base with a frame, or
   * itself based on another, is refused.
   */
  private baseWindow(w: WindowSpec & { base: NonNullable<WindowSpec['base']> }): string {
    const base = this.namedWindow(w.base.name, w.base.pos)
    if (base.spec.base !== undefined) this.fail('SYNTAX_ERROR', w.base.pos, `window ${base.name} is itself based on ${base.spec.base.name}: base a window on one written out`)
    if (base.spec.frame !== null) this.fail('SYNTAX_ERROR', w.base.pos, `window ${base.name} has a frame, which a window based on it cannot override: name it whole (OVER ${base.name}) or write the window out`)
    const ownOrder = w.orderBy[0]
    if (ownOrder !== undefined && base.spec.orderBy.length > 0) this.fail('SYNTAX_ERROR', ownOrder.pos, `window ${base.name} has an ORDER BY, which a window based on it cannot override`)
    const frame = w.frame
    if (frame !== null) checkRangeOrder(frame, w.orderBy.length > 0 ? w.orderBy.length : base.spec.orderBy.length, (m) => this.fail('SYNTAX_ERROR', frame.pos, m))
    return quoteIdentifier(base.name)
  }

  /** A window's PARTITION BY, ORDER BY and frame. Its names are columns (SQLite does not see result aliases there). */
  private window(w: WindowSpec): string {
    const parts: string[] = []
    if (w.base !== undefined) parts.push(this.baseWindow({ ...w, base: w.base }))
    if (w.partitionBy.length > 0) parts.push(`PARTITION BY ${w.partitionBy.map((x) => this.expr(x, 'plain')).join(', ')}`)
    if (w.orderBy.length > 0) parts.push(`ORDER BY ${this.orderTerms(w.orderBy, 'plain')}`)
    if (w.frame !== null) {
      const frame = w.frame
      const bound = (b: FrameBound): string => {
        if (b.offset === null) return frameBoundText(b)
        let v = this.valueOf(b.offset)
        // A JavaScript number that is an integer is one here, as it is for every INTEGER value.
        if (typeof v === 'number' && frame.unit !== 'RANGE' && Number.isSafeInteger(v)) v = BigInt(v)
        checkFrameOffset(frame.unit, v, (m) => this.fail('TYPE_MISMATCH', b.offset?.pos ?? b.pos, m))
        return `${this.bind(v)} ${b.kind.toUpperCase()}`
      }
      parts.push(`${frame.unit} BETWEEN ${bound(frame.start)} AND ${bound(frame.end)}`)
    }
    return parts.join(' ')
  }

  /**
   * A GROUP BY term. One that names an aggregate item, by its position or its alias, is a SYNTAX_ERROR at
   * the term, as `GROUP BY MAX(k)` is at the aggregate: SQLite refused it with no position (CONSTRAINT
   * "query failed: aggregate functions are not allowed in the GROUP BY clause", at the table).
   */
  groupTerm(e: SqlExpr, items: readonly SelectItem[], resultColumns: number): string {
    let named: SelectItem | undefined
    const position = positionOf(e)
    if (position !== null && !items.some((i) => i.kind === 'star')) named = items[Number(position) - 1]
    else if (e.kind === 'column' && e.table === null) {
      const lower = e.name.toLowerCase()
      if (this.having(lower).length === 0 && this.aliases.has(lower)) named = items.find((i) => i.kind === 'expr' && i.alias?.toLowerCase() === lower)
    }
    if (named?.kind === 'expr' && containsAggregate(named.expr)) {
      const term = position !== null ? String(position) : (e as { name: string }).name
      this.fail('SYNTAX_ERROR', e.pos, `GROUP BY ${term} names ${named.label === term ? 'an aggregate' : `${named.label}, an aggregate`}: groups are made by the rows' columns and expressions (HAVING filters the groups by an aggregate)`)
    }
    return this.term(e, resultColumns)
  }

  /**
   * ORDER BY / GROUP BY term: a bare integer is a 1-based position in the result columns, also under a
   * COLLATE (`ORDER BY 1 COLLATE NOCASE`: that column by that collation), as SQLite reads it.
   */
  term(e: SqlExpr, resultColumns: number): string {
    if (e.kind === 'collate' && positionOf(e) !== null) return `${this.term(e.operand, resultColumns)} COLLATE ${e.collation}`
    if (e.kind === 'literal' && typeof e.value === 'bigint') {
      if (e.value < 1n || e.value > BigInt(resultColumns)) this.fail('SYNTAX_ERROR', e.pos, `column position ${e.value} is out of range 1 to ${resultColumns}`)
      return e.value.toString()
    }
    return this.expr(e, 'aliases')
  }

  /** A literal's value, or the value given for a `?` (SYNTAX_ERROR at it when none was). */
  private valueOf(e: ValueExpr): SqlValue {
    if (e.kind === 'literal') return e.value
    const v = this.stmt.opts.params[e.index]
    if (v === undefined) return this.fail('SYNTAX_ERROR', e.pos, `no value for parameter ${e.index + 1} (${this.stmt.opts.params.length} given)`)
    return v
  }

  count(e: SelectQuery['limit'], what: string): string {
    if (e === null) return ''
    const v = this.valueOf(e)
    if (typeof v !== 'bigint' || v < 0n) this.fail('TYPE_MISMATCH', e.pos, `${what} must be a non-negative integer${negativeLimitHint(what, v)}`)
    return ` ${what} ${this.bind(v)}`
  }
}

/**
 * One query (the statement's, or a subquery under `parent`). `named`: every expression item gets its
 * label as an alias, so that a derived table's columns are called what columnNames says. `useSource`:
 * its FROM table is read through RenderOptions.source (the statement's own query, when it is simple).
 */
function renderQuery(stmt: Statement, sel: SelectQuery, parent: Renderer | null, named: boolean, useSource = false): RenderedSelect {
  // Its WITH queries live in a scope of their own between the query and the one around it: every part of
  // a compound reads them, and so do its subqueries, while the query around it does not.
  let scope = parent
  let w: RenderedSql | null = null
  if (sel.with !== undefined && sel.with.length > 0) {
    scope = new Renderer(stmt, parent)
    w = renderWith(stmt, scope, sel.with, sel.recursive === true)
  }
  const r = new Renderer(stmt, scope)
  const first = renderCore(r, sel, named, useSource, parent !== null)
  let sql = first.sql
  const columnNames = first.columnNames
  for (const part of sel.compound) {
    const pr = new Renderer(stmt, scope)
    const p = renderCore(pr, part.query, false, false)
    if (p.columnNames.length !== columnNames.length) {
      stmt.fail('SYNTAX_ERROR', part.pos, `the SELECTs on both sides of ${part.op} have different numbers of result columns (${columnNames.length} and ${p.columnNames.length})`)
    }
    sql += ` ${part.op} ${p.sql}`
    r.values.push(...pr.values)
  }
  if (sel.orderBy.length > 0) {
    const term = (e: SqlExpr): string => (sel.compound.length === 0 ? r.term(e, columnNames.length) : compoundTerm(stmt, e, columnNames))
    sql += ` ORDER BY ${orderTermsSql(sel.orderBy, term)}`
  }
  // SQLite takes OFFSET only after a LIMIT; -1 is its "no limit".
  sql += sel.limit === null && sel.offset !== null ? ' LIMIT -1' : r.count(sel.limit, 'LIMIT')
  sql += r.count(sel.offset, 'OFFSET')
  if (w === null) return { sql, values: r.values, columnNames, tables: [] }
  return { sql: `${w.sql}${sql}`, values: [...w.values, ...r.values], columnNames, tables: [] }
}

/** `e [DESC] [NULLS FIRST | LAST], …`, each expression rendered by `expr`. */
function orderTermsSql(terms: readonly OrderTerm[], expr: (e: SqlExpr) => string): string {
  return terms.map((o) => `${expr(o.expr)}${o.descending ? ' DESC' : ''}${o.nulls === undefined ? '' : ` NULLS ${o.nulls}`}`).join(', ')
}

/** The position an ORDER BY / GROUP BY term names: an integer literal, under any COLLATEs; else null. */
function positionOf(e: SqlExpr): bigint | null {
  if (e.kind === 'collate') return positionOf(e.operand)
  return e.kind === 'literal' && typeof e.value === 'bigint' ? e.value : null
}

/** A compound's ORDER BY term: a result column, by position or by name (written as its position). */
function compoundTerm(stmt: Statement, e: SqlExpr, columnNames: readonly string[]): string {
  if (e.kind === 'collate') return `${compoundTerm(stmt, e.operand, columnNames)} COLLATE ${e.collation}`
  if (e.kind === 'literal' && typeof e.value === 'bigint') {
    if (e.value < 1n || e.value > BigInt(columnNames.length)) stmt.fail('SYNTAX_ERROR', e.pos, `column position ${e.value} is out of range 1 to ${columnNames.length}`)
    return e.value.toString()
  }
  if (e.kind === 'column' && e.table === null) {
    const i = columnNames.findIndex((c) => c.toLowerCase() === e.name.toLowerCase())
    if (i >= 0) return String(i + 1)
  }
  return stmt.fail('SYNTAX_ERROR', e.pos, `ORDER BY of a compound SELECT (UNION, INTERSECT, EXCEPT) names a result column, by name (${columnNames.join(', ')}) or by position`)
}

/**
 * Whether a query reads its one table through a fence: an aggregate subquery over one table whose WHERE
 * bounds a column the table can be sought by with a range, typically correlated (`(SELECT COUNT(*) FROM t
 * WHERE t.v BETWEEN o.a AND o.b)` with an index on v). A table is read through a view that is a UNION ALL
 * over its partitions, and SQLite does not merge such a view into an aggregate query (its flattener's
 * rule 17): it reads the whole view once, into an automatic index for an equality if it can, or for each
 * row of the query around it.
 * Fenced, `FROM (SELECT * FROM t WHERE … LIMIT -1 OFFSET 0) AS t` (a subquery with an OFFSET is never
 * merged into the query around it), the view is merged into that plain SELECT instead, and the condition
 * reaches each partition and its index. The same rows reach the aggregate, so the result is the same.
 * Not for an equality: SQLite's automatic index, built once, then beats a seek per partition and outer
 * row (measured 132 against 639 ms for 200,000 outer rows); nor without a seekable column.
 */
function fencesTable(sel: SelectQuery, inSubquery: boolean, source: Source | undefined): boolean {
  if (!inSubquery || sel.from?.kind !== 'table' || sel.joins.length > 0 || sel.where === null) return false
  const seekable = source?.seekable
  if (seekable === undefined || source?.qualifier === null || source?.qualifier === undefined || !rangesOver(sel.where, source.qualifier, seekable)) return false
  return isAggregate(sel)
}

/**
 * The join of an aggregate query, fenced: `SELECT … FROM (SELECT "o"."k" AS "c0", … FROM o JOIN t ON …
 * WHERE … LIMIT -1 OFFSET 0) AS "$fence" GROUP BY …`, for the reason fencesTable gives (in an aggregate,
 * the partitions' views are never merged, so a join reads each table whole for each row of the other);
 * inside the fence the views are merged, and the join reaches each partition's index. Its items, GROUP
 * BY, HAVING, windows and ORDER BY then read the fence's columns (Source.fence). Only when some item
 * after the first is joined by a range (ON or WHERE, as rangesOver) on a column it can be sought by (an
 * equality is left to SQLite's automatic index, as in fencesTable); and not with USING or NATURAL
 * (merged columns), RIGHT or FULL joins, `*`, or an item without a name. Returns the fence's columns
 * (null: no fence), and marks each item's Source.fence active.
 */
function joinFence(sel: SelectQuery, sources: readonly Source[]): string[] | null {
  if (sources.length < 2 || !isAggregate(sel) || sel.items.some((i) => i.kind === 'star')) return null
  if (sel.joins.some((j) => j.using !== null || j.natural === true || j.kind === 'right' || j.kind === 'full')) return null
  if (sources.some((x) => x.qualifier === null || x.qualifiedOnly === true || x.merged.size > 0)) return null
  const sought = sources.some((x, i) => {
    if (i === 0 || x.seekable === undefined) return false
    const on = sel.joins[i - 1]?.on ?? null
    return (on !== null && rangesOver(on, x.qualifier as string, x.seekable)) || (sel.where !== null && rangesOver(sel.where, x.qualifier as string, x.seekable))
  })
  if (!sought) return null
  const columns: string[] = []
  for (const x of sources) {
    const aliases = new Map<string, string>()
    for (const c of x.columns) {
      const alias = `c${columns.length}`
      aliases.set(c.toLowerCase(), alias)
      columns.push(`${quoteIdentifier(x.qualifier as string)}.${quoteIdentifier(c)} AS ${quoteIdentifier(alias)}`)
    }
    x.fence = { aliases, active: true }
  }
  return columns
}

function isAggregate(sel: SelectQuery): boolean {
  return sel.groupBy.length > 0 || sel.items.some((i) => i.kind === 'expr' && containsAggregate(i.expr)) || (sel.having !== null && containsAggregate(sel.having))
}

/**
 * The columns `e` reads into `out`; false when it holds a subquery (which may read any table's columns,
 * correlated). A window or aggregate counts as a subquery would: it reads other rows.
 */
function collectOuterColumns(e: SqlExpr, out: ColumnExpr[]): boolean {
  const all = (xs: readonly SqlExpr[]): boolean => xs.every((x) => collectOuterColumns(x, out))
  switch (e.kind) {
    case 'literal': case 'param': return true
    case 'column': out.push(e); return true
    case 'subquery': case 'exists': case 'in-select': return false
    case 'unary': case 'cast': case 'collate': return collectOuterColumns(e.operand, out)
    case 'binary': return all([e.left, e.right])
    case 'in': return all([e.operand, ...e.list])
    case 'between': return all([e.operand, e.low, e.high])
    case 'like': return all([e.operand, e.pattern, ...(e.escape === null ? [] : [e.escape])])
    case 'function': return !e.aggregate && e.over === undefined && e.filter === undefined && all(e.args)
    case 'case': return all([...(e.operand === null ? [] : [e.operand]), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.otherwise === null ? [] : [e.otherwise])])
  }
}

const RANGE_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>='])

/**
 * Whether `e` (not counting its subqueries) bounds one of `columns` (lower case) of the FROM item
 * `qualifier` by a range: `col BETWEEN …`, or `col <`, `<=`, `>`, `>=` something. An equality is not
 * counted: for it SQLite builds an automatic index once, which beats a seek per partition and row.
 */
function rangesOver(e: SqlExpr, qualifier: string, columns: ReadonlySet<string>): boolean {
  const isColumn = (x: SqlExpr): boolean => x.kind === 'column' && (x.table === null || x.table.toLowerCase() === qualifier.toLowerCase()) && columns.has(x.name.toLowerCase())
  const at = (x: SqlExpr): boolean => rangesOver(x, qualifier, columns)
  switch (e.kind) {
    case 'between': return (!e.negated && isColumn(e.operand)) || at(e.operand) || at(e.low) || at(e.high)
    case 'binary': return (RANGE_OPS.has(e.op) && (isColumn(e.left) || isColumn(e.right))) || at(e.left) || at(e.right)
    case 'column': case 'literal': case 'param': case 'subquery': case 'exists': return false
    case 'in-select': case 'unary': case 'cast': case 'collate': return at(e.operand)
    case 'in': return at(e.operand) || e.list.some(at)
    case 'like': return at(e.operand) || at(e.pattern) || (e.escape !== null && at(e.escape))
    case 'function': return e.args.some(at)
    case 'case': return (e.operand !== null && at(e.operand)) || e.whens.some((w) => at(w.when) || at(w.then)) || (e.otherwise !== null && at(e.otherwise))
  }
}

/** SELECT items FROM … WHERE … GROUP BY … HAVING …: one query without its ORDER BY and LIMIT. */
function renderCore(r: Renderer, sel: SelectQuery, named: boolean, useSource: boolean, inSubquery = false): { sql: string; columnNames: string[] } {
  if (sel.values !== undefined) return renderValues(r, sel.values)
  // FROM first: the items resolve against it, though it follows them in the text (and in the values).
  const from = r.captured(() => {
    if (sel.from === null) return NO_TABLE_SOURCE
    let sql = r.fromItem(sel.from, useSource)
    for (const j of sel.joins) sql += r.join(j)
    return sql
  })
  // Decided before the items, which then read the fence's columns; the WHERE, inside it, does not.
  const fenceColumns = joinFence(sel, r.fromSources)
  const setFence = (active: boolean) => { for (const x of r.fromSources) if (x.fence !== undefined) x.fence.active = active }
  // The WINDOW clause next (items name its windows), its values kept for their place after HAVING.
  const windows = r.captured(() => r.windowClause(sel.windows ?? []))
  const items: string[] = []
  const columnNames: string[] = []
  for (const item of sel.items) {
    if (item.kind === 'star') {
      r.star(item.table, item.pos, items, columnNames)
      continue
    }
    const sql = r.expr(item.expr, 'plain')
    const alias = item.alias ?? (named ? item.label : null)
    items.push(alias === null ? sql : `${sql} AS ${quoteIdentifier(alias)}`)
    columnNames.push(item.label)
    if (item.alias !== null) r.addAlias(item.alias)
  }
  r.values.push(...from.values)
  setFence(false)
  const where = r.statement.condition(sel.where === null ? null : r.expr(sel.where, 'plain'), r.fromSources)
  setFence(true)
  const qualifier = r.fromSources[0]?.qualifier
  const fenced = fenceColumns !== null
    ? `(SELECT ${fenceColumns.join(', ')} FROM ${from.sql}${where === null ? '' : ` WHERE ${where}`} LIMIT -1 OFFSET 0) AS ${quoteIdentifier(FENCE_NAME)}`
    : where !== null && qualifier !== null && qualifier !== undefined && fencesTable(sel, inSubquery, r.fromSources[0])
      ? `(SELECT * FROM ${from.sql} WHERE ${where} LIMIT -1 OFFSET 0) AS ${quoteIdentifier(qualifier)}`
      : null
  let sql = `SELECT ${sel.distinct ? 'DISTINCT ' : ''}${items.join(', ')} FROM ${fenced ?? from.sql}`
  if (where !== null && fenced === null) sql += ` WHERE ${where}`
  if (sel.groupBy.length > 0) sql += ` GROUP BY ${sel.groupBy.map((g) => r.groupTerm(g, sel.items, columnNames.length)).join(', ')}`
  if (sel.having !== null) sql += ` HAVING ${r.expr(sel.having, 'aliases')}`
  sql += windows.sql
  r.values.push(...windows.values)
  return { sql, columnNames }
}

/**
 * `VALUES (…), (…)`: SQLite's own VALUES, which takes any number of rows (a UNION ALL of SELECTs takes
 * 500), read as a table whose columns column1, column2, … the statement's ORDER BY can name.
 */
function renderValues(r: Renderer, rows: readonly (readonly SqlExpr[])[]): { sql: string; columnNames: string[] } {
  const values = rows.map((row) => `(${row.map((e) => r.expr(e, 'plain')).join(', ')})`).join(', ')
  const columnNames = (rows[0] ?? []).map((_, i) => `column${i + 1}`)
  r.valuesSource(columnNames)
  return { sql: `SELECT * FROM (VALUES ${values})`, columnNames }
}

/**
 * The WITH queries, rendered in order into `scope`; each becomes a table that the ones after it and the
 * query read by name. Their queries may read the columns of the queries around `scope` (as in SQLite).
 */
function renderWith(stmt: Statement, scope: Renderer, ctes: readonly CommonTable[], recursive: boolean): RenderedSql {
  const values: SqlValue[] = []
  const parts = ctes.map((cte) => {
    // Recursive: the query reads its own name, with the columns given or those of its first SELECT.
    if (recursive) scope.ctes.set(cte.name.toLowerCase(), { name: cte.name, source: quoteIdentifier(cte.name), columns: cte.columns ?? anchorColumns(stmt, scope, cte) })
    if (!recursive) scope.defining = cte.name.toLowerCase()
    const q = renderQuery(stmt, cte.query, scope, true)
    scope.defining = null
    const columns = cte.columns ?? q.columnNames
    if (columns.length !== q.columnNames.length) {
      stmt.fail('SYNTAX_ERROR', cte.pos, `${cte.name} names ${columns.length} columns, its query returns ${q.columnNames.length}`)
    }
    const seen = new Set<string>()
    for (const c of columns) {
      if (seen.has(c.toLowerCase())) stmt.fail('SYNTAX_ERROR', cte.pos, `${cte.name} has two columns named ${c}: give them different names`)
      seen.add(c.toLowerCase())
    }
    values.push(...q.values)
    scope.ctes.set(cte.name.toLowerCase(), { name: cte.name, source: quoteIdentifier(cte.name), columns })
    const list = cte.columns === null ? '' : `(${cte.columns.map(quoteIdentifier).join(', ')})`
    return `${quoteIdentifier(cte.name)}${list} AS (${q.sql})`
  })
  return { sql: `WITH ${recursive ? 'RECURSIVE ' : ''}${parts.join(', ')} `, values }
}

/** The result names of a query's first SELECT (of a recursive WITH query, before it can read itself). */
function anchorColumns(stmt: Statement, scope: Renderer, cte: CommonTable): string[] {
  try {
    return renderQuery(stmt, { ...cte.query, compound: [], orderBy: [], limit: null, offset: null }, scope, true).columnNames
  } catch (err) {
    if (err instanceof AcheronError && err.code === 'UNKNOWN_TABLE' && err.message === `no such table: ${cte.name}`) {
      stmt.fail('SYNTAX_ERROR', cte.pos, `the first SELECT of recursive ${cte.name} reads ${cte.name}: start from rows it does not read, as ${cte.name} AS (SELECT … UNION [ALL] SELECT … FROM ${cte.name} …)`)
    }
    throw err
  }
}

/**
 * The SELECT as SQL, with its result column names and the other tables it reads. Throws UNKNOWN_COLUMN /
 * UNKNOWN_TABLE (with the reference's position) for a name no table has, SYNTAX_ERROR for an ambiguous one.
 */
export function renderSelect(sel: SelectStmt, opts: RenderOptions): RenderedSelect {
  const stmt = new Statement(opts, sel.index, sel)
  const r = renderQuery(stmt, sel, null, false, opts.source !== '')
  return { ...r, tables: [...stmt.tables].sort() }
}

/**
 * One expression (an UPDATE's SET value or WHERE, a DELETE's WHERE, an upsert's) as SQL over the table's
 * columns; `excluded`: an upsert's, which also reads `excluded.col`. With `opts.table`, its subqueries
 * may read other tables (listed in `tables`): its columns are then qualified by the table's name, which
 * the query over the table must give its source as an alias (src/txn/exclusive-txns.ts).
 */
export function renderExpr(e: SqlExpr, table: string, statement: number, opts: Omit<RenderOptions, 'source'>, excluded = false): RenderedSql & { readonly tables: string[] } {
  const stmt = new Statement({ ...opts, source: '' }, statement, null, opts.table !== undefined)
  const r = new Renderer(stmt, null)
  r.fromItem({ kind: 'table', name: table, alias: null, pos: { offset: 0, line: 1, column: 1 } }, true)
  if (excluded) r.addExcluded(opts.columns)
  const sql = r.expr(e, 'plain')
  return { sql, values: r.values, tables: [...stmt.tables].sort() }
}
