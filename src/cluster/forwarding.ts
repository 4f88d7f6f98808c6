/**
 * Requests that reach a follower go to the writer of the stream (docs/scale-out.md, step 2): the
 * follower has authenticated the client, so it sends the request's text with the client's role over NATS
 * request/reply on `acheron.requests.STREAM`; the writer runs it as it runs its own clients' requests and
 * answers with the reply's text, which the follower sends on unchanged. So a reply is the same whichever
 * node the client is connected to.
 */
import { connect, NatsError, type NatsConnection, type Subscription } from 'nats'
import { AcheronError } from '../errors.js'

export type ForwardRole = 'admin' | 'app'

/** How long a follower waits for the writer's reply to a forwarded request. */
export const FORWARD_REPLY_TIMEOUT_MS = 60_000

function subject(stream: string): string {
  return `acheron.requests.${stream}`
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A follower's side: sends a request's text to the writer, answers the writer's reply text. */
export class RequestForwarder {
  private constructor(private readonly nc: NatsConnection, private readonly stream: string, private readonly maxBytes: number) {}

  static async open(servers: readonly string[], stream: string): Promise<RequestForwarder> {
    const nc = await connect({ servers: [...servers], name: `acheron-forward-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    return new RequestForwarder(nc, stream, nc.info?.max_payload ?? 1024 * 1024)
  }

  private readonly waiting = new Set<(err: AcheronError) => void>()

  /** Fails every forwarded request still waiting for its reply (their writer is gone: outcome unknown). */
  failWaiting(why: string): void {
    for (const fail of this.waiting) fail(new AcheronError('INTERNAL', `outcome unknown: ${why}`, { outcomeUnknown: true, retryable: true }))
    this.waiting.clear()
  }

  /** The writer's reply to `raw` (a request's JSON text); rejects with an AcheronError the follower sends instead. */
  async forward(raw: string, role: ForwardRole): Promise<string> {
    let fail: ((err: AcheronError) => void) | undefined
    const failed = new Promise<never>((_, reject) => { fail = reject })
    this.waiting.add(fail as (err: AcheronError) => void)
    try {
      return await Promise.race([this.send(raw, role), failed])
    } finally {
      this.waiting.delete(fail as (err: AcheronError) => void)
    }
  }

  private async send(raw: string, role: ForwardRole): Promise<string> {
    const body = encoder.encode(JSON.stringify({ role, request: raw }))
    if (body.length > this.maxBytes) {
      throw new AcheronError('PAYLOAD_TOO_LARGE', `this node follows the writer and forwards requests of at most ${this.maxBytes} bytes (NATS max_payload); send larger ones to the writer`)
    }
    try {
      const m = await this.nc.request(subject(this.stream), body, { timeout: FORWARD_REPLY_TIMEOUT_MS })
      return decoder.decode(m.data)
    } catch (err) {
      if (err instanceof NatsError && err.code === '503') {
        throw new AcheronError('INTERNAL', `no writer serves the stream ${this.stream} now: the request did not run; retry`, { retryable: true })
      }
      throw new AcheronError('INTERNAL', `outcome unknown: the writer of the stream ${this.stream} did not answer within ${FORWARD_REPLY_TIMEOUT_MS} ms (${err instanceof Error ? err.message : String(err)})`, { outcomeUnknown: true, retryable: true })
    }
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => {})
  }
}

/** The writer's side: runs forwarded requests with `handle` (the server's own request path). */
export class ForwardedRequests {
  private constructor(private readonly nc: NatsConnection, private readonly sub: Subscription) {}

  /** `handle` gets the largest reply one NATS message carries (max_payload). */
  static async serve(servers: readonly string[], stream: string, handle: (raw: string, role: ForwardRole, replyBytesMax: number) => Promise<string>): Promise<ForwardedRequests> {
    const nc = await connect({ servers: [...servers], name: `acheron-writer-${stream}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    const replyBytesMax = nc.info?.max_payload ?? 1024 * 1024
    const sub = nc.subscribe(subject(stream), {
      callback: (_err, msg) => {
        let role: ForwardRole = 'app'
        let raw = ''
        try {
          const m = JSON.parse(decoder.decode(msg.data)) as { role?: unknown; request?: unknown }
          if (m.role === 'admin' || m.role === 'app') role = m.role
          if (typeof m.request === 'string') raw = m.request
        } catch {
          // An unreadable envelope: answered as an unreadable request below.
        }
        void handle(raw, role, replyBytesMax).then((reply) => msg.respond(encoder.encode(reply)))
      },
    })
    return new ForwardedRequests(nc, sub)
  }

  async close(): Promise<void> {
    this.sub.unsubscribe()
    await this.nc.drain().catch(() => {})
  }
}
