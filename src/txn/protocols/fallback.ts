import { invariant } from '../../errors.js'
import type { RowKey } from '../../schema/keys.js'
import type { Execution, SequencedTxn } from '../types.js'
import type { WalkTask } from '../walk.js'
import type { BatchExecutor, BatchRun } from './protocol.js'

/** A conflict component: transactions (batch indexes) and every row they may touch. */
interface Component {
  /** Unordered while merging; `sortedMembers` orders them once a walk needs them. */
  members: number[]
  keys: Set<RowKey>
  mergedInto: Component | null
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
  b.members = []
  b.keys = new Set()
  b.mergedInto = a
  return a
}

function sortedMembers(c: Component): number[] {
  return c.members.sort((p, q) => p - q)
}

/**
 * The deterministic fallback shared by the protocols, Calvin-style: footprints from a first run on the
 * snapshot (the reconnaissance) group transactions into conflict components — the sets deterministic
 * locking in id order would serialize — and each component is walked in id order on one thread while
 * components run in parallel. An execution that strays outside its component (a lock miss, decided by
 * the execution alone, never by timing) merges the components involved, which are walked again.
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
  // Nothing to walk: every phase-1 execution stands (no need to group anything).
  if (!mustWalk.includes(true) && priors.every((p) => p !== null)) {
    return { executions: priors as Execution[], fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }
  }
  const owner = new Map<RowKey, Component>()
  const singles: Component[] = txns.map((_, i) => ({ members: [i], keys: new Set<RowKey>(), mergedInto: null }))
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
  const final: (Execution | null)[] = txns.map(() => null)
  let toWalk = roots.filter((c) => c.members.some((i) => mustWalk[i] === true))
  const walked = new Set(toWalk)
  for (const c of roots) if (!walked.has(c)) for (const i of c.members) final[i] = priors[i] ?? null

  let fallbackTxns = 0
  let walkRounds = 0
  let lockMisses = 0
  while (toWalk.length > 0) {
    walkRounds++
    invariant(walkRounds <= txns.length + owner.size + 1, 'fallback rounds are bounded by merges and claims')
    for (const c of toWalk) sortedMembers(c)
    toWalk.sort((a, b) => (a.members[0] as number) - (b.members[0] as number))
    const tasks: WalkTask[] = toWalk.map((c) => ({
      txns: c.members.map((i) => txns[i] as SequencedTxn),
      priors: c.members.map((i) => priors[i] ?? null),
      keys: [...c.keys].sort(),
    }))
    const results = await exec.runWalks(tasks)
    invariant(results.length === tasks.length, 'a walk result per task')
    // First the misses: each claims its row, merging with whichever component holds it.
    const dirty: Component[] = []
    toWalk.forEach((c, t) => {
      const miss = results[t]?.lockMiss
      if (miss === null || miss === undefined) return
      lockMisses++
      const holder = owner.get(miss.rowKey)
      const merged = holder === undefined ? find(c) : union(c, holder, owner)
      merged.keys.add(miss.rowKey)
      owner.set(miss.rowKey, merged)
      dirty.push(merged)
    })
    const again = unique(dirty.map(find))
    // Then the complete walks that nothing merged away.
    toWalk.forEach((c, t) => {
      const res = results[t]
      if (res === undefined || res.lockMiss !== null || find(c) !== c || again.includes(c)) return
      invariant(res.executions.length === c.members.length, 'a complete walk has every execution')
      c.members.forEach((i, j) => { final[i] = res.executions[j] as Execution })
      fallbackTxns += res.reexecuted
    })
    for (const c of again) for (const i of c.members) final[i] = null
    toWalk = again
  }
  const executions = final.map((e, i) => {
    invariant(e !== null, `transaction ${txns[i]?.id} has a final execution`)
    return e
  })
  return { executions, fallbackTxns, walkRounds, lockMisses }
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)]
}
