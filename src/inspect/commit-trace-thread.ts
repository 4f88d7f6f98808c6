/**
 * The thread of one EXPLAIN COMMIT (commit-trace.ts): rebuilds the state before a commit position and
 * traces the transaction logged there.
 *
 * 1. The base: the checkpoint as one consistent image (a read transaction's `serialize()`), if it holds
 *    only batches before the position's; otherwise the newest copy of it kept for EXPLAIN COMMIT that
 *    does (trace-bases.ts); otherwise an empty state, if the log still starts at batch 1.
 * 2. The log after the base, read from its segment files while the database appends to them (or from
 *    its NATS JetStream stream): the batches up to the position's, which must follow each other from the
 *    base on, and the voided ones.
 * 3. A memory-mode engine (serial protocol, inline) opens on the base and replays those batches, the
 *    position's own batch cut to the transactions before it, through the engine's recovery.
 * 4. The transaction at the position runs there with the tracer (src/txn/explain.ts).
 */
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import { open } from '../embedded.js'
import { AcheronError, type CommitPosition } from '../errors.js'
import type { LogEntry } from '../log/batch-log.js'
import { logEntriesIn } from '../log/file-log.js'
import { statementName } from '../sql/ast.js'
import { MemoryBatchLog } from '../log/memory-log.js'
import { lastBatchHeld } from '../storage/state-file.js'
import { listTraceBases } from './trace-bases.js'
import { decodeBatch, encodeBatch } from '../txn/batch-codec.js'
import { isDdl, isExclusive, type DataTxn, type TxnInput, type TxnResult } from '../txn/types.js'
import type { SqlValue } from '../values.js'
import { COMMIT_TRACE_IMAGE_BYTES_MAX, type CommitTraceReply, type CommitTraceRequest, type CommitTraceSource } from './commit-trace.js'

function unavailable(message: string, retryable = false): AcheronError {
  return new AcheronError('POSITION_UNAVAILABLE', message, { retryable })
}

/** Bytes 18 and 19 of an SQLite file: its write and read format versions, 2 in WAL mode. */
const FORMAT_VERSION_BYTES = [18, 19] as const

/**
 * A state file's last batch and, if that is before `before`, its image, read in one read transaction
 * (null when it holds `before` or later: it cannot be the base).
 */
function readState(file: string, before: number, bytesMax: number): { image: Buffer | null; batch: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const read = db.transaction(() => {
      const batch = lastBatchHeld(db)
      if (batch >= before) return { image: null, batch }
      const bytes = Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }))
      if (bytes > bytesMax) {
        throw unavailable(`the checkpoint is ${bytes} bytes, over COMMIT_TRACE_IMAGE_BYTES_MAX (${bytesMax}): EXPLAIN COMMIT rebuilds state in memory, from a copy of it`)
      }
      return { image: db.serialize(), batch }
    })()
    // An image of a WAL-mode file does not open in memory (no WAL there): mark it a rollback-journal file.
    if (read.image !== null) for (const at of FORMAT_VERSION_BYTES) read.image[at] = 1
    return read
  } finally {
    db.close()
  }
}

interface Base {
  /** Null: an empty state. */
  readonly image: Buffer | null
  readonly batch: number
  /** Where it came from, for the `rebuilt` row. */
  readonly from: string
  /** The trace base's file, when it came from one (named if the trace fails on it). */
  readonly file?: string
}

/**
 * A copy of the checkpoint failed to load or to replay from: its file is named, with the way to check it.
 * A damaged copy harms no data (recovery never reads it), only the traces that start from it.
 */
function damagedCopy(file: string, at: CommitPosition, err: unknown): AcheronError {
  return new AcheronError('INTERNAL', `EXPLAIN COMMIT (${at.batch}, ${at.seq}) failed on the copy of the checkpoint it starts from, ${file}: ` +
    `${err instanceof Error ? err.message : String(err)}. The copy may be damaged: check it with acheron verify --data DIR on the stopped directory, and delete it if so (no data depends on it)`)
}

/**
 * The newest state that holds only batches before `before`: the checkpoint, else the newest trace base
 * (trace-bases.ts) that does, else an empty state. Also what the checkpoint and the oldest base hold,
 * for a message.
 */
function chooseBase(source: CommitTraceSource, at: CommitPosition, bytesMax: number): { base: Base; checkpoint: number; oldestCopy: number | null } {
  const before = at.batch
  const checkpoint = readState(source.checkpointFile, before, bytesMax)
  if (checkpoint.image !== null) return { base: { image: checkpoint.image, batch: checkpoint.batch, from: 'the checkpoint' }, checkpoint: checkpoint.batch, oldestCopy: null }
  // A copy listed may be deleted before it is read (two newer ones arrived): list again, a few times.
  for (let attempt = 0; ; attempt++) {
    const copies = source.basesDir === undefined ? [] : listTraceBases(source.basesDir)
    const copy = [...copies].reverse().find((c) => c.batch < before)
    if (copy === undefined) return { base: { image: null, batch: 0, from: 'an empty state' }, checkpoint: checkpoint.batch, oldestCopy: copies[0]?.batch ?? null }
    let state: { image: Buffer | null; batch: number }
    try {
      state = readState(copy.file, before, bytesMax)
    } catch (err) {
      if (attempt < 3 && !existsSync(copy.file)) continue
      throw err instanceof AcheronError || !existsSync(copy.file) ? err : damagedCopy(copy.file, at, err)
    }
    if (state.image !== null) return { base: { image: state.image, batch: state.batch, from: 'a copy of the checkpoint', file: copy.file }, checkpoint: checkpoint.batch, oldestCopy: copies[0]?.batch ?? null }
    // (Its name said an earlier batch than it holds: it cannot be the base, nor can anything newer.)
    return { base: { image: null, batch: 0, from: 'an empty state' }, checkpoint: checkpoint.batch, oldestCopy: copies[0]?.batch ?? null }
  }
}

/** Every entry of the log, oldest first: its segment files, or its stream read on a connection of its own. */
async function logEntries(log: CommitTraceSource['log']): Promise<Iterable<LogEntry>> {
  if ('dir' in log) return logEntriesIn(log.dir)
  // Loaded only here: a database without a NATS log never loads the NATS client.
  const { readStreamEntries } = await import('../log/jetstream-log.js')
  return readStreamEntries(log.servers, log.stream)
}

/** What the log holds from `from` to `until`: the batches in order, which batches were voided, and its first batch. */
async function logSince(log: CommitTraceSource['log'], from: number, until: number): Promise<{ batches: Extract<LogEntry, { kind: 'batch' }>[]; voided: Set<number>; first: number | null }> {
  const batches: Extract<LogEntry, { kind: 'batch' }>[] = []
  const voided = new Set<number>()
  let first: number | null = null
  try {
    for (const e of await logEntries(log)) {
      if (e.kind === 'void') {
        voided.add(e.batch)
        continue
      }
      first ??= e.batch
      if (e.batch >= from && e.batch <= until && e.batch === from + batches.length) batches.push(e)
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw unavailable('the batch log dropped a segment while it was read (a checkpoint ended); try again', true)
    throw err
  }
  return { batches, voided, first }
}

/** A DDL or a transaction that ran alone, named as SQL spells it for a message. */
function describeInput(input: TxnInput): string {
  if (input.kind === 'insert-select') return `INSERT … SELECT into ${input.table}`
  if (input.kind === 'update-scan' || input.kind === 'delete-scan') return `${input.kind === 'update-scan' ? 'UPDATE' : 'DELETE'} over the whole table ${input.table}`
  if (input.kind === 'multi-exclusive') return 'BEGIN … COMMIT holding a query or a whole-table UPDATE/DELETE'
  if (isDdl(input)) return `${statementName(input.kind)} ${'name' in input ? input.name : input.table}`
  return input.kind
}

export async function traceAt(source: CommitTraceSource, at: CommitPosition): Promise<TxnResult> {
  const started = performance.now()
  const { base, checkpoint, oldestCopy } = chooseBase(source, at, source.imageBytesMax ?? COMMIT_TRACE_IMAGE_BYTES_MAX)
  const log = await logSince(source.log, base.batch + 1, at.batch)
  if (log.batches.length < at.batch - base.batch) {
    const starts = log.first === null ? 'is empty' : `starts at batch ${log.first}`
    if (base.image !== null) {
      throw unavailable(`batch ${at.batch} cannot be re-run: its state is rebuilt from ${base.from}, which holds batches up to ${base.batch}, and the batch log, ` +
        `which lacks batch ${base.batch + log.batches.length + 1} (it ${starts})`)
    }
    const copies = oldestCopy === null ? '' : `, the oldest copy of it kept for EXPLAIN COMMIT holds batches up to ${oldestCopy}`
    throw unavailable(`batch ${at.batch} cannot be re-run: no state from before it is kept (the checkpoint holds batches up to ${checkpoint}${copies}), ` +
      `and the batch log ${starts}, where an empty state would need it from batch 1. ` +
      `Batches after ${Math.min(oldestCopy ?? checkpoint, checkpoint)} can be explained (acheron serve --trace-bases-kept and --trace-base-interval-ms, or open()'s traceBasesKept and traceBaseIntervalMs, keep more)`)
  }
  if (log.voided.has(at.batch)) throw unavailable(`batch ${at.batch} failed whole and never took effect: it holds no committed transaction`)
  const target = log.batches[log.batches.length - 1] as Extract<LogEntry, { kind: 'batch' }>
  const decoded = decodeBatch(target.body)
  const input = decoded.inputs[at.seq]
  if (input === undefined) {
    throw unavailable(`batch ${at.batch} holds ${decoded.inputs.length} logged transaction${decoded.inputs.length === 1 ? '' : 's'} (seq 0 to ${decoded.inputs.length - 1}); ` +
      `(${at.batch}, ${at.seq}) is past them: a query's position (queries are not logged and write nothing), or no position at all`)
  }
  if (isDdl(input) || isExclusive(input)) throw unavailable(`(${at.batch}, ${at.seq}) is ${describeInput(input)}, which ran alone at a batch of its own; EXPLAIN COMMIT traces the transactions of data batches (CALL, INSERT … VALUES, UPDATE and DELETE at a key, BEGIN … COMMIT of those)`)

  const replay = new MemoryBatchLog()
  for (const e of log.batches.slice(0, -1)) {
    await replay.append(e)
    if (log.voided.has(e.batch)) await replay.append({ kind: 'void', batch: e.batch })
  }
  if (at.seq > 0 && source.skipBatchPrefix !== true) await replay.append({ kind: 'batch', batch: at.batch, body: encodeBatch(decoded.firstTxnId, decoded.timeMs, decoded.inputs.slice(0, at.seq)).body })
  const onCopy = <T>(p: Promise<T>): Promise<T> => base.file === undefined ? p : p.catch((err: unknown) => { throw err instanceof AcheronError ? err : damagedCopy(base.file as string, at, err) })
  const db = await onCopy(open({
    memory: true, workers: 0, protocol: 'serial', partitions: source.partitions, runtimes: source.runtimes,
    ...(base.image !== null ? { memoryImage: base.image } : {}),
    wrapBatchLog: () => replay,
  }))
  try {
    // The checkpoint's copy, the log's read and the replay.
    const replayMs = performance.now() - started
    const timeMs = source.readsClock === true ? Date.now() : decoded.timeMs
    const outcome = await onCopy(db.submit({ kind: 'explain-logged', txn: input as DataTxn, at, timeMs }))
    if (!outcome.ok) {
      // The replay failed for a reason outside the transactions (a row that would not read, say).
      if (outcome.failure.code === 'INTERNAL' && base.file !== undefined) throw damagedCopy(base.file, at, new Error(outcome.failure.message))
      throw new AcheronError(outcome.failure.code, outcome.failure.message)
    }
    const txns = db.stats.replayedTxns
    const b = base.batch
    const from = base.image === null ? base.from : b === 0 ? `${base.from} (no batch yet)` : `${base.from} (batches up to ${b})`
    const batches = at.batch - 1 > b + 1 ? ` + batches ${b + 1} to ${at.batch - 1}` : at.batch - 1 === b + 1 ? ` + batch ${b + 1}` : ''
    const prefix = at.seq > 0 ? ` + seq 0 to ${at.seq - 1} of batch ${at.batch}` : ''
    const rebuilt: SqlValue[] = [1n, 0n, 'rebuilt', null, null, null,
      `the state before (${at.batch}, ${at.seq}): ${from}${batches}${prefix}; ${txns} transaction${txns === 1 ? '' : 's'} replayed; rebuilt in ${Math.round(replayMs)} ms`, null]
    const rows = (outcome.result.rows ?? []).map((r) => [BigInt(r[0] as bigint) + 1n, ...r.slice(1)])
    return { ...outcome.result, rows: [rebuilt, ...rows] }
  } finally {
    await db.close()
  }
}

if (parentPort !== null) {
  const port = parentPort
  // One request at a time (the tracer sends the next only after this one's answer).
  port.on('message', ({ id, source, at }: CommitTraceRequest) => {
    traceAt(source, at).then(
      (result) => port.postMessage({ id, ok: true, result } satisfies CommitTraceReply),
      (err: unknown) => port.postMessage((err instanceof AcheronError
        ? { id, ok: false, code: err.code, message: err.message, retryable: err.retryable === true }
        : { id, ok: false, code: 'INTERNAL', message: `EXPLAIN COMMIT (${at.batch}, ${at.seq}) failed: ${err instanceof Error ? err.message : String(err)}`, retryable: false }) satisfies CommitTraceReply),
    )
  })
}
