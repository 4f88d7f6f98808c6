/**
 * A `--failover` node's role on its stream (docs/scale-out.md, step 3): it writes while it holds the
 * writer lease and follows otherwise, and changes role as the lease comes and goes, without leaving
 * its process.
 *
 * - A follower waits for the lease; once it holds it, it renews it at once, applies the rest of the
 *   stream (promote), answers the requests other followers forward, and stops forwarding its own.
 * - A writer that loses the lease (another node holds it, or no renewal got through before it could
 *   lapse: NATS unreachable) becomes a follower again. It stops answering forwarded requests, forwards
 *   its own clients' requests, closes its database (the batch in flight finishes or fails: the stream
 *   fences a writer that is no longer its last) and reopens its directory following the stream, then
 *   waits for the lease again. Before, it exited and a supervisor had to start it again; a lone node
 *   then stayed down after a NATS outage longer than the lease, though NATS came back.
 * - A follower whose state fell behind the stream's purge (it was stopped, or too slow, for longer than the
 *   writer keeps batches behind its checkpoint) stops applying: its state lacks batches nobody has any
 *   more. It closes its database and opens it again from the writer's snapshot, then follows on. A
 *   `--follow` node (no lease: it follows for good) does this too.
 *
 * Role changes run one at a time, in the order they were asked for.
 */
import { NatsError } from 'nats'
import type { EmbeddedDatabase } from '../embedded.js'
import type { AcheronServer, Forwarding } from '../server/server.js'
import type { ForwardedRequests, RequestForwarder } from './forwarding.js'
import type { WriterLease } from './writer-lease.js'

/** A reopen that failed for a NATS reason (the servers unreachable, no JetStream leader) is tried again this soon. */
export const REOPEN_RETRY_MS = 2_000

export interface FailoverParts {
  readonly stream: string
  readonly server: AcheronServer
  /** Null for a `--follow` node, which follows whoever writes and never takes over. */
  readonly lease: WriterLease | null
  /** Sends this node's clients' requests to the writer while it follows (and forwards, the server tells). */
  readonly forwarder: RequestForwarder
  /** What the server does with the requests it does not run itself while this node follows. */
  readonly forwarding: Forwarding
  /**
   * Opens the data directory again, following the stream; `behind`: its state fell behind the stream's
   * purge, so it starts from the writer's snapshot (NatsLogOptions.behind).
   */
  readonly reopenFollowing: (behind: boolean) => Promise<EmbeddedDatabase>
  /** Starts answering the requests followers forward (the writer's side). */
  readonly serveForwarded: () => Promise<ForwardedRequests>
  readonly log: (event: Record<string, unknown>) => void
  /** A role change failed for a reason that waiting does not cure: the node cannot go on. */
  readonly fatal: (err: unknown) => void
}

export class FailoverNode {
  private forwarded: ForwardedRequests | null = null
  private closed = false
  /** The state fell behind the stream's purge and is not rebuilt yet: this node must not take over. */
  private behind = false
  /** The role change in progress, if any (they run one after the other). */
  private changing: Promise<void> = Promise.resolve()

  private constructor(private readonly p: FailoverParts, private db: EmbeddedDatabase) {}

  /** Takes `db`'s role as it was opened: the writer (it holds the lease) or a follower. */
  static async start(p: FailoverParts, db: EmbeddedDatabase): Promise<FailoverNode> {
    const node = new FailoverNode(p, db)
    // The calls this node forwards are answered from the batches its database applies, too (whichever
    // database it holds: a role change opens another).
    p.forwarder.answerCallsFromLog(() => node.db.lastCommittedBatch)
    node.answerOwnCalls(db)
    if (db.following) node.follow()
    else {
      const lease = p.lease
      if (lease === null) throw new Error('acheron invariant violated: a node without the writer lease writes')
      node.forwarded = await p.serveForwarded()
      node.keepLease(lease)
      node.watchRefusals(db, lease)
      p.server.setLocalGuard(() => lease.check())
    }
    return node
  }

  /** Each batch `db` applies answers the calls of this node's forwarder in it (src/cluster/forwarding.ts). */
  private answerOwnCalls(db: EmbeddedDatabase): void {
    const { forwarder, server } = this.p
    db.settleOwnCalls({
      inbox: forwarder.replyInbox,
      settled: (id, outcome) => forwarder.answerFromLog(id, (text) => server.replyFromOutcome(text, outcome, forwarder.replyBytesMax)),
    })
  }

  /** Forwards this node's requests and waits for the lease (if it may take over). */
  private follow(): void {
    this.p.server.setLocalGuard(null)
    this.p.server.setForward(this.p.forwarding)
    this.watchBehind(this.db)
    this.p.lease?.acquire(() => !this.behind).then(
      () => this.change(() => this.takeOver()),
      (err: unknown) => { if (!this.closed) this.p.fatal(err) },
    )
  }

  /** Rebuilds `db` from the writer's snapshot if it stops because it fell behind the stream's purge. */
  private watchBehind(db: EmbeddedDatabase): void {
    void db.fellBehindStream().then((behind) => {
      if (!behind || this.closed || this.db !== db) return
      // It could not write: its state lacks batches nobody has any more. It leaves the lease to others.
      this.behind = true
      this.change(() => this.rebuild(db))
    })
  }

  private async rebuild(db: EmbeddedDatabase): Promise<void> {
    // A takeover queued first found the state behind and failed (the node exits); nothing to rebuild.
    if (this.db !== db) return
    const { stream, log } = this.p
    log({ level: 'warn', msg: `this node fell behind the stream ${stream}'s purge at batch ${db.lastCommittedBatch}: reopening it from the writer's snapshot` })
    // The snapshot skips batches this node never applied: the calls waiting now may be in them.
    this.p.forwarder.lostTrack()
    await db.close()
    if (!(await this.reopen(true))) return
    this.behind = false
    log({ level: 'warn', msg: `following the stream ${stream} again, from the writer's snapshot: batch ${this.db.lastCommittedBatch}` })
    this.watchBehind(this.db)
  }

  /**
   * A writer whose stream refuses its appends for good gives the lease up, and follows (then waits for
   * the lease again). Two nodes taking over at once (NATS gave the lease twice: docs/scale-out.md) both
   * fence the stream; the later fence wins it, and the node that won the lease could write nothing from
   * then on. It kept the lease, renewing it, so no write got through ever again.
   */
  private watchRefusals(db: EmbeddedDatabase, lease: WriterLease): void {
    void db.streamRefusesWrites().then((why) => {
      if (this.closed || this.db !== db) return
      void lease.abandon(`the stream refuses this node's appends: ${why}`)
    })
  }

  private keepLease(lease: WriterLease): void {
    lease.keep((why) => {
      // At once, before any other request runs here: from now on they go to whichever node writes.
      this.p.server.setForward(this.p.forwarding)
      this.change(() => this.demote(why))
    })
  }

  private change(step: () => Promise<void>): void {
    this.changing = this.changing.then(() => (this.closed ? undefined : step())).catch((err: unknown) => {
      if (!this.closed && !this.p.server.isShuttingDown) this.p.fatal(err)
    })
  }

  private async takeOver(): Promise<void> {
    const lease = this.p.lease
    if (lease === null) return
    this.p.log({ level: 'warn', msg: `the writer of the stream ${this.p.stream} is gone: taking over` })
    // Renewed from now on: reading the rest of the stream may take longer than the lease lives.
    this.keepLease(lease)
    try {
      await this.becomeWriter(lease)
    } catch (err) {
      // NATS failing meanwhile (a 503 while its servers elect a leader) is waited out as a follower: the
      // lease goes back and is waited for again (the demotion queued by abandon reopens the directory
      // following). It was fatal: the node exited 1 in the middle of a fail-over.
      if (!causedByNats(err) || this.closed) throw err
      this.p.log({ level: 'warn', msg: `taking over the stream ${this.p.stream} failed for a NATS reason (${err instanceof Error ? err.message : String(err)}): giving the lease back and following again` })
      await lease.abandon(`taking over failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  private async becomeWriter(lease: WriterLease): Promise<void> {
    const { stream, log } = this.p
    await this.db.promote()
    // Lost again while reading the stream (the demotion queued behind this step takes it from here).
    if (!lease.check()) return
    this.watchRefusals(this.db, lease)
    this.p.server.setLocalGuard(() => lease.check())
    this.p.server.setForward(null)
    // The calls it forwarded that the stream held were answered as it applied them; the rest did not run.
    this.p.forwarder.tookOver(`the writer of the stream ${stream} went away before it answered; this node took over`)
    this.forwarded = await this.p.serveForwarded()
    log({ level: 'warn', msg: `now the writer of the stream ${stream}` })
  }

  private async demote(why: string): Promise<void> {
    const { stream, log } = this.p
    log({ level: 'error', msg: `lost the writer lease of the stream ${stream} (${why}): following it again, another node takes over` })
    const forwarded = this.forwarded
    this.forwarded = null
    await forwarded?.close()
    // This node's requests go to whichever node writes since the loss (none yet: they fail, retryably,
    // unrun); what it had sequenced finishes or fails with the database (the stream fences it).
    await this.db.close()
    if (!(await this.reopen(false))) return
    log({ level: 'warn', msg: `following the stream ${stream} again, from batch ${this.db.lastCommittedBatch}` })
    this.follow()
  }

  /**
   * Opens the directory again following (the database it held is closed) and serves it; false when the
   * node closed meanwhile. A failure for a NATS reason is tried again.
   */
  private async reopen(behind: boolean): Promise<boolean> {
    const { stream, log } = this.p
    for (;;) {
      if (this.closed) return false
      try {
        this.db = await this.p.reopenFollowing(behind)
        this.answerOwnCalls(this.db)
        break
      } catch (err) {
        if (!causedByNats(err)) throw err
        log({ level: 'warn', msg: `cannot follow the stream ${stream} yet (${err instanceof Error ? err.message : String(err)}): trying again in ${REOPEN_RETRY_MS} ms` })
        await new Promise((r) => setTimeout(r, REOPEN_RETRY_MS))
      }
    }
    if (this.closed) {
      await this.db.close()
      return false
    }
    this.p.server.setDatabase(this.db)
    return true
  }

  /**
   * No role changes from now on; resolves when the one in progress is over (a database it opened
   * meanwhile is closed). Call before closing the server, which closes the database it serves.
   */
  async halt(): Promise<void> {
    this.closed = true
    await this.changing
  }

  /** Stops answering forwarded requests and gives the lease up (after halt and the server's close). */
  async close(): Promise<void> {
    this.closed = true
    await this.forwarded?.close()
    await this.p.lease?.close()
  }
}

function causedByNats(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof NatsError) return true
  return false
}
