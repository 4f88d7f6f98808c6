/**
 * Snapshots for nodes that join a stream late (docs/scale-out.md, "A node joins from a snapshot").
 *
 * The stream keeps only the batches after the writer's durable checkpoint and `batchesKept` more, so a
 * node with an empty data directory cannot replay it from the first batch. It asks instead, on the
 * NATS subject `acheron.snapshot.STREAM`: the writer (only the writer answers) copies its checkpoint,
 * puts the copy in the JetStream object store `acheron-snapshots-STREAM` as one object, and replies with
 * its name and the batch it holds. The joining node downloads it as its own checkpoint and reads the
 * stream from the next batch on, as after a restart. So that the batches after the copy are still in
 * the stream when it gets there, the writer purges none of them for SNAPSHOT_HOLD_MS.
 *
 * A node that starts following (a new one whose stream's front is still there, or one restarted on
 * its directory) must read the batches after its state before a purge takes them: it asks first, on
 * `acheron.join.STREAM`, and the writer holds them (or answers that they are gone: a new node then asks
 * for a snapshot) until the node says, on `acheron.joined.STREAM`, that it caught up, or
 * SNAPSHOT_HOLD_MS passed. Deciding from the stream's state alone left a window between the look and
 * the first read in which a purge stopped the node (docs/scale-out.md).
 */
import { createReadStream, createWriteStream, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { randomUUID } from 'node:crypto'
import { ErrorCode, NatsError, type JetStreamClient, type Msg, type NatsConnection, type ObjectStore } from 'nats'
import { replaceCheckpointFile } from '../storage/state-file.js'
import { fsyncPath } from './fsync-path.js'

/** How long a joining node keeps asking for a snapshot (no writer yet, one being elected, a copy under way). */
export const SNAPSHOT_FETCH_TIMEOUT_MS = 120_000
/** How long one request waits for the writer's reply (it copies and uploads the checkpoint first). */
export const SNAPSHOT_REPLY_TIMEOUT_MS = 60_000
/** After handing out a snapshot, the writer keeps the batches after it in the stream this long. */
export const SNAPSHOT_HOLD_MS = 60_000
/**
 * A snapshot this young is handed out again rather than copied anew (if the store still holds it): a
 * copy reads the whole checkpoint, and several nodes joining at once need one.
 */
export const SNAPSHOT_REUSE_MS = 10_000
/** How long a joining node waits for the writer to say whether it holds the stream's front. */
export const JOIN_REPLY_TIMEOUT_MS = 5_000
/** Between requests that found no writer. */
const SNAPSHOT_RETRY_MS = 500
/**
 * A download that received nothing for this long is given up and asked for again: the object store
 * reads through a consumer, which may have lived on a NATS server that died (src/log/stream-reader.ts).
 */
export const SNAPSHOT_DOWNLOAD_STALL_MS = 10_000
/** The object the writer replaces with each snapshot. */
const SNAPSHOT_OBJECT = 'checkpoint'

function snapshotSubject(stream: string): string {
  return `acheron.snapshot.${stream}`
}

function joinSubject(stream: string): string {
  return `acheron.join.${stream}`
}

function joinedSubject(stream: string): string {
  return `acheron.joined.${stream}`
}

function snapshotBucket(stream: string): string {
  return `acheron-snapshots-${stream}`
}

/** An object's description: the batch the snapshot holds (a snapshot replaced meanwhile tells by it). */
function describe(batch: number): string {
  return JSON.stringify({ batch })
}

/** The writer's reply to a snapshot request. */
type SnapshotReply = { readonly ok: true; readonly name: string; readonly batch: number; readonly bytes: number } | { readonly ok: false; readonly error: string }

/**
 * The writer's side: answers a request with a fresh copy of `checkpointFile` in the object store.
 * `answering()` says whether this node is the writer now (checked again at each request, after
 * `listen()`); `handedOut(batch)`
 * is told the batch of each snapshot before the reply goes (to hold purges after it). Requests that
 * arrive while a copy is under way share it, and those within SNAPSHOT_REUSE_MS of it get it again.
 */
export class SnapshotServer {
  private inFlight: Promise<SnapshotReply> | null = null
  /** The last snapshot put in the store, and when (performance.now()). */
  private last: { reply: Extract<SnapshotReply, { ok: true }>; at: number } | null = null
  /** Copies made (a counter for tests). */
  made = 0
  private sub: { unsubscribe(): void } | null = null
  private joinSub: { unsubscribe(): void } | null = null
  private joinedSub: { unsubscribe(): void } | null = null

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly replicas: number,
    private readonly checkpointFile: string,
    /** Copies the checkpoint file to a new file, resolving to the batch the copy holds (src/cluster/checkpoint-copy.ts). */
    private readonly copyCheckpoint: (from: string, to: string) => Promise<number>,
    private readonly answering: () => boolean,
    private readonly handedOut: (batch: number) => void,
    /** Node `id` follows from the state after batch `from`: true once the batches after it are held for it, false when they are gone. */
    private readonly holdAfter: (id: string, from: number) => Promise<boolean>,
    /** Node `id` caught up: its hold goes. */
    private readonly joined: (id: string) => void,
  ) {
    // The bucket is made now, while the servers the stream was just opened on are up: a bucket of
    // several replicas cannot be created while one of its servers is down, but can be written.
    void this.bucket().catch(() => {})
  }

  private store: Promise<ObjectStore> | null = null

  /**
   * Starts answering: called when this node writes the stream (at open, or when it takes over). A
   * follower does not listen at all, so that a request sent while no node writes finds no responder and
   * is asked again at once, instead of waiting out its reply timeout on a node that stays silent.
   */
  listen(): void {
    this.sub ??= this.nc.subscribe(snapshotSubject(this.stream), { callback: (_err, msg) => this.request(msg) })
    this.joinSub ??= this.nc.subscribe(joinSubject(this.stream), { callback: (_err, msg) => this.join(msg) })
    this.joinedSub ??= this.nc.subscribe(joinedSubject(this.stream), { callback: (_err, msg) => this.joined(msg.string()) })
  }

  private join(msg: Msg): void {
    if (!this.answering()) return
    let asked: { id?: unknown; from?: unknown } = {}
    try {
      asked = JSON.parse(msg.string()) as typeof asked
    } catch {
      // Not a request of ours: answered as one that cannot be held.
    }
    const from = asked.from
    if (typeof asked.id !== 'string' || typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) {
      msg.respond(new TextEncoder().encode(JSON.stringify({ held: false, error: 'a join request is {"id": string, "from": batch}' })))
      return
    }
    void this.holdAfter(asked.id, from).then(
      (held) => ({ held }),
      (err: unknown) => ({ held: false, error: err instanceof Error ? err.message : String(err) }),
    ).then((reply) => { if (!this.nc.isClosed()) msg.respond(new TextEncoder().encode(JSON.stringify(reply))) })
  }

  /** The object store (created with the stream's replicas if missing); asked again after a failure. */
  private bucket(): Promise<ObjectStore> {
    if (this.store === null) {
      const store = this.js.views.os(snapshotBucket(this.stream), { replicas: this.replicas })
      store.catch(() => { if (this.store === store) this.store = null })
      this.store = store
    }
    return this.store
  }

  private request(msg: Msg): void {
    if (!this.answering()) return
    this.inFlight ??= this.reuse().then((reused) => reused ?? this.make()).finally(() => { this.inFlight = null })
    void this.inFlight.then((reply) => {
      if (!this.nc.isClosed()) msg.respond(new TextEncoder().encode(JSON.stringify(reply)))
    })
  }

  /** The last snapshot again, when it is young and still the store's (another writer may have replaced it). */
  private async reuse(): Promise<SnapshotReply | null> {
    const last = this.last
    if (last === null || performance.now() - last.at >= SNAPSHOT_REUSE_MS) return null
    try {
      const info = await (await this.bucket()).info(last.reply.name)
      if (info === null || info.size !== last.reply.bytes || info.description !== describe(last.reply.batch)) return null
    } catch {
      return null
    }
    this.handedOut(last.reply.batch)
    return last.reply
  }

  private async make(): Promise<SnapshotReply> {
    const copy = join(tmpdir(), `acheron-snapshot-${randomUUID()}.db`)
    try {
      if (!existsSync(this.checkpointFile)) return { ok: false, error: 'the writer has no checkpoint yet' }
      const batch = await this.copyCheckpoint(this.checkpointFile, copy)
      this.made++
      this.handedOut(batch)
      const store = await this.bucket()
      const data = Readable.toWeb(createReadStream(copy)) as ReadableStream<Uint8Array>
      const info = await store.put({ name: SNAPSHOT_OBJECT, description: describe(batch) }, data)
      const reply = { ok: true, name: SNAPSHOT_OBJECT, batch, bytes: info.size } as const
      this.last = { reply, at: performance.now() }
      return reply
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) }
    } finally {
      rmSync(copy, { force: true })
    }
  }

  stop(): void {
    this.sub?.unsubscribe()
    this.sub = null
    this.joinSub?.unsubscribe()
    this.joinSub = null
    this.joinedSub?.unsubscribe()
    this.joinedSub = null
  }
}

/**
 * Node `id`, whose state holds the batches up to `from` (0: none), asks the writer of `stream` to hold
 * the batches after it: true when it does (until `sayJoined`, at most SNAPSHOT_HOLD_MS), false when the
 * next one was purged (a new node needs a snapshot), null when no writer answered within
 * JOIN_REPLY_TIMEOUT_MS (none writes now, or one is being elected).
 */
export async function askToJoin(nc: NatsConnection, stream: string, id: string, from: number, timeoutMs = JOIN_REPLY_TIMEOUT_MS): Promise<boolean | null> {
  try {
    const msg = await nc.request(joinSubject(stream), new TextEncoder().encode(JSON.stringify({ id, from })), { timeout: timeoutMs })
    const reply = JSON.parse(new TextDecoder().decode(msg.data)) as { held?: unknown }
    return reply.held === true
  } catch (err) {
    if (err instanceof NatsError && (err.code === ErrorCode.NoResponders || err.code === ErrorCode.Timeout)) return null
    throw err
  }
}

/**
 * The joining node's side: asks the writer of `stream` for a snapshot and writes it to `checkpointFile`
 * (replacing the checkpoint there, if any), durably, whole or not at all. Resolves to the batch it holds. Retries while no
 * writer answers, up to `timeoutMs`; a writer that answers with an error is asked again too (it may have
 * had no checkpoint yet).
 */
export async function fetchSnapshot(nc: NatsConnection, stream: string, checkpointFile: string, timeoutMs = SNAPSHOT_FETCH_TIMEOUT_MS, note?: (line: string) => void, keepOldWal = false): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let last = 'no writer answered'
  // Each new reason to ask again is logged once: a node that waits says why.
  let noted = ''
  for (let asked = 0; ; asked++) {
    if (asked > 0 && last !== noted) {
      note?.(`no snapshot yet (${last}): asking the writer again`)
      noted = last
    }
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`no snapshot of the stream ${stream} within ${timeoutMs} ms (${last}): the stream was purged past what this node's directory holds (nothing, on a new one), so it needs one from the writer`)
    let reply: SnapshotReply
    try {
      const msg = await nc.request(snapshotSubject(stream), new Uint8Array(0), { timeout: Math.min(left, SNAPSHOT_REPLY_TIMEOUT_MS) })
      reply = JSON.parse(new TextDecoder().decode(msg.data)) as SnapshotReply
    } catch (err) {
      if (!(err instanceof NatsError) || (err.code !== ErrorCode.NoResponders && err.code !== ErrorCode.Timeout)) throw err
      last = err.code === ErrorCode.NoResponders ? 'no writer answered' : 'the writer did not answer in time'
      await new Promise((r) => setTimeout(r, SNAPSHOT_RETRY_MS))
      continue
    }
    if (!reply.ok) {
      last = `the writer could not make one: ${reply.error}`
      await new Promise((r) => setTimeout(r, SNAPSHOT_RETRY_MS))
      continue
    }
    try {
      const got = await download(nc, stream, reply, checkpointFile, keepOldWal)
      if (got === true) return reply.batch
      last = got
    } catch (err) {
      // NATS not answering for a moment (a server down, a leader being elected): asked again.
      if (!(err instanceof NatsError)) throw err
      last = `reading it failed: ${err.message}`
      await new Promise((r) => setTimeout(r, SNAPSHOT_RETRY_MS))
    }
  }
}

/**
 * Writes the snapshot `reply` names to `checkpointFile`: true, or why it is to be asked for again (another
 * replaced it, it arrived damaged, or the download stalled).
 */
async function download(nc: NatsConnection, stream: string, reply: Extract<SnapshotReply, { ok: true }>, checkpointFile: string, keepOldWal: boolean): Promise<true | string> {
  const store = await nc.jetstream().views.os(snapshotBucket(stream))
  const got = await store.get(reply.name)
  if (got === null) throw new Error(`the snapshot ${reply.name} of the stream ${stream} is not in its object store`)
  if (got.info.description !== describe(reply.batch) || got.info.size !== reply.bytes) {
    await got.data.cancel().catch(() => {})
    return 'the snapshot was replaced while it was asked for'
  }
  const partial = `${checkpointFile}.partial`
  const stall = new AbortController()
  let arrivedAt = Date.now()
  const watchdog = setInterval(() => { if (Date.now() - arrivedAt >= SNAPSHOT_DOWNLOAD_STALL_MS) stall.abort() }, SNAPSHOT_DOWNLOAD_STALL_MS / 4)
  try {
    const chunks = Readable.fromWeb(got.data as import('node:stream/web').ReadableStream<Uint8Array>).on('data', () => { arrivedAt = Date.now() })
    try {
      await pipeline(chunks, createWriteStream(partial) as Writable, { signal: stall.signal })
    } catch (err) {
      if (!stall.signal.aborted) throw err
      await got.data.cancel().catch(() => {})
      return `its download stalled for ${SNAPSHOT_DOWNLOAD_STALL_MS} ms`
    }
    // The object store checks the digest it keeps against what it sent; a snapshot replaced while it was
    // read fails that too. Either way it is asked for again. (It resolves to undefined when all is well.)
    if ((await got.error) instanceof Error) return 'the snapshot was replaced or damaged while it was read'
    fsyncPath(partial)
    replaceCheckpointFile(partial, checkpointFile, keepOldWal)
    return true
  } finally {
    clearInterval(watchdog)
    rmSync(partial, { force: true })
  }
}

/** Node `id` caught up with the writer: the batches held for it may go (plain NATS; a lost one lapses). */
export function sayJoined(nc: NatsConnection, stream: string, id: string): void {
  if (!nc.isClosed()) nc.publish(joinedSubject(stream), new TextEncoder().encode(id))
}
