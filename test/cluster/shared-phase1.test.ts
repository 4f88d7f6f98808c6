// Phase 1 shared with the followers (src/txn/shared-phase1.ts): a writer with the aria protocol hands
// each follower the calls that start on its partitions; the followers run them on their own state, which
// lags the writer's, and the writer uses what they send, marking stale what read a row written after
// their state. Shown against real NATS: the followers execute shares, the writer uses them, and the state
// is the one a serial execution of the same log gives (a follower started afterwards with `serial`,
// which executes every batch itself) with the bank's money conserved; and the same workload with
// EngineFaults.sharedPhase1IgnoresPosition (nothing marked stale) does not give it.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import type { EngineFaults } from '../../src/txn/faults.js'
import { openBank } from '../support/bank.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const ACCOUNTS = 12
const OPENING = 1_000
/** Callers, each with one transfer in flight: batches stay below the contention sample (16), so every batch runs its phase 1. */
const CALLERS = 10
const TRANSFERS_PER_CALLER = 40

async function caughtUp(db: EmbeddedDatabase, batch: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (db.lastCommittedBatch < batch) {
    if (Date.now() > deadline) throw new Error(`at batch ${db.lastCommittedBatch}, the writer at ${batch}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function totalBalance(db: EmbeddedDatabase): Promise<number> {
  const [r] = await db.sql('SELECT SUM(balance) FROM account')
  return Number(r?.rows?.[0]?.[0])
}

interface HotRun {
  writerDigest: string
  referenceDigest: string
  total: number
  shared: number
  stale: number
  served: number[]
}

/** Hot transfers among a few accounts through a writer and two followers; a serial follower started after as the reference. */
async function hotTransfers(stream: string, faults: EngineFaults = {}, workers = 0): Promise<HotRun> {
  return withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir(), tempDir(), tempDir()]
    const natsLog = { servers: nats.urls, stream, sharePhase1: true }
    const opened: EmbeddedDatabase[] = []
    const follower = async (i: number, extra: Partial<OpenOptions>): Promise<EmbeddedDatabase> => {
      const db = await open({ dir: dirs[i]?.dir as string, workers, natsLog: { ...natsLog, follow: true }, runtimes: { js: JS_RUNTIME }, ...extra })
      opened.push(db)
      return db
    }
    try {
      const writer = await openBank({ dir: dirs[0]?.dir as string, workers, protocol: 'aria', natsLog, faults })
      opened.push(writer)
      await writer.sql(`ALTER TABLE account PARTITIONS 6`)
      await writer.insert('account', Array.from({ length: ACCOUNTS }, (_, i) => [`a${i}`, OPENING]))
      const followers = [await follower(1, { protocol: 'aria' }), await follower(2, { protocol: 'aria' })]
      for (const f of followers) await caughtUp(f, writer.lastCommittedBatch)
      // Each caller waits for its reply before its next transfer: the next batch reads what the last one wrote.
      await Promise.all(Array.from({ length: CALLERS }, async (_, c) => {
        for (let t = 0; t < TRANSFERS_PER_CALLER; t++) {
          const from = (c * 5 + t * 7) % ACCOUNTS
          const to = (from + 1 + ((c + t) % (ACCOUNTS - 1))) % ACCOUNTS
          await writer.call('account.transfer', `a${from}`, `a${to}`, 1 + ((c * 13 + t) % 40)).catch(() => null)
        }
      }))
      const batch = writer.lastCommittedBatch
      for (const f of followers) await caughtUp(f, batch)
      const reference = await follower(3, { protocol: 'serial', natsLog: { servers: nats.urls, stream, follow: true } })
      await caughtUp(reference, batch)
      return {
        writerDigest: await writer.digest(),
        referenceDigest: await reference.digest(),
        total: await totalBalance(writer),
        shared: writer.stats.sharedPhase1Txns,
        stale: writer.stats.sharedPhase1Stale,
        served: followers.map((f) => f.stats.servedPhase1Txns),
      }
    } finally {
      for (const db of opened.reverse()) await db.close().catch(() => {})
      for (const d of dirs) d.cleanup()
    }
  })
}

natsTest('followers execute their partitions\' share of phase 1; the writer\'s state is a serial execution\'s, the money conserved', async () => {
  const run = await hotTransfers('SHARED')
  assert.ok(run.served.every((n) => n > 0), `both followers executed shares (${run.served.join(', ')})`)
  assert.ok(run.shared > 0, `the writer used followers' executions (${run.shared})`)
  assert.ok(run.stale > 0, `some were made on a state that lacked a later batch's rows (${run.stale} stale)`)
  assert.is(run.total, ACCOUNTS * OPENING)
  assert.is(run.writerDigest, run.referenceDigest, 'the writer\'s state is the serial execution\'s')
})

natsTest('with worker threads on the writer and the followers too', async () => {
  const run = await hotTransfers('SHARED_WORKERS', {}, 2)
  assert.ok(run.served.every((n) => n > 0), `both followers executed shares (${run.served.join(', ')})`)
  assert.ok(run.shared > 0, `the writer used followers' executions (${run.shared})`)
  assert.is(run.total, ACCOUNTS * OPENING)
  assert.is(run.writerDigest, run.referenceDigest)
})

natsTest('the test catches a writer that uses followers\' executions whatever state they were made on (EngineFaults.sharedPhase1IgnoresPosition)', async () => {
  const run = await hotTransfers('SHARED_FAULT', { sharedPhase1IgnoresPosition: true })
  assert.ok(run.shared > 0, `the writer used followers' executions (${run.shared})`)
  assert.ok(run.writerDigest !== run.referenceDigest || run.total !== ACCOUNTS * OPENING,
    'executions made on a lagging state, used as they are, must make the state differ from a serial execution\'s')
})

test.run()
