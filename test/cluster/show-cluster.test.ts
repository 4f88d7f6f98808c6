// SHOW CLUSTER (src/cluster/members.ts): every --failover node lists the nodes of its stream — role, URL,
// the batch it holds and how far behind the writer it is — from what they announce in the lease's
// bucket; a node that stops cleanly leaves the list at once, one killed within the lease's lifetime, and
// a follower answers it while no node writes. A server that is no node refuses it.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { AcheronError, connect, open, type RemoteDatabase } from '../../src/index.js'
import { natsTest, withNats } from '../support/nats.js'
import { startServer } from '../support/server-process.js'
import { ClusterMembers, memberKey } from '../../src/cluster/members.js'
import { WriterLease } from '../../src/cluster/writer-lease.js'

type Row = [string, string, string, number, number | null, number, number]

async function members(db: RemoteDatabase): Promise<Row[]> {
  const r = await db.query<Row>('SHOW CLUSTER')
  assert.equal(r.columns, ['node', 'role', 'url', 'batch', 'behind', 'heard_ms_ago', 'self'])
  assert.is(r.commit.seq, -1, 'outside the order, as SHOW STATS')
  return r.rows
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

test('a database that is no node of a cluster refuses SHOW CLUSTER', async () => {
  const db = await open({ memory: true })
  try {
    const e = await db.query('SHOW CLUSTER').then(() => null, (err: unknown) => err)
    assert.instance(e, AcheronError)
    assert.is((e as AcheronError).code, 'FORBIDDEN')
    assert.match((e as AcheronError).message, /no node of a cluster/)
  } finally {
    await db.close()
  }
})

natsTest('SHOW CLUSTER on any node: who writes, who follows and how far behind; nodes leave the list when they stop or die', async () => {
  await withNats(1, async (nats) => {
    const args = ['--log-nats', nats.urls[0] as string, '--log-stream', 'MEMBERS', '--failover', '--workers', '0']
    const first = await startServer({ args, readyTimeoutMs: 60_000 })
    const second = await startServer({ args, readyTimeoutMs: 60_000 })
    const a = await connect(first.url)
    const b = await connect(second.url)
    let third: Awaited<ReturnType<typeof startServer>> | null = null
    try {
      await a.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 2)')
      // The node that answers lists itself as it is now, not as it last announced (up to a second ago).
      const own = (await members(a)).find((r) => r[6] === 1)
      assert.equal([own?.[1], own?.[2], own?.[4], own?.[5]], ['writer', first.url, 0, 0])
      assert.ok(Number(own?.[3]) >= 3, `the writer's own row holds its 3 batches: ${JSON.stringify(own)}`)
      let rows: Row[] = []
      // Each node announces the batch it holds every second: the writer its DDL and inserts (3 batches),
      // the follower the same once it applied them.
      await until('both nodes listed, the follower caught up', 10_000, async () => {
        rows = await members(b)
        return rows.length === 2 && rows.every((r) => r[3] >= 3 && r[4] === 0)
      })
      const byUrl = new Map(rows.map((r) => [r[2], r]))
      assert.is(byUrl.get(first.url)?.[1], 'writer')
      assert.is(byUrl.get(second.url)?.[1], 'follower')
      assert.equal(rows.map((r) => r[6]), rows.map((r) => (r[2] === second.url ? 1 : 0)), 'self marks the node that answered')
      assert.ok(rows.every((r) => r[5] < 5_000), 'heard within the last seconds')
      assert.equal((await members(a)).map((r) => [r[2], r[1]]), rows.map((r) => [r[2], r[1]]), 'the writer lists the same nodes')

      // A node that stops cleanly takes its entry out at once.
      third = await startServer({ args, readyTimeoutMs: 60_000 })
      await until('the third node listed', 10_000, async () => (await members(a)).length === 3)
      await third.stop()
      third = null
      await until('the stopped node gone', 3_000, async () => (await members(a)).length === 2)

      // SIGKILL of the writer: the follower answers SHOW CLUSTER meanwhile (it needs no writer), and once
      // it took over, lists itself alone as the writer.
      await first.kill()
      assert.is((await members(b)).length >= 1, true)
      await until('the follower took over and the dead writer left the list', 40_000, async () => {
        const now = await members(b)
        return now.length === 1 && now[0]?.[1] === 'writer' && now[0]?.[2] === second.url
      })
    } finally {
      await a.close()
      await b.close()
      await third?.stop()
      await second.stop()
      await first.kill()
    }
  })
})

natsTest('listing the members never waits on an entry that expires while it is listed', async () => {
  // KV.keys() reads through a consumer until the entry it was told is last, and waited forever when that
  // one expired on the way: SHOW CLUSTER then hung, and the server with it at its stop (it waits for the
  // requests it has not answered). Here entries expire every round while the list is read without pause;
  // with KV.keys() about a third of the rounds hung.
  await withNats(1, async (nats) => {
    const ttlMs = 500
    const lease = await WriterLease.open(nats.urls, 'EXPIRY', 'lister', 1, ttlMs)
    const members = new ClusterMembers(lease, 'lister', 'ws://lister', () => ({ role: 'follower', batch: 0 }), () => {})
    try {
      let listings = 0
      for (let round = 0; round < 15; round++) {
        for (let n = 0; n < 5; n++) {
          const node = `node-${n}`
          await lease.bucket.put(memberKey(node), new TextEncoder().encode(JSON.stringify({ node, url: `ws://${node}`, role: 'follower', batch: round })))
        }
        let seen = 5
        const deadline = Date.now() + ttlMs * 10
        while (seen > 0 && Date.now() < deadline) {
          const listed = await members.list()
          listings++
          assert.ok(listed.length <= seen, 'entries only leave between puts')
          assert.ok(listed.every((m) => m.batch === round))
          seen = listed.length
        }
        assert.is(seen, 0, 'every entry expired within ten times the TTL')
      }
      assert.ok(listings > 100, `listed ${listings} times`)
    } finally {
      await members.close()
      await lease.close()
    }
  })
})

natsTest('a plain --follow node answers SHOW CLUSTER for itself: a follower, the batch it applied, the stream and servers it reads', async () => {
  await withNats(1, async (nats) => {
    const common = ['--log-nats', nats.urls[0] as string, '--log-stream', 'PLAIN', '--workers', '0']
    const writer = await startServer({ args: common, readyTimeoutMs: 60_000 })
    const follower = await startServer({ args: [...common, '--follow'], readyTimeoutMs: 60_000 })
    const w = await connect(writer.url)
    const f = await connect(follower.url)
    try {
      await w.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 2)')
      let rows: unknown[][] = []
      // Before: the statement went to the writer, which said "this server is no node of a cluster".
      await until('the follower applied the 3 batches', 10_000, async () => {
        const r = await f.query('SHOW CLUSTER')
        assert.equal(r.columns, ['node', 'role', 'url', 'batch', 'behind', 'heard_ms_ago', 'self', 'stream', 'servers'])
        rows = r.rows
        return Number(rows[0]?.[3]) >= 3
      })
      assert.is(rows.length, 1)
      const row = rows[0] as unknown[]
      assert.equal([row[1], row[2], row[4], row[5], row[6], row[7], row[8]], ['follower', follower.url, null, 0, 1, 'PLAIN', nats.urls[0]])
      assert.match(String(row[0]), /:\d+$/, 'host:pid')
      // The writer of a plain --log-nats stream is in no cluster, as before.
      const e = await w.query('SHOW CLUSTER').then(() => null, (err: unknown) => err)
      assert.match((e as Error).message, /no node of a cluster/)
    } finally {
      await Promise.allSettled([w.close(), f.close()])
      await follower.stop()
      await writer.stop()
    }
  })
})

test.run()
