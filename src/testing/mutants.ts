// Deliberately broken engine variants (`acheron check --mutant NAME`): each one a bug a deterministic
// protocol could plausibly have. The harness must catch every one; docs/research.md records which
// property does and how fast. Protocol bugs are Protocol plug-ins (the research path: one object, the
// whole harness unchanged); durability and recovery bugs are EngineFaults.
import type { OpenOptions } from '../embedded.js'
import type { RowKey } from '../schema/keys.js'
import { partitionOf } from '../schema/keys.js'
import type { TableDef } from '../schema/catalog.js'
import type { EngineFaults } from '../txn/faults.js'
import { aria } from '../txn/protocols/aria.js'
import { deterministicFallback } from '../txn/protocols/fallback.js'
import type { BatchExecutor, Protocol } from '../txn/protocols/protocol.js'
import type { Execution, SequencedTxn } from '../txn/types.js'
import { ALL_PRIOR_CHECKS, type PriorChecks, type WalkResult, type WalkTask } from '../txn/walk.js'

export interface Mutant {
  readonly name: string
  /** The bug, in one sentence. */
  readonly bug: string
  /** The properties able to catch it: `acheron check --mutant NAME` turns these on. */
  readonly caughtBy: readonly string[]
  readonly protocol?: Protocol
  readonly faults?: EngineFaults
  /** Worker threads the engine under test must have for the bug to be there at all (whatever --workers says). */
  readonly workers?: number
  /** The bug is only on a cluster (a node joining from a snapshot): naming it runs as `--cluster` does. */
  readonly cluster?: boolean
}

const PROTOCOL_CATCHERS = ['replay', 'determinism', 'elle'] as const

type Order = (txns: readonly SequencedTxn[]) => number[]

interface Variant {
  /** What validation looks at, in phase 1 and in the fallback's walks alike. */
  readonly checks: PriorChecks
  /** The order in which conflicts are resolved (default: id order). */
  readonly order?: Order
  /** Every walked transaction is delivered twice and both deliveries' writes stay applied. */
  readonly redeliver?: boolean
}

/** Does a phase-1 execution conflict with the rows lower transactions reserved, under `checks`? */
function conflicts(e: Execution, reserved: ReadonlySet<RowKey>, checks: PriorChecks): boolean {
  if (checks.stale && e.stale === true) return true
  const own = new Set(e.writes.map((w) => w.rowKey))
  return e.accessed.some((rk) => reserved.has(rk) && (own.has(rk) ? checks.writes : checks.reads))
}

/** The fallback's walks as the variant runs them: its checks, its order, its redelivery. */
function variantExecutor(inner: BatchExecutor, v: Variant): BatchExecutor {
  return {
    ...(inner.memory === undefined ? {} : { memory: inner.memory.bind(inner) }),
    runOnSnapshot: (txns) => inner.runOnSnapshot(txns),
    async runWalks(tasks: readonly WalkTask[]): Promise<WalkResult[]> {
      const bent = tasks.map((t) => {
        let idx = t.txns.map((_, i) => i)
        if (v.order !== undefined) idx = v.order(t.txns)
        const pairs = idx.flatMap((i) => (v.redeliver === true ? [[i, t.priors[i] ?? null], [i, null]] : [[i, t.priors[i] ?? null]]) as [number, Execution | null][])
        return { ...t, checks: v.checks, txns: pairs.map(([i]) => t.txns[i] as SequencedTxn), priors: pairs.map(([, p]) => p) }
      })
      const results = await inner.runWalks(bent)
      // Back to one execution per transaction in id order (the last delivery's), as the fallback expects.
      return results.map((r, k) => {
        if (r.lockMiss !== null) return r
        const last = new Map<number, Execution>()
        for (const e of r.executions) last.set(e.id, e)
        return { ...r, executions: (tasks[k] as WalkTask).txns.map((t) => last.get(t.id) as Execution) }
      })
    },
  }
}

/** Aria with the variant's validation, tie-break order and walks; the fallback is the shared one. */
function ariaVariant(name: string, v: Variant): Protocol {
  return {
    name,
    async runBatch(txns, exec) {
      const phase1 = await exec.runOnSnapshot(txns)
      const reserved = new Set<RowKey>()
      const conflicted = phase1.map(() => false)
      for (const i of v.order?.(txns) ?? txns.map((_, j) => j)) {
        const e = phase1[i] as Execution
        conflicted[i] = conflicts(e, reserved, v.checks)
        for (const w of e.writes) reserved.add(w.rowKey)
      }
      return deterministicFallback(txns, phase1.map((e) => e.accessed), phase1, conflicted, variantExecutor(exec, v))
    },
  }
}

/**
 * Aria whose serial walk of a contended batch (contention.ts) takes the sample's phase-1 executions as
 * final instead of checking each against what the transactions before it wrote.
 */
const contendedSampleUnchecked: Protocol = {
  name: 'aria/contended-sample-unchecked',
  runBatch: (txns, exec) => aria.runBatch(txns, {
    ...(exec.memory === undefined ? {} : { memory: exec.memory.bind(exec) }),
    runOnSnapshot: (t) => exec.runOnSnapshot(t),
    runWalks: (tasks) => exec.runWalks(tasks.map((t) => {
      if (t.keys !== null) return t
      const leading = t.priors.findIndex((p) => p === null)
      return { ...t, fixed: Math.max(t.fixed ?? 0, leading < 0 ? t.priors.length : leading) }
    })),
  }),
}

/** The partition a transaction arrives at: its key's, among 8 (what a per-partition queue would see). */
const HOME_PARTITIONS = { partitions: 8 } as TableDef
function homePartition(t: SequencedTxn): number {
  return 'key' in t.input ? partitionOf(HOME_PARTITIONS, t.input.key) : 0
}
const arrivalOrder: Order = (txns) => txns.map((_, i) => i).sort((a, b) => homePartition(txns[a] as SequencedTxn) - homePartition(txns[b] as SequencedTxn) || a - b)

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'skip-ww-check',
    bug: 'validation ignores write-write conflicts: a transaction that wrote a row a lower id also wrote keeps its execution',
    caughtBy: PROTOCOL_CATCHERS,
    protocol: ariaVariant('aria/skip-ww-check', { checks: { ...ALL_PRIOR_CHECKS, writes: false } }),
  },
  {
    name: 'skip-raw-check',
    bug: 'validation ignores read-after-write conflicts: a transaction that read a row a lower id wrote keeps its execution',
    caughtBy: PROTOCOL_CATCHERS,
    protocol: ariaVariant('aria/skip-raw-check', { checks: { ...ALL_PRIOR_CHECKS, reads: false } }),
  },
  {
    name: 'stale-snapshot',
    bug: "an execution that read the previous batch's snapshot (pipelining, before its commit was visible) is kept",
    caughtBy: PROTOCOL_CATCHERS,
    protocol: ariaVariant('aria/stale-snapshot', { checks: { ...ALL_PRIOR_CHECKS, stale: false } }),
  },
  {
    name: 'arrival-order-tiebreak',
    bug: 'conflicts are resolved, and conflicting transactions walked, in the order they arrived at their home partition instead of the global sequence order',
    caughtBy: PROTOCOL_CATCHERS,
    protocol: ariaVariant('aria/arrival-order-tiebreak', { checks: ALL_PRIOR_CHECKS, order: arrivalOrder }),
  },
  {
    name: 'double-apply',
    bug: 'the fallback re-delivers each transaction it walks and applies the writes of both deliveries',
    caughtBy: PROTOCOL_CATCHERS,
    protocol: ariaVariant('aria/double-apply', { checks: ALL_PRIOR_CHECKS, redeliver: true }),
  },
  {
    name: 'contended-sample-unchecked',
    bug: "a batch whose phase-1 sample predicts it contended is walked serially keeping the sample's executions unchecked, though a lower transaction of the sample wrote rows they read",
    // Not elle: its histories come over WebSocket in batches too small to be sampled (contention.ts).
    caughtBy: ['replay', 'determinism', 'crash'],
    protocol: contendedSampleUnchecked,
  },
  {
    name: 'ack-before-durable',
    bug: 'a batch is acknowledged once executed, before its log entry is durable',
    caughtBy: ['crash'],
    faults: { ackBeforeDurable: true },
  },
  {
    name: 'wrong-recovery-position',
    bug: 'recovery resumes the sequencer one batch behind the log, so positions repeat after a restart',
    caughtBy: ['crash'],
    faults: { recoverOneBatchBack: true },
  },
  {
    name: 'replay-from-wrong-position',
    bug: 'recovery replays the log from one batch past the checkpoint, so the first batch the checkpoint lacks is lost',
    caughtBy: ['crash'],
    faults: { replayFromWrongPosition: true },
  },
  {
    name: 'checkpoint-first-image',
    bug: 'a checkpoint writes the first image a row had since the last checkpoint instead of the last one: row images out of order',
    caughtBy: ['replay', 'crash'],
    faults: { checkpointFirstImage: true },
  },
  {
    name: 'replay-reads-clock',
    bug: "recovery re-executes a logged batch at the time of its own clock instead of the time logged with it: what read the batch time (CURRENT_TIMESTAMP, txn_time_ms) gets another value than the first execution published",
    caughtBy: ['crash'],
    faults: { replayReadsClock: true },
  },
  {
    name: 'open-forgets-batch-time',
    bug: 'an open forgets the batch times of the past (the checkpoint\'s last, the logged batches\'): after a restart on a clock stepped back, new batches are stamped earlier than the batches before it',
    caughtBy: ['crash'],
    faults: { openForgetsBatchTime: true },
  },
  {
    name: 'log-zeros-over-entries',
    bug: 'the batch log preallocates its zeros from the start of the group it just wrote, over acknowledged entries, which an open then reads as the preallocated end',
    caughtBy: ['crash'],
    faults: { preallocateOverEntries: true },
  },
  {
    name: 'repartition-reads-catalog-layout',
    bug: 'after ALTER TABLE … PARTITIONS, execution threads look a row up in the checkpoint by the new partition count before the checkpoint has moved the rows: they miss it, or find no such partition table',
    caughtBy: ['replay', 'determinism', 'crash'],
    faults: { repartitionReadsCatalogLayout: true },
  },
  {
    name: 'add-column-reads-catalog-columns',
    bug: 'after ALTER TABLE … ADD COLUMN, execution threads ask the checkpoint for the catalog\'s columns before the checkpoint has added the new one: the read fails',
    caughtBy: ['replay', 'determinism'],
    faults: { addColumnReadsCatalogColumns: true },
  },
  {
    name: 'rename-reads-catalog-key',
    bug: 'after ALTER TABLE … RENAME COLUMN of the key, execution threads look a row up in the checkpoint by the new name before the checkpoint has renamed the column: the read fails',
    caughtBy: ['replay', 'determinism'],
    faults: { renameReadsCatalogKey: true },
  },
  {
    name: 'add-reuses-dropped-place',
    bug: 'ALTER TABLE … ADD COLUMN puts the new column in the place of a dropped one instead of last: rows written before the drop read the dropped values there, not the new default',
    caughtBy: ['replay'],
    faults: { addReusesDroppedPlace: true },
  },
  {
    name: 'walk-ahead-misses-unreleased-writes',
    bug: "with no worker threads, a batch's walks start before the batch ahead of it is released but read the released state alone, missing that batch's writes",
    caughtBy: ['replay', 'determinism', 'crash'],
    faults: { walksAheadWithoutImages: true },
    workers: 0,
  },
  {
    name: 'snapshot-resumes-late',
    bug: "a node that joins from the writer's snapshot resumes the stream one batch late: it never applies the first batch the snapshot lacks",
    caughtBy: ['crash'],
    faults: { snapshotResumesLate: true },
    cluster: true,
  },
  {
    name: 'fenced-append-acked',
    bug: "a writer that lost its lease takes the stream's refusal of its next entry (another writer appended) for an acknowledgement, and acknowledges batches the stream never held",
    caughtBy: ['crash'],
    faults: { fencedAppendAcked: true },
    cluster: true,
  },
  {
    name: 'writer-skips-start-fence',
    bug: "a node that takes the writer lease at its start (the writer before it paused past the lease) does not fence the stream: the old writer, resumed, appends and acknowledges a batch the new one never read, and a read through the new one misses it",
    caughtBy: ['crash'],
    faults: { writerSkipsStartFence: true },
    cluster: true,
  },
  {
    name: 'follower-reads-ignore-position',
    bug: "a follower answers a read-only query from the state it holds when the writer's read position comes, without waiting to apply that batch: a read through it may miss writes acknowledged before it was sent",
    caughtBy: ['elle'],
    faults: { followerReadsIgnorePosition: true },
    cluster: true,
  },
  {
    name: 'commit-trace-skips-batch-prefix',
    bug: "EXPLAIN COMMIT rebuilds the state before the position's batch but leaves out the transactions before it in that batch",
    caughtBy: ['trace'],
    faults: { commitTraceSkipsBatchPrefix: true },
  },
  {
    name: 'commit-trace-reads-clock',
    bug: 'EXPLAIN COMMIT re-runs a position at the time of its own clock, not at the time logged with its batch: a trace of what read the batch time shows another value than the one committed',
    caughtBy: ['trace'],
    faults: { commitTraceReadsClock: true },
  },
  {
    name: 'trace-base-unheld',
    bug: 'the log drops what the checkpoint holds as if no copy of the checkpoint kept for EXPLAIN COMMIT needed it: positions after the oldest copy cannot be re-run',
    caughtBy: ['trace'],
    faults: { traceBaseUnheld: true },
  },
  {
    name: 'trace-base-batch-behind',
    bug: 'a copy of the checkpoint kept for EXPLAIN COMMIT says it holds one batch less than it does: a re-run from it applies that batch twice',
    caughtBy: ['trace'],
    faults: { traceBaseBatchBehind: true },
  },
]

export function mutantByName(name: string): Mutant {
  const m = MUTANTS.find((x) => x.name === name)
  if (m === undefined) throw new Error(`unknown mutant '${name}' (known: ${MUTANTS.map((x) => x.name).join(', ')})`)
  return m
}

/** The open() options that run a mutant (none: the real engine). */
export function withMutant(options: OpenOptions, mutant: Mutant | null): OpenOptions {
  if (mutant === null) return options
  return {
    ...options, ...(mutant.protocol ? { protocol: mutant.protocol } : {}), ...(mutant.faults ? { faults: mutant.faults } : {}),
    ...(mutant.workers !== undefined ? { workers: mutant.workers } : {}),
  }
}
