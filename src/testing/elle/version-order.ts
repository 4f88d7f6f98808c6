/**
 * Version order of each key, inferred from reads alone: a list is only ever appended to, so every read
 * of a key must be a prefix of one order, and the longest read shows the most of it. Values appended
 * twice, or reads that repeat a value or that disagree with each other, are anomalies; the order is then
 * cut to the part every read agrees on, so that no edge is derived from a contradiction.
 */
import type { Anomaly } from './history.js'
import { formatList, txnName } from './explain.js'
import type { KeyObservations, Observations, ReadRef } from './observations.js'

export interface KeyOrder {
  key: number
  /** The known version order: the longest read, cut where reads start to disagree or a value repeats. */
  order: readonly number[]
  /** value → its index in `order`. */
  position: ReadonlyMap<number, number>
  /**
   * Every read is a prefix of `order` and no value repeats or was appended twice: a committed append that
   * no read shows must then come after all of `order`.
   */
  complete: boolean
  /** The longest read of the key, whole (empty if none). */
  longest: readonly number[]
  /** Reads of the key that are not prefixes of `longest`. */
  strays: readonly ReadRef[]
}

export function inferVersionOrders(obs: Observations): { orders: KeyOrder[]; anomalies: Anomaly[] } {
  const orders: KeyOrder[] = []
  const anomalies: Anomaly[] = []
  obs.keys.forEach((k, key) => {
    anomalies.push(...duplicateAppends(obs, k))
    orders.push(orderOf(obs, k, key, anomalies))
  })
  return { orders, anomalies }
}

function orderOf(obs: Observations, k: KeyObservations, key: number, anomalies: Anomaly[]): KeyOrder {
  const id = (r: ReadRef) => obs.history[r.txn]!.id
  let longest: ReadRef | null = null
  for (const r of k.reads) if (longest === null || r.list.length > longest.list.length) longest = r
  const full = longest?.list ?? []
  let safeLen = full.length
  const firstRepeat = firstRepeatIndex(full)
  if (firstRepeat >= 0) safeLen = firstRepeat
  const strays: ReadRef[] = []
  for (const r of k.reads) {
    const common = commonPrefix(r.list, full)
    const isPrefix = common === r.list.length
    if (!isPrefix) {
      strays.push(r)
      safeLen = Math.min(safeLen, common)
    }
    // A prefix of the longest read repeats a value only if it reaches the longest read's first repeat.
    const repeats = isPrefix ? firstRepeat >= 0 && r.list.length > firstRepeat : firstRepeatIndex(r.list) >= 0
    if (repeats) anomalies.push(repeatedRead(k, r, id(r)))
  }
  const firstConflict = strays[0]
  if (firstConflict !== undefined) {
    const more = strays.length > 1 ? ` (${strays.length} reads of ${k.name} disagree with the longest)` : ''
    anomalies.push({
      kind: 'incompatible-order',
      txns: [id(longest!), id(firstConflict)],
      explanation:
        `${txnName(id(longest!))} read ${k.name} = ${formatList(full)} and ${txnName(id(firstConflict))} read ${k.name} = ` +
        `${formatList(firstConflict.list)}: neither is a prefix of the other, so no single append order explains both${more}`,
    })
  }
  const order = full.slice(0, safeLen)
  const position = new Map<number, number>()
  order.forEach((v, i) => position.set(v, i))
  return { key, order, position, complete: strays.length === 0 && firstRepeat < 0 && k.duplicated.size === 0, longest: full, strays }
}

function duplicateAppends(obs: Observations, k: KeyObservations): Anomaly[] {
  const out: Anomaly[] = []
  for (const [value, txns] of k.duplicated) {
    const ids = [...new Set(txns.map((t) => obs.history[t]!.id))]
    const who = ids.length === 1 ? `${txnName(ids[0]!)} appended ${value} to ${k.name} ${txns.length} times` :
      `${value} was appended to ${k.name} more than once, by ${ids.map(txnName).join(', ')}`
    out.push({ kind: 'duplicate-append', txns: ids, explanation: `${who}; appended values must be unique per key` })
  }
  return out
}

function repeatedRead(k: KeyObservations, r: ReadRef, readerId: number): Anomaly {
  const at = firstRepeatIndex(r.list)
  return {
    kind: 'duplicate-append',
    txns: [readerId],
    explanation: `${txnName(readerId)} read ${k.name} = ${formatList(r.list)}, in which ${r.list[at]} appears more than once`,
  }
}

/** Index of the first element equal to an earlier one, or -1. */
function firstRepeatIndex(list: readonly number[]): number {
  const seen = new Set<number>()
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!
    if (seen.has(v)) return i
    seen.add(v)
  }
  return -1
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}
