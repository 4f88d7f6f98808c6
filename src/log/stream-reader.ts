/**
 * A follower's read of the batch log stream: its messages from a sequence on, in order, pushed by an
 * ordered JetStream consumer. Reading them one request per message (`getMessage`) cost a follower about
 * as much CPU as applying what they carry, and one more request at the end of the stream per batch.
 *
 * The consumer is made again from the next sequence whenever its iteration ends for a NATS reason (a
 * server of the cluster died; the ordered consumer also recreates itself on a gap or a missed
 * heartbeat). What arrived waits in a bounded queue: at READ_AHEAD_MESSAGES_MAX the reader stops pulling
 * until the follower has taken some.
 */
import type { JetStreamClient, MsgHdrs } from 'nats'

/** Messages read ahead of what the follower took. */
export const READ_AHEAD_MESSAGES_MAX = 512
/** Pause before the consumer is made again after a NATS failure. */
const REOPEN_PAUSE_MS = 250

export interface StreamMessage {
  readonly seq: number
  readonly headers: MsgHdrs | undefined
  readonly data: Uint8Array
}

export class StreamReader {
  private readonly queue: StreamMessage[] = []
  private head = 0
  /** The sequence after the last message queued: where a new consumer starts. */
  private from: number
  private stopped = false
  private stopIteration: (() => void) | null = null
  private resumePulling: (() => void) | null = null
  private readonly loop: Promise<void>

  /** `arrived` is called when a message was queued (the follower may be waiting for one). */
  constructor(private readonly js: JetStreamClient, private readonly stream: string, from: number, private readonly arrived: () => void) {
    this.from = from
    this.loop = this.read()
  }

  /** The next message, or undefined when none has arrived yet. */
  take(): StreamMessage | undefined {
    if (this.head >= this.queue.length) return undefined
    const m = this.queue[this.head++] as StreamMessage
    if (this.head >= 64 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    this.resumePulling?.()
    return m
  }

  private get queued(): number {
    return this.queue.length - this.head
  }

  private async read(): Promise<void> {
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(this.stream, { opt_start_seq: this.from })
        const messages = await consumer.consume()
        this.stopIteration = () => { void messages.stop() }
        if (this.stopped) this.stopIteration()
        for await (const m of messages) {
          this.queue.push({ seq: m.seq, headers: m.headers, data: m.data })
          this.from = m.seq + 1
          this.arrived()
          while (this.queued >= READ_AHEAD_MESSAGES_MAX && !this.stopped) {
            await new Promise<void>((resolve) => { this.resumePulling = resolve })
            this.resumePulling = null
          }
          if (this.stopped) break
        }
      } catch {
        // A NATS failure: the consumer is made again from the next sequence.
      }
      this.stopIteration = null
      if (!this.stopped) await new Promise((r) => setTimeout(r, REOPEN_PAUSE_MS))
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stopIteration?.()
    this.resumePulling?.()
    await this.loop
  }
}
