// Phase 1 shared with followers, the writer's side (src/txn/shared-phase1.ts), against a transport that
// answers as the test says: calls go to the slot of their key's partition; a follower's executions are
// used when they are its slot's, marked stale where they touched a row a batch after its state wrote,
// and not used at all (the writer runs them) when its state is older than a catalog change or than what
// the writer remembers, when they are not its slot's, or when no answer comes in time — after which the
// follower gets no share for a while.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import type { PeerAnswer, Phase1Transport } from '../../src/log/batch-log.js'
import { Catalog, type FunctionDef, type TableDef } from '../../src/schema/catalog.js'
import { partitionOf, rowKeyOf } from '../../src/schema/keys.js'
import type { RowWrite } from '../../src/schema/rows.js'
import { executionsToBytes } from '../../src/txn/execution-codec.js'
import { ownersOf, PEER_BACKOFF_MIN_MS, PEER_WAIT_MS, Phase1Sharing, SHARED_HISTORY_BATCHES } from '../../src/txn/shared-phase1.js'
import type { Execution, SequencedTxn } from '../../src/txn/types.js'

const TABLE: TableDef = {
  name: 'account', keyIndex: 0, partitions: 6,
  columns: [{ name: 'id', type: 'TEXT', notNull: true, default: null }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }],
}
const FN: FunctionDef = { name: 'account.touch', table: 'account', exportName: 'touch', runtime: 'js', moduleHash: 'h', fuel: 1000, memoryBytes: 65536 }
const CATALOG = new Catalog({ version: 1, tables: [TABLE], functions: [FN] })

/** Keys `k0`, `k1`, … : a call touches its own key's row. */
function call(id: number, key: string): SequencedTxn {
  return { id, input: { kind: 'call', fn: 'account.touch', key, args: [] }, timeMs: 0 }
}

function executionOf(t: SequencedTxn, by: string): Execution {
  const key = (t.input as { key: string }).key
  const rk = rowKeyOf(TABLE, key)
  return { id: t.id, accessed: [rk], writes: [{ rowKey: rk, table: 'account', key, row: [key, by === 'writer' ? 1 : 2] }], result: { rowsAffected: 1 }, failure: null, lockMiss: null }
}

function write(key: string): RowWrite {
  return { rowKey: rowKeyOf(TABLE, key), table: 'account', key, row: [key, 0] }
}

/** The peers the last batch was shared with. */
let lastPeers: string[] = []

/** Two followers; each answers with what `answerOf` says (undefined: never). */
function transport(answerOf: (peer: string, batch: number, mine: SequencedTxn[]) => PeerAnswer | null | undefined, txns: () => readonly SequencedTxn[]): Phase1Transport {
  const t = {
    phase1Peers: () => ['f1', 'f2'],
    sharePhase1(number: number, _body: Uint8Array, owners: Uint8Array, peers: readonly string[], answer: (peer: string, a: PeerAnswer | null) => void): void {
      lastPeers = [...peers]
      peers.forEach((p, i) => {
        const mine = txns().filter((_, j) => owners[j] === i + 1)
        const a = answerOf(p, number, mine)
        if (a !== undefined) setImmediate(() => answer(p, a))
      })
    },
    sharePhase1Done: () => {},
    servePhase1: () => () => {},
  }
  return t
}

const TXNS = Array.from({ length: 30 }, (_, i) => call(100 + i, `k${i}`))
const follower = (position: number) => (_p: string, _b: number, mine: SequencedTxn[]): PeerAnswer => ({ position, executions: executionsToBytes(mine.map((t) => executionOf(t, 'follower'))) })

async function phase1(sharing: Phase1Sharing, batch: number, txns: readonly SequencedTxn[]): Promise<{ execs: Execution[]; here: number[] }> {
  const share = sharing.share(batch, txns, new Uint8Array(0), CATALOG)
  assert.ok(share !== null, 'the batch is shared')
  const here: number[] = []
  const runHere = async (ts: readonly SequencedTxn[]): Promise<Execution[]> => {
    for (const t of ts) here.push(t.id)
    return ts.map((t) => executionOf(t, 'writer'))
  }
  // In two parts, as the contention sample runs it.
  const execs = [...await share.run(txns.slice(0, 10), runHere), ...await share.run(txns.slice(10), runHere)]
  share.done()
  return { execs, here }
}

test('calls go to the slot of their key\'s partition; the writer keeps slot 0 and everything that is not a call', () => {
  const txns: SequencedTxn[] = [...TXNS, { id: 999, input: { kind: 'insert', table: 'account', rows: [['x', 1]] } } as unknown as SequencedTxn]
  const owners = ownersOf(txns, CATALOG, 3)
  TXNS.forEach((t, i) => assert.is(owners[i], partitionOf(TABLE, (t.input as { key: string }).key) % 3))
  assert.is(owners[TXNS.length], 0)
  assert.ok(owners.includes(1) && owners.includes(2) && owners.includes(0), 'the keys spread over the three slots')
})

test('followers\' executions are used; those that touched a row written after their state are marked stale', async () => {
  const sharing = new Phase1Sharing(transport(follower(10), () => TXNS), 8)
  sharing.released(9, [write('k0')], false)
  sharing.released(10, [], false)
  // Batch 11 was released after the followers' state (10): what touched its rows is stale.
  const staleKeys = TXNS.filter((t) => ownersOf([t], CATALOG, 3)[0] !== 0).slice(0, 2).map((t) => (t.input as { key: string }).key)
  sharing.released(11, staleKeys.map(write), false)
  const { execs, here } = await phase1(sharing, 12, TXNS)
  assert.equal(execs.map((e) => e.id), TXNS.map((t) => t.id), 'every transaction, in order')
  const owners = ownersOf(TXNS, CATALOG, 3)
  TXNS.forEach((t, i) => {
    const e = execs[i] as Execution
    const key = (t.input as { key: string }).key
    if (owners[i] === 0) {
      assert.ok(here.includes(t.id), 'slot 0 runs on the writer')
      assert.equal(e.writes[0]?.row, [key, 1])
    } else {
      assert.not.ok(here.includes(t.id), 'a follower\'s slot does not run on the writer')
      assert.equal(e.writes[0]?.row, [key, 2])
      assert.is(e.stale === true, staleKeys.includes(key), `stale exactly when batch 11 wrote ${key}`)
    }
  })
  assert.is(sharing.stats.sharedStale, 2)
  assert.is(sharing.stats.sharedTxns, owners.filter((o) => o !== 0).length - 2)
  assert.is(sharing.stats.sharedMissed, 0)
})

test('a follower\'s state older than a catalog change, or than the writer remembers, is not used: the writer runs its share', async () => {
  const ddl = new Phase1Sharing(transport(follower(10), () => TXNS), 8)
  ddl.released(9, [], false)
  ddl.released(10, [], false)
  ddl.released(11, [], true)
  const a = await phase1(ddl, 12, TXNS)
  assert.is(a.here.length, TXNS.length, 'everything ran on the writer')
  assert.ok(a.execs.every((e) => e.writes[0]?.row?.[1] === 1))
  assert.is(ddl.stats.sharedTxns, 0)

  // A writer that started at batch 20 knows nothing of what batches 11–20 wrote.
  const fresh = new Phase1Sharing(transport(follower(10), () => TXNS), 20)
  fresh.released(21, [], false)
  const b = await phase1(fresh, 22, TXNS)
  assert.is(b.here.length, TXNS.length)

  // Nor of batches it forgot.
  const old = new Phase1Sharing(transport(follower(1), () => TXNS), 0)
  for (let n = 1; n <= SHARED_HISTORY_BATCHES + 2; n++) old.released(n, [], false)
  const c = await phase1(old, SHARED_HISTORY_BATCHES + 3, TXNS)
  assert.is(c.here.length, TXNS.length)
})

test('executions that are not the follower\'s slot are not used', async () => {
  // f1 answers with f2's share, f2 with its own minus one.
  const sharing = new Phase1Sharing(transport((p, _b, mine) => {
    const owners = ownersOf(TXNS, CATALOG, 3)
    const other = TXNS.filter((_, j) => owners[j] === (p === 'f1' ? 2 : 1))
    return { position: 10, executions: executionsToBytes((p === 'f1' ? other : mine.slice(1)).map((t) => executionOf(t, 'follower'))) }
  }, () => TXNS), 9)
  sharing.released(10, [], false)
  const { here } = await phase1(sharing, 11, TXNS)
  assert.is(here.length, TXNS.length)
  assert.is(sharing.stats.sharedMissed, TXNS.length - ownersOf(TXNS, CATALOG, 3).filter((o) => o === 0).length)
})

test('a follower that does not answer in time: the writer runs its share, and gives it none for a while', async () => {
  const t = transport((p, _b, mine) => (p === 'f1' ? undefined : follower(10)(p, _b, mine)), () => TXNS)
  let clock = 0
  const sharing = new Phase1Sharing(t, 9, false, () => clock)
  sharing.released(10, [], false)
  const started = performance.now()
  const { here } = await phase1(sharing, 11, TXNS)
  assert.ok(performance.now() - started >= PEER_WAIT_MS - 2, 'it waited for the silent follower')
  const owners = ownersOf(TXNS, CATALOG, 3)
  assert.is(here.length, owners.filter((o) => o !== 2).length, 'f1\'s share and slot 0 ran on the writer')
  // The next batch has no slot for f1: two slots, the writer and f2.
  const next = sharing.share(12, TXNS, new Uint8Array(0), CATALOG)
  assert.ok(next !== null)
  const owners2 = ownersOf(TXNS, CATALOG, 2)
  const got = await next.run(TXNS, async (ts) => ts.map((x) => executionOf(x, 'writer')))
  next.done()
  TXNS.forEach((_, i) => assert.is(got[i]?.writes[0]?.row?.[1], owners2[i] === 0 ? 1 : 2))
  // After the back-off, f1 has its slot again; missing again, it waits twice as long.
  clock += PEER_BACKOFF_MIN_MS
  assert.equal(shareSlots(sharing), 3)
  await phase1(sharing, 13, TXNS)
  clock += PEER_BACKOFF_MIN_MS
  assert.equal(shareSlots(sharing), 2, 'a second miss in a row doubles the back-off')
  clock += PEER_BACKOFF_MIN_MS
  assert.equal(shareSlots(sharing), 3)
})

/** How many slots the next batch gets (the writer's and its followers'). */
function shareSlots(sharing: Phase1Sharing): number {
  const share = sharing.share(99, TXNS, new Uint8Array(0), CATALOG)
  assert.ok(share !== null)
  share.done()
  return lastPeers.length + 1
}

test.run()
