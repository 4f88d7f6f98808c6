// An independent reference: executes transactions one at a time over plain maps, with the meaning the
// contract gives them. It imports nothing from src/, so an engine bug cannot hide in shared code.
import type { Step } from './steps.js'

export interface ModelRow { v: bigint; log: string }
export type ModelState = Map<string, Map<bigint, ModelRow>>

export type ModelTxn =
  | { kind: 'call'; fn: string; key: bigint; program: Step[] }
  /** INSERT INTO table (keyColumn, v): `keyColumn` is the key's name at that point of the workload (k when absent). */
  | { kind: 'insert'; table: string; rows: [bigint, bigint][]; keyColumn?: string }
  | { kind: 'get'; table: string; key: bigint }
  /** ALTER TABLE … PARTITIONS: rows move between partitions, which this model does not have; nothing changes. */
  | { kind: 'repartition'; table: string; partitions: number }
  /**
   * ALTER TABLE … ADD COLUMN IF NOT EXISTS `column` INTEGER NOT NULL DEFAULT `default`: every row, old or
   * new, has the default there (the workload writes only v and log); a name the table has: nothing.
   */
  | { kind: 'add-column'; table: string; column: string; default: bigint }
  /** ALTER TABLE … RENAME COLUMN `from` TO `to` of the key: a name only, so nothing this model holds changes. */
  | { kind: 'rename-key'; table: string; from: string; to: string }
  /** ALTER TABLE … DROP COLUMN IF EXISTS `column` (an added one): rows are read without it; added again, it is a new column, last. */
  | { kind: 'drop-column'; table: string; column: string }

/** A row as the engine returns it: k, v, log, then each added column's value. */
export type ModelRowValues = (bigint | string)[]

export type ModelOutcome = { ok: true; value: string | null; rows?: ModelRowValues[] } | { ok: false; code: string }

export const MODEL_CALL_DEPTH_MAX = 64

function noBatchTime(): string {
  throw new Error('a time step, and this reference model was given no batch time')
}

class Abort extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

export class ReferenceModel {
  readonly state: ModelState = new Map()
  /** Per table, the columns ADD COLUMN added, in order, with their defaults. */
  readonly added = new Map<string, { name: string; default: bigint }[]>()

  /**
   * `timeText` gives the text of the batch time a `time` step reads in the transaction being applied: a
   * model that cannot know it (the crash property's servers run on the real clock) gives a placeholder
   * that its oracle binds from the reply.
   */
  constructor(tables: readonly string[], private readonly fuelOf: (fn: string) => number, private readonly timeText: () => string = noBatchTime) {
    for (const t of tables) this.state.set(t, new Map())
  }

  /** Runs one transaction to completion: all of its writes, or none. */
  apply(txn: ModelTxn): ModelOutcome {
    const writes = new Map<string, ModelRow | null>() // `${table}/${key}` -> new row
    const read = (table: string, key: bigint): ModelRow | undefined => {
      const w = writes.get(`${table}/${key}`)
      if (w !== undefined) return w ?? undefined
      if (writes.has(`${table}/${key}`)) return undefined
      return this.state.get(table)?.get(key)
    }
    const write = (table: string, key: bigint, row: ModelRow | null) => writes.set(`${table}/${key}`, row)
    try {
      let value: string | null = null
      let rows: ModelRowValues[] | undefined
      if (txn.kind === 'call') {
        const fuel = { left: this.fuelOf(txn.fn) }
        value = this.call(txn.fn, txn.key, txn.program, 1, fuel, read, write)
      } else if (txn.kind === 'insert') {
        if (!this.state.has(txn.table)) throw new Abort('UNKNOWN_TABLE')
        for (const [k, v] of txn.rows) {
          if (read(txn.table, k) !== undefined) throw new Abort('DUPLICATE_KEY')
          write(txn.table, k, { v, log: '' })
        }
      } else if (txn.kind === 'repartition') {
        if (!this.state.has(txn.table)) throw new Abort('UNKNOWN_TABLE')
      } else if (txn.kind === 'rename-key') {
        if (!this.state.has(txn.table)) throw new Abort('UNKNOWN_TABLE')
      } else if (txn.kind === 'drop-column') {
        if (!this.state.has(txn.table)) throw new Abort('UNKNOWN_TABLE')
        this.added.set(txn.table, (this.added.get(txn.table) ?? []).filter((c) => c.name.toLowerCase() !== txn.column.toLowerCase()))
      } else if (txn.kind === 'add-column') {
        if (!this.state.has(txn.table)) throw new Abort('UNKNOWN_TABLE')
        const added = this.added.get(txn.table) ?? []
        if (!added.some((c) => c.name.toLowerCase() === txn.column.toLowerCase())) this.added.set(txn.table, [...added, { name: txn.column, default: txn.default }])
      } else {
        const r = read(txn.table, txn.key)
        rows = r === undefined ? [] : [this.values(txn.table, txn.key, r)]
      }
      for (const [id, row] of writes) {
        const [table, key] = id.split('/') as [string, string]
        const t = this.state.get(table) as Map<bigint, ModelRow>
        if (row === null) t.delete(BigInt(key))
        else t.set(BigInt(key), row)
      }
      return rows === undefined ? { ok: true, value } : { ok: true, value, rows }
    } catch (e) {
      if (e instanceof Abort) return { ok: false, code: e.code }
      throw e
    }
  }

  /** A row as the engine returns it: k, v, log and the added columns' defaults. */
  values(table: string, key: bigint, row: ModelRow): ModelRowValues {
    return [key, row.v, row.log, ...(this.added.get(table) ?? []).map((c) => c.default)]
  }

  private call(
    fn: string, key: bigint, program: Step[], depth: number, fuel: { left: number },
    read: (t: string, k: bigint) => ModelRow | undefined, write: (t: string, k: bigint, r: ModelRow | null) => void,
  ): string {
    if (depth > MODEL_CALL_DEPTH_MAX) throw new Abort('CALL_DEPTH_EXCEEDED')
    const table = fn.split('.')[0] as string
    if (!this.state.has(table) || !fn.endsWith('.run')) throw new Abort('UNKNOWN_FUNCTION')
    const out: unknown[] = []
    const spend = (n: number) => {
      fuel.left -= n
      if (fuel.left < 0) throw new Abort('OUT_OF_FUEL')
    }
    const current = () => read(table, key)
    const update = (f: (r: ModelRow) => ModelRow) => write(table, key, f(current() ?? { v: 0n, log: '' }))
    for (const s of program) {
      spend(1)
      switch (s.op) {
        case 'read': {
          const r = current()
          out.push(r === undefined ? null : [String(r.v), r.log])
          break
        }
        case 'write': update((r) => ({ ...r, v: BigInt(s.value) })); break
        case 'incr': update((r) => ({ ...r, v: r.v + BigInt(s.by) })); break
        case 'append': update((r) => ({ ...r, log: r.log === '' ? s.item : `${r.log},${s.item}` })); break
        case 'abortIf': if ((current()?.v ?? 0n) > BigInt(s.gt)) throw new Abort('TXN_ABORTED'); break
        case 'delete': write(table, key, null); break
        case 'call': out.push(this.call(s.fn, BigInt(s.key), s.steps, depth + 1, fuel, read, write)); break
        case 'spin': spend(s.units); break
        case 'time': {
          const t = this.timeText()
          out.push(t)
          update((r) => ({ ...r, log: r.log === '' ? `@${t}` : `${r.log},@${t}` }))
          break
        }
      }
    }
    return JSON.stringify(out)
  }
}
