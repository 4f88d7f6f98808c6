// Read-only queries answered by the follower a client is connected to (src/cluster/follower-reads.ts),
// over real NATS, a writer's and a follower's server, and SDK clients: a read sent through the follower
// after a write's reply came (through the writer) sees that write — strict serializability — and takes a
// position after it; reads on the writer and on the follower never share a position; the follower runs
// those reads itself (the writer only hands out positions), while writes, point reads that are sequenced,
// and scripts of several statements still go to the writer and come back as the writer answered them.
// A follower given a position past what it has applied waits for that batch and reads exactly its
// state; one that does not wait (EngineFaults.followerReadsIgnorePosition) misses the batch.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { ForwardedRequests, RequestForwarder } from '../../src/cluster/forwarding.js'
import { connect, open, type EmbeddedDatabase } from '../../src/index.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import type { EngineFaults } from '../../src/txn/faults.js'
import type { ReadPositionSource } from '../../src/cluster/local-reads.js'
import type { AcheronError } from '../../src/errors.js'
import { openBank } from '../support/bank.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

interface Pair {
  writerUrl: string
  followerUrl: string
  follower: EmbeddedDatabase
  forwarded: ForwardedRequests
  forwarder: RequestForwarder
}

/** A writer and a follower on one stream, each behind its own server; the follower answers reads itself. */
async function withPair<T>(stream: string, faults: EngineFaults, body: (p: Pair) => Promise<T>): Promise<T> {
  return withNats(1, async (nats) => {
    const [a, b] = [tempDir(), tempDir()]
    const writer = await openBank({ dir: a.dir, natsLog: { servers: nats.urls, stream } })
    const writerServer = await AcheronServer.listen({ db: writer, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
    const forwarded = await ForwardedRequests.serve(nats.urls, stream, (raw, role, max) => writerServer.handleForwarded(raw, role, max), { reserveReads: (n) => writerServer.reserveReadPositions(n) })
    const follower = await open({ dir: b.dir, natsLog: { servers: nats.urls, stream, follow: true }, faults, runtimes: { js: JS_RUNTIME } })
    const forwarder = await RequestForwarder.open(nats.urls, stream)
    const followerServer = await AcheronServer.listen({
      db: follower, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {},
      forward: { forward: (raw, role, fromLog) => forwarder.forward(raw, role, fromLog), readPositions: forwarder.readPositions },
    })
    try {
      return await body({ writerUrl: writerServer.url, followerUrl: followerServer.url, follower, forwarded, forwarder })
    } finally {
      await followerServer.close()
      await forwarder.close()
      await forwarded.close()
      await writerServer.close()
      a.cleanup()
      b.cleanup()
    }
  })
}

const ROWS_PER_ROUND = 1000
const ROUNDS = 40

const before = (x: { batch: number; seq: number }, y: { batch: number; seq: number }): boolean => x.batch < y.batch || (x.batch === y.batch && x.seq < y.seq)

/**
 * Inserts ROWS_PER_ROUND rows through the writer, then counts the rows through the follower: how many
 * counts missed rows just acknowledged. (Many rows per insert make a follower's apply take a while.)
 */
async function writeThenReadElsewhere(p: Pair, rounds: number): Promise<{ missed: number; outOfOrder: number }> {
  const w = await connect(p.writerUrl)
  const f = await connect(p.followerUrl)
  try {
    await w.sql('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)')
    let missed = 0
    let outOfOrder = 0
    for (let i = 0; i < rounds; i++) {
      const rows = Array.from({ length: ROWS_PER_ROUND }, (_, j) => `(${i * ROWS_PER_ROUND + j}, ${j})`).join(', ')
      const [ins] = await w.sql(`INSERT INTO counter VALUES ${rows}`)
      const [count] = await f.sql('SELECT COUNT(*) FROM counter')
      if (Number(count?.rows[0]?.[0]) !== (i + 1) * ROWS_PER_ROUND) missed++
      if (!before(ins?.commit as { batch: number; seq: number }, count?.commit as { batch: number; seq: number })) outOfOrder++
    }
    return { missed, outOfOrder }
  } finally {
    await w.close()
    await f.close()
  }
}

natsTest('a read through the follower sees every write acknowledged before it was sent, and the follower ran it', async () => {
  await withPair('freads', {}, async (p) => {
    const readsBefore = p.follower.stats.reads
    const r = await writeThenReadElsewhere(p, ROUNDS)
    assert.equal(r, { missed: 0, outOfOrder: 0 })
    assert.ok(p.follower.stats.reads - readsBefore >= ROUNDS, `the follower ran ${p.follower.stats.reads - readsBefore} reads`)
    assert.ok((p.forwarded.readPositions?.stats.positions ?? 0) >= ROUNDS, 'the writer handed out the positions')
    // Only the DDL and the inserts went to the writer.
    assert.is(p.forwarded.stats.requests, 0, 'the writer served the inserts of its own client, and no forwarded request')
  })
})

natsTest('reads on the writer and on the follower never share a position; other requests still go to the writer', async () => {
  await withPair('fpositions', {}, async (p) => {
    const w = await connect(p.writerUrl)
    const f = await connect(p.followerUrl)
    try {
      await f.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
      await f.sql("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
      const forwardedBefore = p.forwarded.stats.requests
      const positions = new Set<string>()
      const reads = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? w : f).sql('SELECT v FROM t ORDER BY id')))
      for (const [r] of reads) {
        assert.equal(r?.rows, [['one'], ['two']])
        positions.add(`${r?.commit?.batch}.${r?.commit?.seq}`)
      }
      assert.is(positions.size, 60, 'sixty reads, sixty positions')
      assert.is(p.forwarded.stats.requests, forwardedBefore, 'the follower answered its thirty itself')
      // A keyed SELECT is sequenced, SHOW STATS is the writer's, and a script of two statements goes whole: all forwarded.
      const [point] = await f.sql('SELECT v FROM t WHERE id = 2')
      assert.equal(point?.rows, [['two']])
      const script = await f.sql('SELECT COUNT(*) FROM t; SELECT MAX(id) FROM t')
      assert.equal(script.map((s) => s.rows), [[[2]], [[2]]])
      assert.is(p.forwarded.stats.requests, forwardedBefore + 2)
      // EXPLAIN CALL runs the function on the follower's state, and writes nothing.
      await w.call('account.deposit', 'ann', 5)
      const [explained] = await f.sql("EXPLAIN CALL account.deposit('ann', 10)")
      assert.ok((explained?.rows.length ?? 0) > 0, 'a trace')
      assert.match(JSON.stringify(explained?.rows), /15/)
      assert.is(p.forwarded.stats.requests, forwardedBefore + 2, 'answered by the follower')
      // Errors are the writer's errors.
      const unknown = await f.sql('SELECT * FROM nope').then(() => null, (e: unknown) => e as { code: string })
      assert.is(unknown?.code, 'UNKNOWN_TABLE')
    } finally {
      await w.close()
      await f.close()
    }
  })
})

/** Read positions as a test gives them: `next` fixed, and seqs at a batch recorded and answered 42. */
function scripted(next: { batch: number; seq: number }, asked: number[] = []): ReadPositionSource {
  return { next: async () => next, seqAt: async (batch) => { asked.push(batch); return 42 } }
}

interface AheadRun {
  count: number
  commit: unknown
  at: unknown
  laterCount: unknown
  behind: { count: number; commit: unknown; asked: number[]; held: number }
}

/**
 * A read on `follower` at a position one batch past what it has applied, given before the writer
 * writes that batch (so the follower surely lags it): the count it returns, and the position; the same
 * for a table created in such a batch; and a read at a position behind what the follower holds.
 */
async function readAheadOfTheFollower(stream: string, faults: EngineFaults): Promise<AheadRun> {
  return withNats(1, async (nats) => {
    const [a, b] = [tempDir(), tempDir()]
    const writer = await open({ dir: a.dir, natsLog: { servers: nats.urls, stream } })
    const follower = await open({ dir: b.dir, natsLog: { servers: nats.urls, stream, follow: true }, faults })
    try {
      await writer.sql('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)')
      await writer.sql('INSERT INTO counter VALUES (1, 1), (2, 2)')
      while (follower.lastCommittedBatch < writer.lastCommittedBatch) await new Promise((r) => setTimeout(r, 10))
      const next = writer.lastCommittedBatch + 1
      const read = follower.followerRead('SELECT COUNT(*) FROM counter', [], {}, scripted({ batch: next, seq: 7 }))
      await new Promise((r) => setTimeout(r, 50))
      const [ins] = await writer.sql('INSERT INTO counter VALUES (3, 3)')
      assert.is(ins?.commit?.batch, next)
      const [r] = await read
      // Planned at the position too: a table created in a batch this node has not applied yet is there.
      const later = writer.lastCommittedBatch + 1
      const readLater = follower.followerRead('SELECT COUNT(*) FROM later', [], {}, scripted({ batch: later, seq: 0 })).then(
        ([x]) => Number(x?.rows[0]?.[0]), (e: unknown) => (e as AcheronError).code)
      await new Promise((r) => setTimeout(r, 50))
      const [created] = await writer.sql('CREATE TABLE later (id INTEGER PRIMARY KEY)')
      assert.is(created?.commit?.batch, later)
      const laterCount = await readLater
      // Behind: the follower holds a later batch than the position; it reads what it holds, at a seq reserved there.
      while (follower.lastCommittedBatch < writer.lastCommittedBatch) await new Promise((r) => setTimeout(r, 10))
      const asked: number[] = []
      const [old] = await follower.followerRead('SELECT COUNT(*) FROM counter', [], {}, scripted({ batch: 1, seq: 0 }, asked))
      return {
        count: Number(r?.rows[0]?.[0]), commit: r?.commit, at: { batch: next, seq: 7 }, laterCount,
        behind: { count: Number(old?.rows[0]?.[0]), commit: old?.commit, asked, held: follower.lastCommittedBatch },
      }
    } finally {
      await follower.close()
      await writer.close()
      a.cleanup()
      b.cleanup()
    }
  })
}

natsTest('a follower waits to apply the position the writer gives and reads exactly that state; past it, it reads what it holds', async () => {
  const r = await readAheadOfTheFollower('fahead', {})
  assert.is(r.count, 3)
  assert.equal(r.commit, r.at)
  assert.is(r.laterCount, 0, 'planned against the catalog of its position')
  assert.equal(r.behind, { count: 3, commit: { batch: r.behind.held, seq: 42 }, asked: [r.behind.held], held: r.behind.held })
})

natsTest('a follower that reads without waiting for the position misses the batch (EngineFaults.followerReadsIgnorePosition)', async () => {
  const r = await readAheadOfTheFollower('ffault', { followerReadsIgnorePosition: true })
  assert.is(r.count, 2, 'the fault is caught')
  assert.is(r.laterCount, 'UNKNOWN_TABLE')
})

natsTest('the writer reserves read seqs at its last batch and at the batches before it, each once', async () => {
  await withNats(1, async (nats) => {
    const a = tempDir()
    const writer = await open({ dir: a.dir, natsLog: { servers: nats.urls, stream: 'freserve' } })
    try {
      await writer.sql('CREATE TABLE t (id INTEGER PRIMARY KEY)')
      const [ins] = await writer.sql('INSERT INTO t VALUES (1), (2)')
      const b = ins?.commit?.batch as number
      const first = writer.reserveReadPositions(2)
      assert.equal(first, { batch: b, seq: 1 }, 'after the batch\'s one transaction')
      const [own] = await writer.sql('SELECT COUNT(*) FROM t')
      assert.equal(own?.commit, { batch: b, seq: 3 }, 'the writer\'s own read comes after those reserved')
      await writer.sql('INSERT INTO t VALUES (3)')
      assert.equal(writer.reserveReadPositions(3, b), { batch: b, seq: 4 }, 'at the batch before: after every seq handed out there')
      assert.equal(writer.reserveReadPositions(1, b), { batch: b, seq: 7 })
      assert.is(writer.reserveReadPositions(1, 1e9), null, 'a batch it never released')
    } finally {
      await writer.close()
      a.cleanup()
    }
  })
})

test.run()
