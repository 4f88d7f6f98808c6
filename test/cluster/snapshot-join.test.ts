// A node that joins a cluster late, as processes (`acheron serve --failover --log-batches-kept 2`): the
// stream has long been purged behind the writer's checkpoints, so the new node, on an empty directory,
// starts from the writer's snapshot (src/log/snapshots.ts), forwards requests, and after SIGKILL of the
// writer takes over with every acknowledged deposit there once. Followers stopped while the stream was
// purged past them rebuild from the writer's snapshot the same way.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect as natsConnect } from 'nats'
import { connect, type RemoteDatabase } from '../../src/index.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer } from '../support/server-process.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

/** Deposits 1 at each of `keys`, retrying what did not run (no writer for a moment); returns the keys acknowledged. */
async function depositAll(db: RemoteDatabase, keys: readonly string[]): Promise<Set<string>> {
  const acked = new Set<string>()
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      const k = keys[next++] as string
      for (let tries = 0; ; tries++) {
        try {
          await db.call('account.deposit', k, 1)
          acked.add(k)
          break
        } catch (err) {
          const e = err as { retryable?: boolean; outcomeUnknown?: boolean; message: string }
          // Unknown outcome: it may have committed, so it is not sent again (the check below allows 0 or 1).
          if (e.outcomeUnknown === true) break
          if (e.retryable !== true || tries > 200) throw err
          await new Promise((r) => setTimeout(r, 50))
        }
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, () => lane()))
  return acked
}

natsTest('a node started long after the stream was purged joins from a snapshot and takes over when the writer dies', async () => {
  await withNats(1, async (nats) => {
    const args = ['--log-nats', nats.urls.join(','), '--log-stream', 'JOIN', '--failover', '--workers', '0', '--log-batches-kept', '2', '--checkpoint-interval-ms', '20']
    const writer = await startServer({ args, readyTimeoutMs: 60_000 })
    const nc = await natsConnect({ servers: nats.urls })
    let joiner: Awaited<ReturnType<typeof startServer>> | null = null
    const dbs: RemoteDatabase[] = []
    try {
      const w = await connect(writer.url)
      dbs.push(w)
      await w.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
      await w.createFunction('account.deposit', BANK, { export: 'deposit' })
      const keys = Array.from({ length: 450 }, (_, i) => `k${i}`)
      const acked = await depositAll(w, keys.slice(0, 300))
      const jsm = await nc.jetstreamManager()
      const deadline = Date.now() + 20_000
      while ((await jsm.streams.info('JOIN')).state.first_seq === 1) {
        if (Date.now() > deadline) throw new Error('the stream was never purged')
        await new Promise((r) => setTimeout(r, 50))
      }

      joiner = await startServer({ args, readyTimeoutMs: 60_000 })
      assert.match(joiner.stderr(), /started from the writer's snapshot, which holds batches up to \d+/)
      const j = await connect(joiner.url)
      dbs.push(j)
      for (const k of await depositAll(j, keys.slice(300, 400))) acked.add(k)

      await writer.kill()
      const takeover = Date.now() + 30_000
      while (!/now the writer of the stream JOIN/.test(joiner.stderr())) {
        if (Date.now() > takeover) throw new Error(`the joined node did not take over:\n${joiner.stderr().slice(-2000)}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      for (const k of await depositAll(j, keys.slice(400))) acked.add(k)

      const rows = (await j.query<[string, number]>('SELECT id, balance FROM account')).rows
      const balance = new Map(rows.map(([id, b]) => [id, Number(b)]))
      for (const k of acked) assert.is(balance.get(k), 1, `acknowledged deposit ${k} is there once`)
      for (const [k, b] of balance) assert.ok(b === 1 && keys.includes(k), `${k}: ${b}`)
      assert.ok(acked.size >= 440, `${acked.size} of 450 acknowledged`)
    } finally {
      for (const db of dbs) await db.close().catch(() => {})
      await joiner?.stop()
      await writer.kill().catch(() => {})
      await nc.close()
    }
  })
})

natsTest('followers stopped while the stream was purged past them rebuild from the writer\'s snapshot and follow on (--failover and --follow)', async () => {
  await withNats(1, async (nats) => {
    const common = ['--log-nats', nats.urls.join(','), '--log-stream', 'BEHIND', '--workers', '0', '--log-batches-kept', '2', '--checkpoint-interval-ms', '20']
    const writer = await startServer({ args: [...common, '--failover'], readyTimeoutMs: 60_000 })
    const nc = await natsConnect({ servers: nats.urls })
    const followers: Awaited<ReturnType<typeof startServer>>[] = []
    const dbs: RemoteDatabase[] = []
    try {
      const w = await connect(writer.url)
      dbs.push(w)
      await w.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
      await w.createFunction('account.deposit', BANK, { export: 'deposit' })
      followers.push(await startServer({ args: [...common, '--failover'], readyTimeoutMs: 60_000 }))
      followers.push(await startServer({ args: [...common, '--follow'], readyTimeoutMs: 60_000 }))
      const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`)
      const acked = await depositAll(w, keys.slice(0, 100))
      // Both followers hold the first deposits (a read through one waits until it applied what the writer released).
      for (const f of followers) {
        const db = await connect(f.url)
        dbs.push(db)
        assert.is(Number((await db.query<[number]>('SELECT COUNT(*) FROM account')).rows[0]?.[0]), acked.size)
      }
      // Stopped (as a machine that hangs, or a long pause), they read nothing while the writer checkpoints
      // and purges far past the batches they hold: past what their pending pulls took before they stopped
      // too (a pull asks for up to 100 messages; that many wait in their sockets).
      const jsm = await nc.jetstreamManager()
      const stoppedAt = (await jsm.streams.info('BEHIND')).state.last_seq
      for (const f of followers) f.child.kill('SIGSTOP')
      let sent = 100
      const deadline = Date.now() + 60_000
      while ((await jsm.streams.info('BEHIND')).state.first_seq <= stoppedAt + 500) {
        if (Date.now() > deadline || sent >= 4900) throw new Error(`the stream was never purged past the stopped followers: ${JSON.stringify((await jsm.streams.info('BEHIND')).state)}, stopped at ${stoppedAt}`)
        for (const k of await depositAll(w, keys.slice(sent, sent + 300))) acked.add(k)
        sent += 300
      }
      for (const f of followers) f.child.kill('SIGCONT')
      for (const f of followers) {
        const rebuilt = Date.now() + 30_000
        while (!/following the stream BEHIND again, from the writer's snapshot: batch \d+/.test(f.stderr())) {
          if (Date.now() > rebuilt) throw new Error(`the follower did not rebuild:\n${f.stderr().slice(-3000)}`)
          await new Promise((r) => setTimeout(r, 50))
        }
        assert.match(f.stderr(), /fell behind the stream BEHIND's purge/)
        assert.match(f.stderr(), /replacing it with the writer's snapshot/)
      }
      // They serve again: requests forwarded through them, reads answered by them, and the state is the writer's.
      const [viaFailover, viaFollow] = dbs.slice(1) as [RemoteDatabase, RemoteDatabase]
      for (const k of await depositAll(viaFailover, keys.slice(sent, sent + 50))) acked.add(k)
      for (const k of await depositAll(viaFollow, keys.slice(sent + 50, sent + 100))) acked.add(k)
      const all = 'SELECT id, balance FROM account ORDER BY id'
      const expected = (await w.query<[string, number]>(all)).rows
      for (const k of acked) assert.ok(expected.some(([id, b]) => id === k && Number(b) === 1), `acknowledged deposit ${k} is there once`)
      for (const db of [viaFailover, viaFollow]) assert.equal((await db.query<[string, number]>(all)).rows, expected)
      // Rebuilt, the --failover follower is still a candidate: it takes over when the writer dies.
      await writer.kill()
      const takeover = Date.now() + 30_000
      while (!/now the writer of the stream BEHIND/.test(followers[0]?.stderr() ?? '')) {
        if (Date.now() > takeover) throw new Error(`the rebuilt node did not take over:\n${followers[0]?.stderr().slice(-2000)}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.equal((await viaFailover.query<[string, number]>(all)).rows, expected)
    } finally {
      for (const db of dbs) await db.close().catch(() => {})
      for (const f of followers) {
        f.child.kill('SIGCONT')
        await f.stop().catch(() => f.kill())
      }
      await writer.kill().catch(() => {})
      await nc.close()
    }
  })
})

test.run()
