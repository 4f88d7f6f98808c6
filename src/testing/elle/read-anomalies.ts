/**
 * Anomalies that single reads show without any cycle: aborted reads (G1a), intermediate reads (G1b),
 * and lost updates (two committed transactions appended to a key after reading the same version of it).
 */
import type { Anomaly } from './history.js'
import { formatList, txnName } from './explain.js'
import { appendedBy, type KeyObservations, type Observations, type ReadRef } from './observations.js'
import type { KeyOrder } from './version-order.js'

export function readAnomalies(obs: Observations, orders: readonly KeyOrder[]): Anomaly[] {
  const out: Anomaly[] = []
  for (const o of orders) {
    const k = obs.keys[o.key]!
    // Most reads are prefixes of the longest one: look its values up once, not once per read.
    const bad = firstBadValue(obs, k, o.longest)
    const strays = o.strays.length > 0 ? new Set(o.strays) : null
    for (const r of k.reads) {
      const aborted = strays?.has(r) ? firstBadValue(obs, k, r.list) : bad < r.list.length ? bad : -1
      const a = aborted >= 0 ? abortedRead(obs, r, r.list[aborted]!) : intermediateRead(obs, r)
      if (a !== null) out.push(a)
    }
  }
  out.push(...lostUpdates(obs))
  return out
}

/** Index of the first value in the list that a failed transaction, or no transaction, appended; -1 if none. */
function firstBadValue(obs: Observations, k: KeyObservations, list: readonly number[]): number {
  for (let i = 0; i < list.length; i++) {
    const w = k.writers.get(list[i]!)
    if (w === undefined ? !k.duplicated.has(list[i]!) : obs.history[w.txn]!.type === 'fail') return i
  }
  return -1
}

/** G1a: the read shows a value appended by a failed transaction, or by no transaction at all. */
function abortedRead(obs: Observations, r: ReadRef, v: number): Anomaly {
  const k = obs.keys[r.key]!
  const reader = obs.history[r.txn]!
  const w = k.writers.get(v)
  if (w === undefined) {
    return {
      kind: 'G1a',
      txns: [reader.id],
      explanation: `${txnName(reader.id)} read ${k.name} = ${formatList(r.list)}, but no transaction appended ${v} to ${k.name}`,
    }
  }
  const writer = obs.history[w.txn]!
  return {
    kind: 'G1a',
    txns: [reader.id, writer.id],
    explanation: `${txnName(reader.id)} read ${k.name} = ${formatList(r.list)}, which shows ${v}, appended by ${txnName(writer.id)}, which failed (an aborted read)`,
  }
}

/** G1b: the read ends with a value its writer (another transaction) followed with further appends to the key. */
function intermediateRead(obs: Observations, r: ReadRef): Anomaly | null {
  if (r.list.length === 0) return null
  const k = obs.keys[r.key]!
  const last = r.list[r.list.length - 1]!
  const w = k.writers.get(last)
  if (w === undefined || w.txn === r.txn || w.ordinal === w.count - 1 || obs.history[w.txn]!.type === 'fail') return null
  const reader = obs.history[r.txn]!
  const writer = obs.history[w.txn]!
  const all = k.appendValue.slice(w.first, w.first + w.count)
  return {
    kind: 'G1b',
    txns: [reader.id, writer.id],
    explanation: `${txnName(reader.id)} read ${k.name} = ${formatList(r.list)}, ending in ${last}, but ${txnName(writer.id)} appended ` +
      `${formatList(all)} to ${k.name}: the read saw ${txnName(writer.id)}'s intermediate state`,
  }
}

/** Committed transactions that read the same version of a key and then appended to it. */
function lostUpdates(obs: Observations): Anomaly[] {
  const out: Anomaly[] = []
  for (const k of obs.keys) {
    const readBeforeAppend = new Map<number, ReadRef>() // reader → its first read of the key, made before appending to it
    for (const r of k.reads) if (r.external && appendsLater(obs, r)) readBeforeAppend.set(r.txn, r)
    const byVersion = new Map<string, ReadRef[]>()
    for (const r of readBeforeAppend.values()) {
      const version = r.list.join(',')
      const same = byVersion.get(version)
      if (same === undefined) byVersion.set(version, [r])
      else same.push(r)
    }
    for (const same of byVersion.values()) {
      if (same.length < 2) continue
      const ids = same.map((r) => obs.history[r.txn]!.id)
      const appended = same.map((r) => `${txnName(obs.history[r.txn]!.id)} appended ${formatList(appendedBy(k, r.txn))}`)
      out.push({
        kind: 'lost-update',
        txns: ids,
        explanation: `${ids.map(txnName).join(', ')} ${ids.length === 2 ? 'both' : 'all'} read ${k.name} = ${formatList(same[0]!.list)} and then appended to it ` +
          `(${appended.join('; ')}): each append was made without seeing the others, so all but one update is lost`,
      })
    }
  }
  return out
}

function appendsLater(obs: Observations, r: ReadRef): boolean {
  const ops = obs.history[r.txn]!.ops
  const key = obs.keys[r.key]!.name
  for (let i = r.op + 1; i < ops.length; i++) if (ops[i]!.f === 'append' && ops[i]!.key === key) return true
  return false
}
