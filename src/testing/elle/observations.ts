/**
 * One pass over the history that indexes what clients saw: for each key, who appended which value and
 * which committed reads returned which list; and which transactions the dependency graph relates.
 */
import type { HistoryTxn } from './history.js'
import type { KeyOrder } from './version-order.js'

/** An append whose writer is unambiguous: the one transaction that appended this value to this key. */
export interface AppendRef {
  /** Index of the writer in the history array. */
  txn: number
  /** Which of the writer's appends to this key it was (0 = first). */
  ordinal: number
  /** How many values the writer appended to this key. */
  count: number
  /** Index in the key's append arrays of the writer's first append to it (its appends there are contiguous). */
  first: number
}

/** A read by a committed ('ok') transaction; reads of 'fail' and 'info' transactions may be unknown and are skipped. */
export interface ReadRef {
  id: number
  /** Index of the reader in the history array. */
  txn: number
  key: number
  list: readonly number[]
  /** Index of the read in the reader's ops. */
  op: number
  /**
   * The reader's first access to this key (no earlier read of it, no own append to it). Only such reads
   * give wr and rw edges, as in Elle: a later read adds nothing but what the transaction itself did,
   * which the ww edges of its own appends already order, and if it adds more, that is an internal anomaly.
   */
  external: boolean
}

export interface KeyObservations {
  name: string
  /** value → its writer, for values appended exactly once. */
  writers: Map<number, AppendRef>
  /** value → every appending transaction (history indices), for values appended more than once. */
  duplicated: Map<number, number[]>
  /**
   * Every append to this key, in history and then program order, as parallel arrays (appender's history
   * index, value); one transaction's appends to the key are therefore one contiguous run.
   */
  appendTxn: number[]
  appendValue: number[]
  reads: ReadRef[]
}

export interface Observations {
  history: readonly HistoryTxn[]
  keys: KeyObservations[]
  reads: ReadRef[]
  /**
   * 1 for the transactions the graph relates: every 'ok' one, and (once markObservedInfo has run) each
   * 'info' one whose append some committed read observed, so it did commit. 'fail' transactions and
   * unobserved 'info' ones are out.
   */
  isNode: Uint8Array
}

export function observe(history: readonly HistoryTxn[]): Observations {
  const keys: KeyObservations[] = []
  const keyIds = new Map<string, number>()
  const keyOf = (name: string): KeyObservations => {
    let id = keyIds.get(name)
    if (id === undefined) {
      id = keys.length
      keyIds.set(name, id)
      keys.push({ name, writers: new Map(), duplicated: new Map(), appendTxn: [], appendValue: [], reads: [] })
    }
    return keys[id]!
  }
  const reads: ReadRef[] = []
  for (let t = 0; t < history.length; t++) {
    const txn = history[t]!
    const touched = txn.ops.length > 16 ? new Set<string>() : null // small transactions scan their earlier ops instead
    for (let op = 0; op < txn.ops.length; op++) {
      const o = txn.ops[op]!
      const k = keyOf(o.key)
      if (o.f === 'append') {
        touched?.add(o.key)
        k.appendTxn.push(t)
        k.appendValue.push(o.value)
        recordWriter(k, o.value, t)
      } else if (txn.type === 'ok') {
        const external = touched !== null ? !touched.has(o.key) : !touchedBefore(txn, op, o.key)
        touched?.add(o.key)
        const r: ReadRef = { id: reads.length, txn: t, key: keyIds.get(o.key)!, list: o.value ?? [], op, external }
        reads.push(r)
        k.reads.push(r)
      }
    }
  }
  for (const k of keys) {
    forEachRun(k, (t, first, count) => {
      for (let i = 0; i < count; i++) {
        const w = k.writers.get(k.appendValue[first + i]!)
        if (w !== undefined && w.txn === t) {
          w.ordinal = i
          w.count = count
          w.first = first
        }
      }
    })
  }
  const isNode = new Uint8Array(history.length)
  for (let t = 0; t < history.length; t++) if (history[t]!.type === 'ok') isNode[t] = 1
  return { history, keys, reads, isNode }
}

/** Calls f once per transaction that appended to the key, with its run of appends in the key's arrays. */
export function forEachRun(k: KeyObservations, f: (txn: number, first: number, count: number) => void): void {
  let i = 0
  while (i < k.appendTxn.length) {
    const t = k.appendTxn[i]!
    let j = i + 1
    while (j < k.appendTxn.length && k.appendTxn[j] === t) j++
    f(t, i, j - i)
    i = j
  }
}

/** The values a transaction appended to the key, in program order. */
export function appendedBy(k: KeyObservations, txn: number): number[] {
  const out: number[] = []
  for (let i = 0; i < k.appendTxn.length; i++) if (k.appendTxn[i] === txn) out.push(k.appendValue[i]!)
  return out
}

function touchedBefore(txn: HistoryTxn, op: number, key: string): boolean {
  for (let i = 0; i < op; i++) if (txn.ops[i]!.key === key) return true
  return false
}

function recordWriter(k: KeyObservations, value: number, t: number): void {
  const dup = k.duplicated.get(value)
  if (dup !== undefined) {
    dup.push(t)
    return
  }
  const first = k.writers.get(value)
  if (first === undefined) {
    k.writers.set(value, { txn: t, ordinal: 0, count: 0, first: 0 }) // filled in once all appends are seen
    return
  }
  k.writers.delete(value)
  k.duplicated.set(value, [first.txn, t])
}

/**
 * Relates each 'info' transaction whose append a committed read shows. Every read is either a prefix of
 * its key's longest read or a stray, so those lists cover all the values any read shows.
 */
export function markObservedInfo(obs: Observations, orders: readonly KeyOrder[]): void {
  if (!obs.history.some((t) => t.type === 'info')) return
  const mark = (k: KeyObservations, values: readonly number[]) => {
    for (const v of values) {
      const w = k.writers.get(v)
      if (w !== undefined && obs.history[w.txn]!.type === 'info') obs.isNode[w.txn] = 1
    }
  }
  for (const o of orders) {
    const k = obs.keys[o.key]!
    mark(k, o.longest)
    for (const r of o.strays) mark(k, r.list)
  }
}
