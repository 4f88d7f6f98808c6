/**
 * Generator of valid list-append histories: a reference executor applies random transactions one at a
 * time to a Map of lists, so every history it makes is serializable by construction, and real time is
 * made consistent with that serial order (strict serializability). Each transaction gets a commit point
 * in serial order, is invoked before and completes after it, on a process that is not busy: so any
 * transaction that completes before another is invoked also commits before it, while concurrent ones
 * overlap freely. Some transactions fail (their appends are never seen) and some end 'info' (taking
 * effect or not, at random; their process is then retired, as Jepsen does).
 *
 * Keys rotate like Elle's generator: once a key has had `appendsPerKeyMax` appends it is replaced by a
 * fresh key, so lists stay short and a history's size grows linearly with its transaction count.
 */
import type { HistoryTxn, ListAppendOp } from './history.js'
import { rngOf } from './rng.js'

export interface SerialHistoryOptions {
  seed: number
  /** Transactions to generate (plus one for finalRead). */
  txns: number
  /** Concurrent clients. Default 4. */
  processes?: number
  /** Keys in play at any time. Default 8. */
  keysActive?: number
  /** Appends after which a key is retired and replaced by a fresh one. Default 32. */
  appendsPerKeyMax?: number
  /** Each transaction has 1 … opsPerTxnMax ops. Default 4. */
  opsPerTxnMax?: number
  /** Share of ops that are reads. Default 0.5. */
  readFraction?: number
  /** Share of transactions that fail. Default 0.05. */
  failRate?: number
  /** Share of transactions whose outcome is unknown. Default 0.05. */
  infoRate?: number
  /** Chance that an 'info' transaction did take effect. Default 0.5. */
  infoCommitRate?: number
  /** Most time units between invocation and commit point, and between commit point and completion. Default 8. */
  latencyMax?: number
  /** End with one committed transaction, after all others, that reads every key used. Default false. */
  finalRead?: boolean
}

export interface SerialHistory {
  /** Sorted by invocation time. */
  history: HistoryTxn[]
  /** Ids of the transactions that took effect, in the serial order that explains every read. */
  serialOrder: number[]
  /** The list at each key after the whole serial order. */
  finalLists: Map<string, number[]>
}

interface Process {
  id: number
  busyUntil: number
}

export function generateSerialHistory(options: SerialHistoryOptions): SerialHistory {
  const o = {
    processes: 4, keysActive: 8, appendsPerKeyMax: 32, opsPerTxnMax: 4, readFraction: 0.5, failRate: 0.05, infoRate: 0.05,
    infoCommitRate: 0.5, latencyMax: 8, finalRead: false, ...options,
  }
  if (o.processes < 1 || o.keysActive < 1 || o.appendsPerKeyMax < 1 || o.opsPerTxnMax < 1) throw new Error('elle: generator sizes must be >= 1')
  const rng = rngOf(o.seed)
  const lists = new Map<string, number[]>()
  const appendCount = new Map<string, number>()
  let keysMade = 0
  const freshKey = () => {
    const k = `k${keysMade++}`
    lists.set(k, [])
    appendCount.set(k, 0)
    return k
  }
  const active = Array.from({ length: o.keysActive }, freshKey)
  const procs: Process[] = Array.from({ length: o.processes }, (_, id) => ({ id, busyUntil: -1 }))
  let nextProcess = o.processes
  let nextValue = 1
  let now = 0
  const history: HistoryTxn[] = []
  const serialOrder: number[] = []

  for (let i = 0; i < o.txns; i++) {
    now += 1 + rng.int(3)
    let free = procs.filter((p) => p.busyUntil < now)
    if (free.length === 0) {
      now = Math.min(...procs.map((p) => p.busyUntil)) + 1
      free = procs.filter((p) => p.busyUntil < now)
    }
    const commitAt = now
    const p = free[rng.int(free.length)]!
    const invoke = commitAt - rng.int(Math.min(o.latencyMax, commitAt - p.busyUntil - 1) + 1)
    const roll = rng.next()
    const type: HistoryTxn['type'] = roll < o.failRate ? 'fail' : roll < o.failRate + o.infoRate ? 'info' : 'ok'
    const takesEffect = type === 'ok' || (type === 'info' && rng.chance(o.infoCommitRate))
    const ops: ListAppendOp[] = []
    for (let n = 1 + rng.int(o.opsPerTxnMax); n > 0; n--) {
      const slot = rng.int(active.length)
      const key = active[slot]!
      if (rng.chance(o.readFraction)) {
        const list = lists.get(key)!
        const value = type !== 'ok' ? null : list.length === 0 && rng.chance(0.3) ? null : [...list]
        ops.push({ f: 'read', key, value })
        continue
      }
      const value = nextValue++
      ops.push({ f: 'append', key, value })
      if (takesEffect) lists.get(key)!.push(value)
      const count = appendCount.get(key)! + 1
      appendCount.set(key, count)
      if (count >= o.appendsPerKeyMax) active[slot] = freshKey()
    }
    const id = i + 1
    const complete = type === 'info' ? Infinity : commitAt + rng.int(o.latencyMax + 1)
    history.push({ id, process: p.id, type, invoke, complete, ops })
    if (takesEffect) serialOrder.push(id)
    if (type === 'info') {
      p.id = nextProcess++ // a crashed client never issues again; a new one takes its place
      p.busyUntil = invoke
    } else {
      p.busyUntil = complete
    }
  }
  if (o.finalRead) {
    const id = o.txns + 1
    const ops: ListAppendOp[] = [...lists.keys()].map((key) => ({ f: 'read', key, value: [...lists.get(key)!] }))
    history.push({ id, process: nextProcess, type: 'ok', invoke: now + 1, complete: now + 2, ops })
    serialOrder.push(id)
  }
  history.sort((a, b) => a.invoke - b.invoke || a.id - b.id)
  return { history, serialOrder, finalLists: lists }
}
