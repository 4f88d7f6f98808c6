/**
 * One kind of repeated log line (a full disk refusing every batch, a checkpoint failing every interval),
 * at most once per `intervalMs`: the first occurrence is logged at once, later ones are counted and the
 * count goes with the next line. A full disk refused batches thousands of times a second and each
 * logged a line; the log then filled what was left of the disk.
 */
export const REPEATED_LOG_INTERVAL_MS = 10_000

export class RateLimitedLog {
  private lastAt = -Infinity
  private suppressed = 0

  constructor(
    private readonly write: (message: string) => void,
    private readonly intervalMs = REPEATED_LOG_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Logs `message` unless a line of this kind went out less than `intervalMs` ago. */
  log(message: string): void {
    const t = this.now()
    if (t - this.lastAt < this.intervalMs) {
      this.suppressed++
      return
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} more like it since the last such line)` : ''
    this.lastAt = t
    this.suppressed = 0
    this.write(message + more)
  }

  /** The condition ended: the next occurrence is logged at once. */
  reset(): void {
    this.lastAt = -Infinity
    this.suppressed = 0
  }
}
