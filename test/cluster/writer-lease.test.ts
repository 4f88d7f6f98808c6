// The writer lease must outlive the death of the NATS server leading its bucket: the others take
// 5–7 s to elect a leader on this machine, and a writer that stopped meanwhile left a cluster with no
// other node no writer at all (`acheron check --cluster` found it). Meanwhile no other node may take it;
// and once its holder stops renewing, it lapses and another does.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { connect as natsConnect, ErrorCode, NatsError } from 'nats'
import { connect, open } from '../../src/index.js'
import { startServeChild, type ServeChild } from '../../src/cli/serve-child.js'
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js'
import { tempDir } from '../support/tmp.js'
import { WriterLease } from '../../src/cluster/writer-lease.js'
import { JetStreamBatchLog } from '../../src/log/jetstream-log.js'
import { freePort, type NatsNode } from '../../src/cluster/local-nats.js'
import { natsTest, settled, withNats } from '../support/nats.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/**
 * Creates table t on the writer at `url`, stops `follower` (its checkpoint holds the first batches), then
 * writes 20 rows and waits for the writer's checkpoint (every second) to purge the stream past it
 * (--log-batches-kept 2).
 */
async function leaveBehind(url: string, follower: ServeChild): Promise<void> {
  const db = await connect(url)
  try {
    await db.sql('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)')
    follower.child.kill('SIGTERM')
    await once(follower.child, 'exit')
    for (let i = 0; i < 20; i++) await db.sql(`INSERT INTO t VALUES ('k${i}', ${i})`)
    await new Promise((r) => setTimeout(r, 2500))
  } finally {
    await db.close()
  }
}

natsTest('the lease is kept while the NATS server leading its bucket dies and the others elect another; no one else takes it meanwhile', async () => {
  await withNats(3, async (nats) => {
    const holder = await WriterLease.open(nats.urls, 'LEASE', 'holder', 3)
    const rival = await WriterLease.open(nats.urls, 'LEASE', 'rival', 3)
    const nc = await natsConnect({ servers: nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    try {
      assert.ok(await settled(() => holder.tryAcquire()), 'the first node takes the lease')
      const lost: string[] = []
      holder.keep((why) => lost.push(why))
      const jsm = await settled(() => nc.jetstreamManager())
      const leader = (await settled(() => jsm.streams.info('KV_acheron-LEASE'))).cluster?.leader
      const dead = nats.nodes.find((n) => n.name === leader) as NatsNode
      assert.ok(dead !== undefined, `the bucket's leader (${leader}) is one of the servers`)
      dead.kill()
      // Well past the election (5–7 s measured), short of the point where the holder gives up (9 s).
      const until = Date.now() + 8_500
      let rivalGotIt = false
      while (Date.now() < until) {
        if (await rival.tryAcquire().catch(() => false)) rivalGotIt = true
        await new Promise((r) => setTimeout(r, 500))
      }
      assert.equal(lost, [], 'the holder did not lose the lease')
      assert.not.ok(rivalGotIt, 'no other node took it')
      assert.is(await settled(() => rival.holder()), 'holder')
    } finally {
      await nc.close()
      await holder.close()
      await rival.close()
    }
  })
})

natsTest('a lease whose holder stops renewing lapses after its TTL, and another node takes it', async () => {
  await withNats(1, async (nats) => {
    // A short TTL here: the lapse itself is what is tested, not its length.
    const ttlMs = 1_200
    const holder = await WriterLease.open(nats.urls, 'LAPSE', 'holder', 1, ttlMs)
    const rival = await WriterLease.open(nats.urls, 'LAPSE', 'rival', 1, ttlMs)
    try {
      assert.ok(await holder.tryAcquire())
      assert.not.ok(await rival.tryAcquire(), 'held: the rival cannot create it')
      // The holder never renews (a dead process): the rival gets it once the key has expired.
      const start = Date.now()
      await rival.acquire()
      assert.ok(Date.now() - start >= ttlMs / 2, `the rival waited for the lapse (${Date.now() - start} ms)`)
      assert.is(await rival.holder(), 'rival')
    } finally {
      await rival.close()
      await holder.close()
    }
  })
})

natsTest('a create whose reply was lost is recognised as this node\'s own, not waited out for the TTL (before, any NATS error read as "held elsewhere")', async () => {
  await withNats(1, async (nats) => {
    const ttlMs = 6_000
    const lease = await WriterLease.open(nats.urls, 'LOST', 'node-a', 1, ttlMs)
    // The same node's name in another lease object: a restarted process, which must not take it.
    const again = await WriterLease.open(nats.urls, 'LOST', 'node-a', 1, ttlMs)
    const kv = lease.bucket
    const create = kv.create.bind(kv)
    // The create reaches the bucket and is stored; its reply does not come back (a timeout).
    kv.create = async (k, data) => {
      await create(k, data)
      throw new NatsError('TIMEOUT', ErrorCode.Timeout)
    }
    try {
      const start = Date.now()
      assert.ok(await lease.tryAcquire(), 'the create\'s reply was lost, and the lease is this node\'s')
      assert.ok(await lease.tryAcquire(), 'and at the next try too')
      assert.ok(Date.now() - start < ttlMs / 2, `at once, not after the lapse (${Date.now() - start} ms)`)
      kv.create = create
      assert.is(await lease.holder(), 'node-a')
      assert.not.ok(await again.tryAcquire(), 'another lease of the same name does not take it')
      const lost: string[] = []
      lease.keep((why) => lost.push(why))
      await new Promise((r) => setTimeout(r, 1_200))
      assert.equal(lost, [], 'its renewals (compare-and-set on the adopted revision) get through')
      assert.not.ok(await again.tryAcquire(), 'still held')
    } finally {
      await lease.close()
      await again.close()
    }
  })
})

natsTest('check(): after a stall past the stop margin, the loss is declared at once, before any overdue timer runs', async () => {
  await withNats(1, async (nats) => {
    // TTL 1.2 s: renewed every 100 ms, given up 900 ms after the last renewal that got through.
    const lease = await WriterLease.open(nats.urls, 'STALL', 'holder', 1, 1_200)
    try {
      assert.is(lease.check(), false, 'not kept yet')
      assert.ok(await settled(() => lease.tryAcquire()))
      const lost: string[] = []
      lease.keep((why) => lost.push(why))
      await new Promise((r) => setTimeout(r, 400))
      assert.ok(lease.check(), 'renewed meanwhile')
      // A stall (a paused process, a long synchronous task): no timer and no renewal runs.
      const until = performance.now() + 1_000
      while (performance.now() < until) { /* stalled */ }
      assert.is(lease.check(), false)
      assert.is(lost.length, 1, 'declared before check returned')
      assert.match(lost[0] as string, /no renewal got through for \d+ ms/)
      await new Promise((r) => setTimeout(r, 300))
      assert.is(lost.length, 1, 'once')
      assert.is(lease.check(), false)
    } finally {
      await lease.close()
    }
  })
})

test('a lease on NATS servers that are down fails at once, naming them (acheron serve --cluster printed only "CONNECTION_REFUSED")', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`
  const err = await WriterLease.open([url], 'LEASE', 'node', 1).then(() => null, (e: Error) => e)
  assert.match(err?.message ?? '', new RegExp(`^cannot reach the NATS servers of the batch log \\(${url}\\): CONNECTION_REFUSED`))
})

natsTest('replicas on a NATS server outside a cluster are refused at once, with the way out (the open retried it for 30 s, then said only NATS\'s words)', async () => {
  await withNats(1, async (nats) => {
    const started = Date.now()
    const lease = await WriterLease.open(nats.urls, 'SOLO', 'node', 3).then(() => null, (e: Error) => e)
    assert.match(lease?.message ?? '', /^cannot create the bucket acheron-SOLO of the writer lease with 3 replicas: its NATS server is not part of a NATS cluster .*Give --log-replicas 1/)
    const log = await JetStreamBatchLog.open({ servers: nats.urls, stream: 'SOLO', replicas: 3 }).then(() => null, (e: Error) => e)
    assert.match(log?.message ?? '', /^cannot create the stream SOLO with 3 replicas: its NATS server is not part of a NATS cluster .*Give --log-replicas 1/)
    assert.ok(Date.now() - started < 10_000, `refused at once, not after retrying: ${Date.now() - started} ms`)
  })
})

natsTest('a --cluster node whose open fails gives the writer lease up at once (the other nodes waited out its 12 s)', async () => {
  await withNats(1, async (nats) => {
    const { dir, cleanup } = tempDir()
    // The directory is another process's (here this one's): the node takes the lease, then its open fails.
    const holder = await open({ dir })
    const other = await WriterLease.open(nats.urls, 'ACHERON_CLUSTER', 'other', 1)
    try {
      const node = spawnSync(process.execPath, [CLI, 'serve', '--data', dir, '--port', '0', '--cluster', nats.urls.join(',')], { encoding: 'utf8', timeout: 60_000 })
      assert.match(node.stderr, /DATA_DIR_IN_USE|in use/, node.stderr)
      assert.ok(await other.tryAcquire(), 'the lease is free once the node exited')
    } finally {
      await other.close()
      await holder.close()
      cleanup()
    }
  })
})

natsTest('a --cluster node whose directory fell behind the purge starts from the writer\'s snapshot, and takes the writing over when the writer stops', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const node = (i: number): Promise<ServeChild> => startServeChild(['--data', dirs[i]?.dir as string, '--port', '0', '--cluster', nats.urls.join(','), '--log-batches-kept', '2'], { timeoutMs: 60_000, stderr: 'capture' })
    const started: ServeChild[] = []
    try {
      const writer = await node(0)
      started.push(writer)
      let behind = await node(1)
      started.push(behind)
      await leaveBehind(writer.url, behind)
      // Before, it stopped at once ("cannot rebuild its state from the stream"), and took the lease when the
      // writer went, and hung (then: exited 1). Now the writer's snapshot replaces its checkpoint.
      behind = await node(1)
      started.push(behind)
      assert.match(behind.stderrTail(), /this directory's checkpoint holds batches up to \d+, and the stream no longer holds the next: replacing it with the writer's snapshot/)
      // A writer that stops cleanly gives the lease up: the rebuilt node takes it, and writes.
      writer.child.kill('SIGTERM')
      const deadline = Date.now() + 30_000
      while (!/now the writer of the stream ACHERON_CLUSTER/.test(behind.stderrTail())) {
        if (Date.now() > deadline) throw new Error(`the rebuilt node did not take over:\n${behind.stderrTail()}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      const after = await connect(behind.url)
      try {
        await after.sql("INSERT INTO t VALUES ('k20', 20)")
        assert.equal((await after.query<[number, number]>('SELECT COUNT(*), SUM(v) FROM t')).rows.map((r) => r.map(Number)), [[21, 210]])
      } finally {
        await after.close()
      }
    } finally {
      for (const s of started) s.child.kill('SIGKILL')
      for (const d of dirs) d.cleanup()
    }
  })
})

natsTest('a --cluster node behind the purge that takes the free lease first gives it back and follows from the writer\'s snapshot once a node that holds the batches writes (before, it exited 1, and the node writing lost the lease to it)', async () => {
  await withNats(1, async (nats) => {
    const dirs = [tempDir(), tempDir()]
    const args = (i: number): string[] => ['--data', dirs[i]?.dir as string, '--port', '0', '--cluster', nats.urls.join(','), '--log-batches-kept', '2']
    const started: ServeChild[] = []
    let behind: ChildProcess | null = null
    try {
      let writer = await startServeChild(args(0), { timeoutMs: 60_000, stderr: 'capture' })
      started.push(writer)
      // Node 1 follows a while: its checkpoint holds the first batches only.
      const follower = await startServeChild(args(1), { timeoutMs: 60_000, stderr: 'capture' })
      started.push(follower)
      await leaveBehind(writer.url, follower)
      writer.child.kill('SIGTERM') // a clean stop: the lease is free
      await once(writer.child, 'exit')
      // Node 1 starts first, the lease free: it takes it. Not through startServeChild: what it says before
      // it is ready (it waits for a snapshot) is watched.
      const node1 = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, 'serve', ...args(1)], { stdio: ['ignore', 'pipe', 'pipe'] })
      behind = node1
      let said = ''
      node1.stderr.on('data', (b: Buffer) => { said = (said + b.toString('utf8')).slice(-8000) })
      let listening = ''
      node1.stdout.on('data', (b: Buffer) => { listening += b.toString('utf8') })
      for (const deadline = Date.now() + 60_000; !/giving the writer lease of the stream ACHERON_CLUSTER up/.test(said);) {
        if (Date.now() > deadline || node1.exitCode !== null) throw new Error(`node 1 did not give the lease up:\n${said}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.match(said, /this data directory is behind the stream ACHERON_CLUSTER, refusing to write it: its checkpoint \(acheron\.db\) holds batches up to \d+/)
      // The node that holds the batches starts, takes the lease and writes; node 1 takes its snapshot.
      writer = await startServeChild(args(0), { timeoutMs: 60_000, stderr: 'capture' })
      started.push(writer)
      const url = await new Promise<string>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`node 1 not ready within 60 s:\n${said}`)), 60_000)
        const look = (): void => {
          const m = /acheron listening on (ws:\/\/\S+)/.exec(listening)
          if (m !== null) { clearTimeout(deadline); resolve(m[1] as string) } else if (node1.exitCode !== null) { clearTimeout(deadline); reject(new Error(`node 1 exited (${node1.exitCode}):\n${said}`)) } else setTimeout(look, 50)
        }
        look()
      })
      assert.match(said, /started from the writer's snapshot, which holds batches up to \d+/)
      const reader = await connect(url)
      try {
        // Forwarded to the writer, which node 1 follows: the rows are all there.
        await reader.sql("INSERT INTO t VALUES ('k20', 20)")
        assert.equal((await reader.query<[number, number]>('SELECT COUNT(*), SUM(v) FROM t')).rows.map((r) => r.map(Number)), [[21, 210]])
      } finally {
        await reader.close()
      }
      assert.match(writer.stderrTail(), /listening/)
      assert.not.match(writer.stderrTail(), /lost the writer lease/)
    } finally {
      behind?.kill('SIGKILL')
      for (const s of started) s.child.kill('SIGKILL')
      for (const d of dirs) d.cleanup()
    }
  })
})

test.run()
