import { AcheronError } from '../errors.js'
import type { RowKey } from '../storage/keys.js'
import type { SqlValue } from '../values.js'
import type { ColumnDef, TableDef } from './catalog.js'
import { coerceKey, coerceToColumn, defaultRow } from './coerce.js'
import { LockMiss, TxnState, type BaseReader, type ExecEnv } from './txn-state.js'
import type { DataTxn, Execution, SequencedTxn, TxnResult } from './types.js'

/** Rows one INSERT may carry; bigger loads are split by the client. */
export const INSERT_ROWS_MAX = 1_000_000

/**
 * Executes one transaction against `base`, buffering its writes. Never throws for the transaction's own
 * failures: they become the execution's `failure`, with the footprint that led to them.
 */
export function executeTxn(env: ExecEnv, base: BaseReader, allowed: ReadonlySet<RowKey> | null, txn: SequencedTxn): Execution {
  const state = new TxnState(env, base, allowed)
  try {
    const result = run(state, txn.input)
    const { accessed, writes } = state.finish()
    return { id: txn.id, accessed, writes, result, failure: null, lockMiss: null }
  } catch (err) {
    const accessed = state.accessedSoFar()
    if (err instanceof LockMiss) {
      return { id: txn.id, accessed, writes: [], result: null, failure: null, lockMiss: err.rowKey }
    }
    if (err instanceof AcheronError) {
      return { id: txn.id, accessed, writes: [], result: null, failure: { code: err.code, message: err.message }, lockMiss: null }
    }
    // An engine bug or a host failure: it fails this transaction only, loudly.
    const message = err instanceof Error ? err.message : String(err)
    env.log('engine', `internal error in txn ${txn.id}: ${err instanceof Error ? err.stack : message}`)
    return { id: txn.id, accessed, writes: [], result: null, failure: { code: 'INTERNAL', message }, lockMiss: null }
  }
}

function run(state: TxnState, input: DataTxn): TxnResult {
  const catalog = state.env.catalog
  switch (input.kind) {
    case 'call': {
      const fn = catalog.function(input.fn)
      const value = state.call(fn.name, input.key, input.args, 1, { remaining: fn.fuel })
      return { value, rowsAffected: 0 }
    }
    case 'get': {
      const table = catalog.table(input.table)
      const row = state.read(table, coerceKey(table, input.key))
      return { rows: row === undefined ? [] : [row], rowsAffected: 0 }
    }
    case 'insert': {
      const table = catalog.table(input.table)
      if (input.rows.length > INSERT_ROWS_MAX) {
        throw new AcheronError('CONSTRAINT', `one INSERT carries at most ${INSERT_ROWS_MAX} rows, got ${input.rows.length}`)
      }
      const columns = insertColumns(catalog.columnIndex.bind(catalog), table, input.columns)
      for (const values of input.rows) {
        if (values.length !== columns.length) {
          throw new AcheronError('CONSTRAINT', `${table.name}: ${columns.length} columns but ${values.length} values`)
        }
        const key = coerceKey(table, values[columns.indexOf(table.keyIndex)] ?? null)
        const row = defaultRow(table, key)
        columns.forEach((c, i) => {
          if (c !== table.keyIndex) row[c] = coerceToColumn(table, table.columns[c] as ColumnDef, values[i] as SqlValue)
        })
        if (!input.replace && state.read(table, key) !== undefined) {
          throw new AcheronError('DUPLICATE_KEY', `duplicate key ${String(key)} in ${table.name}`)
        }
        state.write(table, key, row)
      }
      return { rowsAffected: input.rows.length }
    }
  }
}

/** Column indexes an INSERT names, in its order; the key column must be among them. */
function insertColumns(columnIndex: (t: TableDef, c: string) => number, table: TableDef, names: readonly string[] | null): number[] {
  if (names === null) return table.columns.map((_, i) => i)
  const out: number[] = []
  for (const name of names) {
    const i = columnIndex(table, name)
    if (i < 0) throw new AcheronError('UNKNOWN_COLUMN', `${table.name} has no column ${name}`)
    if (out.includes(i)) throw new AcheronError('SYNTAX_ERROR', `column ${name} is named twice`)
    out.push(i)
  }
  if (!out.includes(table.keyIndex)) {
    throw new AcheronError('CONSTRAINT', `INSERT into ${table.name} must give the key column ${(table.columns[table.keyIndex] as ColumnDef).name}`)
  }
  return out
}
