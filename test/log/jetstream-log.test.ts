// The batch log on a NATS JetStream stream, against a real nats-server: entries come back as written
// across reopenings, large ones in parts; a second writer fences the first; a full stream refuses an
// append (STORAGE_FULL's kind) and the log goes on after resume; checkpoints purge what they hold.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, headers } from 'nats'
import { LogAppendError, LogCorruptError, type LogEntry } from '../../src/log/batch-log.js'
import { encodeFrame } from '../../src/log/frame.js'
import { JetStreamBatchLog } from '../../src/log/jetstream-log.js'
import type { LocalNats } from '../../src/cluster/local-nats.js'
import { natsTest, withNats } from '../support/nats.js'

type LogOptions = Parameters<typeof JetStreamBatchLog.open>[0]
const live = new Set<JetStreamBatchLog>()

/** Opens a log that the test's end closes, passed or failed (an open connection would keep the run alive). */
async function openLog(options: LogOptions): Promise<JetStreamBatchLog> {
  const log = await JetStreamBatchLog.open(options)
  live.add(log)
  return log
}

/** One NATS server for `body`; every log it opened is closed after. */
function withServer(body: (nats: LocalNats) => Promise<void>): Promise<void> {
  return withNats(1, async (nats) => {
    try {
      await body(nats)
    } finally {
      for (const log of live) await log.close()
      live.clear()
    }
  })
}

function body(n: number, size = 100): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (n * 31 + i) & 0xff)
}

function batch(n: number, size = 100): LogEntry {
  return { kind: 'batch', batch: n, body: body(n, size) }
}

/** Each entry as `b<batch>:<bytes>:<body as written>` or `v<batch>`. */
function summary(log: JetStreamBatchLog): string[] {
  return [...log.entries()].map((e) => (e.kind === 'batch' ? `b${e.batch}:${e.body.length}:${Buffer.from(e.body).equals(Buffer.from(body(e.batch, e.body.length)))}` : `v${e.batch}`))
}

natsTest('entries come back in order across reopenings; an entry above max_payload goes out in parts and is joined', async () => {
  await withServer(async (nats) => {
    const log = await openLog({ servers: nats.urls, stream: 'T1' })
    assert.equal(log.lastBatch, 0)
    assert.equal(summary(log), [])
    await Promise.all([log.append(batch(1)), log.append(batch(2, 0)), log.append({ kind: 'void', batch: 2 })])
    // 3 MB: the server's max_payload is 1 MiB (less 1 KiB for headers per part), so three parts.
    await log.append(batch(3, 3_000_000))
    await log.append(batch(4))
    assert.is(log.messagesSent, 3 + 3 + 1)
    await log.close()
    const again = await openLog({ servers: nats.urls, stream: 'T1' })
    assert.equal(summary(again), ['b1:100:true', 'b2:0:true', 'v2', 'b3:3000000:true', 'b4:100:true'])
    assert.is(again.lastBatch, 4)
    // The reopened log appends after what it read.
    await again.append(batch(5))
    await again.close()
    const third = await openLog({ servers: nats.urls, stream: 'T1' })
    assert.equal(summary(third).at(-1), 'b5:100:true')
    await third.close()
  })
})

natsTest('a second writer on the stream fences the first: its appends are refused, also after resume, and nothing it logged is lost', async () => {
  await withServer(async (nats) => {
    const first = await openLog({ servers: nats.urls, stream: 'T2' })
    await first.append(batch(1))
    const second = await openLog({ servers: nats.urls, stream: 'T2' })
    assert.equal(summary(second), ['b1:100:true'])
    await second.append(batch(2))
    const err = await first.append(batch(2)).then(() => null, (e: unknown) => e)
    assert.instance(err, LogAppendError)
    assert.match((err as Error).message, /another writer appended to the stream T2/)
    first.resume()
    const again = await first.append(batch(2)).then(() => null, (e: unknown) => e)
    assert.instance(again, LogAppendError, 'a fenced log stays fenced')
    await second.append(batch(3))
    await first.close()
    await second.close()
    const reader = await openLog({ servers: nats.urls, stream: 'T2' })
    assert.equal(summary(reader), ['b1:100:true', 'b2:100:true', 'b3:100:true'])
    await reader.close()
  })
})

natsTest('a follower that takes the stream over fences its writer at once, before any batch of its own; the batch that writer logged last commits', async () => {
  await withServer(async (nats) => {
    const writer = await openLog({ servers: nats.urls, stream: 'T8' })
    await writer.append(batch(1))
    const follower = await openLog({ servers: nats.urls, stream: 'T8', follower: true })
    const applied: number[] = []
    const following = follower.follow(async (e) => { applied.push(e.batch) })
    // Logged and never released (no announcement): the writer's last batch, which its clients may have seen acknowledged.
    await writer.append(batch(2))
    await follower.takeOver()
    await following
    assert.equal(applied, [1, 2], 'what the old writer logged and did not void commits')
    // The old writer does not know yet that it lost the stream (paused past its lease): its next append is
    // refused, though the new writer has appended no batch yet. Before the fence, it was stored.
    const err = await writer.append(batch(3)).then(() => null, (e: unknown) => e)
    assert.instance(err, LogAppendError)
    assert.match((err as Error).message, /another writer appended to the stream T8/)
    await follower.append(batch(3))
    const reader = await openLog({ servers: nats.urls, stream: 'T8' })
    assert.equal(summary(reader), ['b1:100:true', 'b2:100:true', 'v0', 'b3:100:true'], 'the fence is a void of batch 0, which every reader skips')
    assert.is(reader.lastBatch, 3)
  })
})

natsTest('a full stream refuses the append (full), every append after it until resume, and then goes on from the last entry stored', async () => {
  await withServer(async (nats) => {
    const log = await openLog({ servers: nats.urls, stream: 'T3', bytesMax: 4096 })
    await log.append(batch(1, 1000))
    const full = await log.append(batch(2, 8000)).then(() => null, (e: unknown) => e)
    assert.instance(full, LogAppendError)
    assert.ok((full as LogAppendError).full, 'a full stream is a full disk to the engine')
    assert.not.ok((full as LogAppendError).uncertain)
    const after = await log.append(batch(2, 10)).then(() => null, (e: unknown) => e)
    assert.instance(after, LogAppendError, 'refused until resume')
    log.resume()
    assert.is(log.lastBatch, 1)
    await log.append(batch(2, 10))
    await log.close()
    const reader = await openLog({ servers: nats.urls, stream: 'T3' })
    assert.equal(summary(reader), ['b1:1000:true', 'b2:10:true'])
    await reader.close()
  })
})

natsTest('a durable checkpoint purges the batches it holds but the last batchesKept, with their void entries', async () => {
  await withServer(async (nats) => {
    const log = await openLog({ servers: nats.urls, stream: 'T4', batchesKept: 3 })
    for (let b = 1; b <= 10; b++) {
      await log.append(batch(b))
      if (b === 4) await log.append({ kind: 'void', batch: 4 })
    }
    await log.checkpointed(8)
    await log.close()
    const reader = await openLog({ servers: nats.urls, stream: 'T4' })
    assert.equal(summary(reader), ['b6:100:true', 'b7:100:true', 'b8:100:true', 'b9:100:true', 'b10:100:true'])
    await reader.close()
  })
})

natsTest('parts of an entry that never got its last part are a torn entry: skipped when a new entry follows; a damaged message is an error naming the stream and sequence', async () => {
  await withServer(async (nats) => {
    const log = await openLog({ servers: nats.urls, stream: 'T5' })
    await log.append(batch(1))
    await log.close()
    live.delete(log)
    // What a writer killed between the parts of a large entry leaves: parts 1 and 2 of 3.
    const nc = await connect({ servers: nats.urls })
    const js = nc.jetstream()
    const frame = encodeFrame(batch(2, 5000))
    for (const [i, chunk] of [[1, frame.subarray(0, 2000)], [2, frame.subarray(2000, 4000)]] as const) {
      const h = headers()
      h.set('Acheron-Part', `${i}/3`)
      await js.publish('acheron.log.T5', chunk, { headers: h })
    }
    await nc.close()
    const reader = await openLog({ servers: nats.urls, stream: 'T5' })
    assert.equal(summary(reader), ['b1:100:true'], 'the torn entry is not an entry')
    assert.is(reader.lastBatch, 1)
    // The next entry follows the torn parts in the stream and ends them.
    await reader.append(batch(2, 5000))
    await reader.close()
    live.delete(reader)
    const again = await openLog({ servers: nats.urls, stream: 'T5' })
    assert.equal(summary(again), ['b1:100:true', 'b2:5000:true'])
    await again.close()
    live.delete(again)

    // A message whose bytes are not the frame they claim: damage, never skipped.
    const nc2 = await connect({ servers: nats.urls })
    const bad = encodeFrame(batch(3))
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff
    const ack = await nc2.jetstream().publish('acheron.log.T5', bad)
    await nc2.close()
    const err = await openLog({ servers: nats.urls, stream: 'T5' }).then(() => null, (e: unknown) => e)
    assert.instance(err, LogCorruptError)
    assert.match((err as Error).message, new RegExp(`batch log stream T5 is damaged at message ${ack.seq}: checksum mismatch`))
  })
})

natsTest('a stream of that name that takes other subjects is not taken for a batch log', async () => {
  await withServer(async (nats) => {
    const nc = await connect({ servers: nats.urls })
    const jsm = await nc.jetstreamManager()
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] })
    await nc.close()
    const err = await openLog({ servers: nats.urls, stream: 'ORDERS', openTimeoutMs: 1000 }).then(() => null, (e: unknown) => e)
    assert.instance(err, Error)
    assert.match((err as Error).message, /the stream ORDERS exists but does not take acheron\.log\.ORDERS/)
  })
})

test.run()
