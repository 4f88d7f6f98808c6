// Request forwarding between a follower and the writer (src/cluster/forwarding.ts) over a real NATS
// server: every request gets its own reply, with its role, however many share a message; the requests a
// follower's clients make in one turn go as one envelope and the replies ready in one turn come back as
// one message; a burst larger than a NATS message is split; with no writer a request fails at once,
// retryably, not run; a request too large for a message is refused before it is sent; a request whose
// writer went away fails as outcome unknown when the follower is told so, when its probes find that no
// writer listens any more, or when the writer that listens now knows nothing of it; and a reply lost with
// a NATS server is sent again when the follower asks for it.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import {
  FORWARD_NO_WRITER_RETRY_MS, FORWARD_PROBE_EVERY_MS, FORWARD_PROBE_MISSES_MAX, FORWARD_REPLY_TIMEOUT_MS, ForwardedRequests, RequestForwarder, type ForwardRole,
} from '../../src/cluster/forwarding.js'
import type { NatsNode } from '../../src/cluster/local-nats.js'
import { natsTest, withNats } from '../support/nats.js'
import { rejection } from '../support/rejection.js'

const STREAM = 'fwd'
const echo = async (raw: string, role: ForwardRole): Promise<string> => `${role}:${raw}`

natsTest('requests of one turn share an envelope, replies of one turn share a message, each reply its own', async () => {
  await withNats(1, async (nats) => {
    const writer = await ForwardedRequests.serve(nats.urls, STREAM, echo)
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    try {
      const texts = Array.from({ length: 300 }, (_, i) => `{"op":"call","id":${i},"args":["${'ü'.repeat(i % 7)}"]}`)
      const replies = await Promise.all(texts.map((t, i) => follower.forward(t, i % 3 === 0 ? 'admin' : 'app')))
      assert.equal(replies, texts.map((t, i) => `${i % 3 === 0 ? 'admin' : 'app'}:${t}`))
      assert.is(follower.stats.envelopes, 1)
      assert.is(writer.stats.requests, 300)
      assert.is(follower.stats.replies, 300)
      assert.ok(follower.stats.replyMessages <= 2, `${follower.stats.replyMessages} reply messages`)
      // Later turns are later envelopes.
      assert.is(await follower.forward('{"op":"version","id":1}', 'app'), 'app:{"op":"version","id":1}')
      assert.is(follower.stats.envelopes, 2)
    } finally {
      await follower.close()
      await writer.close()
    }
  })
})

natsTest('replies ready at different times are sent as they are ready, not held for the slowest', async () => {
  await withNats(1, async (nats) => {
    let release: () => void = () => {}
    const slow = new Promise<void>((resolve) => { release = resolve })
    const writer = await ForwardedRequests.serve(nats.urls, STREAM, async (raw, role) => {
      if (raw === 'slow') await slow
      return `${role}:${raw}`
    })
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    try {
      const slowReply = follower.forward('slow', 'app')
      const fast = await Promise.all([follower.forward('a', 'app'), follower.forward('b', 'admin')])
      assert.equal(fast, ['app:a', 'admin:b'])
      assert.is(follower.stats.envelopes, 1)
      release()
      assert.is(await slowReply, 'app:slow')
      assert.is(writer.stats.replyMessages, 2)
    } finally {
      await follower.close()
      await writer.close()
    }
  })
})

natsTest('a request sent as soon as a writer starts serving reaches it (its subscription is on the server first)', async () => {
  await withNats(1, async (nats) => {
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    try {
      // Each round a new writer connection subscribes; the follower requests on its own connection at once.
      // Without a round trip in serve(), about one round in ten found no subscriber.
      for (let round = 0; round < 100; round++) {
        const writer = await ForwardedRequests.serve(nats.urls, STREAM, echo)
        try {
          assert.is(await follower.forward(`r${round}`, 'app'), `app:r${round}`)
        } finally {
          await writer.close()
        }
      }
    } finally {
      await follower.close()
    }
  })
})

natsTest('a burst larger than one NATS message is split into envelopes, every request answered', async () => {
  await withNats(1, async (nats) => {
    const writer = await ForwardedRequests.serve(nats.urls, STREAM, async (raw) => String(raw.length))
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    try {
      // 24 requests of 100 KB: 2.4 MB, over the 1 MiB a NATS message carries by default.
      const sizes = Array.from({ length: 24 }, (_, i) => 100_000 + i)
      const replies = await Promise.all(sizes.map((n) => follower.forward('x'.repeat(n), 'app')))
      assert.equal(replies, sizes.map(String))
      assert.ok(follower.stats.envelopes >= 3, `${follower.stats.envelopes} envelopes`)
      assert.is(writer.stats.requests, 24)
    } finally {
      await follower.close()
      await writer.close()
    }
  })
})

natsTest('a request larger than a NATS message is refused unsent; with no writer a request fails at once, not run (with no wait for one)', async () => {
  await withNats(1, async (nats) => {
    const follower = await RequestForwarder.open(nats.urls, STREAM, { noWriterWaitMs: 0 })
    try {
      const big = await rejection(follower.forward('x'.repeat(2 * 1024 * 1024), 'app'))
      assert.is(big.code, 'PAYLOAD_TOO_LARGE')
      assert.is(follower.stats.envelopes, 0)
      const started = performance.now()
      const none = await rejection(follower.forward('{"op":"version","id":1}', 'app'))
      assert.is(none.code, 'INTERNAL')
      assert.match(none.message, /no writer serves the stream fwd now: the request did not run/)
      assert.is(none.retryable, true)
      assert.not.ok(none.outcomeUnknown)
      assert.ok(performance.now() - started < 10_000, 'not after a timeout')
    } finally {
      await follower.close()
    }
  })
})

natsTest('requests whose writer went away fail as outcome unknown when the follower is told', async () => {
  await withNats(1, async (nats) => {
    const writer = await ForwardedRequests.serve(nats.urls, STREAM, () => new Promise<string>(() => {}))
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    try {
      const pending = [follower.forward('a', 'app'), follower.forward('b', 'app')]
      while (writer.stats.requests < 2) await new Promise((r) => setTimeout(r, 5))
      follower.failWaiting('the writer went away')
      for (const p of pending) {
        const err = await rejection(p)
        assert.match(err.message, /^outcome unknown: the writer went away/)
        assert.is(err.outcomeUnknown, true)
      }
    } finally {
      await follower.close()
      await writer.close()
    }
  })
})

natsTest('requests taken by a writer that then stops listening fail as outcome unknown within seconds; a slow writer that listens is waited for', async () => {
  await withNats(1, async (nats) => {
    let release: () => void = () => {}
    const slow = new Promise<void>((resolve) => { release = resolve })
    // A writer that is alive but slow: its replies come after several probes, and must be taken.
    const alive = await ForwardedRequests.serve(nats.urls, STREAM, async (raw) => { await slow; return `late:${raw}` })
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    try {
      const waited = follower.forward('a', 'app')
      await new Promise((r) => setTimeout(r, (FORWARD_PROBE_MISSES_MAX + 1) * FORWARD_PROBE_EVERY_MS))
      release()
      assert.is(await waited, 'late:a')
    } finally {
      await alive.close()
    }
    // A writer that takes the requests and goes away without answering (as a SIGKILLed one does: its
    // subscription ends with its connection).
    const dying = await ForwardedRequests.serve(nats.urls, STREAM, () => new Promise<string>(() => {}))
    try {
      const started = performance.now()
      const pending = [follower.forward('b', 'app'), follower.forward('c', 'admin')]
      while (dying.stats.requests < 2) await new Promise((r) => setTimeout(r, 5))
      await dying.close()
      for (const p of pending) {
        const err = await rejection(p)
        assert.match(err.message, /^outcome unknown: no writer of the stream fwd listened to 3 probes/)
        assert.is(err.outcomeUnknown, true)
        assert.is(err.retryable, true)
      }
      const took = performance.now() - started
      assert.ok(took < FORWARD_REPLY_TIMEOUT_MS / 4, `took ${Math.round(took)} ms`)
    } finally {
      await follower.close()
    }
  })
})

natsTest('a reply lost with the NATS server its follower was on is sent again when the follower asks, not waited for 60 s', async () => {
  await withNats(3, async (nats) => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const [followerServer, writerServer] = nats.nodes as [NatsNode, NatsNode, NatsNode]
    const writer = await ForwardedRequests.serve([writerServer.url], STREAM, async (raw) => { await gate; return `late:${raw}` })
    const follower = await RequestForwarder.open([followerServer.url], STREAM)
    try {
      const started = performance.now()
      const reply = follower.forward('a', 'app')
      while (writer.stats.requests < 1) await new Promise((r) => setTimeout(r, 5))
      // The follower's server is frozen, so the writer's reply reaches it (over the route) and goes no
      // further; then it dies with the reply in its buffers. The follower reconnects to another server.
      followerServer.process.kill('SIGSTOP')
      release()
      while (writer.stats.replyMessages < 1) await new Promise((r) => setTimeout(r, 5))
      await new Promise((r) => setTimeout(r, 200))
      followerServer.kill()
      assert.is(await reply, 'late:a')
      assert.is(writer.resent, 1, 'the reply came again, asked for')
      const took = performance.now() - started
      assert.ok(took < FORWARD_REPLY_TIMEOUT_MS / 4, `took ${Math.round(took)} ms`)
    } finally {
      await follower.close()
      await writer.close()
    }
  })
})

natsTest('a request whose writer was replaced fails as outcome unknown once the new writer says it knows nothing of it', async () => {
  await withNats(1, async (nats) => {
    const follower = await RequestForwarder.open(nats.urls, STREAM)
    const old = await ForwardedRequests.serve(nats.urls, STREAM, () => new Promise<string>(() => {}))
    let replacement: ForwardedRequests | undefined
    try {
      const started = performance.now()
      const pending = follower.forward('a', 'app')
      while (old.stats.requests < 1) await new Promise((r) => setTimeout(r, 5))
      // Another writer listens at once: the follower's probes never go unanswered, yet no one will reply.
      await old.close()
      replacement = await ForwardedRequests.serve(nats.urls, STREAM, echo)
      const err = await rejection(pending)
      assert.match(err.message, /^outcome unknown: the writer of the stream fwd holds neither the request nor its reply/)
      assert.is(err.outcomeUnknown, true)
      assert.is(err.retryable, true)
      assert.is(follower.unknownToWriter, 1)
      assert.ok(performance.now() - started < FORWARD_REPLY_TIMEOUT_MS / 4, 'not after the reply timeout')
      // The new writer serves the follower as before.
      assert.is(await follower.forward('b', 'app'), 'app:b')
    } finally {
      await follower.close()
      await replacement?.close()
    }
  })
})

natsTest('a request (or a read position) no writer listens to waits for one: it runs once a writer serves, or is refused, not run, after the wait', async () => {
  await withNats(1, async (nats) => {
    const follower = await RequestForwarder.open(nats.urls, STREAM, { noWriterWaitMs: 3_000 })
    let writer: ForwardedRequests | undefined
    try {
      // No writer yet (nodes listen before one holds the lease): the request is held, then runs.
      const early = follower.forward('early', 'app')
      const position = follower.readPositions.next()
      await new Promise((r) => setTimeout(r, 4 * FORWARD_NO_WRITER_RETRY_MS))
      writer = await ForwardedRequests.serve(nats.urls, STREAM, echo, { reserveReads: () => ({ batch: 5, seq: 2 }) })
      assert.is(await early, 'app:early')
      assert.equal(await position, { batch: 5, seq: 2 }, 'a follower read\'s position waits for a writer too')
      assert.is(writer.stats.requests, 1, 'it ran once')
      assert.ok(follower.stats.envelopes >= 3, `tried ${follower.stats.envelopes} times`)
      await writer.close()
      writer = undefined
      // No writer for longer than the wait: refused, retryably, not run.
      const started = performance.now()
      const err = await rejection(follower.forward('late', 'app'))
      const waited = performance.now() - started
      assert.match(err.message, /^no writer serves the stream fwd now \(none for 3 s\): the request did not run; retry$/)
      assert.is(err.retryable, true)
      assert.not.ok(err.outcomeUnknown)
      assert.ok(waited >= 3_000 - 2 * FORWARD_NO_WRITER_RETRY_MS && waited < 3_000 + 10 * FORWARD_NO_WRITER_RETRY_MS, `waited ${Math.round(waited)} ms`)
      // A held request fails as not run when the follower is told its writer went away (it takes over).
      const held = follower.forward('held', 'app')
      await new Promise((r) => setTimeout(r, 2 * FORWARD_NO_WRITER_RETRY_MS))
      follower.failWaiting('the writer went away; this node took over')
      const told = await rejection(held)
      assert.is(told.message, 'the writer went away; this node took over: the request was not sent, and did not run; retry')
      assert.not.ok(told.outcomeUnknown)
    } finally {
      await follower.close()
      await writer?.close()
    }
  })
})

test.run()
