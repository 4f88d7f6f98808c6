/**
 * Internal consistency: within one committed transaction, each read of a key must show the previous
 * read of it plus the transaction's own appends since, in order (or, with no earlier read, end with
 * those appends), and must not already contain a value the transaction appends only later.
 */
import type { Anomaly, HistoryTxn } from './history.js'
import { formatList, txnName } from './explain.js'

interface KeyState {
  /** The list as this transaction last saw it, with its own appends since; null before the first read. */
  known: number[] | null
  /** Own appends since the last read, when no read came first. */
  pending: number[]
}

export function internalAnomalies(history: readonly HistoryTxn[]): Anomaly[] {
  const out: Anomaly[] = []
  for (const txn of history) {
    if (txn.type !== 'ok') continue
    const problem = firstInconsistency(txn)
    if (problem !== null) out.push({ kind: 'internal', txns: [txn.id], explanation: `${txnName(txn.id)} ${problem}` })
  }
  return out
}

function firstInconsistency(txn: HistoryTxn): string | null {
  if (!touchesAKeyTwice(txn)) return null // one access per key: nothing to be inconsistent with
  const states = new Map<string, KeyState>()
  const appendedAt = appendPositions(txn)
  for (let i = 0; i < txn.ops.length; i++) {
    const op = txn.ops[i]!
    let s = states.get(op.key)
    if (s === undefined) {
      s = { known: null, pending: [] }
      states.set(op.key, s)
    }
    if (op.f === 'append') {
      if (s.known !== null) s.known.push(op.value)
      else s.pending.push(op.value)
      continue
    }
    const list = op.value ?? []
    const later = appendedAt.get(op.key)
    const future = later === undefined ? undefined : list.find((v) => (later.get(v) ?? -1) > i)
    if (future !== undefined) {
      return `read ${op.key} = ${formatList(list)}, which holds ${future} before ${txnName(txn.id)} itself appended it (a future read)`
    }
    if (s.known !== null && !sameList(list, s.known)) {
      return `read ${op.key} = ${formatList(list)}, but its earlier read and own appends imply ${formatList(s.known)}`
    }
    if (s.known === null && !endsWith(list, s.pending)) {
      return `appended ${formatList(s.pending)} to ${op.key} and then read ${formatList(list)}, which does not end with its own appends`
    }
    s.known = [...list]
    s.pending = []
  }
  return null
}

function touchesAKeyTwice(txn: HistoryTxn): boolean {
  const ops = txn.ops
  if (ops.length > 16) return new Set(ops.map((op) => op.key)).size < ops.length
  for (let i = 1; i < ops.length; i++) for (let j = 0; j < i; j++) if (ops[i]!.key === ops[j]!.key) return true
  return false
}

/** key → value → index of the op that appended it (last one if repeated), only for keys this txn also reads. */
function appendPositions(txn: HistoryTxn): Map<string, Map<number, number>> {
  const readKeys = new Set<string>()
  for (const op of txn.ops) if (op.f === 'read') readKeys.add(op.key)
  const out = new Map<string, Map<number, number>>()
  txn.ops.forEach((op, i) => {
    if (op.f !== 'append' || !readKeys.has(op.key)) return
    let m = out.get(op.key)
    if (m === undefined) out.set(op.key, (m = new Map()))
    m.set(op.value, i)
  })
  return out
}

export function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function endsWith(list: readonly number[], suffix: readonly number[]): boolean {
  if (suffix.length > list.length) return false
  const off = list.length - suffix.length
  for (let i = 0; i < suffix.length; i++) if (list[off + i] !== suffix[i]) return false
  return true
}
