import { invariant } from '../../errors.js'
import type { RowKey } from '../../schema/keys.js'
import type { Execution, SequencedTxn } from '../types.js'
import type { WalkResult, WalkTask } from '../walk.js'
import type { BatchExecutor, BatchRun } from './protocol.js'

/** A conflict component: transactions (batch indexes) and every row they may touch. */
interface Component {
  /** Unordered while merging; `sortedMembers` orders them once a walk needs them. */
  members: number[]
  keys: Set<RowKey>
  mergedInto: Component | null
  /** Members with a lower batch index have their final execution already (an earlier round's walk). */
  resumeAt: number
}

function find(c: Component): Component {
  let root = c
  while (root.mergedInto !== null) root = root.mergedInto
  // Path compression keeps later finds short.
  while (c.mergedInto !== null && c.mergedInto !== root) {
    const next: Component = c.mergedInto
    c.mergedInto = root
    c = next
  }
  return root
}

/** Merges the smaller component into the larger, so a giant component absorbs others in linear time. */
function union(x: Component, y: Component, owner: Map<RowKey, Component>): Component {
  let a = find(x)
  let b = find(y)
  if (a === b) return a
  if (a.members.length + a.keys.size < b.members.length + b.keys.size) [a, b] = [b, a]
  for (const m of b.members) a.members.push(m)
  for (const rk of b.keys) {
    a.keys.add(rk)
    owner.set(rk, a)
  }
  a.resumeAt = Math.min(a.resumeAt, b.resumeAt)
  b.members = []
  b.keys = new Set()
  b.mergedInto = a
  return a
}

function sortedMembers(c: Component): number[] {
  return c.members.sort((p, q) => p - q)
}

/**
 * Budgets of a batch's fallback: beyond this many walk rounds (each a round trip to the workers), or
 * this many re-executions per transaction, the rest of the batch is walked once, unrestricted, from
 * where the rounds got to. A workload that keeps straying outside its components (pointer chasing)
 * then costs about what `serial` costs, not a round per lock miss.
 */
export const FALLBACK_ROUNDS_MAX = 2
export const FALLBACK_REEXECUTIONS_PER_TXN_MAX = 1

/**
 * The deterministic fallback shared by the protocols, Calvin-style: footprints from a first run on the
 * snapshot (the reconnaissance) group transactions into conflict components — the sets deterministic
 * locking in id order would serialize — and each component is walked in id order on one thread while
 * components run in parallel. An execution that strays outside its component (a lock miss, decided by
 * the execution alone, never by timing) merges the components involved, which are walked again.
 *
 * A walk stopped by a miss is resumed, not restarted: every member before the missing transaction
 * keeps its execution (the components were disjoint, so nothing of another one touched its rows), and
 * the merged walk starts at the first member after them. Past a budget of re-executions, the remainder
 * is walked once, unrestricted, over the whole batch (the `serial` protocol's walk).
 *
 * `priors[i]` is kept wherever it is still valid in its walk; only components holding a transaction
 * with `mustWalk[i]` are walked at all (the others keep their phase-1 executions as they are).
 */
export async function deterministicFallback(
  txns: readonly SequencedTxn[],
  footprints: readonly (readonly RowKey[])[],
  priors: readonly (Execution | null)[],
  mustWalk: readonly boolean[],
  exec: BatchExecutor,
): Promise<BatchRun> {
  const misuse = wrongFallbackArguments(txns, footprints, priors, mustWalk)
  if (misuse !== null) throw new Error(`deterministicFallback: ${misuse}`)
  // Nothing to walk: every phase-1 execution stands (no need to group anything).
  if (!mustWalk.includes(true) && priors.every((p) => p !== null)) {
    return { executions: priors as Execution[], fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }
  }
  const owner = new Map<RowKey, Component>()
  const singles: Component[] = txns.map((_, i) => ({ members: [i], keys: new Set<RowKey>(), mergedInto: null, resumeAt: Infinity }))
  for (let i = 0; i < txns.length; i++) {
    for (const rk of footprints[i] ?? []) {
      const holder = owner.get(rk)
      if (holder !== undefined) union(singles[i] as Component, holder, owner)
      else {
        const root = find(singles[i] as Component)
        root.keys.add(rk)
        owner.set(rk, root)
      }
    }
  }
  const roots = unique(singles.map(find))
  // The best execution known for each transaction: its prior until a walk gives it a final one.
  const best: (Execution | null)[] = [...priors]
  let toWalk = roots.filter((c) => c.members.some((i) => mustWalk[i] === true))
  // A component not walked keeps its priors: a null one there would never run. It failed at the end,
  // as "acheron invariant violated: transaction N has a final execution", an engine bug by its words.
  for (const c of roots) {
    if (c.members.some((i) => mustWalk[i] === true)) continue
    const unrun = c.members.find((i) => priors[i] === null)
    if (unrun !== undefined) throw new Error(`deterministicFallback: transaction id ${txns[unrun]?.id} (index ${unrun}) has a null prior, and no transaction of its conflict component is mustWalk: nothing would run it (give its execution as the prior, or mustWalk it)`)
  }
  for (const c of toWalk) c.resumeAt = 0

  let fallbackTxns = 0
  let walkRounds = 0
  let lockMisses = 0
  while (toWalk.length > 0) {
    if (walkRounds >= FALLBACK_ROUNDS_MAX || fallbackTxns > txns.length * FALLBACK_REEXECUTIONS_PER_TXN_MAX) {
      // Everything before the first transaction still to walk is final (see above): walk on from there,
      // executing the rest (past the budget, phase-1 executions rarely hold, and shipping them costs).
      const resume = Math.min(...toWalk.map((c) => c.resumeAt))
      return serialRemainder(txns, priors.map((_, i) => (i < resume ? best[i] ?? null : null)), resume, exec, { fallbackTxns, walkRounds, lockMisses })
    }
    walkRounds++
    invariant(walkRounds <= txns.length + owner.size + 1, 'fallback rounds are bounded by merges and claims')
    for (const c of toWalk) sortedMembers(c)
    toWalk.sort((a, b) => (a.members[0] as number) - (b.members[0] as number))
    const tasks: WalkTask[] = toWalk.map((c) => {
      const fixed = c.members.findIndex((i) => i >= c.resumeAt)
      return {
        txns: c.members.map((i) => txns[i] as SequencedTxn),
        priors: c.members.map((i) => (i < c.resumeAt ? best[i] : priors[i]) ?? null),
        keys: [...c.keys].sort(),
        fixed: fixed < 0 ? c.members.length : fixed,
      }
    })
    const results = await exec.runWalks(tasks)
    invariant(results.length === tasks.length, 'a walk result per task')
    // Every execution a walk got to is the best known for its transaction (a prefix, if it missed), and
    // where each missed (read before any merge below empties a component's member list).
    const missedAt = toWalk.map((c, t) => {
      const res = results[t] as WalkResult
      res.executions.forEach((e, j) => { best[c.members[j] as number] = e })
      fallbackTxns += res.reexecuted
      c.resumeAt = Infinity
      return res.lockMiss === null ? -1 : (c.members[res.executions.length] as number)
    })
    // Then the misses: each claims its row, merging with whichever component holds it, and the merged
    // walk resumes at the transaction that missed.
    const dirty: Component[] = []
    toWalk.forEach((c, t) => {
      const miss = results[t]?.lockMiss
      if (miss === null || miss === undefined) return
      lockMisses++
      const at = missedAt[t] as number
      invariant(at >= 0, 'a missed walk names the transaction that missed')
      const holder = owner.get(miss.rowKey)
      const merged = holder === undefined ? find(c) : union(c, holder, owner)
      merged.keys.add(miss.rowKey)
      owner.set(miss.rowKey, merged)
      merged.resumeAt = Math.min(merged.resumeAt, at)
      dirty.push(merged)
    })
    toWalk = unique(dirty.map(find))
  }
  const executions = best.map((e, i) => {
    invariant(e !== null, `transaction ${txns[i]?.id} has a final execution`)
    return e
  })
  return { executions, fallbackTxns, walkRounds, lockMisses }
}

/** A caller's arguments that cannot make a batch run (their lengths differ), said, or null. */
function wrongFallbackArguments(txns: readonly SequencedTxn[], footprints: readonly unknown[], priors: readonly unknown[], mustWalk: readonly unknown[]): string | null {
  const wrong = ([['footprints', footprints], ['priors', priors], ['mustWalk', mustWalk]] as const).filter(([, a]) => !Array.isArray(a) || a.length !== txns.length)
  if (wrong.length === 0) return null
  return `${wrong.map(([name, a]) => `${name} has ${Array.isArray(a) ? a.length : `no array (${String(a)})`}`).join(', ')} for ${txns.length} transaction${txns.length === 1 ? '' : 's'}: each takes one entry per transaction, in the order of txns`
}

/**
 * Past a budget: one unrestricted walk of the whole batch in id order. The first `fixed` transactions
 * keep the executions the rounds gave them; the others execute, as in `serial`'s walk.
 */
async function serialRemainder(
  txns: readonly SequencedTxn[], priors: readonly (Execution | null)[], fixed: number, exec: BatchExecutor,
  sofar: { fallbackTxns: number; walkRounds: number; lockMisses: number },
): Promise<BatchRun> {
  const [res] = await exec.runWalks([{ txns, priors, keys: null, fixed }])
  invariant(res !== undefined && res.lockMiss === null && res.executions.length === txns.length, 'an unrestricted walk completes')
  return { executions: res.executions, fallbackTxns: sofar.fallbackTxns + res.reexecuted, walkRounds: sofar.walkRounds + 1, lockMisses: sofar.lockMisses }
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)]
}
