/**
 * A trace base: a copy of the checkpoint kept for EXPLAIN COMMIT (trace-bases.ts), made on a thread of its
 * own (trace-base-thread.ts). `VACUUM INTO` a temporary file over a read-only connection (one consistent
 * snapshot of the checkpoint, read beside the state thread's writes, never blocking them), flushed, then
 * renamed to `base-<batch>.db` — the batch its own metadata says it holds — and the directory flushed.
 * A crash leaves a whole base or a temporary file, which the next open deletes.
 */
import Database from 'better-sqlite3'
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fsyncPath } from '../log/fsync-path.js'
import { lastBatchHeld, rewriteCheckpointBatch } from '../storage/state-file.js'

export interface TraceBaseCopyRequest {
  readonly checkpointFile: string
  readonly dir: string
  /** A checkpoint bigger than this is not copied (EXPLAIN COMMIT could not load the copy either). */
  readonly bytesMax: number
  /** A deliberate bug (EngineFaults.traceBaseBatchBehind): the copy says it holds one batch less than it does. */
  readonly batchBehind?: boolean
}

export type TraceBaseCopyReply =
  | { readonly ok: true; readonly file: string; readonly batch: number; readonly bytes: number; readonly ms: number }
  | { readonly ok: false; readonly message: string }

/** A base's file name: the batch its state holds, zero-padded so that names sort by batch. */
export function traceBaseName(batch: number): string {
  return `base-${String(batch).padStart(12, '0')}.db`
}

export const TRACE_BASE_NAME = /^base-(\d+)\.db$/
export const TRACE_BASE_TEMP = /^copying-.*\.db(-journal)?$/

function flushFile(file: string): void {
  const fd = openSync(file, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

export function copyTraceBase(r: TraceBaseCopyRequest): TraceBaseCopyReply {
  const started = performance.now()
  const temp = join(r.dir, `copying-${process.pid}-${Date.now()}.db`)
  try {
    const source = new Database(r.checkpointFile, { readonly: true, fileMustExist: true })
    try {
      const bytes = Number(source.pragma('page_count', { simple: true })) * Number(source.pragma('page_size', { simple: true }))
      if (bytes > r.bytesMax) return { ok: false, message: `the checkpoint is ${bytes} bytes, over the ${r.bytesMax} EXPLAIN COMMIT loads` }
      source.prepare('VACUUM INTO ?').run(temp)
    } finally {
      source.close()
    }
    const copy = new Database(temp, { fileMustExist: true })
    let batch: number
    try {
      batch = lastBatchHeld(copy)
    } finally {
      copy.close()
    }
    if (r.batchBehind === true && batch > 0) rewriteCheckpointBatch(temp, --batch)
    flushFile(temp)
    const file = join(r.dir, traceBaseName(batch))
    renameSync(temp, file)
    fsyncPath(r.dir)
    return { ok: true, file, batch, bytes: statSync(file).size, ms: performance.now() - started }
  } catch (err) {
    rmSync(temp, { force: true })
    return { ok: false, message: err instanceof Error ? err.message : String(err) }
  }
}
