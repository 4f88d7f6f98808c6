/**
 * The batch log on a NATS JetStream stream: the same entries as the file log (frame.ts, CRC-32 and
 * all), one message each, on a stream replicated over the NATS cluster (R3 on three servers). An append
 * resolves once JetStream acknowledged it, which it does once a quorum of the stream's replicas stored
 * it: the log then survives the loss of this machine and its disk, not only a crash of the process.
 *
 * One writer per stream, enforced by JetStream itself: every message is published with the stream
 * sequence it must follow (`expect.lastSequence`). A second engine appending to the same stream makes
 * the first one's next append fail with a wrong-sequence error — it is fenced, refuses every later
 * append and its batches fail; the last opener wins, and nothing it logged is lost.
 *
 * A publish whose acknowledgement does not arrive is sent again with the same message id until the
 * cluster answers (JetStream drops the duplicate if the first got in): so an append is refused only
 * when JetStream refused it, and then nothing of it is in the stream. If the cluster does not answer
 * within `appendTimeoutMs`, the entry may or may not be in the stream: the append rejects with an
 * `uncertain` LogAppendError and the engine stops (a restart reads the stream, which decides).
 *
 * An entry larger than a message may be (the server's max_payload) goes out in parts, each a message
 * with an `Acheron-Part: i/n` header; reading joins them. Parts cut short at the end of the stream are a
 * torn tail and are dropped, as the file log drops a torn write.
 *
 * Entries come back from `entries()` as read at open: recovery reads them once. `checkpointed` purges
 * the messages of the batches a checkpoint holds, keeping the last `batchesKept` of them.
 */
import { randomUUID } from 'node:crypto'
import { connect, headers as natsHeaders, NatsError, StorageType, DiscardPolicy, type JetStreamClient, type JetStreamManager, type MsgHdrs, type NatsConnection } from 'nats'
import { dieNow, NO_CRASH_POINTS, pausePoints, type CrashAt, type CrashPoints, type PausePoints } from '../crash-points.js'
import { LogAppendError, LogCorruptError, LogFormatError, TAKEOVER_FENCE, WriterRaceError, type BatchLog, type LogEntry } from './batch-log.js'
import { encodeFrame, readFrame } from './frame.js'
import { NatsPhase1 } from './phase1-nats.js'
import { askToJoin, fetchSnapshot, sayJoined, SNAPSHOT_HOLD_MS, SnapshotServer } from './snapshots.js'
import { StreamReader } from './stream-reader.js'
import { untilJetStreamAnswers } from './nats-error-text.js'

export interface JetStreamLogOptions {
  /** NATS server URLs (nats://host:port), any of the cluster's. */
  readonly servers: readonly string[]
  /** The stream's name (letters, digits, `-` and `_`). */
  readonly stream?: string
  /** Replicas of the stream when this log creates it (1, or 3 on a cluster of three or more). */
  readonly replicas?: number
  /** Batches kept in the stream behind a durable checkpoint (for tracing recent batches). */
  readonly batchesKept?: number
  /** How long an append may go unanswered (resent meanwhile) before its outcome counts as unknown. */
  readonly appendTimeoutMs?: number
  /** How long opening waits for the NATS cluster to have a JetStream leader (LOG_OPEN_TIMEOUT_MS). */
  readonly openTimeoutMs?: number
  /** Caps the stream's bytes (JetStream's max_bytes): an append beyond fails as a full disk would. */
  readonly bytesMax?: number
  /**
   * A follower's log (BatchLog.follow): it reads the stream as the writer releases its batches and never
   * appends or purges. `entries()` is then empty: everything comes through `follow`.
   */
  readonly follower?: boolean
  /** A deliberate bug for tests (EngineFaults.followerAppliesVoided): voided batches are applied too. */
  readonly applyVoided?: boolean
  /**
   * A deliberate bug for tests (EngineFaults.followerAdoptsNewest): a follower hands over the newest
   * executions it holds, whatever batch they are of.
   */
  readonly adoptNewest?: boolean
  /** A deliberate bug for tests (EngineFaults.snapshotPurgeUnheld): purges ignore the snapshots handed out. */
  readonly purgeUnheld?: boolean
  /** A deliberate bug for tests (EngineFaults.followerJoinsUnheld): a follower that starts does not ask the writer to hold the batches after its state. */
  readonly joinUnheld?: boolean
  /**
   * Whether the writer shares phase 1 with its followers and a follower executes its share
   * (src/txn/shared-phase1.ts; default false). Only a protocol with a phase 1 (aria, calvin) shares.
   */
  readonly sharePhase1?: boolean
  /** Fail-over tests: stop the process before publishing this message (`acheron serve --pause-at`). */
  readonly pauseAt?: CrashAt
  /** Mutant (EngineFaults.fencedAppendAcked): a fenced append counts as acknowledged. */
  readonly fencedAppendAcked?: boolean
  /**
   * Research and crash tests: `log-write` dies once a message reached the server but before its
   * acknowledgement was read (stored, never acknowledged); `segment-delete` dies before a purge.
   */
  readonly crash?: CrashPoints
}

export const LOG_STREAM_DEFAULT = 'ACHERON_LOG'
export const LOG_STREAM_BATCHES_KEPT = 1000
export const LOG_APPEND_TIMEOUT_MS = 30_000
/**
 * How long a node's start (and a follower's reads of the stream's state) wait for the NATS cluster's
 * JetStream. A cluster restarted on its stores elects its leaders first: CI saw that take more than
 * 30 s on this machine, when it was the bound, and the node exited with "503".
 */
export const LOG_OPEN_TIMEOUT_MS = 90_000
/** The writer repeats its last release this often (followers that missed one, or started since). */
export const RELEASE_ANNOUNCE_MS = 250
/** A follower says it is there this often; the writer publishes executions while it heard one lately. */
export const FOLLOWER_HEARTBEAT_MS = 1_000
/** How long after the last follower heartbeat the writer still publishes executions. */
const FOLLOWER_HEARD_MS = 3 * FOLLOWER_HEARTBEAT_MS
/** Batches of executions a follower keeps ahead of what it applied (more: the oldest are dropped). */
export const ADOPTABLE_BATCHES_MAX = 64
/** A follower with nothing to do looks again this often, or at the next message or release it hears of. */
const FOLLOW_POLL_MS = 100
/** Pause between tries of a JetStream request that failed for a NATS reason (no leader yet, a timeout). */
const NATS_RETRY_MS = 250
/** One publish's wait for its acknowledgement; it is resent after (same message id) until LOG_APPEND_TIMEOUT_MS. */
const PUBLISH_ACK_MS = 2_000
/** Bytes a message leaves for its headers below the server's max_payload. */
const HEADER_ALLOWANCE_BYTES = 1024
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/

const H_WRITER = 'Acheron-Writer'
const H_PART = 'Acheron-Part'
const H_BATCH = 'Acheron-Batch'

/** JetStream's error codes this log tells apart (nats-server's errors.json). */
const JS_WRONG_LAST_SEQUENCE = 10071
const JS_STORE_FULL = new Set([10077, 10047, 10028]) // maximum bytes exceeded; insufficient resources; storage limits

export class JetStreamBatchLog implements BatchLog {
  lastBatch = 0
  get replicatedAs(): string {
    return `the stream ${this.stream}`
  }
  private readonly loaded: LogEntry[]
  /** Stream sequence of the last message this log knows is stored (its own, or read at open). */
  private storedSeq: number
  /** Stream sequence after the publishes in flight: what the next message must follow. */
  private nextSeq: number
  /** First stream sequence of each batch entry still in the stream, in batch order (for purging). */
  private readonly batchSeqs: { batch: number; seq: number }[] = []
  private refused: LogAppendError | null = null
  private closed = false
  /** Appends are published one after another, so each message's expected sequence is known. */
  private tail: Promise<void> = Promise.resolve()
  private readonly writer = randomUUID()
  /** A follower reads and applies; it turns writer at `takeOver`. */
  private follower: boolean
  private takingOver: (() => void) | null = null
  private partsSent = 0
  /** Phase 1 shared with the followers over plain NATS (BatchLog.phase1), unless turned off. */
  readonly phase1?: NatsPhase1

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly subject: string,
    private readonly chunkBytes: number,
    private readonly o: { batchesKept: number; replicas: number; appendTimeoutMs: number; crash: CrashPoints; follower: boolean; applyVoided: boolean; adoptNewest: boolean; purgeUnheld: boolean; joinUnheld: boolean; fencedAppendAcked: boolean; sharePhase1: boolean; pause: PausePoints },
    read: { entries: LogEntry[]; lastSeq: number; batchSeqs: { batch: number; seq: number }[] },
  ) {
    this.follower = o.follower
    if (o.sharePhase1) this.phase1 = new NatsPhase1(nc, stream, chunkBytes)
    this.loaded = read.entries
    this.storedSeq = read.lastSeq
    this.nextSeq = read.lastSeq
    this.batchSeqs = read.batchSeqs
    for (const e of read.entries) this.lastBatch = Math.max(this.lastBatch, e.batch)
  }

  /** Connects, creates the stream if it does not exist, and reads every entry in it. */
  static async open(options: JetStreamLogOptions): Promise<JetStreamBatchLog> {
    const stream = options.stream ?? LOG_STREAM_DEFAULT
    if (!STREAM_NAME.test(stream)) throw new Error(`invalid log stream name ${JSON.stringify(stream)}: 1 to 64 letters, digits, - or _`)
    if (options.servers.length === 0) throw new Error('a JetStream log needs at least one NATS server URL')
    const nc = await connect({ servers: [...options.servers], name: `acheron-log-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 10_000 })
      .catch((err: unknown) => { throw new Error(`cannot reach the NATS servers of the batch log (${options.servers.join(', ')}): ${errorMessage(err)}`, { cause: err }) })
    const replicas = options.replicas ?? 1
    try {
      const subject = `acheron.log.${stream}`
      const js = nc.jetstream({ timeout: PUBLISH_ACK_MS })
      // A cluster just started has no JetStream leader for a few seconds: NATS's own errors are retried
      // until the cluster answers or LOG_OPEN_TIMEOUT_MS has passed.
      const { jsm, read } = await untilJetStreamAnswers(`cannot open the batch log stream ${stream}`, options.openTimeoutMs ?? LOG_OPEN_TIMEOUT_MS, NATS_RETRY_MS, async () => {
        const jsm = await nc.jetstreamManager({ timeout: 5_000 })
        await ensureStream(jsm, stream, subject, replicas, options.bytesMax, natsServersKnown(nc, options.servers))
        const read = options.follower === true ? { entries: [], lastSeq: 0, batchSeqs: [] } : await readStream(jsm, stream)
        return { jsm, read }
      })
      const maxPayload = nc.info?.max_payload ?? 1024 * 1024
      const log = new JetStreamBatchLog(nc, js, jsm, stream, subject, Math.max(1024, maxPayload - HEADER_ALLOWANCE_BYTES), {
        batchesKept: options.batchesKept ?? LOG_STREAM_BATCHES_KEPT,
        replicas,
        appendTimeoutMs: options.appendTimeoutMs ?? LOG_APPEND_TIMEOUT_MS,
        crash: options.crash ?? NO_CRASH_POINTS,
        follower: options.follower === true,
        applyVoided: options.applyVoided === true,
        adoptNewest: options.adoptNewest === true,
        purgeUnheld: options.purgeUnheld === true,
        joinUnheld: options.joinUnheld === true,
        fencedAppendAcked: options.fencedAppendAcked === true,
        sharePhase1: options.sharePhase1 === true,
        pause: pausePoints(options.pauseAt),
      }, read)
      log.listenForFollowers()
      return log
    } catch (err) {
      await nc.close().catch(() => {})
      throw err
    }
  }

  /** Messages published by this log (parts counted one by one): for tests of the chunking. */
  get messagesSent(): number {
    return this.partsSent
  }

  entries(): Iterable<LogEntry> {
    return this.loaded
  }

  append(entry: LogEntry): Promise<void> {
    if (this.closed) return Promise.reject(new LogAppendError('the batch log is closed', false))
    if (this.follower) return Promise.reject(new LogAppendError(`a follower of the stream ${this.stream} does not append to it`, false))
    if (this.refused !== null) return Promise.reject(this.refused)
    const frame = encodeFrame(entry)
    const parts = Math.max(1, Math.ceil(frame.length / this.chunkBytes))
    const firstSeq = this.nextSeq + 1
    this.nextSeq += parts
    const p = this.tail.then(() => this.publishEntry(entry, frame, parts, firstSeq))
    this.tail = p.catch(() => {})
    return p
  }

  private async publishEntry(entry: LogEntry, frame: Uint8Array, parts: number, firstSeq: number): Promise<void> {
    if (this.refused !== null) throw this.refused
    for (let i = 0; i < parts; i++) {
      const seq = firstSeq + i
      const h = natsHeaders()
      h.set(H_WRITER, this.writer)
      if (parts > 1) h.set(H_PART, `${i + 1}/${parts}`)
      await this.publishOnce(frame.subarray(i * this.chunkBytes, Math.min(frame.length, (i + 1) * this.chunkBytes)), h, seq)
      this.storedSeq = seq
    }
    this.lastBatch = Math.max(this.lastBatch, entry.batch)
    if (entry.kind === 'batch') this.batchSeqs.push({ batch: entry.batch, seq: firstSeq })
  }

  /**
   * Publishes one message as stream sequence `seq`, resending it (same id: JetStream keeps one copy)
   * until the cluster answers. Refusals close the log to appends until `resume`.
   */
  private async publishOnce(data: Uint8Array, h: MsgHdrs, seq: number): Promise<void> {
    const deadline = Date.now() + this.o.appendTimeoutMs
    const msgID = `${this.writer}:${seq}`
    this.o.pause('log-write')
    if (this.o.crash.reached('log-write')) {
      // The message goes out, the server stores it, and this process dies before it reads the ack.
      void this.js.publish(this.subject, data, { msgID, headers: h, expect: { lastSequence: seq - 1, streamName: this.stream } }).catch(() => {})
      await this.nc.flush()
      await new Promise((r) => setTimeout(r, 50))
      dieNow()
    }
    for (;;) {
      try {
        const ack = await this.js.publish(this.subject, data, { msgID, headers: h, expect: { lastSequence: seq - 1, streamName: this.stream } })
        if (ack.seq !== seq) throw this.refuse(new LogAppendError(`the stream ${this.stream} stored the entry at sequence ${ack.seq}, not ${seq}: another writer appended to it`, false))
        this.partsSent++
        return
      } catch (err) {
        if (err instanceof LogAppendError) throw err
        const code = jsErrorCode(err)
        if (code === JS_WRONG_LAST_SEQUENCE) {
          if (this.o.fencedAppendAcked) return
          throw this.refuse(new LogAppendError(`another writer appended to the stream ${this.stream}: this engine is fenced off it, and another node writes it now (a --failover node follows it again; restart any other)`, false), true)
        }
        if (code !== null && JS_STORE_FULL.has(code)) throw this.refuse(new LogAppendError(`the stream ${this.stream} is full: ${errorMessage(err)}`, true))
        if (code !== null) throw this.refuse(new LogAppendError(`JetStream refused the entry: ${errorMessage(err)}`, false))
        // No answer (a timeout, no responders while a leader is elected, a dropped connection): send again.
        if (this.closed) throw this.refuse(new LogAppendError('the batch log is closed', false))
        if (Date.now() >= deadline) {
          throw this.refuse(new LogAppendError(`no answer from the NATS cluster for ${this.o.appendTimeoutMs} ms (${errorMessage(err)}): the entry may or may not be in the stream ${this.stream}`, false, true), true)
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }

  /** Refuses this and every later append; `permanent` ones stay refused across `resume`. */
  private refuse(err: LogAppendError, permanent = false): LogAppendError {
    if (this.refused === null || permanent) this.refused = err
    if (permanent) {
      if (this.fenced === null) this.markRefusingForGood(err.message)
      this.fenced = err
    }
    return err
  }

  private fenced: LogAppendError | null = null
  private markRefusingForGood: (why: string) => void = () => {}
  private readonly refusingForGoodSignal = new Promise<string>((resolve) => { this.markRefusingForGood = resolve })

  refusingForGood(): Promise<string> {
    return this.refusingForGoodSignal
  }

  resume(): void {
    this.refused = this.fenced
    // A refused message is not in the stream: the next one follows the last message stored (parts of an
    // entry refused halfway are a torn entry to readers, which the next entry's first message ends).
    this.nextSeq = this.storedSeq
  }

  async checkpointed(batch: number): Promise<void> {
    let keepFrom = batch - this.o.batchesKept
    // A node fetching a snapshot needs the batches after it (snapshots.ts).
    const hold = this.heldFrom()
    if (hold !== null && !this.o.purgeUnheld) keepFrom = Math.min(keepFrom, hold)
    let cut = 0
    while (cut < this.batchSeqs.length && (this.batchSeqs[cut] as { batch: number }).batch <= keepFrom) cut++
    // The writer purges; a follower only forgets where those batches were.
    if (this.follower) {
      this.batchSeqs.splice(0, cut)
      return
    }
    if (cut === 0 || this.closed) return
    // Everything before the first batch kept goes (void entries of dropped batches with it).
    const next = this.batchSeqs[cut]
    const upTo = next === undefined ? this.storedSeq + 1 : next.seq
    this.batchSeqs.splice(0, cut)
    if (this.o.crash.reached('segment-delete')) dieNow()
    // Known before the first await: a node asking to join waits for a purge already decided (holdForJoiner).
    const purge = this.jsm.streams.purge(this.stream, { seq: upTo })
    this.purging = purge.then(() => {}, () => {})
    await purge
  }

  /** The purge under way, if any (settled when none is). */
  private purging: Promise<void> = Promise.resolve()

  // ---- followers ---------------------------------------------------------------------------------

  private get releasedSubject(): string {
    return `acheron.released.${this.stream}`
  }

  /** The writer's final executions of each batch it releases, while followers listen (plain NATS). */
  private get executionsSubject(): string {
    return `acheron.executions.${this.stream}`
  }

  /** Followers' heartbeats: the writer publishes executions only while someone follows. */
  private get followingSubject(): string {
    return `acheron.following.${this.stream}`
  }

  /** When (performance.now()) the writer last heard a follower; -Infinity: never. */
  private followerHeardAt = Number.NEGATIVE_INFINITY
  private followingSub: { unsubscribe(): void } | null = null

  /** A writer listens for followers (a follower too: it may take over). */
  private listenForFollowers(): void {
    this.followingSub = this.nc.subscribe(this.followingSubject, { callback: () => { this.followerHeardAt = performance.now() } })
  }

  private announcer: NodeJS.Timeout | null = null
  private lastRelease: Uint8Array | null = null

  /**
   * The writer released `batch`: followers may apply it once they have read the stream up to what is
   * stored now, which holds the void entry of every earlier batch that failed (a void is stored before
   * the failure is reported, and releases come in batch order). Plain NATS, not the stream: a follower
   * that misses one hears the next, or the repeat every RELEASE_ANNOUNCE_MS.
   */
  released(batch: number, executions?: () => Uint8Array): void {
    if (this.follower || this.closed) return
    // Before the announcement, on the same connection: a follower has them when it hears of the release.
    // Only while followers listen, and only what fits one message (else they execute the batch themselves).
    if (executions !== undefined && performance.now() - this.followerHeardAt < FOLLOWER_HEARD_MS) {
      const bytes = executions()
      if (bytes.length <= this.chunkBytes) {
        const h = natsHeaders()
        h.set(H_BATCH, String(batch))
        this.nc.publish(this.executionsSubject, bytes, { headers: h })
      }
    }
    this.lastRelease = new TextEncoder().encode(JSON.stringify({ batch, seq: this.storedSeq }))
    this.nc.publish(this.releasedSubject, this.lastRelease)
    if (this.announcer === null) {
      this.announcer = setInterval(() => { if (this.lastRelease !== null && !this.nc.isClosed()) this.nc.publish(this.releasedSubject, this.lastRelease) }, RELEASE_ANNOUNCE_MS)
      this.announcer.unref()
    }
  }

  async follow(apply: (entry: Extract<LogEntry, { kind: 'batch' }>, executions: Uint8Array | undefined, purged: string | null) => Promise<void>): Promise<void> {
    let releasedBatch = 0
    let releasedSeq = 0
    let wake: (() => void) | null = null
    // Something came (a message, a release) while the loop was busy: it looks again before it waits.
    let signalled = false
    const signal = (): void => {
      signalled = true
      wake?.()
    }
    // The writer's executions by batch, until applied (bounded: the oldest go first).
    const adoptable = new Map<number, Uint8Array>()
    const executionsSub = this.nc.subscribe(this.executionsSubject, {
      callback: (_err, msg) => {
        const batch = Number(msg.headers?.get(H_BATCH))
        if (!Number.isSafeInteger(batch)) return
        adoptable.set(batch, msg.data)
        if (adoptable.size > ADOPTABLE_BATCHES_MAX) adoptable.delete(Math.min(...adoptable.keys()))
      },
    })
    // Not while the connection drains (close() drains it before the follow loop's finally clears this
    // timer): publish threw CONNECTION_DRAINING from the timer, an uncaught exception that killed the node.
    const heartbeat = (): void => {
      if (this.nc.isClosed() || this.nc.isDraining()) return
      try {
        this.nc.publish(this.followingSubject)
      } catch {
        // Closed or draining between the check and the publish: the loop is ending.
      }
    }
    heartbeat()
    const heartbeats = setInterval(heartbeat, FOLLOWER_HEARTBEAT_MS)
    heartbeats.unref()
    // Messages purged before this follower read them (behind the writer's checkpoints): at the stream's
    // front when it starts, or later if it lags. `gap` is what was purged, until the next batch entry is
    // read; `after` then holds that entry's batch, and the first entry applied from there on carries the
    // note, so that the engine refuses to go on if it needed a purged batch (and goes on if it held them).
    let gap: string | null = null
    let after: { batch: number; purged: string } | null = null
    const applyEntry = async (e: Extract<LogEntry, { kind: 'batch' }>): Promise<void> => {
      const executions = this.o.adoptNewest ? newest(adoptable) : adoptable.get(e.batch)
      for (const b of [...adoptable.keys()]) if (b <= e.batch) adoptable.delete(b)
      const note = after !== null && e.batch >= after.batch ? after.purged : null
      if (note !== null) after = null
      await apply(e, executions, note)
      // Caught up with the writer once: the batches it held for this node may go.
      if (this.joinedAs !== null && e.batch >= releasedBatch) {
        sayJoined(this.nc, this.stream, this.joinedAs)
        this.joinedAs = null
      }
    }
    const sub = this.nc.subscribe(this.releasedSubject, {
      callback: (_err, msg) => {
        try {
          const r = JSON.parse(new TextDecoder().decode(msg.data)) as { batch?: unknown; seq?: unknown }
          if (typeof r.batch === 'number' && typeof r.seq === 'number' && r.batch >= releasedBatch) {
            releasedBatch = r.batch
            releasedSeq = Math.max(releasedSeq, r.seq)
            signal()
          }
        } catch {
          // Not an announcement of ours: ignored.
        }
      },
    })
    this.stopFollowing = () => { sub.unsubscribe(); wake?.() }
    const assembler = new EntryAssembler(this.stream)
    const pending: Extract<LogEntry, { kind: 'batch' }>[] = []
    const voided = new Set<number>()
    let lastBatchSeen = 0
    let next = (await this.streamState()).first_seq || 1
    if (next > 1) gap = `the stream ${this.stream}, which starts at message ${next} (the messages before were purged behind the writer's checkpoints; it keeps ${this.o.batchesKept} batches behind them)`
    const reader = new StreamReader(this.nc, this.js, this.stream, next, signal)
    try {
      while (!this.closed) {
        const m = reader.take() ?? null
        if (m !== null && m.seq < next) continue
        if (m !== null && m.seq > next) {
          gap = `the stream ${this.stream}, whose messages ${next} to ${m.seq - 1} were purged before this follower read them (the writer keeps ${this.o.batchesKept} batches behind its checkpoint)`
          next = m.seq
          // The rest of an entry the purge cut is dropped with it.
          assembler.resync()
        }
        if (m !== null) {
          const done = assembler.push(next, m.headers?.get(H_PART) ?? '', m.data)
          next++
          if (done !== null) {
            lastBatchSeen = Math.max(lastBatchSeen, done.entry.batch)
            if (done.entry.kind === 'void') voided.add(done.entry.batch)
            else {
              if (gap !== null) {
                after = { batch: done.entry.batch, purged: gap }
                gap = null
              }
              pending.push(done.entry)
              this.batchSeqs.push({ batch: done.entry.batch, seq: done.seq })
            }
          }
        }
        if (m === null && this.takingOver !== null && next - 1 >= (await this.streamState()).last_seq) {
          // Taking over, and the whole stream is read. First the fence: a writer before that still
          // appends (paused past its lease) is cut off here; if it appended since, read that too first.
          if (!(await this.appendFence(next - 1))) continue
          next++
          // What the old writer logged and did not void commits (its clients had no reply, or an
          // acknowledgement it sent before the fence: outcome unknown, as after a single node's crash).
          for (const e of pending.splice(0)) if (!voided.has(e.batch)) await applyEntry(e)
          this.storedSeq = next - 1
          this.nextSeq = next - 1
          this.lastBatch = Math.max(this.lastBatch, lastBatchSeen)
          this.follower = false
          this.snapshots?.listen()
          this.takingOver()
          return
        }
        // Apply what the writer released, once the stream is read as far as it was stored at that release.
        while (pending.length > 0 && (pending[0] as { batch: number }).batch <= releasedBatch && next - 1 >= releasedSeq) {
          const e = pending.shift() as Extract<LogEntry, { kind: 'batch' }>
          if (!voided.has(e.batch) || this.o.applyVoided) await applyEntry(e)
        }
        // Nothing new: wait for a message, a release, or the poll (taking over: for the rest of the stream).
        if (m === null && !signalled) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, FOLLOW_POLL_MS)
            wake = () => { clearTimeout(t); resolve() }
            this.stopFollowingWait = wake
          })
        }
        wake = null
        signalled = false
        this.stopFollowingWait = null
      }
    } finally {
      await reader.stop()
      clearInterval(heartbeats)
      executionsSub.unsubscribe()
      sub.unsubscribe()
    }
  }

  private stopFollowing: (() => void) | null = null

  /**
   * The stream's first and last sequence, asked again through NATS errors for up to
   * LOG_OPEN_TIMEOUT_MS: a follower (or one taking over) asks while a NATS server of the cluster has
   * just died and its streams elect new leaders, when a request times out.
   */
  private async streamState(): Promise<{ first_seq: number; last_seq: number }> {
    const deadline = Date.now() + LOG_OPEN_TIMEOUT_MS
    for (;;) {
      try {
        return (await this.jsm.streams.info(this.stream)).state
      } catch (err) {
        if (!(err instanceof NatsError) || this.closed || Date.now() > deadline) throw err
        await new Promise((r) => setTimeout(r, NATS_RETRY_MS))
      }
    }
  }

  /**
   * A follower becomes the writer: `follow` reads the stream to its end, applies every batch in it that
   * was not voided (released or not: the old writer is gone), and returns; appends then follow the last
   * message. The caller must hold the writer lease (src/cluster/writer-lease.ts): a writer still
   * appending would fence this one off at its first append.
   */
  takeOver(): Promise<void> {
    if (!this.follower) return Promise.resolve()
    return new Promise((resolve) => {
      this.takingOver = resolve
      this.stopFollowingWait?.()
    })
  }

  private stopFollowingWait: (() => void) | null = null

  /**
   * A writer opened at its start fences the stream as one taking over does: a writer before it that still
   * appends (paused past its lease, or holding a lease NATS gave twice: docs/scale-out.md) is cut off, and
   * this one serves nothing it has not read. One that appended after the open's read won a race this node
   * lost: it must not write (a --failover node follows instead, src/cli/main.ts).
   */
  async fenceForWriting(): Promise<void> {
    if (this.follower) return
    const after = this.storedSeq
    if (this.nextSeq !== after) throw new Error('acheron invariant violated: a writer fenced the stream after it appended')
    if (!(await this.appendFence(after))) {
      throw new WriterRaceError(`another writer appended to the stream ${this.stream} while this node opened it to write (after sequence ${after}): it does not write it`)
    }
    this.storedSeq = after + 1
    this.nextSeq = after + 1
  }

  /**
   * Appends TAKEOVER_FENCE right after stream sequence `after` (the last message this node read), resent
   * (same id) until the cluster answers. False when another writer appended after `after`: the caller
   * reads on and tries again. Throws after the append timeout, or on another refusal.
   */
  private async appendFence(after: number): Promise<boolean> {
    const frame = encodeFrame(TAKEOVER_FENCE)
    const h = natsHeaders()
    h.set(H_WRITER, this.writer)
    const msgID = `${this.writer}:fence:${after + 1}`
    const deadline = Date.now() + this.o.appendTimeoutMs
    for (;;) {
      try {
        const ack = await this.js.publish(this.subject, frame, { msgID, headers: h, expect: { lastSequence: after, streamName: this.stream } })
        if (ack.seq !== after + 1) throw new Error(`the stream ${this.stream} stored this node's takeover fence at sequence ${ack.seq}, not ${after + 1}`)
        return true
      } catch (err) {
        const code = jsErrorCode(err)
        if (code === JS_WRONG_LAST_SEQUENCE) return false
        if (code !== null || this.closed) throw err
        if (Date.now() >= deadline) throw new Error(`no answer from the NATS cluster for ${this.o.appendTimeoutMs} ms while taking the stream ${this.stream} over (${errorMessage(err)})`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }

  // ---- snapshots for nodes that join late (snapshots.ts) -----------------------------------------

  /**
   * Batches held in the stream for nodes that join (each hold keeps every batch after `batch` until
   * `until`, performance.now()): after a snapshot handed out, or after the state of node `joiner`,
   * which starts following, until it caught up.
   */
  private purgeHolds: { batch: number; until: number; joiner?: string }[] = []
  private snapshots: SnapshotServer | null = null

  /**
   * Answers snapshot requests while this log writes the stream, with copies of `checkpointFile` made by
   * `copy`; the batches after each one handed out stay in the stream for SNAPSHOT_HOLD_MS.
   */
  serveSnapshots(checkpointFile: string, copy: (from: string, to: string) => Promise<number>): void {
    this.snapshots ??= new SnapshotServer(this.nc, this.js, this.stream, this.o.replicas, checkpointFile, copy,
      () => !this.follower && !this.closed,
      (batch) => { this.purgeHolds.push({ batch, until: performance.now() + SNAPSHOT_HOLD_MS }) },
      (id, from) => this.holdForJoiner(id, from),
      (id) => { this.purgeHolds = this.purgeHolds.filter((h) => h.joiner !== id) })
    if (!this.follower) this.snapshots.listen()
  }

  /** The batch purges must keep everything after while a hold lasts; null when none does. */
  private heldFrom(): number | null {
    const now = performance.now()
    this.purgeHolds = this.purgeHolds.filter((h) => now < h.until)
    return this.purgeHolds.length === 0 ? null : Math.min(...this.purgeHolds.map((h) => h.batch))
  }

  /**
   * The writer's answer to node `joiner`, whose state holds the batches up to `from`: holds the batches
   * after it (until it caught up, at most SNAPSHOT_HOLD_MS), waits for a purge already under way, then
   * looks: true when the stream still holds the next batch (held from now on), false when it was purged
   * (the hold is dropped).
   */
  private async holdForJoiner(joiner: string, from: number): Promise<boolean> {
    const hold = { batch: from, until: performance.now() + SNAPSHOT_HOLD_MS, joiner }
    this.purgeHolds.push(hold)
    await this.purging
    // The first batch entry the stream keeps (every message before it was purged), or the next one.
    const firstKept = this.batchSeqs[0]?.batch ?? this.lastBatch + 1
    if ((await this.streamState()).first_seq <= 1 || firstKept <= from + 1) return true
    this.purgeHolds = this.purgeHolds.filter((h) => h !== hold)
    return false
  }

  /** Snapshots this log's writer copied for joining nodes (tests). */
  get snapshotsMade(): number {
    return this.snapshots?.made ?? 0
  }

  /** True when the stream no longer starts at its first message (purged behind the writer's checkpoints). */
  async purgedFront(): Promise<boolean> {
    return (await this.streamState()).first_seq > 1
  }

  /**
   * A follower whose state holds the batches up to `from` (0: a new data directory) asks the writer to
   * hold the batches after it until it caught up (snapshots.ts): true when it does, false when the next
   * one was purged, null when no writer answered (none purges meanwhile, unless one takes over).
   */
  async holdAfter(from: number): Promise<boolean | null> {
    if (this.o.joinUnheld) return null
    const id = randomUUID()
    const held = await askToJoin(this.nc, this.stream, id, from)
    if (held === true) this.joinedAs = id
    return held
  }

  /** The id this node joined under while the writer holds the stream for it (until it caught up). */
  private joinedAs: string | null = null

  /** Asks the stream's writer for a snapshot and writes it to `checkpointFile`; resolves to the batch it holds. */
  fetchSnapshot(checkpointFile: string, timeoutMs?: number, note?: (line: string) => void, keepOldWal = false): Promise<number> {
    return fetchSnapshot(this.nc, this.stream, checkpointFile, timeoutMs, note, keepOldWal)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.snapshots?.stop()
    if (this.announcer !== null) clearInterval(this.announcer)
    this.followingSub?.unsubscribe()
    this.phase1?.close()
    await this.tail
    this.closed = true
    this.stopFollowing?.()
    await this.nc.drain().catch(() => {})
  }
}

/** JetStream's API error code for a stream that does not exist. */
const STREAM_NOT_FOUND = 10059

async function ensureStream(jsm: JetStreamManager, stream: string, subject: string, replicas: number, bytesMax: number | undefined, serversKnown: number): Promise<void> {
  try {
    const info = await jsm.streams.info(stream)
    if (!info.config.subjects.includes(subject)) {
      throw new Error(`the stream ${stream} exists but does not take ${subject}: it is not an Acheron batch log`)
    }
    return
  } catch (err) {
    if (!(err instanceof NatsError) || jsErrorCode(err) !== STREAM_NOT_FOUND) throw err
  }
  await jsm.streams.add({
    name: stream, subjects: [subject], storage: StorageType.File, num_replicas: replicas,
    discard: DiscardPolicy.New, max_msgs: -1, max_age: 0,
    ...(bytesMax !== undefined ? { max_bytes: bytesMax } : {}),
    // Resends of an unanswered publish come within the append timeout; keep their ids that long.
    duplicate_window: 2 * 60 * 1_000_000_000,
  }).catch((err: unknown) => { throw replicasRefused(err, `the stream ${stream}`, replicas, serversKnown) })
}

/** NATS's refusal of replicas > 1 by a server that is not in a cluster (JSStreamReplicasNotSupportedErr). */
const JS_REPLICAS_NOT_CLUSTERED = 10074
/** NATS's "no suitable peers for placement" (JSClusterNoPeersErr): fewer servers to place replicas on than asked. */
const JS_CLUSTER_NO_PEERS = 10005

/**
 * The NATS servers of the cluster this connection knows of: the ones its server announces (connect_urls:
 * itself and every server routed to it) or the URLs given, whichever are more. A server that is down is
 * counted only when given.
 */
export function natsServersKnown(nc: NatsConnection, given: readonly string[]): number {
  return Math.max(new Set(given).size, nc.info?.connect_urls?.length ?? 0)
}

/**
 * `err` as said to a person when it is a refusal that never passes, so that it is not a NatsError (which
 * opening retries for LOG_OPEN_TIMEOUT_MS, as a cluster electing its leader) but the way out; else `err`.
 * Such are replicas on a server outside a cluster, and "no suitable peers for placement" for more
 * replicas than the `serversKnown` servers of the cluster: that waited the 90 s out and said "is a
 * majority of the NATS cluster up?", which it was. With no more replicas than servers, the same words
 * pass (a server restarting, a cluster whose servers are still joining), and the open waits on.
 */
export function replicasRefused(err: unknown, what: string, replicas: number, serversKnown?: number): unknown {
  const code = jsErrorCode(err)
  if (code === JS_REPLICAS_NOT_CLUSTERED) {
    return new Error(`cannot create ${what} with ${replicas} replicas: its NATS server is not part of a NATS cluster (${errorMessage(err)}). Give --log-replicas 1 (natsLog.replicas), or the servers of a NATS cluster of ${replicas} or more`)
  }
  if (code === JS_CLUSTER_NO_PEERS && serversKnown !== undefined && replicas > serversKnown) {
    return new Error(`cannot create ${what} with ${replicas} replicas: the NATS cluster has only ${serversKnown} server${serversKnown === 1 ? '' : 's'}, and JetStream keeps at most one replica on each (${errorMessage(err)}). Give --log-replicas ${serversKnown} or fewer (natsLog.replicas), or the servers of a NATS cluster of ${replicas} or more`)
  }
  return err
}

/** Joins an entry's messages (one, or its parts) and checks its frame; parts never finished are dropped. */
class EntryAssembler {
  private parts: Uint8Array[] = []
  private firstSeq = 0
  private expected = 0
  /** After a gap in the messages: later parts of an entry begun before it are dropped. */
  private resyncing = false

  constructor(private readonly stream: string) {}

  /** Messages were skipped (purged): what is held is dropped, and so are parts until an entry's first. */
  resync(): void {
    this.parts = []
    this.resyncing = true
  }

  /** The message at `seq`: the entry it completes (with the sequence of its first message), or null. */
  push(seq: number, part: string, data: Uint8Array): { entry: LogEntry; seq: number } | null {
    if (this.resyncing) {
      if (part !== '' && !part.startsWith('1/')) return null
      this.resyncing = false
    }
    if (part === '') {
      this.parts = [data]
      this.firstSeq = seq
      this.expected = 1
    } else {
      const [i, n] = part.split('/').map(Number) as [number, number]
      // A first part ends any parts before it that never got their last one (an entry refused halfway).
      if (i === 1) { this.parts = []; this.firstSeq = seq; this.expected = n }
      if (i !== this.parts.length + 1 || n !== this.expected) {
        throw new LogCorruptError(`stream ${this.stream}`, seq, `part ${part} where part ${this.parts.length + 1}/${this.expected} was due`, 'message')
      }
      this.parts.push(data)
    }
    if (this.parts.length !== this.expected) return null
    const frame = this.parts.length === 1 ? (this.parts[0] as Uint8Array) : Buffer.concat(this.parts)
    this.parts = []
    const r = readFrame(frame, 0)
    if (!r.ok && r.newer !== undefined) throw new LogFormatError(`stream ${this.stream}`, this.firstSeq, r.newer, 'message')
    if (!r.ok || r.end !== frame.length) throw new LogCorruptError(`stream ${this.stream}`, this.firstSeq, r.ok ? 'bytes after the entry' : r.reason, 'message')
    return { entry: r.entry.kind === 'batch' ? { kind: 'batch', batch: r.entry.batch, body: r.entry.body.slice() } : r.entry, seq: this.firstSeq }
  }
}

/**
 * Every entry of the stream in order, parts joined, CRCs checked. Read one message at a time through the
 * stream's leader (STREAM.MSG.GET, a request with a timeout each), not through a consumer: a consumer on
 * a stream whose cluster is still electing its leader waits without a bound, and the stream holds only
 * the batches since the last checkpoint (and `batchesKept` more), so this is short.
 */
/**
 * Every entry the stream `stream` holds, read on a connection of its own (EXPLAIN COMMIT's thread reads
 * the log of a running node this way). An empty list when the stream does not exist.
 */
export async function readStreamEntries(servers: readonly string[], stream: string = LOG_STREAM_DEFAULT): Promise<LogEntry[]> {
  const nc = await connect({ servers: [...servers], name: `acheron-log-reader-${stream}`, timeout: 10_000 })
  try {
    const jsm = await nc.jetstreamManager()
    try {
      return (await readStream(jsm, stream)).entries
    } catch (err) {
      if (jsErrorCode(err) === STREAM_NOT_FOUND) return []
      throw err
    }
  } finally {
    await nc.close()
  }
}

async function readStream(jsm: JetStreamManager, stream: string): Promise<{ entries: LogEntry[]; lastSeq: number; batchSeqs: { batch: number; seq: number }[] }> {
  const info = await jsm.streams.info(stream)
  const { first_seq: first, last_seq: last, messages } = info.state
  const entries: LogEntry[] = []
  const batchSeqs: { batch: number; seq: number }[] = []
  if (messages === 0) return { entries, lastSeq: last, batchSeqs }
  const assembler = new EntryAssembler(stream)
  for (let seq = first; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq })
    const done = assembler.push(seq, m.header?.get(H_PART) ?? '', m.data)
    if (done === null) continue
    entries.push(done.entry)
    if (done.entry.kind === 'batch') batchSeqs.push({ batch: done.entry.batch, seq: done.seq })
  }
  // Parts of an entry whose last part never got in stay in the stream (a torn entry): a later reader
  // meets them followed by the next entry's first message, which ends them.
  return { entries, lastSeq: last, batchSeqs }
}

function jsErrorCode(err: unknown): number | null {
  if (!(err instanceof NatsError)) return null
  const code = err.api_error?.err_code
  return typeof code === 'number' ? code : null
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The executions received last (EngineFaults.followerAdoptsNewest). */
function newest(adoptable: ReadonlyMap<number, Uint8Array>): Uint8Array | undefined {
  return adoptable.size === 0 ? undefined : adoptable.get(Math.max(...adoptable.keys()))
}
