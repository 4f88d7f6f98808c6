// A `--failover` writer that loses its lease follows the stream again instead of exiting
// (src/cluster/failover.ts). The writer A is paused (SIGSTOP) past the lease's TTL, so the follower B
// takes over; resumed, A finds its lease gone, reopens its directory as a follower and forwards its
// clients' requests to B. Then B is killed, and A takes the stream over again. Clients on both nodes
// deposit throughout: every acknowledged deposit is there once, every deposit that failed as not
// committed is not there, and no other row appears.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect, type Database } from '../../src/index.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

interface Failure { message: string; outcomeUnknown?: boolean; retryable?: boolean }

async function waitFor(what: string, ok: () => boolean, ms: number, node?: ServerProcess): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${node === undefined ? '' : `; its log ends:\n${node.stderr().slice(-3000)}`}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

natsTest('a writer that lost its lease follows the stream again, forwards, and takes the stream over when the new writer dies', async () => {
  await withNats(3, async (nats) => {
    const args = ['--log-nats', nats.urls.join(','), '--log-stream', 'DEMOTE', '--log-replicas', '3', '--failover', '--workers', '0']
    const a = await startServer({ args, readyTimeoutMs: 60_000 })
    const b = await startServer({ args, readyTimeoutMs: 60_000 })
    const onA = await connect(a.url, { requestTimeoutMs: 120_000 })
    const onB = await connect(b.url, { requestTimeoutMs: 120_000 })
    let resumed = false
    try {
      await onA.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
      await onA.createFunction('account.deposit', BANK, { export: 'deposit' })
      const acked = { a: new Set<number>(), b: new Set<number>() }
      const sent = new Set<number>()
      const notCommitted = new Set<number>()
      const failures: Failure[] = []
      let next = 0
      let done = false
      const lane = async (db: Database, mine: Set<number>): Promise<void> => {
        while (!done) {
          const i = next++
          sent.add(i)
          try {
            await db.call('account.deposit', `k${i}`, 1)
            mine.add(i)
          } catch (err) {
            const f = err as Failure
            failures.push(f)
            if (f.outcomeUnknown !== true) notCommitted.add(i)
            await new Promise((r) => setTimeout(r, 50))
          }
        }
      }
      const lanes = [...Array.from({ length: 4 }, () => lane(onA, acked.a)), ...Array.from({ length: 4 }, () => lane(onB, acked.b))]
      const more = async (node: 'a' | 'b', n: number, what: string, ms = 60_000): Promise<void> => {
        const target = acked[node].size + n
        await waitFor(`${n} more deposits through ${node.toUpperCase()} (${what}); last failures: ${failures.slice(-3).map((f) => f.message).join(' | ')}`, () => acked[node].size >= target, ms)
      }
      await more('a', 100, 'A writes')
      await more('b', 100, 'B forwards to A')

      // A stops renewing its lease: B takes over once it lapses, and serves on its own.
      a.child.kill('SIGSTOP')
      await waitFor('B takes over', () => /now the writer of the stream DEMOTE/.test(b.stderr()), 60_000, b)
      await more('b', 100, 'B writes')

      // Resumed, A finds its lease gone: it follows B and forwards its clients' requests to B.
      a.child.kill('SIGCONT')
      resumed = true
      await waitFor('A follows again', () => /following the stream DEMOTE again/.test(a.stderr()), 60_000, a)
      assert.match(a.stderr(), /lost the writer lease of the stream DEMOTE/)
      assert.is(a.child.exitCode, null, 'A is still running')
      await more('a', 100, 'A forwards to B')

      // B dies: A takes the stream over again, and both of A's roles ran in one process.
      await b.kill()
      await waitFor('A takes over', () => /now the writer of the stream DEMOTE/.test(a.stderr()), 60_000, a)
      await more('a', 100, 'A writes again')
      done = true
      await Promise.all(lanes)

      for (const f of failures) assert.ok(f.retryable === true || f.outcomeUnknown === true, `a failure the client may retry or must check: ${f.message}`)
      const rows = (await onA.query<[string, number]>('SELECT id, balance FROM account')).rows
      const balance = new Map(rows.map(([id, v]) => [id, Number(v)]))
      for (const i of [...acked.a, ...acked.b]) assert.is(balance.get(`k${i}`), 1, `acknowledged deposit k${i} is there once`)
      for (const i of notCommitted) assert.is(balance.get(`k${i}`), undefined, `k${i} failed as not committed, yet it is there`)
      for (const [id, v] of balance) assert.ok(v === 1 && sent.has(Number(id.slice(1))), `${id}: ${v}`)
    } finally {
      if (!resumed) a.child.kill('SIGCONT')
      await onA.close()
      await onB.close()
      await b.stop()
      await a.stop()
    }
  })
})

test.run()
