// Fail-over on an R3 stream (`acheron serve --failover`): the first node takes the writer lease, the
// second follows and forwards; SIGKILL of the writer mid-run, and the follower takes over within a few
// seconds and goes on answering. No acknowledged deposit is lost or applied twice. The calls that were
// waiting on the dead writer are settled for certain: those it logged are answered from the stream, the
// rest fail as not run (and did not run) once the follower has taken the whole stream over; none is left
// "outcome unknown".
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect } from '../../src/index.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer } from '../support/server-process.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

/**
 * A writer, a `--failover` node that takes over when it dies, and the node the client is on: that one
 * (`taker`), or a `--follow` node that never writes. 8 lanes of deposits through it; SIGKILL of the
 * writer, or (`logWrite`) its death right after the stream stored its log write of that number, before
 * it released the batch.
 */
async function killTheWriter(clientOn: 'taker' | 'plain follower', logWrite?: number): Promise<void> {
  await withNats(3, async (nats) => {
    const stream = clientOn === 'taker' ? 'FAILOVER' : 'FAILOVER3'
    const base = ['--log-nats', nats.urls.join(','), '--log-stream', stream, '--log-replicas', '3', '--workers', '0']
    const args = [...base, '--failover']
    const writer = await startServer({ args: logWrite === undefined ? args : [...args, '--crash-at', `log-write:${logWrite}`], readyTimeoutMs: 60_000 })
    const taker = await startServer({ args, readyTimeoutMs: 60_000 })
    const plain = clientOn === 'plain follower' ? await startServer({ args: [...base, '--follow'], readyTimeoutMs: 60_000 }) : null
    const db = await connect((plain ?? taker).url)
    try {
      await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4')
      await db.createFunction('account.deposit', BANK, { export: 'deposit' })
      const acked = new Set<number>()
      const sent = new Set<number>()
      let died: number | null = null
      /** Calls sent before the writer died and answered a second or more after: from the stream. */
      let fromStream = 0
      const failures: { i: number; message: string; outcomeUnknown?: boolean; retryable?: boolean }[] = []
      let next = 0
      let done = false
      const lane = async (): Promise<void> => {
        while (!done) {
          const i = next++
          sent.add(i)
          const before = died === null
          try {
            await db.call('account.deposit', `k${i}`, 1)
            acked.add(i)
            if (before && died !== null && performance.now() - died >= 1_000) fromStream++
          } catch (err) {
            const e = err as { message: string; outcomeUnknown?: boolean; retryable?: boolean }
            failures.push({ i, message: e.message, ...(e.outcomeUnknown !== undefined ? { outcomeUnknown: e.outcomeUnknown } : {}), ...(e.retryable !== undefined ? { retryable: e.retryable } : {}) })
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
      if (logWrite === undefined) {
        await until(200, 30_000)
        await writer.kill()
      } else {
        await writer.exited
      }
      died = performance.now()
      const atKill = acked.size
      await until(atKill + 200, 40_000)
      done = true
      await Promise.all(lanes)
      // While no node wrote, calls that were waiting on the dead writer waited for the next one. Those it
      // had logged were answered from the stream; the others did not run and may be retried, as did calls
      // sent meanwhile that failed (held when the follower took over). Before calls were logged with
      // their origin, those waiting on the dead writer were all outcome unknown.
      for (const f of failures) assert.ok(/did not run; retry$/.test(f.message) && f.retryable === true && f.outcomeUnknown !== true, f.message)
      const rows = (await db.query<[string, number]>('SELECT id, balance FROM account')).rows
      const balance = new Map(rows.map(([id, b]) => [id, Number(b)]))
      for (const i of acked) assert.is(balance.get(`k${i}`), 1, `acknowledged deposit k${i} is there once`)
      // A call said not to have run did not.
      for (const f of failures) if (f.outcomeUnknown !== true) assert.is(balance.get(`k${f.i}`), undefined, `k${f.i} did not run: ${f.message}`)
      for (const [id, b] of balance) assert.ok(b === 1 && sent.has(Number(id.slice(1))), `${id}: ${b}`)
      assert.match(taker.stderr(), new RegExp(`now the writer of the stream ${stream}`))
      // The batch the writer died logging held calls in flight: they committed, and were answered from
      // the stream once the follower took over (no writer could answer them: it took over 10 s).
      if (logWrite !== undefined) assert.ok(fromStream > 0, `no call in flight at the writer's death was answered from the stream (${failures.length} failed)`)
    } finally {
      await db.close()
      await plain?.stop()
      await taker.stop()
    }
  })
}

natsTest('SIGKILL of the writer: the follower takes the lease and the stream over; every acknowledged deposit is there once, and no call it forwarded is left outcome unknown', async () => {
  await killTheWriter('taker')
})

natsTest('the writer dies right after the stream stored a batch, before it released it: its calls commit, answered from the stream by the node that takes over', async () => {
  await killTheWriter('taker', 40)
})

natsTest('SIGKILL of the writer, the client on a node that only follows: another node takes over; no call is left outcome unknown, and those said not run did not', async () => {
  await killTheWriter('plain follower')
})

test.run()
