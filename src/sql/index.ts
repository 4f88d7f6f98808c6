// Acheron's SQL front end: script → statements → typed AST, and back to safe SQLite SQL for SELECTs.
export type * from './ast.js'
export { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS } from './ast.js'
export { splitScript, SCRIPT_CHARS_MAX, STATEMENTS_MAX, type RawStatement } from './split.js'
export { parseScript, parseScriptCached, parseStatement, TYPE_NAMES } from './parse.js'
export { EXPR_DEPTH_MAX, OPERATORS_MAX, RESERVED_WORDS } from './parser.js'
export { groupTransactions, type Unit } from './transactions.js'
export { pointKey } from './query.js'
export { renderSelect, renderExpr, quoteIdentifier, type RenderOptions, type RenderedSql, type RenderedSelect } from './render.js'
