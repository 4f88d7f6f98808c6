/**
 * Who is in a cluster, for `SHOW CLUSTER` (docs/scale-out.md): every `--failover` node announces itself
 * in its stream's KV bucket (the writer lease's, `acheron-STREAM`) every MEMBER_ANNOUNCE_MS under
 * `node.<id>` — its id, the URL its clients use, its role and the last batch it committed — and the
 * bucket's TTL (WRITER_LEASE_TTL_MS) drops the entry of a node that stopped announcing: a node that
 * died leaves the list within the lease's lifetime, as its lease would. A node stopping cleanly deletes
 * its entry at once. Nothing here takes part in the order of transactions: it is what an operator reads.
 */
import type { KV } from 'nats'

/** How often a node announces itself (its batch in the list is at most this old). */
export const MEMBER_ANNOUNCE_MS = 1_000
/** Entries read for one SHOW CLUSTER at most (a cluster is a handful of nodes; the bound keeps a bad bucket from costing). */
export const MEMBERS_LISTED_MAX = 256
/**
 * How long one SHOW CLUSTER may wait on the bucket: past it the statement fails, retryably, and holds
 * nothing up (a request the server has not answered keeps it from closing).
 */
export const MEMBERS_LIST_TIMEOUT_MS = 5_000

/**
 * Failed announcements in a row before the failure is logged: a NATS cluster just started (JetStream
 * electing the bucket's leader) refuses the first ones with a 503, and every node of a healthy cluster
 * warned at start. Three in a row is about three seconds of a bucket that does not take them.
 */
export const MEMBER_ANNOUNCE_FAILURES_QUIET = 3

const KEY_PREFIX = 'node.'

/** What a node says of itself. */
export interface MemberState {
  readonly role: 'writer' | 'follower'
  /** The last batch its state holds (committed here). */
  readonly batch: number
}

/** One row of SHOW CLUSTER. */
export interface Member extends MemberState {
  readonly node: string
  readonly url: string
  /** How long ago its last announcement was stored (by the NATS server's clock, against this node's). */
  readonly heardMsAgo: number
}

/** SHOW CLUSTER's columns, in order. */
export const CLUSTER_COLUMNS = ['node', 'role', 'url', 'batch', 'behind', 'heard_ms_ago', 'self'] as const

/** A NATS KV key for a node id (ids are `host:pid`; keys take letters, digits and `-_=.` only). */
export function memberKey(node: string): string {
  return KEY_PREFIX + node.replace(/[^A-Za-z0-9_=-]/g, '_')
}

/** The bucket the members announce themselves in: the writer lease's (src/cluster/writer-lease.ts). */
export interface MemberBucket {
  readonly bucket: KV
  /** The keys under a prefix that hold a value or a deletion's marker, sorted, with no wait on entries that expire meanwhile. */
  keys(prefix: string): Promise<string[]>
}

export class ClusterMembers {
  private timer: NodeJS.Timeout | null = null
  private closed = false
  /** The announcement on its way, awaited by close (else it could land after the entry's deletion). */
  private announcing: Promise<void> = Promise.resolve()
  /** Announcements failed in a row; the failure is logged once, at MEMBER_ANNOUNCE_FAILURES_QUIET, until one gets through. */
  private failures = 0

  constructor(
    private readonly bucket: MemberBucket,
    readonly node: string,
    private readonly url: string,
    private readonly state: () => MemberState,
    private readonly log: (event: Record<string, unknown>) => void,
  ) {}

  private get kv(): KV {
    return this.bucket.bucket
  }

  /** Announces now and every MEMBER_ANNOUNCE_MS until close. */
  start(): void {
    this.announcing = this.announce()
  }

  private async announce(): Promise<void> {
    this.timer = null
    if (this.closed) return
    const { role, batch } = this.state()
    try {
      await this.kv.put(memberKey(this.node), new TextEncoder().encode(JSON.stringify({ node: this.node, url: this.url, role, batch })))
      if (this.failures >= MEMBER_ANNOUNCE_FAILURES_QUIET) this.log({ level: 'info', msg: `announced this node in the cluster's bucket again, after ${this.failures} failed attempts` })
      this.failures = 0
    } catch (err) {
      // NATS away or electing a leader: the entry may lapse meanwhile, and comes back with the next put.
      if (++this.failures === MEMBER_ANNOUNCE_FAILURES_QUIET) {
        this.log({ level: 'warn', msg: `cannot announce this node in the cluster's bucket (${this.failures} attempts in a row, one every ${MEMBER_ANNOUNCE_MS} ms; SHOW CLUSTER leaves it out meanwhile): ${err instanceof Error ? err.message : String(err)}` })
      }
    }
    if (!this.closed) this.timer = setTimeout(() => { this.announcing = this.announce() }, MEMBER_ANNOUNCE_MS)
  }

  /** Every node that announced itself within the bucket's TTL, sorted by id; fails after MEMBERS_LIST_TIMEOUT_MS. */
  async list(): Promise<Member[]> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${MEMBERS_LIST_TIMEOUT_MS} ms`)), MEMBERS_LIST_TIMEOUT_MS)
    })
    try {
      return await Promise.race([this.read(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async read(): Promise<Member[]> {
    const keys = (await this.bucket.keys(KEY_PREFIX)).slice(0, MEMBERS_LISTED_MAX)
    const members: Member[] = []
    const now = Date.now()
    for (const k of keys) {
      const e = await this.kv.get(k)
      if (e === null || e.operation !== 'PUT' || e.value.length === 0) continue
      let v: unknown
      try {
        v = JSON.parse(new TextDecoder().decode(e.value))
      } catch {
        continue
      }
      if (!isAnnouncement(v)) continue
      members.push({ node: v.node, url: v.url, role: v.role, batch: v.batch, heardMsAgo: Math.max(0, now - e.created.getTime()) })
    }
    return members.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  }

  readonly columns: readonly string[] = CLUSTER_COLUMNS

  /**
   * SHOW CLUSTER's rows: each node, how many batches it is behind the writer's (null with no writer
   * listed), and which is this one. This node's own row is what it holds now, not what it last announced
   * (up to MEMBER_ANNOUNCE_MS older, or not stored yet): on the writer, its row showed an older batch than
   * the statement's own position.
   */
  async rows(): Promise<unknown[][]> {
    // `self` is 1 or 0: the wire has no booleans (CONTRACT.md's value types), and its column is INTEGER.
    const self: Member = { node: this.node, url: this.url, ...this.state(), heardMsAgo: 0 }
    const members = (await this.list()).filter((m) => m.node !== this.node)
    members.push(self)
    members.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
    // The writer with the highest batch: during a take-over the old writer's entry lives on until the
    // bucket's TTL drops it (up to WRITER_LEASE_TTL_MS after a kill -9 or a SIGSTOP), and the old writer
    // is fenced, so it holds fewer batches than the new one. Before, the first by id was taken: as often
    // as not the stale one, and every node, the new writer included, showed 0 behind it.
    const writer = members.filter((m) => m.role === 'writer').reduce<Member | undefined>((best, m) => (best === undefined || m.batch > best.batch ? m : best), undefined)
    // No node applies a batch its writer has not released: the writer holds at least the most any node
    // holds. Its announcement is up to MEMBER_ANNOUNCE_MS old, and a follower answering showed the writer
    // behind itself (batch 2 against the follower's 5, and every follower 0 behind).
    const writerBatch = writer === undefined ? 0 : members.reduce((most, m) => Math.max(most, m.batch), writer.batch)
    return members.map((m) => {
      const batch = m === writer ? writerBatch : m.batch
      return [m.node, m.role, m.url, batch, writer === undefined ? null : writerBatch - batch, m.heardMsAgo, m.node === this.node ? 1 : 0]
    })
  }

  /** Stops announcing and takes this node's entry out (best effort: else it lapses with the TTL). */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    await this.announcing
    await this.kv.delete(memberKey(this.node)).catch(() => {})
  }
}

function isAnnouncement(v: unknown): v is { node: string; url: string; role: 'writer' | 'follower'; batch: number } {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  return typeof o.node === 'string' && typeof o.url === 'string' && (o.role === 'writer' || o.role === 'follower') && typeof o.batch === 'number'
}
