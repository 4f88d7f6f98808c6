// Statements of CONTRACT.md §3 → the typed AST (ast.ts). A hand-written recursive-descent parser over the
// tokens of split.ts: exact 64-bit literals, a position on every node and error, and only the grammar
// Acheron executes (anything else is a SYNTAX_ERROR here, not a surprise in an executor).
import { COLUMNS_MAX, PARTITIONS_MAX, reservedTablePrefix, type ColumnType, type IndexColumn } from '../schema/catalog.js'
import { CLOCK_KEYWORDS, clockSql, type ClockKind } from '../schema/clock.js'
import type {
  Assignment, CallStmt, ColumnAst, ColumnExpr, CommonTable, CompoundOp, CompoundPart, CreateFunctionStmt, CreateFunctionsStmt, CreateIndexStmt, CreateTableStmt, DeleteStmt, FromItem, InsertStmt, NamedWindow, OnConflict,
  InsertValueExpr, JoinClause, JoinKind, OrderTerm, Pos, SelectItem, SelectQuery, SelectStmt, SqlExpr, Statement, UpdateStmt, ValueExpr, WasmSource,
} from './ast.js'
import { CLOCK_KEYWORD_SPELLINGS, CLOCK_SPELLINGS, negativeLimitHint } from './ast.js'
import type { Token } from './lexer.js'
import { ExprParser, containsAggregate, posOf } from './parser.js'
import { splitScript, type RawStatement } from './split.js'

/** Column types as written → the catalog's types. The aliases are the common spellings of the same types. */
export const TYPE_NAMES: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ['INTEGER', 'INTEGER'], ['INT', 'INTEGER'], ['BIGINT', 'INTEGER'],
  ['REAL', 'REAL'], ['DOUBLE', 'REAL'], ['FLOAT', 'REAL'],
  ['TEXT', 'TEXT'], ['BLOB', 'BLOB'],
  ['BOOLEAN', 'BOOLEAN'], ['BOOL', 'BOOLEAN'],
])

/** Statements of SQLite and PostgreSQL that users type by habit, and what does their job here. */
const OTHER_STATEMENTS: ReadonlyMap<string, string> = new Map([
  ['REPLACE', "SQLite's REPLACE INTO t … is written INSERT OR REPLACE INTO t … here"],
  ['PRAGMA', "SQLite's PRAGMAs are not offered: DESCRIBE t, SHOW TABLES and SHOW INDEXES tell what table_info, table_list and index_list do"],
  ['COPY', "PostgreSQL's COPY reads and writes the server's files: the console's \\copy does its job on the client's (\\copy t from 'rows.csv' with (format csv, header), \\copy t to 'rows.csv' …)"],
  ['SET', 'session settings are not offered: every statement runs serializably, and its clocks read UTC'],
  ['ROLLBACK', 'a transaction is sent whole, BEGIN … COMMIT in one script, and nothing of it runs before its COMMIT: to drop one, do not send it (the console drops a held BEGIN block at ROLLBACK)'],
])

/**
 * PostgreSQL's and MySQL's column types that have no alias here, and what to write instead: "expected a
 * column type, found 'VARCHAR'" left a user of either to guess which of the five types fits.
 */
const FOREIGN_TYPES: ReadonlyMap<string, string> = new Map([
  ...['VARCHAR', 'CHAR', 'CHARACTER', 'NVARCHAR', 'STRING', 'UUID', 'CITEXT'].map((t): [string, string] => [t, 'write TEXT (text of any length)']),
  ...['SMALLINT', 'TINYINT', 'MEDIUMINT', 'INT2', 'INT4', 'INT8'].map((t): [string, string] => [t, 'write INTEGER (64-bit)']),
  ...['SERIAL', 'BIGSERIAL', 'SMALLSERIAL'].map((t): [string, string] => [t, 'write INTEGER; every INSERT gives the key, which places the row, so there is no sequence']),
  ...['NUMERIC', 'DECIMAL', 'MONEY'].map((t): [string, string] => [t, 'write INTEGER for an exact amount in the smallest unit (cents), or REAL']),
  ...['FLOAT4', 'FLOAT8'].map((t): [string, string] => [t, 'write REAL (64-bit)']),
  ...['TIMESTAMP', 'TIMESTAMPTZ', 'DATETIME', 'DATE', 'TIME', 'INTERVAL'].map((t): [string, string] => [t, "store TEXT, as SQLite does ('2026-01-02 03:04:05', UTC; TEXT DEFAULT CURRENT_TIMESTAMP gives a new row its batch's time), or INTEGER (UNIXEPOCH(): seconds since the epoch)"]),
  ...['BYTEA', 'BINARY', 'VARBINARY'].map((t): [string, string] => [t, 'write BLOB']),
  ...['JSON', 'JSONB'].map((t): [string, string] => [t, "write TEXT; the JSON functions and -> / ->> read it"]),
])

const STATEMENT_WORDS = 'CREATE, DROP, ALTER, SHOW, DESCRIBE, CALL, EXPLAIN, INSERT, UPDATE, DELETE, TRUNCATE, SELECT, VALUES, WITH, BEGIN or COMMIT'
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
/**
 * Words of SQL that are never a column's alias without AS, and why: written after an expression they meant
 * something else (`a OVER`, `COUNT(*) FILTER` and `b REGEXP` named columns OVER, FILTER and REGEXP).
 */
const NOT_BARE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['OVER', 'a window follows a function call, as in ROW_NUMBER() OVER (ORDER BY k)'],
  ['FILTER', 'an aggregate\'s FILTER takes a condition, as in COUNT(*) FILTER (WHERE v > 0)'],
  ['REGEXP', "SQLite's REGEXP is not offered: use LIKE ('%' any run, '_' one character) or GLOB"],
  ['MATCH', "SQLite's MATCH (full-text search) is not offered: use LIKE or GLOB"],
])
/** Words that start a compound's next part, so never read as an alias. */
const COMPOUND_WORDS: ReadonlySet<string> = new Set(['INTERSECT', 'EXCEPT'])
/** Words that start a join (or refuse one), a WINDOW clause or a compound's part after a FROM item, so never read as its alias. */
const JOIN_WORDS: ReadonlySet<string> = new Set(['JOIN', 'INNER', 'CROSS', 'LEFT', 'RIGHT', 'FULL', 'NATURAL', 'USING', 'WINDOW', ...COMPOUND_WORDS])

type Head = Pick<Statement, 'pos' | 'namePos' | 'index' | 'text' | 'paramCount' | 'paramPositions'>


/** Why an INSERT's VALUES holds no expression, and where one goes. */
const VALUES_EXPRESSION_REFUSED = "VALUES holds literals, ? and the clocks (CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, NOW()); a computed value goes in INSERT … SELECT, which takes expressions: INSERT INTO t (id, at) SELECT 'e1', DATETIME('now', '+1 day')"

/** Why `DEFAULT (datetime('now'))` and other expressions are refused, and the clocks that stand for SQLite's. */
const DEFAULT_EXPRESSION_REFUSED = "a DEFAULT is a literal or a clock, not an expression: for a row's time write DEFAULT CURRENT_TIMESTAMP (SQLite's datetime('now')), CURRENT_DATE (date('now')), CURRENT_TIME (time('now')) or NOW() (datetime('now', 'subsec')), which read the batch's time"

const UNIQUE_REASON = 'a row lives in the partition its key chooses, so a unique value of another column would have to be looked for in every partition at every write. Keep such values in a table keyed by them'
/**
 * Column and table constraints of SQLite and PostgreSQL that Acheron does not have, and why: a user of either
 * writes them by habit, and "expected NOT NULL, DEFAULT, PRIMARY KEY" did not say that they are left out
 * on purpose, nor what to do instead.
 */
const UNSUPPORTED_CONSTRAINTS: ReadonlyMap<string, string> = new Map([
  ['UNIQUE', `UNIQUE is not supported: ${UNIQUE_REASON}`],
  ['CHECK', 'CHECK constraints are not supported: check values in the function that writes them (abort(...) rolls the transaction back), or in the client'],
  ['REFERENCES', 'REFERENCES (foreign keys) is not supported: rows of two tables live in different partitions; a function can read the referenced row (call a function at its key) and abort when it is missing'],
  ['FOREIGN', 'FOREIGN KEY is not supported: rows of two tables live in different partitions; a function can read the referenced row (call a function at its key) and abort when it is missing'],
  ['AUTOINCREMENT', 'AUTOINCREMENT is not supported: every INSERT gives the key, which places the row; make keys in the client, or keep a counter row and take the next value in a function'],
  ['CONSTRAINT', 'named constraints (CONSTRAINT name …) are not supported: a table has a PRIMARY KEY, NOT NULL and DEFAULT only'],
])

class StatementParser extends ExprParser {
  parse(): Statement {
    const first = this.peek()
    const stmt = this.statement(first)
    this.expectEnd()
    return stmt
  }

  /** The first table or function name of the statement. */
  private namePos: Pos | null = null

  private head(first: Token): Head {
    return { pos: posOf(first), ...(this.namePos !== null ? { namePos: this.namePos } : {}), index: this.raw.index, text: this.raw.text, paramCount: this.params, paramPositions: [...this.paramPositions] }
  }

  protected override identifier(what: string, after?: string): string {
    if (what === 'table name' && this.namePos === null) this.namePos = posOf(this.peek())
    return super.identifier(what, after)
  }

  /** A table's name where a statement names a table, after PostgreSQL's `public.` or SQLite's `main.` if written. */
  private tableName(after?: string): string {
    this.schemaQualifier(false)
    return this.identifier('table name', after)
  }

  private statement(first: Token): Statement {
    if (first.kind === 'punct' && first.value === '.') {
      this.error(first, "sqlite3's dot-commands (.tables, .schema t) are not SQL: SHOW TABLES and DESCRIBE t do their jobs, and in the console \\dt and \\d t (\\help lists them)")
    }
    if (first.kind !== 'word') this.fail(`a statement (${STATEMENT_WORDS})`)
    this.next()
    switch (first.value) {
      case 'CREATE': return this.create(first)
      case 'DROP': return this.drop(first)
      case 'ALTER': return this.alter(first)
      case 'SHOW':
        if (this.acceptWord('TABLES')) return { kind: 'show-tables', ...this.head(first) }
        if (this.acceptWord('FUNCTIONS')) return { kind: 'show-functions', ...this.head(first) }
        if (this.acceptWord('STATS')) return { kind: 'show-stats', ...this.head(first) }
        if (this.acceptWord('CLUSTER')) return { kind: 'show-cluster', ...this.head(first) }
        if (this.acceptWord('COLUMNS')) {
          // MySQL's spelling of DESCRIBE t: SHOW COLUMNS FROM | IN t.
          if (!this.acceptWord('FROM') && !this.acceptWord('IN')) this.fail('FROM or IN', 'SHOW COLUMNS')
          return { kind: 'describe', table: this.tableName('SHOW COLUMNS FROM'), ...this.head(first) }
        }
        if (this.acceptWord('INDEXES') || this.acceptWord('INDEX')) {
          // MySQL's spelling: SHOW INDEXES [FROM | IN table].
          const from = this.acceptWord('FROM') || this.acceptWord('IN')
          const table = from ? this.tableName('SHOW INDEXES FROM') : null
          return { kind: 'show-indexes', table, ...this.head(first) }
        }
        return this.fail('TABLES, FUNCTIONS, INDEXES, COLUMNS, STATS or CLUSTER', 'SHOW')
      // DESC is MySQL's and Oracle's short form; only here, at a statement's start, is it not ORDER BY's direction.
      case 'DESCRIBE': case 'DESC': {
        const table = this.tableName(first.value)
        return { kind: 'describe', table, ...this.head(first) }
      }
      case 'CALL': return this.call(first)
      case 'EXPLAIN': {
        if (this.acceptWord('COMMIT')) {
          this.expectPunct('(', 'EXPLAIN COMMIT')
          const batch = this.value('the batch (a literal or ?)', "'('")
          this.expectPunct(',', 'the batch')
          const seq = this.value('the seq (a literal or ?)', "','")
          this.expectPunct(')', 'the seq')
          return { kind: 'explain-commit', batch, seq, ...this.head(first) }
        }
        // PostgreSQL's and SQLite's EXPLAIN [QUERY PLAN] shows a query's plan: say what this one does instead.
        const what = this.peek()
        if (what.kind === 'word' && ['SELECT', 'WITH', 'QUERY', 'ANALYZE', 'INSERT', 'UPDATE', 'DELETE'].includes(what.value)) {
          this.error(what, `EXPLAIN ${what.value === 'QUERY' ? 'QUERY PLAN' : what.value} is not supported: EXPLAIN CALL t.f(…) traces what a call would do, and EXPLAIN COMMIT (batch, seq) re-runs a committed transaction with its trace`)
        }
        if (!this.isWord('CALL')) this.fail('CALL or COMMIT', 'EXPLAIN')
        this.next()
        const { fn, key, args, withLogs } = this.call(first)
        // Its trace holds every log() line already.
        if (withLogs) this.fail('the end of EXPLAIN CALL (its trace holds the log lines; WITH LOGS is for CALL)')
        return { kind: 'explain-call', fn, key, args, ...this.head(first) }
      }
      case 'INSERT': return this.insert(first)
      case 'UPDATE': return this.update(first)
      case 'DELETE': return this.delete(first)
      case 'TRUNCATE': {
        // PostgreSQL's spelling of a DELETE of every row (a transaction like any DELETE; rowsAffected counts them).
        this.acceptWord('TABLE')
        const table = this.tableName('TRUNCATE')
        return { kind: 'delete', table, where: null, hasSubqueries: false, ...this.head(first) }
      }
      case 'SELECT': return this.select(first, [])
      case 'VALUES': return this.valuesStatement(first)
      case 'WITH': return this.withStatement(first)
      case 'BEGIN':
        // SQLite's BEGIN DEFERRED | IMMEDIATE | EXCLUSIVE [TRANSACTION] and PostgreSQL's BEGIN [WORK]: a
        // transaction here runs whole at its place in the serial order, which is what each of them asks.
        if (this.acceptWord('DEFERRED') || this.acceptWord('IMMEDIATE') || this.acceptWord('EXCLUSIVE')) this.acceptWord('TRANSACTION')
        else if (!this.acceptWord('TRANSACTION')) this.acceptWord('WORK')
        this.transactionModes()
        return { kind: 'begin', ...this.head(first) }
      case 'START':
        // The standard's (and PostgreSQL's) spelling of BEGIN.
        this.expectWord('TRANSACTION', 'START')
        this.transactionModes()
        return { kind: 'begin', ...this.head(first) }
      case 'COMMIT':
      case 'END':
        // END [TRANSACTION]: SQLite's and PostgreSQL's other spelling of COMMIT; [WORK]: PostgreSQL's.
        if (!this.acceptWord('TRANSACTION')) this.acceptWord('WORK')
        return { kind: 'commit', ...this.head(first) }
    }
    const instead = OTHER_STATEMENTS.get(first.value)
    return this.error(first, `unknown statement '${this.source(first)}': ${instead ?? `expected ${STATEMENT_WORDS}`}`)
  }

  /**
   * PostgreSQL's transaction modes after BEGIN or START TRANSACTION, separated by commas or blanks, as
   * psql users write them (`BEGIN ISOLATION LEVEL SERIALIZABLE`). Every transaction here is serializable
   * (docs/guarantees.md), which each isolation level allows (the standard lets a level run as a stronger
   * one, as PostgreSQL runs READ UNCOMMITTED as READ COMMITTED), and may write. Without them the
   * statement failed at ISOLATION with "expected ';'", as if the level were a typo.
   */
  private transactionModes(): void {
    let more = this.startsTransactionMode()
    while (more) {
      this.transactionMode()
      more = this.acceptPunct(',') || this.startsTransactionMode()
    }
  }

  private startsTransactionMode(): boolean {
    return this.isWord('ISOLATION') || this.isWord('READ') || this.isWord('DEFERRABLE') || (this.isWord('NOT') && this.isWord('DEFERRABLE', 1))
  }

  private transactionMode(): void {
    const t = this.peek()
    if (this.acceptWord('ISOLATION')) {
      this.expectWord('LEVEL', 'ISOLATION')
      if (this.acceptWord('SERIALIZABLE')) return
      if (this.acceptWord('REPEATABLE')) {
        this.expectWord('READ', 'REPEATABLE')
        return
      }
      if (this.acceptWord('READ')) {
        if (this.acceptWord('COMMITTED') || this.acceptWord('UNCOMMITTED')) return
        this.fail('COMMITTED or UNCOMMITTED', 'READ')
      }
      this.fail('SERIALIZABLE, REPEATABLE READ, READ COMMITTED or READ UNCOMMITTED', 'ISOLATION LEVEL')
    }
    if (this.acceptWord('READ')) {
      if (this.acceptWord('WRITE')) return
      if (this.isWord('ONLY')) {
        this.error(t, 'READ ONLY is not offered: a BEGIN … COMMIT that holds only reads (SELECT, SHOW, DESCRIBE) is already a read at one position, and one that writes commits all of its writes')
      }
      this.fail('WRITE', 'READ')
    }
    // DEFERRABLE waits for a snapshot that no serializable transaction can invalidate; every one here has one.
    this.acceptWord('NOT')
    if (this.acceptWord('DEFERRABLE')) return
    this.fail('a transaction mode (ISOLATION LEVEL …, READ WRITE, [NOT] DEFERRABLE)')
  }

  // ---- DDL ----------------------------------------------------------------------------------------

  private create(first: Token): Statement {
    if (this.acceptWord('TABLE')) return this.createTable(first)
    if (this.isWord('UNIQUE')) {
      this.error(this.peek(), 'UNIQUE indexes are not supported: a row lives in the partition its key chooses, so a unique value of another column would have to be looked for in every partition at every write. Keep such values in a table keyed by them')
    }
    if (this.acceptWord('INDEX')) return this.createIndex(first)
    const orReplace = this.acceptWord('OR')
    if (orReplace) this.expectWord('REPLACE', 'CREATE OR')
    if (this.acceptWord('FUNCTION')) return this.createFunction(first, orReplace)
    if (this.acceptWord('FUNCTIONS')) return this.createFunctions(first, orReplace)
    return this.fail(orReplace ? 'FUNCTION or FUNCTIONS' : 'TABLE, INDEX, FUNCTION or FUNCTIONS', orReplace ? 'CREATE OR REPLACE' : 'CREATE')
  }

  /** A table's or index's name the storage reserves (checkIdentifier's rule), refused at the name. */
  private refuseReservedName(kind: 'table' | 'index', at: Token, name: string): void {
    const reserved = reservedTablePrefix(name)
    if (reserved !== null) this.error(at, `invalid ${kind} name '${name}': names starting with '${reserved}' are reserved for the storage`)
  }

  /** CREATE INDEX [IF NOT EXISTS] name ON table (column [ASC | DESC], …): columns only, no expression or WHERE. */
  private createIndex(first: Token): CreateIndexStmt {
    const ifNotExists = this.ifExists(true)
    const nameTok = this.peek()
    this.namePos = posOf(nameTok)
    const name = this.identifier('index name', ifNotExists ? 'CREATE INDEX IF NOT EXISTS' : 'CREATE INDEX')
    // SQLite refuses `sqlite_…` names: the index's SQLite indexes would fail every checkpoint after it.
    this.refuseReservedName('index', nameTok, name)
    this.expectWord('ON', `CREATE INDEX ${name}`)
    this.schemaQualifier(false)
    const tablePos = posOf(this.peek())
    const table = this.tableName('ON')
    this.expectPunct('(', `ON ${table}`)
    const columns: IndexColumn[] = []
    const columnPositions: Pos[] = []
    do {
      const at = this.peek()
      if (at.kind !== 'word' && at.kind !== 'ident') this.fail('a column name (an index names columns of its table; expressions are not supported)', columns.length === 0 ? "'('" : "','")
      const column = this.identifier('column name')
      if (this.isPunct('(')) this.error(at, `an index names columns of its table; ${column}(…) is an expression, which an index cannot hold`)
      const desc = this.acceptWord('DESC')
      if (!desc) this.acceptWord('ASC')
      columns.push({ name: column, desc })
      columnPositions.push(posOf(at))
    } while (this.acceptPunct(','))
    this.expectPunct(')', 'the index columns')
    if (this.isWord('WHERE')) this.error(this.peek(), 'partial indexes (CREATE INDEX … WHERE) are not supported: index every row')
    return { kind: 'create-index', name, table, columns, ifNotExists, tablePos, columnPositions, ...this.head(first) }
  }

  private ifExists(not: boolean): boolean {
    if (!this.acceptWord('IF')) return false
    if (not) this.expectWord('NOT', 'IF')
    this.expectWord('EXISTS', not ? 'IF NOT' : 'IF')
    return true
  }

  private createTable(first: Token): CreateTableStmt {
    const ifNotExists = this.ifExists(true)
    const nameTok = this.peek()
    const name = this.tableName('CREATE TABLE')
    this.refuseReservedName('table', nameTok, name)
    this.expectPunct('(', 'the table name')
    const columns: ColumnAst[] = []
    const keys: { name: string; at: Pos }[] = []
    do {
      const t = this.peek()
      // A table constraint (UNIQUE (a), CHECK (…), FOREIGN KEY …, CONSTRAINT name …) would read as a column.
      const next = this.peek(1)
      const namedConstraint = t.value === 'CONSTRAINT' && !(next.kind === 'word' && TYPE_NAMES.has(next.value))   // not a column "constraint INTEGER"
      const tableConstraint = t.kind === 'word' && UNSUPPORTED_CONSTRAINTS.has(t.value) && (this.isPunct('(', 1) || this.isWord('KEY', 1) || namedConstraint)
      if (tableConstraint) this.error(t, UNSUPPORTED_CONSTRAINTS.get(t.value) as string)
      if (this.isWord('PRIMARY') && this.isWord('KEY', 1)) {
        const at = this.next()
        this.next()
        this.expectPunct('(', 'PRIMARY KEY')
        keys.push({ name: this.identifier('column name', 'PRIMARY KEY ('), at })
        if (this.isPunct(',')) this.error(this.peek(), 'a primary key has exactly one column')
        this.expectPunct(')', 'the primary-key column')
        continue
      }
      if (columns.length === COLUMNS_MAX) this.error(this.peek(), `too many columns (at most ${COLUMNS_MAX})`)
      const col = this.columnDef()
      if (col.primaryKey) keys.push({ name: col.name, at: col.pos })
      columns.push(col)
    } while (this.acceptPunct(','))
    this.expectPunct(')', 'the column definitions')
    const [key, second] = keys
    if (key === undefined) this.error(nameTok, `table ${name} has no primary key: declare one column PRIMARY KEY`)
    if (second !== undefined) this.error(second.at, `table ${name} has more than one primary key`)
    const keyColumn = columns.find((c) => c.name.toLowerCase() === key.name.toLowerCase())
    if (keyColumn === undefined) this.error(key.at, `PRIMARY KEY (${key.name}) names no column of ${name}`)
    // An INSERT must give the key (it places the row), so a default there would never be used.
    if (keyColumn.default !== null) this.error(keyColumn.pos, `the primary-key column ${keyColumn.name} takes no DEFAULT: every INSERT gives the key, which places the row`)
    const partitions = this.tableOptions()
    const columnsWithKey = columns.map((c) => (c.name.toLowerCase() === key.name.toLowerCase() ? { ...c, primaryKey: true } : c))
    return { kind: 'create-table', name, ifNotExists, columns: columnsWithKey, primaryKey: key.name, partitions, ...this.head(first) }
  }

  /** A column definition; `alone`: the one ALTER TABLE … ADD COLUMN adds, which ends the statement. */
  private columnDef(alone = false): ColumnAst {
    const at = this.peek()
    const name = this.identifier('column name')
    const typeTok = this.peek()
    const type = typeTok.kind === 'word' ? TYPE_NAMES.get(typeTok.value) : undefined
    const foreign = typeTok.kind === 'word' ? FOREIGN_TYPES.get(typeTok.value) : undefined
    if (type === undefined && foreign !== undefined) {
      this.error(typeTok, `${typeTok.value} is not a column type here: ${foreign} (the types are INTEGER, REAL, TEXT, BLOB and BOOLEAN)`)
    }
    if (type === undefined) this.fail('a column type (INTEGER, REAL, TEXT, BLOB or BOOLEAN)', `column ${name}`)
    this.next()
    if (typeTok.value === 'DOUBLE') this.acceptWord('PRECISION')   // PostgreSQL's and standard SQL's spelling
    let notNull: boolean | null = null
    let dflt: ValueExpr | null = null
    let defaultClock: { kind: ClockKind; pos: Pos } | null = null
    let primaryKey = false
    for (;;) {
      const t = this.peek()
      if (this.acceptWord('NOT')) {
        this.expectWord('NULL', 'NOT')
        if (notNull !== null) this.error(t, `NULL or NOT NULL given twice for column ${name}`)
        notNull = true
      } else if (this.acceptWord('NULL')) {
        if (notNull !== null) this.error(t, `NULL or NOT NULL given twice for column ${name}`)
        notNull = false
      } else if (this.acceptWord('DEFAULT')) {
        if (dflt !== null || defaultClock !== null) this.error(t, `DEFAULT given twice for column ${name}`)
        // SQLite's DEFAULT (expr): parentheses around a literal or a clock are the same default; an
        // expression in them (SQLite's habit DEFAULT (datetime('now'))) is not, and is told the clock to write.
        const parenthesized = this.isPunct('(')
        if (parenthesized) {
          this.next()
          const inner = this.peek()
          if (inner.kind === 'word' && this.isPunct('(', 1) && inner.value !== 'NOW') this.error(inner, DEFAULT_EXPRESSION_REFUSED)
        }
        const clockAt = this.peek()
        defaultClock = this.clock()
        if (defaultClock !== null && type !== 'TEXT') this.error(clockAt, `DEFAULT ${clockSql(defaultClock.kind)} is a text (the batch's time, as 'YYYY-MM-DD HH:MM:SS'): it takes a TEXT column, and ${name} is ${type}`)
        if (defaultClock === null) dflt = this.value('a literal, CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME or NOW()', parenthesized ? 'DEFAULT (' : 'DEFAULT', false)
        if (parenthesized) this.expectPunct(')', 'the DEFAULT in parentheses')
      } else if (this.isWord('PRIMARY')) {
        this.next()
        this.expectWord('KEY', 'PRIMARY')
        if (primaryKey) this.error(t, `PRIMARY KEY given twice for column ${name}`)
        primaryKey = true
      } else if (alone ? this.peek().kind === 'end' : this.isPunct(',') || this.isPunct(')')) {
        break
      } else if (t.kind === 'word' && UNSUPPORTED_CONSTRAINTS.has(t.value)) {
        this.error(t, UNSUPPORTED_CONSTRAINTS.get(t.value) as string)
      } else {
        this.fail(alone ? 'NOT NULL, DEFAULT or the end of the statement' : "NOT NULL, DEFAULT, PRIMARY KEY, ',' or ')'", `column ${name} ${type}`)
      }
    }
    const value = dflt === null ? null : (dflt as Extract<ValueExpr, { kind: 'literal' }>).value
    const dfltPos = dflt?.pos ?? defaultClock?.pos
    return {
      name, type, notNull: notNull === true, default: value, primaryKey, pos: posOf(at),
      ...(dfltPos === undefined ? {} : { defaultPos: dfltPos }), ...(defaultClock === null ? {} : { defaultClock: defaultClock.kind }),
    }
  }

  /** One value of an INSERT's VALUES: a literal, a `?`, or a clock. */
  private insertValue(): InsertValueExpr {
    const t = this.peek()
    // SQLite's habit VALUES (…, datetime('now', '+1 day')) found "expected a value …", which named no way to write it.
    if (t.kind === 'word' && t.value !== 'NOW' && this.isPunct('(', 1)) this.error(t, VALUES_EXPRESSION_REFUSED)
    const clock = this.clock()
    if (clock !== null) return { kind: 'clock', clock: clock.kind, pos: clock.pos }
    // The standard's (and PostgreSQL's) DEFAULT: no column can stand here, so the word is never a name.
    if (t.kind === 'word' && t.value === 'DEFAULT') return { kind: 'default', pos: posOf(this.next()) }
    return this.value('a value (a literal, ? or a clock: CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME or NOW()), or DEFAULT')
  }

  /** A clock (CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, NOW()), read as rows are made; else null. */
  /** Is the next token NOW followed by '(': the one clock written as a call? */
  private isNowCall(): boolean {
    const t = this.peek()
    return t.kind === 'word' && t.value === 'NOW' && this.isPunct('(', 1)
  }

  private clock(): { kind: ClockKind; pos: Pos } | null {
    const t = this.peek()
    if (t.kind !== 'word') return null
    // Another system's clock keyword, where no column can stand (a DEFAULT, a VALUES row): what to write.
    const system = this.isPunct('(', 1) ? undefined : CLOCK_KEYWORD_SPELLINGS.get(t.value)
    if (system !== undefined) this.error(t, `${system}'s clock ${t.value} is not offered here: ${CLOCK_SPELLINGS.get(t.value) ?? 'write NOW() or CURRENT_TIMESTAMP'}`)
    const keyword = CLOCK_KEYWORDS.get(t.value)
    if (keyword !== undefined) {
      this.next()
      return { kind: keyword, pos: posOf(t) }
    }
    if (!this.isNowCall()) return null
    this.next()
    this.next()
    this.expectPunct(')', 'NOW(')
    return { kind: 'now', pos: posOf(t) }
  }

  private drop(first: Token): Statement {
    if (this.acceptWord('TABLE')) {
      const ifExists = this.ifExists(false)
      const name = this.tableName(ifExists ? 'DROP TABLE IF EXISTS' : 'DROP TABLE')
      // PostgreSQL drops a list; without a word, "expected ';'" at the comma.
      if (this.isPunct(',')) this.error(this.peek(), `DROP TABLE drops one table: one statement each (DROP TABLE ${name}; DROP TABLE …;)`)
      if (this.isWord('CASCADE') || this.isWord('RESTRICT')) this.error(this.peek(), `${this.peek().value} is not offered: DROP TABLE drops the table with its indexes and functions, and no other table refers to it`)
      return { kind: 'drop-table', name, ifExists, ...this.head(first) }
    }
    if (this.acceptWord('FUNCTION')) {
      const ifExists = this.ifExists(false)
      const fn = this.functionName(ifExists ? 'DROP FUNCTION IF EXISTS' : 'DROP FUNCTION')
      return { kind: 'drop-function', ...fn, ifExists, ...this.head(first) }
    }
    if (this.acceptWord('INDEX')) {
      const ifExists = this.ifExists(false)
      this.namePos = posOf(this.peek())
      const name = this.identifier('index name', ifExists ? 'DROP INDEX IF EXISTS' : 'DROP INDEX')
      return { kind: 'drop-index', name, ifExists, ...this.head(first) }
    }
    return this.fail('TABLE, INDEX or FUNCTION', 'DROP')
  }

  /**
   * What may follow CREATE TABLE's columns: `PARTITIONS n` and SQLite's table options `STRICT` and `WITHOUT
   * ROWID`, as sqlite3's `.schema` writes them, separated by commas or blanks, each at most once. Every table
   * here is already what those two ask for (a column holds values of its type only; rows are stored by
   * their key, and there is no rowid), so they change nothing; without them a schema copied from sqlite3
   * failed at STRICT with "expected ';'". Returns the number of partitions, null when not given.
   */
  private tableOptions(): number | null {
    let partitions: number | null = null
    const seen = new Set<string>()
    for (;;) {
      const t = this.peek()
      const option = this.isWord('PARTITIONS') ? 'PARTITIONS' : this.isWord('STRICT') ? 'STRICT' : this.isWord('WITHOUT') ? 'WITHOUT ROWID' : null
      if (option === null) {
        if (seen.size > 0 && this.isPunct(',')) this.fail('PARTITIONS, STRICT or WITHOUT ROWID', "','", this.peek(1))
        return partitions
      }
      if (seen.has(option)) this.error(t, `${option} is given twice`)
      seen.add(option)
      this.next()
      if (option === 'PARTITIONS') partitions = this.partitionCount()
      if (option === 'WITHOUT ROWID') this.expectWord('ROWID', 'WITHOUT')
      if (this.isPunct(',') && this.peek(1).kind === 'word' && ['PARTITIONS', 'STRICT', 'WITHOUT'].includes(this.peek(1).value)) this.next()
    }
  }

  /** The number after PARTITIONS. */
  private partitionCount(): number {
    const t = this.peek()
    if (t.kind !== 'integer') this.fail('a number of partitions', 'PARTITIONS')
    const n = Number(t.value)
    if (n < 1 || n > PARTITIONS_MAX) this.error(t, `PARTITIONS must be from 1 to ${PARTITIONS_MAX}, got ${t.value}`)
    this.next()
    return n
  }

  /** ALTER TABLE t PARTITIONS n (its rows move), ADD [COLUMN] [IF NOT EXISTS] column, RENAME [COLUMN] a TO b, or DROP [COLUMN] [IF EXISTS] a. */
  private alter(first: Token): Statement {
    this.expectWord('TABLE', 'ALTER')
    const name = this.tableName('ALTER TABLE')
    if (this.acceptWord('ADD')) {
      this.acceptWord('COLUMN')
      const ifNotExists = this.ifExists(true)
      const column = this.columnDef(true)
      if (column.primaryKey) this.error(column.pos, `a table has one primary key, given when it is created: ${column.name} cannot be added as one`)
      return { kind: 'alter-table-add-column', name, column, ifNotExists, ...this.head(first) }
    }
    if (this.acceptWord('RENAME')) {
      const t = this.peek()
      if (t.kind === 'word' && t.value === 'TO') {
        this.error(t, `ALTER TABLE … RENAME TO is not supported: a table's name is part of its functions' names (${name}.f), which calls inside modules spell out; create a new table and copy the rows (INSERT INTO … SELECT)`)
      }
      this.acceptWord('COLUMN')
      const columnPos = posOf(this.peek())
      const column = this.identifier('column name', 'RENAME COLUMN')
      this.expectWord('TO', `RENAME COLUMN ${column}`)
      const toPos = posOf(this.peek())
      const to = this.identifier('column name', 'TO')
      return { kind: 'alter-table-rename-column', name, column, to, columnPos, toPos, ...this.head(first) }
    }
    if (this.acceptWord('DROP')) {
      const t = this.peek()
      if (t.kind === 'word' && ['CONSTRAINT', 'DEFAULT', 'NOT'].includes(t.value)) {
        this.error(t, `ALTER TABLE … DROP ${t.value} is not supported: a column's constraints and default are given when it is made; DROP [COLUMN] col drops a column`)
      }
      this.acceptWord('COLUMN')
      const ifExists = this.ifExists(false)
      const columnPos = posOf(this.peek())
      const column = this.identifier('column name', 'DROP COLUMN')
      const after = this.peek()
      if (after.kind === 'word' && (after.value === 'CASCADE' || after.value === 'RESTRICT')) {
        this.error(after, `DROP COLUMN … ${after.value} is not supported: a column an index names cannot be dropped (DROP INDEX first), and nothing else depends on a column`)
      }
      return { kind: 'alter-table-drop-column', name, column, ifExists, columnPos, ...this.head(first) }
    }
    if (!this.acceptWord('PARTITIONS')) {
      const t = this.peek()
      if (t.kind === 'word' && ['ALTER', 'SET'].includes(t.value)) {
        this.error(t, `ALTER TABLE … ${t.value} is not supported: a table's columns can be added (ADD COLUMN), renamed (RENAME COLUMN a TO b) and dropped (DROP COLUMN), and its partitions changed (PARTITIONS n)`)
      }
      this.fail('PARTITIONS, ADD, RENAME or DROP', `ALTER TABLE ${name}`)
    }
    return { kind: 'alter-table-partitions', name, partitions: this.partitionCount(), ...this.head(first) }
  }

  /** `table.function` */
  private functionName(after: string): { name: string; table: string; function: string } {
    this.schemaQualifier(true)
    this.namePos ??= posOf(this.peek())
    const table = this.identifier('function name (table.function)', after)
    if (!this.isPunct('.')) this.fail(`'.' and a function name (functions are named table.function)`, `'${table}'`)
    this.next()
    const fn = this.identifier('function name', `'${table}.'`)
    return { name: `${table}.${fn}`, table, function: fn }
  }

  private createFunction(first: Token, orReplace: boolean): CreateFunctionStmt {
    const fn = this.functionName(orReplace ? 'CREATE OR REPLACE FUNCTION' : 'CREATE FUNCTION')
    this.expectWord('FROM', 'the function name')
    this.expectWord('WASM', 'FROM')
    const source = this.wasmSource()
    let exportName: string | null = null
    if (this.acceptWord('EXPORT')) {
      const t = this.peek()
      if (t.kind !== 'string') this.fail("the export's name as a 'string'", 'EXPORT')
      if (t.value.length === 0) this.error(t, 'the export name must not be empty')
      exportName = t.value
      this.next()
    }
    const { fuel, memoryBytes } = this.functionLimits()
    return { kind: 'create-function', ...fn, orReplace, source, exportName, fuel, memoryBytes, ...this.head(first) }
  }

  /** `CREATE FUNCTIONS t.* FROM WASM …` or `CREATE FUNCTIONS t.(f, g) FROM WASM …`. */
  private createFunctions(first: Token, orReplace: boolean): CreateFunctionsStmt {
    const after = orReplace ? 'CREATE OR REPLACE FUNCTIONS' : 'CREATE FUNCTIONS'
    // `public.t.*`: a schema only before a table and its '.', as `t.*` alone is a table's.
    this.schemaQualifier(true)
    const table = this.identifier('table name', after)
    this.expectPunct('.', `'${table}' (CREATE FUNCTIONS ${table}.* or ${table}.(f, g))`)
    let functions: string[] | null = null
    if (!this.acceptPunct('*')) {
      this.expectPunct('(', `'${table}.': '*' for every export, or`)
      functions = []
      do {
        const at = this.peek()
        const fn = this.identifier('function name', functions.length === 0 ? `'${table}.('` : "','")
        if (functions.some((f) => f.toLowerCase() === fn.toLowerCase())) this.error(at, `function ${table}.${fn} is named twice`)
        functions.push(fn)
      } while (this.acceptPunct(','))
      this.expectPunct(')', 'the function names')
    }
    this.expectWord('FROM', functions === null ? `'${table}.*'` : 'the function names')
    this.expectWord('WASM', 'FROM')
    const source = this.wasmSource()
    const { fuel, memoryBytes } = this.functionLimits()
    return { kind: 'create-functions', table, functions, orReplace, source, fuel, memoryBytes, ...this.head(first) }
  }

  /** `WITH (FUEL = n, MEMORY = n)` after a function's source, if present. */
  private functionLimits(): { fuel: number | null; memoryBytes: number | null } {
    let fuel: number | null = null
    let memoryBytes: number | null = null
    if (this.acceptWord('WITH')) {
      this.expectPunct('(', 'WITH')
      do {
        const opt = this.peek()
        if (!this.isWord('FUEL') && !this.isWord('MEMORY')) this.fail('FUEL or MEMORY')
        this.next()
        this.expectPunct('=', opt.value)
        const v = this.peek()
        if (v.kind !== 'integer') this.fail('a positive integer', `${opt.value} =`)
        const n = Number(v.value)
        if (!Number.isSafeInteger(n)) this.error(v, `${opt.value} = ${v.value} is too large`)
        this.next()
        if (opt.value === 'FUEL') {
          if (fuel !== null) this.error(opt, 'FUEL given twice')
          fuel = n
        } else {
          if (memoryBytes !== null) this.error(opt, 'MEMORY given twice')
          memoryBytes = n
        }
      } while (this.acceptPunct(','))
      this.expectPunct(')', 'the WITH options')
    }
    return { fuel, memoryBytes }
  }

  private wasmSource(): WasmSource {
    const t = this.peek()
    if (t.kind === 'blob') {
      this.next()
      return { kind: 'hex', bytes: new Uint8Array(Buffer.from(t.value, 'hex')), pos: posOf(t) }
    }
    if (t.kind === 'word' && (t.value === 'BASE64' || t.value === 'FILE')) {
      this.next()
      const s = this.peek()
      if (s.kind !== 'string') this.fail(`a 'string'`, t.value)
      this.next()
      if (t.value === 'FILE') {
        if (s.value.length === 0) this.error(s, 'FILE needs a path')
        return { kind: 'file', path: s.value, pos: posOf(t) }
      }
      const b64 = s.value.replace(/\s+/g, '')
      if (b64.length % 4 !== 0 || !BASE64.test(b64)) this.error(s, 'invalid base64 in the BASE64 literal')
      return { kind: 'base64', bytes: new Uint8Array(Buffer.from(b64, 'base64')), pos: posOf(t) }
    }
    return this.fail("the module: BASE64 '...', X'...' or FILE '...'", 'FROM WASM')
  }

  // ---- data statements ----------------------------------------------------------------------------

  /** A CALL's key or argument; a clock there is told that the function reads the batch's time itself. */
  private callValue(what: string, after: string): ValueExpr {
    const t = this.peek()
    const now = this.isNowCall()
    if (t.kind === 'word' && (CLOCK_KEYWORDS.has(t.value) || now)) {
      this.error(t, `a CALL's key and arguments are literals or ?, not ${now ? 'NOW()' : t.value}: a function reads its batch's time itself, through txn_time_ms (docs/functions.md), the time the clocks read`)
    }
    return this.value(what, after)
  }

  private call(first: Token): CallStmt {
    const fn = this.functionName('CALL')
    this.expectPunct('(', 'the function name')
    const key = this.callValue('the key (a literal or ?)', `'${fn.name}('`)
    const args: ValueExpr[] = []
    while (this.acceptPunct(',')) args.push(this.callValue('an argument (a literal or ?)', "','"))
    this.expectPunct(')', 'the arguments')
    let withLogs = false
    if (this.acceptWord('WITH')) {
      this.expectWord('LOGS', 'WITH (after a CALL)')
      withLogs = true
    }
    return { kind: 'call', fn: fn.name, key, args, withLogs, ...this.head(first) }
  }

  private insert(first: Token): InsertStmt {
    let orReplace = false
    let orIgnore = false
    if (this.acceptWord('OR')) {
      if (this.acceptWord('REPLACE')) orReplace = true
      else if (this.acceptWord('IGNORE')) orIgnore = true
      else this.fail('REPLACE or IGNORE', 'INSERT OR')
    }
    this.expectWord('INTO', orReplace ? 'INSERT OR REPLACE' : orIgnore ? 'INSERT OR IGNORE' : 'INSERT')
    const table = this.tableName('INTO')
    let columns: string[] | null = null
    const columnPositions: Pos[] = []
    if (this.acceptPunct('(')) {
      columns = []
      do {
        const at = this.peek()
        const name = this.identifier('column name')
        // SQLite refuses it too; caught here, before anything is sequenced, at the second one.
        if (columns.some((c) => c.toLowerCase() === name.toLowerCase())) this.error(at, `column ${name} is named twice`)
        columns.push(name)
        columnPositions.push(posOf(at))
      } while (this.acceptPunct(','))
      this.expectPunct(')', 'the column names')
    }
    const rows: InsertValueExpr[][] = []
    if (this.startsQuery()) {
      const select = this.insertedQuery()
      const onConflict = this.isWord('ON') ? this.onConflict(orReplace ? 'INSERT OR REPLACE' : orIgnore ? 'INSERT OR IGNORE' : null) : undefined
      const returning = this.returning(table)
      return { kind: 'insert', table, orReplace, orIgnore, columns, columnPositions, rows, select, ...(onConflict === undefined ? {} : { onConflict }), ...returning, ...this.head(first) }
    }
    if (!this.isWord('VALUES')) this.fail('VALUES or SELECT', columns === null ? 'the table name' : 'the column names')
    this.next()
    do {
      const open = this.expectPunct('(', rows.length === 0 ? 'VALUES' : "','")
      const row: InsertValueExpr[] = []
      do {
        row.push(this.insertValue())
        const after = this.peek()
        if (after.kind === 'punct' && after.value !== ',' && after.value !== ')' && after.value !== ';') this.error(after, VALUES_EXPRESSION_REFUSED)
      } while (this.acceptPunct(','))
      this.expectPunct(')', 'the row')
      const width = columns?.length ?? rows[0]?.length ?? row.length
      if (row.length !== width) {
        this.error(open, `row ${rows.length + 1} has ${row.length} value${row.length === 1 ? '' : 's'}, expected ${width}`)
      }
      rows.push(row)
    } while (this.acceptPunct(','))
    const onConflict = this.isWord('ON') ? this.onConflict(orReplace ? 'INSERT OR REPLACE' : orIgnore ? 'INSERT OR IGNORE' : null) : undefined
    const returning = this.returning(table)
    return { kind: 'insert', table, orReplace, orIgnore, columns, columnPositions, rows, ...(onConflict === undefined ? {} : { onConflict }), ...returning, ...this.head(first) }
  }

  /** The `[WITH …] SELECT …` of an INSERT, at its first word: a query like any other, with its subqueries. */
  private insertedQuery(): SelectStmt {
    const first = this.next()
    this.selecting = true
    try {
      const outer = this.insertWith
      if (first.value !== 'WITH') return this.select(first, outer?.ctes ?? [], first, outer?.recursive ?? false)
      if (outer !== null) this.error(first, 'a WITH before INSERT and another before its SELECT: name every query in one of them')
      const w = this.withClause()
      const select = this.peek()
      this.expectWord('SELECT', 'the WITH queries')
      return this.select(select, w.ctes, first, w.recursive)
    } finally {
      this.selecting = false
    }
  }

  /** `ON CONFLICT [(col)] DO NOTHING | DO UPDATE SET … [WHERE …]`, at ON; `conflicting`: an OR clause already given. */
  private onConflict(conflicting: string | null): OnConflict {
    const at = this.next()
    if (conflicting !== null) this.error(at, `ON CONFLICT cannot follow ${conflicting}: say what a row whose key exists does in one of them`)
    this.expectWord('CONFLICT', 'ON')
    let target: string | null = null
    if (this.acceptPunct('(')) {
      target = this.identifier('the key column', "ON CONFLICT (")
      this.expectPunct(')', 'the conflict column')
    }
    this.expectWord('DO', target === null ? 'ON CONFLICT' : 'the conflict column')
    if (this.acceptWord('NOTHING')) return { action: 'nothing', target, pos: posOf(at) }
    if (!this.acceptWord('UPDATE')) this.fail('NOTHING or UPDATE', 'DO')
    this.expectWord('SET', 'DO UPDATE')
    const set = this.assignments()
    const where = this.acceptWord('WHERE') ? this.expr('WHERE') : null
    return { action: 'update', target, set, where, pos: posOf(at) }
  }

  /** `col = expr, …` after SET (of an UPDATE, or of an upsert's DO UPDATE). */
  private assignments(): Assignment[] {
    const set: Assignment[] = []
    do {
      const at = this.peek()
      const column = this.identifier('column name', set.length === 0 ? 'SET' : "','")
      // As PostgreSQL: SQLite would keep the last value, which reads as a mistake more often than not.
      if (set.some((a) => a.column.toLowerCase() === column.toLowerCase())) this.error(at, `column ${column} is set twice`)
      this.expectPunct('=', `column ${column}`)
      set.push({ column, expr: this.expr('SET'), pos: posOf(at) })
    } while (this.acceptPunct(','))
    return set
  }

  private update(first: Token): UpdateStmt {
    const table = this.tableName('UPDATE')
    this.expectWord('SET', 'the table name')
    const { value: { set, where }, hasSubqueries } = this.readingTables(() => {
      const set = this.assignments()
      return { set, where: this.acceptWord('WHERE') ? this.expr('WHERE') : null }
    })
    return { kind: 'update', table, set, where, hasSubqueries, ...this.returning(table), ...this.head(first) }
  }

  private delete(first: Token): DeleteStmt {
    this.expectWord('FROM', 'DELETE')
    const table = this.tableName('DELETE FROM')
    const { value: where, hasSubqueries } = this.readingTables(() => (this.acceptWord('WHERE') ? this.expr('WHERE') : null))
    return { kind: 'delete', table, where, hasSubqueries, ...this.returning(table), ...this.head(first) }
  }

  /** Parses an UPDATE's SET and WHERE or a DELETE's WHERE, where subqueries may read other tables. */
  private readingTables<T>(parse: () => T): { value: T; hasSubqueries: boolean } {
    const before = this.subqueries
    this.selecting = true
    try {
      return { value: parse(), hasSubqueries: this.subqueries > before }
    } finally {
      this.selecting = false
    }
  }

  /**
   * `RETURNING item, …` at the end of an INSERT, UPDATE or DELETE, if there: the SELECT of its items from
   * `table` (see InsertStmt). Items are a SELECT's (`*`, expressions with aliases); aggregates, window
   * functions and subqueries the parser refuses where it meets them.
   */
  private returning(table: string): { returning?: SelectStmt } {
    const at = this.peek()
    if (!this.acceptWord('RETURNING')) return {}
    const items: SelectItem[] = []
    do items.push(this.selectItem('RETURNING')); while (this.acceptPunct(','))
    const columnRefs: ColumnExpr[] = []
    for (const i of items) if (i.kind === 'expr') collectColumns(i.expr, columnRefs)
    const from: FromItem = { kind: 'table', name: table, alias: null, pos: posOf(at) }
    return {
      returning: {
        kind: 'select', from, joins: [], distinct: false, items, where: null, groupBy: [], having: null, compound: [], orderBy: [],
        limit: null, offset: null, hasSubqueries: false, with: [], recursive: false, table, tableAlias: null, hasAggregates: false,
        columnRefs, ...this.head(at),
      },
    }
  }

  /**
   * `WITH name [(cols)] AS (SELECT …), … SELECT | UPDATE | DELETE …`, after the word WITH. An UPDATE's or
   * DELETE's WITH queries are read by the subqueries of its SET and WHERE: each outermost one gets them
   * before its own (statementWith), so that they render where they are read.
   */
  private withStatement(first: Token): SelectStmt | InsertStmt | UpdateStmt | DeleteStmt {
    this.selecting = true
    const w = this.withClause()
    if (this.isWord('INSERT')) {
      // Its SELECT reads them: `WITH x AS (…) INSERT INTO t SELECT … FROM x`.
      this.selecting = false
      this.next()
      this.insertWith = w
      try {
        const stmt = this.insert(first)
        if (stmt.select === undefined) this.error(first, 'the WITH queries of INSERT are read by its SELECT, and it has VALUES: drop the WITH, or write INSERT INTO t SELECT … FROM them')
        return stmt
      } finally {
        this.insertWith = null
      }
    }
    if (this.isWord('UPDATE') || this.isWord('DELETE')) {
      this.selecting = false
      const word = this.next()
      const subqueriesBefore = this.subqueries
      this.statementWith = w
      try {
        const stmt = word.value === 'UPDATE' ? this.update(first) : this.delete(first)
        if (this.subqueries === subqueriesBefore) {
          this.error(first, `the WITH queries of ${word.value} are read by subqueries in its ${word.value === 'UPDATE' ? 'SET or ' : ''}WHERE, and it has none: drop the WITH, or read them (… WHERE k IN (SELECT … FROM ${w.ctes[0]?.name ?? 'name'}))`)
        }
        return stmt
      } finally {
        this.statementWith = null
      }
    }
    const select = this.peek()
    if (!this.isWord('SELECT')) this.fail('SELECT, INSERT, UPDATE or DELETE', 'the WITH queries')
    this.next()
    return this.select(select, w.ctes, first, w.recursive)
  }

  /** The WITH queries before the INSERT being parsed: its SELECT's. */
  private insertWith: { readonly ctes: readonly CommonTable[]; readonly recursive: boolean } | null = null

  /** The WITH queries of the UPDATE or DELETE being parsed, while its outermost subqueries are not yet parsed. */
  private statementWith: { readonly ctes: readonly CommonTable[]; readonly recursive: boolean } | null = null

  /** `[RECURSIVE] name [(cols)] AS (query), …`, after the word WITH: a statement's or a subquery's. */
  private withClause(): { ctes: CommonTable[]; recursive: boolean } {
    // `WITH recursive AS (…)` names a query "recursive"; `WITH RECURSIVE name …` is the keyword.
    const recursive = this.isWord('RECURSIVE') && !this.isWord('AS', 1) && !this.isPunct('(', 1) && this.acceptWord('RECURSIVE')
    const ctes: CommonTable[] = []
    do {
      const at = this.peek()
      const name = this.identifier('a name for the WITH query', ctes.length === 0 ? 'WITH' : "','")
      if (ctes.some((c) => c.name.toLowerCase() === name.toLowerCase())) this.error(at, `WITH names ${name} twice`)
      let columns: string[] | null = null
      if (this.acceptPunct('(')) {
        columns = []
        do columns.push(this.identifier('column name', columns.length === 0 ? `${name} (` : "','")); while (this.acceptPunct(','))
        this.expectPunct(')', `the columns of ${name}`)
      }
      this.expectWord('AS', columns === null ? name : `the columns of ${name}`)
      this.expectPunct('(', 'AS')
      const select = this.peek()
      if (!this.startsQuery()) this.expectWord('SELECT', "'('")
      this.next()
      const query = this.nestedSelect(select)
      this.expectPunct(')', `the query of ${name}`)
      ctes.push({ name, columns, query, pos: posOf(at) })
    } while (this.acceptPunct(','))
    return { ctes, recursive }
  }

  private select(first: Token, ctes: readonly CommonTable[], statementStart: Token = first, recursive = false): SelectStmt {
    this.selecting = true
    const q = this.selectQuery(first)
    const items = q.items.flatMap((i) => (i.kind === 'expr' ? [i.expr] : []))
    const exprs: SqlExpr[] = [...items, ...(q.where === null ? [] : [q.where]), ...q.groupBy, ...(q.having === null ? [] : [q.having]), ...q.orderBy.map((o) => o.expr)]
    const columnRefs: ColumnExpr[] = []
    for (const e of exprs) collectColumns(e, columnRefs)
    const aggregated = [...items, ...(q.having === null ? [] : [q.having]), ...q.orderBy.map((o) => o.expr)]
    const simple = q.from?.kind === 'table' && q.joins.length === 0 && !q.hasSubqueries && q.compound.length === 0 && ctes.length === 0
    return {
      kind: 'select', ...q, with: ctes, recursive, table: simple && q.from?.kind === 'table' ? q.from.name : null,
      tableAlias: simple && q.from?.kind === 'table' ? q.from.alias : null,
      hasAggregates: aggregated.some(containsAggregate), columnRefs, ...this.head(statementStart),
    }
  }

  /**
   * Subqueries are parsed in a SELECT and in an UPDATE's SET and WHERE or a DELETE's WHERE; not in
   * INSERT (its upsert runs at one row in the workers) nor in RETURNING (evaluated over each row written).
   */
  private selecting = false

  protected override subquery(at: Token): SelectQuery {
    if (!this.selecting) return super.subquery(at)
    const outer = this.statementWith
    if (outer === null) return this.selectQuery(at)
    // Its own subqueries read the statement's WITH through its scope.
    this.statementWith = null
    try {
      const q = this.selectQuery(at)
      for (const own of q.with ?? []) {
        if (outer.ctes.some((c) => c.name.toLowerCase() === own.name.toLowerCase())) {
          this.error(own.pos, `WITH names ${own.name} twice: the statement's WITH and this subquery's (rename one)`)
        }
      }
      return { ...q, with: [...outer.ctes, ...(q.with ?? [])], recursive: outer.recursive || q.recursive === true }
    } finally {
      this.statementWith = outer
    }
  }

  /**
   * A subquery's body after its `(` and its first word (`at`). After WITH, its WITH queries come first;
   * they are read only inside it, and shadow tables and outer WITH queries of the same name.
   */
  private selectQuery(at: Token, part = false): SelectQuery {
    if (at.kind !== 'word' || at.value !== 'WITH') return this.selectBody(at, part)
    const { ctes, recursive } = this.withClause()
    const select = this.peek()
    this.expectWord('SELECT', 'the WITH queries')
    return { ...this.selectBody(select, part), with: ctes, recursive }
  }

  /**
   * A SELECT's body, after the word SELECT (`first`). `part`: one part of a compound after the first,
   * which ends before ORDER BY and LIMIT (those are the whole compound's).
   */
  private selectBody(first: Token, part = false): SelectQuery {
    // Window functions are allowed in its items and ORDER BY only, whatever the clause around a subquery.
    return this.withWindows(false, () => this.selectQueryBody(first, part))
  }

  private selectQueryBody(first: Token, part: boolean): SelectQuery {
    const subqueriesBefore = this.subqueries
    const distinct = this.acceptWord('DISTINCT')
    if (!distinct) this.acceptWord('ALL')
    if (distinct && this.isWord('ON') && this.isPunct('(', 1)) {
      // PostgreSQL's; read as a call of a function named ON, it was "unknown function 'ON'".
      this.error(this.peek(), "DISTINCT ON (PostgreSQL's) is not offered: keep one row per group with ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) AS n in a subquery and WHERE n = 1, or GROUP BY")
    }
    const items: SelectItem[] = []
    do items.push(this.selectItem()); while (this.acceptPunct(','))
    let from: FromItem | null = null
    const joins: JoinClause[] = []
    if (this.acceptWord('FROM')) {
      from = this.fromItem('FROM')
      for (;;) {
        const join = this.joinClause()
        if (join === null) break
        joins.push(join)
      }
    } else {
      const star = items.find((i) => i.kind === 'star')
      if (star !== undefined) this.error(star.pos, 'SELECT * needs FROM: without a table there are no columns to select')
      if (this.isIdentifierStart() && !['WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'RETURNING', ...COMPOUND_WORDS].some((w) => this.isWord(w))) this.fail('FROM', 'the selected columns')
    }
    const where = this.acceptWord('WHERE') ? this.expr('WHERE') : null
    const groupBy: SqlExpr[] = []
    if (this.acceptWord('GROUP')) {
      this.expectWord('BY', 'GROUP')
      do groupBy.push(this.expr('GROUP BY')); while (this.acceptPunct(','))
    }
    const having = this.acceptWord('HAVING') ? this.expr(null) : null
    const windows: NamedWindow[] = []
    if (this.acceptWord('WINDOW')) {
      do {
        const at = this.peek()
        const name = this.identifier('window name', windows.length === 0 ? 'WINDOW' : "','")
        if (windows.some((w) => w.name.toLowerCase() === name.toLowerCase())) this.error(at, `WINDOW names ${name} twice`)
        this.expectWord('AS', `window ${name}`)
        windows.push({ name, spec: this.windowDefinition(at), pos: posOf(at) })
      } while (this.acceptPunct(','))
    }
    const named = windows.length === 0 ? {} : { windows }
    const compound: CompoundPart[] = []
    if (part) {
      return { from, joins, distinct, items, where, groupBy, having, ...named, compound, orderBy: [], limit: null, offset: null, hasSubqueries: this.subqueries > subqueriesBefore, pos: posOf(first) }
    }
    for (;;) {
      const at = this.peek()
      let op: CompoundOp
      if (this.acceptWord('UNION')) op = this.acceptWord('ALL') ? 'UNION ALL' : 'UNION'
      else if (this.acceptWord('INTERSECT')) op = 'INTERSECT'
      else if (this.acceptWord('EXCEPT')) op = 'EXCEPT'
      else break
      const select = this.peek()
      this.expectWord('SELECT', op)
      compound.push({ op, query: this.nested(select, () => this.selectQuery(select, true)), pos: posOf(at) })
    }
    // A compound's ORDER BY names result columns, so only a lone SELECT's may hold window functions.
    const { orderBy, limit, offset } = this.orderAndLimit(compound.length === 0)
    return { from, joins, distinct, items, where, groupBy, having, ...named, compound, orderBy, limit, offset, hasSubqueries: this.subqueries > subqueriesBefore, pos: posOf(first) }
  }

  /** `[ORDER BY …] [LIMIT …] [OFFSET …]` at the end of a query; `windows`: its ORDER BY may hold window functions. */
  private orderAndLimit(windows: boolean): { orderBy: OrderTerm[]; limit: ValueExpr | null; offset: ValueExpr | null } {
    let orderBy: OrderTerm[] = []
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY', 'ORDER')
      orderBy = this.orderTerms(windows)
    }
    let limit: ValueExpr | null = null
    let offset: ValueExpr | null = null
    // PostgreSQL's forms too: OFFSET without LIMIT, OFFSET before LIMIT, and LIMIT ALL (no limit); and
    // SQLite's (and MySQL's) LIMIT m, n, which is OFFSET m LIMIT n.
    if (this.acceptWord('LIMIT')) {
      limit = this.limitCount()
      if (limit !== null && this.acceptPunct(',')) {
        offset = limit
        limit = this.count('LIMIT')
      } else if (this.acceptWord('OFFSET')) {
        offset = this.count('OFFSET')
      }
    } else if (this.acceptWord('OFFSET')) {
      offset = this.count('OFFSET')
      if (this.acceptWord('LIMIT')) limit = this.limitCount()
    }
    return { orderBy, limit, offset }
  }

  /**
   * `VALUES (e, …), (e, …) [ORDER BY …] [LIMIT …]` as a statement, after the word VALUES: SQLite's, and
   * PostgreSQL's with its ORDER BY and LIMIT. A query of those rows, whose columns both call column1,
   * column2, …; the values are expressions, subqueries included, as a SELECT's items without FROM.
   */
  private valuesStatement(first: Token): SelectStmt {
    this.selecting = true
    const subqueriesBefore = this.subqueries
    const rows: SqlExpr[][] = []
    do {
      const open = this.expectPunct('(', rows.length === 0 ? 'VALUES' : "','")
      const row: SqlExpr[] = []
      do row.push(this.expr('VALUES')); while (this.acceptPunct(','))
      this.expectPunct(')', 'the values of the row')
      const width = rows[0]?.length ?? row.length
      if (row.length !== width) this.error(posOf(open), `every row of VALUES has as many values as the first (${width}), and this one has ${row.length}`)
      rows.push(row)
    } while (this.acceptPunct(','))
    const { orderBy, limit, offset } = this.orderAndLimit(false)
    const columnRefs: ColumnExpr[] = []
    for (const e of [...rows.flat(), ...orderBy.map((o) => o.expr)]) collectColumns(e, columnRefs)
    return {
      kind: 'select', from: null, joins: [], distinct: false, items: [], where: null, groupBy: [], having: null, compound: [], orderBy, limit, offset,
      hasSubqueries: this.subqueries > subqueriesBefore, values: rows, with: [], recursive: false, table: null, tableAlias: null, hasAggregates: false,
      columnRefs, ...this.head(first),
    }
  }

  /** A table, or `(SELECT …)`, with an optional alias; `after` names what precedes it, for messages. */
  private fromItem(after: string): FromItem {
    const at = this.peek()
    if (this.isPunct('(')) {
      if (!this.startsQuery(1)) this.fail("a table name or '(SELECT'", after)
      this.next()
      const first = this.next()
      this.subqueries++
      const select = this.nestedSelect(first)
      this.expectPunct(')', 'the subquery in FROM')
      return { kind: 'derived', select, alias: this.tableAlias(), pos: posOf(at) }
    }
    const name = this.tableName(after)
    return { kind: 'table', name, alias: this.tableAlias(), pos: posOf(at) }
  }

  /** A subquery in FROM: parsed like one in an expression (its own aggregates, a nesting level). */
  private nestedSelect(at: Token): SelectQuery {
    return this.nested(at, () => this.selectQuery(at))
  }

  /** `[AS] alias` after a FROM item, unless the next word starts a join or a clause. */
  private tableAlias(): string | null {
    if (this.acceptWord('AS')) return this.identifier('table alias', 'AS')
    // `FROM t FETCH FIRST 2 ROWS ONLY` names no alias FETCH: its error says to write LIMIT (expectEnd).
    // Nor `FROM t FOR UPDATE` an alias FOR: its error says row locks are not needed (expectEnd).
    const fetch = (this.isWord('FETCH') && (this.isWord('FIRST', 1) || this.isWord('NEXT', 1))) || this.startsRowLock()
    if (this.isIdentifierStart() && !fetch && !(this.peek().kind === 'word' && (JOIN_WORDS.has(this.peek().value) || this.peek().value === 'RETURNING'))) return this.identifier('table alias')
    return null
  }

  /** One `, item` or `[kind] JOIN item [ON e | USING (cols)]`, or null when none follows. */
  private joinClause(): JoinClause | null {
    const at = this.peek()
    if (this.acceptPunct(',')) return { kind: 'comma', item: this.fromItem("','"), on: null, using: null, pos: posOf(at) }
    const natural = this.acceptWord('NATURAL')
    if (natural && this.isWord('CROSS')) this.error(this.peek(), 'NATURAL CROSS JOIN: a cross join has no columns in common to join on (drop NATURAL or CROSS)')
    let kind: JoinKind
    if (this.acceptWord('JOIN')) kind = 'inner'
    else if (this.isWord('INNER') && this.isWord('JOIN', 1)) { this.next(); this.next(); kind = 'inner' }
    else if (this.isWord('CROSS') && this.isWord('JOIN', 1)) { this.next(); this.next(); kind = 'cross' }
    else if ((this.isWord('LEFT') || this.isWord('RIGHT') || this.isWord('FULL')) && (this.isWord('JOIN', 1) || (this.isWord('OUTER', 1) && this.isWord('JOIN', 2)))) {
      kind = this.next().value.toLowerCase() as 'left' | 'right' | 'full'
      this.acceptWord('OUTER')
      this.next()
    } else {
      if (!natural && !['INNER', 'CROSS', 'LEFT', 'RIGHT', 'FULL'].some((w) => this.isWord(w))) return null
      const word = natural ? 'NATURAL' : this.source(this.next())
      if (this.isWord('OUTER')) this.next()
      return this.fail('JOIN', word)
    }
    const item = this.fromItem('JOIN')
    if (natural) {
      if (this.isWord('ON') || this.isWord('USING')) this.error(this.peek(), 'NATURAL JOIN takes no ON or USING: it joins on every column the two sides have in common')
      return { kind, item, on: null, using: null, natural: true, pos: posOf(at) }
    }
    if (kind === 'cross') {
      if (this.isWord('ON') || this.isWord('USING')) this.error(this.peek(), 'CROSS JOIN takes no ON or USING: use JOIN … ON for a condition')
      return { kind, item, on: null, using: null, pos: posOf(at) }
    }
    if (this.acceptWord('ON')) return { kind, item, on: this.expr('ON'), using: null, pos: posOf(at) }
    if (this.acceptWord('USING')) {
      this.expectPunct('(', 'USING')
      const using: { name: string; pos: Pos }[] = []
      do {
        const p = posOf(this.peek())
        using.push({ name: this.identifier('column name', using.length === 0 ? 'USING (' : "','"), pos: p })
      } while (this.acceptPunct(','))
      this.expectPunct(')', 'the USING columns')
      return { kind, item, on: null, using, pos: posOf(at) }
    }
    return this.fail('ON or USING', 'the joined table')
  }

  /** An item of a SELECT, or (`clause` RETURNING) of a RETURNING, where aggregates and windows are refused. */
  private selectItem(clause: 'RETURNING' | null = null): SelectItem {
    const at = this.peek()
    if (this.acceptPunct('*')) return { kind: 'star', pos: posOf(at) }
    this.schemaQualifier(true)
    if (this.isIdentifierStart() && this.isPunct('.', 1) && this.isPunct('*', 2)) {
      const table = this.identifier('table name')
      this.next()
      this.next()
      return { kind: 'star', pos: posOf(at), table }
    }
    const expr = clause === null ? this.windowedExpr() : this.expr(clause)
    const written = this.raw.text.slice(at.offset - this.raw.offset, this.prevEnd - this.raw.offset)
    let alias: string | null = null
    if (this.acceptWord('AS')) alias = this.identifier('column alias', 'AS')
    else if (this.isIdentifierStart() && !(this.peek().kind === 'word' && (COMPOUND_WORDS.has(this.peek().value) || this.peek().value === 'RETURNING'))) {
      const word = this.peek()
      const why = word.kind === 'word' ? NOT_BARE_ALIASES.get(word.value) : undefined
      if (why !== undefined) this.error(word, `${word.value} is not a column alias without AS (${why}); to name the column ${word.value}, write AS "${word.value}"`)
      alias = this.identifier('column alias')
    }
    const label = alias ?? (expr.kind === 'column' ? expr.name : written)
    return { kind: 'expr', expr, alias, label, pos: posOf(at) }
  }

  /** After LIMIT: a count, or ALL (PostgreSQL's way of saying no limit). */
  private limitCount(): ValueExpr | null {
    return this.acceptWord('ALL') ? null : this.count('LIMIT')
  }

  /** LIMIT and OFFSET: a non-negative integer literal or `?`. */
  private count(what: string): ValueExpr {
    const v = this.value('a non-negative integer or ?', what)
    if (v.kind === 'literal' && (typeof v.value !== 'bigint' || v.value < 0n)) this.error(v.pos, `${what} must be a non-negative integer${negativeLimitHint(what, v.value)}`)
    return v
  }
}

export function collectColumns(e: SqlExpr, out: ColumnExpr[]): void {
  switch (e.kind) {
    // A subquery's columns are resolved in its own scope first: they are not this statement's references.
    case 'literal': case 'param': case 'subquery': case 'exists': return
    case 'in-select': collectColumns(e.operand, out); return
    case 'column': out.push(e); return
    case 'unary': collectColumns(e.operand, out); return
    case 'binary': collectColumns(e.left, out); collectColumns(e.right, out); return
    case 'in': collectColumns(e.operand, out); for (const x of e.list) collectColumns(x, out); return
    case 'between': collectColumns(e.operand, out); collectColumns(e.low, out); collectColumns(e.high, out); return
    case 'like': collectColumns(e.operand, out); collectColumns(e.pattern, out); if (e.escape !== null) collectColumns(e.escape, out); return
    case 'function':
      for (const x of e.args) collectColumns(x, out)
      if (e.filter !== undefined) collectColumns(e.filter, out)
      for (const x of e.over?.partitionBy ?? []) collectColumns(x, out)
      for (const o of e.over?.orderBy ?? []) collectColumns(o.expr, out)
      return
    case 'cast': collectColumns(e.operand, out); return
    case 'collate': collectColumns(e.operand, out); return
    case 'case':
      if (e.operand !== null) collectColumns(e.operand, out)
      for (const w of e.whens) { collectColumns(w.when, out); collectColumns(w.then, out) }
      if (e.otherwise !== null) collectColumns(e.otherwise, out)
  }
}

/** Parses one statement already split from its script. */
export function parseStatement(raw: RawStatement): Statement {
  return new StatementParser(raw).parse()
}

/** Parses a whole script. Throws AcheronError SYNTAX_ERROR (with line, column and statement) at the first error. */
export function parseScript(script: string): Statement[] {
  return splitScript(script).map(parseStatement)
}

/** Scripts up to this length are cached; the AST is immutable, so one parse serves every request with that text. */
export const CACHED_SCRIPT_CHARS_MAX = 4096
export const CACHED_SCRIPTS_MAX = 1024

const cache = new Map<string, readonly Statement[]>()

/** `parseScript` with a bounded cache by text (least recently used out first). Do not mutate the result. */
export function parseScriptCached(script: string): readonly Statement[] {
  if (script.length > CACHED_SCRIPT_CHARS_MAX) return parseScript(script)
  const hit = cache.get(script)
  if (hit !== undefined) {
    cache.delete(script)
    cache.set(script, hit)
    return hit
  }
  const parsed = parseScript(script)
  if (cache.size >= CACHED_SCRIPTS_MAX) cache.delete(cache.keys().next().value as string)
  cache.set(script, parsed)
  return parsed
}
