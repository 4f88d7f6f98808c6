// Tab completion in the REPL: SQL keywords, meta-commands, the names the server's catalog holds (tables,
// their columns, functions), in the case the user started typing, \set's variables after `:`, and file
// names after the meta-commands that take a FILE (file-completion.ts). The catalog is read with
// SHOW TABLES, DESCRIBE and SHOW FUNCTIONS when Tab is first pressed after a statement ran (any
// statement may have been DDL), and kept until the next one.

import { AGGREGATE_FUNCTIONS, CAST_TYPES, SCALAR_FUNCTIONS, WINDOW_FUNCTIONS } from '../sql/ast.js'
import { fileCandidates, type ListDir } from './file-completion.js'
import { META_COMMAND_NAMES } from './meta-commands.js'

export const SQL_KEYWORDS = [
  'SELECT', 'DISTINCT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'ASC', 'DESC', 'LIMIT', 'OFFSET',
  'AND', 'OR', 'NOT', 'IS', 'IN', 'LIKE', 'BETWEEN', 'NULL', 'AS', 'INSERT', 'INTO', 'VALUES', 'REPLACE',
  'UPDATE', 'SET', 'DELETE', 'TRUNCATE', 'CREATE', 'TABLE', 'DROP', 'ALTER', 'IF', 'EXISTS', 'PRIMARY', 'KEY', 'DEFAULT',
  'PARTITIONS', 'FUNCTION', 'WASM', 'FILE', 'BASE64', 'EXPORT', 'WITH', 'FUEL', 'MEMORY', 'CALL', 'SHOW',
  'TABLES', 'FUNCTIONS', 'COLUMNS', 'STATS', 'LOGS', 'DESCRIBE', 'EXPLAIN', 'BEGIN', 'COMMIT', 'ROLLBACK', 'INTEGER', 'TEXT', 'REAL',
  'BLOB', 'COUNT', 'SUM', 'TOTAL', 'MIN', 'MAX', 'AVG', 'ESCAPE', 'TRUE', 'FALSE', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'NULLS', 'FIRST', 'LAST', 'IGNORE',
  'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS', 'NATURAL', 'ON', 'USING', 'UNION', 'ALL', 'INTERSECT', 'EXCEPT',
  'GLOB', 'COLLATE', 'NOCASE', 'GROUP_CONCAT', 'STRING_AGG', 'JSON_GROUP_ARRAY', 'JSON_GROUP_OBJECT', 'JSON_EXTRACT', 'JSON_OBJECT', 'JSON_ARRAY', 'CLUSTER',
  'OVER', 'PARTITION', 'ROWS', 'RANGE', 'GROUPS', 'UNBOUNDED', 'PRECEDING', 'FOLLOWING', 'CURRENT', 'ROW',
  'ROW_NUMBER', 'RANK', 'DENSE_RANK', 'PERCENT_RANK', 'CUME_DIST', 'NTILE', 'LAG', 'LEAD', 'FIRST_VALUE', 'LAST_VALUE', 'NTH_VALUE', 'RECURSIVE',
  'CONFLICT', 'DO', 'NOTHING', 'EXCLUDED', 'FILTER', 'WINDOW', 'RETURNING', 'INDEX', 'INDEXES', 'ADD', 'COLUMN', 'RENAME', 'TO',
  'CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'NOW', 'DATE', 'TIME', 'DATETIME', 'JULIANDAY', 'UNIXEPOCH', 'STRFTIME', 'TIMEDIFF',
]

/**
 * What Tab completes as words of SQL: the keywords above and every function the SQL offers, read from the
 * parser's own tables so that none is left out (COALESCE, LENGTH, SUBSTR, … completed to nothing).
 */
const SQL_WORDS: readonly string[] = [...new Set([
  ...SQL_KEYWORDS, ...SCALAR_FUNCTIONS.keys(), ...AGGREGATE_FUNCTIONS, ...WINDOW_FUNCTIONS.keys(), ...CAST_TYPES,
])]

/** Kept in one place with the handlers (meta-commands.ts), so Tab offers exactly what runs. */
export const META_COMMANDS = META_COMMAND_NAMES

export interface CatalogNames {
  readonly tables: readonly string[]
  /** Table (as the catalog spells it) → its columns. */
  readonly columns: ReadonlyMap<string, readonly string[]>
  readonly functions: readonly string[]
}

export const NO_NAMES: CatalogNames = { tables: [], columns: new Map(), functions: [] }

/** Tables whose columns are read for completion; a larger catalog completes the rest's names only. */
export const COMPLETION_TABLES_MAX = 200

/**
 * Where a table name comes next (`FROM ` then Tab, `TRUNCATE `, `DROP TABLE IF EXISTS `, `CREATE INDEX i ON `,
 * `SHOW COLUMNS IN `, `\d `, `\copy `): the tables, as psql lists them. `DESC` is DESCRIBE only where a
 * statement starts (emptyWordCandidates); elsewhere it is a direction.
 */
const TABLE_EXPECTED = /(?:\b(?:FROM|JOIN|INTO|UPDATE|TABLE|DESCRIBE|TRUNCATE)|\bTABLE\s+IF\s+EXISTS|\bINDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+ON|\bSHOW\s+COLUMNS\s+IN|^\s*\\(?:d|dt)\+?|^\s*\\copy)\s+$/i
/** `DESC ` at the start of a statement (the line's, or after a `;` on it). */
const DESC_STATEMENT = /(?:^|;)\s*DESC\s+$/i
/** Where a function name comes next (`CALL `, `DROP FUNCTION [IF EXISTS] `, `\df `). */
const FUNCTION_EXPECTED = /(?:\bCALL|\bDROP\s+FUNCTION(?:\s+IF\s+EXISTS)?|^\s*\\df\+?)\s+$/i

/**
 * Tab before any letter of a word: the names that fit there (tables after FROM, JOIN, INTO, UPDATE,
 * TABLE [IF EXISTS], TRUNCATE, CREATE INDEX … ON, DESCRIBE, SHOW COLUMNS IN, a statement's first DESC, \d, \dt
 * or \copy; functions after CALL, DROP FUNCTION [IF EXISTS] or \df), else none: every keyword would be noise.
 * `before`: the statement's text on the lines typed before `line`.
 */
function emptyWordCandidates(line: string, names: CatalogNames, before: string): string[] {
  if (FUNCTION_EXPECTED.test(line)) return [...names.functions].sort()
  if (TABLE_EXPECTED.test(line)) return [...names.tables].sort()
  if (DESC_STATEMENT.test(line) && (before.trim() === '' || !/^\s*DESC/i.test(line))) return [...names.tables].sort()
  return []
}

/** A variable reference being typed at the end of a line: `:na`, `:'na`, `:"na` (not a cast's `::`). */
const VARIABLE_REFERENCE = /(?<!:):(['"]?)([A-Za-z0-9_]*)$/
/** A variable's name being typed as the first argument of \set or \unset. */
const VARIABLE_NAME_ARGUMENT = /^\s*\\(?:set|unset)\s+([A-Za-z0-9_]*)$/

/**
 * The variables (variables.ts) that complete a reference or a \set/\unset argument at the end of `line`,
 * as psql's: `:na` → `:name`, `:'na` → `:'name'` (the quote closed); null when the line ends in neither.
 * Names are compared in their case: psql's variables are case-sensitive.
 */
function variableCandidates(line: string, variables: readonly string[]): [string[], string] | null {
  const argument = VARIABLE_NAME_ARGUMENT.exec(line)
  if (argument !== null) {
    const typed = argument[1] as string
    return [variables.filter((v) => v.startsWith(typed)).sort(), typed]
  }
  const reference = VARIABLE_REFERENCE.exec(line)
  if (reference === null) return null
  const quote = reference[1] as string
  const typed = reference[2] as string
  return [variables.filter((v) => v.startsWith(typed)).sort().map((v) => `:${quote}${v}${quote}`), `:${quote}${typed}`]
}

/** What completion reads besides the line: the REPL's state, and the files for a meta-command's FILE. */
export interface CompletionContext {
  /** The statement being typed on the lines before the line (the REPL's continuation lines). */
  readonly before?: string
  /** Where file names are relative to, and how a directory is read (none: no file names complete). */
  readonly files?: { readonly baseDir: string; readonly list: ListDir }
}

/**
 * readline's completer result for `line`: the candidates, and the word they complete. `variables`: the
 * names \set has set, for `:name` and \set/\unset; `context.before`, so that a `DESC` that goes on an ORDER
 * BY typed on the line before is no DESCRIBE; `context.files`, for the FILE of \i, \o, \s, \g and \copy.
 */
export function complete(line: string, names: CatalogNames, variables: readonly string[] = [], context: CompletionContext = {}): [string[], string] {
  const variable = variableCandidates(line, variables)
  if (variable !== null) return variable
  const files = context.files === undefined ? null : fileCandidates(line, context.files.baseDir, context.files.list)
  if (files !== null) return files
  if (/^\s*\\\S*$/.test(line)) {
    const word = line.trim()
    return [META_COMMANDS.filter((m) => m.startsWith(word)).sort(), word]
  }
  const word = /[A-Za-z_][A-Za-z0-9_$.]*$/.exec(line)?.[0] ?? ''
  if (word === '') return [emptyWordCandidates(line, names, context.before ?? ''), '']
  const lower = word.toLowerCase()
  const out = new Set<string>()
  const dot = word.indexOf('.')
  if (dot >= 0) {
    // `t.` completes t's columns and the functions of table t.
    const qualifier = lower.slice(0, dot)
    for (const [table, cols] of names.columns) {
      if (table.toLowerCase() === qualifier) for (const c of cols) out.add(`${word.slice(0, dot)}.${c}`)
    }
    for (const f of names.functions) out.add(f)
  } else {
    // Keywords in the case the user types them (upper case unless the word is all lower case).
    const upper = word !== lower || !/[a-z]/.test(word)
    for (const k of SQL_WORDS) out.add(upper ? k : k.toLowerCase())
    for (const t of names.tables) out.add(t)
    for (const cols of names.columns.values()) for (const c of cols) out.add(c)
    for (const f of names.functions) out.add(f)
  }
  return [[...out].filter((c) => c.toLowerCase().startsWith(lower)).sort(), word]
}

/** Reads the catalog's names through `query` (one SQL statement → its rows); stale after every statement. */
export class CatalogNamesCache {
  private names: CatalogNames | null = null

  constructor(private readonly query: (sql: string) => Promise<readonly (readonly unknown[])[]>) {}

  /** Any statement may have changed the catalog. */
  invalidate(): void {
    this.names = null
  }

  /** The names, read now if stale; NO_NAMES when the server cannot be asked. */
  async get(): Promise<CatalogNames> {
    if (this.names !== null) return this.names
    try {
      const tables = (await this.query('SHOW TABLES')).map((r) => String(r[0]))
      const columns = new Map<string, string[]>()
      for (const t of tables.slice(0, COMPLETION_TABLES_MAX)) {
        columns.set(t, (await this.query(`DESCRIBE "${t.replace(/"/g, '""')}"`)).map((r) => String(r[0])))
      }
      const functions = (await this.query('SHOW FUNCTIONS')).map((r) => String(r[0]))
      this.names = { tables, columns, functions }
    } catch {
      return NO_NAMES
    }
    return this.names
  }
}
