// \d and its kin (docs/console.md): the catalog as psql lists it, read with SHOW TABLES, SHOW FUNCTIONS,
// SHOW INDEXES, DESCRIBE t and SELECT COUNT(*), and filtered by psql-style patterns (`*`, `?`, case-insensitive).
import type { Listing } from './render.js'

/** What describing needs of the session: one query's columns and rows (rejects on failure). */
export type CatalogQuery = (sql: string) => Promise<{ readonly columns: readonly string[]; readonly rows: readonly (readonly unknown[])[] }>

/**
 * A psql pattern as a RegExp: `*` any run of characters, `?` one, the rest literal, case-insensitive (as
 * names are here). As in psql, double quotes quote: `\d "select"` names the table select (a reserved word,
 * created as "select"), and inside them `*` and `?` are themselves and `""` is a quote.
 */
export function patternRegExp(pattern: string): RegExp {
  let body = ''
  let quoted = false
  const literal = (c: string): string => c.replace(/[\\^$.|+()[\]{}*?]/g, '\\$&')
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '"') {
      if (quoted && pattern[i + 1] === '"') {
        body += '"'
        i++
      } else {
        quoted = !quoted
      }
    } else if (quoted) body += literal(c)
    else body += c === '*' ? '.*' : c === '?' ? '.' : literal(c)
  }
  return new RegExp(`^${body}$`, 'is')
}

/** `name` quoted as an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function rowsOf(n: number): string {
  return `(${n} ${n === 1 ? 'row' : 'rows'})`
}

/** The rows of `result` as objects by column name (the catalog's column order may grow). */
function records(result: Awaited<ReturnType<CatalogQuery>>): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, j) => [c, row[j]])))
}

function matches(re: RegExp | null, ...names: string[]): boolean {
  return re === null || names.some((n) => re.test(n))
}

/** A function's name without its table (`account.transfer` → `transfer`). */
function shortName(name: string): string {
  return name.slice(name.indexOf('.') + 1)
}

async function tables(query: CatalogQuery, pattern: string | null): Promise<Record<string, unknown>[]> {
  const re = pattern === null ? null : patternRegExp(pattern)
  return records(await query('SHOW TABLES')).filter((t) => matches(re, String(t.name)))
}

async function functions(query: CatalogQuery, pattern: string | null): Promise<Record<string, unknown>[]> {
  const re = pattern === null ? null : patternRegExp(pattern)
  return records(await query('SHOW FUNCTIONS')).filter((f) => matches(re, String(f.name), shortName(String(f.name))))
}

/** \d: the tables and the functions, one line each. */
export async function listRelations(query: CatalogQuery, pattern: string | null): Promise<Listing> {
  const rows = [
    ...(await tables(query, pattern)).map((t) => [t.name, 'table', `${String(t.partitions)} partitions, key ${String(t.key)}`]),
    ...(await functions(query, pattern)).map((f) => [f.name, 'function', `on ${String(f.table)}, export ${String(f.export)}`]),
  ]
  return { title: 'List of tables and functions', grid: { columns: ['name', 'type', 'details'], rows }, footer: rowsOf(rows.length) }
}

/** \dt: the tables, as SHOW TABLES has them. */
export async function listTables(query: CatalogQuery, pattern: string | null): Promise<Listing> {
  const rows = (await tables(query, pattern)).map((t) => [t.name, t.partitions, t.key, t.columns])
  return { title: 'Tables', grid: { columns: ['name', 'partitions', 'key', 'columns'], rows }, footer: rowsOf(rows.length) }
}

/** \df: the functions with their limits; \df+ adds the module's hash. */
export async function listFunctions(query: CatalogQuery, pattern: string | null, plus: boolean): Promise<Listing> {
  const columns = ['name', 'table', 'export', 'runtime', 'fuel', 'memory', ...(plus ? ['module_hash'] : [])]
  const rows = (await functions(query, pattern)).map((f) => columns.map((c) => f[c]))
  return { title: 'Functions', grid: { columns, rows }, footer: rowsOf(rows.length) }
}

async function indexes(query: CatalogQuery): Promise<Record<string, unknown>[]> {
  return records(await query('SHOW INDEXES'))
}

/** \di: the indexes whose name or table matches, as SHOW INDEXES has them. */
export async function listIndexes(query: CatalogQuery, pattern: string | null): Promise<Listing> {
  const re = pattern === null ? null : patternRegExp(pattern)
  const rows = (await indexes(query)).filter((i) => matches(re, String(i.name), String(i.table))).map((i) => [i.name, i.table, i.columns])
  return { title: 'Indexes', grid: { columns: ['name', 'table', 'columns'], rows }, footer: rowsOf(rows.length) }
}

/** DESCRIBE's default, SQL text already ('abc', 2.5); none (NULL) is blank, as psql shows it, whatever \pset null says. */
function defaultText(v: unknown): string {
  return v === null || v === undefined ? '' : String(v)
}

const truthy = (v: unknown): boolean => v === true || v === 1 || v === 1n

/**
 * \d NAME (NAME may be a pattern): each matching table's columns, types, NOT NULL, defaults and key, and
 * its partition count; \d+ adds its row count (SELECT COUNT(*)) and its functions. Empty when none matches.
 */
export async function describeTables(query: CatalogQuery, pattern: string, plus: boolean): Promise<Listing[]> {
  const out: Listing[] = []
  const matched = await tables(query, pattern)
  // Read once for every table described, not once per table.
  const allIndexes = matched.length > 0 ? await indexes(query) : []
  for (const t of matched) {
    const name = String(t.name)
    const rows = records(await query(`DESCRIBE ${quoteIdent(name)}`)).map((c) => [
      c.column, c.type, truthy(c.not_null) ? 'not null' : '', defaultText(c.default), truthy(c.primary_key) ? 'primary key' : '',
    ])
    const notes = [`Partitions: ${String(t.partitions)}`]
    // As psql lists them under a table: one line each, indented.
    const own = allIndexes.filter((i) => String(i.table).toLowerCase() === name.toLowerCase())
    if (own.length > 0) notes.push(['Indexes:', ...own.map((i) => `    ${quoteIdent(String(i.name))} (${String(i.columns)})`)].join('\n'))
    if (plus) {
      const count = (await query(`SELECT COUNT(*) FROM ${quoteIdent(name)}`)).rows[0]?.[0]
      const fns = records(await query('SHOW FUNCTIONS')).filter((f) => String(f.table).toLowerCase() === name.toLowerCase())
      notes.push(`Rows: ${String(count)}`)
      // One line each, as the indexes above: all on one line, a table of a dozen functions ran across the screen.
      notes.push(fns.length === 0 ? 'Functions: (none)' : ['Functions:', ...fns.map((f) => `    ${String(f.name)} (fuel ${String(f.fuel)}, memory ${String(f.memory)})`)].join('\n'))
    }
    out.push({ title: `Table ${quoteIdent(name)}`, grid: { columns: ['column', 'type', 'nullable', 'default', 'key'], rows }, footer: notes.join('\n') })
  }
  return out
}

/**
 * \l: psql's list of databases. A server is one database (no CREATE DATABASE, no \c to switch): one row,
 * the server's URL with its tables and functions counted, and a footer that says so.
 */
export async function listDatabases(query: CatalogQuery, url: string): Promise<Listing> {
  const tableCount = (await tables(query, null)).length
  const functionCount = (await functions(query, null)).length
  return {
    title: 'List of databases',
    grid: { columns: ['url', 'tables', 'functions'], rows: [[url, tableCount, functionCount]] },
    footer: `${rowsOf(1)}  a server is one database: \\dt lists its tables, \\df its functions`,
  }
}
