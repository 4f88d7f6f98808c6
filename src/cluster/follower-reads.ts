/**
 * Read-only queries answered by the follower a client is connected to, instead of the writer
 * (docs/scale-out.md, step 2). Strict serializability places a read after every transaction whose reply
 * went out before it arrived, and only the writer knows which those are; so the follower asks the writer
 * for a read position (the "read index" of Raft-style systems): the writer reserves the position its own
 * next read would take — the batch it released last, and a seq no other read gets — and the follower
 * waits until it has applied that batch and reads that state. The writer executes nothing for it. The
 * reply is the one the writer would have given at that position.
 *
 * When the follower has applied past that batch already (the position was on its way while it applied
 * the next), it reads the state it holds, at a seq the writer reserves at that batch (it keeps the next
 * free read seq of its last READ_SEQ_BATCHES_KEPT batches): a read may be placed later than the writer's
 * position, never earlier. The questions of one turn of the follower's event loop share one NATS request
 * ("n positions"); the writer answers with the first, and the others follow it in seq.
 */
import { NatsError, type Msg, type NatsConnection, type Subscription } from 'nats'
import { AcheronError, type CommitPosition } from '../errors.js'
import type { ReadPositionSource } from './local-reads.js'

/** How long a follower waits for a read position from the writer. */
export const READ_POSITION_TIMEOUT_MS = 10_000

/** A question waiting for its read position, and when it was first asked. */
interface Asking {
  readonly resolve: (p: CommitPosition) => void
  readonly reject: (e: AcheronError) => void
  readonly askedAt: number
}

function subject(stream: string): string {
  return `acheron.read-positions.${stream}`
}
/** What a follower asks: the writer's next positions (`batch` absent), or seqs at a batch it released. */
interface Question {
  readonly batch: number | undefined
  readonly count: number
}

function encodeQuestion(q: Question): Uint8Array {
  const b = Buffer.allocUnsafe(13)
  b.writeUInt8(q.batch === undefined ? 0 : 1, 0)
  b.writeDoubleBE(q.batch ?? 0, 1)
  b.writeUInt32BE(q.count, 9)
  return b
}

function decodeQuestion(data: Uint8Array): Question | null {
  if (data.length !== 13) return null
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const kind = b.readUInt8(0)
  const count = b.readUInt32BE(9)
  if (kind > 1 || count === 0) return null
  return { batch: kind === 1 ? b.readDoubleBE(1) : undefined, count }
}

/**
 * A follower's side: read positions from the writer. The questions of one turn of the event loop share
 * one NATS request per batch asked about (most ask for the writer's next position, one request).
 */
export class ReadPositions implements ReadPositionSource {
  /** Waiting questions by batch ('next': the writer's next position), in the order first asked. */
  private waiting = new Map<number | 'next', Asking[]>()
  private scheduled = false

  /**
   * `noWriter`: how long a question no writer listens to is asked again, and how often
   * (FORWARD_NO_WRITER_WAIT_MS and FORWARD_NO_WRITER_RETRY_MS, src/cluster/forwarding.ts); by default
   * it is refused at once.
   */
  constructor(private readonly nc: NatsConnection, private readonly stream: string, private readonly noWriter = { waitMs: 0, retryMs: 0 }) {}

  next(): Promise<CommitPosition> {
    return this.ask('next')
  }

  async seqAt(batch: number): Promise<number> {
    return (await this.ask(batch)).seq
  }

  private ask(key: number | 'next'): Promise<CommitPosition> {
    return new Promise((resolve, reject) => this.enqueue(key, { resolve, reject, askedAt: performance.now() }))
  }

  private enqueue(key: number | 'next', asking: Asking): void {
    const list = this.waiting.get(key)
    if (list === undefined) this.waiting.set(key, [asking])
    else list.push(asking)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.send())
    }
  }

  private send(): void {
    this.scheduled = false
    const waiting = this.waiting
    this.waiting = new Map()
    for (const [key, list] of waiting) {
      const body = encodeQuestion({ batch: key === 'next' ? undefined : key, count: list.length })
      this.nc.request(subject(this.stream), body, { timeout: READ_POSITION_TIMEOUT_MS }).then(
        (m) => {
          const d = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)
          if (d.length !== 16) {
            const why = d.toString('utf8')
            for (const w of list) w.reject(new AcheronError('INTERNAL', `the writer of the stream ${this.stream} gave no read position (${why}): the query did not run; retry`, { retryable: true }))
            return
          }
          const batch = d.readDoubleBE(0)
          const seq = d.readDoubleBE(8)
          list.forEach((w, i) => w.resolve({ batch, seq: seq + i }))
        },
        (err: unknown) => {
          const noWriter = err instanceof NatsError && err.code === '503'
          let giveUp = list
          if (noWriter) {
            // No writer listens yet (an election): asked again until one does, for noWriter.waitMs.
            const now = performance.now()
            const { waitMs, retryMs } = this.noWriter
            const again = new Set(list.filter((w) => now - w.askedAt + retryMs <= waitMs))
            if (again.size > 0) setTimeout(() => { for (const w of again) this.enqueue(key, w) }, retryMs)
            giveUp = list.filter((w) => !again.has(w))
          }
          const why = noWriter
            ? `no writer serves the stream ${this.stream} now${this.noWriter.waitMs > 0 ? ` (none for ${Math.round(this.noWriter.waitMs / 1000)} s)` : ''}: the query did not run; retry`
            : `the writer of the stream ${this.stream} gave no read position within ${READ_POSITION_TIMEOUT_MS} ms (${err instanceof Error ? err.message : String(err)}): the query did not run; retry`
          for (const w of giveUp) w.reject(new AcheronError('INTERNAL', why, { retryable: true }))
        },
      )
    }
  }
}

/**
 * The writer's side: answers a question with the first of the positions it reserved (`reserve`; null:
 * not the writer, or a batch it no longer keeps).
 */
export class ReadPositionServer {
  readonly stats = { requests: 0, positions: 0 }
  private sub: Subscription | undefined = undefined

  constructor(private readonly reserve: (count: number, batch?: number) => CommitPosition | null) {}

  serve(nc: NatsConnection, stream: string): this {
    this.sub = nc.subscribe(subject(stream), { callback: (_err, msg) => this.answer(msg) })
    return this
  }

  private answer(msg: Msg): void {
    const q = decodeQuestion(msg.data)
    const first = q === null ? null : this.reserve(q.count, q.batch)
    if (q === null || first === null) {
      const why = q === null ? 'a malformed question' : q.batch === undefined ? 'this node no longer writes the stream' : `this node no longer writes the stream, or batch ${q.batch} is not among the last it keeps read seqs for`
      msg.respond(new TextEncoder().encode(why))
      return
    }
    this.stats.requests++
    this.stats.positions += q.count
    const out = Buffer.allocUnsafe(16)
    out.writeDoubleBE(first.batch, 0)
    out.writeDoubleBE(first.seq, 8)
    msg.respond(out)
  }

  close(): void {
    this.sub?.unsubscribe()
  }
}
