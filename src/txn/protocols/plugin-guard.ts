// A research protocol (docs/research.md) is someone else's code on the engine's commit path. It may
// choose among the executions its executor gives it, never make or change one: a write it made up (to a
// table that is not there, a row of another shape) reached the state thread, which stopped the engine
// with an invariant error and no verdict. The built-in protocols are not wrapped (they cost nothing more).
import type { Execution, SequencedTxn } from '../types.js'
import type { WalkTask } from '../walk.js'
import { PROTOCOLS } from './index.js'
import type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/** The protocol as the engine runs it: a built-in as it is, any other guarded. */
export function runnableProtocol(p: Protocol): Protocol {
  return Object.values(PROTOCOLS).includes(p) ? p : guardedProtocol(p)
}

/**
 * `p`, checked: every execution its `runBatch` resolves to, and every prior it hands `exec.runWalks`, must
 * be one this batch's executor gave, unchanged. A `runBatch` that returns instead of resolving is awaited
 * like one that resolves.
 */
export function guardedProtocol(p: Protocol): Protocol {
  return {
    name: p.name,
    async runBatch(txns: readonly SequencedTxn[], exec: BatchExecutor): Promise<BatchRun> {
      const given = new WeakMap<Execution, string>()
      const keep = (e: Execution): void => {
        if (typeof e === 'object' && e !== null) given.set(e, fingerprint(e))
      }
      const unchanged = (e: unknown, what: string): void => {
        if (typeof e !== 'object' || e === null) return // the engine names a missing execution itself
        const seal = given.get(e as Execution)
        const id = String((e as Execution).id)
        if (seal === undefined) throw new Error(`protocol ${p.name}: ${what} (transaction id ${id}) is not an execution this batch's exec.runOnSnapshot or exec.runWalks gave: a protocol chooses among the executions it is given, and makes none`)
        if (seal !== fingerprint(e as Execution)) throw new Error(`protocol ${p.name}: ${what} (transaction id ${id}) was changed after exec gave it (its id, footprint, writes, result or failure): a protocol passes executions on as they are`)
      }
      const watched: BatchExecutor = {
        runOnSnapshot: async (t) => {
          const executions = await exec.runOnSnapshot(t)
          executions.forEach(keep)
          return executions
        },
        runWalks: async (tasks: readonly WalkTask[]) => {
          // The executor refuses tasks of the wrong shape itself; here only their priors are looked at.
          for (const task of Array.isArray(tasks) ? tasks as readonly unknown[] : []) {
            const priors = (task as Partial<WalkTask> | null)?.priors as unknown
            if (Array.isArray(priors)) priors.forEach((prior: unknown, i) => unchanged(prior, `the prior ${i} of a task given to exec.runWalks`))
          }
          const results = await exec.runWalks(tasks)
          for (const r of results) r.executions.forEach(keep)
          return results
        },
      }
      if (exec.memory !== undefined) watched.memory = exec.memory.bind(exec)
      const run = await p.runBatch(txns, watched)
      const executions = (run as BatchRun | undefined)?.executions
      if (Array.isArray(executions)) executions.forEach((e: unknown, seq) => unchanged(e, `execution ${seq}`))
      return run
    },
  }
}

/** What an execution says, as text, to tell whether it was changed: bigints, bytes and NaN kept apart from text and null. */
function fingerprint(e: Execution): string {
  return JSON.stringify([e.id, e.accessed, e.writes, e.result, e.failure, e.lockMiss, e.stale], (_key, v: unknown) => {
    if (typeof v === 'bigint') return { '\u0000int': String(v) }
    if (typeof v === 'number' && !Number.isFinite(v)) return { '\u0000real': String(v) }
    if (v instanceof Uint8Array) return { '\u0000blob': Buffer.from(v).toString('hex') }
    return v
  })
}
