// Fail-over on an R3 stream (`acheron serve --failover`): the first node takes the writer lease, the
// second follows and forwards; SIGKILL of the writer mid-run, and the follower takes over within a few
// seconds and goes on answering. No acknowledged deposit is lost or applied twice; requests that were
// waiting on the dead writer fail as outcome unknown, never as "not committed".
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect } from '../../src/index.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer } from '../support/server-process.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

natsTest('SIGKILL of the writer: the follower takes the lease and the stream over; every acknowledged deposit is there once', async () => {
  await withNats(3, async (nats) => {
    const args = ['--log-nats', nats.urls.join(','), '--log-stream', 'FAILOVER', '--log-replicas', '3', '--failover', '--workers', '0']
    const writer = await startServer({ args, readyTimeoutMs: 60_000 })
    const follower = await startServer({ args, readyTimeoutMs: 60_000 })
    const db = await connect(follower.url)
    try {
      await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
      await db.createFunction('account.deposit', BANK, { export: 'deposit' })
      const acked = new Set<number>()
      const sent = new Set<number>()
      const failures: { message: string; outcomeUnknown?: boolean; retryable?: boolean }[] = []
      let next = 0
      let done = false
      const lane = async (): Promise<void> => {
        while (!done) {
          const i = next++
          sent.add(i)
          try {
            await db.call('account.deposit', `k${i}`, 1)
            acked.add(i)
          } catch (err) {
            failures.push(err as { message: string; outcomeUnknown?: boolean; retryable?: boolean })
            await new Promise((r) => setTimeout(r, 50))
          }
        }
      }
      const lanes = Array.from({ length: 8 }, () => lane())
      const until = async (n: number, ms: number): Promise<void> => {
        const deadline = Date.now() + ms
        while (acked.size < n) {
          if (Date.now() > deadline) throw new Error(`${acked.size} of ${n} acknowledged; failures: ${failures.slice(-3).map((f) => f.message).join(' | ')}`)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      await until(200, 30_000)
      await writer.kill()
      const atKill = acked.size
      await until(atKill + 200, 30_000)
      done = true
      await Promise.all(lanes)
      // While no node wrote: requests that were waiting on the dead writer are outcome unknown (the
      // client must not resend them blindly); requests sent meanwhile waited for a writer, and those that
      // failed (none came in time, or the follower held them when it took over) did not run and may be retried.
      for (const f of failures) {
        if (/^outcome unknown/.test(f.message)) assert.is(f.outcomeUnknown, true, f.message)
        else assert.ok(/did not run; retry$/.test(f.message) && f.retryable === true && f.outcomeUnknown !== true, f.message)
      }
      const rows = (await db.query<[string, number]>('SELECT id, balance FROM account')).rows
      const balance = new Map(rows.map(([id, b]) => [id, Number(b)]))
      for (const i of acked) assert.is(balance.get(`k${i}`), 1, `acknowledged deposit k${i} is there once`)
      for (const [id, b] of balance) assert.ok(b === 1 && sent.has(Number(id.slice(1))), `${id}: ${b}`)
      assert.match(follower.stderr(), /now the writer of the stream FAILOVER/)
    } finally {
      await db.close()
      await follower.stop()
    }
  })
})

test.run()
