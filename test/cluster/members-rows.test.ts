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
  const members = new ClusterMembers(bucket, 'y', 'ws://y', () => ({ role: 'follower', batch: 8 }), () => {})
  const behind = Object.fromEntries((await members.rows()).map((r) => [r[0], r[4]]))
  assert.equal(behind, { w: 0, x: 2, y: 0 })
})

test.run()
