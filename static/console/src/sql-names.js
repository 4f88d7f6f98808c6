// Names written into SQL text by the page (sidebar clicks, completion, upload): bare when the parser reads
// them bare, else "quoted". Names are letters, digits and `_` and case-insensitive (docs/sql.md
// "Identifiers"), so `Qty` stays as it is; only the reserved words need quotes, e.g. a column `"select"`.

/** src/sql/parser.ts RESERVED_WORDS (test/unit/console-sql-names.test.ts keeps the two equal). */
export const RESERVED_WORDS = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'BY', 'HAVING', 'LIMIT', 'OFFSET', 'AND', 'OR', 'NOT', 'IS', 'IN',
  'LIKE', 'BETWEEN', 'NULL', 'TRUE', 'FALSE', 'AS', 'DISTINCT', 'ALL', 'ASC', 'DESC', 'VALUES', 'SET', 'CASE',
  'WHEN', 'THEN', 'ELSE', 'END', 'JOIN', 'ON', 'UNION',
])

/**
 * The SQL functions the editor highlights and completes: src/sql/ast.ts's aggregate, scalar and window
 * functions, and the clocks written without parentheses (test/unit/console-sql-names.test.ts keeps them equal).
 */
export const BUILTIN_NAMES = [
  'count', 'sum', 'total', 'min', 'max', 'avg', 'group_concat', 'string_agg', 'json_group_array', 'json_group_object',
  'abs', 'length', 'lower', 'upper', 'typeof', 'coalesce', 'ifnull', 'nullif', 'iif', 'round', 'sign', 'substr',
  'trim', 'ltrim', 'rtrim', 'replace', 'instr', 'hex', 'quote', 'unicode', 'char', 'concat', 'concat_ws', 'octet_length', 'unhex',
  'sqrt', 'floor', 'ceil', 'ceiling', 'trunc', 'mod', 'pi',
  'json', 'json_valid', 'json_type', 'json_quote', 'json_extract', 'json_array', 'json_object', 'json_array_length',
  'json_insert', 'json_replace', 'json_set', 'json_remove', 'json_patch',
  'now', 'date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime', 'timediff', 'current_timestamp', 'current_date', 'current_time',
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
]

const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A double-quoted identifier, as the SQL lexer reads it. */
export function quoteIdentifier(name) {
  return '"' + name.replace(/"/g, '""') + '"'
}

/** `name` as SQL: quoted when, and only when, it cannot be written bare. */
export function sqlName(name) {
  return BARE.test(name) && !RESERVED_WORDS.has(name.toUpperCase()) ? name : quoteIdentifier(name)
}

/** A function's `table.function` name as SQL, each part quoted only if it must be. */
export function sqlFunctionName(name) {
  const dot = name.indexOf('.')
  return dot < 0 ? sqlName(name) : `${sqlName(name.slice(0, dot))}.${sqlName(name.slice(dot + 1))}`
}
