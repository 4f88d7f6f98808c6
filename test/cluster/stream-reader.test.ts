// A follower's reader of the batch log stream must go on reading when the NATS server that holds its
// consumer dies: the ordered consumer of nats.js it used before stalled for 90 s and more there (a CI
// run of `check --cluster` timed out on it, its follower never taking over). Both ways the death reaches
// the reader are tried: its own connection was to that server (it reconnects elsewhere), or was to
// another server (the consumer's heartbeats stop).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, type JetStreamManager, type NatsConnection } from 'nats'
import { StreamReader } from '../../src/log/stream-reader.js'
import type { LocalNats, NatsNode } from '../../src/cluster/local-nats.js'
import { natsTest, settled, withNats } from '../support/nats.js'

const STREAM = 'READER'

async function until(what: string, ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

interface Read { reader: StreamReader; seqs: number[]; nc: NatsConnection }

/** A reader from message 1 on a connection to `home` first; `seqs` collects what it hands out. */
async function startReader(nats: LocalNats, home: NatsNode): Promise<Read> {
  const nc = await connect({ servers: [home.url, ...nats.urls.filter((u) => u !== home.url)], noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
  const seqs: number[] = []
  const read: Read = { nc, seqs, reader: null as unknown as StreamReader }
  read.reader = new StreamReader(nc, nc.jetstream(), STREAM, 1, () => {
    for (let m = read.reader.take(); m !== undefined; m = read.reader.take()) seqs.push(m.seq)
  })
  return read
}

async function consumerServer(jsm: JetStreamManager, reader: StreamReader): Promise<string> {
  await until('the reader made its consumer', () => reader.consumer !== null, 30_000)
  return settled(async () => (await jsm.consumers.info(STREAM, reader.consumer as string)).cluster?.leader ?? '')
}

for (const connectedTo of ['the consumer\'s server', 'another server'] as const) {
  natsTest(`a reader goes on, in order, after the NATS server of its consumer dies; its connection was to ${connectedTo}`, async () => {
    await withNats(3, async (nats) => {
      const nc = await connect({ servers: nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
      try {
        const jsm = await settled(() => nc.jetstreamManager())
        await settled(() => jsm.streams.add({ name: STREAM, subjects: ['reader.log'], num_replicas: 3 }))
        const js = nc.jetstream()
        for (let i = 0; i < 5; i++) await settled(() => js.publish('reader.log', new Uint8Array([i])))
        // Consumers go to any server of the stream: readers are made until one sits where the case wants it.
        const home = nats.nodes[0] as NatsNode
        let read: Read | null = null
        for (let tries = 0; read === null; tries++) {
          assert.ok(tries < 60, 'a consumer was placed as the case needs')
          const r = await startReader(nats, home)
          const onHome = (await consumerServer(jsm, r.reader)) === home.name
          if (onHome === (connectedTo === 'the consumer\'s server')) read = r
          else {
            await r.reader.stop()
            await r.nc.close()
          }
        }
        try {
          await until('the reader read the first 5 messages', () => read.seqs.length === 5, 30_000)
          const holder = await consumerServer(jsm, read.reader)
          const dead = nats.nodes.find((n) => n.name === holder) as NatsNode
          dead.kill()
          // The publisher's own connection may have been to it: published again until the stream takes it.
          const survivor = await connect({ servers: nats.urls.filter((u) => u !== dead.url), maxReconnectAttempts: -1, reconnectTimeWait: 250 })
          try {
            const sjs = survivor.jetstream()
            for (let i = 5; i < 10; i++) await settled(() => sjs.publish('reader.log', new Uint8Array([i])))
          } finally {
            await survivor.close()
          }
          // Before, the reader got nothing more here for 90 s and more.
          await until('the reader read the 5 messages published after the kill', () => read.seqs.length === 10, 60_000)
          assert.equal(read.seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'every message once, in order')
          assert.ok(read.reader.consumersMade >= 2, `it made a new consumer (${read.reader.consumersMade} made)`)
        } finally {
          await read.reader.stop()
          await read.nc.close()
        }
      } finally {
        await nc.close()
      }
    })
  })
}

test.run()
