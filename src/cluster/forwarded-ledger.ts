/**
 * What a writer knows of the requests followers forwarded to it (src/cluster/forwarding.ts): which it
 * is running, and the replies it sent lately. NATS delivers a reply at most once: one published while the
 * follower's NATS server dies, or while the follower reconnects to another, is lost. The follower asks
 * the writer about the requests it still waits for (a status question, every FORWARD_PROBE_EVERY_MS); the
 * writer sends a kept reply again, says nothing of one it still runs, and names those it knows nothing of
 * (another writer took them, or their reply is no longer kept), which the follower fails as outcome
 * unknown at once instead of after FORWARD_REPLY_TIMEOUT_MS.
 *
 * Replies are kept in two generations: the current one becomes the previous one every
 * FORWARD_REPLY_KEEP_MS, or once it holds half of FORWARD_REPLY_KEEP_BYTES_MAX, and the previous one is
 * dropped. So a reply is kept at least FORWARD_REPLY_KEEP_MS unless replies arrive faster than the byte
 * bound allows, and the memory kept is bounded. Time decides only how long a reply is kept for a resend,
 * never what runs or commits.
 */

/** How long, at least, a writer keeps a reply it sent, for a follower that did not get it. */
export const FORWARD_REPLY_KEEP_MS = 10_000
/** The most bytes of reply text a writer keeps for resends (both generations). */
export const FORWARD_REPLY_KEEP_BYTES_MAX = 32 * 1024 * 1024

export type RequestState = { readonly state: 'running' } | { readonly state: 'answered'; readonly text: string } | { readonly state: 'unknown' }

const RUNNING: RequestState = { state: 'running' }
const UNKNOWN: RequestState = { state: 'unknown' }

/** Replies by follower inbox, then by request id. */
type Replies = Map<string, Map<number, string>>

export class ForwardedLedger {
  private readonly running = new Map<string, Set<number>>()
  private current: Replies = new Map()
  private previous: Replies = new Map()
  private currentBytes = 0
  private readonly rotator: NodeJS.Timeout

  constructor(private readonly keepBytesMax = FORWARD_REPLY_KEEP_BYTES_MAX, keepMs = FORWARD_REPLY_KEEP_MS) {
    this.rotator = setInterval(() => this.rotate(), keepMs)
    this.rotator.unref()
  }

  started(inbox: string, id: number): void {
    const ids = this.running.get(inbox)
    if (ids === undefined) this.running.set(inbox, new Set([id]))
    else ids.add(id)
  }

  /** The request ended: `text` is its reply (null: it has none to send, as when handling it failed). */
  ended(inbox: string, id: number, text: string | null): void {
    const ids = this.running.get(inbox)
    if (ids !== undefined && ids.delete(id) && ids.size === 0) this.running.delete(inbox)
    if (text === null) return
    // Counted in UTF-16 units: a bound on memory, not an exact byte count, and free to compute.
    this.currentBytes += text.length
    if (this.currentBytes > this.keepBytesMax / 2) this.rotate()
    const replies = this.current.get(inbox)
    if (replies === undefined) this.current.set(inbox, new Map([[id, text]]))
    else replies.set(id, text)
  }

  state(inbox: string, id: number): RequestState {
    if (this.running.get(inbox)?.has(id) === true) return RUNNING
    const text = this.current.get(inbox)?.get(id) ?? this.previous.get(inbox)?.get(id)
    return text === undefined ? UNKNOWN : { state: 'answered', text }
  }

  private rotate(): void {
    this.previous = this.current
    this.current = new Map()
    this.currentBytes = 0
  }

  close(): void {
    clearInterval(this.rotator)
    this.running.clear()
    this.current.clear()
    this.previous.clear()
  }
}
