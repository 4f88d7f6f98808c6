/**
 * Which node writes a stream (docs/scale-out.md, step 3): a lease in a NATS KV bucket. The key is
 * created only if absent (one holder at a time), renewed with compare-and-set every second, and
 * expires with the bucket's TTL when its holder stops renewing (it died, or lost NATS). A node that
 * wants the lease polls until the key is gone and creates it. The stream itself still fences a stale
 * writer: each append names the sequence it must follow.
 *
 * The TTL is long enough for the bucket to outlive the death of its leader: measured on this machine,
 * killing the NATS server that led the bucket's stream kept every write out for 5.1 to 7.1 s, while
 * the others elected another. With the 3 s TTL of before, the writer stopped (as it must before its
 * lease can expire) whenever that server died, and with no other node left the cluster had no writer.
 */
import { randomUUID } from 'node:crypto'
import { connect, NatsError, type JetStreamManager, type KV, type NatsConnection } from 'nats'
import { LOG_OPEN_TIMEOUT_MS, natsServersKnown, replicasRefused } from '../log/jetstream-log.js'
import { untilJetStreamAnswers } from '../log/nats-error-text.js'

/** How long a lease lives without renewal: a dead writer is replaced within about this long. */
export const WRITER_LEASE_TTL_MS = 12_000
/** How often the holder renews it. */
export const WRITER_LEASE_RENEW_MS = 1_000
/**
 * The holder stops when no renewal got through for this long: before its lease can expire and another
 * node take it (the margin covers its own stop, the requests it finishes, and the clocks' drift).
 */
export const WRITER_LEASE_STOP_WITHOUT_RENEWAL_MS = WRITER_LEASE_TTL_MS - 3_000
/** A renewal that failed for a NATS reason is tried again this soon. */
const RENEW_RETRY_MS = 250
/** How often a node waiting for the lease looks whether it is free. */
const ACQUIRE_POLL_MS = 500
const KEY = 'writer'
/** JetStream's "wrong last sequence": a compare-and-set found another revision. */
const JS_WRONG_LAST_SEQUENCE = 10071

export class WriterLease {
  private revision = 0
  /**
   * What this lease object writes as the key's value: the node's name, then a line naming this object
   * alone (a node restarted with the same name, or another lease of the same node, writes another).
   * A create whose reply was lost (a timeout while the bucket's servers elect a leader) may still have
   * been stored: the next try finds the key held, and recognises the claim as its own by this value.
   */
  private readonly claim: string
  private renewer: NodeJS.Timeout | null = null
  private closed = false

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly bucketName: string,
    readonly node: string,
    private readonly ttlMs: number,
  ) {
    this.claim = `${node}\n${randomUUID()}`
  }

  /** The lease bucket of `stream` (created if missing, with `replicas`); `node` names this node in it. */
  static async open(servers: readonly string[], stream: string, node: string, replicas: number, ttlMs = WRITER_LEASE_TTL_MS): Promise<WriterLease> {
    // Said as the batch log says it: this is the first connection `serve --failover` (--cluster) makes.
    const nc = await connect({ servers: [...servers], name: `acheron-lease-${stream}-${node}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
      .catch((err: unknown) => { throw new Error(`cannot reach the NATS servers of the batch log (${servers.join(', ')}): ${err instanceof Error ? err.message : String(err)}`, { cause: err }) })
    try {
      // A cluster just started may have no JetStream leader yet.
      const bucket = `acheron-${stream}`
      const kv = await untilJetStreamAnswers(`cannot open the writer lease of the stream ${stream}`, LOG_OPEN_TIMEOUT_MS, 250, () =>
        nc.jetstream().views.kv(bucket, { ttl: ttlMs, history: 1, replicas }).catch((e: unknown) => { throw replicasRefused(e, `the bucket ${bucket} of the writer lease`, replicas, natsServersKnown(nc, servers)) }))
      return new WriterLease(nc, kv, bucket, node, ttlMs)
    } catch (err) {
      await nc.close().catch(() => {})
      throw err
    }
  }

  /**
   * Takes the lease if no one holds it; true if this node holds it now. A create that failed may still
   * have been stored (its reply was lost), so a failed one asks whose the key is: if this lease's own
   * claim, it is taken (else it would lapse only after the TTL, and the fail-over wait that much longer).
   */
  async tryAcquire(): Promise<boolean> {
    try {
      this.revision = await this.kv.create(KEY, new TextEncoder().encode(this.claim))
      return true
    } catch (err) {
      if (!(err instanceof NatsError)) throw err
      const entry = await this.kv.get(KEY).catch(() => null)
      if (entry === null || entry.operation !== 'PUT' || new TextDecoder().decode(entry.value) !== this.claim) return false
      this.revision = entry.revision
      return true
    }
  }

  /**
   * Resolves once this node holds the lease (when its holder stopped renewing it). It does not try while
   * `mayTake` says no (a node that cannot write now: its state is being rebuilt).
   */
  async acquire(mayTake: () => boolean = () => true): Promise<void> {
    while (!this.closed) {
      if (mayTake() && await this.tryAcquire()) return
      await new Promise((r) => setTimeout(r, Math.min(ACQUIRE_POLL_MS, this.ttlMs / 6)))
    }
    throw new Error('the lease was closed while waiting for it')
  }

  /** The lease's bucket, which the cluster's membership shares (src/cluster/members.ts). */
  get bucket(): KV {
    return this.kv
  }

  /**
   * The keys under `prefix` (ending in a dot) that the bucket's stream holds a message for, sorted:
   * a value, or the marker of a deletion (KV.get tells them apart). One request for the stream's
   * subjects, not KV.keys(): that one reads through a consumer until the message it was told is last,
   * and waits forever when that message expires with the TTL on the way (nats-server#3481; measured
   * here, 12 of 14,921 listings hung while entries expired).
   */
  async keys(prefix: string): Promise<string[]> {
    // Made once: making one asks the server for the account's JetStream info, a round trip per listing.
    // A failed one (NATS away) is made again next time.
    this.manager ??= this.nc.jetstreamManager().catch((err: unknown) => {
      this.manager = null
      throw err
    })
    const jsm = await this.manager
    const subjects = `$KV.${this.bucketName}.`
    const info = await jsm.streams.info(`KV_${this.bucketName}`, { subjects_filter: `${subjects}${prefix}>` })
    return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(subjects.length)).sort()
  }

  /** The node holding the lease now (its name), or null. */
  async holder(): Promise<string | null> {
    const e = await this.kv.get(KEY)
    return e === null || e.operation !== 'PUT' ? null : new TextDecoder().decode(e.value).split('\n', 1)[0] as string
  }

  /**
   * Keeps renewing the lease every WRITER_LEASE_RENEW_MS; `lost` is called once when it is lost:
   * another node holds it (the compare-and-set found another revision), or no renewal got through for
   * WRITER_LEASE_STOP_WITHOUT_RENEWAL_MS (scaled with the TTL). A renewal that fails for a NATS reason
   * (the bucket's leader died and another is being elected: no responders, a timeout) is tried again
   * sooner meanwhile; the lease is still this node's if no one else could create it, which the
   * compare-and-set of the next renewal tells.
   */
  keep(lost: (why: string) => void): void {
    const scale = this.ttlMs / WRITER_LEASE_TTL_MS
    const every = WRITER_LEASE_RENEW_MS * scale
    const stopAfter = WRITER_LEASE_STOP_WITHOUT_RENEWAL_MS * scale
    let lastError = 'none'
    let gone = false
    // When the last renewal that got through was sent (or the lease taken): the bucket stored it later,
    // so the lease lives at least the TTL from here.
    let renewedAt = performance.now()
    /** Stops renewing; false if it was stopped already (lost, abandoned or closed). */
    const stop = (): boolean => {
      if (gone || this.closed) return false
      gone = true
      if (this.renewer !== null) clearTimeout(this.renewer)
      if (this.deadline !== null) clearTimeout(this.deadline)
      return true
    }
    const lose = (why: string): void => {
      if (stop()) lost(why)
    }
    this.abandonKept = async (why) => {
      if (!stop()) return
      // Deleted before `lost` is told: the node then waits for the lease again, and must not find its
      // own claim still there (tryAcquire would take it for a create whose reply was lost).
      await this.release()
      lost(why)
    }
    this.check = () => {
      if (gone || this.closed) return false
      const since = performance.now() - renewedAt
      if (since < stopAfter) return true
      lose(`no renewal got through for ${Math.round(since)} ms (last error: ${lastError})`)
      return false
    }
    // Armed at each renewal, not checked when one returns: a renewal may wait on NATS longer than that.
    const arm = (): void => {
      if (this.deadline !== null) clearTimeout(this.deadline)
      this.deadline = setTimeout(() => lose(`no renewal got through for ${stopAfter} ms (last error: ${lastError})`), stopAfter)
    }
    const renew = async (): Promise<void> => {
      this.renewer = null
      const sent = performance.now()
      try {
        this.revision = await this.kv.update(KEY, new TextEncoder().encode(this.claim), this.revision)
        if (gone) return
        renewedAt = sent
        arm()
      } catch (err) {
        if (this.closed || gone) return
        lastError = err instanceof Error ? err.message : String(err)
        if (err instanceof NatsError && err.api_error?.err_code === JS_WRONG_LAST_SEQUENCE) {
          lose(`another node holds it (${lastError})`)
          return
        }
        this.renewer = setTimeout(() => { void renew() }, Math.min(RENEW_RETRY_MS * scale, every))
        return
      }
      if (!this.closed) this.renewer = setTimeout(() => { void renew() }, every)
    }
    arm()
    this.renewer = setTimeout(() => { void renew() }, every)
  }

  private deadline: NodeJS.Timeout | null = null
  private abandonKept: (why: string) => Promise<void> = async () => {}

  /**
   * Gives up the lease being kept while it is still this node's: renewals stop, the key is deleted
   * (another node may take it at once), then `lost(why)` of `keep` is called. For a writer that holds
   * the lease and can write nothing (the stream fenced it off): held on to, nobody wrote for good.
   */
  abandon(why: string): Promise<void> {
    return this.abandonKept(why)
  }

  private manager: Promise<JetStreamManager> | null = null

  /**
   * True while the lease kept by `keep` is certainly still this node's: the last renewal that got
   * through was sent less than the stop margin ago. Past it, the loss is declared at once (`lost` is
   * called before this returns false), without waiting for the timer that would: a process that was
   * paused past its lease runs its pending I/O before its overdue timers, and must not serve a request
   * as the writer meanwhile. False when the lease is not kept.
   */
  check: () => boolean = () => false

  /**
   * Gives the lease up if this node took it (another node may take it at once). Without close, this node
   * may wait for it again with acquire; a lease being kept is given up by close, which stops renewing first.
   */
  async release(): Promise<void> {
    if (this.revision === 0) return
    const revision = this.revision
    this.revision = 0
    await this.kv.delete(KEY, { previousSeq: revision }).catch(() => {})
  }

  /** Stops renewing and gives the lease up (another node may take it at once). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.renewer !== null) clearTimeout(this.renewer)
    if (this.deadline !== null) clearTimeout(this.deadline)
    await this.release()
    await this.nc.drain().catch(() => {})
  }
}
