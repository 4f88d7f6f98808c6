// The catalog as the page knows it: tables with their columns, partitions and indexes, functions with
// their table, export, fuel and memory. Read over the page's own WebSocket with the statements any client
// has (SHOW TABLES, SHOW FUNCTIONS, SHOW INDEXES, DESCRIBE t; docs/sql.md), in two requests. Each of these statements is a
// read the server answers at a position, so each counts in the server's transaction totals: `statements`
// says how many this page ran, for whoever compares those totals.
import { quoteIdentifier } from './sql-names.js'

/** Tables described per refresh; a larger catalog lists the rest without their columns. */
export const CATALOG_TABLES_DESCRIBED_MAX = 100

function rowsAsObjects(result) {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])))
}

function failure(reply) {
  const e = reply.error ?? {}
  return new Error(`${e.code ?? 'INTERNAL'}: ${e.message ?? 'the catalog could not be read'}`)
}

/** Reads the whole catalog. `request` is the page's WebSocket request function. Rejects with the server's error. */
export async function readCatalog(request) {
  let statements = 3
  const listed = await request({ op: 'sql', sql: 'SHOW TABLES; SHOW FUNCTIONS; SHOW INDEXES;' })
  if (!listed.ok) throw failure(listed)
  const [tablesResult, functionsResult, indexesResult] = listed.results
  const indexes = rowsAsObjects(indexesResult).map((i) => ({ name: String(i.name), table: String(i.table), columns: String(i.columns) }))
  const tables = rowsAsObjects(tablesResult).map((t) => ({
    name: String(t.name), partitions: Number(t.partitions), key: String(t.key), columns: null,
    indexes: indexes.filter((i) => i.table.toLowerCase() === String(t.name).toLowerCase()),
  }))
  const functions = rowsAsObjects(functionsResult).map((f) => ({
    name: String(f.name), table: String(f.table), export: String(f.export), runtime: String(f.runtime),
    fuel: Number(f.fuel), memory: Number(f.memory),
  }))
  const described = tables.slice(0, CATALOG_TABLES_DESCRIBED_MAX)
  if (described.length > 0) {
    const reply = await request({ op: 'sql', sql: described.map((t) => `DESCRIBE ${quoteIdentifier(t.name)};`).join(' ') })
    // A table dropped between the two requests fails the DESCRIBE script; the next refresh catches up.
    if (reply.ok) {
      statements += described.length
      reply.results.forEach((r, i) => {
        described[i].columns = rowsAsObjects(r).map((c) => ({
          name: String(c.column), type: String(c.type), notNull: Boolean(c.not_null), primaryKey: Boolean(c.primary_key),
          default: c.default,
        }))
      })
    }
  }
  tables.sort((a, b) => a.name.localeCompare(b.name))
  functions.sort((a, b) => a.name.localeCompare(b.name))
  return { tables, functions, statements, truncated: tables.length > described.length }
}

/** Whether a script may have changed the catalog (so the page reads it again after running it). */
export function changesCatalog(script) {
  return /\b(CREATE|DROP|ALTER)\b/i.test(script)
}
