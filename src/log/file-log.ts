/**
 * The batch log in segment files (`<data>/log/<sequence>.log`), appended with group commit: entries
 * that arrive while a write is in flight go out together in the next write, with one fdatasync.
 *
 * Opening checks every segment: a damaged tail of the last segment (a write cut short by a crash) is
 * cut at the last whole entry; damage anywhere else — a valid entry after the damage, or any damage in
 * an earlier segment — is a LogCorruptError naming the file and offset, and nothing is skipped. Except
 * a damaged segment that holds only batches the checkpoint holds (the next segment starts at or before
 * the batch after the checkpoint's): recovery never reads it, so it is left out and left on disk.
 *
 * With `sync: 'full'` the active segment is preallocated: zeros are written ahead of the entries, a
 * LOG_PREALLOCATE_BYTES chunk at a time, in the background. An entry then overwrites blocks the file
 * already has, so its durable write changes no file size or block map: on this machine a bare O_DSYNC
 * write took 157 µs into a zero-filled file against 300–350 µs as an append (which must also make the
 * file's new size durable), and an append through this log 15% less time (bench/log-append.ts; libuv's
 * pool adds its own hand-off). Zeros after the last entry are the preallocated end, not damage: no
 * frame starts with a zero byte (frame.ts's magic).
 *
 * An entry that arrives while no write is in flight is written at once, on the calling thread
 * (`writevSync`), not through libuv's pool: the hand-off to a pool thread and back cost a durable append
 * ~80 µs at the median and doubled its p99 (270/740 µs against 189/369 µs written directly), and while
 * the write blocks the thread the next requests gather into a larger batch (docs/benchmarks.md, "Log
 * writes on the calling thread"). Entries that arrive while a write is in flight are grouped as before.
 * A direct write slower than SYNC_WRITE_SLOW_MS (a disk in trouble) sends the writes through the pool
 * for SYNC_WRITE_BACKOFF_MS, so that the thread stays free for reads and replies while the disk stalls.
 * An append with `overlap` (the engine's, when its transactions are expensive to execute) goes through
 * the pool too: the thread executes the batch while the device writes its entry.
 */
import { closeSync, constants as fsConstants, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync, writevSync } from 'node:fs'
import { open as openFile, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { dieNow, NO_CRASH_POINTS, type CrashPoints } from '../crash-points.js'
import { LogAppendError, LogCorruptError, LogFormatError, type AppendOptions, type BatchLog, type LogEntry, type SyncMode } from './batch-log.js'
import { fsyncPath } from './fsync-path.js'
import { encodeFrame, nextValidFrame, readFrame } from './frame.js'

export interface FileLogOptions {
  readonly dir: string
  readonly sync: SyncMode
  /** A segment is closed and a new one started once it holds this many bytes. */
  readonly segmentBytesMax?: number
  /** Segments kept after a checkpoint made them unnecessary (for tracing recent batches). */
  readonly segmentsKept?: number
  /** `sync: 'normal'`: how often written entries are flushed in the background. */
  readonly normalSyncIntervalMs?: number
  /** Caps the bytes of all segments: an append beyond fails as a full disk would. */
  readonly bytesMax?: number
  /** `sync: 'full'`: zeros written ahead of the entries at a time (LOG_PREALLOCATE_BYTES; 0: none). */
  readonly preallocateBytes?: number
  /** A deliberate bug for the research harness (EngineFaults.preallocateOverEntries). */
  readonly preallocateOverEntries?: boolean
  readonly crash?: CrashPoints
  /** A direct write slower than this sends writes through libuv's pool for a while (SYNC_WRITE_SLOW_MS). */
  readonly syncWriteSlowMs?: number
  /**
   * The last batch the checkpoint holds (read before the open): a damaged segment that holds only
   * batches up to it is left out (`damagedUnneeded`) instead of refusing the open. Without it every
   * damaged segment refuses.
   */
  readonly checkpointBatch?: number
}

export const LOG_SEGMENT_BYTES_MAX = 64 * 1024 * 1024
export const LOG_SEGMENTS_KEPT = 2
export const LOG_NORMAL_SYNC_INTERVAL_MS = 200
/** A write on the calling thread slower than this turns such writes off for SYNC_WRITE_BACKOFF_MS. */
export const SYNC_WRITE_SLOW_MS = 10
export const SYNC_WRITE_BACKOFF_MS = 1000
/** Zeros written ahead of the entries of the active segment (`sync: 'full'`), a chunk at a time. */
export const LOG_PREALLOCATE_BYTES = 1024 * 1024
const ZEROS = new Uint8Array(LOG_PREALLOCATE_BYTES)

const SEGMENT_NAME = /^(\d{16})\.log$/

interface Segment {
  readonly seq: number
  readonly file: string
  /** Bytes of whole entries: where the next entry is written. */
  bytes: number
  /** The file's size: beyond `bytes` it holds zeros (preallocated, or never written). */
  allocated: number
  /** Highest batch number of its entries (0: none yet). */
  lastBatch: number
}

interface Pending {
  readonly frame: Uint8Array
  readonly batch: number
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

function segmentFile(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(16, '0')}.log`)
}

/** The end of the data in `buf`: one past its last non-zero byte (0 if it is all zeros). */
function dataEnd(buf: Uint8Array): number {
  let end = buf.length
  while (end > 0 && buf[end - 1] === 0) end--
  return end
}

/**
 * Where the bytes of a tail cut at `offset` of `segment` are kept: beside it, under a name the log's own
 * segment listing never matches (so no open reads it and no checkpoint deletes it).
 */
export function cutTailFile(segment: string, offset: number): string {
  return `${segment}.cut-at-${offset}`
}

/**
 * Scans one segment: its entries, where its valid part ends, and the bytes of a torn tail after it
 * (`tornBytes`, up to the last non-zero byte: preallocated zeros are not torn). Throws LogCorruptError
 * on damage before the tail, and LogFormatError on an entry of a later format, wherever it is.
 */
function scanSegment(file: string, isLast: boolean): { entries: LogEntry[]; validBytes: number; fileBytes: number; tornBytes: number; tail: Uint8Array } {
  const buf = readFileSync(file)
  const entries: LogEntry[] = []
  const end = dataEnd(buf)
  let at = 0
  while (at < end) {
    const f = readFrame(buf, at)
    if (f.ok) {
      entries.push(f.entry)
      at = f.end
      continue
    }
    if (f.newer !== undefined) throw new LogFormatError(file, at, f.newer)
    const later = nextValidFrame(buf, at + 1)
    if (later >= 0) throw new LogCorruptError(file, at, `${f.reason}, yet a whole entry follows at byte ${later}`)
    if (!isLast) throw new LogCorruptError(file, at, `${f.reason} in a segment that is not the last`)
    break
  }
  return { entries, validBytes: at, fileBytes: buf.length, tornBytes: Math.max(0, end - at), tail: buf.subarray(at, Math.max(at, end)) }
}

type SegmentScan = ReturnType<typeof scanSegment> | { damage: LogCorruptError; beforeBatch: number }

/**
 * Scans the segments `files` (in order). A damaged one that is not the last is left out, as
 * `{ damage, beforeBatch }`, when a later sound segment's first batch (`beforeBatch`) shows it holds only
 * batches up to `checkpointBatch`: batches are logged in increasing order, and a void names a batch
 * logged before it. Any other damage throws, as does an entry of a later format, wherever it is.
 */
function scanSegments(files: readonly string[], checkpointBatch: number | undefined): SegmentScan[] {
  const scans = files.map((file, i): SegmentScan | LogCorruptError => {
    try {
      return scanSegment(file, i === files.length - 1)
    } catch (err) {
      if (err instanceof LogCorruptError && i < files.length - 1 && checkpointBatch !== undefined) return err
      throw err
    }
  })
  return scans.map((scan, i) => {
    if (!(scan instanceof LogCorruptError)) return scan
    const beforeBatch = firstBatchAfter(scans, i)
    if (beforeBatch === null || beforeBatch > (checkpointBatch as number) + 1) throw scan
    return { damage: scan, beforeBatch }
  })
}

/** The first batch of the sound segments after index `i` (null: none holds a batch). */
function firstBatchAfter(scans: readonly (SegmentScan | LogCorruptError)[], i: number): number | null {
  for (const scan of scans.slice(i + 1)) {
    if (scan instanceof LogCorruptError || 'damage' in scan) continue
    const first = scan.entries.find((e) => e.kind === 'batch')
    if (first !== undefined) return first.batch
  }
  return null
}

/**
 * The entries of the log in `dir`, read without opening it for appending (EXPLAIN COMMIT reads the log
 * of a running database this way): segment by segment, oldest first; the last one's tail may be an
 * append under way, and ends the entries. A segment deleted meanwhile (a checkpoint dropped it) throws
 * ENOENT.
 */
export function* logEntriesIn(dir: string): Iterable<LogEntry> {
  const names = readdirSync(dir).filter((n) => SEGMENT_NAME.test(n)).sort()
  for (const [i, name] of names.entries()) yield* scanSegment(join(dir, name), i === names.length - 1).entries
}

export class FileBatchLog implements BatchLog {
  private readonly segments: Segment[]
  private handle: FileHandle | null = null
  private readonly queue: Pending[] = []
  private writing = false
  /** Set when the disk refused a write and the log could not be cut back: nothing is accepted again. */
  private broken: Error | null = null
  /** Set after a refused write: appends are refused until `resume` (no entry may follow a missing one). */
  private refused: LogAppendError | null = null
  private dirtySinceSync = false
  private syncTimer: NodeJS.Timeout | null = null
  private totalBytes: number
  private closed = false
  private dropping: Promise<void> = Promise.resolve()
  /** The zeros being written ahead of the active segment's entries, if any (`sync: 'full'`). */
  private preallocating: Promise<void> | null = null
  /** Until when (performance.now()) entries go through libuv's pool only: a direct write was slow. */
  private directWritesOffUntil = 0
  /** Writes made on the calling thread, and through the pool (for stats and tests). */
  readonly writes = { direct: 0, pooled: 0 }
  lastBatch = 0
  /**
   * Set when opening cut a torn tail: what was cut, and the file its bytes were kept in, for the server
   * log. A checksum cannot tell a write the last run did not finish (never acknowledged) from a last whole
   * entry the disk damaged since (which may have been): the bytes are kept, not thrown away.
   */
  cutTail: { file: string; offset: number; bytes: number; keptIn: string } | null = null
  /**
   * Damaged segments the open left out: each holds only batches the checkpoint holds (those before the
   * next segment's first batch), which recovery never reads. They stay on disk, never read nor deleted,
   * so that `acheron verify` reports them and an operator decides.
   */
  readonly damagedUnneeded: { file: string; damage: LogCorruptError; beforeBatch: number }[] = []

  private constructor(private readonly o: Required<Omit<FileLogOptions, 'bytesMax' | 'crash' | 'checkpointBatch'>> & Pick<FileLogOptions, 'bytesMax' | 'checkpointBatch'> & { crash: CrashPoints }) {
    mkdirSync(o.dir, { recursive: true })
    const names = readdirSync(o.dir).filter((n) => SEGMENT_NAME.test(n)).sort()
    this.segments = []
    // Every segment is scanned, and every refusal made, before anything is cut.
    const scans = scanSegments(names.map((name) => join(o.dir, name)), o.checkpointBatch)
    names.forEach((name, i) => {
      const file = join(o.dir, name)
      const scan = scans[i] as SegmentScan
      if ('damage' in scan) {
        this.damagedUnneeded.push({ file, damage: scan.damage, beforeBatch: scan.beforeBatch })
        return
      }
      let allocated = scan.fileBytes
      if (scan.tornBytes > 0) {
        // The torn write and the zeros after it go: the next entry starts at the last whole one's end.
        // Its bytes are kept first, durably, beside the segment (cutTailFile).
        const keptIn = cutTailFile(file, scan.validBytes)
        writeFileSync(keptIn, scan.tail)
        const kept = openSync(keptIn, 'r')
        try {
          fsyncSync(kept)
        } finally {
          closeSync(kept)
        }
        const fd = openSync(file, 'r+')
        try {
          ftruncateSync(fd, scan.validBytes)
          fsyncSync(fd)
        } finally {
          closeSync(fd)
        }
        allocated = scan.validBytes
        this.cutTail = { file, offset: scan.validBytes, bytes: scan.tornBytes, keptIn }
      }
      let last = 0
      for (const e of scan.entries) last = Math.max(last, e.batch)
      this.segments.push({ seq: Number(SEGMENT_NAME.exec(name)?.[1]), file, bytes: scan.validBytes, allocated, lastBatch: last })
      this.lastBatch = Math.max(this.lastBatch, last)
    })
    this.totalBytes = this.segments.reduce((n, s) => n + s.bytes, 0)
  }

  static async open(options: FileLogOptions): Promise<FileBatchLog> {
    const log = new FileBatchLog({
      dir: options.dir,
      sync: options.sync,
      segmentBytesMax: options.segmentBytesMax ?? LOG_SEGMENT_BYTES_MAX,
      segmentsKept: options.segmentsKept ?? LOG_SEGMENTS_KEPT,
      normalSyncIntervalMs: options.normalSyncIntervalMs ?? LOG_NORMAL_SYNC_INTERVAL_MS,
      preallocateBytes: Math.min(options.preallocateBytes ?? LOG_PREALLOCATE_BYTES, LOG_PREALLOCATE_BYTES),
      preallocateOverEntries: options.preallocateOverEntries ?? false,
      syncWriteSlowMs: options.syncWriteSlowMs ?? SYNC_WRITE_SLOW_MS,
      bytesMax: options.bytesMax,
      checkpointBatch: options.checkpointBatch,
      crash: options.crash ?? NO_CRASH_POINTS,
    })
    await log.openActive(false)
    return log
  }

  /**
   * How the active segment is opened (entries are written at their offset: the file may hold
   * preallocated zeros past them). With `sync: 'full'` the file is opened O_DSYNC, so that one
   * `writev` returns only once its bytes are durable (as write + fdatasync would): one trip through
   * libuv's thread pool per group instead of two, each of which wakes a pool thread and then this
   * one — the cost of a small batch is mostly such hand-offs.
   */
  private get openFlags(): number {
    const write = fsConstants.O_WRONLY | fsConstants.O_CREAT
    return this.o.sync === 'full' ? write | fsConstants.O_DSYNC : write
  }

  /** Opens the last segment for appending, or starts a new one (`fresh`, or when there is none). */
  private async openActive(fresh: boolean): Promise<void> {
    let seg = this.segments[this.segments.length - 1]
    if (seg === undefined || fresh) {
      const seq = (seg?.seq ?? 0) + 1
      seg = { seq, file: segmentFile(this.o.dir, seq), bytes: 0, allocated: 0, lastBatch: 0 }
      this.segments.push(seg)
      this.handle = await openFile(seg.file, this.openFlags)
      if (this.o.sync !== 'off') fsyncPath(this.o.dir)
    } else {
      this.handle = await openFile(seg.file, this.openFlags)
    }
    this.preallocate(seg)
  }

  /**
   * `sync: 'full'`: when less than half a chunk of zeros is left ahead of the entries, writes the next
   * LOG_PREALLOCATE_BYTES of zeros after them, in the background (never past the segment's size bound).
   * It never overlaps an entry's write: a group that would reach past `allocated` waits for it first.
   * A refused preallocation (a full disk) is left alone: the entries' own writes then extend the file.
   */
  private preallocate(seg: Segment, groupStart = seg.bytes): void {
    const chunk = this.o.preallocateBytes
    if (this.o.sync !== 'full' || chunk === 0 || this.preallocating !== null || this.handle === null) return
    const bug = this.o.preallocateOverEntries
    if (!bug && seg.allocated - seg.bytes >= chunk / 2) return
    const from = bug ? groupStart : Math.max(seg.allocated, seg.bytes)
    const length = Math.min(chunk, this.o.segmentBytesMax - from)
    if (length <= 0) return
    this.preallocating = this.handle.write(ZEROS, 0, length, from)
      .then(({ bytesWritten }) => { seg.allocated = Math.max(seg.allocated, from + bytesWritten) }, () => {})
      .finally(() => { this.preallocating = null })
  }

  *entries(): Iterable<LogEntry> {
    for (const [i, seg] of [...this.segments].entries()) {
      const scan = scanSegment(seg.file, i === this.segments.length - 1)
      // Only what was whole when it was read: appends may be under way.
      for (const e of scan.entries) yield e
    }
  }

  append(entry: LogEntry, options: AppendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new LogAppendError('the batch log is closed', false))
    if (this.broken !== null) return Promise.reject(this.broken)
    if (this.refused !== null) return Promise.reject(this.refused)
    const frame = encodeFrame(entry)
    if (options.overlap !== true && this.canWriteNow(frame.length)) {
      try {
        this.writeNow(frame, entry.batch)
      } catch (err) {
        return Promise.reject(this.refusal(err))
      }
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, batch: entry.batch, resolve, reject })
      if (!this.writing) void this.drain()
    })
  }

  /**
   * Whether an entry of `bytes` may be written now, on this thread: no write in flight or waiting (the
   * order of entries is the order of writes), none of the pool's preparations needed (a new segment, zeros
   * still being written where it would go), and no slow direct write lately.
   */
  private canWriteNow(bytes: number): boolean {
    if (this.writing || this.queue.length > 0 || this.handle === null) return false
    if (this.directWritesOffUntil > 0 && performance.now() < this.directWritesOffUntil) return false
    const seg = this.segments[this.segments.length - 1] as Segment
    if (seg.bytes >= this.o.segmentBytesMax) return false
    if (this.preallocating !== null && seg.bytes + bytes > seg.allocated) return false
    return this.o.bytesMax === undefined || this.totalBytes + bytes <= this.o.bytesMax
  }

  /** writeGroup's write on this thread, for one entry; throws as writeGroup does, with nothing of it left. */
  private writeNow(frame: Uint8Array, batch: number): void {
    const seg = this.segments[this.segments.length - 1] as Segment
    const handle = this.handle as FileHandle
    if (this.o.crash.reached('log-write')) this.dieMidWrite(handle, seg, [frame])
    const started = performance.now()
    try {
      let buffers: Uint8Array[] = [frame]
      let left = frame.length
      while (left > 0) {
        const written = writevSync(handle.fd, buffers, seg.bytes + (frame.length - left))
        left -= written
        if (left > 0) buffers = remainder(buffers, written)
      }
      this.scheduleSync()
    } catch (err) {
      this.cutBack(handle, seg)
      throw err
    }
    if (performance.now() - started > this.o.syncWriteSlowMs) this.directWritesOffUntil = performance.now() + SYNC_WRITE_BACKOFF_MS
    this.writes.direct++
    this.written(seg, frame.length, [batch])
  }

  /**
   * After a failed write: nothing of it may stay, later entries must follow the last whole one. A log
   * that cannot be cut back is broken (thrown, and every later append refused).
   */
  private cutBack(handle: FileHandle, seg: Segment): void {
    try {
      ftruncateSync(handle.fd, seg.bytes)
      seg.allocated = seg.bytes
    } catch (truncateErr) {
      this.broken = new LogAppendError(`batch log ${seg.file} could not be cut back after a failed write (${String(truncateErr)}); restart to recover`, false)
      throw this.broken
    }
  }

  /** A refused write as the appender sees it; later appends are refused too, until `resume`. */
  private refusal(err: unknown): LogAppendError {
    const failure = err instanceof LogAppendError ? err : new LogAppendError(`batch log write failed: ${err instanceof Error ? err.message : String(err)}`, isFull(err))
    this.refused = failure
    return failure
  }

  /** The crash point `log-write`: half of what was to be written reaches the file, then the process dies. */
  private dieMidWrite(handle: FileHandle, seg: Segment, frames: readonly Uint8Array[]): never {
    const all = Buffer.concat(frames)
    writeSync(handle.fd, all, 0, Math.max(1, Math.floor(all.length / 2)), seg.bytes)
    dieNow()
  }

  /** Bookkeeping after `bytes` of entries for `batches` were written at the end of `seg`. */
  private written(seg: Segment, bytes: number, batches: readonly number[]): void {
    const groupStart = seg.bytes
    seg.bytes += bytes
    seg.allocated = Math.max(seg.allocated, seg.bytes)
    this.totalBytes += bytes
    for (const b of batches) {
      seg.lastBatch = Math.max(seg.lastBatch, b)
      this.lastBatch = Math.max(this.lastBatch, b)
    }
    this.preallocate(seg, groupStart)
  }

  /** Writes everything queued, a group at a time, until the queue is empty. */
  private async drain(): Promise<void> {
    this.writing = true
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0)
        try {
          await this.writeGroup(group)
        } catch (err) {
          const failure = this.refusal(err)
          for (const p of [...group, ...this.queue.splice(0)]) p.reject(failure)
          continue
        }
        for (const p of group) p.resolve()
      }
    } finally {
      this.writing = false
    }
  }

  private async writeGroup(group: readonly Pending[]): Promise<void> {
    let seg = this.segments[this.segments.length - 1] as Segment
    if (seg.bytes >= this.o.segmentBytesMax) {
      await this.preallocating
      await this.handle?.close()
      await this.openActive(true)
      seg = this.segments[this.segments.length - 1] as Segment
    }
    const bytes = group.reduce((n, p) => n + p.frame.length, 0)
    // The zeros being written lie past `allocated`: a group reaching there waits for them.
    if (seg.bytes + bytes > seg.allocated) await this.preallocating
    if (this.o.bytesMax !== undefined && this.totalBytes + bytes > this.o.bytesMax) {
      throw new LogAppendError(`storage is full: the batch log would grow past its limit of ${this.o.bytesMax} bytes`, true)
    }
    const handle = this.handle as FileHandle
    if (this.o.crash.reached('log-write')) this.dieMidWrite(handle, seg, group.map((p) => p.frame))
    try {
      let buffers = group.map((p) => p.frame)
      let left = bytes
      while (left > 0) {
        const { bytesWritten } = await handle.writev(buffers, seg.bytes + (bytes - left))
        left -= bytesWritten
        if (left > 0) buffers = remainder(buffers, bytesWritten)
      }
      // sync 'full': the file is O_DSYNC (openFlags), the write above was durable when it returned.
      this.scheduleSync()
    } catch (err) {
      this.cutBack(handle, seg)
      throw err
    }
    this.writes.pooled++
    this.written(seg, bytes, group.map((p) => p.batch))
  }

  resume(): void {
    this.refused = null
  }

  /** `sync: 'normal'`: flush in the background, at most once per interval. */
  private scheduleSync(): void {
    if (this.o.sync !== 'normal') return
    this.dirtySinceSync = true
    if (this.syncTimer !== null) return
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null
      if (!this.dirtySinceSync || this.handle === null) return
      this.dirtySinceSync = false
      this.handle.datasync().catch(() => {})
    }, this.o.normalSyncIntervalMs)
  }

  checkpointed(batch: number): Promise<void> {
    // One drop at a time: checkpoints may be reported faster than files are deleted.
    const next = this.dropping.then(() => this.drop(batch))
    this.dropping = next.catch(() => {})
    return next
  }

  private async drop(batch: number): Promise<void> {
    // Segments wholly at or before the checkpoint, except the active one, oldest first; keep the newest few.
    const done = this.segments.slice(0, -1).filter((s) => s.lastBatch <= batch)
    const drop = done.slice(0, Math.max(0, done.length - this.o.segmentsKept))
    for (const seg of drop) {
      await unlink(seg.file)
      this.segments.splice(this.segments.indexOf(seg), 1)
      this.totalBytes -= seg.bytes
      // Killed here: some segments are gone, the next ones not yet, the directory not synced.
      if (this.o.crash.reached('segment-delete')) dieNow()
    }
    if (drop.length > 0 && this.o.sync !== 'off') fsyncPath(this.o.dir)
  }

  /** Bytes held by all segments (for stats and limits). */
  get bytes(): number {
    return this.totalBytes
  }

  get segmentCount(): number {
    return this.segments.length
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    while (this.writing) await new Promise((r) => setImmediate(r))
    await this.preallocating
    if (this.syncTimer !== null) clearTimeout(this.syncTimer)
    if (this.handle !== null) {
      if (this.o.sync !== 'off') await this.handle.datasync().catch(() => {})
      await this.handle.close()
      this.handle = null
    }
  }
}

function remainder(buffers: Uint8Array[], written: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let skip = written
  for (const b of buffers) {
    if (skip >= b.length) { skip -= b.length; continue }
    out.push(skip > 0 ? b.subarray(skip) : b)
    skip = 0
  }
  return out
}

function isFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG'
}

/** One segment as `acheron verify` sees it. */
export interface SegmentReport {
  readonly file: string
  readonly entries: readonly LogEntry[]
  /** Where the last whole entry ends. */
  readonly validBytes: number
  /**
   * Bytes after the last whole entry of the last segment (cut at the next open, and kept in
   * cutTailFile): a write the last run did not finish, or a last entry damaged since.
   */
  readonly tornBytes: number
}

/**
 * Reads every segment of a log directory without changing anything, checking every frame's checksum:
 * the segments in order, or the damage (LogCorruptError's message) or later format (LogFormatError's)
 * where the open would stop.
 */
export function readSegments(dir: string): { segments: SegmentReport[]; problems: string[] } {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => SEGMENT_NAME.test(n)).sort()
  } catch {
    return { segments: [], problems: [] }
  }
  const segments: SegmentReport[] = []
  const problems: string[] = []
  names.forEach((name, i) => {
    const file = join(dir, name)
    try {
      const scan = scanSegment(file, i === names.length - 1)
      segments.push({ file, entries: scan.entries, validBytes: scan.validBytes, tornBytes: scan.tornBytes })
    } catch (err) {
      // A directory where a segment file belongs said only "EISDIR: illegal operation on a directory, read".
      if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
        problems.push(`${file} is a directory, not a log segment file`)
        return
      }
      if (!(err instanceof LogCorruptError) && !(err instanceof LogFormatError)) throw err
      problems.push(err.message)
    }
  })
  return { segments, problems }
}

/** The size of a segment file on disk (for tests and `acheron verify`). */
export function segmentFileBytes(file: string): number {
  return statSync(file).size
}
