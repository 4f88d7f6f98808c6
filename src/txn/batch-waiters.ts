/**
 * Callers waiting until this node's state holds a batch (Engine.atBatch): a follower's read waits for the
 * writer's read position to be applied here. Each runs synchronously at the release of the first batch
 * at or past the one it waits for, so that what it starts (planning a read, posting it to the state
 * thread) sees exactly that batch's state.
 */
interface Waiter {
  readonly batch: number
  readonly run: (held: number) => void
  readonly fail: (err: Error) => void
}

export class BatchWaiters {
  private waiting: Waiter[] = []

  /** `run`'s result once batch `batch` is released (run with the batch released then); rejects with fail's error. */
  wait<T>(batch: number, run: (held: number) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        batch,
        run: (held) => {
          try {
            resolve(run(held))
          } catch (err) {
            reject(err)
          }
        },
        fail: reject,
      })
    })
  }

  /** Runs what waits for `number` (now released) or a batch before it. */
  released(number: number): void {
    if (this.waiting.length === 0) return
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) {
      if (w.batch > number) this.waiting.push(w)
      else w.run(number)
    }
  }

  /** Fails everything that waits (the engine stopped or closes). */
  fail(err: Error): void {
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) w.fail(err)
  }
}
