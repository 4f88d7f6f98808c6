// The engine writes a batch's log entry off its thread when its transactions are expensive to execute
// (the write then overlaps the execution), and on its thread when they are cheap or the batch is short
// (LOG_OVERLAP_TXN_US and LOG_OVERLAP_BATCH_US in src/txn/engine.ts). Shown with a log that records how each append was asked for.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import type { AppendOptions, BatchLog, LogEntry } from '../../src/log/batch-log.js'
import { JS_RUNTIME } from '../support/js-runtime.js'

/** Delegates to the opened log, keeping the `overlap` hint of every batch entry. */
class HintLog implements BatchLog {
  readonly overlaps: boolean[] = []
  constructor(private readonly inner: BatchLog) {}
  get lastBatch(): number { return this.inner.lastBatch }
  entries(): Iterable<LogEntry> { return this.inner.entries() }
  append(entry: LogEntry, options?: AppendOptions): Promise<void> {
    if (entry.kind === 'batch') this.overlaps.push(options?.overlap === true)
    return this.inner.append(entry, options)
  }
  resume(): void { this.inner.resume() }
  checkpointed(batch: number): Promise<void> { return this.inner.checkpointed(batch) }
  close(): Promise<void> { return this.inner.close() }
}

/** The hints of 30 batches of `perBatch` calls of `fn` (with `args`), after the table's set-up. */
async function hints(fn: 'deposit' | 'busy', args: number[], perBatch: number): Promise<boolean[]> {
  let log: HintLog | undefined
  const db = await open({ memory: true, workers: 0, runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity, wrapBatchLog: (inner) => (log = new HintLog(inner)) })
  try {
    const created = db.createTable({ name: 'acct', columns: [{ name: 'id', type: 'INTEGER', primaryKey: true }, { name: 'balance', type: 'INTEGER' }] })
    db.flush()
    await created
    const fnCreated = db.createFunction(`acct.${fn}`, new Uint8Array(0), { runtime: 'js', export: fn })
    db.flush()
    await fnCreated
    const from = (log as HintLog).overlaps.length
    for (let b = 0; b < 30; b++) {
      const calls = Array.from({ length: perBatch }, (_, i) => db.call(`acct.${fn}`, b * perBatch + i, ...(args as number[])))
      db.flush()
      await Promise.all(calls)
    }
    return (log as HintLog).overlaps.slice(from)
  } finally {
    await db.close()
  }
}

test('batches of expensive transactions (300 µs each) have their log entries written overlapping their execution', async () => {
  const overlaps = await hints('busy', [300], 4)
  assert.is(overlaps.length, 30)
  assert.is(overlaps[0], false, 'nothing measured before the first batch: written on the thread')
  assert.ok(overlaps.slice(5).every((o) => o), `from the 6th batch on, every entry overlaps: ${overlaps.join(',')}`)
})

/**
 * At most this many of 30 entries may overlap where the policy says none should: the engine's mean is of
 * wall time (a running mean over about 8 batches), so a thread that loses its core for a few milliseconds
 * mid-batch (CI, a loaded machine) lifts the mean of a one-transaction batch over LOG_OVERLAP_BATCH_US for
 * up to ten batches. A policy that overlapped these batches would overlap 29 of 30.
 */
const PREEMPTED_MAX = 10

test('a batch of one expensive transaction (150 µs), shorter than a durable write, is written on the engine thread', async () => {
  const overlaps = await hints('busy', [150], 1)
  assert.is(overlaps.length, 30)
  assert.ok(overlaps.filter((o) => o).length <= PREEMPTED_MAX, `no entry overlaps (but for preemption): ${overlaps.join(',')}`)
})

test('batches of cheap transactions have their log entries written on the engine thread', async () => {
  const overlaps = await hints('deposit', [1], 50)
  assert.is(overlaps.length, 30)
  assert.ok(overlaps.filter((o) => o).length <= PREEMPTED_MAX, `no entry overlaps (but for preemption): ${overlaps.join(',')}`)
})

test.run()
