// The engine on a JetStream batch log: a data directory that holds nothing recovers the whole state
// from the stream, batch by batch the same as the first run; and with the stream replicated over three
// NATS servers, SIGKILL of one NATS server and then of `acheron serve` itself mid-run loses no
// acknowledged transaction and applies none twice.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect, open, type BatchRecord, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer } from '../support/server-process.js'
import { tempDir } from '../support/tmp.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

async function bank(options: OpenOptions): Promise<EmbeddedDatabase> {
  const db = await open(options)
  await db.sql('CREATE TABLE IF NOT EXISTS account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
  return db
}

natsTest('a new data directory recovers from the stream: every batch replays to the digest and results the first run published', async () => {
  await withNats(1, async (nats) => {
    const first = tempDir()
    const second = tempDir()
    const opened: EmbeddedDatabase[] = []
    try {
      const natsLog = { servers: nats.urls, stream: 'RECOVER' }
      const live: { batch: number; digest: string; outcomes: string }[] = []
      const record = async (r: BatchRecord, into: typeof live): Promise<void> => {
        into.push({ batch: r.batch, digest: await r.digest(), outcomes: JSON.stringify(r.outcomes, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) })
      }
      const pending: Promise<void>[] = []
      const db = await bank({ dir: first.dir, workers: 0, natsLog, onBatch: (r) => { pending.push(record(r, live)) } })
      opened.push(db)
      await db.sql(`CREATE FUNCTION account.transfer FROM WASM X'${Buffer.from(BANK).toString('hex')}'; CREATE FUNCTION account.deposit FROM WASM X'${Buffer.from(BANK).toString('hex')}'`)
      await db.sql(`INSERT INTO account VALUES ${Array.from({ length: 50 }, (_, i) => `('a${i}', 100)`).join(', ')}`)
      // Transfers that overdraw abort (TXN_ABORTED): outcomes of both kinds are in the log's replay.
      const calls = Array.from({ length: 400 }, (_, i) => db.call('account.transfer', `a${i % 50}`, `a${(i * 7 + 3) % 50}`, 1 + (i % 60)).then(() => 'ok', (e: Error) => e.message))
      const results = await Promise.all(calls)
      assert.ok(results.includes('ok') && results.some((r) => r !== 'ok'), 'some transfers commit, some abort')
      await Promise.all(pending)
      const digest = await db.digest()
      const total = await db.query('SELECT SUM(balance) AS total FROM account')
      await db.close()

      // The second directory is empty: it has no checkpoint, so the whole stream replays.
      const replayed: typeof live = []
      const again = await bank({ dir: second.dir, workers: 0, natsLog, onBatch: (r) => { if (r.replayed) pending.push(record(r, replayed)) } })
      opened.push(again)
      await Promise.all(pending)
      assert.is(await again.digest(), digest)
      assert.equal((await again.query('SELECT SUM(balance) AS total FROM account')).rows, total.rows)
      assert.ok(again.stats.replayedBatches > 0)
      assert.equal(replayed.map((r) => r.batch), live.map((r) => r.batch), 'the same batches')
      assert.equal(replayed.map((r) => r.digest), live.map((r) => r.digest), 'the same state after each batch')
      assert.equal(replayed.map((r) => r.outcomes), live.map((r) => r.outcomes), 'the same outcomes, positions included')
      // And it goes on appending after what it replayed.
      await again.call('account.transfer', 'a1', 'a2', 1)
      await again.close()
    } finally {
      // Closed also when an assertion failed: an open engine's NATS connection would keep the run alive.
      for (const db of opened) await db.close()
      first.cleanup()
      second.cleanup()
    }
  })
})

natsTest('NATS stops answering mid-append: the batch fails as outcome unknown and the engine stops; the next start reads the stream, which decides', async () => {
  await withNats(1, async (nats) => {
    const first = tempDir()
    const second = tempDir()
    const opened: EmbeddedDatabase[] = []
    try {
      const natsLog = { servers: nats.urls, stream: 'UNKNOWN', appendTimeoutMs: 1500 }
      const db = await bank({ dir: first.dir, workers: 0, natsLog })
      opened.push(db)
      await db.sql(`CREATE FUNCTION account.deposit FROM WASM X'${Buffer.from(BANK).toString('hex')}'`)
      await db.call('account.deposit', 'before', 5)
      const node = nats.nodes[0]
      assert.ok(node !== undefined)
      node.kill()
      await new Promise((r) => node.process.once('exit', r))
      const err = await db.call('account.deposit', 'during', 7).then(() => null, (e: unknown) => e)
      assert.instance(err, Error)
      assert.match((err as Error).message, /outcome unknown: no answer from the NATS cluster for 1500 ms/)
      assert.is((err as { outcomeUnknown?: boolean }).outcomeUnknown, true, 'the caller is told not to send it again blindly')
      const later = await db.call('account.deposit', 'later', 1).then(() => null, (e: unknown) => e)
      assert.match((later as Error).message, /the engine stopped/)
      await node.restart()
      const again = await bank({ dir: second.dir, workers: 0, natsLog })
      opened.push(again)
      const rows = (await again.query('SELECT id, balance FROM account ORDER BY id')).rows
      // 'during' may or may not have reached the stream before the server died; nothing after it did.
      const seen = JSON.stringify(rows, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
      assert.ok([JSON.stringify([['before', 5]]), JSON.stringify([['before', 5], ['during', 7]])].includes(seen), seen)
    } finally {
      for (const db of opened) await db.close().catch(() => {})
      first.cleanup()
      second.cleanup()
    }
  })
})

natsTest('R3 stream: SIGKILL of a NATS server, then of acheron serve, mid-run: a new server on a new directory has every acknowledged deposit exactly once', async () => {
  await withNats(3, async (nats) => {
    const logArgs = ['--log-nats', nats.urls.join(','), '--log-stream', 'BANK', '--log-replicas', '3', '--workers', '0']
    const server = await startServer({ args: logArgs, readyTimeoutMs: 60_000 })
    const db = await connect(server.url)
    await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
    await db.createFunction('account.deposit', BANK, { export: 'deposit' })
    // Each deposit goes to a key of its own: after recovery an acknowledged one reads 1, any other 0 or 1.
    const acked = new Set<number>()
    const sent = new Set<number>()
    let next = 0
    let stopAt = Infinity
    const lane = async (): Promise<void> => {
      while (next < stopAt) {
        const i = next++
        sent.add(i)
        try {
          await db.call('account.deposit', `k${i}`, 1)
          acked.add(i)
        } catch {
          return // the server was killed: this lane stops
        }
      }
    }
    const lanes = Array.from({ length: 8 }, () => lane())
    while (acked.size < 300) await new Promise((r) => setTimeout(r, 20))
    nats.nodes[1]?.kill()
    const atNatsKill = acked.size
    // The stream keeps a quorum of two: deposits go on (after a leader election if the killed one led).
    while (acked.size < atNatsKill + 300) await new Promise((r) => setTimeout(r, 20))
    await server.kill()
    stopAt = next
    await Promise.all(lanes)
    await db.close().catch(() => {})

    const fresh = await startServer({ args: logArgs, readyTimeoutMs: 60_000 })
    const check = await connect(fresh.url)
    try {
      const rows = (await check.query<[string, number]>('SELECT id, balance FROM account')).rows
      const balance = new Map(rows.map(([id, b]) => [id, Number(b)]))
      for (const i of acked) assert.is(balance.get(`k${i}`), 1, `acknowledged deposit k${i} is there once`)
      for (const [id, b] of balance) {
        assert.ok(b === 1 && sent.has(Number(id.slice(1))), `${id}: ${b}, from a deposit that was sent`)
      }
      assert.ok(acked.size >= 600, `${acked.size} acknowledged`)
    } finally {
      await check.close()
      await fresh.stop()
    }
  })
})

natsTest('a writer opened at its start fences the stream: a writer before it (its lease lapsed while paused) is refused at its next append, and nothing it had acknowledged is missing from the new one', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const opened: EmbeddedDatabase[] = []
    try {
      const natsLog = { servers: nats.urls, stream: 'STARTFENCE' }
      const old = await bank({ dir: dirs[0]?.dir as string, workers: 0, natsLog })
      opened.push(old)
      await old.sql("INSERT INTO account VALUES ('a', 1)")
      // Another node opens the stream to write while the old writer lives (as after its lease lapsed).
      // (open, not bank: its CREATE TABLE IF NOT EXISTS would append, and an append fences too.)
      const now = await open({ dir: dirs[1]?.dir as string, workers: 0, natsLog })
      opened.push(now)
      // Before, the old writer appended on until the new one's first append, and the new one served reads
      // from a state without those writes meanwhile.
      const refused = await old.sql("INSERT INTO account VALUES ('b', 2)").then(() => null, (e: Error) => e)
      assert.match(refused?.message ?? 'it committed', /another writer appended to the stream STARTFENCE/)
      assert.equal((await now.query('SELECT id, balance FROM account ORDER BY id')).rows, [['a', 1]])
      await now.sql("INSERT INTO account VALUES ('c', 3)")
      assert.equal((await now.query('SELECT id, balance FROM account ORDER BY id')).rows, [['a', 1], ['c', 3]])
    } finally {
      for (const db of opened) await db.close().catch(() => {})
      for (const d of dirs) d.cleanup()
    }
  })
})

test.run()
