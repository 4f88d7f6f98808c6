// The harness's properties: each a fast-check arbitrary of inputs and a check that runs the engine on
// one input and throws PropertyFailure when an oracle disagrees. `acheron check` runs them; so can a
// researcher's own suite (the `acheron/testing` export).
import type fc from 'fast-check'
import type { NatsNode } from '../cluster/local-nats.js'
import type { OpenOptions } from '../embedded.js'
import type { AcheronError, CommitPosition } from '../errors.js'
import type { StatementResult } from '../sql/execute.js'
import { literal } from '../txn/explain.js'
import type { Protocol } from '../txn/protocols/protocol.js'
import type { TxnOutcome } from '../txn/types.js'
import { replies, runTimesText, runWorkload, wasmStepFunctions, type EngineCache, type EngineRun, type StepFunctions } from './engine-run.js'
import { expect, PropertyFailure, stableText } from './failure.js'
import { withMutant, type Mutant } from './mutants.js'
import { checkDeclaredOrderReplay } from './replay-oracle.js'
import { showWorkload, workloadArb, type Workload } from './workload.js'

export interface CheckConfig {
  /** Transactions per generated history. */
  readonly txns: number
  /** Partitions of every table (absent: each run draws 1–8). */
  readonly partitions?: number
  /** Worker threads of the engine under test. */
  readonly workers: number
  /** The protocol under test (default aria); a mutant's protocol replaces it. */
  readonly protocol?: string | Protocol
  /** For the crash property's server child: `--protocol` as `acheron serve` takes it. */
  readonly protocolSpec?: string
  readonly mutant: Mutant | null
  /** The function runtime that executes step programs (default: the real WebAssembly interpreter). */
  readonly functions?: () => StepFunctions
  /** Extra open() options for every engine the properties start (e.g. research runtimes). */
  readonly open?: OpenOptions
  /** Engines reused across runs (each run recreates its tables); absent: a fresh engine per run. */
  readonly engines?: EngineCache
  /**
   * The crash property's servers keep their batch log on these NATS servers (`--log-nats`), a new stream
   * per scenario, and restart on a new, empty data directory: the stream alone must recover them.
   */
  readonly natsLog?: {
    readonly urls: readonly string[]
    readonly replicas: number
    stream(): string
    /** A writer and a follower (`--failover`) instead of one server: the kill is a fail-over. */
    readonly failover?: boolean
    /** NATS servers a fail-over scenario may SIGKILL too (`--cluster`); each is restarted after its scenario. */
    readonly killable?: readonly NatsNode[]
  }
}

export interface Property<T> {
  readonly name: string
  /** What it checks, in one line. */
  readonly oracle: string
  arbitrary(config: CheckConfig): fc.Arbitrary<T>
  /** Runs the engine on one input; throws PropertyFailure on a disagreement. */
  check(input: T, config: CheckConfig): Promise<void>
  /** A printable counterexample. */
  show(input: T): string
}

function engineOptions(config: CheckConfig, overrides: OpenOptions = {}): OpenOptions {
  const base: OpenOptions = { sync: 'off', workers: config.workers, protocol: config.protocol ?? 'aria', ...config.open, ...overrides }
  return withMutant(base, config.mutant)
}

function workloadOf(config: CheckConfig): fc.Arbitrary<Workload> {
  return workloadArb({ txns: config.txns, ...(config.partitions !== undefined ? { partitions: config.partitions } : {}) })
}

function relativeReplies(run: EngineRun): unknown[] {
  // Numbered from 1, as relativePositions does and as a replay on a fresh engine numbers them.
  const base = (run.outcomes.find((o) => o.commit !== undefined)?.commit?.batch ?? 1) - 1
  return replies(run).map((r) => {
    const c = (r as { c: { batch: number; seq: number } | null }).c
    return { ...(r as object), c: c === null ? null : { batch: c.batch - base, seq: c.seq } }
  })
}

function cached(config: CheckConfig, key: string): { engines: EngineCache; key: string } | undefined {
  return config.engines === undefined ? undefined : { engines: config.engines, key }
}

function fns(config: CheckConfig): StepFunctions {
  return (config.functions ?? wasmStepFunctions)()
}

/** A workload property's check whose failure shows the batch times as times since the run's clock started (runTimesText). */
function withRunTimes(check: (w: Workload, config: CheckConfig) => Promise<void>): (w: Workload, config: CheckConfig) => Promise<void> {
  return async (w, config) => {
    try {
      await check(w, config)
    } catch (err) {
      throw err instanceof PropertyFailure ? new PropertyFailure(runTimesText(w, err.message)) : err
    }
  }
}

/** Oracle 1: every result, abort decision and the final state equal the model's replay in (batch, seq) order. */
export const declaredOrderReplay: Property<Workload> = {
  name: 'replay',
  oracle: 'declared-order replay: results, aborts and final state equal the reference model run one at a time in (batch, seq) order',
  arbitrary: workloadOf,
  check: withRunTimes(async (w, config) => {
    const f = fns(config)
    const run = await runWorkload(w, engineOptions(config), f, cached(config, 'subject'))
    checkDeclaredOrderReplay(w, run, f.modelFuel)
  }),
  show: showWorkload,
}

/**
 * Oracle 3: the same input log gives identical per-batch digests and replies across runs, worker
 * counts and protocols. The engine under test (with any mutant) is compared with a second engine of
 * the same configuration (timing differs between them), with calvin on one worker and with serial on
 * the coordinator thread.
 */
export const determinism: Property<Workload> = {
  name: 'determinism',
  oracle: 'determinism: identical per-batch state digests and replies across runs, worker counts and protocols',
  arbitrary: workloadOf,
  check: withRunTimes(async (w, config) => {
    const f = fns(config)
    const subject = await runWorkload(w, engineOptions(config), f, cached(config, 'determinism subject'))
    const others: [string, OpenOptions | null][] = [
      ['the same configuration again', null],
      [`calvin, 1 worker`, { protocol: 'calvin', workers: 1 }],
      [`serial, no workers`, { protocol: 'serial', workers: 0 }],
    ]
    for (const [label, o] of others) {
      // The comparison runs use the real protocols; an engine fault stays on (it is part of the engine).
      const options = o === null ? engineOptions(config) : { ...engineOptions(config, o), ...o }
      const run = await runWorkload(w, options, f, cached(config, label))
      const n = Math.max(subject.digests.length, run.digests.length)
      for (let b = 0; b < n; b++) {
        expect(subject.digests[b] === run.digests[b], () => `digest after data batch ${b + 1} differs from ${label}: ${subject.digests[b]} vs ${run.digests[b]}`)
      }
      // Engines reused across runs have numbered different batches before this run: compare positions
      // relative to the run's first batch.
      const mine = relativeReplies(subject)
      const theirs = relativeReplies(run)
      mine.forEach((r, i) => expect(stableText(r) === stableText(theirs[i]), () => `txn #${i} replied ${stableText(r)}, under ${label} ${stableText(theirs[i])}`))
    }
  }),
  show: showWorkload,
}

/** Positions one run re-runs with EXPLAIN COMMIT (spread over the run, later-in-batch ones first). */
export const TRACED_POSITIONS_PER_RUN = 8

/**
 * The trace subject's storage: small log segments, none kept for their own sake, a checkpoint after every
 * batch, and a new copy of the checkpoint for EXPLAIN COMMIT every few batches of log (never by time). So
 * most positions lie before the checkpoint, the bases roll while the runs go, and the log drops what
 * is behind the oldest base: re-running a position exercises the copies and what the log keeps for them.
 */
const TRACE_SUBJECT_STORAGE: OpenOptions = {
  checkpointIntervalMs: 0, logSegmentBytesMax: 2048, logSegmentsKept: 0, traceBaseLogBytes: 8192, traceBaseIntervalMs: 24 * 3_600_000,
}

/**
 * Oracle 5: EXPLAIN COMMIT re-runs a position serially from the batch log, on the state of every
 * position before it (src/inspect/): its verdict must be what the position's reply said — committed with
 * the same value, or rolled back with the same code. A protocol whose executions are not equivalent to
 * (batch, seq) order disagrees here too, as does a trace that rebuilds the wrong state.
 */
export const commitTraces: Property<Workload> = {
  name: 'trace',
  oracle: 'EXPLAIN COMMIT: a position re-run serially from the batch log ends as its reply said (value, or error code)',
  arbitrary: workloadOf,
  check: withRunTimes(async (w, config) => {
    const f = fns(config)
    const kinds = w.batches.flat().map((t) => t.kind)
    // A batch of point reads alone is answered as queries: not logged, so EXPLAIN COMMIT rightly refuses
    // their positions (docs/sql.md). They were traced, and the refusal failed the real engine.
    const queries = w.batches.flatMap((g) => g.map(() => g.every((t) => t.kind === 'get')))
    await runWorkload(w, engineOptions(config, { memory: false, ...TRACE_SUBJECT_STORAGE }), f, cached(config, 'trace subject'), async (db, run) => {
      const positions: { o: TxnOutcome; commit: CommitPosition }[] = []
      run.outcomes.forEach((o, i) => {
        // An ALTER TABLE ran alone, with no call trace; a failed batch has no position.
        if (kinds[i] !== 'repartition' && kinds[i] !== 'add-column' && kinds[i] !== 'rename-key' && kinds[i] !== 'drop-column' && queries[i] !== true && o.commit !== undefined) positions.push({ o, commit: o.commit })
      })
      const later = positions.filter((p) => p.commit.seq > 0)
      const pool = later.length >= TRACED_POSITIONS_PER_RUN ? later : positions
      const step = Math.max(1, Math.floor(pool.length / TRACED_POSITIONS_PER_RUN))
      // The engine is reused across runs: name each position also as the counterexample numbers batches.
      const base = (run.outcomes.find((o) => o.commit !== undefined)?.commit?.batch ?? 1) - 1
      for (const { o, commit } of pool.filter((_, i) => i % step === 0).slice(0, TRACED_POSITIONS_PER_RUN)) {
        const at = `(${commit.batch}, ${commit.seq})`
        const named = `${at} (batch ${commit.batch - base} of this run, seq ${commit.seq})`
        let trace: StatementResult | undefined
        try {
          [trace] = await db.sql(`EXPLAIN COMMIT ${at}`)
        } catch (err) {
          // A position at or before the oldest copy of the checkpoint kept is one the database no longer
          // promises to re-run (the copies rolled on while the run went); any later one it must.
          const oldest = db.oldestTraceBase
          if ((err as AcheronError).code === 'POSITION_UNAVAILABLE' && oldest !== null && commit.batch <= oldest) continue
          throw err
        }
        const last = trace?.rows[trace.rows.length - 1] ?? []
        const [event, detail] = [String(last[2]), String(last[6])]
        if (o.ok) {
          expect(event === 'committed', () => `${named} committed, yet EXPLAIN COMMIT ends with ${event}: ${detail}`)
          const value = o.result.value
          if (value !== undefined) {
            expect(detail === `result ${literal(value)} at ${at}`, () => `${named} replied ${literal(value)}, EXPLAIN COMMIT says ${detail}`)
          }
        } else {
          expect(event === 'rolled back' && detail.startsWith(`${o.failure.code}: `), () => `${named} rolled back with ${o.failure.code}, EXPLAIN COMMIT ends with ${event}: ${detail}`)
        }
      }
    })
  }),
  show: showWorkload,
}

