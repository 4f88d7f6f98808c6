/**
 * Requests that reach a follower go to the writer of the stream (docs/scale-out.md, step 2): the
 * follower has authenticated the client, so it sends the request's text with the client's role over NATS
 * to `acheron.requests.STREAM`; the writer runs it as it runs its own clients' requests and answers with
 * the reply's text, which the follower sends on unchanged. So a reply is the same whichever node the
 * client is connected to.
 *
 * Many requests share a message each way (src/cluster/forward-frames.ts): a follower sends what its
 * clients asked in one turn of its event loop as one envelope, by NATS request; the writer acknowledges
 * the envelope at once (so a follower learns at once that no writer listens: NATS answers "no responders",
 * and the requests did not run) and sends the replies that are ready in one turn of its own as one
 * message to the follower's inbox. One message per request each way cost more CPU than executing the
 * transfer it carried (docs/benchmarks.md, "Per-node costs of a cluster").
 *
 * While requests wait, the follower asks the writer every second about those it sent a second or more
 * ago (src/cluster/forwarded-ledger.ts): the writer sends again a reply that was lost on its way (a NATS
 * server died), and names those it knows nothing of (another writer took them over), which fail as
 * outcome unknown at once. When no writer answers at all ("no responders", several times in a row), every
 * request sent fails as outcome unknown. So a request whose reply or writer was lost settles within
 * seconds, not after FORWARD_REPLY_TIMEOUT_MS.
 *
 * A call is answered from the stream too (docs/scale-out.md, step 2). The writer logs each forwarded
 * call with its origin (this follower's inbox and its id for the request), and a follower that applies a
 * batch answers the calls of its own in it from their outcomes there (answerFromLog), whichever of that
 * and the writer's reply comes first: they are the same reply. So a call whose writer died is not left
 * "outcome unknown": once its batch is applied here (the writer released it, or a new writer committed
 * it), it has its reply. A call the dead writer took (it acknowledged the envelope) and never logged did
 * not run, and never will once another writer took over: every batch of an earlier writer is at or
 * below the batch the new writer's state held when it began to answer (AnsweringWriter.since), because
 * it fenced the stream then. So once this node has applied that batch, a call acknowledged by another
 * writer, not answered from the stream, and of which the new writer says it knows nothing (it did not
 * receive it too: NATS gives a message to every writer that subscribes, and two may, for a moment) fails
 * as not run, retryably; when this node took over itself, at once, and then also those no writer
 * acknowledged (only the dead writer can have received them). Meanwhile calls are not failed when the
 * writer stops answering: they wait for the next writer.
 */
import { connect, createInbox, NatsError, nuid, type Msg, type NatsConnection, type Subscription } from 'nats'
import { AcheronError } from '../errors.js'
import {
  decodeAnswer, decodeForwarded, decodeReplies, encodeAnswerError, encodeReplies, encodeRequests, encodeStatusQuestion,
  encodeUnknownIds, ENVELOPE_HEADER, REPLY_RECORD_OVERHEAD, REQUEST_RECORD_OVERHEAD, type AnsweringWriter, type ForwardedMessage,
  type ForwardedReply, type ForwardedRequest,
} from './forward-frames.js'
import { ForwardedLedger } from './forwarded-ledger.js'
import { ReadPositionServer, ReadPositions } from './follower-reads.js'
import type { CommitPosition } from '../errors.js'
import type { CallOrigin } from '../txn/batch-codec.js'
import type { EngineFaults } from '../txn/faults.js'

/** How the writer runs a forwarded request: its text, role, the largest reply, and where it came from. */
export type ForwardedHandler = (raw: string, role: ForwardRole, replyBytesMax: number, origin: CallOrigin) => Promise<string>

export type ForwardRole = 'admin' | 'app'

/** How long a follower waits for the writer's reply to a forwarded request. */
export const FORWARD_REPLY_TIMEOUT_MS = 60_000
/**
 * While forwarded requests wait, the follower asks the writer every this long about those it sent at
 * least this long ago (a status question on the requests' subject, which a writer answers at once).
 */
export const FORWARD_PROBE_EVERY_MS = 1_000
/** The most requests one status question asks about (the longest waiting first; the rest a probe later). */
export const FORWARD_STATUS_IDS_MAX = 16_384
/**
 * How long a follower keeps trying a request that no writer listened to ("no responders": it did not
 * run) before it refuses it, retryably. Nodes listen before one of them holds the writer lease, and a
 * fail-over takes up to the lease's TTL (WRITER_LEASE_TTL_MS, 12 s) and an election: a client of a
 * follower then waits for the new writer as a client of the writer waits for a batch.
 */
export const FORWARD_NO_WRITER_WAIT_MS = 15_000
/** How often such a request is tried again meanwhile. */
export const FORWARD_NO_WRITER_RETRY_MS = 250
/**
 * This many probes in a row that NATS answers "no responders" (no one subscribes: the writer died, or
 * stopped writing) fail the requests that wait as outcome unknown, seconds after the writer went and not
 * FORWARD_REPLY_TIMEOUT_MS later. More than one: a writer whose NATS server died is absent for as long as
 * it takes to reconnect to another (reconnectTimeWait, 250 ms).
 */
export const FORWARD_PROBE_MISSES_MAX = 3

function subject(stream: string): string {
  return `acheron.requests.${stream}`
}

/** Messages and requests carried, each way (tests and benchmarks read them). */
export interface ForwardingStats {
  envelopes: number
  requests: number
  replyMessages: number
  replies: number
}

/** Forwarded requests sent in one envelope, when, and the timer that gives up on their replies. */
interface Envelope {
  remaining: number
  timer: NodeJS.Timeout | undefined
  readonly sentAt: number
}

interface Waiting extends ForwardedRequest {
  readonly bytes: number
  readonly resolve: (reply: string) => void
  readonly reject: (err: AcheronError) => void
  /** The envelope it was last sent in (undefined: queued, or held until a writer listens). */
  envelope: Envelope | undefined
  /** When it was first sent (undefined: not yet). */
  firstSentAt: number | undefined
  /** A call: the writer logs its origin, and a batch applied here answers it (answerFromLog); false once untracked (lostTrack). */
  fromLog: boolean
  /** The writer that acknowledged the envelope it was last sent in (undefined: none yet). */
  ackedBy: string | undefined
  /** A writer other than `ackedBy` that said it knows nothing of it (undefined: none said so). */
  unknownTo: string | undefined
  /** RequestForwarder.interruptions when it was last sent. */
  interruptionsAtSend: number
}

/** A follower's side: sends requests' text to the writer, answers the writer's reply text. */
export class RequestForwarder {
  readonly stats: ForwardingStats = { envelopes: 0, requests: 0, replyMessages: 0, replies: 0 }
  /** Requests the writer said it knew nothing of, failed as outcome unknown (tests read it). */
  unknownToWriter = 0
  /** Waiting requests in the order they were made (a Map keeps insertion order): the longest waiting first. */
  private readonly waiting = new Map<number, Waiting>()
  private queue: Waiting[] = []
  /** Requests no writer listened to, tried again when `retryTimer` fires. */
  private held: Waiting[] = []
  private retryTimer: NodeJS.Timeout | null = null
  private flushScheduled = false
  private nextId = 1
  /** The probe timer while requests wait (null: none waits), and the "no responders" answers in a row. */
  private prober: NodeJS.Timeout | null = null
  private probeInFlight = false
  private probeMisses = 0
  /** Read positions from the writer, for the read-only queries this follower answers itself. */
  readonly readPositions: ReadPositions
  /** Calls answered from a batch applied here, and calls failed as not run by the rule above (tests read them). */
  answeredFromLog = 0
  notRunAfterTakeover = 0
  /**
   * The last batch this node applied, while calls can be answered from the batches it applies (null: they
   * cannot, and calls settle as any request does).
   */
  private appliedBatch: (() => number) | null = null
  /** The writer that answered last, from a status answer or an envelope's acknowledgement. */
  private lastWriter: AnsweringWriter | null = null
  /**
   * How often this node's NATS connection was cut (disconnected or reconnected): a message to or from
   * it may have been lost then, so an acknowledgement that did not come may have been sent.
   */
  private interruptions = 0

  private constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
    private readonly inbox: string,
    private readonly maxBytes: number,
    private readonly noWriterWaitMs: number,
    private readonly faults: EngineFaults,
  ) {
    this.readPositions = new ReadPositions(nc, stream, { waitMs: noWriterWaitMs, retryMs: FORWARD_NO_WRITER_RETRY_MS })
  }

  /**
   * `noWriterWaitMs`: FORWARD_NO_WRITER_WAIT_MS unless given (0: refuse at once when no writer listens);
   * `faults`: deliberate bugs, for tests (EngineFaults.notRunBeforeApplied).
   */
  static async open(servers: readonly string[], stream: string, options: { noWriterWaitMs?: number; faults?: EngineFaults } = {}): Promise<RequestForwarder> {
    const nc = await connect({ servers: [...servers], name: `acheron-forward-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    const forwarder = new RequestForwarder(nc, stream, createInbox(`acheron.replies.${stream}`), nc.info?.max_payload ?? 1024 * 1024, options.noWriterWaitMs ?? FORWARD_NO_WRITER_WAIT_MS, options.faults ?? {})
    nc.subscribe(forwarder.inbox, { callback: (_err, msg) => forwarder.received(msg) })
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'disconnect' || status.type === 'reconnect') forwarder.interruptions++
    })().catch(() => {})
    return forwarder
  }

  /**
   * Fails every forwarded request still waiting: those sent as outcome unknown (their writer is gone),
   * those not sent yet (queued, or held for a writer) as not run.
   */
  failWaiting(why: string): void {
    const waiting = [...this.waiting.values()]
    this.waiting.clear()
    this.queue = []
    this.held = []
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    for (const w of waiting) {
      if (w.envelope !== undefined) clearTimeout(w.envelope.timer)
      w.reject(w.envelope === undefined
        ? new AcheronError('INTERNAL', `${why}: the request was not sent, and did not run; retry`, { retryable: true })
        : new AcheronError('INTERNAL', `outcome unknown: ${why}`, { outcomeUnknown: true, retryable: true }))
    }
  }

  /** The inbox the writer's replies come to, which names this follower in the origins of its calls. */
  get replyInbox(): string {
    return this.inbox
  }

  /** The largest reply the writer forwards (one NATS message): a reply made here is bounded the same. */
  get replyBytesMax(): number {
    return this.maxBytes - REPLY_RECORD_OVERHEAD
  }

  /**
   * From now on calls are answered from the batches this node applies: `applied` gives the last one
   * (null: no longer; a node that changes role sets it again once it applies batches once more).
   */
  answerCallsFromLog(applied: (() => number) | null): void {
    this.appliedBatch = applied
  }

  /**
   * The call `id` had its outcome in a batch applied here: `reply` makes its reply from the request's
   * text (null: not a call, and it waits for the writer's reply).
   */
  answerFromLog(id: number, reply: (text: string) => string | null): void {
    const w = this.waiting.get(id)
    if (w === undefined || !w.fromLog) return
    const text = reply(w.text)
    if (text === null) return
    this.answeredFromLog++
    this.waiting.delete(id)
    this.settled(w)
    w.resolve(text)
  }

  /**
   * This node's state is about to skip batches it did not apply (it starts again from the writer's
   * snapshot): a call waiting now may be in one of them, and can no longer be answered from the log or
   * known not to have run. It settles as any other request does: by the writer's reply, or as outcome
   * unknown.
   */
  lostTrack(): void {
    for (const w of this.waiting.values()) w.fromLog = false
  }

  /**
   * This node took the stream over, having applied all of it, and does not yet answer forwarded requests:
   * the calls it sent that no batch answered did not run (only earlier writers can have received them,
   * and nothing of theirs can follow its fence), and fail, retryably; every other request waiting fails
   * as `failWaiting` fails it.
   */
  tookOver(why: string): void {
    const notRun = [...this.waiting.values()].filter((w) => this.answersFromLog(w) && w.envelope !== undefined)
    this.notRunAfterTakeover += notRun.length
    this.give(notRun, () => new AcheronError('INTERNAL', `${why}; the call was not in the stream it took over: it did not run; retry`, { retryable: true }))
    this.failWaiting(why)
  }

  /** The writer's reply to `text` (a request's JSON text); rejects with an AcheronError the follower sends instead. */
  forward(text: string, role: ForwardRole, fromLog = false): Promise<string> {
    const bytes = Buffer.byteLength(text)
    const most = this.maxBytes - ENVELOPE_HEADER - Buffer.byteLength(this.inbox) - REQUEST_RECORD_OVERHEAD
    if (bytes > most) {
      return Promise.reject(new AcheronError('PAYLOAD_TOO_LARGE', `this node follows the writer and forwards requests of at most ${most} bytes (NATS max_payload); send larger ones to the writer`))
    }
    const id = this.nextId
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1
    return new Promise<string>((resolve, reject) => {
      const w: Waiting = { id, role, text, bytes, resolve, reject, envelope: undefined, firstSentAt: undefined, fromLog, ackedBy: undefined, unknownTo: undefined, interruptionsAtSend: 0 }
      this.waiting.set(id, w)
      this.queue.push(w)
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Sends the queued requests, as few envelopes of at most max_payload as they fit in. */
  private flush(): void {
    this.flushScheduled = false
    const queue = this.queue
    this.queue = []
    const header = ENVELOPE_HEADER + Buffer.byteLength(this.inbox)
    let start = 0
    let size = header
    for (let i = 0; i < queue.length; i++) {
      const add = REQUEST_RECORD_OVERHEAD + (queue[i] as Waiting).bytes
      if (i > start && size + add > this.maxBytes) {
        this.send(queue.slice(start, i))
        start = i
        size = header
      }
      size += add
    }
    if (start < queue.length) this.send(start === 0 ? queue : queue.slice(start))
  }

  /**
   * Asks the writer, while requests wait, about those sent FORWARD_PROBE_EVERY_MS or more ago: it sends
   * lost replies again and names the requests it knows nothing of, which fail as outcome unknown. A writer
   * that died (SIGKILL, its NATS connection closed) answers nothing: after FORWARD_PROBE_MISSES_MAX "no
   * responders" in a row, every request sent fails as outcome unknown.
   */
  private probe(): void {
    this.settleNotRun()
    if (this.waiting.size === 0) {
      if (this.prober !== null) clearInterval(this.prober)
      this.prober = null
      this.probeMisses = 0
      return
    }
    if (this.probeInFlight) return
    this.probeInFlight = true
    const asked: Waiting[] = []
    const sentBefore = performance.now() - FORWARD_PROBE_EVERY_MS
    for (const w of this.waiting.values()) {
      if (asked.length >= FORWARD_STATUS_IDS_MAX) break
      if (w.envelope !== undefined && w.envelope.sentAt <= sentBefore) asked.push(w)
    }
    const question = encodeStatusQuestion(this.inbox, asked.map((w) => w.id))
    this.nc.request(subject(this.stream), question, { timeout: FORWARD_PROBE_EVERY_MS }).then(
      (answer) => {
        this.probeMisses = 0
        const read = decodeAnswer(answer.data)
        if ('error' in read) return
        const unknown = new Set(read.unknown)
        // A call another writer took is settled by the stream (settleNotRun), not by this one's word alone.
        const awaiting = asked.filter((w) => unknown.has(w.id) && this.awaitsLog(w, read.writer))
        for (const w of awaiting) w.unknownTo = read.writer?.id
        this.heard(read.writer)
        const gone = asked.filter((w) => unknown.has(w.id) && !this.awaitsLog(w, read.writer))
        this.unknownToWriter += gone.length
        this.give(gone, () => new AcheronError('INTERNAL', `outcome unknown: the writer of the stream ${this.stream} holds neither the request nor its reply (another writer took over from the one that took it, or its reply was lost and is no longer kept)`, { outcomeUnknown: true, retryable: true }))
      },
      (err: unknown) => {
        // A timeout or a closed connection says nothing of the writer: only "no responders" counts.
        if (!(err instanceof NatsError && err.code === '503')) return
        if (++this.probeMisses < FORWARD_PROBE_MISSES_MAX) return
        this.probeMisses = 0
        this.failSent(`no writer of the stream ${this.stream} listened to ${FORWARD_PROBE_MISSES_MAX} probes ${FORWARD_PROBE_EVERY_MS} ms apart: it went away before it answered`)
      },
    ).finally(() => { this.probeInFlight = false })
  }

  /**
   * True for a call the stream will settle, now that `answering` says it knows nothing of it: this node
   * answers calls from the batches it applies, and another writer took it — it acknowledged it, or none
   * did and no message can have been lost since it was sent (so `answering` never received it: it would
   * have acknowledged it, and would know it).
   */
  private awaitsLog(w: Waiting, answering: AnsweringWriter | null): boolean {
    if (!this.answersFromLog(w) || answering === null) return false
    return w.ackedBy === undefined ? w.interruptionsAtSend === this.interruptions : w.ackedBy !== answering.id
  }

  /** True for a call this node answers from the batches it applies (answerCallsFromLog, lostTrack). */
  private answersFromLog(w: Waiting): boolean {
    return this.appliedBatch !== null && w.fromLog
  }

  private heard(writer: AnsweringWriter | null): void {
    if (writer === null) return
    if (this.lastWriter?.id !== writer.id) {
      this.lastWriter = writer
      this.settleNotRun()
    }
  }

  /**
   * Once this node applied every batch an earlier writer can have logged (up to the last writer's
   * `since`), the calls the last writer knows nothing of and that only an earlier writer can have
   * received (awaitsLog), and that no batch answered, did not run: they fail, retryably.
   */
  private settleNotRun(): void {
    const writer = this.lastWriter
    const applied = this.appliedBatch
    if (writer === null || applied === null) return
    if (applied() < writer.since && this.faults.notRunBeforeApplied !== true) return
    const notRun = [...this.waiting.values()].filter((w) => w.unknownTo === writer.id && this.awaitsLog(w, writer))
    if (notRun.length === 0) return
    this.notRunAfterTakeover += notRun.length
    this.give(notRun, () => new AcheronError('INTERNAL', `the writer of the stream ${this.stream} that took the call went away, and the call is in none of the batches up to where the writer after it began (batch ${writer.since}), which never had it: it did not run; retry`, { retryable: true }))
  }

  /**
   * Fails, as outcome unknown, the requests sent to the writer and not answered: not those still queued,
   * nor calls while this node answers them from the log. Those wait for the writer that comes next: its
   * state settles those an earlier writer acknowledged (settleNotRun); of the others, which no writer
   * acknowledged, it says it knows nothing, which fails them as outcome unknown then; if it is this
   * node, none of them ran (tookOver).
   */
  private failSent(why: string): void {
    const sent = [...this.waiting.values()].filter((w) => w.envelope !== undefined && !this.answersFromLog(w))
    this.give(sent, () => new AcheronError('INTERNAL', `outcome unknown: ${why}`, { outcomeUnknown: true, retryable: true }))
  }

  private send(members: Waiting[]): void {
    if (this.prober === null) {
      this.prober = setInterval(() => this.probe(), FORWARD_PROBE_EVERY_MS)
      this.prober.unref()
    }
    const envelope: Envelope = { remaining: members.length, timer: undefined, sentAt: performance.now() }
    for (const w of members) {
      w.envelope = envelope
      w.firstSentAt ??= envelope.sentAt
      w.ackedBy = undefined
      w.interruptionsAtSend = this.interruptions
    }
    envelope.timer = setTimeout(() => {
      this.give(members, () => new AcheronError('INTERNAL', `outcome unknown: the writer of the stream ${this.stream} did not answer within ${FORWARD_REPLY_TIMEOUT_MS} ms`, { outcomeUnknown: true, retryable: true }))
    }, FORWARD_REPLY_TIMEOUT_MS)
    envelope.timer.unref()
    this.stats.envelopes++
    this.stats.requests += members.length
    const body = encodeRequests(this.inbox, members, members.map((w) => w.bytes))
    this.nc.request(subject(this.stream), body, { timeout: FORWARD_REPLY_TIMEOUT_MS }).then(
      (ack) => {
        // A writer that could not read the envelope ran none of it, and says why.
        let read: ReturnType<typeof decodeAnswer>
        try {
          read = decodeAnswer(ack.data)
        } catch {
          return
        }
        if ('error' in read) {
          const why = read.error
          this.give(members, () => new AcheronError('INTERNAL', `the writer of the stream ${this.stream} could not read a forwarded request (${why}): it did not run`, { retryable: true }))
          return
        }
        if (read.writer !== null) {
          for (const w of members) if (w.envelope === envelope) w.ackedBy = read.writer.id
        }
        this.heard(read.writer)
      },
      (err: unknown) => {
        if (err instanceof NatsError && err.code === '503') {
          this.noWriter(envelope, members)
        } else {
          this.give(members, () => new AcheronError('INTERNAL', `outcome unknown: the writer of the stream ${this.stream} did not take the request (${err instanceof Error ? err.message : String(err)})`, { outcomeUnknown: true, retryable: true }))
        }
      },
    )
  }

  /**
   * No writer listened to `members` (they did not run): they are tried again every
   * FORWARD_NO_WRITER_RETRY_MS until one does, and refused, retryably, once they have waited
   * `noWriterWaitMs` since first sent.
   */
  private noWriter(envelope: Envelope, members: readonly Waiting[]): void {
    clearTimeout(envelope.timer)
    const now = performance.now()
    const still = members.filter((w) => this.waiting.get(w.id) === w)
    const retry = still.filter((w) => now - (w.firstSentAt ?? now) + FORWARD_NO_WRITER_RETRY_MS <= this.noWriterWaitMs)
    const retried = new Set(retry)
    for (const w of retry) w.envelope = undefined
    const waited = this.noWriterWaitMs > 0 ? ` (none for ${Math.round(this.noWriterWaitMs / 1000)} s)` : ''
    this.give(still.filter((w) => !retried.has(w)), () => new AcheronError('INTERNAL', `no writer serves the stream ${this.stream} now${waited}: the request did not run; retry`, { retryable: true }))
    if (retry.length === 0) return
    this.held.push(...retry)
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = null
      const again = this.held.filter((w) => this.waiting.get(w.id) === w)
      this.held = []
      if (again.length === 0) return
      this.queue.push(...again)
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    }, FORWARD_NO_WRITER_RETRY_MS)
  }

  /** Fails those of `members` still waiting with `error()`. */
  private give(members: readonly Waiting[], error: () => AcheronError): void {
    for (const w of members) {
      if (this.waiting.get(w.id) !== w) continue
      this.waiting.delete(w.id)
      this.settled(w)
      w.reject(error())
    }
  }

  private received(msg: Msg): void {
    let replies: ForwardedReply[]
    try {
      replies = decodeReplies(msg.data)
    } catch {
      // Not from a writer of this protocol: the requests it may have answered time out.
      return
    }
    this.stats.replyMessages++
    for (const r of replies) {
      const w = this.waiting.get(r.id)
      if (w === undefined) continue
      this.stats.replies++
      this.waiting.delete(r.id)
      this.settled(w)
      w.resolve(r.text)
    }
  }

  private settled(w: Waiting): void {
    const e = w.envelope
    if (e !== undefined && --e.remaining === 0) clearTimeout(e.timer)
  }

  async close(): Promise<void> {
    if (this.prober !== null) clearInterval(this.prober)
    this.prober = null
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    await this.nc.drain().catch(() => {})
  }
}

/** The writer's side: runs forwarded requests with `handle` (the server's own request path). */
export class ForwardedRequests {
  readonly stats: ForwardingStats = { envelopes: 0, requests: 0, replyMessages: 0, replies: 0 }
  /** Replies ready and not sent yet, by the inbox of the follower that waits for them. */
  private readonly outgoing = new Map<string, ForwardedReply[]>()
  /** What runs and what was answered lately, for followers' status questions. */
  private readonly ledger = new ForwardedLedger()
  /** Replies sent again because a follower asked for them (tests read it). */
  resent = 0
  private flushScheduled = false
  private sub: Subscription | undefined = undefined
  /** Answers followers' requests for read positions (absent: their reads are forwarded like the rest). */
  readonly readPositions: ReadPositionServer | null

  /** This writer's term, named in every answer (src/cluster/forward-frames.ts). */
  readonly writer: AnsweringWriter
  private readonly answer: Uint8Array

  private constructor(
    private readonly nc: NatsConnection,
    private readonly handle: ForwardedHandler,
    reserveReads: ((count: number, batch?: number) => CommitPosition | null) | undefined,
    since: number,
  ) {
    this.readPositions = reserveReads === undefined ? null : new ReadPositionServer(reserveReads)
    // An id, not a clock or a count: two terms of one node, or of two nodes, never share it.
    this.writer = { id: nuid.next(), since }
    this.answer = encodeUnknownIds(this.writer, [])
  }

  /**
   * `handle` gets the largest reply one NATS message carries (max_payload, less a reply's framing), and
   * the request's origin, which a call logs; `reserveReads` reserves positions for the reads followers
   * answer (src/cluster/follower-reads.ts); `since` is the last batch the writer's state holds now, after
   * every batch of the writers before it (AnsweringWriter.since).
   */
  static async serve(servers: readonly string[], stream: string, handle: ForwardedHandler, options: { reserveReads?: (count: number, batch?: number) => CommitPosition | null; since?: number } = {}): Promise<ForwardedRequests> {
    const nc = await connect({ servers: [...servers], name: `acheron-writer-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    const served = new ForwardedRequests(nc, handle, options.reserveReads, options.since ?? 0)
    served.sub = nc.subscribe(subject(stream), { callback: (_err, msg) => served.received(msg) })
    served.readPositions?.serve(nc, stream)
    // Subscriptions travel to the server on this connection while followers request on theirs: without
    // this round trip, a request sent just after serve() returns can find no subscriber and fail as
    // "no writer serves the stream".
    await nc.flush()
    return served
  }

  private received(msg: Msg): void {
    let message: ForwardedMessage
    try {
      message = decodeForwarded(msg.data)
    } catch (err) {
      msg.respond(encodeAnswerError(err instanceof Error ? err.message : String(err)))
      return
    }
    if (message.kind === 'status') {
      msg.respond(encodeUnknownIds(this.writer, this.status(message.inbox, message.ids)))
      return
    }
    msg.respond(this.answer)
    const { inbox, requests } = message
    this.stats.envelopes++
    this.stats.requests += requests.length
    const replyBytesMax = (this.nc.info?.max_payload ?? 1024 * 1024) - REPLY_RECORD_OVERHEAD
    for (const r of requests) {
      this.ledger.started(inbox, r.id)
      void this.handle(r.text, r.role, replyBytesMax, { inbox, id: r.id }).then(
        (text) => {
          this.ledger.ended(inbox, r.id, text)
          this.ready(inbox, { id: r.id, text })
        },
        // The server's request path answers every request; if it ever throws, the follower learns from
        // its next status question that this writer holds no reply (outcome unknown).
        () => this.ledger.ended(inbox, r.id, null),
      )
    }
  }

  /** Sends again the replies to `ids` this writer keeps; returns those it knows nothing of. */
  private status(inbox: string, ids: readonly number[]): number[] {
    const unknown: number[] = []
    for (const id of ids) {
      const known = this.ledger.state(inbox, id)
      if (known.state === 'unknown') unknown.push(id)
      else if (known.state === 'answered') {
        this.resent++
        this.ready(inbox, { id, text: known.text })
      }
    }
    return unknown
  }

  private ready(inbox: string, reply: ForwardedReply): void {
    const list = this.outgoing.get(inbox)
    if (list === undefined) this.outgoing.set(inbox, [reply])
    else list.push(reply)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.flush())
    }
  }

  private flush(): void {
    this.flushScheduled = false
    const maxBytes = this.nc.info?.max_payload ?? 1024 * 1024
    for (const [inbox, replies] of this.outgoing) {
      for (const message of encodeReplies(replies, maxBytes)) {
        try {
          this.nc.publish(inbox, message)
        } catch {
          // Closed (this node stopped writing): the follower fails these as outcome unknown.
          continue
        }
        this.stats.replyMessages++
      }
      this.stats.replies += replies.length
    }
    this.outgoing.clear()
  }

  async close(): Promise<void> {
    this.sub?.unsubscribe()
    this.readPositions?.close()
    this.ledger.close()
    this.flush()
    await this.nc.drain().catch(() => {})
  }
}
