/**
 * `acheron verify --data DIR --repair`: rebuilds a damaged checkpoint (acheron.db) of a stopped
 * directory from what the directory still holds, which the batch log makes possible: the log is the
 * database and the checkpoint only shortens recovery. The rebuild starts from the newest intact copy of
 * the checkpoint kept for EXPLAIN COMMIT (trace-bases/base-N.db) from which the log holds every batch
 * on, or from an empty state when the log holds every batch from batch 1, and replays the log after it
 * through the engine (an ordinary open), which reaches exactly the state every acknowledged batch left.
 * The damaged files are moved aside, never deleted. Damage to the log itself is not repaired: without a
 * batch nothing can rebuild what came after it (restore the log from a backup). Nor is a node whose log
 * is on NATS JetStream, whose directory holds no log of its own (natsNodeRefusal).
 */
import Database from 'better-sqlite3'
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { listTraceBases, TRACE_BASES_DIR } from '../inspect/trace-bases.js'
import { readSegments } from '../log/file-log.js'
import { fsyncPath } from '../log/fsync-path.js'
import type { DirLock } from '../storage/dir-lock.js'
import { NATS_LOG_FILE, readNatsLogMark } from '../storage/nats-log-mark.js'
import { DATABASE_FILE } from '../storage/sqlite-schema.js'
import { lastBatchHeld } from '../storage/state-file.js'

/** Where the rebuild starts: a copy of the checkpoint (`base`) holding batches up to `batch`, or empty (0). */
export interface RepairPlan {
  readonly base: string | null
  readonly batch: number
  /** The last batch of the log, which the rebuilt checkpoint reaches. */
  readonly lastBatch: number
}

/** A trace base that opens, passes quick_check and holds the batch its name says. */
export function intactBase(file: string, batch: number): boolean {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true })
    try {
      const ok = (db.pragma('quick_check', { simple: true }) as string) === 'ok'
      return ok && lastBatchHeld(db) === batch
    } finally {
      db.close()
    }
  } catch {
    return false
  }
}

/**
 * Why a node whose batch log is on NATS JetStream is not rebuilt here, and what to do instead. Its log
 * is the stream: a `log/` in its directory (a start without --log-nats makes one, empty or holding
 * batches of its own) is not the node's history, and a rebuild from it gave an empty or a diverged
 * checkpoint that verify then found sound.
 */
function natsNodeRefusal(dir: string, stream: string | null, strayLog: boolean): string {
  const what = `${dir} is a node whose batch log is ${stream === null ? 'on NATS JetStream' : `the NATS JetStream stream ${stream}`} (${existsSync(join(dir, NATS_LOG_FILE)) ? NATS_LOG_FILE : 'no log/ in the directory'})`
  const stray = strayLog ? '; its log/ is not that log (a start without --log-nats made it)' : ''
  return `${what}${stray}: --repair rebuilds a checkpoint only from the directory's own log. Instead, move ${DATABASE_FILE}*${strayLog ? ' and log/' : ''} aside and start the node with its --log-nats: it replays the stream from its first batch, or, started as a follower while another node writes, takes the writer's snapshot when the stream no longer holds its first batches (docs/operations.md, "Recovering a damaged directory")`
}

/** The batch the damaged checkpoint says it holds, when that much of it can still be read; else null. */
function damagedCheckpointBatch(dir: string): number | null {
  try {
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true, fileMustExist: true })
    try {
      return lastBatchHeld(db)
    } finally {
      db.close()
    }
  } catch {
    return null
  }
}

/** How the checkpoint of `dir` can be rebuilt, or why it cannot (a string to print). */
export function planRepair(dir: string): RepairPlan | string {
  const logDir = join(dir, 'log')
  const nats = readNatsLogMark(dir)
  if (nats !== null) return natsNodeRefusal(dir, nats.stream, existsSync(logDir))
  // A node's directory from before the mark: no log of its own is all that says where its log is.
  if (!existsSync(logDir)) return natsNodeRefusal(dir, null, false)
  const log = readSegments(logDir)
  if (log.problems.length > 0) return `the batch log itself is damaged, which --repair cannot mend (every batch after the damage would be lost): restore the log from a backup (docs/operations.md, "Recovering a damaged directory")`
  // The rebuild replays from the start of the run of batches that ends at the log's last one.
  const { first, lastBatch, empty } = lastBatchRun(log.segments)
  // A rebuild reaches the log's last batch: short of what the damaged file held, it would lose the rest.
  const held = damagedCheckpointBatch(dir)
  if (held !== null && held > lastBatch) return `the damaged ${DATABASE_FILE} says it holds batches up to ${held}, and the log ends ${lastBatch === 0 ? 'with no batch' : `at batch ${lastBatch}`}: a rebuild from it would lose batches ${lastBatch + 1} to ${held}. Restore ${DATABASE_FILE} from a backup and keep log/ (docs/operations.md, "Recovering a damaged directory")`
  const bases = listTraceBases(join(dir, TRACE_BASES_DIR)).filter((b) => b.batch >= first - 1 && b.batch <= lastBatch).reverse()
  for (const b of bases) if (intactBase(b.file, b.batch)) return { base: b.file, batch: b.batch, lastBatch }
  if (first === 1 || empty) return { base: null, batch: 0, lastBatch }
  return `neither an intact copy of the checkpoint (${TRACE_BASES_DIR}/) nor an empty state is followed by every batch in the log (it starts at batch ${first}): the checkpoint cannot be rebuilt from this directory; restore ${DATABASE_FILE} from a backup and keep log/ (docs/operations.md, "Recovering a damaged directory")`
}

/**
 * The run of consecutive batches that ends at the last one the log holds: its first batch (1 when the
 * log holds none), and that last one (0 when none).
 */
export function lastBatchRun(segments: ReturnType<typeof readSegments>['segments']): { first: number; lastBatch: number; empty: boolean } {
  const batches: number[] = []
  for (const seg of segments) for (const e of seg.entries) if (e.kind === 'batch') batches.push(e.batch)
  batches.sort((a, b) => a - b)
  let first = batches.at(-1) ?? 1
  for (let i = batches.length - 1; i > 0 && batches[i - 1] === (batches[i] as number) - 1; i--) first = batches[i - 1] as number
  return { first, lastBatch: batches.at(-1) ?? 0, empty: batches.length === 0 }
}

/** The steps of a rebuild after which a test may pause it (verify's --pause-at). */
export const REPAIR_STEPS = ['set-aside', 'rebuilt'] as const
export type RepairStep = (typeof REPAIR_STEPS)[number]

/**
 * Carries out `plan` under `lock`, the directory's, which the caller holds before and keeps after:
 * moves the damaged checkpoint aside, puts the plan's base in its place and opens the directory under
 * that same lock, which replays the log after the base; its clean close checkpoints the result.
 * `reached` is told each step done (REPAIR_STEPS).
 */
export async function rebuildCheckpoint(dir: string, plan: RepairPlan, lock: DirLock, out: (line: string) => void, reached: (step: RepairStep) => void): Promise<void> {
  const aside = setAsideCheckpoint(dir, plan, new Date())
  out(`--repair: moved the damaged ${DATABASE_FILE} (and its -wal, -shm) to ${aside}; rebuilding it from ${plan.base === null ? 'an empty state' : `${plan.base} (batches up to ${plan.batch})`} and the log's batches ${plan.batch + 1} to ${plan.lastBatch}`)
  reached('set-aside')
  // Loaded only for a repair: a plain verify needs none of the engine.
  const { openHoldingLock } = await import('../embedded.js')
  const started = performance.now()
  const db = await openHoldingLock({ dir, log: (line, e) => { if (e.level !== 'info') process.stderr.write(`${line}\n`) } }, lock)
  await db.close()
  out(`--repair: replayed the log in ${Math.round(performance.now() - started)} ms; checking again`)
  reached('rebuilt')
}

/**
 * Moves the damaged checkpoint (with its -wal and -shm, which SQLite would apply to the new file) into
 * `DIR/damaged-<time>/`, and puts the plan's base in its place (none: the open starts empty). Returns
 * where the damaged files went. The caller holds the directory's lock; the open that follows replays.
 */
function setAsideCheckpoint(dir: string, plan: RepairPlan, now: Date): string {
  const aside = join(dir, `damaged-${now.toISOString().replace(/[:.]/g, '-')}`)
  mkdirSync(aside)
  for (const suffix of ['', '-wal', '-shm']) {
    const f = join(dir, DATABASE_FILE + suffix)
    if (existsSync(f)) renameSync(f, join(aside, DATABASE_FILE + suffix))
  }
  if (plan.base !== null) {
    copyFileSync(plan.base, join(dir, DATABASE_FILE))
    fsyncPath(join(dir, DATABASE_FILE))
  }
  fsyncPath(dir)
  return aside
}
