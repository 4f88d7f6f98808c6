// With no worker threads, a batch's walks do not wait for the release of the batch before it (its log
// entry being durable): they run once that batch has executed, on its writes laid over the released
// state (src/txn/pipelined-executor.ts). Shown with a log that holds the first batch's entry back: the
// second batch executes meanwhile, sees the first one's write, and neither is answered before the
// entry is durable. And a batch that read the writes of one that then failed is never released.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { LogAppendError, type BatchLog, type LogEntry } from '../../src/log/batch-log.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { createStepsTable } from '../support/steps-table.js'

/** Delegates to the opened log; batch entries wait for `open()` while held, or are refused by number. */
class GatedLog implements BatchLog {
  held = false
  refuse = new Set<number>()
  private release: () => void = () => {}
  private gate: Promise<void> = Promise.resolve()

  constructor(private readonly inner: BatchLog) {}

  hold(): void {
    this.held = true
    this.gate = new Promise((resolve) => { this.release = resolve })
  }

  open(): void {
    this.held = false
    this.release()
  }

  get lastBatch(): number {
    return this.inner.lastBatch
  }

  entries(): Iterable<LogEntry> {
    return this.inner.entries()
  }

  append(entry: LogEntry): Promise<void> {
    const write = (): Promise<void> => entry.kind === 'batch' && this.refuse.has(entry.batch)
      ? Promise.reject(new LogAppendError(`batch ${entry.batch} refused by the test`, false))
      : this.inner.append(entry)
    return entry.kind === 'batch' && this.held ? this.gate.then(write) : write()
  }

  resume(): void {
    this.inner.resume()
  }

  checkpointed(batch: number): Promise<void> {
    return this.inner.checkpointed(batch)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

async function openGated(protocol: string): Promise<{ db: EmbeddedDatabase; log: GatedLog }> {
  let log: GatedLog | undefined
  const db = await open({
    memory: true, workers: 0, protocol, runtimes: { js: JS_RUNTIME }, batchIntervalMs: Infinity,
    wrapBatchLog: (inner) => (log = new GatedLog(inner)),
  })
  await createStepsTable(db)
  const load = db.insert('kv', [[1, 10, null]])
  db.flush()
  await load
  return { db, log: log as GatedLog }
}

const steps = (s: unknown[]) => JSON.stringify(s)

/** Batches close only at flush() here: one more after a statement is sent. */
function flushed<T>(db: EmbeddedDatabase, p: Promise<T>): Promise<T> {
  db.flush()
  return p
}

/** Lets the engine run (microtasks and immediates; the held log does no I/O) until `done`, or fails. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve))
  assert.ok(done(), what)
}

for (const protocol of ['serial', 'aria']) {
  test(`${protocol}, no workers: the next batch executes on the writes of one whose log entry is not durable yet`, async () => {
    const { db, log } = await openGated(protocol)
    try {
      log.hold()
      const answered: string[] = []
      const first = db.call('kv.run', 1, steps([{ op: 'incr', by: 5 }])).then((r) => { answered.push('first'); return r })
      db.flush()
      const second = db.call('kv.run', 1, steps([{ op: 'read' }, { op: 'incr', by: 1 }])).then((r) => { answered.push('second'); return r })
      db.flush()
      await until(() => db.stats.walksAhead === 1, `the second batch walked ahead (walksAhead ${db.stats.walksAhead})`)
      assert.equal(answered, [], 'no reply before the log entry is durable')
      log.open()
      const [r1, r2] = await Promise.all([first, second])
      assert.equal(answered, ['first', 'second'])
      assert.ok(r2.commit.batch === r1.commit.batch + 1, 'two batches, in order')
      assert.is(r2.value, steps([['15', null]]), 'the second read the first one\'s write')
      const rows = await flushed(db, db.query('SELECT v FROM kv WHERE k = 1'))
      assert.equal(rows.rows, [[16]])
    } finally {
      await db.close()
    }
  })
}

/**
 * A deposit in a batch whose log entry is held, then `second` (sent by the caller) walks ahead of it;
 * then the deposit's entry is refused and the next accepted. Answers how both settled.
 */
async function refusedAhead<T>(db: EmbeddedDatabase, log: GatedLog, second: () => Promise<T>): Promise<[PromiseSettledResult<unknown>, PromiseSettledResult<T>]> {
  log.hold()
  const first = db.call('kv.run', 1, steps([{ op: 'incr', by: 5 }]))
  db.flush()
  const ahead = second()
  db.flush()
  await until(() => db.stats.walksAhead === 1, 'the second batch walked ahead')
  // A log that breaks its contract (it accepts the entry after a refused one): the engine still
  // publishes nothing that read the refused batch.
  log.refuse.add(db.stats.batches + 1)
  log.open()
  return Promise.allSettled([first, ahead])
}

test('a batch that read the writes of a batch whose log entry was refused is not released, even if its own entry was written', async () => {
  const { db, log } = await openGated('serial')
  try {
    const [r1, r2] = await refusedAhead(db, log, () => db.call('kv.run', 1, steps([{ op: 'read' }, { op: 'incr', by: 1 }])))
    assert.is(r1.status, 'rejected')
    assert.is(r2.status, 'rejected', 'the batch that read the refused one is not committed')
    assert.match(String((r2 as PromiseRejectedResult).reason), /not committed/)
    const rows = await flushed(db, db.query('SELECT v FROM kv WHERE k = 1'))
    assert.equal(rows.rows, [[10]], 'nothing of either batch is visible')
    // The database goes on.
    const third = await flushed(db, db.call('kv.run', 1, steps([{ op: 'read' }])))
    assert.is(third.value, steps([['10', null]]))
  } finally {
    await db.close()
  }
})

test('a point read that read the writes of a refused batch is not answered with them, and logs nothing', async () => {
  const { db, log } = await openGated('serial')
  try {
    // A batch of point reads alone: no log entry, positioned after the last released batch.
    const [r1, r2] = await refusedAhead(db, log, () => db.get('kv', 1))
    assert.is(r1.status, 'rejected')
    assert.is(r2.status, 'rejected', 'the read is not answered with the refused batch\'s write')
    assert.match(String((r2 as PromiseRejectedResult).reason), /not answered/)
    assert.ok([...log.entries()].every((e) => e.batch > 0), 'no log entry for the reads (they have no batch number)')
    const again = await flushed(db, db.get('kv', 1))
    assert.equal(again.row, { k: 1, v: 10, log: null })
  } finally {
    await db.close()
  }
})

test.run()
