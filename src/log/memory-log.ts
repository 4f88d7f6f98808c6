import { LogAppendError, type BatchLog, type LogEntry } from './batch-log.js'

/** The batch log in memory (`open({ memory: true })`, tests): appends are durable at once; nothing survives close. */
export class MemoryBatchLog implements BatchLog {
  private log: LogEntry[] = []
  private closed = false
  lastBatch = 0

  entries(): Iterable<LogEntry> {
    return [...this.log]
  }

  append(entry: LogEntry): Promise<void> {
    if (this.closed) return Promise.reject(new LogAppendError('the batch log is closed', false))
    this.log.push(entry.kind === 'batch' ? { ...entry, body: entry.body.slice() } : entry)
    this.lastBatch = Math.max(this.lastBatch, entry.batch)
    return Promise.resolve()
  }

  resume(): void {}

  async checkpointed(batch: number): Promise<void> {
    this.log = this.log.filter((e) => e.batch > batch)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
