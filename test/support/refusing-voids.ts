import { LogAppendError, type BatchLog, type LogEntry } from '../../src/log/batch-log.js'

/**
 * The opened log, refusing every void entry (as a writer fenced off its stream would): a batch that fails
 * whole then cannot be voided, its clients hear "outcome unknown", and the engine stops.
 */
export function refusingVoids(inner: BatchLog): BatchLog {
  return {
    get lastBatch() { return inner.lastBatch },
    entries: () => inner.entries(),
    append: (entry: LogEntry) => entry.kind === 'void' ? Promise.reject(new LogAppendError('void refused by the test', false)) : inner.append(entry),
    resume: () => inner.resume(),
    checkpointed: (batch: number) => inner.checkpointed(batch),
    close: () => inner.close(),
  }
}
