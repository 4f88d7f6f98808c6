// A node announces itself in its cluster's bucket every second (src/cluster/members.ts). A NATS cluster
// just started refuses the first announcements (503 while JetStream elects the bucket's leader): every
// node of a healthy cluster logged a warning at start. Now only failures that go on are said, once, and
// the recovery after them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { KV } from 'nats'
import { ClusterMembers, MEMBER_ANNOUNCE_FAILURES_QUIET, MEMBER_ANNOUNCE_MS } from '../../src/cluster/members.js'

/** A bucket whose first `failing` puts fail as a NATS server electing a leader answers. */
function bucket(failing: number): { bucket: KV; keys: () => Promise<string[]>; puts: () => number } {
  let puts = 0
  const kv = {
    put: async () => {
      puts++
      if (puts <= failing) throw new Error('503')
      return puts
    },
    delete: async () => {},
  }
  return { bucket: kv as unknown as KV, keys: async () => [], puts: () => puts }
}

async function announceUntil(failing: number, putsWanted: number): Promise<{ level: unknown; msg: unknown }[]> {
  const logged: { level: unknown; msg: unknown }[] = []
  const b = bucket(failing)
  const members = new ClusterMembers(b, 'n1', 'ws://n1', () => ({ role: 'follower', batch: 0 }), (e) => logged.push({ level: e.level, msg: e.msg }))
  members.start()
  while (b.puts() < putsWanted) await new Promise((r) => setTimeout(r, MEMBER_ANNOUNCE_MS / 4))
  await members.close()
  return logged
}

test('the first refusals of a bucket just started are not said', async () => {
  assert.equal(await announceUntil(MEMBER_ANNOUNCE_FAILURES_QUIET - 1, MEMBER_ANNOUNCE_FAILURES_QUIET + 1), [])
})

test('refusals that go on are said once, as a warning, and the recovery after them', async () => {
  const logged = await announceUntil(MEMBER_ANNOUNCE_FAILURES_QUIET + 1, MEMBER_ANNOUNCE_FAILURES_QUIET + 3)
  assert.is(logged.length, 2, JSON.stringify(logged))
  assert.is(logged[0]?.level, 'warn')
  assert.match(String(logged[0]?.msg), new RegExp(`^cannot announce this node in the cluster's bucket \\(${MEMBER_ANNOUNCE_FAILURES_QUIET} attempts in a row`))
  assert.equal(logged[1], { level: 'info', msg: `announced this node in the cluster's bucket again, after ${MEMBER_ANNOUNCE_FAILURES_QUIET + 1} failed attempts` })
})

test.run()
