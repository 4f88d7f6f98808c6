import { invariant } from '../../errors.js'
import type { RowKey } from '../../schema/keys.js'
import type { Execution, SequencedTxn } from '../types.js'
import type { BatchExecutor, BatchRun } from './protocol.js'

/**
 * Phase 1 pays off only when most of a batch keeps its execution. When most of it conflicts (pointer
 * chasing; a few very hot keys), phase 1's work is thrown away and the fallback walks the batch almost
 * serially after it: `aria` measured 2.05× `serial`'s time per batch on pointer chasing. So a protocol
 * with a phase 1 runs a batch as `serial` does (one walk in id order) when it is contended:
 *
 * - **Sampled:** phase 1 runs on the batch's first eighth (at least CONTENTION_SAMPLE_MIN transactions)
 *   before the rest. From the sample's conflicts the share of the whole batch that would conflict is
 *   predicted (`predictedConflictShare`); above CONTENDED_SHARE_ENTER the rest skips phase 1 and the
 *   batch is walked serially, keeping the sample's executions where they still hold (aria) — about 1.1×
 *   `serial` instead of 2–3×.
 * - **Remembered:** after a contended batch the next ones are walked serially at once, with no sample,
 *   until a batch's own final executions show a share below CONTENDED_SHARE_LEAVE (the gap between the
 *   two keeps it from flapping).
 *
 * Every protocol yields what `serial` yields, so this decides the cost of a batch, never its outcome,
 * and may be decided by anything, timing included. A share is Aria's rule: the transactions that
 * touched a row a lower one of the batch wrote.
 */
export const CONTENDED_SHARE_ENTER = 0.5
export const CONTENDED_SHARE_LEAVE = 0.25
export const CONTENTION_SAMPLE_MIN = 16
/** The part of a batch phase 1 runs on first, to predict the rest's contention. */
export const CONTENTION_SAMPLE_FRACTION = 1 / 8

interface ContentionMemory {
  contended: boolean
}

type Footprint = Pick<Execution, 'accessed' | 'writes'>

/** The share of transactions that touched a row a lower one wrote. */
export function conflictShare(executions: readonly Footprint[]): number {
  if (executions.length === 0) return 0
  const reserved = new Set<RowKey>()
  let conflicted = 0
  for (const e of executions) {
    if (e.accessed.some((rk) => reserved.has(rk))) conflicted++
    for (const w of e.writes) reserved.add(w.rowKey)
  }
  return conflicted / executions.length
}

/**
 * The conflict share a batch of `n` transactions would have, predicted from the first ones' executions:
 * q, the chance that a transaction touches a row one given lower transaction wrote, is estimated as the
 * conflicting pairs of the sample over its pairs; transaction i then conflicts with chance 1 − (1 − q)^i,
 * and the batch's share is the mean of that over i < n: 1 − (1 − (1 − q)^n) / (n·q).
 */
export function predictedConflictShare(sample: readonly Footprint[], n: number): number {
  const m = sample.length
  if (m < 2 || n < 1) return 0
  // Row → the sample transactions that wrote it so far; a pair counts once however many rows it shares.
  const writers = new Map<RowKey, number[]>()
  let pairs = 0
  sample.forEach((e, i) => {
    const hit = new Set<number>()
    for (const rk of e.accessed) for (const j of writers.get(rk) ?? []) hit.add(j)
    pairs += hit.size
    for (const w of e.writes) {
      const list = writers.get(w.rowKey)
      if (list === undefined) writers.set(w.rowKey, [i])
      else list.push(i)
    }
  })
  const q = pairs / ((m * (m - 1)) / 2)
  if (q <= 0) return 0
  if (q >= 1) return (n - 1) / n
  return 1 - (1 - Math.pow(1 - q, n)) / (n * q)
}

/** One unrestricted walk of the batch in id order (`serial`'s), keeping `priors` where they still hold. */
export async function walkSerially(txns: readonly SequencedTxn[], exec: BatchExecutor, priors: readonly (Execution | null)[] = []): Promise<BatchRun> {
  const [res] = await exec.runWalks([{ txns, priors: txns.map((_, i) => priors[i] ?? null), keys: null }])
  invariant(res !== undefined && res.lockMiss === null, 'an unrestricted walk never misses')
  // Executed *again* after phase 1: only those that had a phase-1 execution; the rest ran once.
  const reexecuted = Math.max(0, res.reexecuted - (txns.length - priors.filter((p) => p !== null).length))
  return { executions: res.executions, fallbackTxns: reexecuted, walkRounds: 1, lockMisses: 0 }
}

/**
 * Runs a batch with a protocol's phase 1 and `fallback` after it, or serially when it is contended (see
 * above). `keepPriors`: a contended batch keeps the sample's phase-1 executions where they hold.
 */
export async function switchingOnContention(
  name: string, txns: readonly SequencedTxn[], exec: BatchExecutor, keepPriors: boolean,
  fallback: (phase1: readonly Execution[]) => Promise<BatchRun>,
): Promise<BatchRun> {
  const memory = exec.memory?.(`${name}.contention`, (): ContentionMemory => ({ contended: false }))
  const n = txns.length
  if (memory?.contended === true) {
    const run = await walkSerially(txns, exec)
    if (n >= CONTENTION_SAMPLE_MIN && conflictShare(run.executions) < CONTENDED_SHARE_LEAVE) memory.contended = false
    return { ...run, contended: true }
  }
  const m = Math.max(CONTENTION_SAMPLE_MIN, Math.ceil(n * CONTENTION_SAMPLE_FRACTION))
  let phase1: Execution[]
  if (n >= 2 * m) {
    const sample = await exec.runOnSnapshot(txns.slice(0, m))
    if (predictedConflictShare(sample, n) > CONTENDED_SHARE_ENTER) {
      if (memory !== undefined) memory.contended = true
      const run = await walkSerially(txns, exec, keepPriors ? sample : [])
      // Executed again: the sample's transactions the walk did not keep (all of them when none are kept).
      return { ...run, fallbackTxns: keepPriors ? run.fallbackTxns : sample.length, contended: true }
    }
    phase1 = [...sample, ...(await exec.runOnSnapshot(txns.slice(m)))]
  } else phase1 = await exec.runOnSnapshot(txns)
  if (memory !== undefined && n >= CONTENTION_SAMPLE_MIN) memory.contended = conflictShare(phase1) > CONTENDED_SHARE_ENTER
  return fallback(phase1)
}
