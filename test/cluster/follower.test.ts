// Followers of a JetStream batch log (open({ natsLog: { follow: true } })): a database that applies every
// batch the writer releases, as it releases them, reaches the writer's state (the same digest at the
// same batch), whether it started before the traffic or long after; it skips a batch the writer voided
// even though the void entry comes after later batches in the stream; an ALTER TABLE … PARTITIONS among
// the calls reaches them at its position; it takes no requests. On a stream whose first batches were
// purged, a new data directory starts from the writer's snapshot (src/log/snapshots.ts).
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect, type JetStreamManager } from 'nats'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import type { BatchLog, LogEntry } from '../../src/log/batch-log.js'
import { readFrame } from '../../src/log/frame.js'
import type { JetStreamBatchLog } from '../../src/log/jetstream-log.js'
import { openBank } from '../support/bank.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

/** Resolves once `follower` has applied batch `batch`, or fails after `ms`. */
async function caughtUp(follower: EmbeddedDatabase, batch: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (follower.lastCommittedBatch < batch) {
    if (Date.now() > deadline) throw new Error(`the follower is at batch ${follower.lastCommittedBatch}, the writer at ${batch}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

natsTest('followers started before and after the traffic reach the writer\'s digest; a voided batch is skipped; a follower takes no requests', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir(), tempDir()]
    const opened: EmbeddedDatabase[] = []
    const natsLog = { servers: nats.urls, stream: 'FOLLOW' }
    const openOn = async (i: number, options: Partial<OpenOptions>): Promise<EmbeddedDatabase> => {
      // The writer makes the bank's table and functions; a follower gets them from the log.
      const base = { dir: dirs[i]?.dir as string, workers: 0, ...options }
      const db = options.natsLog?.follow === true ? await open({ ...base, runtimes: { js: JS_RUNTIME } }) : await openBank(base)
      opened.push(db)
      return db
    }
    try {
      const writer = await openOn(0, { natsLog })
      const early = await openOn(1, { natsLog: { ...natsLog, follow: true } })
      await writer.insert('account', Array.from({ length: 40 }, (_, i) => [`a${i}`, 100]))
      const calls: Promise<unknown>[] = []
      for (let i = 0; i < 300; i++) {
        calls.push(writer.call('account.transfer', `a${i % 40}`, `a${(i * 7 + 1) % 40}`, 1 + (i % 50)).catch(() => 'aborted'))
        // A runtime bug fails its whole batch (voided in the log; replayed, it would fail again).
        if (i === 150) calls.push(writer.call('account.crash', 'a1').then(() => 'ran', (e: Error) => e.message))
        // Rescaling while the calls go on: followers move the rows at the same position (the digest covers the layout).
        if (i === 100) calls.push(writer.sql('ALTER TABLE account PARTITIONS 7'))
      }
      const outcomes = await Promise.all(calls)
      assert.ok(outcomes.some((o) => typeof o === 'string' && /batch not committed/.test(o)), 'the crash voided its batch')
      assert.ok(writer.stats.failedBatches >= 1)
      const batch = writer.lastCommittedBatch
      const digest = await writer.digest()

      await caughtUp(early, batch)
      assert.is(await early.digest(), digest, 'the follower that watched it happen')
      // It applied the writer's executions of the batches released after it said it follows (the first
      // ones may have gone out before the writer heard it), instead of executing them again.
      assert.ok(early.stats.adoptedBatches >= 1, `the follower adopted executions (${early.stats.adoptedBatches} batches)`)
      assert.ok(early.stats.adoptedTxns >= early.stats.adoptedBatches)
      const late = await openOn(2, { natsLog: { ...natsLog, follow: true } })
      await caughtUp(late, batch)
      assert.is(await late.digest(), digest, 'the follower that started after')
      // Nobody kept the executions of the batches released before it started: it executed them.
      assert.ok(late.stats.replayedBatches > late.stats.adoptedBatches, `the late follower executed old batches (${late.stats.replayedBatches} applied, ${late.stats.adoptedBatches} adopted)`)

      // More traffic reaches both as it is released.
      await writer.call('account.transfer', 'a3', 'a4', 1)
      await caughtUp(early, writer.lastCommittedBatch)
      await caughtUp(late, writer.lastCommittedBatch)
      assert.is(await early.digest(), await writer.digest())
      assert.is(await late.digest(), await writer.digest())

      const refused = await early.call('account.transfer', 'a1', 'a2', 1).then(() => null, (e: { code?: string }) => e)
      assert.is(refused?.code, 'FORBIDDEN')
    } finally {
      for (const db of opened) await db.close().catch(() => {})
      for (const d of dirs) d.cleanup()
    }
  })
})

natsTest('the check catches a follower that applies a voided batch (EngineFaults.followerAppliesVoided): it never reaches the writer', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream: 'FOLLOW_FAULT' }
    const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog })
    const broken = await open({ dir: dirs[1]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME }, faults: { followerAppliesVoided: true } })
    try {
      await writer.insert('account', [['a', 10], ['b', 0]])
      // One batch: the crash voids it whole, the transfer in it too.
      await Promise.all([writer.call('account.transfer', 'a', 'b', 1).catch(() => 'voided'), writer.call('account.crash', 'a').catch(() => 'voided')])
      await writer.call('account.transfer', 'a', 'b', 2)
      const err = await caughtUp(broken, writer.lastCommittedBatch, 3000).then(() => null, (e: Error) => e)
      assert.instance(err, Error, 'the broken follower must not reach the writer')
      const refused = await broken.call('account.transfer', 'a', 'b', 1).then(() => null, (e: Error) => e)
      assert.match(refused?.message ?? '', /engine stopped: replaying batch \d+ from the log failed/)
    } finally {
      await broken.close().catch(() => {})
      await writer.close()
      for (const d of dirs) d.cleanup()
    }
  })
})

natsTest('a new data directory on a purged stream starts from the writer\'s snapshot, and so does one that fell behind the purge', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir(), tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream: 'PURGED', batchesKept: 2 }
    let writerLog: JetStreamBatchLog | null = null
    // The writer checkpoints (and so purges) only when the test says: a purge of its own between the first
    // follower's open and its first read would make that follower lose the race described in
    // docs/scale-out.md ("A follower that starts while the writer purges").
    const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog, checkpointIntervalMs: 3_600_000, wrapBatchLog: (l) => { writerLog = l as JetStreamBatchLog; return l } })
    const opened: EmbeddedDatabase[] = []
    const follower = async (i: number, lines: string[] = []): Promise<EmbeddedDatabase> => {
      const db = await open({ dir: dirs[i]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME }, log: (l) => lines.push(l) })
      opened.push(db)
      return db
    }
    const nc = await connect({ servers: nats.urls })
    const jsm = await nc.jetstreamManager()
    const firstSeq = async (): Promise<number> => (await jsm.streams.info('PURGED')).state.first_seq
    const firstBatch = (): Promise<number> => firstBatchIn(jsm, 'PURGED')
    try {
      await writer.insert('account', [['a', 100], ['b', 0]])
      // A follower that stops and falls behind the purge.
      const stale = await follower(2)
      await writer.call('account.transfer', 'a', 'b', 1)
      await caughtUp(stale, writer.lastCommittedBatch)
      await stale.close()
      for (let i = 0; i < 8; i++) await writer.call('account.transfer', 'a', 'b', 1)
      await writer.checkpoint() // purges the stream's messages up to 2 batches behind the checkpoint (after it)
      for (const deadline = Date.now() + 10_000; await firstSeq() === 1 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50))
      assert.ok(await firstSeq() > 1, 'the stream was purged')

      // Its own directory holds a state the stream no longer continues: the writer's snapshot replaces it.
      const replaced: string[] = []
      const behind = await follower(2, replaced)
      assert.match(replaced.join('\n'), /this directory's checkpoint holds batches up to \d+, and the stream no longer holds the next: replacing it with the writer's snapshot/)
      await caughtUp(behind, writer.lastCommittedBatch)
      assert.is(await behind.digest(), await writer.digest())
      await behind.close()
      // A writer's open on such a directory (here a new one) refuses, naming the stream and what to do,
      // not calling the directory damaged and its (absent) log/ to blame.
      const writerDir = tempDir()
      const writing = await open({ dir: writerDir.dir, workers: 0, natsLog, runtimes: { js: JS_RUNTIME } }).then((db) => db.close().then(() => null), (e: Error) => e)
      writerDir.cleanup()
      assert.match(writing?.message ?? '', /^this data directory is behind the stream PURGED, refusing to write it: its checkpoint \(acheron\.db\) holds batches up to 0, and the stream's first batch is \d+ .*move this directory away/)

      // A new directory gets the writer's checkpoint, then the stream after it.
      const lines: string[] = []
      const fresh = await follower(1, lines)
      const held = Number(/started from the writer's snapshot, which holds batches up to (\d+)/.exec(lines.join('\n'))?.[1])
      assert.ok(held > 0, lines.join('\n'))
      await caughtUp(fresh, writer.lastCommittedBatch)
      assert.is(await fresh.digest(), await writer.digest())
      // The batches after the snapshot stay in the stream for a while, even past checkpoints that would
      // have purged them (the writer keeps 2 behind its checkpoint); the new follower goes on with the traffic.
      for (let i = 0; i < 8; i++) await writer.call('account.transfer', 'a', 'b', 1)
      await writer.checkpoint()
      assert.ok(writer.lastCommittedBatch - 2 > held + 1, 'without the hold this checkpoint would purge past the snapshot')
      assert.ok(await firstBatch() <= held + 1, `the stream starts at batch ${await firstBatch()}, the snapshot holds up to ${held}`)
      await caughtUp(fresh, writer.lastCommittedBatch)
      assert.is(await fresh.digest(), await writer.digest())
      // Another node joining within SNAPSHOT_REUSE_MS gets the same snapshot, not a new copy.
      const again: string[] = []
      const second = await follower(3, again)
      assert.match(again.join('\n'), `which holds batches up to ${held}`)
      assert.is((writerLog as JetStreamBatchLog | null)?.snapshotsMade, 1)
      await caughtUp(second, writer.lastCommittedBatch)
      assert.is(await second.digest(), await writer.digest())
    } finally {
      for (const db of opened) await db.close().catch(() => {})
      await writer.close()
      await nc.close()
      for (const d of dirs) d.cleanup()
    }
  })
})

natsTest('a writer restarted ahead of its follower announces what its recovery committed: the follower catches up without waiting for a new batch', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream: 'RESTARTED' }
    const openOn = (i: number, follow: boolean): Promise<EmbeddedDatabase> =>
      open({ dir: dirs[i]?.dir as string, workers: 0, natsLog: { ...natsLog, ...(follow ? { follow } : {}) }, runtimes: { js: JS_RUNTIME } })
    let writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog })
    let follower: EmbeddedDatabase | null = await openOn(1, true)
    try {
      await writer.insert('account', [['a', 100], ['b', 0]])
      await caughtUp(follower, writer.lastCommittedBatch)
      // acheron cluster stops the followers first, then the writer, which finishes what it has in flight.
      await follower.close()
      follower = null
      for (let i = 0; i < 5; i++) await writer.call('account.transfer', 'a', 'b', 1)
      const batch = writer.lastCommittedBatch
      await writer.close()
      writer = await openOn(0, false)
      follower = await openOn(1, true)
      // Followers apply what the writer announced released; the restarted writer had announced nothing
      // until its next batch, and the follower (and every read through it) waited for one.
      await caughtUp(follower, batch, 5000)
      assert.is(await follower.digest(), await writer.digest())
    } finally {
      await follower?.close().catch(() => {})
      await writer.close()
      for (const d of dirs) d.cleanup()
    }
  })
})

/** The batch of the stream's first entry (small entries are one message each). */
async function firstBatchIn(jsm: JetStreamManager, stream: string): Promise<number> {
  // A purge may run between the two requests (purges follow checkpoints asynchronously): then ask again.
  for (let attempt = 1; ; attempt++) {
    const seq = (await jsm.streams.info(stream)).state.first_seq
    const m = await jsm.streams.getMessage(stream, { seq }).catch((err: unknown) => {
      if (attempt < 5 && /no message found/.test(String(err))) return null
      throw err
    })
    if (m === null) continue
    const r = readFrame(m.data, 0)
    assert.ok(r.ok)
    return r.entry.batch
  }
}

natsTest('the check catches a writer that purges the batches after a snapshot it handed out (EngineFaults.snapshotPurgeUnheld)', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream: 'UNHELD', batchesKept: 2 }
    const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog, faults: { snapshotPurgeUnheld: true } })
    const nc = await connect({ servers: nats.urls })
    let fresh: EmbeddedDatabase | null = null
    try {
      await writer.insert('account', [['a', 100], ['b', 0]])
      for (let i = 0; i < 9; i++) await writer.call('account.transfer', 'a', 'b', 1)
      await writer.checkpoint()
      const lines: string[] = []
      fresh = await open({ dir: dirs[1]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME }, log: (l) => lines.push(l) })
      const held = Number(/which holds batches up to (\d+)/.exec(lines.join('\n'))?.[1])
      for (let i = 0; i < 8; i++) await writer.call('account.transfer', 'a', 'b', 1)
      await writer.checkpoint()
      // What the test above requires (first batch ≤ held + 1) does not hold: a slower follower would be stuck.
      assert.ok(await firstBatchIn(await nc.jetstreamManager(), 'UNHELD') > held + 1)
    } finally {
      await fresh?.close().catch(() => {})
      await writer.close()
      await nc.close()
      for (const d of dirs) d.cleanup()
    }
  })
})

/**
 * A follower killed with committed frames in its checkpoint's WAL (a copy of its files taken while it
 * runs), restarted after the writer purged the stream past it: it takes the writer's snapshot in place
 * of its checkpoint. True when it reaches the writer's state; false when it does not (open failed, or
 * another state).
 */
async function crashedBehindRebuilds(natsUrls: string[], stream: string, broken: boolean): Promise<boolean> {
  const dirs = [tempDir(), tempDir(), tempDir()]
  const natsLog = { servers: natsUrls, stream, batchesKept: 2 }
  const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog, checkpointIntervalMs: 3_600_000 })
  let rebuilt: EmbeddedDatabase | null = null
  try {
    await writer.insert('account', Array.from({ length: 50 }, (_, i) => [`a${i}`, 100]))
    const running = await open({ dir: dirs[1]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME } })
    for (let i = 0; i < 20; i++) await writer.call('account.transfer', `a${i}`, `a${i + 1}`, 1)
    await caughtUp(running, writer.lastCommittedBatch)
    await running.checkpoint()
    // What SIGKILL leaves: the checkpoint file and its WAL as they are on disk now.
    const crashed = join(dirs[2]?.dir as string, 'acheron.db')
    copyFileSync(join(dirs[1]?.dir as string, 'acheron.db'), crashed)
    copyFileSync(join(dirs[1]?.dir as string, 'acheron.db-wal'), `${crashed}-wal`)
    await running.close()
    for (let i = 0; i < 20; i++) await writer.call('account.transfer', `a${i + 1}`, `a${i}`, 2)
    await writer.checkpoint()
    const lines: string[] = []
    try {
      rebuilt = await open({ dir: dirs[2]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME }, log: (l) => lines.push(l), faults: { snapshotKeepsOldWal: broken } })
    } catch (err) {
      if (broken) return false
      throw err
    }
    assert.match(lines.join('\n'), /replacing it with the writer's snapshot/)
    if (await caughtUp(rebuilt, writer.lastCommittedBatch, broken ? 3000 : 20_000).then(() => false, () => true)) return false
    return (await rebuilt.digest().catch(() => null)) === await writer.digest()
  } finally {
    await rebuilt?.close().catch(() => {})
    await writer.close()
    for (const d of dirs) d.cleanup()
  }
}

natsTest('a follower that crashed and fell behind the purge takes the snapshot whole; the check catches one that keeps its old WAL (EngineFaults.snapshotKeepsOldWal)', async () => {
  await withNats(1, async (nats) => {
    assert.ok(await crashedBehindRebuilds(nats.urls, 'CRASHED_BEHIND', false), 'the rebuilt follower reaches the writer\'s state')
    assert.not.ok(await crashedBehindRebuilds(nats.urls, 'CRASHED_BEHIND_BROKEN', true), 'a snapshot read through the old WAL is not the writer\'s state')
  })
})

/** The stream sequence of batch `batch`'s entry (small entries are one message each). */
async function seqOfBatch(jsm: JetStreamManager, stream: string, batch: number): Promise<number> {
  const { first_seq: first, last_seq: last } = (await jsm.streams.info(stream)).state
  for (let seq = first; seq <= last; seq++) {
    const r = readFrame((await jsm.streams.getMessage(stream, { seq })).data, 0)
    if (r.ok && r.entry.kind === 'batch' && r.entry.batch === batch) return seq
  }
  throw new Error(`no entry of batch ${batch} in ${stream}`)
}

natsTest('messages gone from under a follower: it goes on when it holds their batches, and refuses when it needs them', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream: 'GAPS' }
    const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog })
    const nc = await connect({ servers: nats.urls })
    const opened: EmbeddedDatabase[] = []
    const follower = async (i: number): Promise<EmbeddedDatabase> => {
      const db = await open({ dir: dirs[i]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME } })
      opened.push(db)
      return db
    }
    try {
      await writer.insert('account', [['a', 100], ['b', 0]])
      const first = await follower(1)
      for (let i = 0; i < 6; i++) await writer.call('account.transfer', 'a', 'b', 1)
      await caughtUp(first, writer.lastCommittedBatch)
      await first.checkpoint()
      const held = first.lastCommittedBatch
      await first.close()
      // A message of a batch the follower's checkpoint holds disappears (as a purge racing its read would
      // take it): read again from the stream's start, it is skipped.
      const jsm = await nc.jetstreamManager()
      await jsm.streams.deleteMessage('GAPS', await seqOfBatch(jsm, 'GAPS', held - 2))
      for (let i = 0; i < 3; i++) await writer.call('account.transfer', 'a', 'b', 1)
      const again = await follower(1)
      await caughtUp(again, writer.lastCommittedBatch)
      assert.is(await again.digest(), await writer.digest())
      // A new follower needs that batch: it refuses to go on, naming the messages that were gone.
      const fresh = await follower(2)
      const err = await caughtUp(fresh, writer.lastCommittedBatch, 3000).then(() => null, (e: Error) => e)
      assert.instance(err, Error)
      const refused = await fresh.call('account.transfer', 'a', 'b', 1).then(() => null, (e: Error) => e)
      assert.match(refused?.message ?? '', /this follower cannot rebuild its state from the stream GAPS, whose messages \d+ to \d+ were purged before this follower read them/)
      assert.is(await fresh.fellBehindStream(), true, 'it says why it stopped, for the node to rebuild it')
      // Given the writer lease (a --failover node whose writer died), it must refuse to write, not wait
      // forever: it waited, holding the lease, and no other node could take the writing over.
      const promoted = await Promise.race([
        fresh.promote().then(() => 'promoted', (e: Error) => e.message),
        new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
      ])
      assert.match(String(promoted), /this follower cannot rebuild its state from the stream GAPS/)
      // Opened again as behind (what a node does), it takes the writer's snapshot, past the gap.
      await fresh.close()
      await writer.checkpoint()
      const lines: string[] = []
      const rebuilt = await open({ dir: dirs[2]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true, behind: true }, runtimes: { js: JS_RUNTIME }, log: (l) => lines.push(l) })
      opened.push(rebuilt)
      assert.match(lines.join('\n'), /started from the writer's snapshot, which holds batches up to \d+/)
      await writer.call('account.transfer', 'a', 'b', 1)
      await caughtUp(rebuilt, writer.lastCommittedBatch)
      assert.is(await rebuilt.digest(), await writer.digest())
    } finally {
      for (const db of opened) await db.close().catch(() => {})
      await writer.close()
      await nc.close()
      for (const d of dirs) d.cleanup()
    }
  })
})

natsTest('a new directory gives up when no writer hands out a snapshot, saying why', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream: 'NOWRITER', batchesKept: 1 }
    try {
      const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog })
      await writer.insert('account', [['a', 100], ['b', 0]])
      for (let i = 0; i < 5; i++) await writer.call('account.transfer', 'a', 'b', 1)
      await writer.checkpoint()
      await writer.close()
      const err = await open({ dir: dirs[1]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true, snapshotTimeoutMs: 1500 }, runtimes: { js: JS_RUNTIME } })
        .then(async (db) => { await db.close(); return null }, (e: Error) => e)
      assert.instance(err, Error)
      assert.match(err?.message ?? '', /no snapshot of the stream NOWRITER within 1500 ms \(no writer answered\)/)
    } finally {
      for (const d of dirs) d.cleanup()
    }
  })
})

/**
 * A follower's log whose applies wait until `open()`: the writer's executions of every batch released
 * meanwhile reach the follower before it applies the first of them (a follower that lags, made certain).
 */
class HeldFollower implements BatchLog {
  private open_: () => void = () => {}
  private readonly gate = new Promise<void>((resolve) => { this.open_ = resolve })

  constructor(private readonly inner: BatchLog) {}

  open(): void {
    this.open_()
  }

  get lastBatch(): number { return this.inner.lastBatch }
  entries(): Iterable<LogEntry> { return this.inner.entries() }
  append(entry: LogEntry): Promise<void> { return this.inner.append(entry) }
  resume(): void { this.inner.resume() }
  checkpointed(batch: number): Promise<void> { return this.inner.checkpointed(batch) }
  close(): Promise<void> { return this.inner.close() }

  follow(apply: Parameters<NonNullable<BatchLog['follow']>>[0]): Promise<void> {
    return (this.inner.follow as NonNullable<BatchLog['follow']>).call(this.inner, async (e, executions, purged) => {
      await this.gate
      await apply(e, executions, purged)
    })
  }
}

/**
 * The verdict of a join-hold test: true once the follower reached the writer's state; with `broken`
 * (it did not ask the writer to hold the stream) false, once it is seen to stop instead, refusing to
 * build a state without the batches the purge took.
 */
async function reachesUnlessUnheld(follower: EmbeddedDatabase, writer: EmbeddedDatabase, stream: string, broken: boolean): Promise<boolean> {
  const reached = await caughtUp(follower, writer.lastCommittedBatch, broken ? 3000 : 20_000).then(() => null, (e: Error) => e)
  if (broken) {
    assert.instance(reached, Error, 'a follower that did not ask must lose the batches after its state to the purge')
    const refused = await follower.call('account.transfer', 'a', 'b', 1).then(() => null, (e: Error) => e)
    assert.match(refused?.message ?? '', new RegExp(`cannot rebuild its state from the stream ${stream}`))
    return false
  }
  assert.is(reached, null)
  assert.is(await follower.digest(), await writer.digest())
  return true
}

/** A follower's log that runs `first` before it starts reading: what happens between the open's look at the stream and its first read. */
class FollowsAfter implements BatchLog {
  constructor(private readonly inner: BatchLog, private readonly first: () => Promise<void>) {}

  get lastBatch(): number { return this.inner.lastBatch }
  entries(): Iterable<LogEntry> { return this.inner.entries() }
  append(entry: LogEntry): Promise<void> { return this.inner.append(entry) }
  resume(): void { this.inner.resume() }
  checkpointed(batch: number): Promise<void> { return this.inner.checkpointed(batch) }
  close(): Promise<void> { return this.inner.close() }

  async follow(apply: Parameters<NonNullable<BatchLog['follow']>>[0]): Promise<void> {
    await this.first()
    return (this.inner.follow as NonNullable<BatchLog['follow']>).call(this.inner, apply)
  }
}

natsTest('a new node reads the stream from its first batch while the writer checkpoints: the writer holds the front for it; the check catches one that only looks (EngineFaults.followerJoinsUnheld)', async () => {
  await withNats(1, async (nats) => {
    for (const broken of [false, true]) {
      const dirs = [tempDir(), tempDir()]
      const stream = broken ? 'JOIN_UNHELD' : 'JOIN_HELD'
      const natsLog = { servers: nats.urls, stream, batchesKept: 2 }
      const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog, checkpointIntervalMs: 3_600_000 })
      const nc = await connect({ servers: nats.urls })
      const jsm = await nc.jetstreamManager()
      let follower: EmbeddedDatabase | null = null
      try {
        await writer.insert('account', [['a', 100], ['b', 0]])
        for (let i = 0; i < 10; i++) await writer.call('account.transfer', 'a', 'b', 1)
        const lines: string[] = []
        // Between the new node's look at the stream (its front is there: no snapshot) and its first read,
        // the writer checkpoints, which would purge all but the last 2 batches.
        follower = await open({
          dir: dirs[1]?.dir as string, workers: 0, runtimes: { js: JS_RUNTIME }, log: (l) => lines.push(l),
          natsLog: { ...natsLog, follow: true }, ...(broken ? { faults: { followerJoinsUnheld: true } } : {}),
          wrapBatchLog: (l) => new FollowsAfter(l, async () => { await writer.checkpoint() }),
        })
        assert.match(lines.join('\n'), /the stream starts at its first batch: this new node reads it from there/)
        if (!await reachesUnlessUnheld(follower, writer, stream, broken)) continue
        assert.is((await jsm.streams.info(stream)).state.first_seq, 1, 'the writer kept the front while the new node read it')
      } finally {
        await follower?.close().catch(() => {})
        await writer.close()
        await nc.close()
        for (const d of dirs) d.cleanup()
      }
    }
  })
})

natsTest('a follower restarted on its directory while the writer checkpoints: the writer holds the batches after its state; the check catches one that does not ask (EngineFaults.followerJoinsUnheld)', async () => {
  await withNats(1, async (nats) => {
    for (const broken of [false, true]) {
      const dirs = [tempDir(), tempDir()]
      const stream = broken ? 'REJOIN_UNHELD' : 'REJOIN_HELD'
      const natsLog = { servers: nats.urls, stream, batchesKept: 2 }
      const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog, checkpointIntervalMs: 3_600_000 })
      const followerOptions = { dir: dirs[1]?.dir as string, workers: 0, runtimes: { js: JS_RUNTIME }, natsLog: { ...natsLog, follow: true }, ...(broken ? { faults: { followerJoinsUnheld: true } } : {}) }
      let follower: EmbeddedDatabase | null = null
      try {
        await writer.insert('account', [['a', 100], ['b', 0]])
        follower = await open(followerOptions)
        await writer.call('account.transfer', 'a', 'b', 1)
        await caughtUp(follower, writer.lastCommittedBatch)
        await follower.checkpoint()
        const held = follower.lastCommittedBatch
        await follower.close()
        follower = null
        // While it is down the stream goes on, still holding every batch after its state...
        for (let i = 0; i < 8; i++) await writer.call('account.transfer', 'a', 'b', 1)
        // ...until the writer checkpoints between the restarted node's open and its first read, which
        // would purge all but the last 2 batches (those after `held` among them).
        follower = await open({ ...followerOptions, wrapBatchLog: (l) => new FollowsAfter(l, async () => { await writer.checkpoint() }) })
        assert.ok(writer.lastCommittedBatch - 2 > held + 1, 'without the hold this checkpoint purges batches the follower needs')
        if (!await reachesUnlessUnheld(follower, writer, stream, broken)) continue
        // Caught up, it said so: the writer's next checkpoint purges again.
        await writer.call('account.transfer', 'a', 'b', 1)
        await writer.checkpoint()
        const nc = await connect({ servers: nats.urls })
        try {
          const jsm = await nc.jetstreamManager()
          for (const deadline = Date.now() + 10_000; await firstBatchIn(jsm, stream) <= held + 1 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50))
          assert.ok(await firstBatchIn(jsm, stream) > held + 1, 'the hold ends once the follower caught up')
        } finally {
          await nc.close()
        }
      } finally {
        await follower?.close().catch(() => {})
        await writer.close()
        for (const d of dirs) d.cleanup()
      }
    }
  })
})

natsTest('a lagging follower adopts only its batch\'s executions; the check catches one that adopts the newest (EngineFaults.followerAdoptsNewest)', async () => {
  await withNats(1, async (nats) => {
    for (const broken of [false, true]) {
      const dirs = [tempDir(), tempDir()]
      const natsLog = { servers: nats.urls, stream: broken ? 'ADOPT_FAULT' : 'ADOPT_LAG' }
      const writer = await openBank({ dir: dirs[0]?.dir as string, workers: 0, natsLog, batchTxnsMax: 4 })
      let held: HeldFollower | null = null
      const follower = await open({
        dir: dirs[1]?.dir as string, workers: 0, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME },
        wrapBatchLog: (inner) => (held = new HeldFollower(inner)),
        ...(broken ? { faults: { followerAdoptsNewest: true } } : {}),
      })
      try {
        await writer.insert('account', Array.from({ length: 20 }, (_, i) => [`a${i}`, 1000]))
        await new Promise((r) => setTimeout(r, 300)) // the writer hears the follower's first heartbeat
        // Small batches, several released while the follower waits: it holds the executions of each.
        await Promise.all(Array.from({ length: 40 }, (_, i) => writer.call('account.transfer', `a${i % 20}`, `a${(i * 3 + 1) % 20}`, 1)))
        ;(held as HeldFollower | null)?.open()
        const err = await caughtUp(follower, writer.lastCommittedBatch, 5000).then(() => null, (e: Error) => e)
        const same = err === null && await follower.digest() === await writer.digest()
        if (broken) assert.not.ok(same, 'the broken follower must not reach the writer\'s state')
        else {
          assert.ok(same, `the follower reaches the writer's state (${err?.message ?? ''})`)
          assert.ok(follower.stats.adoptedBatches >= 5, `it adopted the batches it held executions for (${follower.stats.adoptedBatches})`)
        }
      } finally {
        await follower.close().catch(() => {})
        await writer.close()
        for (const d of dirs) d.cleanup()
      }
    }
  })
})

test.run()
