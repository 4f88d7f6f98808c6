// FailoverNode's role changes (src/cluster/failover.ts) with its parts stood in for: what it does when a
// take-over fails for a NATS reason, and when the stream refuses its writer. A 503 from NATS while
// taking over (its servers electing a leader) made the node exit 1 in the middle of a fail-over.
import { NatsError } from 'nats'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FailoverNode, type FailoverParts } from '../../src/cluster/failover.js'
import type { EmbeddedDatabase } from '../../src/embedded.js'

/** A database stand-in: `following` as opened; `refuses` resolves streamRefusesWrites. */
function fakeDb(following: boolean, events: string[], refuses: Promise<string> = new Promise(() => {})): EmbeddedDatabase {
  return {
    following,
    lastCommittedBatch: 7,
    promote: async () => { events.push('promote') },
    close: async () => { events.push('close') },
    fellBehindStream: () => new Promise<boolean>(() => {}),
    streamRefusesWrites: () => refuses,
    settleOwnCalls: () => {},
  } as unknown as EmbeddedDatabase
}

/** A lease stand-in that is free whenever asked, and tells `lost` when abandoned. */
function fakeLease(events: string[]): FailoverParts['lease'] {
  let lost: ((why: string) => void) | null = null
  let held = false
  return {
    acquire: async () => { held = true; events.push('acquire') },
    keep: (l: (why: string) => void) => { lost = l },
    check: () => held,
    abandon: async (why: string) => {
      if (!held) return
      held = false
      events.push(`abandon: ${why}`)
      lost?.(why)
    },
    close: async () => {},
  } as unknown as FailoverParts['lease']
}

function parts(events: string[], serveForwarded: () => Promise<unknown>, reopen: () => EmbeddedDatabase): FailoverParts {
  return {
    stream: 'S',
    server: { setLocalGuard: () => {}, setForward: () => {}, setDatabase: () => {}, isShuttingDown: false } as unknown as FailoverParts['server'],
    lease: fakeLease(events),
    forwarder: { tookOver: () => {}, answerCallsFromLog: () => {}, lostTrack: () => {}, replyInbox: 'inbox', replyBytesMax: 1 << 20 } as unknown as FailoverParts['forwarder'],
    forwarding: {} as FailoverParts['forwarding'],
    reopenFollowing: async () => reopen(),
    serveForwarded: serveForwarded as FailoverParts['serveForwarded'],
    log: (e) => events.push(`log ${String(e.level)}: ${String(e.msg)}`),
    fatal: (err) => events.push(`FATAL ${String(err)}`),
  }
}

async function until(what: string, ok: () => boolean, events: string[]): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10))
  assert.ok(ok(), `${what}: ${events.join('\n')}`)
}

test('a take-over that NATS fails (503) gives the lease back, follows, and takes over again: the node does not stop', async () => {
  const events: string[] = []
  let serves = 0
  const serveForwarded = async (): Promise<unknown> => {
    if (++serves === 1) throw new NatsError('503', '503')
    return { close: async () => {} }
  }
  const node = await FailoverNode.start(parts(events, serveForwarded, () => fakeDb(true, events)), fakeDb(true, events))
  await until('taken over on the second try', () => events.some((e) => e === 'log warn: now the writer of the stream S'), events)
  await node.halt()
  assert.not.ok(events.some((e) => e.startsWith('FATAL')), events.join('\n'))
  assert.ok(events.includes('log warn: taking over the stream S failed for a NATS reason (503): giving the lease back and following again'), events.join('\n'))
  assert.ok(events.includes('abandon: taking over failed: 503'), events.join('\n'))
  // Given back, the database closed and opened again following, then the lease taken again.
  const order = events.filter((e) => ['acquire', 'promote', 'close'].includes(e) || e.startsWith('abandon'))
  assert.equal(order, ['acquire', 'promote', 'abandon: taking over failed: 503', 'close', 'acquire', 'promote'])
})

test('a take-over that fails for any other reason still stops the node (waiting cures nothing)', async () => {
  const events: string[] = []
  const node = await FailoverNode.start(parts(events, async () => { throw new Error('disk on fire') }, () => fakeDb(true, events)), fakeDb(true, events))
  await until('fatal', () => events.some((e) => e.startsWith('FATAL')), events)
  await node.halt()
  assert.ok(events.includes('FATAL Error: disk on fire'), events.join('\n'))
})

test('a writer whose stream refuses its appends for good gives the lease back and follows', async () => {
  const events: string[] = []
  let refuse!: (why: string) => void
  const refuses = new Promise<string>((r) => { refuse = r })
  // Started as the writer (it holds the lease, as `acheron serve --failover` opens it).
  const lease = fakeLease(events)
  await lease?.acquire()
  const p = { ...parts(events, async () => ({ close: async () => {} }), () => fakeDb(true, events)), lease }
  const node = await FailoverNode.start(p, fakeDb(false, events, refuses))
  refuse('another writer appended to the stream S')
  await until('following again', () => events.some((e) => e.startsWith('log warn: following the stream S again')), events)
  await node.halt()
  assert.ok(events.includes('abandon: the stream refuses this node\'s appends: another writer appended to the stream S'), events.join('\n'))
  assert.ok(events.some((e) => /^log error: lost the writer lease of the stream S \(the stream refuses this node's appends/.test(e)), events.join('\n'))
  assert.not.ok(events.some((e) => e.startsWith('FATAL')), events.join('\n'))
})

test.run()
