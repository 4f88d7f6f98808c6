// A node that joins a cluster late, as processes (`acheron serve --failover --log-batches-kept 2`): the
// stream has long been purged behind the writer's checkpoints, so the new node, on an empty directory,
// starts from the writer's snapshot (src/log/snapshots.ts), forwards requests, and after SIGKILL of the
// writer takes over with every acknowledged deposit there once.
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

test.run()
