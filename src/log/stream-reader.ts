/**
 * A follower's read of the batch log stream: its messages from a sequence on, in order, pushed by a
 * JetStream pull consumer of its own. Reading them one request per message (`getMessage`) cost a
 * follower about as much CPU as applying what they carry, and one more request at the end of the
 * stream per batch.
 *
 * The reader manages its consumer itself rather than through the ordered consumer of nats.js, which
 * does not survive the death of the NATS server holding it (measured: no message for 90 s and more
 * while the stream took new ones on the servers left). It retries the creation of its consumer with
 * the same name, and the cluster, which does not yet know that server is dead, keeps placing that
 * name there; and after a reconnect it asks the dead consumer for its state until it answers.
 *
 * Here every consumer has a new name, and is made again from the next sequence when:
 * - its creation does not answer within CONSUMER_CREATE_TIMEOUT_MS (it was placed on a dead server);
 * - its server misses HEARTBEATS_MISSED_MAX heartbeats;
 * - the connection moved to another server;
 * - a delivery is missing (its delivery sequence skips);
 * - its iteration ends for any other NATS reason.
 *
 * What arrived waits in a bounded queue: at READ_AHEAD_MESSAGES_MAX the reader stops pulling until
 * the follower has taken some.
 */
import {
  AckPolicy, ConsumerEvents, DeliverPolicy, Events, nanos, nuid,
  type ConsumerMessages, type JetStreamClient, type JetStreamManager, type MsgHdrs, type NatsConnection, type Status,
} from 'nats'

/** Messages read ahead of what the follower took. */
export const READ_AHEAD_MESSAGES_MAX = 512
/** How long one pull waits on the server; the consumer's server sends a heartbeat every half of it. */
export const CONSUMER_EXPIRES_MS = 2_000
/** Heartbeats missed in a row after which the consumer is made again (its server is taken for dead). */
export const HEARTBEATS_MISSED_MAX = 2
/**
 * How long the creation of a consumer may take before it is given up and another name tried. A
 * healthy cluster answers in milliseconds; one that placed it on a dead server never does.
 */
export const CONSUMER_CREATE_TIMEOUT_MS = 2_000
/** A consumer this reader left behind (its server died with it) is removed after this long unused. */
const CONSUMER_INACTIVE_MS = 60_000
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
  private messages: ConsumerMessages | null = null
  private resumePulling: (() => void) | null = null
  private readonly loop: Promise<void>
  /** Consumers made since the start (tests: one per recovery from a NATS failure, after the first). */
  private made = 0

  /** `arrived` is called when a message was queued (the follower may be waiting for one). */
  constructor(private readonly nc: NatsConnection, private readonly js: JetStreamClient, private readonly stream: string, from: number, private readonly arrived: () => void) {
    this.from = from
    this.loop = this.read()
    void this.remakeOnReconnect()
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

  /** How many consumers this reader made: 1 while no NATS failure made it start again. */
  get consumersMade(): number {
    return this.made
  }

  /** The name of the consumer it reads through now, once made (tests find its server by it). */
  get consumer(): string | null {
    return this.current
  }

  private current: string | null = null

  private get queued(): number {
    return this.queue.length - this.head
  }

  private async read(): Promise<void> {
    let jsm: JetStreamManager | null = null
    while (!this.stopped) {
      const name = `acheron-read-${nuid.next()}`
      try {
        jsm ??= await this.nc.jetstreamManager({ timeout: CONSUMER_CREATE_TIMEOUT_MS, checkAPI: false })
        this.made++
        await jsm.consumers.add(this.stream, {
          name, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.from,
          ack_policy: AckPolicy.None, max_deliver: 1, mem_storage: true, num_replicas: 1,
          inactive_threshold: nanos(CONSUMER_INACTIVE_MS),
        })
        const messages = await (await this.js.consumers.get(this.stream, name)).consume({ expires: CONSUMER_EXPIRES_MS })
        this.messages = messages
        this.current = name
        if (this.stopped) void messages.stop()
        void this.stopOnMissedHeartbeats(messages)
        let delivered = 0
        for await (const m of messages) {
          // A delivery lost on the way: the rest would be out of order.
          if (m.info.deliverySequence !== delivered + 1) break
          delivered = m.info.deliverySequence
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
      void this.messages?.stop()
      this.messages = null
      this.current = null
      // Removed if its server answers; else it lapses after CONSUMER_INACTIVE_MS.
      void jsm?.consumers.delete(this.stream, name).catch(() => {})
      if (!this.stopped) await new Promise((r) => setTimeout(r, REOPEN_PAUSE_MS))
    }
  }

  private async stopOnMissedHeartbeats(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of await messages.status()) {
        if (s.type === ConsumerEvents.HeartbeatsMissed && Number(s.data) >= HEARTBEATS_MISSED_MAX) {
          void messages.stop()
          return
        }
      }
    } catch {
      // The consumer ended: nothing to watch.
    }
  }

  /** After the connection moved to another server (its own died), the consumer is made again. */
  private async remakeOnReconnect(): Promise<void> {
    // A QueuedIterator in nats.js, which stop() ends; typed as a plain iterable.
    const statuses = this.nc.status() as AsyncIterable<Status> & { stop?: () => void }
    this.stopStatuses = () => statuses.stop?.()
    for await (const s of statuses) {
      if (s.type === Events.Reconnect) void this.messages?.stop()
    }
  }

  private stopStatuses: (() => void) | null = null

  async stop(): Promise<void> {
    this.stopped = true
    this.stopStatuses?.()
    void this.messages?.stop()
    this.resumePulling?.()
    await this.loop
  }
}
