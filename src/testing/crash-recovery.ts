// Oracle 4, crash recovery: a real `acheron serve` child receives a pipelined stream of transactions on
// one connection (so their order is the send order) and is SIGKILLed at a chosen event — when the
// client has received a chosen number of replies, or by the server itself at the K-th instant of a
// named kind: in the middle of writing a log entry, inside a checkpoint, between the deletions of two
// log segments. Event counts, not wall time. It restarts on the same data and takes a few more
// transactions. The recovered state must be exactly the reference model after some prefix of
// the stream that holds every acknowledged transaction, then the later ones; every reply must equal the
// model's, and the published positions must ascend in send order across the restart.
import type { ChildProcess } from 'node:child_process'
import fc from 'fast-check'
import { connect, isOutcomeUnknown, type RemoteDatabase } from '../client/remote.js'
import { AcheronError, type CommitPosition } from '../errors.js'
import { scratchDir, stepsModule, tableDdl, WASM_STEPS_FUEL } from './engine-run.js'
import { expect, PropertyFailure, stableText } from './failure.js'
import type { CheckConfig, Property } from './properties.js'
import { ReferenceModel, type ModelOutcome, type ModelTxn } from './reference-model.js'
import { encodeSteps } from './steps.js'
import { matchTimes, timePattern } from './time-placeholders.js'
import { txnArb, uniqueAppends, type WorkloadTable } from './workload.js'
import { CRASH_EVENTS, type CrashAt } from '../crash-points.js'
import { startServeChild } from '../cli/serve-child.js'
import { engineUnderTestArgs, HARNESS_SERVE_START_TIMEOUT_MS } from './harness-serve.js'

type CallTxn = Extract<ModelTxn, { kind: 'call' }>

export interface CrashInput {
  readonly partitions: number
  /** Sent pipelined before the crash. */
  readonly before: readonly CallTxn[]
  /** The server is killed when this many replies of `before` have arrived (1..before.length)... */
  readonly killAfterReplies: number
  /** ...unless it kills itself first at this instant (`acheron serve --crash-at EVENT:N`). */
  readonly crashAt: CrashAt | null
  /** How the server checkpoints: `--checkpoint-interval-ms` (0: after every batch), `--log-segment-bytes`. */
  readonly checkpointIntervalMs: number
  /** Bytes of log after which a new copy of the checkpoint is kept for EXPLAIN COMMIT. */
  readonly traceBaseLogBytes: number
  readonly logSegmentBytes: number
  /** Sent one at a time after the restart. */
  readonly after: readonly CallTxn[]
  /**
   * On a cluster (`acheron check --cluster`): this NATS server (an index among three) is SIGKILLed too,
   * when this many replies of `before` have arrived (1..before.length).
   */
  readonly natsKill: { readonly server: number; readonly afterReplies: number }
  /**
   * `ALTER TABLE kv PARTITIONS n`, pipelined right before `before[at]`: the rows move at that position
   * (in whichever checkpoint reaches it, which the kill may interrupt), and recovery must agree.
   */
  readonly repartition: { readonly at: number; readonly partitions: number } | null
  /**
   * On a cluster with fail-over: after the first half of `before`, a third node joins on a new data
   * directory (from the writer's snapshot, where the stream's front was purged: every node keeps only
   * two batches behind its checkpoint), the first follower is killed, and the rest goes through the
   * joined node, which must take over from the writer when that is killed.
   */
  readonly join: boolean
  /**
   * With `join`: the joining node starts while the stream still flows through the follower, one
   * transaction at a time until it is ready (at most half of what remains), so that the writer takes
   * its snapshot, checkpoints and purges the stream under load; the rest goes through the joined node.
   */
  readonly joinUnderLoad: boolean
  /**
   * On a cluster with fail-over, without `join`: the stream goes to the writer itself, which stops
   * itself (SIGSTOP, `acheron serve --pause-at log-write:N`) instead of being killed, right before it
   * publishes the stream's first batch (the set-up takes two messages): a batch in flight. When its
   * lease has lapsed and the follower has taken over, it is resumed: that batch's append is refused (the
   * new writer's fence), the requests that waited in its socket go to the new writer, and it follows.
   * Then the new writer is killed, and the first must take the stream over again. Or (`afterReplies`)
   * the harness stops the writer (SIGSTOP) when that many replies have arrived, at whatever instant of
   * its work that is, and the rest goes as above. With `followerStartsLate` (at the log write), no
   * follower runs while the writer pauses: one starts once the paused writer's lease has lapsed, takes the
   * lease at its start, and must fence the stream before it serves; the stream's first transaction is then
   * sent alone, and the rest after the read below. Null: no pause.
   * Either way, a read of the state through the node that took over, sent as the first replies come
   * once the writer is resumed, must hold every transaction acknowledged before it.
   */
  readonly pause: { readonly logWrite: number; readonly followerStartsLate: boolean } | { readonly afterReplies: number } | null
  /**
   * A change of `kv`'s columns, pipelined right before `before[at]` as the repartition is: an ADD COLUMN
   * (rows written before it take its default) or a RENAME COLUMN of the key `k` (rows the checkpoint
   * holds are found under the old name until it catches up). Either way the state checked is the first
   * three columns, whatever their names: recovery must agree with the stream, ALTER or not.
   */
  readonly alter: { readonly at: number; readonly kind: 'add-column' | 'rename-key' } | null
  /**
   * One server (no fail-over): at the reply count it is stopped cleanly (SIGTERM) instead of killed, so its
   * closing checkpoint holds every batch and the restart replays none: what the restart knows of the past
   * is the checkpoint alone.
   */
  readonly stopCleanly: boolean
  /**
   * One server: it restarts on a clock an hour behind the machine's (`acheron serve --clock-back-ms`, as
   * after the machine's clock was stepped back): the batches after the restart must not be stamped
   * earlier than those before it.
   */
  readonly clockBack: boolean
}

/** How far behind the restart's clock runs in a `clockBack` scenario. */
const CLOCK_BACK_MS = 3_600_000
/** How long a server stopped with SIGTERM may take to stop. */
const CLEAN_STOP_TIMEOUT_MS = 30_000

const ALTER_SQL = {
  'add-column': 'ALTER TABLE kv ADD COLUMN IF NOT EXISTS a1 INTEGER NOT NULL DEFAULT 7',
  'rename-key': 'ALTER TABLE kv RENAME COLUMN k TO id',
} as const

/** The state a scenario checks: kv's key, v and log (by place: a RENAME may have named the key id), in key order. */
const STATE_SQL = 'SELECT * FROM kv ORDER BY 1'

/**
 * Small segments and frequent checkpoints, so that a short stream crosses every kind of instant; with the
 * first two, EXPLAIN COMMIT's copies of the checkpoint (src/inspect/trace-bases.ts) roll every few
 * batches, so that the log drops segments behind them as it runs.
 */
const STORAGE_SETTINGS = [
  { checkpointIntervalMs: 0, logSegmentBytes: 2048, traceBaseLogBytes: 1024 },
  { checkpointIntervalMs: 5, logSegmentBytes: 400, traceBaseLogBytes: 512 },
  { checkpointIntervalMs: 1000, logSegmentBytes: 64 * 1024, traceBaseLogBytes: 128 * 1024 * 1024 },
] as const

/**
 * How long a scenario's server may take to start. A node joining a cluster waits for a writer to answer
 * for its snapshot, and a scenario may have killed the writer and a NATS server together: the lease's 12 s
 * (WRITER_LEASE_TTL_MS), a leader election of 5–7 s and the new writer's catch-up came near 30 s, and one
 * run of `check --cluster` failed "not ready within 30000 ms" with "no snapshot yet (no writer answered)"
 * (2026-12-07). The same bound as the harness's other servers (HARNESS_SERVE_START_TIMEOUT_MS).
 */
const START_TIMEOUT_MS = HARNESS_SERVE_START_TIMEOUT_MS
/** Batch log messages of a scenario's set-up: its CREATE TABLE and its CREATE FUNCTION. */
const SET_UP_LOG_WRITES = 2

/** Transactions sent after the restart, at most. */
const AFTER_TXNS_MAX = 8
/**
 * One transaction in this many ends with a `time` step: its reply shows the batch time, and the row it
 * appends to holds it, which a replay must write again as the first execution did.
 */
const TIME_STEP_ONE_IN = 3

/**
 * A fraction in [0, 1), uniform. fast-check's doubles are biased to their bounds for the sake of edge
 * cases: drawn that way, 81 of 100 scenarios killed the server after its first reply and almost none in
 * the middle of the stream.
 */
const uniformFraction = fc.noBias(fc.integer({ min: 0, max: 9_999 })).map((i) => i / 10_000)

/** The reply count (1 to `replies`) at a fraction drawn by uniformFraction. */
function replyAt(fraction: number, replies: number): number {
  return 1 + Math.min(replies - 1, Math.floor(fraction * replies))
}

export function crashInputArb(config: { txns: number; partitions?: number }): fc.Arbitrary<CrashInput> {
  const partitions = config.partitions !== undefined ? fc.constant(config.partitions) : fc.integer({ min: 1, max: 8 })
  const timeDraws = Math.max(1, config.txns) + AFTER_TXNS_MAX
  return partitions.chain((p) => {
    const table: WorkloadTable = { name: 'kv', partitions: p }
    const call = txnArb([table], { txns: 1 }).filter((t): t is CallTxn => t.kind === 'call')
    return fc.record({
      before: fc.array(call, { minLength: 1, maxLength: Math.max(1, config.txns), size: 'max' }),
      after: fc.array(call, { minLength: 1, maxLength: AFTER_TXNS_MAX }),
      kill: uniformFraction,
      event: fc.option(fc.constantFrom(...CRASH_EVENTS), { freq: 2 }),
      eventCount: fc.integer({ min: 1, max: 12 }),
      storage: fc.constantFrom(...STORAGE_SETTINGS),
      natsServer: fc.integer({ min: 0, max: 2 }),
      natsKill: uniformFraction,
      repartition: fc.option(fc.record({ at: uniformFraction, partitions: fc.integer({ min: 1, max: 8 }) }), { freq: 3 }),
      join: fc.boolean(),
      joinUnderLoad: fc.boolean(),
      pause: fc.boolean(),
      // Drawn last, so that the scenarios drawn before it stay as they were: half of those that neither
      // join nor pause at the log stop the writer from outside at a drawn reply instead of killing it.
      stop: fc.integer({ min: 0, max: 1 }),
      stopAtReply: uniformFraction,
      // Drawn after it, for the same reason.
      alter: fc.option(fc.record({ at: uniformFraction, kind: fc.constantFrom('add-column' as const, 'rename-key' as const) }), { freq: 3 }),
      // Drawn after it, for the same reason: which transactions end by reading the batch time.
      timed: fc.array(fc.nat({ max: TIME_STEP_ONE_IN - 1 }), { minLength: timeDraws, maxLength: timeDraws }),
      // Drawn after them, for the same reason.
      stopCleanly: fc.boolean(),
      clockBack: fc.boolean(),
      // Drawn after them, for the same reason.
      lateStart: fc.boolean(),
    }).map(({ before, after, kill, event, eventCount, storage, natsServer, natsKill, repartition, join, joinUnderLoad, pause, stop, stopAtReply, alter, timed, stopCleanly, clockBack, lateStart }) => {
      const withTime = (t: CallTxn, n: number): CallTxn => (timed[n] === 0 ? { ...t, program: [...t.program, { op: 'time' }] } : t)
      const [b, a] = uniqueAppends([before.map(withTime), after.map((t, j) => withTime(t, before.length + j))]) as [CallTxn[], CallTxn[]]
      return {
        partitions: p, before: b, after: a, killAfterReplies: replyAt(kill, b.length),
        crashAt: event === null ? null : { event, count: eventCount },
        checkpointIntervalMs: storage.checkpointIntervalMs, logSegmentBytes: storage.logSegmentBytes, traceBaseLogBytes: storage.traceBaseLogBytes,
        natsKill: { server: natsServer, afterReplies: replyAt(natsKill, b.length) },
        repartition: repartition === null ? null : { at: replyAt(repartition.at, b.length) - 1, partitions: repartition.partitions },
        alter: alter === null ? null : { at: replyAt(alter.at, b.length) - 1, kind: alter.kind },
        join,
        joinUnderLoad: join && joinUnderLoad,
        // The stream's first batch: the one log write every stream surely makes (pipelined, the whole
        // stream may be one batch). A later count could fall after the stream, on the node left alone.
        pause: join ? null
          : pause ? { logWrite: SET_UP_LOG_WRITES + 1, followerStartsLate: lateStart }
          : stop === 0 ? { afterReplies: replyAt(stopAtReply, b.length) }
          : null,
        stopCleanly,
        clockBack,
      }
    })
  })
}

interface Server { child: ChildProcess; url: string; stderrTail(): string }

/** `stream`: the JetStream stream of this scenario's batch log (config.natsLog), else the data directory's files. */
function startServer(dir: string, config: CheckConfig, input: CrashInput, crashAt: CrashAt | null, stream: string | null, extra: readonly string[] = []): Promise<Server> {
  const args = [...extra, '--data', dir, '--port', '0', '--sync', 'full', '--workers', String(config.workers), '--partitions', String(input.partitions),
    '--checkpoint-interval-ms', String(input.checkpointIntervalMs), '--log-segment-bytes', String(input.logSegmentBytes), '--log-segments-kept', '0',
    '--trace-base-log-bytes', String(input.traceBaseLogBytes)]
  if (config.natsLog !== undefined && stream !== null) {
    args.push('--log-nats', config.natsLog.urls.join(','), '--log-stream', stream, '--log-replicas', String(config.natsLog.replicas))
  }
  if (crashAt !== null) args.push('--crash-at', `${crashAt.event}:${crashAt.count}`)
  args.push(...engineUnderTestArgs(config))
  return startServeChild(args, { timeoutMs: START_TIMEOUT_MS, stderr: 'capture' })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** The table and its function; idempotent, so it can run again after a crash during it. */
async function setUp(url: string, partitions: number): Promise<void> {
  const setup = await connect(url)
  try {
    await setup.sql(tableDdl({ name: 'kv', partitions }).replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ') + ';')
    await setup.createFunction('kv.run', stepsModule(), { export: 'run', fuel: WASM_STEPS_FUEL, orReplace: true })
  } finally {
    await setup.close().catch(() => {})
  }
}

type Reply = { ok: true; value: unknown; commit: CommitPosition } | { ok: false; code: string; message: string; commit: CommitPosition | null }

/**
 * A reply, or `unknown` (no reply: the transaction may have committed), or `not-run`: an INTERNAL failure
 * with no position, which left nothing visible (a cluster with no writer during a fail-over answers so). A
 * client that wants it done sends it again; the scenario does not, so the recovered prefix ends before it.
 */
type Sent = Reply | 'unknown' | 'not-run'

async function send(db: RemoteDatabase, t: CallTxn): Promise<Sent> {
  try {
    const r = await db.call(t.fn, t.key, encodeSteps(t.program))
    return { ok: true, value: r.value, commit: r.commit }
  } catch (err) {
    if (isOutcomeUnknown(err) || !(err instanceof AcheronError)) return 'unknown'
    // docs/protocol.md: an INTERNAL with no commit and no outcomeUnknown left nothing visible, and so did
    // any retryable refusal (a writer closing to follow again answers what it had not sequenced so).
    if ((err.code === 'INTERNAL' || err.retryable === true) && err.commit === undefined) return 'not-run'
    return { ok: false, code: err.code, message: err.message, commit: err.commit ?? null }
  }
}

const isReply = (r: Sent): r is Reply => r !== 'unknown' && r !== 'not-run'

/**
 * Sends `before` (from index `from` to `to`, by default all of it) pipelined on one connection, the
 * input's ALTER TABLEs among it; `onReply` sees each reply to a transaction of `before` (and its index
 * there) as it arrives.
 * The ALTER's own reply is not checked (it commits or not; the state is the same either way), and the
 * stream's replies are in `before`'s order.
 */
function sendStream(db: RemoteDatabase, input: CrashInput, onReply: (r: Sent, index: number) => void, from = 0, to = input.before.length): Promise<Sent[]> {
  const replies: Promise<Sent>[] = []
  const alters: Promise<unknown>[] = []
  input.before.slice(from, to).forEach((t, j) => {
    if (input.repartition?.at === from + j) alters.push(db.sql(`ALTER TABLE kv PARTITIONS ${input.repartition.partitions}`).catch(() => null))
    if (input.alter?.at === from + j) alters.push(db.sql(ALTER_SQL[input.alter.kind]).catch(() => null))
    replies.push(send(db, t).then((r) => { onReply(r, from + j); return r }))
  })
  return Promise.all(replies).then(async (rs) => { await Promise.all(alters); return rs })
}

/**
 * The batch times a model cannot know: the servers run on the real clock. The model writes a placeholder
 * `{tN}` for the time the `time` steps of transaction N read (N counts the stream's transactions, then
 * those sent after the restart), and the oracle binds it from that transaction's reply. The state must
 * then hold the time the reply showed: a replay that read another time writes another.
 */
class TimePlaceholders {
  /** The transaction the model applies now. */
  current = 0
  readonly text = (): string => `{t${this.current}}`
}

function cloneModel(m: ReferenceModel, times: TimePlaceholders): ReferenceModel {
  const c = new ReferenceModel([...m.state.keys()], () => Infinity, times.text)
  for (const [t, rows] of m.state) c.state.set(t, new Map(rows))
  return c
}

function modelRows(m: ReferenceModel): unknown[] {
  return [...(m.state.get('kv') ?? new Map()).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, r]) => [Number(k), Number(r.v), r.log])
}

function sameOutcome(got: Reply, want: ModelOutcome, times: Map<number, string>): boolean {
  if (!want.ok) return !got.ok && got.code === want.code
  if (!got.ok) return false
  if (typeof got.value === 'string' && typeof want.value === 'string') return matchTimes(got.value, want.value, times)
  return got.value === want.value
}

/**
 * The batch times acknowledged transactions read, in send order (positions ascend in it): one time per
 * batch, and no batch earlier than the one before it, also across the restart.
 */
function checkBatchTimes(acked: readonly { commit: CommitPosition; time: string | undefined }[]): void {
  let prev: { commit: CommitPosition; time: string } | null = null
  for (const { commit, time } of acked) {
    if (time === undefined) continue
    if (prev !== null) {
      const p: { commit: CommitPosition; time: string } = prev
      if (p.commit.batch === commit.batch) expect(p.time === time, () => `batch ${commit.batch} read two times: ${p.time} at seq ${p.commit.seq}, ${time} at seq ${commit.seq}`)
      else expect(BigInt(p.time) <= BigInt(time), () => `batch ${commit.batch} read the time ${time}, earlier than batch ${p.commit.batch}'s ${p.time}`)
    }
    prev = { commit, time }
  }
}

/**
 * The verdict on one scenario: positions ascend in send order across the kill; every acknowledged reply
 * is the model's; the state after is the model after a prefix of the stream that holds every
 * acknowledged transaction, then the later ones; the state holds the batch times the replies showed. A
 * transaction refused unrun is in no prefix: with `input.pause`, transactions sent after it may still be
 * acknowledged (the paused writer refuses what it had in flight, then forwards the rest to the new
 * writer), and it is skipped; else nothing after it may have run, and the prefix ends before it.
 * With `forwarded` (a fail-over scenario, whose requests may go through a follower) a transaction whose
 * outcome is unknown before the last acknowledged one may have committed or not (unknownAssignments): the
 * verdict holds if it holds for one of the choices. On one server, what was sent before an acknowledged
 * transaction on its connection was sequenced before it: taken as committed.
 */
function checkRecovered(input: CrashInput, before: readonly Sent[], after: readonly Reply[], state: readonly unknown[], forwarded = false): void {
  // Positions ascend in send order, across the restart.
  const acked = [...before, ...after].filter(isReply)
  for (let i = 1; i < acked.length; i++) {
    const p = acked[i - 1]?.commit
    const q = acked[i]?.commit
    if (p == null || q == null) continue
    expect(p.batch < q.batch || (p.batch === q.batch && p.seq < q.seq), () => `positions do not ascend in send order: ${stableText(p)} then ${stableText(q)}`)
  }
  // Some prefix of the stream, holding every acknowledged transaction, then the later ones.
  const lastAcked = before.reduce((m, r, i) => (isReply(r) ? i : m), -1)
  if (input.pause === null) {
    // Nothing after a transaction that was refused unrun may have run before it: the prefix ends there.
    const firstNotRun = before.indexOf('not-run')
    expect(firstNotRun < 0 || lastAcked < firstNotRun, () => `stream txn #${lastAcked} was acknowledged after #${firstNotRun} was refused unrun`)
  }
  const unknown = forwarded ? unknownBefore(before, lastAcked) : []
  let failure: PropertyFailure | null = null
  for (const skip of unknownAssignments(unknown)) {
    try {
      return matchRecovered(input, before, after, state, lastAcked, skip)
    } catch (err) {
      if (!(err instanceof PropertyFailure)) throw err
      failure ??= err
    }
  }
  throw withUnknowns(failure as PropertyFailure, before, unknown)
}

/**
 * The most transactions of unknown outcome before the last acknowledged one whose choices (committed or
 * not) are all tried: 2^this verdicts at most. Beyond it each is taken as committed.
 */
export const UNKNOWN_OUTCOMES_TRIED_MAX = 8

/** The transactions before `lastAcked` whose outcome is unknown (the reply was lost, or the node that had them died). */
function unknownBefore(before: readonly Sent[], lastAcked: number): number[] {
  return before.flatMap((r, i) => (i < lastAcked && r === 'unknown' ? [i] : []))
}

/**
 * Which of `unknown` did not commit, each choice once: none first (every one committed: the likeliest, and
 * the verdict reported when no choice holds), then every other subset while there are at most
 * UNKNOWN_OUTCOMES_TRIED_MAX of them. A request lost between a follower and the writer (a NATS server
 * killed under it) fails as outcome unknown, and the requests sent after it may commit without it.
 */
function* unknownAssignments(unknown: readonly number[]): Generator<ReadonlySet<number>> {
  const choices = unknown.length <= UNKNOWN_OUTCOMES_TRIED_MAX ? 2 ** unknown.length : 1
  for (let a = 0; a < choices; a++) yield new Set(unknown.filter((_, bit) => Math.floor(a / 2 ** bit) % 2 === 1))
}

/** `failure`, naming the transactions of unknown outcome and those refused unrun, when there are any. */
function withUnknowns(failure: PropertyFailure, before: readonly Sent[], unknown: readonly number[]): PropertyFailure {
  const notRun = before.flatMap((r, i) => (r === 'not-run' ? [`#${i}`] : []))
  const notes = [
    ...(unknown.length === 0 ? [] : [`of unknown outcome before the last acknowledged: ${unknown.map((i) => `#${i}`).join(', ')} (${unknown.length <= UNKNOWN_OUTCOMES_TRIED_MAX ? 'each tried committed and not' : 'each taken as committed'})`]),
    ...(notRun.length === 0 ? [] : [`refused unrun: ${notRun.join(', ')}`]),
  ]
  return notes.length === 0 ? failure : new PropertyFailure(`${failure.message} [stream transactions ${notes.join('; ')}]`)
}

/** checkRecovered with the transactions of unknown outcome in `skip` taken as not committed. */
function matchRecovered(input: CrashInput, before: readonly Sent[], after: readonly Reply[], state: readonly unknown[], lastAcked: number, skip: ReadonlySet<number>): void {
  const firstNotRun = before.findIndex((r, i) => i > lastAcked && r === 'not-run')
  const longest = firstNotRun < 0 ? input.before.length : firstNotRun
  const placeholders = new TimePlaceholders()
  const model = new ReferenceModel(['kv'], () => Infinity, placeholders.text)
  const apply = (m: ReferenceModel, n: number, t: CallTxn): ModelOutcome => {
    placeholders.current = n
    return m.apply(t)
  }
  const expected: (ModelOutcome | null)[] = []
  for (let i = 0; i <= lastAcked; i++) expected.push(before[i] === 'not-run' || skip.has(i) ? null : apply(model, i, input.before[i] as CallTxn))
  const times = new Map<number, string>()
  before.forEach((r, i) => {
    if (!isReply(r)) return
    expect(sameOutcome(r, expected[i] as ModelOutcome, times), () => `reply to stream txn #${i}: ${stableText(r)}; the model: ${stableText(expected[i])}`)
  })
  const skipped = before.filter((r, i) => i < lastAcked && r === 'not-run').length
  const tried: string[] = []
  const afterBase = input.before.length
  for (let m = lastAcked + 1; m <= longest; m++) {
    const candidate = cloneModel(model, placeholders)
    const afterOutcomes = input.after.map((t, j) => apply(candidate, afterBase + j, t))
    const bound = new Map(times)
    if (afterOutcomes.every((o, j) => sameOutcome(after[j] as Reply, o, bound)) && timePattern(stableText(modelRows(candidate)), bound).test(stableText(state))) {
      checkBatchTimes([
        ...before.flatMap((r, i) => (isReply(r) ? [{ commit: r.commit as CommitPosition, time: bound.get(i) }] : [])),
        ...after.map((r, j) => ({ commit: r.commit as CommitPosition, time: bound.get(afterBase + j) })),
      ].filter((a) => a.commit !== null))
      return
    }
    // The same prefix with every time unbound tells a replay that read another time from a lost write.
    const unbound = new Map<number, string>()
    const butForTimes = afterOutcomes.every((o, j) => sameOutcome(after[j] as Reply, o, unbound)) && timePattern(stableText(modelRows(candidate)), unbound).test(stableText(state))
    tried.push(butForTimes ? `${m} (equal but for batch times: the state holds times the replies did not show)` : String(m))
    if (m < longest) apply(model, m, input.before[m] as CallTxn)
  }
  throw new PropertyFailure(
    `the recovered state is no prefix of the stream holding all ${before.filter(isReply).length} acknowledged transactions${skipped === 0 ? '' : ` but the ${skipped} before them refused unrun`}${firstNotRun < 0 ? '' : ` and ending before #${firstNotRun}, refused unrun`} (tried prefixes ${tried.join(', ')}): ${stableText(state)}`,
  )
}

/**
 * The state a read returned through the node that took over, sent once stream txn #`lastAcked` (and
 * every one before it that ran) had been acknowledged: it must be the model after a prefix of the stream,
 * less what was refused unrun, that holds them. (Times are left unbound: the verdict after the fail-over
 * checks them.) A node that answers from a state without a batch acknowledged before the read (the
 * writer before it appended after it had taken over: the stream was not fenced) fails it.
 */
function checkReadAfterAcks(input: CrashInput, before: readonly Sent[], lastAcked: number, state: readonly unknown[]): void {
  const got = stableText(state)
  const unknown = unknownBefore(before, lastAcked)
  let tried: number[] = []
  // As in checkRecovered: a transaction of unknown outcome before the last acknowledged one, committed or not.
  for (const skip of unknownAssignments(unknown)) {
    const placeholders = new TimePlaceholders()
    const model = new ReferenceModel(['kv'], () => Infinity, placeholders.text)
    const triedNow: number[] = []
    for (let m = 0; m <= before.length; m++) {
      if (m > lastAcked) {
        if (timePattern(stableText(modelRows(model)), new Map()).test(got)) return
        triedNow.push(m)
      }
      if (m < before.length && before[m] !== 'not-run' && !skip.has(m)) {
        placeholders.current = m
        model.apply(input.before[m] as CallTxn)
      }
    }
    if (skip.size === 0) tried = triedNow
  }
  throw withUnknowns(new PropertyFailure(`a read through the node that took over, sent once stream txn #${lastAcked} was acknowledged, saw no prefix of the stream holding it (tried prefixes ${tried.join(', ')}): ${got}`), before, unknown)
}

/** Resolves once no node holds the writer lease of `stream` (its holder was paused past the lease's TTL). */
async function leaseLapsed(config: CheckConfig, stream: string | null): Promise<void> {
  const nats = config.natsLog
  if (nats === undefined || stream === null) throw new Error('a follower that starts late needs the batch log on NATS')
  const { WriterLease } = await import('../cluster/writer-lease.js')
  const lease = await WriterLease.open(nats.urls, stream, 'acheron-check', nats.replicas)
  try {
    await waitUntil(() => lease.holder().then((h) => h === null, () => false), 60_000, "the paused writer's lease did not lapse")
  } finally {
    await lease.close()
  }
}

/** Resolves once `ready()` is true, polling; fails after `ms`. */
async function waitUntil(ready: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * The scenario on a cluster (`--nats N --failover`): a writer and a follower on one stream, both
 * `--failover`; the stream goes to the follower, which forwards it; the writer is SIGKILLed (at the reply
 * count, or by itself at its crash point) and the follower takes over. Its state and replies must be
 * what a single server's restart gives: the same verdict. With `input.join`, a node joining late (from
 * a snapshot) replaces the follower halfway through the stream, and is the one that takes over. With
 * `input.pause`, the stream goes to the writer, which is paused instead of killed and follows once
 * resumed; the follower that took over is killed at the end, and the first writer takes over again.
 */
async function runFailoverScenario(input: CrashInput, config: CheckConfig): Promise<void> {
  const dirs = [scratchDir('acheron-failover-a-'), scratchDir('acheron-failover-b-'), scratchDir('acheron-failover-c-')]
  const logStream = config.natsLog?.stream() ?? null
  const servers: Server[] = []
  const natsVictim = config.natsLog?.killable?.[input.natsKill.server] ?? null
  let natsKilled = false
  // A connection to the node that took over from the paused writer, open from the writer's resumption.
  let reader = null as RemoteDatabase | null
  // Joining: every node keeps two batches behind its checkpoint, so a late node finds the front purged.
  const extra = ['--failover', ...(input.join ? ['--log-batches-kept', '2'] : [])]
  try {
    // A paused writer must live on: it does not crash itself.
    const pauseAt = input.pause === null || !('logWrite' in input.pause) ? [] : ['--pause-at', `log-write:${input.pause.logWrite}`]
    const writer = await startServer(dirs[0]?.dir as string, config, input, input.pause !== null ? null : input.crashAt, logStream, [...extra, ...pauseAt])
    servers.push(writer)
    // A late follower starts while the writer is paused (in resumeAfterTakeover); every other, now.
    const late = input.pause !== null && 'logWrite' in input.pause && input.pause.followerStartsLate
    let follower!: Server
    if (!late) {
      follower = await startServer(dirs[1]?.dir as string, config, input, null, logStream, extra)
      servers.push(follower)
    }
    const connectTo = (s: Server): Promise<RemoteDatabase> => connect(s.url, { reconnect: { attemptsMax: 1, delayMs: 10 } })
    let db = await connectTo(input.pause !== null ? writer : follower)
    // The writer, paused, is resumed once the follower has taken over (its lease lapsed), or once a late
    // follower has started (after the lease lapsed) and taken the lease at its start.
    const resumeAfterTakeover = async (): Promise<void> => {
      try {
        if (late) {
          await leaseLapsed(config, logStream)
          follower = await startServer(dirs[1]?.dir as string, config, input, null, logStream, extra)
          servers.push(follower)
        }
        const probe = await connectTo(follower)
        try {
          // While it follows, the follower forwards the query to the paused writer: it fails at the takeover.
          await waitUntil(() => probe.query('SELECT COUNT(*) FROM kv').then(() => true, () => false), 60_000, 'the follower did not take over from the paused writer')
        } catch (err) {
          await probe.close().catch(() => {})
          throw err
        }
        reader = probe
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; its last log lines:\n${servers[1]?.stderrTail() ?? '(it did not start)'}`)
      } finally {
        writer.child.kill('SIGCONT')
      }
    }
    try {
      await setUp((late ? writer : follower).url, input.partitions)
    } catch (err) {
      // The writer died at its crash point during the setup: the follower takes over, then set up again.
      await Promise.race([exited(writer.child), new Promise((r) => setTimeout(r, 3000))])
      if (writer.child.signalCode !== 'SIGKILL') throw err
      await waitUntil(() => db.query('SELECT COUNT(*) FROM kv').then(() => true, (e: AcheronError) => e.code === 'UNKNOWN_TABLE'), 30_000, 'the follower did not take over')
      await setUp(follower.url, input.partitions)
    }
    let replies = 0
    let stopped = false
    let lastAcked = -1
    let readAfterResume = null as Promise<{ lastAcked: number; rows: unknown[] } | null> | null
    const onReply = (r: Sent, i: number): void => {
      // At the first replies once the paused writer is resumed, and a turn later (so that the replies that
      // came with them are counted): a read through the node that took over. A read it cannot answer (no
      // node writes for a moment) proves nothing either way.
      const to = reader
      if (to !== null && readAfterResume === null) {
        readAfterResume = new Promise((resolve) => setImmediate(resolve)).then(() => {
          const seen = lastAcked
          return to.query(STATE_SQL).then((res) => ({ lastAcked: seen, rows: res.rows.map((row) => row.slice(0, 3)) }))
        }).catch(() => null)
      }
      if (!isReply(r)) return
      lastAcked = Math.max(lastAcked, i)
      ++replies
      if (replies === input.killAfterReplies && input.pause === null) writer.child.kill('SIGKILL')
      if (input.pause !== null && 'afterReplies' in input.pause && replies === input.pause.afterReplies) {
        writer.child.kill('SIGSTOP')
        stopped = true
      }
      if (natsVictim !== null && replies === input.natsKill.afterReplies) {
        natsVictim.kill()
        natsKilled = true
      }
    }
    const half = input.join ? Math.ceil(input.before.length / 2) : input.before.length
    // With a late follower the stream's first transaction goes alone, the batch the writer pauses at, and
    // the rest once the read through the node that took over has answered. Queued in the paused writer's
    // socket, the rest reached the new writer (forwarded by the resumed one) and raced that read: the new
    // writer's first append, fenced off by the resumed writer's, made it give the lease up and follow, and
    // a new writer that skipped its start fence then served no stale read (the mutant
    // writer-skips-start-fence was caught in some runs only).
    const alone = late ? Math.min(1, half) : half
    let streamed = false
    const sending = sendStream(db, input, onReply, 0, alone).finally(() => { streamed = true })
    // The writer pauses itself at its log write (if the stream makes that many): while it is stopped
    // the rest of the stream waits in its socket.
    const pausedLine = /^acheron: paused at /m
    while (input.pause !== null && !streamed && !stopped && !pausedLine.test(writer.stderrTail())) await new Promise((r) => setTimeout(r, 50))
    const paused = stopped || pausedLine.test(writer.stderrTail())
    if (paused) await resumeAfterTakeover()
    const before = await sending
    if (alone < half) {
      await readAfterResume
      before.push(...await sendStream(db, input, onReply, alone, half))
    }
    const read = await readAfterResume
    if (read != null) checkReadAfterAcks(input, before, read.lastAcked, read.rows)
    if (paused) {
      // Once the paused writer follows, the node that took over must write. (A paused writer that appended
      // after the takeover, unfenced, would have fenced the new writer off the stream: then no node could.)
      try {
        await waitUntil(async () => /following the stream \S+ again/.test(writer.stderrTail()), 30_000, 'the paused writer did not follow once resumed')
        await waitUntil(() => setUp(writer.url, input.partitions).then(() => true, () => false), 30_000, 'no node wrote the stream after the paused writer followed')
      } catch (err) {
        throw new PropertyFailure(`${err instanceof Error ? err.message : String(err)}; the last log lines of the node that took over:\n${follower.stderrTail()}\nand of the paused one:\n${writer.stderrTail()}`)
      }
    }
    // The node that must take over, and the ones that must be gone first.
    let survivor = input.pause !== null ? writer : follower
    let gone = [input.pause !== null ? follower : writer]
    if (input.join) {
      // A few more batches that change no row (the function registered again), so that the stream has
      // more behind the writer's next checkpoint than it keeps; the writer checkpoints meanwhile, and
      // purges the stream behind it. (Failing while no node writes is fine: they change nothing.)
      for (let i = 0; i < 3; i++) await setUp(follower.url, input.partitions).catch(() => {})
      await new Promise((r) => setTimeout(r, input.checkpointIntervalMs + 250))
      const joining = startServer(dirs[2]?.dir as string, config, input, null, logStream, extra)
      let sent = half
      if (input.joinUnderLoad) {
        let ready = false
        const settled = (): void => { ready = true }
        joining.then(settled, settled)
        const most = half + Math.floor((input.before.length - half) / 2)
        // Stopped at the first transaction with no reply (no writer now): the rest then goes in one burst,
        // as without load, so that none can be acknowledged after one that was refused while no node wrote.
        while (!ready && sent < most) {
          const r = await sendStream(db, input, onReply, sent, ++sent)
          before.push(...r)
          if (!r.every(isReply)) break
        }
      }
      // A joiner that never got its snapshot says why only in the other nodes' logs (which of them wrote, when).
      const joiner = await joining.catch((err: unknown) => {
        const alive = (s: Server): string => (s.child.exitCode !== null || s.child.signalCode !== null ? ' (exited)' : '')
        throw new Error(`${err instanceof Error ? err.message : String(err)}; the last log lines of the writer${alive(writer)}:\n${writer.stderrTail()}\nand of the follower${alive(follower)}:\n${follower.stderrTail()}`)
      })
      servers.push(joiner)
      // The follower goes (it may be the writer by now: then the joined node takes over from it).
      follower.child.kill('SIGKILL')
      await exited(follower.child)
      await db.close().catch(() => {})
      db = await connectTo(joiner)
      before.push(...await sendStream(db, input, onReply, sent))
      survivor = joiner
      gone = [writer, follower]
    }
    const last = input.pause !== null ? follower : writer
    last.child.kill('SIGKILL')
    await exited(last.child)
    // Taken over: a read no longer needs a writer elsewhere (it fails at once while no node writes).
    await waitUntil(async () => gone.every((g) => g.child.exitCode !== null || g.child.signalCode !== null)
      ? db.query('SELECT COUNT(*) FROM kv').then(() => true, () => false)
      : false, 30_000, `the ${input.join ? 'joined node' : input.pause !== null ? 'writer paused before' : 'follower'} did not take over`).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; its last log lines:\n${survivor.stderrTail()}`)
    })
    const after: Reply[] = []
    let state: unknown[]
    try {
      for (const t of input.after) {
        const r = await send(db, t)
        expect(isReply(r), () => `a transaction after the fail-over had ${r === 'not-run' ? 'not run' : 'no reply'}`)
        expect(r.ok || r.code !== 'INTERNAL', () => `a transaction after the fail-over failed: ${r.ok ? '' : `${r.code} ${r.message}`}`)
        after.push(r)
      }
      state = (await db.query(STATE_SQL)).rows.map((r) => r.slice(0, 3))
    } catch (err) {
      // What the node that took over logged says why it did not serve.
      const message = `${err instanceof Error ? err.message : String(err)}; the last log lines of the node that took over:\n${survivor.stderrTail()}`
      throw err instanceof PropertyFailure ? new PropertyFailure(message) : new Error(message)
    }
    await db.close()
    checkRecovered(input, before, after, state, true)
  } finally {
    await reader?.close().catch(() => {})
    for (const s of servers) {
      s.child.kill('SIGKILL')
      await exited(s.child)
    }
    for (const d of dirs) d.cleanup()
    // Back on its store for the next scenario (whose R3 stream needs all three servers to be created).
    if (natsKilled) await natsVictim?.restart()
  }
}

export async function runCrashScenario(input: CrashInput, config: CheckConfig): Promise<void> {
  if (config.natsLog?.failover === true) return runFailoverScenario(input, config)
  const tmp = scratchDir('acheron-crash-')
  // With the batch log on NATS, the restart after the kill gets a new, empty directory: the stream
  // alone must recover the server (a restart during the setup keeps the directory, as with files).
  const fresh = config.natsLog === undefined ? null : scratchDir('acheron-crash-fresh-')
  const logStream = config.natsLog?.stream() ?? null
  let server: Server | null = null
  try {
    server = await startServer(tmp.dir, config, input, input.crashAt, logStream)
    try {
      await setUp(server.url, input.partitions)
    } catch (err) {
      // The server may have died at its crash point during the setup itself: recover and set up again.
      const child = server.child
      await Promise.race([exited(child), new Promise((r) => setTimeout(r, 3000))])
      if (child.signalCode !== 'SIGKILL') throw err
      server = await startServer(tmp.dir, config, input, null, logStream)
      await setUp(server.url, input.partitions)
    }

    // The stream: one connection, all pipelined; the kill at the chosen reply count.
    const victim = server.child
    // The server may already have died at its crash point (a checkpoint after the setup's last reply).
    const stream = await connect(server.url, { reconnect: { attemptsMax: 1, delayMs: 10 } }).catch(async (err: unknown) => {
      await Promise.race([exited(victim), new Promise((r) => setTimeout(r, 3000))])
      if (victim.signalCode !== 'SIGKILL') throw err
      return null
    })
    let replies = 0
    const signal = input.stopCleanly ? 'SIGTERM' : 'SIGKILL'
    const before = stream === null ? input.before.map((): 'unknown' => 'unknown') : await sendStream(stream, input, (r) => {
      if (isReply(r) && ++replies === input.killAfterReplies) victim.kill(signal)
    })
    victim.kill(signal) // if every reply arrived before the count (it cannot be larger than the stream)
    if (input.stopCleanly) {
      let timer: NodeJS.Timeout | undefined
      const stopped = await Promise.race([exited(victim).then(() => true), new Promise<false>((r) => { timer = setTimeout(() => r(false), CLEAN_STOP_TIMEOUT_MS) })])
      clearTimeout(timer)
      expect(stopped, () => `the server did not stop within ${CLEAN_STOP_TIMEOUT_MS} ms of SIGTERM`)
    }
    await exited(victim)
    await stream?.close().catch(() => {})

    server = await startServer(fresh?.dir ?? tmp.dir, config, input, null, logStream, input.clockBack ? ['--clock-back-ms', String(CLOCK_BACK_MS)] : [])
    const db = await connect(server.url)
    const after: Reply[] = []
    for (const t of input.after) {
      const r = await send(db, t)
      expect(isReply(r), () => `a transaction after the restart had ${r === 'not-run' ? 'not run' : 'no reply'}`)
      expect(r.ok || r.code !== 'INTERNAL', () => `a transaction after the restart failed: ${r.ok ? '' : `${r.code} ${r.message}`}`)
      after.push(r)
    }
    const state = (await db.query(STATE_SQL)).rows.map((r) => r.slice(0, 3))
    await db.close()

    checkRecovered(input, before, after, state)
  } finally {
    if (server !== null) {
      server.child.kill('SIGKILL')
      await exited(server.child)
    }
    tmp.cleanup()
    fresh?.cleanup()
  }
}

export const crashRecovery: Property<CrashInput> = {
  name: 'crash',
  oracle: 'crash recovery: a server SIGKILLed (or stopped cleanly) at a chosen reply count, restarted (at times on a clock stepped back), recovers a prefix of the stream holding every acknowledged transaction exactly once; replies and positions agree with the model',
  arbitrary: (config) => crashInputArb({ txns: config.txns, ...(config.partitions !== undefined ? { partitions: config.partitions } : {}) }),
  check: runCrashScenario,
  show: (i) => JSON.stringify(i, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
}
