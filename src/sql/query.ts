// Questions an executor asks of a parsed WHERE clause.
import type { SqlExpr, ValueExpr } from './ast.js'

function isKeyColumn(e: SqlExpr, keyColumn: string): boolean {
  return e.kind === 'column' && e.name.toLowerCase() === keyColumn.toLowerCase()
}

function isValue(e: SqlExpr): e is ValueExpr {
  return e.kind === 'literal' || e.kind === 'param'
}

/**
 * The key a WHERE clause pins, or null: `key = v` or `v = key`, alone or as one term of a chain of ANDs
 * (then the other terms only filter that one row). `v` is a literal or `?`. This is what makes an UPDATE,
 * DELETE or SELECT touch one key instead of every partition (CONTRACT.md §3).
 */
export function pointKey(where: SqlExpr | null, keyColumn: string): ValueExpr | null {
  if (where === null || where.kind !== 'binary') return null
  if (where.op === 'AND') return pointKey(where.left, keyColumn) ?? pointKey(where.right, keyColumn)
  if (where.op !== '=') return null
  if (isKeyColumn(where.left, keyColumn) && isValue(where.right)) return where.right
  if (isKeyColumn(where.right, keyColumn) && isValue(where.left)) return where.left
  return null
}
