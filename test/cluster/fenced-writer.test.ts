// A `--failover` writer that the stream fences off while it still holds the writer lease gives the
// lease up and follows (src/cluster/failover.ts). Two nodes that take over at once (NATS gave the lease
// twice, or a renewal's reply was lost) both fence the stream, and the later fence wins it: the node left
// with the lease could write nothing, renewed the lease all the same, and no write got through again.
// Here the later fence is made by hand: a second writer opens the stream and fences it.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { connect } from '../../src/index.js'
import { JetStreamBatchLog } from '../../src/log/jetstream-log.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number, nodes: ServerProcess[]): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; the nodes' logs end:\n${nodes.map((n) => n.stderr().slice(-2500)).join('\n----\n')}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

natsTest('a writer fenced off the stream while it holds the lease gives the lease up: another node writes, and so do its clients', async () => {
  await withNats(1, async (nats) => {
    const args = ['--log-nats', nats.urls.join(','), '--log-stream', 'FENCED', '--failover', '--workers', '0']
    const a = await startServer({ args, readyTimeoutMs: 60_000 })
    const b = await startServer({ args, readyTimeoutMs: 60_000 })
    const onA = await connect(a.url, { requestTimeoutMs: 60_000 })
    const onB = await connect(b.url, { requestTimeoutMs: 60_000 })
    try {
      await onA.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0)')
      await onA.createFunction('account.deposit', BANK, { export: 'deposit' })
      await onA.call('account.deposit', 'before', 1)

      // Another writer fences the stream after what A wrote: A's next append is refused for good.
      const other = await JetStreamBatchLog.open({ servers: nats.urls, stream: 'FENCED' })
      await other.fenceForWriting()
      await other.close()
      const fenced = await onA.call('account.deposit', 'fenced', 1).then(() => null, (e: { message: string }) => e)
      assert.ok(fenced !== null, 'the append after the fence is refused')

      // Before: every later write failed the same way, for as long as anyone watched.
      const deposited = new Set<string>()
      let tries = 0
      await waitFor('writes get through again, on both nodes', async () => {
        tries++
        for (const [name, db] of [['a', onA], ['b', onB]] as const) {
          if (deposited.has(name)) continue
          await db.call('account.deposit', `after-${name}`, 1).then(() => deposited.add(name), () => {})
        }
        return deposited.size === 2
      }, 90_000, [a, b])
      assert.match(a.stderr(), /lost the writer lease of the stream FENCED \(the stream refuses this node's appends: another writer appended to the stream FENCED/)
      const rows = (await onB.query<[string, number]>('SELECT id, balance FROM account ORDER BY id')).rows.map(([id, v]) => [id, Number(v)])
      assert.equal(rows, [['after-a', 1], ['after-b', 1], ['before', 1]], `after ${tries} tries`)
    } finally {
      await onA.close()
      await onB.close()
      await b.stop()
      await a.stop()
    }
  })
})

test.run()
