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
 * transfer it carried (docs/benchmarks.md, "Per-node costs of a cluster"). While requests wait, the
 * follower probes every second whether a writer still listens, so that those a dead writer took fail
 * within seconds (as outcome unknown), not after FORWARD_REPLY_TIMEOUT_MS.
 */
import { connect, createInbox, NatsError, type Msg, type NatsConnection, type Subscription } from 'nats'
import { AcheronError } from '../errors.js'
import {
  decodeReplies, decodeRequests, encodeReplies, encodeRequests, ENVELOPE_HEADER, REPLY_RECORD_OVERHEAD,
  REQUEST_RECORD_OVERHEAD, type ForwardedReply, type ForwardedRequest,
} from './forward-frames.js'
import { ReadPositionServer, ReadPositions } from './follower-reads.js'
import type { CommitPosition } from '../errors.js'

export type ForwardRole = 'admin' | 'app'

/** How long a follower waits for the writer's reply to a forwarded request. */
export const FORWARD_REPLY_TIMEOUT_MS = 60_000
/**
 * While forwarded requests wait, the follower asks every this long whether a writer still listens (an
 * empty message to the requests' subject, which a writer answers at once).
 */
export const FORWARD_PROBE_EVERY_MS = 1_000
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

const NO_BYTES = new Uint8Array(0)
const decoder = new TextDecoder()

/** Messages and requests carried, each way (tests and benchmarks read them). */
export interface ForwardingStats {
  envelopes: number
  requests: number
  replyMessages: number
  replies: number
}

/** Forwarded requests sent in one envelope, and the timer that gives up on their replies. */
interface Envelope {
  remaining: number
  timer: NodeJS.Timeout | undefined
}

interface Waiting extends ForwardedRequest {
  readonly bytes: number
  readonly resolve: (reply: string) => void
  readonly reject: (err: AcheronError) => void
  envelope: Envelope | undefined
}

/** A follower's side: sends requests' text to the writer, answers the writer's reply text. */
export class RequestForwarder {
  readonly stats: ForwardingStats = { envelopes: 0, requests: 0, replyMessages: 0, replies: 0 }
  private readonly waiting = new Map<number, Waiting>()
  private queue: Waiting[] = []
  private flushScheduled = false
  private nextId = 1
  /** The probe timer while requests wait (null: none waits), and the "no responders" answers in a row. */
  private prober: NodeJS.Timeout | null = null
  private probeInFlight = false
  private probeMisses = 0
  /** Read positions from the writer, for the read-only queries this follower answers itself. */
  readonly readPositions: ReadPositions

  private constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
    private readonly inbox: string,
    private readonly maxBytes: number,
  ) {
    this.readPositions = new ReadPositions(nc, stream)
  }

  static async open(servers: readonly string[], stream: string): Promise<RequestForwarder> {
    const nc = await connect({ servers: [...servers], name: `acheron-forward-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    const forwarder = new RequestForwarder(nc, stream, createInbox(`acheron.replies.${stream}`), nc.info?.max_payload ?? 1024 * 1024)
    nc.subscribe(forwarder.inbox, { callback: (_err, msg) => forwarder.received(msg) })
    return forwarder
  }

  /** Fails every forwarded request still waiting for its reply (their writer is gone: outcome unknown). */
  failWaiting(why: string): void {
    const waiting = [...this.waiting.values()]
    this.waiting.clear()
    this.queue = []
    for (const w of waiting) {
      if (w.envelope !== undefined) clearTimeout(w.envelope.timer)
      w.reject(new AcheronError('INTERNAL', `outcome unknown: ${why}`, { outcomeUnknown: true, retryable: true }))
    }
  }

  /** The writer's reply to `text` (a request's JSON text); rejects with an AcheronError the follower sends instead. */
  forward(text: string, role: ForwardRole): Promise<string> {
    const bytes = Buffer.byteLength(text)
    const most = this.maxBytes - ENVELOPE_HEADER - Buffer.byteLength(this.inbox) - REQUEST_RECORD_OVERHEAD
    if (bytes > most) {
      return Promise.reject(new AcheronError('PAYLOAD_TOO_LARGE', `this node follows the writer and forwards requests of at most ${most} bytes (NATS max_payload); send larger ones to the writer`))
    }
    const id = this.nextId
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1
    return new Promise<string>((resolve, reject) => {
      const w: Waiting = { id, role, text, bytes, resolve, reject, envelope: undefined }
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
   * Whether the writer still listens, asked while requests wait for it: a writer that died (SIGKILL, its
   * NATS connection closed) answers nothing, and its requests would wait FORWARD_REPLY_TIMEOUT_MS. Those
   * sent to it fail as outcome unknown after FORWARD_PROBE_MISSES_MAX probes found no one listening.
   */
  private probe(): void {
    if (this.waiting.size === 0) {
      if (this.prober !== null) clearInterval(this.prober)
      this.prober = null
      this.probeMisses = 0
      return
    }
    if (this.probeInFlight) return
    this.probeInFlight = true
    this.nc.request(subject(this.stream), NO_BYTES, { timeout: FORWARD_PROBE_EVERY_MS }).then(
      () => { this.probeMisses = 0 },
      (err: unknown) => {
        // A timeout or a closed connection says nothing of the writer: only "no responders" counts.
        if (!(err instanceof NatsError && err.code === '503')) return
        if (++this.probeMisses < FORWARD_PROBE_MISSES_MAX) return
        this.probeMisses = 0
        this.failSent(`no writer of the stream ${this.stream} listened to ${FORWARD_PROBE_MISSES_MAX} probes ${FORWARD_PROBE_EVERY_MS} ms apart: it went away before it answered`)
      },
    ).finally(() => { this.probeInFlight = false })
  }

  /** Fails, as outcome unknown, the requests sent to the writer and not answered (not those still queued). */
  private failSent(why: string): void {
    const sent = [...this.waiting.values()].filter((w) => w.envelope !== undefined)
    this.give(sent, () => new AcheronError('INTERNAL', `outcome unknown: ${why}`, { outcomeUnknown: true, retryable: true }))
  }

  private send(members: Waiting[]): void {
    if (this.prober === null) {
      this.prober = setInterval(() => this.probe(), FORWARD_PROBE_EVERY_MS)
      this.prober.unref()
    }
    const envelope: Envelope = { remaining: members.length, timer: undefined }
    for (const w of members) w.envelope = envelope
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
        if (ack.data.length > 0) {
          const why = decoder.decode(ack.data)
          this.give(members, () => new AcheronError('INTERNAL', `the writer of the stream ${this.stream} could not read a forwarded request (${why}): it did not run`, { retryable: true }))
        }
      },
      (err: unknown) => {
        if (err instanceof NatsError && err.code === '503') {
          this.give(members, () => new AcheronError('INTERNAL', `no writer serves the stream ${this.stream} now: the request did not run; retry`, { retryable: true }))
        } else {
          this.give(members, () => new AcheronError('INTERNAL', `outcome unknown: the writer of the stream ${this.stream} did not take the request (${err instanceof Error ? err.message : String(err)})`, { outcomeUnknown: true, retryable: true }))
        }
      },
    )
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
    await this.nc.drain().catch(() => {})
  }
}

/** The writer's side: runs forwarded requests with `handle` (the server's own request path). */
export class ForwardedRequests {
  readonly stats: ForwardingStats = { envelopes: 0, requests: 0, replyMessages: 0, replies: 0 }
  /** Replies ready and not sent yet, by the inbox of the follower that waits for them. */
  private readonly outgoing = new Map<string, ForwardedReply[]>()
  private flushScheduled = false
  private sub: Subscription | undefined = undefined
  /** Answers followers' requests for read positions (absent: their reads are forwarded like the rest). */
  readonly readPositions: ReadPositionServer | null

  private constructor(
    private readonly nc: NatsConnection,
    private readonly handle: (raw: string, role: ForwardRole, replyBytesMax: number) => Promise<string>,
    reserveReads: ((count: number, batch?: number) => CommitPosition | null) | undefined,
  ) {
    this.readPositions = reserveReads === undefined ? null : new ReadPositionServer(reserveReads)
  }

  /**
   * `handle` gets the largest reply one NATS message carries (max_payload, less a reply's framing);
   * `reserveReads` reserves positions for the reads followers answer (src/cluster/follower-reads.ts).
   */
  static async serve(servers: readonly string[], stream: string, handle: (raw: string, role: ForwardRole, replyBytesMax: number) => Promise<string>, reserveReads?: (count: number, batch?: number) => CommitPosition | null): Promise<ForwardedRequests> {
    const nc = await connect({ servers: [...servers], name: `acheron-writer-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    const served = new ForwardedRequests(nc, handle, reserveReads)
    served.sub = nc.subscribe(subject(stream), { callback: (_err, msg) => served.received(msg) })
    served.readPositions?.serve(nc, stream)
    // Subscriptions travel to the server on this connection while followers request on theirs: without
    // this round trip, a request sent just after serve() returns can find no subscriber and fail as
    // "no writer serves the stream".
    await nc.flush()
    return served
  }

  private received(msg: Msg): void {
    // A follower's probe (RequestForwarder.probe): this writer listens.
    if (msg.data.length === 0) {
      msg.respond(NO_BYTES)
      return
    }
    let envelope: { inbox: string; requests: ForwardedRequest[] }
    try {
      envelope = decodeRequests(msg.data)
    } catch (err) {
      msg.respond(new TextEncoder().encode(err instanceof Error ? err.message : String(err)))
      return
    }
    msg.respond(NO_BYTES)
    this.stats.envelopes++
    this.stats.requests += envelope.requests.length
    const replyBytesMax = (this.nc.info?.max_payload ?? 1024 * 1024) - REPLY_RECORD_OVERHEAD
    for (const r of envelope.requests) {
      void this.handle(r.text, r.role, replyBytesMax).then((text) => this.ready(envelope.inbox, { id: r.id, text }))
    }
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
    this.flush()
    await this.nc.drain().catch(() => {})
  }
}
