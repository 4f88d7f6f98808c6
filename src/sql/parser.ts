// The token cursor and the expression grammar that every statement parser builds on.
import { AcheronError } from '../errors.js'
import { IDENTIFIER_LENGTH_MAX } from '../schema/catalog.js'
import { INT64_MAX, INT64_MIN, type SqlValue } from '../values.js'
import {
  AGGREGATE_ARITY, AGGREGATE_FUNCTIONS, CLOCK_SPELLINGS, FUNCTION_SPELLINGS, REFUSED_FUNCTIONS, SCALAR_FUNCTIONS, WINDOW_AGGREGATES, WINDOW_FUNCTIONS,
  CAST_TYPES, COLLATIONS, type Collation, type BinaryOp, type FrameBound, type WindowFrame, type WindowSpec, type CaseExpr, type CastExpr, type FunctionExpr, type LiteralExpr, type OrderTerm, type Pos, type SelectQuery, type SqlExpr, type ValueExpr,
} from './ast.js'
import { excerpt, type Token } from './lexer.js'
import type { RawStatement } from './split.js'

/** PostgreSQL's time types, as CAST targets or typed literals, and what to write here instead. */
const TIME_TYPE_HINTS: ReadonlyMap<string, string> = new Map<string, string>([
  ['DATE', "DATE(x) is x's day ('2026-01-02')"],
  ...['TIMESTAMP', 'TIMESTAMPTZ', 'DATETIME'].map((t): [string, string] => [t, "DATETIME(x) is x as 'YYYY-MM-DD HH:MM:SS' (UTC)"]),
  ['TIME', "TIME(x) is x's time of day ('03:04:05')"],
  ['INTERVAL', "add one with a modifier: DATETIME(x, '+1 day'), DATE(x, '-3 months')"],
])

/** Nesting bound of expressions (parentheses, unary operators, function arguments): recursion stays shallow. */
export const EXPR_DEPTH_MAX = 64

/**
 * Bound on binary operators in one statement: a left-deep chain is as deep as it is long, and SQLite
 * refuses an expression tree 1,000 deep (SQLITE_MAX_EXPR_DEPTH). Below that with room for
 * EXPR_DEPTH_MAX levels of nesting around the chain, so that every statement parsed here also runs.
 */
export const OPERATORS_MAX = 900

/**
 * Bound on literals and `?` parameters in the expressions of one statement: each is bound to the SQLite
 * statement it runs as, and SQLite refuses more than 32,766 (SQLITE_MAX_VARIABLE_NUMBER). Below that with
 * room for LIMIT and OFFSET, so that a statement parsed here also runs (a longer `IN (…)` list failed when
 * it ran, as CONSTRAINT "too many SQL variables", with a position).
 */
export const EXPRESSION_VALUES_MAX = 32_000

function invalidNameMessage(what: string, name: string): string {
  return `invalid ${what} '${excerpt(name)}': use letters, digits and _ (at most ${IDENTIFIER_LENGTH_MAX}), not starting with a digit`
}

/** What to do about a result column named by its expression's text (`k+1`), which no name can reach; `example` shows one. */
export function unnamedColumnHint(example?: string): string {
  return `a column named by its expression's text${example === undefined ? '' : ` ${example}`} is read by * alone: give it an alias in its SELECT`
}

/** Whether `name` can be written as a name: letters, digits and _, not starting with a digit. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name)
}

/** The names of the one schema a table's name may be qualified by, and is not changed by: PostgreSQL's and SQLite's. */
const SCHEMA_NAMES: ReadonlySet<string> = new Set(['public', 'main'])

/** Words that are never bare identifiers (they may still be "quoted"): they would make clauses ambiguous. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'BY', 'HAVING', 'LIMIT', 'OFFSET', 'AND', 'OR', 'NOT', 'IS', 'IN',
  'LIKE', 'BETWEEN', 'NULL', 'TRUE', 'FALSE', 'AS', 'DISTINCT', 'ALL', 'ASC', 'DESC', 'VALUES', 'SET', 'CASE',
  'WHEN', 'THEN', 'ELSE', 'END', 'JOIN', 'ON', 'UNION',
])

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

const COMPARISON: ReadonlyMap<string, BinaryOp> = new Map<string, BinaryOp>([['<', '<'], ['<=', '<='], ['>', '>'], ['>=', '>=']])
const ADDITIVE: ReadonlyMap<string, BinaryOp> = new Map<string, BinaryOp>([['+', '+'], ['-', '-']])
const MULTIPLICATIVE: ReadonlyMap<string, BinaryOp> = new Map<string, BinaryOp>([['*', '*'], ['/', '/'], ['%', '%']])

export function posOf(t: Pos): Pos {
  return { offset: t.offset, line: t.line, column: t.column }
}

export class Cursor {
  protected i = 0
  /** Offset just past the last consumed token. */
  protected prevEnd: number

  constructor(protected readonly raw: RawStatement) {
    this.prevEnd = raw.offset
  }

  protected peek(ahead = 0): Token {
    const toks = this.raw.tokens
    return (toks[this.i + ahead] ?? toks[toks.length - 1]) as Token
  }

  protected next(): Token {
    const t = this.peek()
    if (t.kind !== 'end') {
      this.i++
      this.prevEnd = t.end
    }
    return t
  }

  protected isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead)
    return t.kind === 'word' && t.value === word
  }

  protected isPunct(p: string, ahead = 0): boolean {
    const t = this.peek(ahead)
    return t.kind === 'punct' && t.value === p
  }

  protected acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false
    this.next()
    return true
  }

  protected acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false
    this.next()
    return true
  }

  /** `what` reads in "expected {what}, found ..."; `after` adds " after {after}". */
  protected expectWord(word: string, after?: string): Token {
    if (!this.isWord(word)) this.fail(word, after)
    return this.next()
  }

  protected expectPunct(p: string, after?: string): Token {
    if (!this.isPunct(p)) this.fail(`'${p}'`, after)
    return this.next()
  }

  /** The source text of a token, as written. */
  protected source(t: Token): string {
    return this.raw.text.slice(t.offset - this.raw.offset, t.end - this.raw.offset)
  }

  protected describe(t: Token): string {
    if (t.kind === 'end') return 'end of statement'
    // Strings and blobs show their own quotes.
    if (t.kind === 'string' || t.kind === 'blob') return excerpt(this.source(t))
    return `'${excerpt(this.source(t))}'`
  }

  protected error(at: Pos, message: string): never {
    throw new AcheronError('SYNTAX_ERROR', message, { line: at.line, column: at.column, statement: this.raw.index })
  }

  protected fail(expected: string, after?: string, at: Token = this.peek()): never {
    this.error(at, `expected ${expected}${after === undefined ? '' : ` after ${after}`}, found ${this.describe(at)}`)
  }

  /** A bare (non-reserved) or "quoted" identifier, validated like every catalog name. */
  protected identifier(what: string, after?: string): string {
    const t = this.peek()
    if (t.kind === 'word') {
      if (RESERVED_WORDS.has(t.value)) this.fail(what, after)
    } else if (t.kind !== 'ident') {
      this.fail(what, after)
    }
    const name = t.kind === 'word' ? this.source(t) : t.value
    if (!IDENTIFIER.test(name) || name.length > IDENTIFIER_LENGTH_MAX) this.error(t, invalidNameMessage(what, name))
    this.next()
    return name
  }

  /**
   * PostgreSQL's `public.` (and SQLite's `main.`) before a table's name, dropped: Acheron has one schema.
   * `qualifying`: the table qualifies a name after it (`public.t.col`, `public.t.*`, `public.t.f`,
   * `public.t.(f, g)`), so only a third part makes the first a schema; where a table is named alone
   * (`FROM public.t`) a second does. Any other schema is a SYNTAX_ERROR at it, saying so.
   */
  protected schemaQualifier(qualifying: boolean): void {
    if (!this.isIdentifierStart() || !this.isPunct('.', 1) || !this.isIdentifierStart(2)) return
    if (qualifying && !(this.isPunct('.', 3) && (this.isIdentifierStart(4) || this.isPunct('*', 4) || this.isPunct('(', 4)))) return
    const t = this.peek()
    const name = t.kind === 'word' ? this.source(t) : t.value
    if (!SCHEMA_NAMES.has(name.toLowerCase())) {
      this.error(t, `no schema ${excerpt(name)}: Acheron has one schema, so a table is named by its name alone (or public.t, PostgreSQL's name of that schema, or main.t, SQLite's)`)
    }
    this.next()
    this.next()
  }

  protected isIdentifierStart(ahead = 0): boolean {
    const t = this.peek(ahead)
    return t.kind === 'ident' || (t.kind === 'word' && !RESERVED_WORDS.has(t.value))
  }

  protected expectEnd(): void {
    const t = this.peek()
    if (t.kind === 'word' && t.value === 'FETCH' && (this.isWord('FIRST', 1) || this.isWord('NEXT', 1))) {
      // The standard's (and PostgreSQL's) spelling of LIMIT; without a word, "expected ';'".
      this.error(t, 'FETCH FIRST n ROWS ONLY is written LIMIT n here (OFFSET m LIMIT n for OFFSET m ROWS FETCH NEXT n ROWS ONLY)')
    }
    if (this.startsRowLock()) {
      this.error(t, "FOR UPDATE and FOR SHARE (row locks) are not offered, nor needed: every statement and BEGIN … COMMIT runs serializably, in one order that no other transaction interleaves with")
    }
    if (t.kind !== 'end') this.fail("';' or end of statement")
  }

  /** `FOR UPDATE`, `FOR SHARE`, `FOR NO KEY UPDATE` or `FOR KEY SHARE` next (PostgreSQL's and MySQL's row locks). */
  protected startsRowLock(): boolean {
    return this.isWord('FOR') && (this.isWord('UPDATE', 1) || this.isWord('SHARE', 1) || (this.isWord('NO', 1) && this.isWord('KEY', 2)) || (this.isWord('KEY', 1) && this.isWord('SHARE', 2)))
  }
}

export class ExprParser extends Cursor {
  /** `?` seen so far in this statement. */
  protected params = 0
  /** Their positions, in order. */
  protected paramPositions: Pos[] = []
  private depth = 0
  private operators = 0
  private expressionValues = 0
  /** The clause being parsed, for messages; null where aggregates are allowed. */
  private noAggregatesIn: string | null = null
  private inAggregate = false
  /**
   * Window functions (`… OVER (…)`) are allowed here: only in a SELECT's items and its ORDER BY, as in
   * SQLite; never in WHERE, GROUP BY, HAVING, ON, SET, or the arguments of a function or window.
   */
  private windowsAllowed = false
  /** Subqueries parsed so far in this statement (a SELECT records whether its own text held any). */
  protected subqueries = 0

  /**
   * The body of a subquery, after its `(` and `SELECT` (or `WITH`: `at`), up to (not including) its `)`.
   * Statements that can hold one (SELECT) override this; elsewhere a subquery is a SYNTAX_ERROR.
   */
  protected subquery(at: Token): SelectQuery {
    return this.error(at, "a subquery (SELECT …) is not allowed here: only in a SELECT, an UPDATE's SET and WHERE, and a DELETE's WHERE (not in VALUES, ON CONFLICT or RETURNING, which are evaluated at one row)")
  }

  /**
   * A query starts `ahead` tokens on: SELECT, or WITH and its first query's name (`WITH RECURSIVE`, or
   * `WITH name AS (` / `WITH name (cols`). WITH is not reserved, so `(with + 1)` still reads a column.
   */
  protected startsQuery(ahead = 0): boolean {
    if (this.isWord('SELECT', ahead)) return true
    if (!this.isWord('WITH', ahead)) return false
    const name = this.peek(ahead + 1)
    if (name.kind === 'word' && name.value === 'RECURSIVE') return true
    return (name.kind === 'word' || name.kind === 'ident') && (this.isWord('AS', ahead + 2) || this.isPunct('(', ahead + 2))
  }

  /** `( SELECT … )` or `( WITH … SELECT … )`, the `(` next: aggregates inside are the subquery's own, whatever the clause around it. */
  private parenthesizedSubquery(at: Token): SelectQuery {
    return this.nested(at, () => {
      this.expectPunct('(', at.value)
      const select = this.peek()
      if (!this.startsQuery()) this.expectWord('SELECT', "'('")
      this.next()
      const savedClause = this.noAggregatesIn
      const savedIn = this.inAggregate
      this.noAggregatesIn = null
      this.inAggregate = false
      try {
        this.subqueries++
        const q = this.subquery(select)
        this.expectPunct(')', 'the subquery')
        return q
      } finally {
        this.noAggregatesIn = savedClause
        this.inAggregate = savedIn
      }
    })
  }

  // ---- literals and parameters --------------------------------------------------------------------

  /** A literal or `?` (CALL arguments, VALUES, LIMIT). */
  protected value(what: string, after?: string, allowParam = true): ValueExpr {
    const t = this.peek()
    if (t.kind === 'param') {
      if (!allowParam) this.error(t, `a ? parameter is not allowed in ${what}`)
      this.next()
      const pos = posOf(t)
      this.paramPositions.push(pos)
      return { kind: 'param', index: this.params++, pos }
    }
    const lit = this.literal()
    if (lit === null) this.fail(what, after)
    return lit
  }

  /** A literal (with an optional sign on numbers), or null when the next tokens are not one. */
  protected literal(): LiteralExpr | null {
    const t = this.peek()
    if (t.kind === 'punct' && (t.value === '-' || t.value === '+')) {
      const n = this.peek(1)
      if (n.kind !== 'integer' && n.kind !== 'real') return null
      this.next()
      this.next()
      return { kind: 'literal', value: this.number(n, t.value === '-'), pos: posOf(t) }
    }
    let value: SqlValue
    switch (t.kind) {
      case 'integer': case 'real': value = this.number(t, false); break
      case 'string': value = t.value; break
      case 'blob': value = Buffer.from(t.value, 'hex'); break
      case 'word':
        if (t.value === 'NULL') value = null
        else if (t.value === 'TRUE') value = 1n
        else if (t.value === 'FALSE') value = 0n
        else return null
        break
      default: return null
    }
    this.next()
    if (t.kind === 'word' && value !== null) return { kind: 'literal', value, pos: posOf(t), keyword: value === 1n ? 'TRUE' : 'FALSE' }
    return { kind: 'literal', value: value instanceof Buffer ? new Uint8Array(value) : value, pos: posOf(t) }
  }

  private number(t: Token, negative: boolean): bigint | number {
    if (t.kind === 'integer' && /^0x/i.test(t.value)) {
      // SQLite's: at most 16 significant hex digits, read as 64-bit two's complement (0xFFFFFFFFFFFFFFFF is -1).
      if (t.value.slice(2).replace(/^0+/, '').length > 16) this.error(t, `hex literal ${excerpt(t.value)} is out of the 64-bit range (at most 16 hex digits)`)
      const u = BigInt.asIntN(64, BigInt(t.value))
      const v = negative ? -u : u
      if (v > INT64_MAX) this.error(t, `integer literal -${excerpt(t.value)} is out of the 64-bit range`)
      return v
    }
    if (t.kind === 'integer') {
      const v = negative ? -BigInt(t.value) : BigInt(t.value)
      if (v > INT64_MAX || v < INT64_MIN) this.error(t, `integer literal ${negative ? '-' : ''}${excerpt(t.value)} is out of the 64-bit range`)
      return v
    }
    const v = Number(t.value)
    if (!Number.isFinite(v)) this.error(t, `real literal ${excerpt(t.value)} is out of range`)
    return negative ? -v : v
  }

  // ---- expressions, by increasing precedence (SQLite's) ------------------------------------------

  /** An expression; `clause` names where aggregates are refused (null: they are allowed). */
  protected expr(clause: string | null): SqlExpr {
    const saved = this.noAggregatesIn
    this.noAggregatesIn = clause
    try {
      return this.or()
    } finally {
      this.noAggregatesIn = saved
    }
  }

  /** An expression of a SELECT's items or ORDER BY, where aggregates and window functions are allowed. */
  protected windowedExpr(): SqlExpr {
    return this.withWindows(true, () => this.expr(null))
  }

  /** Runs `f` with window functions allowed or not, restoring the setting after. */
  protected withWindows<T>(allowed: boolean, f: () => T): T {
    const saved = this.windowsAllowed
    this.windowsAllowed = allowed
    try {
      return f()
    } finally {
      this.windowsAllowed = saved
    }
  }

  /** Counts a literal or `?` of an expression (a keyword literal, TRUE or FALSE, is written out instead). */
  private expressionValue<T extends SqlExpr>(e: T): T {
    if ((e.kind === 'param' || (e.kind === 'literal' && e.keyword === undefined)) && ++this.expressionValues > EXPRESSION_VALUES_MAX) {
      this.error(e.pos, `too many values in one statement (at most ${EXPRESSION_VALUES_MAX} literals and ? parameters in its expressions; pass a long list as rows of a table instead)`)
    }
    return e
  }

  /** Counts one binary operator at `at`. */
  private operator(at: Pos): void {
    if (++this.operators > OPERATORS_MAX) this.error(at, `expression too long (at most ${OPERATORS_MAX} operators in a statement)`)
  }

  protected nested<T>(at: Token, parse: () => T): T {
    if (++this.depth > EXPR_DEPTH_MAX) this.error(at, `expression nested too deeply (at most ${EXPR_DEPTH_MAX} levels)`)
    try {
      return parse()
    } finally {
      this.depth--
    }
  }

  private or(): SqlExpr {
    let left = this.and()
    while (this.isWord('OR')) {
      this.operator(this.next())
      left = { kind: 'binary', op: 'OR', left, right: this.and(), pos: left.pos }
    }
    return left
  }

  private and(): SqlExpr {
    let left = this.not()
    while (this.isWord('AND')) {
      this.operator(this.next())
      left = { kind: 'binary', op: 'AND', left, right: this.not(), pos: left.pos }
    }
    return left
  }

  private not(): SqlExpr {
    const t = this.peek()
    if (this.acceptWord('NOT')) return this.nested(t, () => ({ kind: 'unary', op: 'NOT', operand: this.not(), pos: posOf(t) }))
    return this.equality()
  }

  private equality(): SqlExpr {
    let left = this.comparison()
    for (;;) {
      const t = this.peek()
      const pos = left.pos
      if (t.kind === 'punct' && (t.value === '=' || t.value === '!=')) {
        this.operator(this.next())
        left = { kind: 'binary', op: t.value, left, right: this.comparison(), pos }
        continue
      }
      if (t.kind !== 'word') return left
      // `x ISNULL` and `x NOTNULL` (SQLite's and PostgreSQL's): `x IS NULL` and `x IS NOT NULL`. Without them,
      // `SELECT a NOTNULL FROM t` named a column NOTNULL holding a's values.
      if (t.value === 'ISNULL' || t.value === 'NOTNULL') {
        this.operator(this.next())
        left = { kind: 'binary', op: t.value === 'ISNULL' ? 'IS' : 'IS NOT', left, right: { kind: 'literal', value: null, pos: posOf(t) }, pos }
        continue
      }
      // SQLite's third spelling, `x NOT NULL`: without it, "expected ';' … found 'NOT'".
      if (t.value === 'NOT' && this.isWord('NULL', 1)) {
        this.operator(this.next())
        const nullTok = this.next()
        left = { kind: 'binary', op: 'IS NOT', left, right: { kind: 'literal', value: null, pos: posOf(nullTok) }, pos }
        continue
      }
      if (t.value === 'IS') {
        this.operator(this.next())
        const not = this.acceptWord('NOT')
        // `IS [NOT] DISTINCT FROM` (SQL's, PostgreSQL's) is SQLite's `IS NOT` / `IS`: NULL-safe comparison.
        const distinct = this.isWord('DISTINCT') && this.isWord('FROM', 1)
        if (distinct) {
          this.next()
          this.next()
        }
        const op: BinaryOp = not !== distinct ? 'IS NOT' : 'IS'
        left = { kind: 'binary', op, left, right: this.comparison(), pos }
        continue
      }
      const negated = t.value === 'NOT'
      const word = negated ? this.peek(1) : t
      if (word.kind === 'word' && (word.value === 'ILIKE' || (word.value === 'SIMILAR' && this.isWord('TO', negated ? 2 : 1)))) {
        // PostgreSQL's; without a word about them the error read "expected ';'", as if the query ended there.
        this.error(word, word.value === 'ILIKE'
          ? "ILIKE (PostgreSQL's) is not offered: LIKE is already case-insensitive for ASCII letters (SQLite's LIKE), as in name LIKE 'a%'"
          : "SIMILAR TO (PostgreSQL's) is not offered: use LIKE ('%' any run, '_' one character) or GLOB ('*', '?', [a-z])")
      }
      if (word.kind !== 'word' || (word.value !== 'IN' && word.value !== 'LIKE' && word.value !== 'GLOB' && word.value !== 'BETWEEN')) return left
      if (negated) this.next()
      this.operator(this.next())
      if (word.value === 'IN' && this.isPunct('(') && this.startsQuery(1)) {
        left = this.comparison({ kind: 'in-select', operand: left, select: this.parenthesizedSubquery(word), negated, pos })
      } else if (word.value === 'IN') {
        this.expectPunct('(', 'IN')
        const list: SqlExpr[] = []
        do list.push(this.nested(word, () => this.or())); while (this.acceptPunct(','))
        this.expectPunct(')', 'the IN list')
        // The list's ')' completes the IN: like SQLite, tighter operators may follow it (`x IN (1) + 1`).
        left = this.comparison({ kind: 'in', operand: left, list, negated, pos })
      } else if (word.value === 'LIKE') {
        const pattern = this.comparison()
        left = { kind: 'like', operand: left, pattern, escape: this.acceptWord('ESCAPE') ? this.comparison() : null, negated, pos }
      } else if (word.value === 'GLOB') {
        left = { kind: 'like', operand: left, pattern: this.comparison(), escape: null, negated, glob: true, pos }
      } else {
        // As in SQLite's grammar, the lower bound extends over equality-level operators (only AND ends it).
        const low = this.nested(word, () => this.not())
        this.expectWord('AND', 'the lower bound of BETWEEN')
        left = { kind: 'between', operand: left, low, high: this.comparison(), negated, pos }
      }
    }
  }

  private binaryLevel(ops: ReadonlyMap<string, BinaryOp>, first: SqlExpr, operand: () => SqlExpr): SqlExpr {
    let left = first
    for (;;) {
      const t = this.peek()
      const op = t.kind === 'punct' ? ops.get(t.value) : undefined
      if (op === undefined) return left
      this.operator(this.next())
      left = { kind: 'binary', op, left, right: operand(), pos: left.pos }
    }
  }

  // `seed`, when given, is an already parsed left operand that the tighter levels continue from.
  private comparison(seed?: SqlExpr): SqlExpr { return this.binaryLevel(COMPARISON, this.additive(seed), () => this.additive()) }
  private additive(seed?: SqlExpr): SqlExpr { return this.binaryLevel(ADDITIVE, this.multiplicative(seed), () => this.multiplicative()) }
  private multiplicative(seed?: SqlExpr): SqlExpr { return this.binaryLevel(MULTIPLICATIVE, this.concat(seed), () => this.concat()) }

  private concat(seed?: SqlExpr): SqlExpr {
    let left = seed ?? this.collated()
    // `->` and `->>` share the level of `||`, as in SQLite.
    while (this.isPunct('||') || this.isPunct('->') || this.isPunct('->>')) {
      const t = this.next()
      this.operator(t)
      const op = t.value as '||' | '->' | '->>'
      left = { kind: 'binary', op, left, right: this.collated(), pos: left.pos }
    }
    return left
  }

  /** An operand and any `COLLATE name` after it (tighter than `||`, looser than unary `-`, as in SQLite). */
  private collated(): SqlExpr {
    let e = this.unary()
    while (this.isWord('COLLATE')) {
      this.operator(this.next())
      const at = this.peek()
      const name = at.kind === 'word' || at.kind === 'ident' ? at.value.toUpperCase() : ''
      if (!COLLATIONS.has(name)) this.fail(`a collation (${[...COLLATIONS].join(', ')})`, 'COLLATE')
      this.next()
      e = { kind: 'collate', operand: e, collation: name as Collation, pos: e.pos }
    }
    return e
  }

  private unary(): SqlExpr {
    const t = this.peek()
    if (t.kind === 'punct' && (t.value === '-' || t.value === '+')) {
      const lit = this.literal()
      if (lit !== null) return this.expressionValue(lit)
      this.next()
      return this.nested(t, () => ({ kind: 'unary', op: t.value as '-' | '+', operand: this.unary(), pos: posOf(t) }))
    }
    return this.primary()
  }

  private primary(): SqlExpr {
    const t = this.peek()
    if (t.kind === 'param') return this.expressionValue(this.value('an expression'))
    // SQLite accepts NOT as an operand anywhere (`1 + NOT 0 = 0` is `1 + (NOT (0 = 0))`).
    if (t.kind === 'word' && t.value === 'NOT') return this.not()
    const lit = this.literal()
    if (lit !== null) return this.expressionValue(lit)
    if (t.kind === 'punct' && t.value === '(' && this.startsQuery(1)) return { kind: 'subquery', select: this.parenthesizedSubquery(t), pos: posOf(t) }
    if (t.kind === 'word' && t.value === 'EXISTS' && this.isPunct('(', 1) && this.startsQuery(2)) {
      this.next()
      return { kind: 'exists', select: this.parenthesizedSubquery(t), pos: posOf(t) }
    }
    if (t.kind === 'punct' && t.value === '(') {
      this.next()
      const inner = this.nested(t, () => this.or())
      if (this.isPunct(',')) {
        // SQLite's and PostgreSQL's row values, `(a, b) = (1, 2)`: without a word, "expected ')'".
        this.error(this.peek(), "row values ((a, b) = (1, 2)) are not offered: compare each, a = 1 AND b = 2")
      }
      this.expectPunct(')', 'the parenthesized expression')
      return inner
    }
    // Before a function call: `CASE (x) WHEN ...` is no call of a function CASE.
    if (t.kind === 'word' && t.value === 'CASE') return this.caseExpr(t)
    if (t.kind === 'word' && t.value === 'CAST' && this.isPunct('(', 1)) return this.castExpr(t)
    if (t.kind === 'word' && this.isPunct('(', 1)) return this.functionCall(t)
    // PostgreSQL's typed literals (DATE '2026-01-02', INTERVAL '1 day'): read as a column, then "expected ';'" at the text.
    const time = t.kind === 'word' && this.peek(1).kind === 'string' ? TIME_TYPE_HINTS.get(t.value) : undefined
    if (time !== undefined) this.error(t, `PostgreSQL's typed literal ${t.value} '…' is not offered: times are TEXT, as in SQLite; ${time}`)
    if (!this.isIdentifierStart()) this.fail('an expression')
    this.schemaQualifier(true)
    const first = this.columnReference()
    if (this.acceptPunct('.')) {
      const name = this.columnReference(`'${first}.'`)
      return { kind: 'column', table: first, name, pos: posOf(t) }
    }
    return { kind: 'column', table: null, name: first, pos: posOf(t) }
  }

  /**
   * A column's name where an expression reads it. `"k+1"` is how SQLite, and a subquery here, name a
   * column without an alias; no name can reach it, so the error says how to.
   */
  private columnReference(after?: string): string {
    const t = this.peek()
    if (t.kind === 'ident' && !IDENTIFIER.test(t.value)) {
      this.error(t, `${invalidNameMessage('column name', t.value)}; ${unnamedColumnHint(`(SELECT ${excerpt(t.value)} …)`)} (${excerpt(t.value)} AS name)`)
    }
    return this.identifier('column name', after)
  }

  /** `CASE [operand] WHEN w THEN t ... [ELSE e] END`; each WHEN counts as an operator towards OPERATORS_MAX. */
  private caseExpr(t: Token): CaseExpr {
    this.next()
    return this.nested(t, () => {
      const operand = this.isWord('WHEN') ? null : this.or()
      const whens: { when: SqlExpr; then: SqlExpr }[] = []
      while (this.isWord('WHEN')) {
        this.operator(this.next())
        const when = this.or()
        this.expectWord('THEN', 'the WHEN of CASE')
        whens.push({ when, then: this.or() })
      }
      if (whens.length === 0) this.fail("WHEN after CASE (CASE [x] WHEN ... THEN ... [ELSE ...] END)")
      const otherwise = this.acceptWord('ELSE') ? this.or() : null
      this.expectWord('END', whens.length === 1 && otherwise === null ? 'the THEN of CASE' : 'CASE … WHEN … THEN …')
      return { kind: 'case', operand, whens, otherwise, pos: posOf(t) }
    })
  }

  /** `CAST(x AS type)`: INTEGER (or INT), REAL, TEXT, BLOB or NUMERIC. */
  private castExpr(t: Token): CastExpr {
    this.next()
    this.next() // (
    return this.nested(t, () => {
      const operand = this.or()
      this.expectWord('AS', 'the value of CAST')
      const at = this.peek()
      const word = at.kind === 'word' ? (CAST_TYPE_ALIASES.get(at.value) ?? at.value) : ''
      const time = TIME_TYPE_HINTS.get(word)
      if (time !== undefined) this.error(at, `CAST … AS ${word} is not offered: times are TEXT, as in SQLite; ${time}`)
      if (!CAST_TYPES.has(word)) this.fail(`a type (${[...CAST_TYPES].join(', ')}, or CREATE TABLE's INT, BIGINT, DOUBLE, FLOAT)`, 'CAST … AS')
      this.next()
      this.expectPunct(')', 'the type of CAST')
      return { kind: 'cast', operand, type: word, pos: posOf(t) }
    })
  }

  private functionCall(t: Token): FunctionExpr {
    const name = t.value
    const scalar = SCALAR_FUNCTIONS.get(name)
    const windowOnly = WINDOW_FUNCTIONS.get(name)
    if (!AGGREGATE_FUNCTIONS.has(name) && scalar === undefined && windowOnly === undefined) {
      const refused = REFUSED_FUNCTIONS.get(name)
      if (refused !== undefined) this.error(t, `unknown function '${excerpt(this.source(t))}': not offered, because ${refused}`)
      const spelling = CLOCK_SPELLINGS.get(name) ?? FUNCTION_SPELLINGS.get(name)
      if (spelling !== undefined) this.error(t, `unknown function '${excerpt(this.source(t))}': ${spelling}`)
      if (name === 'VALUES') this.error(t, 'a VALUES list is not offered as a query: IN takes a list, x IN (1, 2), and a query in FROM or IN is (SELECT …)')
      // PostgreSQL's quantified comparisons (`x = ANY (…)`, `x > ALL (SELECT …)`): without a word they read as
      // "unknown function 'ALL'" and a list of 70 functions, none of which does their job.
      if (name === 'ANY' || name === 'SOME' || name === 'ALL') {
        this.error(t, `${name} (…) after a comparison (PostgreSQL's x = ANY (…), x > ALL (SELECT …)) is not offered: write x IN (1, 2) or x IN (SELECT …) for = ANY, x NOT IN (…) for <> ALL, and compare with (SELECT MAX(…)) or (SELECT MIN(…)) for <, <=, >, >= (MAX and MIN skip NULLs, where ALL gives NULL)`)
      }
      const scalars = [...SCALAR_FUNCTIONS.keys()].filter((f) => !AGGREGATE_FUNCTIONS.has(f))
      this.error(t, `unknown function '${excerpt(this.source(t))}': use ${[...AGGREGATE_FUNCTIONS].join(', ')}, ${scalars.join(', ')} or, with OVER, ${[...WINDOW_FUNCTIONS.keys()].join(', ')}`)
    }
    let after = this.closingParen(1) + 1
    if (this.isWord('FILTER', after) && this.isPunct('(', after + 1)) after = this.closingParen(after + 1) + 1
    if (this.isWord('OVER', after)) return this.windowCall(t, windowOnly)
    if (windowOnly !== undefined) this.error(t, `${name} is a window function: it needs OVER, as in ${name}(${windowOnly[0] === 0 ? '' : '…'}) OVER (ORDER BY …)`)
    this.next()
    this.next() // (
    return this.nested(t, () => this.withWindows(false, () => {
      if (name === 'COUNT' && this.isPunct('*')) {
        this.next()
        this.expectPunct(')', 'COUNT(*')
        const filter = this.filterClause(name, true)
        return this.aggregate(t, { kind: 'function', name, args: [], star: true, distinct: false, aggregate: true, ...filter, pos: posOf(t) })
      }
      const distinct = AGGREGATE_FUNCTIONS.has(name) && this.acceptWord('DISTINCT')
      const wasInAggregate = this.inAggregate
      // Decided by the argument count for MIN/MAX; for the others it is fixed.
      this.inAggregate = wasInAggregate || (AGGREGATE_FUNCTIONS.has(name) && (scalar === undefined))
      const args: SqlExpr[] = []
      let orderBy: OrderTerm[] | undefined
      try {
        if (!this.isPunct(')')) {
          do args.push(this.or()); while (this.acceptPunct(','))
        }
        if (AGGREGATE_ARITY.has(name) && this.acceptWord('ORDER')) {
          this.expectWord('BY', 'ORDER')
          orderBy = this.orderTerms()
        }
      } finally {
        this.inAggregate = wasInAggregate
      }
      this.expectPunct(')', `the arguments of ${name}`)
      const aggregate = AGGREGATE_FUNCTIONS.has(name) && (scalar === undefined || args.length === 1)
      if (aggregate && distinct && args.length > 1) this.error(t, `${name}(DISTINCT …) takes one argument (SQLite's rule)`)
      if (aggregate) {
        const [min, max] = AGGREGATE_ARITY.get(name) ?? [1, 1]
        if (args.length < min || args.length > max) {
          this.error(t, `${name} takes ${min === max ? (min === 1 ? 'one argument' : `${min} arguments`) : `${min} to ${max} arguments`}, got ${args.length}`)
        }
        const filter = this.filterClause(name, true)
        return this.aggregate(t, { kind: 'function', name, args, star: false, distinct, aggregate, ...(orderBy === undefined ? {} : { orderBy }), ...filter, pos: posOf(t) })
      }
      this.filterClause(name, false)
      const [min, max] = scalar as readonly [number, number]
      if (args.length < min || args.length > max) {
        this.error(t, `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`)
      }
      if (distinct) this.error(t, `DISTINCT is only allowed in an aggregate`)
      return { kind: 'function', name, args, star: false, distinct, aggregate, pos: posOf(t) }
    }))
  }

  /**
   * `FILTER (WHERE cond)` after an aggregate's arguments (SQLite's and PostgreSQL's): only the rows where
   * `cond` holds are aggregated. Anywhere else it is a SYNTAX_ERROR; `aggregate`: FILTER may follow.
   */
  private filterClause(name: string, aggregate: boolean): { filter?: SqlExpr } {
    if (!this.isWord('FILTER') || !this.isPunct('(', 1)) return {}
    const at = this.next()
    if (!aggregate) this.error(at, `FILTER applies to aggregates only, not to ${name}`)
    this.next() // (
    this.expectWord('WHERE', "FILTER (")
    const filter = this.withWindows(false, () => this.expr('FILTER'))
    this.expectPunct(')', 'the FILTER condition')
    return { filter }
  }

  /** How many tokens ahead the `)` that closes the `(` at `ahead` is (the end token's when unclosed). */
  private closingParen(ahead: number): number {
    let depth = 0
    for (let k = ahead; ; k++) {
      const tok = this.peek(k)
      if (tok.kind === 'end') return k
      if (tok.kind !== 'punct') continue
      if (tok.value === '(') depth++
      else if (tok.value === ')' && --depth === 0) return k
    }
  }

  /**
   * `f(args) OVER (…)`, at the function's name: a window function of WINDOW_FUNCTIONS, or an aggregate of
   * WINDOW_AGGREGATES computed over the window (it does not make the query an aggregate; its arguments may
   * hold aggregates of a grouped query, as `SUM(SUM(x)) OVER ()`).
   */
  private windowCall(t: Token, windowOnly: readonly [number, number] | undefined): FunctionExpr {
    const name = t.value
    if (!this.windowsAllowed) {
      this.error(t, `window function ${name} … OVER is not allowed here: only in the selected columns and the ORDER BY of a SELECT`)
    }
    if (windowOnly === undefined && !WINDOW_AGGREGATES.has(name)) {
      this.error(t, `${name} cannot be used with OVER: the window functions are ${[...WINDOW_FUNCTIONS.keys()].join(', ')} and the aggregates ${[...WINDOW_AGGREGATES].join(', ')}`)
    }
    this.next()
    this.next() // (
    return this.nested(t, () => {
      let star = false
      const args: SqlExpr[] = []
      this.withWindows(false, () => {
        if (name === 'COUNT' && this.acceptPunct('*')) star = true
        else if (this.isWord('DISTINCT')) this.error(this.peek(), `DISTINCT is not allowed in a window function (SQLite's rule)`)
        else if (!this.isPunct(')')) {
          do args.push(this.or()); while (this.acceptPunct(','))
        }
      })
      this.expectPunct(')', `the arguments of ${name}`)
      const filter = this.filterClause(name, windowOnly === undefined)
      const [min, max] = windowOnly ?? (name === 'COUNT' ? [0, 1] : [1, 1])
      if (args.length < min || args.length > max) {
        const n = min === max ? (min === 0 ? 'no arguments' : min === 1 ? 'one argument' : `${min} arguments`) : `${min} to ${max} arguments`
        this.error(t, `${name} … OVER takes ${n}, got ${args.length}`)
      }
      const over = this.windowSpec()
      return { kind: 'function', name, args, star: star || (name === 'COUNT' && args.length === 0), distinct: false, aggregate: false, ...filter, over, pos: posOf(t) }
    })
  }

  /** `OVER ([PARTITION BY e, …] [ORDER BY …] [frame])` or `OVER name`, at OVER. */
  private windowSpec(): WindowSpec {
    const at = this.expectWord('OVER')
    if (!this.isPunct('(')) {
      const named = this.peek()
      if (!this.isIdentifierStart()) this.fail("'(' or the name of a window", 'OVER')
      return { ref: this.identifier('window name', 'OVER'), partitionBy: [], orderBy: [], frame: null, pos: posOf(named) }
    }
    return this.windowDefinition(at)
  }

  /** `([PARTITION BY e, …] [ORDER BY …] [frame])`, at its `(` (of OVER, or of `WINDOW name AS`). */
  protected windowDefinition(at: Token): WindowSpec {
    this.expectPunct('(')
    let base: WindowSpec['base']
    if (this.isIdentifierStart() && !['PARTITION', 'ORDER', 'ROWS', 'RANGE', 'GROUPS'].some((w) => this.isWord(w))) {
      const named = this.peek()
      base = { name: this.identifier('window name', "'('"), pos: posOf(named) }
      if (this.isWord('PARTITION')) this.error(this.peek(), `a window based on ${base.name} takes its PARTITION BY from it and cannot give one`)
    }
    return this.nested(at, () => this.withWindows(false, () => {
      const partitionBy: SqlExpr[] = []
      if (base === undefined && this.acceptWord('PARTITION')) {
        this.expectWord('BY', 'PARTITION')
        do partitionBy.push(this.expr(null)); while (this.acceptPunct(','))
      }
      let orderBy: OrderTerm[] = []
      if (this.acceptWord('ORDER')) {
        this.expectWord('BY', 'ORDER')
        orderBy = this.orderTerms()
      }
      // Based on a named window, the ORDER BY a RANGE offset needs may be the base's: checked in the renderer.
      const frame = ['ROWS', 'RANGE', 'GROUPS'].some((w) => this.isWord(w)) ? this.windowFrame(base === undefined ? orderBy : null) : null
      if (this.isWord('EXCLUDE')) {
        this.error(this.peek(), 'EXCLUDE is not supported: with it SQLite computes every frame anew, row by row, which a large table makes quadratic')
      }
      this.expectPunct(')', frame !== null ? 'the frame' : orderBy.length > 0 ? 'the ORDER BY of the window' : partitionBy.length > 0 ? 'PARTITION BY' : base !== undefined ? 'the window name' : "OVER (")
      return { ...(base === undefined ? {} : { base }), partitionBy, orderBy, frame, pos: posOf(at) }
    }))
  }

  /**
   * `ROWS | RANGE | GROUPS {start | BETWEEN start AND end}`, checked as SQLite checks it, at the unit;
   * `orderBy` null: the window's ORDER BY is not known here (it may be its base window's).
   */
  private windowFrame(orderBy: readonly OrderTerm[] | null): WindowFrame {
    const at = this.next()
    const unit = at.value as WindowFrame['unit']
    let start: FrameBound
    let end: FrameBound
    if (this.acceptWord('BETWEEN')) {
      start = this.frameBound(unit, 'BETWEEN')
      this.expectWord('AND', 'the start of the frame')
      end = this.frameBound(unit, 'AND')
    } else {
      start = this.frameBound(unit, unit)
      end = { kind: 'current-row', offset: null, pos: start.pos }
    }
    const rank = FRAME_BOUND_ORDER
    if (start.kind === 'unbounded-following') this.error(start.pos, 'a frame cannot start at UNBOUNDED FOLLOWING')
    if (end.kind === 'unbounded-preceding') this.error(end.pos, 'a frame cannot end at UNBOUNDED PRECEDING')
    if (rank.indexOf(start.kind) > rank.indexOf(end.kind)) {
      this.error(end.pos, `a frame cannot end (${frameBoundText(end)}) before it starts (${frameBoundText(start)})`)
    }
    if (orderBy !== null) checkRangeOrder({ unit, start, end, pos: posOf(at) }, orderBy.length, (m) => this.error(at, m))
    return { unit, start, end, pos: posOf(at) }
  }

  private frameBound(unit: WindowFrame['unit'], after: string): FrameBound {
    const at = this.peek()
    const pos = posOf(at)
    if (this.acceptWord('UNBOUNDED')) {
      if (this.acceptWord('PRECEDING')) return { kind: 'unbounded-preceding', offset: null, pos }
      if (this.acceptWord('FOLLOWING')) return { kind: 'unbounded-following', offset: null, pos }
      this.fail('PRECEDING or FOLLOWING', 'UNBOUNDED')
    }
    if (this.acceptWord('CURRENT')) {
      this.expectWord('ROW', 'CURRENT')
      return { kind: 'current-row', offset: null, pos }
    }
    const offset = this.expressionValue(this.value('UNBOUNDED, CURRENT ROW or an offset (n PRECEDING, n FOLLOWING)', after))
    if (offset.kind === 'literal') checkFrameOffset(unit, offset.value, (m) => this.error(offset.pos, m))
    if (this.acceptWord('PRECEDING')) return { kind: 'preceding', offset, pos }
    if (this.acceptWord('FOLLOWING')) return { kind: 'following', offset, pos }
    return this.fail('PRECEDING or FOLLOWING', 'the frame offset')
  }

  /** `expr [ASC | DESC] [NULLS FIRST | NULLS LAST], …` after ORDER BY; `windows`: a SELECT's own, which may hold window functions. */
  protected orderTerms(windows = false): OrderTerm[] {
    const terms: OrderTerm[] = []
    do {
      const at = this.peek()
      const expr = windows ? this.windowedExpr() : this.expr(null)
      const descending = this.acceptWord('DESC')
      if (!descending) this.acceptWord('ASC')
      let nulls: 'FIRST' | 'LAST' | undefined
      if (this.acceptWord('NULLS')) {
        if (this.acceptWord('FIRST')) nulls = 'FIRST'
        else if (this.acceptWord('LAST')) nulls = 'LAST'
        else this.fail('FIRST or LAST', 'NULLS')
      }
      terms.push({ expr, descending, ...(nulls === undefined ? {} : { nulls }), pos: posOf(at) })
    } while (this.acceptPunct(','))
    return terms
  }

  private aggregate(t: Token, f: FunctionExpr): FunctionExpr {
    if (this.noAggregatesIn !== null) this.error(t, `aggregate function ${f.name} is not allowed in ${this.noAggregatesIn}`)
    if (this.inAggregate) this.error(t, `aggregate function ${f.name} cannot be nested in another aggregate`)
    // MIN/MAX arguments were parsed before knowing they were an aggregate: check for nesting now.
    if (f.args.some(containsAggregate)) this.error(t, `aggregate functions cannot be nested`)
    return f
  }
}

/** Frame bounds from first to last: a frame may not end at one before the one it starts at. */
const FRAME_BOUND_ORDER: readonly FrameBound['kind'][] = ['unbounded-preceding', 'preceding', 'current-row', 'following', 'unbounded-following']

export function frameBoundText(b: FrameBound): string {
  switch (b.kind) {
    case 'unbounded-preceding': return 'UNBOUNDED PRECEDING'
    case 'unbounded-following': return 'UNBOUNDED FOLLOWING'
    case 'current-row': return 'CURRENT ROW'
    default: return `n ${b.kind.toUpperCase()}`
  }
}

/**
 * A frame offset must be a non-negative integer for ROWS and GROUPS and a non-negative number for RANGE
 * (SQLite's rule, checked here so that the error has a position); `fail` reports the message.
 */
/** A RANGE frame with an offset needs exactly one ORDER BY term in its window (`terms`), as SQLite says. */
export function checkRangeOrder(frame: WindowFrame, terms: number, fail: (message: string) => never): void {
  if (frame.unit === 'RANGE' && (frame.start.offset !== null || frame.end.offset !== null) && terms !== 1) {
    fail(`RANGE with an offset (n PRECEDING or FOLLOWING) needs exactly one ORDER BY term in the window, it has ${terms}`)
  }
}

export function checkFrameOffset(unit: WindowFrame['unit'], v: SqlValue, fail: (message: string) => never): void {
  const ok = unit === 'RANGE' ? (typeof v === 'bigint' && v >= 0n) || (typeof v === 'number' && v >= 0) : typeof v === 'bigint' && v >= 0n
  if (!ok) fail(`a ${unit} frame offset must be a non-negative ${unit === 'RANGE' ? 'number' : 'integer'}`)
}

export function containsAggregate(e: SqlExpr): boolean {
  switch (e.kind) {
    // A subquery's aggregates are its own: they do not make the query around it an aggregate.
    case 'literal': case 'param': case 'column': case 'subquery': case 'exists': return false
    case 'in-select': return containsAggregate(e.operand)
    case 'unary': return containsAggregate(e.operand)
    case 'binary': return containsAggregate(e.left) || containsAggregate(e.right)
    case 'in': return containsAggregate(e.operand) || e.list.some(containsAggregate)
    case 'between': return containsAggregate(e.operand) || containsAggregate(e.low) || containsAggregate(e.high)
    case 'like': return containsAggregate(e.operand) || containsAggregate(e.pattern) || (e.escape !== null && containsAggregate(e.escape))
    case 'function':
      return e.aggregate || e.args.some(containsAggregate) || (e.filter !== undefined && containsAggregate(e.filter)) ||
        (e.over !== undefined && (e.over.partitionBy.some(containsAggregate) || e.over.orderBy.some((o) => containsAggregate(o.expr))))
    case 'cast': return containsAggregate(e.operand)
    case 'collate': return containsAggregate(e.operand)
    case 'case':
      return (e.operand !== null && containsAggregate(e.operand)) || e.whens.some((w) => containsAggregate(w.when) || containsAggregate(w.then)) ||
        (e.otherwise !== null && containsAggregate(e.otherwise))
  }
}

/** The type names CREATE TABLE takes as aliases, which CAST takes too (CAST(x AS BIGINT) is an INTEGER). */
const CAST_TYPE_ALIASES: ReadonlyMap<string, string> = new Map([['INT', 'INTEGER'], ['BIGINT', 'INTEGER'], ['DOUBLE', 'REAL'], ['FLOAT', 'REAL']])
