import { createHash } from 'node:crypto'
import { AcheronError } from '../errors.js'
import {
  COLUMNS_MAX, FUEL_DEFAULT, FUEL_MAX, INDEX_COLUMNS_MAX, INDEXES_PER_TABLE_MAX, MEMORY_BYTES_DEFAULT, MEMORY_BYTES_MAX, PARTITIONS_MAX,
  checkIdentifier, droppedColumnName, findIndex, indexesOf, withColumnRenamed, type Catalog, type CatalogData, type ColumnDef, type FunctionDef, type FunctionLimits, type IndexColumn, type IndexDef, type RuntimeKind, type TableDef,
} from '../schema/catalog.js'
import { coerceToColumn } from './coerce.js'
import { noteFailedValue } from './failure.js'
import type { SqlValue } from '../values.js'
import type { FunctionRuntime } from '../schema/function-runtime.js'
import type { DdlTxn } from './types.js'

/** What a DDL transaction changes, or nothing (IF [NOT] EXISTS no-ops). */
export interface DdlEffect {
  /** The catalog after it. */
  readonly catalog?: CatalogData
  readonly createdTables?: readonly TableDef[]
  readonly droppedTables?: readonly TableDef[]
  /** Tables whose rows stay and move to a new number of partitions (their new definitions). */
  readonly repartitionedTables?: readonly TableDef[]
  readonly addedModules?: readonly (readonly [hash: string, bytes: Uint8Array])[]
  /**
   * Modules no function runs any more: collected here, at the DDL's position, so every replay drops them
   * at the same point; a later CREATE FUNCTION of the same bytes logs them again (Engine.logForm).
   */
  readonly removedModules?: readonly string[]
  /** An IF [NOT] EXISTS that found nothing to do: what it skipped, for the client (psql's NOTICE). */
  readonly notice?: string
}

/** The modules `before`'s functions run and `after`'s do not. */
function unreferenced(before: readonly FunctionDef[], after: readonly FunctionDef[]): string[] {
  const kept = new Set(after.map((f) => f.moduleHash))
  return [...new Set(before.map((f) => f.moduleHash))].filter((h) => !kept.has(h))
}

export interface DdlContext {
  readonly catalog: Catalog
  readonly modules: ReadonlyMap<string, Uint8Array>
  readonly runtimes: ReadonlyMap<RuntimeKind, FunctionRuntime>
  readonly defaultPartitions: number
  /** EngineFaults.addReusesDroppedPlace. */
  readonly addReusesDroppedPlace?: boolean
}

/**
 * After "NAME already exists": how the existing one is spelt, when that differs from the name typed. Names are
 * case-insensitive and kept as declared, and "column V already exists in kv" beside a column v read as wrong.
 */
function spelledAs(typed: string, stored: string): string {
  return typed === stored ? '' : ` (as ${stored}: names are case-insensitive)`
}

/** Applies one DDL transaction to the catalog; throws AcheronError when it cannot. Pure apart from validation. */
export function applyDdl(ctx: DdlContext, ddl: DdlTxn): DdlEffect {
  const { catalog } = ctx
  const next = (tables: readonly TableDef[], functions: readonly FunctionDef[]) => ({ version: catalog.version + 1, tables, functions })
  switch (ddl.kind) {
    case 'create-table': {
      if (catalog.tables.has(ddl.name.toLowerCase())) {
        const stored = catalog.table(ddl.name).name
        if (ddl.ifNotExists) return { notice: `table ${ddl.name} already exists${spelledAs(ddl.name, stored)}, skipping` }
        throw new AcheronError('CONSTRAINT', `table ${ddl.name} already exists${spelledAs(ddl.name, stored)}`)
      }
      if (findIndex(catalog.tables.values(), ddl.name) !== undefined) throw new AcheronError('CONSTRAINT', `${ddl.name} is the name of an index: a table needs a name of its own`)
      const table = tableDef(ddl.name, ddl.columns, ddl.keyColumn, ddl.partitions ?? ctx.defaultPartitions)
      return { catalog: next([...catalog.data.tables, table], catalog.data.functions), createdTables: [table] }
    }
    case 'drop-table': {
      const table = catalog.tables.get(ddl.name.toLowerCase())
      if (table === undefined) {
        if (ddl.ifExists) return { notice: `table ${ddl.name} does not exist, skipping` }
        // Tables and indexes share one namespace: say which one the name is, as PostgreSQL's hint does.
        const index = findIndex(catalog.tables.values(), ddl.name)
        throw new AcheronError('UNKNOWN_TABLE', `no such table: ${ddl.name}${index === undefined ? '' : ` (${index.index.name} is an index of ${index.table.name}: DROP INDEX ${index.index.name})`}`)
      }
      const name = table.name.toLowerCase()
      const functions = catalog.data.functions.filter((f) => f.table.toLowerCase() !== name)
      return {
        catalog: next(catalog.data.tables.filter((t) => t !== table), functions),
        droppedTables: [table],
        removedModules: unreferenced(catalog.data.functions, functions),
      }
    }
    case 'alter-table-partitions': {
      const table = catalog.table(ddl.name)
      if (!Number.isSafeInteger(ddl.partitions) || ddl.partitions < 1 || ddl.partitions > PARTITIONS_MAX) {
        throw new AcheronError('CONSTRAINT', `PARTITIONS must be from 1 to ${PARTITIONS_MAX}, got ${ddl.partitions}`)
      }
      // Already so: nothing moves, and the catalog keeps its version.
      if (ddl.partitions === table.partitions) return {}
      const altered: TableDef = { ...table, partitions: ddl.partitions }
      return { catalog: next(catalog.data.tables.map((t) => (t === table ? altered : t)), catalog.data.functions), repartitionedTables: [altered] }
    }
    case 'alter-table-add-column': {
      const table = catalog.table(ddl.name)
      if (catalog.columnIndex(table, ddl.column.name) >= 0) {
        const stored = (table.columns[catalog.columnIndex(table, ddl.column.name)] as ColumnDef).name
        if (ddl.ifNotExists) return { notice: `column ${ddl.column.name} of ${table.name} already exists${spelledAs(ddl.column.name, stored)}, skipping` }
        // Value 1 of the statement is the column's name, value 0 its DEFAULT (TxnFailure.value): the SQL layer points there.
        noting(1, () => { throw new AcheronError('CONSTRAINT', `column ${ddl.column.name} already exists in ${table.name}${spelledAs(ddl.column.name, stored)}`) })
      }
      // Its default is checked first, so that a refusal points at the one column the statement names.
      coerceDefault(table, ddl.column, 0)
      const altered = tableDef(table.name, [...table.columns, ddl.column], (table.columns[table.keyIndex] as ColumnDef).name, table.partitions)
      const added = altered.columns[altered.columns.length - 1] as ColumnDef
      // Every row there is gets the default: a NOT NULL column needs one (as SQLite asks; PostgreSQL only of a table with rows).
      if (added.notNull && added.default === null) {
        noting(1, () => { throw new AcheronError('CONSTRAINT', `a NOT NULL column added to ${table.name} needs a DEFAULT other than NULL, which every row already there takes`) })
      }
      const reused = ctx.addReusesDroppedPlace === true ? table.columns.findIndex((c) => c.dropped === true) : -1
      const kept: TableDef = { ...table, columns: reused < 0 ? altered.columns : table.columns.map((c, i) => (i === reused ? added : c)) }
      return { catalog: next(catalog.data.tables.map((t) => (t === table ? kept : t)), catalog.data.functions) }
    }
    case 'alter-table-rename-column': {
      const table = catalog.table(ddl.name)
      const i = catalog.columnIndex(table, ddl.column)
      if (i < 0) throw new AcheronError('UNKNOWN_COLUMN', `no such column: ${ddl.column} in table ${table.name}`)
      const j = catalog.columnIndex(table, ddl.to)
      // Value 1 of the statement is its new name (TxnFailure.value), where the SQL layer points.
      noting(1, () => {
        checkIdentifier('column', ddl.to)
        if (j >= 0 && j !== i) throw new AcheronError('CONSTRAINT', `column ${ddl.to} already exists in ${table.name}${spelledAs(ddl.to, (table.columns[j] as ColumnDef).name)}`)
      })
      const from = (table.columns[i] as ColumnDef).name
      // Already so: nothing changes, and the catalog keeps its version. (A change of case alone renames.)
      if (from === ddl.to) return {}
      const renamed = withColumnRenamed(table, from, ddl.to)
      return { catalog: next(catalog.data.tables.map((t) => (t === table ? renamed : t)), catalog.data.functions) }
    }
    case 'alter-table-drop-column': {
      const table = catalog.table(ddl.name)
      const place = catalog.columnIndex(table, ddl.column)
      if (place < 0) {
        if (ddl.ifExists) return { notice: `column ${ddl.column} of ${table.name} does not exist, skipping` }
        throw new AcheronError('UNKNOWN_COLUMN', `no such column: ${ddl.column} in table ${table.name}`)
      }
      const column = table.columns[place] as ColumnDef
      // Refusals about the column are value 0 of the statement (TxnFailure.value): the SQL layer points at it.
      noting(0, () => {
        if (place === table.keyIndex) throw new AcheronError('CONSTRAINT', `cannot drop ${table.name}.${column.name}: it is the table's primary key`)
        const index = indexesOf(table).find((i) => i.columns.some((c) => c.name.toLowerCase() === column.name.toLowerCase()))
        if (index !== undefined) throw new AcheronError('CONSTRAINT', `cannot drop ${table.name}.${column.name}: index ${index.name} names it (DROP INDEX ${index.name} first)`)
      })
      const dropped = droppedColumn(table, column, place)
      const kept: TableDef = { ...table, columns: table.columns.map((c, i) => (i === place ? dropped : c)) }
      return { catalog: next(catalog.data.tables.map((t) => (t === table ? kept : t)), catalog.data.functions) }
    }
    case 'create-index': {
      // Failures about the table are value 0 of the statement, about its i-th column value 1 + i (TxnFailure.value).
      const table = noting(0, () => catalog.table(ddl.table))
      const existing = findIndex(catalog.tables.values(), ddl.name)
      if (existing !== undefined) {
        const stored = existing.index.name
        if (ddl.ifNotExists) return { notice: `index ${ddl.name} already exists${spelledAs(ddl.name, stored)}, skipping` }
        throw new AcheronError('CONSTRAINT', `index ${ddl.name} already exists${spelledAs(ddl.name, stored)}`)
      }
      // Tables and indexes share one namespace, as in PostgreSQL and SQLite.
      if (catalog.tables.has(ddl.name.toLowerCase())) throw new AcheronError('CONSTRAINT', `${ddl.name} is the name of a table: an index needs a name of its own`)
      const index = indexDef(catalog, table, ddl.name, ddl.columns)
      const indexed: TableDef = { ...table, indexes: [...indexesOf(table), index] }
      return { catalog: next(catalog.data.tables.map((t) => (t === table ? indexed : t)), catalog.data.functions) }
    }
    case 'drop-index': {
      const found = findIndex(catalog.tables.values(), ddl.name)
      if (found === undefined) {
        if (ddl.ifExists) return { notice: `index ${ddl.name} does not exist, skipping` }
        // An index is a relation, as in PostgreSQL: an unknown one is UNKNOWN_TABLE, its message says index.
        const table = catalog.tables.get(ddl.name.toLowerCase())
        throw new AcheronError('UNKNOWN_TABLE', `no such index: ${ddl.name}${table === undefined ? '' : ` (${table.name} is a table: DROP TABLE ${table.name})`}`)
      }
      const kept: TableDef = { ...found.table, indexes: indexesOf(found.table).filter((i) => i !== found.index) }
      return { catalog: next(catalog.data.tables.map((t) => (t === found.table ? kept : t)), catalog.data.functions) }
    }
    case 'create-function': {
      const [tableName, fnName, extra] = ddl.name.split('.')
      if (tableName === undefined || fnName === undefined || extra !== undefined) {
        throw new AcheronError('SYNTAX_ERROR', `a function is named table.function, got '${ddl.name}'`)
      }
      return registerFunctions(ctx, tableName, [{ name: fnName, exportName: ddl.exportName }], ddl)
    }
    case 'create-functions': {
      if (ddl.functions.length === 0) throw new AcheronError('INVALID_WASM', `CREATE FUNCTIONS ${ddl.table}: the module exports no function to register (a function is an export of signature () -> ())`)
      if (ddl.functions.length > FUNCTIONS_PER_DDL_MAX) {
        throw new AcheronError('CONSTRAINT', `CREATE FUNCTIONS registers at most ${FUNCTIONS_PER_DDL_MAX} functions at once, got ${ddl.functions.length}`)
      }
      return registerFunctions(ctx, ddl.table, ddl.functions, ddl)
    }
    case 'drop-function': {
      const existing = catalog.functions.get(ddl.name.toLowerCase())
      if (existing === undefined) {
        if (ddl.ifExists) return { notice: `function ${ddl.name} does not exist, skipping` }
        throw new AcheronError('UNKNOWN_FUNCTION', `no such function: ${ddl.name}`)
      }
      const functions = catalog.data.functions.filter((f) => f !== existing)
      return { catalog: next(catalog.data.tables, functions), removedModules: unreferenced(catalog.data.functions, functions) }
    }
  }
}

/** Functions one CREATE FUNCTIONS may register: it is one DDL transaction, validated as a whole. */
export const FUNCTIONS_PER_DDL_MAX = 1024

/**
 * Registers functions of one table from one module, all or none: every one is checked (name, export,
 * limits, the module itself) before the catalog changes.
 */
function registerFunctions(
  ctx: DdlContext, tableName: string, wanted: readonly { readonly name: string; readonly exportName: string }[],
  ddl: { readonly body: Uint8Array; readonly runtime: RuntimeKind; readonly limits: Partial<FunctionLimits>; readonly orReplace: boolean },
): DdlEffect {
  const { catalog } = ctx
  for (const w of wanted) checkIdentifier('function', w.name)
  const table = catalog.table(tableName)
  const fuel = limit('FUEL', ddl.limits.fuel ?? FUEL_DEFAULT, FUEL_MAX)
  const memoryBytes = limit('MEMORY', ddl.limits.memoryBytes ?? MEMORY_BYTES_DEFAULT, MEMORY_BYTES_MAX)
  const runtime = ctx.runtimes.get(ddl.runtime)
  if (runtime === undefined) throw new AcheronError('INVALID_WASM', `no ${ddl.runtime} runtime is loaded`)
  const hash = createHash('sha256').update(ddl.body).digest('hex')
  const replaced = new Set<FunctionDef>()
  const added: FunctionDef[] = []
  const seen = new Set<string>()
  for (const w of wanted) {
    const name = `${table.name}.${w.name}`
    if (seen.has(name.toLowerCase())) throw new AcheronError('CONSTRAINT', `function ${name} is named twice`)
    seen.add(name.toLowerCase())
    const existing = catalog.functions.get(name.toLowerCase())
    if (existing !== undefined && !ddl.orReplace) throw new AcheronError('CONSTRAINT', `function ${name} already exists (use CREATE OR REPLACE)`)
    if (existing !== undefined) replaced.add(existing)
    const fn: FunctionDef = { name, table: table.name, exportName: w.exportName, runtime: ddl.runtime, moduleHash: hash, fuel, memoryBytes }
    runtime.validate({ hash, bytes: ddl.body }, fn)
    added.push(fn)
  }
  const functions = [...catalog.data.functions.filter((f) => !replaced.has(f)), ...added]
  return {
    catalog: { version: catalog.version + 1, tables: catalog.data.tables, functions },
    addedModules: ctx.modules.has(hash) ? [] : [[hash, ddl.body]],
    removedModules: unreferenced(catalog.data.functions, functions),
  }
}

function limit(name: string, v: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new AcheronError('CONSTRAINT', `${name} must be an integer from 1 to ${max}, got ${v}`)
  return v
}

/** A checked index of `table`: a new name, 1 to INDEX_COLUMNS_MAX of its columns (as it spells them), each once. */
function indexDef(catalog: Catalog, table: TableDef, name: string, columns: readonly IndexColumn[]): IndexDef {
  checkIdentifier('index', name)
  if (indexesOf(table).length >= INDEXES_PER_TABLE_MAX) {
    throw new AcheronError('CONSTRAINT', `table ${table.name} has ${INDEXES_PER_TABLE_MAX} indexes, the most a table may have (each is written by every checkpoint): drop one first`)
  }
  if (columns.length === 0 || columns.length > INDEX_COLUMNS_MAX) {
    throw new AcheronError('CONSTRAINT', `an index names 1 to ${INDEX_COLUMNS_MAX} columns, ${name} names ${columns.length}`)
  }
  const seen = new Set<number>()
  const resolved = columns.map((c, at) => noting(1 + at, () => {
    const i = catalog.columnIndex(table, c.name)
    if (i < 0) throw new AcheronError('UNKNOWN_COLUMN', `no such column: ${c.name} in table ${table.name}`)
    if (seen.has(i)) throw new AcheronError('CONSTRAINT', `column ${c.name} is named twice in index ${name}`)
    seen.add(i)
    return { name: (table.columns[i] as ColumnDef).name, desc: c.desc }
  }))
  return { name, columns: resolved }
}

/**
 * `column`, at `place` in `table`, dropped: renamed out of every statement's reach, and filled in new
 * rows with a value the checkpoint's column accepts — NULL, or for a NOT NULL column (SQLite cannot
 * lift the constraint without copying the table) its default, or the zero of its type. Unseen either way.
 */
function droppedColumn(table: TableDef, column: ColumnDef, place: number): ColumnDef {
  const zero: Record<ColumnDef['type'], SqlValue> = { INTEGER: 0n, REAL: 0, TEXT: '', BLOB: new Uint8Array(0), BOOLEAN: 0n }
  const fill = column.notNull ? (column.default ?? zero[column.type]) : null
  return { ...column, name: droppedColumnName(place), default: coerceToColumn(table, column, fill), dropped: true }
}

/** `f()`, a failure of which is noted as about value `index` of the statement (TxnFailure.value). */
function noting<T>(index: number, f: () => T): T {
  try {
    return f()
  } catch (err) {
    noteFailedValue(err, index)
    throw err
  }
}

/**
 * A column's DEFAULT converted to its type. A refusal is noted as about value `index` (TxnFailure.value:
 * the column's place in the statement), so that the SQL layer points at the literal, not at the table.
 */
function coerceDefault(table: TableDef, column: ColumnDef, index: number): SqlValue {
  return noting(index, () => coerceToColumn(table, column, column.default))
}

function tableDef(name: string, columns: readonly ColumnDef[], keyColumn: string, partitions: number): TableDef {
  checkIdentifier('table', name)
  if (columns.length === 0 || columns.length > COLUMNS_MAX) {
    // Dropped columns keep their places, so they count (as in PostgreSQL).
    const dropped = columns.filter((c) => c.dropped === true).length
    throw new AcheronError('CONSTRAINT', `a table has 1 to ${COLUMNS_MAX} columns, ${name} has ${columns.length}${dropped === 0 ? '' : ` (${dropped} of them dropped, which keep their places)`}`)
  }
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > PARTITIONS_MAX) {
    throw new AcheronError('CONSTRAINT', `PARTITIONS must be from 1 to ${PARTITIONS_MAX}, got ${partitions}`)
  }
  const seen = new Set<string>()
  const draft: TableDef = { name, columns, keyIndex: -1, partitions }
  const cols = columns.map((c, i) => {
    if (c.dropped === true) return c
    checkIdentifier('column', c.name)
    // TxnFailure.value: a CREATE TABLE's value i is its i-th column's name, value n + i that column's DEFAULT.
    if (seen.has(c.name.toLowerCase())) noting(i, () => { throw new AcheronError('CONSTRAINT', `column ${c.name} is declared twice in ${name}`) })
    seen.add(c.name.toLowerCase())
    return { ...c, default: coerceDefault(draft, c, columns.length + i) }
  })
  const keyIndex = cols.findIndex((c) => c.name.toLowerCase() === keyColumn.toLowerCase())
  if (keyIndex < 0) throw new AcheronError('UNKNOWN_COLUMN', `primary key column ${keyColumn} is not a column of ${name}`)
  const key = cols[keyIndex] as ColumnDef
  if (key.type !== 'INTEGER' && key.type !== 'TEXT') {
    const err = new AcheronError('TYPE_MISMATCH', `the primary key of ${name} must be INTEGER or TEXT, not ${key.type}`)
    noteFailedValue(err, keyIndex)
    throw err
  }
  cols[keyIndex] = { ...key, notNull: true, default: null }
  return { name, columns: cols, keyIndex, partitions }
}
