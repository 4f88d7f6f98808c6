// Calls a follower forwards are answered from the stream (src/cluster/forwarding.ts): the writer logs
// each with its origin, and the follower answers it from its own application of the batch — the same
// reply, byte for byte, as the writer's — so a reply the writer never sends (it died) is not needed. A
// call the writer took and never logged is failed as not run once the next writer answers: the follower
// has applied every batch the earlier writer can have logged, and the new writer never had it.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { ForwardedRequests, RequestForwarder, type ForwardedHandler } from '../../src/cluster/forwarding.js'
import { connect, open, type EmbeddedDatabase } from '../../src/index.js'
import type { AcheronError } from '../../src/errors.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import type { EngineFaults } from '../../src/txn/faults.js'
import { openBank } from '../support/bank.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

interface Follower {
  readonly url: string
  readonly db: EmbeddedDatabase
  readonly forwarder: RequestForwarder
  /** The replies this follower made from its batches, by forwarded request id. */
  readonly fromLog: Map<number, string>
  close(): Promise<void>
}

/** A follower behind its own server that answers its calls from the batches it applies, as a cluster node does. */
async function startFollower(servers: readonly string[], stream: string, faults: EngineFaults = {}, followDelayMs = 0): Promise<Follower> {
  const dir = tempDir()
  const db = await open({ dir: dir.dir, natsLog: { servers: [...servers], stream, follow: true, followDelayMs }, runtimes: { js: JS_RUNTIME }, faults })
  const forwarder = await RequestForwarder.open(servers, stream, { faults })
  const server = await AcheronServer.listen({
    db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {},
    forward: { forward: (raw, role, fromLog) => forwarder.forward(raw, role, fromLog) },
  })
  const fromLog = new Map<number, string>()
  forwarder.answerCallsFromLog(() => db.lastCommittedBatch)
  db.settleOwnCalls({
    inbox: forwarder.replyInbox,
    settled: (id, outcome) => forwarder.answerFromLog(id, (text) => {
      const reply = server.replyFromOutcome(text, outcome, forwarder.replyBytesMax)
      if (reply !== null) fromLog.set(id, reply)
      return reply
    }),
  })
  return {
    url: server.url, db, forwarder, fromLog,
    close: async () => {
      await server.close()
      await forwarder.close()
      dir.cleanup()
    },
  }
}

async function withWriter<T>(stream: string, body: (w: { servers: readonly string[]; db: EmbeddedDatabase; server: AcheronServer }) => Promise<T>): Promise<T> {
  return withNats(1, async (nats) => {
    const dir = tempDir()
    const db = await openBank({ dir: dir.dir, natsLog: { servers: nats.urls, stream } })
    const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
    try {
      return await body({ servers: nats.urls, db, server })
    } finally {
      await server.close()
      dir.cleanup()
    }
  })
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Calls through two followers to a writer that never sends its replies; what went wrong (empty: nothing).
 * The first follower's calls wait at the writer until the second's, numbered alike, have committed and
 * the first follower has applied them.
 */
async function answeredFromLog(faults: EngineFaults): Promise<string[]> {
  return withWriter('FROMLOG', async (w) => {
    const problems: string[] = []
    const writerReplies = new Map<string, string>()
    let firstInbox = ''
    let openGate = (): void => {}
    const gate = new Promise<void>((resolve) => { openGate = resolve })
    // The writer runs each request and keeps its reply to itself, as a writer that died before sending it.
    const handle: ForwardedHandler = async (raw, role, max, origin) => {
      if (origin.inbox === firstInbox) await gate
      writerReplies.set(`${origin.inbox} ${origin.id}`, await w.server.handleForwarded(raw, role, max, origin))
      return new Promise<string>(() => {})
    }
    const forwarded = await ForwardedRequests.serve(w.servers, 'FROMLOG', handle, { since: w.db.lastCommittedBatch })
    const one = await startFollower(w.servers, 'FROMLOG', faults)
    const two = await startFollower(w.servers, 'FROMLOG', faults)
    firstInbox = one.forwarder.replyInbox
    const c1 = await connect(one.url)
    const c2 = await connect(two.url)
    try {
      // Both followers number their requests from 1: only the inbox tells whose call a batch holds.
      const firsts = Array.from({ length: 15 }, (_, j) => c1.call('account.deposit', `k${(2 * j) % 7}`, 2 * j + 1))
      const seconds = await Promise.all(Array.from({ length: 15 }, (_, j) => c2.call('account.deposit', `k${(2 * j + 1) % 7}`, 2 * j + 2)))
      await until('the first follower applied the second\'s calls', () => one.db.lastCommittedBatch >= w.db.lastCommittedBatch)
      openGate()
      const deposits = [...seconds, ...await Promise.all(firsts)]
      if (!deposits.every((d) => typeof d.value === 'number' && d.value > 0)) problems.push('a deposit returned no balance')
      const failed = await c1.call('account.withdraw', 'nobody', 5).then(() => null, (e: unknown) => e as AcheronError)
      if (failed?.code !== 'TXN_ABORTED' || !/insufficient funds/.test(failed.message)) problems.push(`a failing call was answered ${String(failed?.message)}`)
      const logged = await c2.callWithLogs('account.deposit', 'k1', 1)
      if (logged.logs.length !== 0) problems.push('logs')
      // Every reply the clients got came from the log, and is byte for byte the writer's reply to that request.
      if (one.forwarder.answeredFromLog !== 16 || two.forwarder.answeredFromLog !== 16) problems.push(`answered from the log: ${one.forwarder.answeredFromLog} and ${two.forwarder.answeredFromLog} of 16 each`)
      await until('the writer made every reply', () => writerReplies.size === 32)
      for (const f of [one, two]) {
        for (const [id, reply] of f.fromLog) {
          const writers = writerReplies.get(`${f.forwarder.replyInbox} ${id}`)
          if (reply !== writers) problems.push(`request ${id}: ${reply} from the log, ${String(writers)} from the writer`)
        }
      }
      const total = await w.db.query<[bigint]>('SELECT SUM(balance) FROM account')
      if (Number(total.rows[0]?.[0]) !== 30 * 31 / 2 + 1) problems.push(`the balances sum to ${String(total.rows[0]?.[0])}`)
      return problems
    } finally {
      await c1.close()
      await c2.close()
      await one.close()
      await two.close()
      await forwarded.close()
    }
  })
}

natsTest('a writer that never sends its replies: each follower answers its own calls from the batches it applies, with the reply the writer made', async () => {
  assert.equal(await answeredFromLog({}), [])
})

natsTest('a follower that answers calls by request id alone answers one with another follower\'s outcome (EngineFaults.ownCallsIgnoreInbox): caught', async () => {
  const problems = await answeredFromLog({ ownCallsIgnoreInbox: true })
  assert.ok(problems.some((p) => /from the log/.test(p)), problems.join('\n'))
})

/**
 * A writer takes six calls through a lagging follower (300 ms a batch, 20 batches behind), runs the even ones and never
 * the odd ones, answers none, and dies; the next writer starts. What went wrong (empty: nothing).
 * `lostTrack`: the follower is told meanwhile that its state will skip batches (a snapshot), and every
 * call must end outcome unknown instead.
 */
async function takenByADeadWriter(faults: EngineFaults, lostTrack = false): Promise<string[]> {
  return withWriter('NOTRUN', async (w) => {
    const problems: string[] = []
    let ran = 0
    const first = await ForwardedRequests.serve(w.servers, 'NOTRUN', async (raw, role, max, origin) => {
      if ((JSON.parse(raw) as { args: [number] }).args[0] % 2 === 0) {
        await w.server.handleForwarded(raw, role, max, origin)
        ran++
      }
      return new Promise<string>(() => {})
    }, { since: w.db.lastCommittedBatch })
    const follower = await startFollower(w.servers, 'NOTRUN', faults, 300)
    // Batches of their own ahead of the calls: the follower reaches the calls' batches 6 s after them, well
    // after the next writer first answers it (its questions go every second).
    for (let i = 0; i < 20; i++) await w.db.call('account.deposit', 'ahead', 1)
    const c = await connect(follower.url)
    try {
      const calls = Array.from({ length: 6 }, (_, i) => c.call('account.deposit', `n${i}`, i).then(
        (r) => ({ ok: true as const, value: r.value }),
        (e: unknown) => ({ ok: false as const, error: e as AcheronError }),
      ))
      await until('the first writer ran the even calls', () => ran === 3)
      if (lostTrack) follower.forwarder.lostTrack()
      // It dies; the next writer's state holds all it logged, and it answers forwarded requests.
      await first.close()
      const next = await ForwardedRequests.serve(w.servers, 'NOTRUN', (raw, role, max, origin) => w.server.handleForwarded(raw, role, max, origin), { since: w.db.lastCommittedBatch })
      try {
        const results = await Promise.all(calls)
        const rows = new Map((await w.db.query<[string, bigint]>('SELECT id, balance FROM account')).rows.map(([id, b]) => [id, Number(b)]))
        results.forEach((r, i) => {
          if (lostTrack) {
            if (r.ok || r.error.outcomeUnknown !== true) problems.push(`call ${i}, untracked: ${r.ok ? 'ok' : r.error.message}`)
          } else if (i % 2 === 0) {
            if (!r.ok) problems.push(`call ${i} ran and was answered ${r.error.message}`)
            else if (rows.get(`n${i}`) !== i) problems.push(`call ${i} is not in the state`)
          } else {
            if (r.ok) problems.push(`call ${i} never ran and was answered ok`)
            else if (!/did not run; retry$/.test(r.error.message) || r.error.retryable !== true || r.error.outcomeUnknown === true) problems.push(`call ${i}: ${r.error.message}`)
            if (rows.has(`n${i}`)) problems.push(`call ${i} is in the state`)
          }
        })
        // Said not run, a call must not be in the state whatever the parity.
        results.forEach((r, i) => { if (!r.ok && r.error.outcomeUnknown !== true && rows.has(`n${i}`)) problems.push(`call ${i} said not run, and it ran`) })
        if (follower.forwarder.notRunAfterTakeover !== (lostTrack ? 0 : 3)) problems.push(`${follower.forwarder.notRunAfterTakeover} said not run`)
        const after = await c.call('account.deposit', 'after', 1).then(() => 'ok', (e: unknown) => (e as Error).message)
        if (after !== 'ok') problems.push(`a call to the next writer: ${after}`)
      } finally {
        await next.close()
      }
      return problems
    } finally {
      await c.close()
      await follower.close()
    }
  })
}

natsTest('calls a dead writer took: those it logged are answered from the stream, the others fail as not run once the next writer\'s state is applied', async () => {
  assert.equal(await takenByADeadWriter({}), [])
})

natsTest('a follower whose state will skip batches (it starts again from a snapshot) leaves its waiting calls outcome unknown, not "not run"', async () => {
  assert.equal(await takenByADeadWriter({}, true), [])
})

natsTest('a follower that says "not run" before it applied the next writer\'s state (EngineFaults.notRunBeforeApplied): caught', async () => {
  const problems = await takenByADeadWriter({ notRunBeforeApplied: true })
  assert.ok(problems.some((p) => /said not run, and it ran/.test(p)), problems.join('\n'))
})

test.run()
