/**
 * A small in-memory stand-in for the engine, for the wasm runtime's tests and benchmark: tables of rows,
 * registered functions, and a call dispatcher that re-enters the runtime with a shared fuel meter.
 * No transactions: writes land at once (tests inspect them after failures on purpose).
 */
import { createHash } from 'node:crypto'
import { AcheronError } from '../../src/errors.js'
import { FUEL_DEFAULT, MEMORY_BYTES_DEFAULT, type ColumnDef, type ColumnType, type FunctionDef, type TableDef } from '../../src/schema/catalog.js'
import { CALL_DEPTH_MAX, type FuelMeter, type FunctionRuntime, type InvocationContext, type ModuleSource } from '../../src/schema/function-runtime.js'
import type { SqlValue } from '../../src/values.js'

export function moduleSource(bytes: Uint8Array): ModuleSource {
  return { hash: createHash('sha256').update(bytes).digest('hex'), bytes }
}

interface FakeTable {
  readonly def: TableDef
  readonly rows: Map<string, SqlValue[]>
}

interface FakeFunction {
  readonly def: FunctionDef
  readonly source: ModuleSource
}

export interface RegisterOptions {
  exportName?: string
  fuel?: number
  memoryBytes?: number
}

const rowKey = (k: SqlValue): string => (typeof k === 'string' ? `t:${k}` : `${typeof k}:${String(k)}`)

export class FakeDb {
  readonly tables = new Map<string, FakeTable>()
  readonly functions = new Map<string, FakeFunction>()
  readonly logs: string[] = []
  /** Every call that reached the dispatcher, outermost first. */
  readonly calls: { name: string; key: SqlValue; args: readonly SqlValue[]; depth: number }[] = []
  /** When set, the next ctx method named here throws this value (to test that errors pass unchanged). */
  throwFrom: { method: keyof InvocationContext; error: unknown } | undefined
  /** What txnTimeMs() answers: the batch's time a real transaction would read. */
  timeMs = 0

  constructor(readonly runtime: FunctionRuntime) {}

  createTable(name: string, columns: [string, ColumnType, SqlValue?, boolean?][]): TableDef {
    const cols: ColumnDef[] = columns.map(([n, type, dflt, notNull]) => ({ name: n, type, default: dflt ?? null, notNull: notNull ?? false }))
    const def: TableDef = { name, columns: cols, keyIndex: 0, partitions: 1 }
    this.tables.set(name, { def, rows: new Map() })
    return def
  }

  register(fnName: string, bytes: Uint8Array, opts: RegisterOptions = {}): FunctionDef {
    const [table, f] = fnName.split('.') as [string, string]
    const source = moduleSource(bytes)
    const def: FunctionDef = {
      name: fnName, table, exportName: opts.exportName ?? f, runtime: 'wasm', moduleHash: source.hash,
      fuel: opts.fuel ?? FUEL_DEFAULT, memoryBytes: opts.memoryBytes ?? MEMORY_BYTES_DEFAULT,
    }
    this.runtime.validate(source, def)
    this.functions.set(fnName, { def, source })
    return def
  }

  row(table: string, key: SqlValue): SqlValue[] | undefined {
    return this.tables.get(table)?.rows.get(rowKey(key))
  }

  put(table: string, row: SqlValue[]): void {
    const t = this.tables.get(table)
    if (t === undefined) throw new Error(`no table ${table}`)
    t.rows.set(rowKey(row[t.def.keyIndex] as SqlValue), [...row])
  }

  /** A top-level call: fresh fuel meter from the function's limit (or `fuel`). */
  call(fnName: string, key: SqlValue, args: readonly SqlValue[] = [], fuel?: number): { value: SqlValue; fuelLeft: number } {
    const f = this.fn(fnName)
    const meter: FuelMeter = { remaining: fuel ?? f.def.fuel }
    const value = this.dispatch(fnName, key, args, 1, meter)
    return { value, fuelLeft: meter.remaining }
  }

  private fn(fnName: string): FakeFunction {
    const f = this.functions.get(fnName)
    if (f === undefined) throw new AcheronError('UNKNOWN_FUNCTION', `no such function: ${fnName}`)
    return f
  }

  private dispatch(fnName: string, key: SqlValue, args: readonly SqlValue[], depth: number, fuel: FuelMeter): SqlValue {
    if (depth > CALL_DEPTH_MAX) throw new AcheronError('CALL_DEPTH_EXCEEDED', `call depth above ${CALL_DEPTH_MAX}`)
    const f = this.fn(fnName)
    this.calls.push({ name: fnName, key, args, depth })
    return this.runtime.invoke(this.context(f, key, args, depth, fuel), f.source)
  }

  context(f: FakeFunction, key: SqlValue, args: readonly SqlValue[], depth: number, fuel: FuelMeter): InvocationContext {
    const t = this.tables.get(f.def.table)
    if (t === undefined) throw new Error(`no table ${f.def.table}`)
    const db = this
    const rk = rowKey(key)
    const check = (method: keyof InvocationContext): void => {
      const th = db.throwFrom
      if (th !== undefined && th.method === method) {
        db.throwFrom = undefined
        throw th.error
      }
    }
    const column = (c: number): ColumnDef => {
      const col = t.def.columns[c]
      if (col === undefined) throw new AcheronError('UNKNOWN_COLUMN', `no column ${c} in ${t.def.name}`)
      return col
    }
    return {
      fn: f.def, table: t.def, key, args, depth, fuel,
      columnIndex(name) { check('columnIndex'); return t.def.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase()) },
      rowExists() { check('rowExists'); return t.rows.has(rk) },
      getColumn(c) { check('getColumn'); column(c); return t.rows.get(rk)?.[c] ?? null },
      setColumn(c, value) {
        check('setColumn')
        const col = column(c)
        if (value === null && col.notNull) throw new AcheronError('CONSTRAINT', `NOT NULL constraint failed: ${t.def.name}.${col.name}`)
        let row = t.rows.get(rk)
        if (row === undefined) {
          row = t.def.columns.map((cd) => cd.default)
          row[t.def.keyIndex] = key
          t.rows.set(rk, row)
        }
        row[c] = value
      },
      deleteRow() { check('deleteRow'); t.rows.delete(rk) },
      call(name, k, a) { check('call'); return db.dispatch(name, k, a, depth + 1, fuel) },
      log(message) { check('log'); db.logs.push(message) },
      txnTimeMs() { check('txnTimeMs'); return db.timeMs },
    }
  }
}
