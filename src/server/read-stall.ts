/**
 * Whether a connection's client still reads its replies, once more than `replyBufferBytesMax` of them
 * wait unread. Reading its requests stops far earlier (replyBufferBytesPause), but the requests it sent
 * before that still produce replies: a client that reads, only more slowly than the server answers, can
 * pass any fixed bound, and closing it would lose replies it was about to read. So past the bound a
 * connection is closed only when no reply bytes left its buffer for `replyStallMs` (as Redis's soft
 * output-buffer limit does); the hard bound (server.ts) still caps the memory one connection holds.
 *
 * The clock here decides only when a connection is closed, never what commits.
 */
export interface ReadStallLimits {
  readonly replyBufferBytesMax: number
  readonly replyStallMs: number
}

export class ReadStallWatch {
  private timer: NodeJS.Timeout | null = null
  /** Unread bytes at the last look, and the bytes queued since: fewer unread now means the client read. */
  private lastUnread = 0
  private queuedSince = 0
  private readAt = 0

  /**
   * `unread()`: the connection's unread reply bytes (ws `bufferedAmount`); `stalled(unread)` is called
   * once, when the client has read nothing for `replyStallMs` while past the bound.
   */
  constructor(
    private readonly unread: () => number,
    private readonly limits: ReadStallLimits,
    private readonly stalled: (unread: number) => void,
  ) {}

  /** A reply `text` was queued on the connection (measured only while watching: replies are the hot path). */
  sent(text: string): void {
    if (this.timer !== null) {
      this.queuedSince += Buffer.byteLength(text)
      return
    }
    const unread = this.unread()
    if (unread < this.limits.replyBufferBytesMax) return
    this.lastUnread = unread
    this.queuedSince = 0
    this.readAt = performance.now()
    this.timer = setInterval(() => this.look(), Math.max(1, Math.floor(this.limits.replyStallMs / 4)))
    this.timer.unref()
  }

  private look(): void {
    const unread = this.unread()
    // Frames carry a few header bytes more than `queuedSince` counts, so this errs toward "not read".
    if (unread < this.lastUnread + this.queuedSince) this.readAt = performance.now()
    this.lastUnread = unread
    this.queuedSince = 0
    if (unread < this.limits.replyBufferBytesMax) {
      this.stop()
      return
    }
    if (performance.now() - this.readAt >= this.limits.replyStallMs) {
      this.stop()
      this.stalled(unread)
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}
