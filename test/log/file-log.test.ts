// The batch log on disk: entries come back as written, across segments and reopenings; a torn tail is
// cut at the last whole entry; damage before the tail is an error naming the file and the offset; a
// refused append refuses everything after it until resume; checkpoints drop old segments.
import { closeSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LogAppendError, LogCorruptError, type LogEntry } from '../../src/log/batch-log.js'
import { cutTailFile, FileBatchLog, LOG_PREALLOCATE_BYTES, readSegments } from '../../src/log/file-log.js'
import { encodeFrame, FRAME_HEADER_BYTES } from '../../src/log/frame.js'
import { tempDir } from '../support/tmp.js'

function body(n: number, size = 100): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (n * 31 + i) & 0xff)
}

function batch(n: number, size = 100): LogEntry {
  return { kind: 'batch', batch: n, body: body(n, size) }
}

function summary(log: FileBatchLog): string[] {
  return [...log.entries()].map((e) => (e.kind === 'batch' ? `b${e.batch}:${e.body.length}:${Buffer.from(e.body).equals(Buffer.from(body(e.batch, e.body.length)))}` : `v${e.batch}`))
}

function flip(b: Buffer, at: number, mask: number): void {
  b.writeUInt8(b.readUInt8(at) ^ mask, at)
}

function segments(dir: string): string[] {
  return readdirSync(join(dir, 'log')).filter((n) => n.endsWith('.log')).sort()
}

/** Writes `bytes` at `offset` of `file`, in place (over preallocated zeros, as a crash mid-write leaves them). */
function writeAt(file: string, bytes: Uint8Array, offset: number): void {
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, bytes, 0, bytes.length, offset)
  } finally {
    closeSync(fd)
  }
}

/** Bytes of `n` whole entries of `batch(i)` (100-byte bodies). */
const entriesBytes = (n: number): number => n * (FRAME_HEADER_BYTES + 100)

test('entries come back in order, bit for bit, after reopening; voids included', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    await Promise.all([log.append(batch(1)), log.append(batch(2, 0)), log.append({ kind: 'void', batch: 2 }), log.append(batch(3, 5000))])
    assert.is(log.lastBatch, 3)
    await log.close()
    const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    assert.equal(summary(again), ['b1:100:true', 'b2:0:true', 'v2', 'b3:5000:true'])
    assert.is(again.lastBatch, 3)
    assert.is(again.cutTail, null)
    await again.close()
  } finally {
    cleanup()
  }
})

test('appends issued together share one write (group commit) and each resolves once durable', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    const done: number[] = []
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(batch(i + 1, 10)).then(() => done.push(i + 1))))
    assert.equal(done, Array.from({ length: 200 }, (_, i) => i + 1), 'resolved in append order')
    assert.is(summary(log).length, 200)
    await log.close()
  } finally {
    cleanup()
  }
})

test('a torn tail (a write cut short) is cut at the last whole entry, and appends go on after it', async () => {
  for (const cut of [1, FRAME_HEADER_BYTES - 1, FRAME_HEADER_BYTES + 10]) {
    const { dir, cleanup } = tempDir()
    try {
      const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
      for (let i = 1; i <= 3; i++) await log.append(batch(i))
      await log.close()
      const file = join(dir, 'log', segments(dir)[0] as string)
      const whole = entriesBytes(3)
      assert.ok(statSync(file).size > whole, 'zeros are preallocated after the entries')
      // Part of a fourth entry, over the zeros: what a crash in the middle of its write leaves.
      writeAt(file, encodeFrame(batch(4)).subarray(0, cut), whole)
      const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
      assert.equal(again.cutTail, { file, offset: whole, bytes: cut, keptIn: cutTailFile(file, whole) })
      assert.equal(readFileSync(cutTailFile(file, whole)), Buffer.from(encodeFrame(batch(4)).subarray(0, cut)), 'the cut bytes are kept beside the segment')
      assert.is(statSync(file).size >= whole && statSync(file).size <= whole + LOG_PREALLOCATE_BYTES, true)
      assert.equal(readFileSync(file).subarray(whole).filter((b) => b !== 0).length, 0, 'the torn bytes are gone')
      assert.equal(summary(again), ['b1:100:true', 'b2:100:true', 'b3:100:true'])
      await again.append(batch(4))
      await again.close()
      const third = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
      assert.equal(summary(third).slice(-1), ['b4:100:true'])
      await third.close()
    } finally {
      cleanup()
    }
  }
})

test('a bit flipped in the last entry is a torn tail too (nothing valid follows it): cut, its bytes kept, verify saying it may have been acknowledged', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    for (let i = 1; i <= 3; i++) await log.append(batch(i))
    await log.close()
    const file = join(dir, 'log', segments(dir)[0] as string)
    const bytes = readFileSync(file)
    flip(bytes, entriesBytes(3) - 5, 0x40)
    writeFileSync(file, bytes)
    const damaged = Buffer.from(bytes.subarray(entriesBytes(2), entriesBytes(3)))
    assert.is(readSegments(join(dir, 'log')).segments[0]?.tornBytes, damaged.length)
    const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    assert.equal(summary(again), ['b1:100:true', 'b2:100:true'], 'batch 3 is cut: the checksum cannot tell a damaged entry from a torn write')
    // Before, its bytes went with it (and verify called them "never acknowledged"): now they are kept whole.
    assert.equal(again.cutTail?.keptIn, cutTailFile(file, entriesBytes(2)))
    assert.equal(readFileSync(cutTailFile(file, entriesBytes(2))), damaged)
    await again.close()
  } finally {
    cleanup()
  }
})

test('sync full: zeros are written ahead of the entries, a chunk at a time; they are no damage, reopened or read by verify', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    await log.append(batch(1))
    const file = join(dir, 'log', segments(dir)[0] as string)
    assert.is(statSync(file).size, LOG_PREALLOCATE_BYTES, 'one chunk allocated at first')
    // Past half of the chunk, the next chunk follows; the entries stay whole and in order.
    const big = Math.floor(LOG_PREALLOCATE_BYTES / 8)
    for (let i = 2; i <= 7; i++) await log.append(batch(i, big))
    await log.close()
    assert.is(statSync(file).size, 2 * LOG_PREALLOCATE_BYTES)
    const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    assert.is(again.cutTail, null, 'the zeros after the entries are not a torn tail')
    assert.equal(summary(again).map((x) => x.split(':')[0]), ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'])
    await again.append(batch(8))
    await again.close()
    const { segments: read, problems } = readSegments(join(dir, 'log'))
    assert.equal(problems, [])
    assert.is(read[0]?.tornBytes, 0)
    assert.is(read[0]?.entries.length, 8)
    // sync normal: no preallocation (nothing waits on a durable write there).
    const { dir: d2, cleanup: c2 } = tempDir()
    try {
      const normal = await FileBatchLog.open({ dir: join(d2, 'log'), sync: 'normal' })
      await normal.append(batch(1))
      await normal.close()
      assert.is(statSync(join(d2, 'log', readdirSync(join(d2, 'log'))[0] as string)).size, entriesBytes(1))
    } finally {
      c2()
    }
  } finally {
    cleanup()
  }
})

test('damage before the tail is an error naming the file and the offset, never skipped', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    for (let i = 1; i <= 4; i++) await log.append(batch(i))
    await log.close()
    const file = join(dir, 'log', segments(dir)[0] as string)
    const entryBytes = FRAME_HEADER_BYTES + 100
    const bytes = readFileSync(file)
    flip(bytes, entryBytes + FRAME_HEADER_BYTES + 7, 0x01) // inside entry 2's body
    writeFileSync(file, bytes)
    const err = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' }).then(() => null, (e: unknown) => e)
    assert.ok(err instanceof LogCorruptError, `expected LogCorruptError, got ${String(err)}`)
    assert.is(err.file, file)
    assert.is(err.offset, entryBytes)
    assert.match(err.message, /checksum mismatch, yet a whole entry follows at byte/)
    assert.is(statSync(file).size, bytes.length, 'nothing was cut')
  } finally {
    cleanup()
  }
})

test('segments roll over at their size bound; damage in a segment before the last is an error', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'normal', segmentBytesMax: 1000 })
    for (let i = 1; i <= 30; i++) await log.append(batch(i))
    await log.close()
    const names = segments(dir)
    assert.ok(names.length >= 3, `several segments (${names.length})`)
    const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'normal', segmentBytesMax: 1000 })
    assert.equal(summary(again).map((s) => s.split(':')[0]), Array.from({ length: 30 }, (_, i) => `b${i + 1}`))
    await again.close()
    // The first segment loses its last bytes: not a tail, since later segments exist.
    const first = join(dir, 'log', names[0] as string)
    truncateSync(first, statSync(first).size - 3)
    const err = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'normal' }).then(() => null, (e: unknown) => e)
    assert.ok(err instanceof LogCorruptError && err.file === first, `expected damage in ${first}, got ${String(err)}`)
    assert.match((err as Error).message, /not the last/)
  } finally {
    cleanup()
  }
})

test('a checkpoint drops the segments it makes unnecessary, oldest first, keeping the newest K of them', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full', segmentBytesMax: 500, segmentsKept: 1 })
    for (let i = 1; i <= 20; i++) await log.append(batch(i))
    const before = segments(dir)
    await log.checkpointed(10)
    const after = segments(dir)
    assert.ok(after.length < before.length, 'some segments went')
    const entries = [...log.entries()].map((e) => e.batch)
    // Every batch after the checkpoint is still there, and the one kept segment before it.
    for (let b = 11; b <= 20; b++) assert.ok(entries.includes(b), `batch ${b} kept`)
    assert.ok(entries[0] !== undefined && entries[0] > 1 && entries[0] <= 10, `one segment before the checkpoint kept (first batch ${entries[0]})`)
    await log.checkpointed(20)
    assert.equal(segments(dir).slice(-1), before.slice(-1), 'the active segment is never dropped')
    await log.close()
  } finally {
    cleanup()
  }
})

test('a refused append (the log is full) refuses every later one until resume; nothing of them is written', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full', bytesMax: 3 * (FRAME_HEADER_BYTES + 100) })
    for (let i = 1; i <= 3; i++) await log.append(batch(i))
    const refused = await Promise.allSettled([log.append(batch(4)), log.append(batch(5))])
    assert.ok(refused.every((r) => r.status === 'rejected' && r.reason instanceof LogAppendError && r.reason.full), 'both refused as full')
    const later = await log.append(batch(4, 1)).then(() => null, (e: unknown) => e)
    assert.ok(later instanceof LogAppendError, 'refused until resume')
    assert.is(log.lastBatch, 3)
    await log.close()
    const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full', bytesMax: 10_000 })
    assert.equal(summary(again), ['b1:100:true', 'b2:100:true', 'b3:100:true'])
    again.resume()
    await again.append(batch(4))
    assert.equal(summary(again).slice(-1), ['b4:100:true'])
    await again.close()
  } finally {
    cleanup()
  }
})

test('an append with no write in flight is written at once on this thread; appends during a pooled write wait and keep their order', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // Segments of 1,000 bytes: the 10th entry starts a new segment, which only the pool's write path opens.
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full', segmentBytesMax: 1000 })
    // The first waits for the zeros written ahead of a new segment's entries, through the pool.
    await log.append(batch(1))
    assert.equal(log.writes, { direct: 0, pooled: 1 })
    for (let n = 2; n <= 5; n++) {
      await log.append(batch(n))
      assert.is(log.lastBatch, n, 'durable and counted when the promise resolves')
    }
    assert.equal(log.writes, { direct: 4, pooled: 1 })
    // Not awaited: each is written before append returns, so the file holds it already.
    void log.append(batch(6))
    assert.equal(summary(log).at(-1), 'b6:100:true')
    const rest = [7, 8, 9, 10, 11, 12, 13].map((n) => log.append(batch(n)))
    await Promise.all(rest)
    assert.ok(log.writes.pooled >= 2, `a new segment goes through the pool: ${JSON.stringify(log.writes)}`)
    assert.equal(summary(log), Array.from({ length: 13 }, (_, i) => `b${i + 1}:100:true`))
    await log.close()
    const again = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full', segmentBytesMax: 1000 })
    assert.equal(summary(again), Array.from({ length: 13 }, (_, i) => `b${i + 1}:100:true`))
    await again.close()
  } finally {
    cleanup()
  }
})

test('an append with overlap goes through the pool even with no write in flight, in order with direct ones', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full' })
    await log.append(batch(1)) // a new segment's zeros: through the pool
    await log.append(batch(2))
    assert.equal(log.writes, { direct: 1, pooled: 1 })
    const overlapped = log.append(batch(3), { overlap: true })
    // Returned before the write was done (a direct one counts its entry before it returns): this thread
    // is free to execute the batch meanwhile.
    assert.is(log.lastBatch, 2)
    // A direct append while it is in flight waits behind it, so the order of entries holds.
    const after = log.append(batch(4))
    await Promise.all([overlapped, after])
    assert.is(log.writes.direct, 1)
    assert.equal(summary(log), ['b1:100:true', 'b2:100:true', 'b3:100:true', 'b4:100:true'])
    await log.append(batch(5))
    assert.is(log.writes.direct, 2, 'without the hint and with no write in flight: on this thread again')
    await log.close()
  } finally {
    cleanup()
  }
})

test('a direct write slower than syncWriteSlowMs sends the next appends through the pool for a while', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const log = await FileBatchLog.open({ dir: join(dir, 'log'), sync: 'full', syncWriteSlowMs: -1 })
    await log.append(batch(1))
    await log.append(batch(2))
    assert.equal(log.writes, { direct: 1, pooled: 1 })
    await log.append(batch(3))
    await log.append(batch(4))
    assert.equal(log.writes, { direct: 1, pooled: 3 }, 'every direct write counts as slow here')
    assert.equal(summary(log), ['b1:100:true', 'b2:100:true', 'b3:100:true', 'b4:100:true'])
    await log.close()
  } finally {
    cleanup()
  }
})

test.run()
