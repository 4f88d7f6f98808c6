import { AcheronError } from '../errors.js'
import type { SqlValue } from '../values.js'
import type { ClockKind } from './clock.js'

export type ColumnType = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | 'BOOLEAN'
export const COLUMN_TYPES: readonly ColumnType[] = ['INTEGER', 'REAL', 'TEXT', 'BLOB', 'BOOLEAN']

export interface ColumnDef {
  readonly name: string
  readonly type: ColumnType
  readonly notNull: boolean
  /** The value a new row takes when the column is not written (already coerced to the column type). */
  readonly default: SqlValue
  /**
   * `DEFAULT CURRENT_TIMESTAMP` (`CURRENT_DATE`, `CURRENT_TIME`): a new row takes that clock's text at its
   * batch's time (src/schema/clock.ts); `default` is then NULL. TEXT columns only.
   */
  readonly defaultClock?: ClockKind
  /**
   * Set by ALTER TABLE … DROP COLUMN, as PostgreSQL marks a dropped attribute: the column keeps its
   * place (row images everywhere — in memory, in the log's executions, in a lagging checkpoint — are
   * positional, so no row is rewritten), is renamed `droppedColumnName(place)`, takes NULL (a NOT NULL one: a value of its type) in new rows,
   * and no name, `*`, positional INSERT, DESCRIBE or function sees it.
   */
  readonly dropped?: true
}

/** The name a dropped column takes in the catalog and in the checkpoint: not an identifier, so no statement can name it. */
export function droppedColumnName(place: number): string {
  return `$dropped${place}`
}

/** The columns statements see, with their places in row images: every column not dropped. */
export function visibleColumns(table: TableDef): { readonly column: ColumnDef; readonly place: number }[] {
  const out: { column: ColumnDef; place: number }[] = []
  table.columns.forEach((column, place) => {
    if (column.dropped !== true) out.push({ column, place })
  })
  return out
}

/** The names of the columns statements see, in order. */
export function visibleColumnNames(table: TableDef): string[] {
  return visibleColumns(table).map((c) => c.column.name)
}

export interface TableDef {
  readonly name: string
  readonly columns: readonly ColumnDef[]
  /** Index into `columns` of the single primary-key column (INTEGER or TEXT). */
  readonly keyIndex: number
  readonly partitions: number
  /**
   * Secondary indexes (CREATE INDEX), in the order they were made. They serve the queries and scans the
   * state thread runs over the partition tables; they change no result. Absent in catalogs written
   * before indexes existed: read it with `indexesOf`.
   */
  readonly indexes?: readonly IndexDef[]
}

/** One column of an index, as the table declares its name, and its order. */
export interface IndexColumn {
  readonly name: string
  readonly desc: boolean
}

/** CREATE INDEX name ON table (columns): one SQLite index on each partition table of its table. */
export interface IndexDef {
  readonly name: string
  readonly columns: readonly IndexColumn[]
}

export function indexesOf(table: TableDef): readonly IndexDef[] {
  return table.indexes ?? []
}

/**
 * `table` with its column `from` (any case) named `to`, in its indexes' column lists too, as SQLite's
 * ALTER TABLE … RENAME COLUMN renames it in a table and its indexes.
 */
export function withColumnRenamed(table: TableDef, from: string, to: string): TableDef {
  const name = (n: string) => (n.toLowerCase() === from.toLowerCase() ? to : n)
  return {
    ...table,
    columns: table.columns.map((c) => ({ ...c, name: name(c.name) })),
    ...(table.indexes === undefined ? {} : { indexes: table.indexes.map((x) => ({ ...x, columns: x.columns.map((c) => ({ ...c, name: name(c.name) })) })) }),
  }
}

/** The table an index (by name, any case) belongs to, with the index; undefined when no table has it. */
export function findIndex(tables: Iterable<TableDef>, name: string): { table: TableDef; index: IndexDef } | undefined {
  const lower = name.toLowerCase()
  for (const table of tables) {
    const index = indexesOf(table).find((i) => i.name.toLowerCase() === lower)
    if (index !== undefined) return { table, index }
  }
  return undefined
}

/** Indexes one table may have: each is written by every checkpoint of the table's rows. */
export const INDEXES_PER_TABLE_MAX = 16
/** Columns one index may name (SQLite's own limit is far above; past a few, an index rarely helps). */
export const INDEX_COLUMNS_MAX = 8

/** Which runtime executes a function body. Only `wasm` is reachable from SQL and the wire. */
export type RuntimeKind = 'wasm' | 'js'

export interface FunctionLimits {
  /** Fuel for a whole call chain started at this function, about one unit per instruction. */
  readonly fuel: number
  /** Upper bound on the guest's linear memory in bytes. */
  readonly memoryBytes: number
}

export interface FunctionDef extends FunctionLimits {
  /** `table.function` */
  readonly name: string
  readonly table: string
  readonly exportName: string
  readonly runtime: RuntimeKind
  /** SHA-256 hex of the module bytes; the bytes themselves live in the catalog's module store. */
  readonly moduleHash: string
}

export const FUEL_DEFAULT = 10_000_000
export const FUEL_MAX = 1_000_000_000
export const MEMORY_BYTES_DEFAULT = 16 * 1024 * 1024
export const MEMORY_BYTES_MAX = 256 * 1024 * 1024
export const PARTITIONS_MAX = 256
export const COLUMNS_MAX = 128
export const IDENTIFIER_LENGTH_MAX = 64

/** A function's name, `table.function`, is at most this long. */
export const FUNCTION_NAME_LENGTH_MAX = 2 * IDENTIFIER_LENGTH_MAX + 1
/**
 * Spellings remembered per lookup cache (tables, functions, the columns of one table). Names come from
 * guests (`col`, `call_begin`) and a name has as many spellings as case variants, so only hits are
 * remembered, and only this many: past it, lookups still work, uncached.
 */
export const LOOKUP_CACHE_ENTRIES_MAX = 1024

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Table-name prefixes the storage reserves (case-insensitive): SQLite refuses to create tables named
 * `sqlite_…`, and `_acheron…` is the engine's own (`_acheron_meta`, `_acheron_modules`).
 */
export const RESERVED_TABLE_PREFIXES = ['sqlite_', '_acheron'] as const

/** The reserved prefix a table name starts with, or null. */
export function reservedTablePrefix(name: string): string | null {
  const lower = name.toLowerCase()
  return RESERVED_TABLE_PREFIXES.find((p) => lower.startsWith(p)) ?? null
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size < LOOKUP_CACHE_ENTRIES_MAX) cache.set(key, value)
}

/** A name for an error message: a name too long to be one is not echoed whole. */
export function shownName(name: string, max: number): string {
  return name.length <= max ? name : `${name.slice(0, IDENTIFIER_LENGTH_MAX)}… (a name of ${name.length} characters, longer than any)`
}

/** Whether `name` may name a table, column or function (checkIdentifier's rule, without the reserved prefixes). */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.length <= IDENTIFIER_LENGTH_MAX
}

export function checkIdentifier(kind: string, name: string): void {
  if (!isIdentifier(name)) {
    throw new AcheronError('SYNTAX_ERROR', `invalid ${kind} name '${name}': use letters, digits and _ (at most ${IDENTIFIER_LENGTH_MAX}), not starting with a digit`)
  }
  // An index's name names SQLite indexes in every partition (`name$iP`), and shares the tables' namespace.
  const reserved = kind === 'table' || kind === 'index' ? reservedTablePrefix(name) : null
  if (reserved !== null) throw new AcheronError('SYNTAX_ERROR', `invalid ${kind} name '${name}': names starting with '${reserved}' are reserved for the storage`)
}

/**
 * An immutable view of every table and function, with a version that increases with each DDL batch.
 * Plain data, so that it crosses to worker threads by structured clone.
 */
export interface CatalogData {
  readonly version: number
  readonly tables: readonly TableDef[]
  readonly functions: readonly FunctionDef[]
}

export class Catalog {
  readonly version: number
  readonly tables: ReadonlyMap<string, TableDef>
  readonly functions: ReadonlyMap<string, FunctionDef>
  private readonly columnIndexes = new Map<TableDef, ReadonlyMap<string, number>>()
  /** Lookups by the spelling callers use, so the hot path lower-cases each name once. */
  private readonly tableBySpelling = new Map<string, TableDef>()
  private readonly functionBySpelling = new Map<string, FunctionDef>()
  private readonly columnBySpelling = new Map<TableDef, Map<string, number>>()

  constructor(readonly data: CatalogData) {
    this.version = data.version
    // Names are case-insensitive, as SQL identifiers are; they are stored as declared.
    this.tables = new Map(data.tables.map((t) => [t.name.toLowerCase(), t]))
    this.functions = new Map(data.functions.map((f) => [f.name.toLowerCase(), f]))
    for (const t of data.tables) {
      // A dropped column has no name statements can use (droppedColumnName).
      this.columnIndexes.set(t, new Map(visibleColumns(t).map((c) => [c.column.name.toLowerCase(), c.place])))
    }
  }

  static empty(): Catalog {
    return new Catalog({ version: 0, tables: [], functions: [] })
  }

  // Lookups check the length first: a longer name cannot match, and lower-casing it would cost its size.

  table(name: string): TableDef {
    let t = this.tableBySpelling.get(name)
    if (t === undefined) {
      if (name.length <= IDENTIFIER_LENGTH_MAX) t = this.tables.get(name.toLowerCase())
      if (t === undefined) throw new AcheronError('UNKNOWN_TABLE', `no such table: ${shownName(name, IDENTIFIER_LENGTH_MAX)}`)
      remember(this.tableBySpelling, name, t)
    }
    return t
  }

  function(name: string): FunctionDef {
    let f = this.functionBySpelling.get(name)
    if (f === undefined) {
      if (name.length <= FUNCTION_NAME_LENGTH_MAX) f = this.functions.get(name.toLowerCase())
      if (f === undefined) throw new AcheronError('UNKNOWN_FUNCTION', `no such function: ${shownName(name, FUNCTION_NAME_LENGTH_MAX)}${this.missingTableHint(name)}`)
      remember(this.functionBySpelling, name, f)
    }
    return f
  }

  /** Why `name` names no function when its table is what is missing (`CALL nope.f`): ', there is no table nope'. */
  private missingTableHint(name: string): string {
    const dot = name.indexOf('.')
    if (dot <= 0 || name.length > FUNCTION_NAME_LENGTH_MAX) return ''
    const table = name.slice(0, dot)
    return this.tables.has(table.toLowerCase()) ? '' : `; there is no table ${table}`
  }

  /** Column index by name, or -1 (always for a dropped column). */
  columnIndex(table: TableDef, column: string): number {
    let bySpelling = this.columnBySpelling.get(table)
    if (bySpelling === undefined) {
      bySpelling = new Map()
      this.columnBySpelling.set(table, bySpelling)
    }
    let i = bySpelling.get(column)
    if (i === undefined) {
      if (column.length > IDENTIFIER_LENGTH_MAX) return -1
      i = this.columnIndexes.get(table)?.get(column.toLowerCase()) ?? -1
      if (i >= 0) remember(bySpelling, column, i)
    }
    return i
  }

  /** Spellings cached by the lookups (for tests: misses are never cached, hits are bounded). */
  cachedLookups(): number {
    let n = this.tableBySpelling.size + this.functionBySpelling.size
    for (const m of this.columnBySpelling.values()) n += m.size
    return n
  }

  /** Tables sorted by name: the order every deterministic walk over tables uses. */
  sortedTables(): TableDef[] {
    return [...this.data.tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
}
