// SHOW CLUSTER's rows (ClusterMembers.rows) over a bucket held in memory: how far behind the writer each
// node is, when the list holds two writers (the old one's entry outlives it until the bucket's TTL).
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import type { KV } from 'nats'
import { ClusterMembers, memberKey, type MemberBucket, type MemberState } from '../../src/cluster/members.js'

function bucketOf(announced: { node: string; role: 'writer' | 'follower'; batch: number }[]): MemberBucket {
  const entries = new Map(announced.map((a) => [memberKey(a.node), { operation: 'PUT', created: new Date(), value: new TextEncoder().encode(JSON.stringify({ ...a, url: `ws://${a.node}` })) }]))
  const kv = { get: async (k: string) => entries.get(k) ?? null } as unknown as KV
  return { bucket: kv, keys: async (prefix: string) => [...entries.keys()].filter((k) => k.startsWith(prefix)).sort() }
}

test('with two writers listed, each node is behind the one holding the most batches (the old one is fenced)', async () => {
  // "a" died as the writer at batch 10 (its entry not dropped yet); "c" took over and wrote on to 40.
  const bucket = bucketOf([{ node: 'a', role: 'writer', batch: 10 }, { node: 'c', role: 'writer', batch: 40 }])
  const self: MemberState = { role: 'follower', batch: 35 }
  const members = new ClusterMembers(bucket, 'b', 'ws://b', () => self, () => {})
  const rows = await members.rows()
  const behind = Object.fromEntries(rows.map((r) => [r[0], r[4]]))
  // Before: "a" (first by id) was the reference: b 0 behind, c 0 behind, a 0 behind.
  assert.equal(behind, { a: 30, b: 5, c: 0 })
})

test('with one writer, behind is against it, and no row is negative', async () => {
  const bucket = bucketOf([{ node: 'w', role: 'writer', batch: 7 }, { node: 'x', role: 'follower', batch: 5 }])
  const members = new ClusterMembers(bucket, 'y', 'ws://y', () => ({ role: 'follower', batch: 6 }), () => {})
  const behind = Object.fromEntries((await members.rows()).map((r) => [r[0], r[4]]))
  assert.equal(behind, { w: 0, x: 2, y: 1 })
})

test('a follower ahead of the writer\'s last announcement shows the writer at least as far as itself', async () => {
  // The writer announced batch 2 up to a second ago; this follower has applied batch 5 since, and
  // another follower batch 4. No node applies a batch the writer has not released.
  const bucket = bucketOf([{ node: 'w', role: 'writer', batch: 2 }, { node: 'x', role: 'follower', batch: 4 }])
  const members = new ClusterMembers(bucket, 'y', 'ws://y', () => ({ role: 'follower', batch: 5 }), () => {})
  const rows = Object.fromEntries((await members.rows()).map((r) => [r[0], [r[3], r[4]]]))
  // Before: w [2, 0], x [4, 0], y [5, 0] — the writer behind its followers, and nobody behind.
  assert.equal(rows, { w: [5, 0], x: [4, 1], y: [5, 0] })
})

test('an old writer\'s entry keeps its own batch: only the writer counted from is raised', async () => {
  const bucket = bucketOf([{ node: 'a', role: 'writer', batch: 10 }, { node: 'c', role: 'writer', batch: 38 }])
  const members = new ClusterMembers(bucket, 'b', 'ws://b', () => ({ role: 'follower', batch: 40 }), () => {})
  const rows = Object.fromEntries((await members.rows()).map((r) => [r[0], [r[3], r[4]]]))
  assert.equal(rows, { a: [10, 30], b: [40, 0], c: [40, 0] })
})

test.run()
