// What a node says when NATS's JetStream does not serve it: the server's description, not a bare "503".
import { spawn } from 'node:child_process'
import { connect as tcpConnect } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NatsError } from 'nats'
import { freePort, NATS_SERVER } from '../../src/cluster/local-nats.js'
import { JetStreamBatchLog } from '../../src/log/jetstream-log.js'
import { jetStreamDisabled, jetStreamUnavailable, natsErrorText } from '../../src/log/nats-error-text.js'
import { natsTest } from '../support/nats.js'

const unavailable = new NatsError('503', '503', new Error('jetstream system temporarily unavailable'))
const notEnabled = new NatsError('503', '503', new Error('jetstream not enabled for account'))
const noResponders = new NatsError('503', '503')

test('a NatsError is said with the description the server gave it, when there is one', () => {
  assert.is(natsErrorText(unavailable), '503: jetstream system temporarily unavailable')
  assert.is(natsErrorText(noResponders), '503')
  assert.is(natsErrorText(new Error('plain')), 'plain')
  assert.is(natsErrorText('text'), 'text')
  assert.ok(jetStreamDisabled(notEnabled))
  assert.not.ok(jetStreamDisabled(unavailable))
  assert.not.ok(jetStreamDisabled(noResponders))
})

test('giving up says what was being done, for how long, and what to look at; the NATS error is the cause', () => {
  const waited = jetStreamUnavailable('cannot open the batch log stream S', 90_000, unavailable)
  assert.is(waited.message, "cannot open the batch log stream S: the NATS servers' JetStream did not answer within 90 s (last: 503: jetstream system temporarily unavailable); is a majority of the NATS cluster up?")
  assert.is(waited.cause, unavailable)
  assert.match(jetStreamUnavailable('x', 90_000, notEnabled).message, /^x: the NATS servers do not run JetStream \(503: jetstream not enabled for account\); start them with JetStream on \(nats-server -js/)
  assert.match(jetStreamUnavailable('x', 2_000, noResponders).message, /^x: no NATS server answered JetStream's requests within 2 s \(503, no responders\): if they do not run JetStream, start them with JetStream on/)
})

/** A NATS server without JetStream on a free port, stopped after `body`. */
async function withPlainNats(body: (url: string) => Promise<void>): Promise<void> {
  const port = await freePort()
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  try {
    for (const deadline = Date.now() + 10_000; ;) {
      const up = await new Promise<boolean>((resolve) => {
        const s = tcpConnect(port, '127.0.0.1', () => { s.end(); resolve(true) })
        s.once('error', () => resolve(false))
      })
      if (up) break
      if (Date.now() > deadline) throw new Error('nats-server did not listen within 10 s')
      await new Promise((r) => setTimeout(r, 50))
    }
    await body(`nats://127.0.0.1:${port}`)
  } finally {
    child.kill('SIGKILL')
  }
}

natsTest('a batch log on NATS servers without JetStream: the open gives up saying so, not "503"', async () => {
  await withPlainNats(async (url) => {
    const err = await JetStreamBatchLog.open({ servers: [url], stream: 'PLAIN', openTimeoutMs: 2000 }).then(() => null, (e: unknown) => e)
    assert.instance(err, Error)
    assert.match((err as Error).message, /^cannot open the batch log stream PLAIN: no NATS server answered JetStream's requests within 2 s \(503, no responders\): if they do not run JetStream, start them with JetStream on \(nats-server -js/)
  })
})

test.run()
