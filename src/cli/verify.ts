/**
 * `acheron verify --data DIR`: the full check of a stopped data directory. What every open checks
 * cheaply (files, format, module hashes, catalog against tables, the log reaching on from the
 * checkpoint) plus SQLite's `PRAGMA integrity_check`, every row's storage class against its column and
 * its partition, and every log frame's checksum from the checkpoint on; and the copies of the checkpoint
 * kept for EXPLAIN COMMIT (trace bases): each one whole and holding the batch its name says, and how far
 * back the bases and the log let EXPLAIN COMMIT reach. Exits 0 with a summary when the directory is
 * sound, 1 naming each problem. It takes the directory's lock: a directory in use is refused.
 */
import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { listTraceBases, TRACE_BASES_DIR } from '../inspect/trace-bases.js'
import { cutTailFile, readSegments } from '../log/file-log.js'
import type { CatalogData } from '../schema/catalog.js'
import { decodeBatch } from '../txn/batch-codec.js'
import { catalogTableProblems, fileProblems, formatProblem, moduleProblems, rowProblems } from '../storage/damage.js'
import { DirLock, LOCK_FILE } from '../storage/dir-lock.js'
import { DATABASE_FILE, STORAGE_FORMAT } from '../storage/sqlite-schema.js'
import { lastBatchHeld } from '../storage/state-file.js'
import { catalogFromJson } from '../storage/value-codec.js'
import { pauseHere } from '../crash-points.js'
import { planRepair, rebuildCheckpoint, REPAIR_STEPS, type RepairPlan, type RepairStep } from './repair.js'
import { UsageError } from './usage-error.js'

export const VERIFY_USAGE = `usage: acheron verify --data DIR [--repair] [--replay]
  checks a stopped data directory: SQLite integrity, every row against its table, module hashes, the
  batch log's frames from the checkpoint on, and the copies of the checkpoint kept for EXPLAIN COMMIT;
  exits 0 when sound, 1 naming each problem
  --repair   when the checkpoint (acheron.db) is damaged: move it aside to DIR/damaged-<time>/ and
             rebuild it from the newest intact copy in trace-bases/ (or an empty state) and the batch
             log, then check again; exits 0 when the rebuilt directory is sound. A damaged log is not
             repaired, nor a node whose log is on NATS JetStream (default: off)
  --replay   once the directory is sound, find what no checksum can: a value changed inside a sound
             page. Builds the state twice in scratch directories under the system's temporary one,
             from the checkpoint and from the oldest point the log reaches back to (an empty state or
             a copy in trace-bases/), each replaying the log to its last batch, and compares them row
             for row; exits 1 naming each row that differs (default: off)`

interface Checkpoint { readonly lastBatch: number; readonly tables: number; readonly rows: number; readonly modules: number }

function checkDatabase(file: string, problems: string[]): Checkpoint | null {
  // One that is not a file is a problem fileProblems names (SQLite said only "unable to open database file").
  if (!existsSync(file) || !statSync(file).isFile()) return null
  const db = new Database(file, { fileMustExist: true })
  try {
    const integrity = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[]
    const bad = integrity.map((r) => r.integrity_check).filter((m) => m !== 'ok')
    for (const m of bad) problems.push(`${file}: SQLite integrity_check: ${m}`)
    const meta = (k: string): unknown => (db.prepare('SELECT v FROM _acheron_meta WHERE k = ?').pluck().safeIntegers(true).get(k))
    const format = meta('format')
    if (format !== undefined && Number(format) !== STORAGE_FORMAT) {
      problems.push(formatProblem(file, format))
      return null
    }
    const text = meta('catalog')
    let catalog: CatalogData = { version: 0, tables: [], functions: [] }
    try {
      if (typeof text === 'string') catalog = catalogFromJson<CatalogData>(text)
    } catch (err) {
      problems.push(`${file}: the catalog in _acheron_meta cannot be read (${err instanceof Error ? err.message : String(err)})`)
      return null
    }
    const modules = new Map((db.prepare('SELECT hash, bytes FROM _acheron_modules').raw(true).all() as [string, Buffer][]).map(([h, b]) => [h, new Uint8Array(b)] as const))
    problems.push(...moduleProblems(file, catalog, modules))
    const tableProblems = catalogTableProblems(db, file, catalog)
    problems.push(...tableProblems)
    let rows = 0
    if (tableProblems.length === 0) {
      for (const t of catalog.tables) {
        const r = rowProblems(db, file, t)
        rows += r.rows
        problems.push(...r.problems)
      }
    }
    return { lastBatch: Number(meta('last_batch') ?? 0n), tables: catalog.tables.length, rows, modules: modules.size }
  } catch (err) {
    problems.push(`${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`)
    return null
  } finally {
    db.close()
  }
}

/**
 * The trace bases: each must open, pass SQLite's integrity check and hold the batch its name says (the
 * trace thread picks a base by its name). A damaged one harms no data — recovery never reads them — but
 * EXPLAIN COMMIT would fail on it, so it is a problem to fix (by deleting the file). Returns the summary:
 * how many, and from which batch on EXPLAIN COMMIT can re-run positions given the bases and the batches
 * the log holds before the checkpoint (`logged`).
 */
function checkTraceBases(dir: string, checkpointBatch: number, logged: ReadonlySet<number>, problems: string[]): string {
  const bases = listTraceBases(join(dir, TRACE_BASES_DIR))
  const intact: number[] = []
  for (const base of bases) {
    const damaged = (what: string): void => {
      problems.push(`${base.file}: ${what}. It is a copy of the checkpoint kept only for EXPLAIN COMMIT, which would fail on it; no data depends on it: delete it`)
    }
    let db: Database.Database
    try {
      db = new Database(base.file, { readonly: true, fileMustExist: true })
    } catch (err) {
      damaged(`cannot be opened (${err instanceof Error ? err.message : String(err)})`)
      continue
    }
    try {
      const bad = (db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[]).map((r) => r.integrity_check).filter((m) => m !== 'ok')
      if (bad.length > 0) damaged(`SQLite integrity_check: ${bad.join('; ')}`)
      else {
        const held = lastBatchHeld(db)
        if (held !== base.batch) damaged(`its name says it holds batches up to ${base.batch}, but it holds batches up to ${held}`)
        else intact.push(base.batch)
      }
    } catch (err) {
      damaged(`cannot be read (${err instanceof Error ? err.message : String(err)})`)
    } finally {
      db.close()
    }
  }
  // The oldest state a trace can start from and replay the log up to the checkpoint: an empty state, or
  // an intact base, with every batch from just after it to the checkpoint in the log.
  let reach = checkpointBatch
  for (let b = checkpointBatch; b >= 1 && logged.has(b); b--) reach = b - 1
  const from = reach === 0 ? 0 : intact.find((b) => b >= reach) ?? checkpointBatch
  const kept = bases.length === 0 ? 'no copies of the checkpoint kept' : `${bases.length} cop${bases.length === 1 ? 'y' : 'ies'} of the checkpoint kept (batches up to ${bases.map((b) => b.batch).join(', ')})`
  return `${kept}; EXPLAIN COMMIT re-runs ${from === 0 ? 'every position the log holds' : `positions after batch ${from}`}`
}

function holdsData(dir: string): boolean {
  return existsSync(join(dir, DATABASE_FILE)) || existsSync(join(dir, 'log'))
}

function notADataDir(dir: string): { sound: false; lines: string[] } {
  return { sound: false, lines: [`${dir} is not an Acheron data directory: it has neither ${DATABASE_FILE} nor log/`] }
}

/** Runs the check; returns the lines to print and whether the directory is sound. */
export function verifyDataDir(dir: string): { sound: boolean; lines: string[] } {
  const problems: string[] = [...fileProblems(dir)]
  const dbFile = join(dir, DATABASE_FILE)
  const logDir = join(dir, 'log')
  if (!holdsData(dir)) return notADataDir(dir)
  const checkpoint = checkDatabase(dbFile, problems)
  const from = (checkpoint?.lastBatch ?? 0) + 1
  const log = readSegments(logDir)
  problems.push(...log.problems)
  const notes: string[] = []
  let expected = from
  let lastBatch = 0
  let replayed = 0
  /** Batches the log holds before the checkpoint (kept for EXPLAIN COMMIT). */
  const before = new Set<number>()
  for (const seg of log.segments) {
    if (seg.tornBytes > 0) notes.push(`${seg.file}: a tail of ${seg.tornBytes} bytes after the last whole entry will be cut at the next open, its bytes kept in ${cutTailFile(seg.file, seg.validBytes)}: after a crash, a write the last run did not finish (never acknowledged); after no crash, a last entry the disk damaged, whose batch may have been acknowledged (its checksum cannot tell which)`)
    for (const e of seg.entries) {
      lastBatch = Math.max(lastBatch, e.batch)
      if (e.kind === 'batch' && e.batch < from) before.add(e.batch)
      if (e.kind !== 'batch' || e.batch < from) continue
      if (e.batch !== expected) {
        problems.push(`${seg.file}: the log holds batch ${e.batch} where batch ${expected} was due after the checkpoint at batch ${from - 1}: batches ${expected} to ${e.batch - 1} are in neither the checkpoint nor the log`)
        expected = e.batch
      }
      try {
        decodeBatch(e.body)
      } catch (err) {
        problems.push(`${seg.file}: batch ${e.batch} does not decode (${err instanceof Error ? err.message : String(err)})`)
      }
      expected++
      replayed++
    }
  }
  // A node whose batch log is a NATS JetStream stream keeps no log/ here, nor copies: its traces read the stream.
  const traces = existsSync(logDir) ? checkTraceBases(dir, from - 1, before, problems) : 'no batch log in this directory (a node whose log is on NATS JetStream reads the stream)'
  if (problems.length > 0) return { sound: false, lines: [`${dir}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:`, ...problems.map((p) => `  ${p}`), ...notes] }
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`
  const cp = checkpoint === null ? 'no checkpoint yet' : `checkpoint at batch ${checkpoint.lastBatch} (${count(checkpoint.tables, 'table')}, ${count(checkpoint.rows, 'row')}, ${count(checkpoint.modules, 'module')}; integrity ok)`
  const lg = `log: ${log.segments.length} segment${log.segments.length === 1 ? '' : 's'}, last batch ${lastBatch}, ${replayed} batch${replayed === 1 ? '' : 'es'} to replay from batch ${from}, every frame's checksum ok`
  return { sound: true, lines: [`${dir} is sound: ${cp}; ${lg}; ${traces}`, ...notes] }
}

export async function verifyCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { data: { type: 'string' }, repair: { type: 'boolean' }, replay: { type: 'boolean' }, 'pause-at': { type: 'string' } } })
  if (values.data === undefined) throw new UsageError(`--data DIR is required\n${VERIFY_USAGE}`)
  if (values.data === '') throw new UsageError('--data needs a directory, not an empty string')
  const dir = values.data
  const pauseAt = repairPause(values['pause-at'])
  if (!existsSync(dir)) throw new Error(`no such directory: ${dir}`)
  // A directory that holds no data (a wrong --data) is said so before the lock is taken: the lock file
  // it would create is litter in someone else's directory. One that is in use is refused: its files
  // change under the check.
  if (statSync(dir).isDirectory() && !holdsData(dir) && !existsSync(join(dir, LOCK_FILE))) {
    for (const l of notADataDir(dir).lines) out(l)
    return 1
  }
  // One lock from the first check to the last: a repair moves the checkpoint aside, rebuilds it and
  // checks it again under it, so no other process opens the directory between those steps (it would
  // find no acheron.db, and start from an empty state or whatever it found).
  const lock = DirLock.acquire(dir)
  let sound = false
  try {
    const checked = verifyDataDir(dir)
    sound = checked.sound
    for (const l of checked.lines) out(l)
    if (!sound && values.repair === true) {
      const plan = repairPlanFor(dir, checked.lines)
      if (typeof plan === 'string') {
        out(`--repair: ${plan}`)
        return 1
      }
      await rebuildCheckpoint(dir, plan, lock, out, (at) => { if (at === pauseAt) pauseHere(at) })
      const again = verifyDataDir(dir)
      sound = again.sound
      for (const l of again.lines) out(l)
    }
    if (!sound || values.replay !== true) return sound ? 0 : 1
    // Loaded only for --replay, which opens engines.
    const replayed = await (await import('./verify-replay.js')).replayCheck(dir)
    for (const l of replayed.lines) out(l)
    return replayed.ok ? 0 : 1
  } finally {
    // A damaged directory keeps the acheron.pid an unclean stop left: the next start checks its pages again.
    if (sound) lock.release()
    else lock.releaseAfterFailedOpen()
  }
}

/**
 * `--pause-at set-aside|rebuilt` (tests only, in no usage): stop the repair (SIGSTOP, as crash-points'
 * pause points) once the damaged checkpoint is moved aside, or once the rebuild closed, the instants at
 * which it used to let go of the directory's lock.
 */
function repairPause(text: string | undefined): RepairStep | null {
  if (text === undefined) return null
  if (!(REPAIR_STEPS as readonly string[]).includes(text)) throw new UsageError(`--pause-at takes ${REPAIR_STEPS.join(' or ')}, got '${text}'`)
  return text as RepairStep
}

/** The plan, when every problem found is the checkpoint's (or a trace base's, which the plan passes over). */
function repairPlanFor(dir: string, lines: readonly string[]): RepairPlan | string {
  const dbFile = join(dir, DATABASE_FILE)
  const problems = lines.filter((l) => l.startsWith('  ')).map((l) => l.trim())
  if (problems.some((p) => /written by a newer acheron/.test(p))) return 'a checkpoint a newer acheron wrote is not damaged: run that version; nothing was changed'
  if (!problems.some((p) => p.startsWith(dbFile))) return `it rebuilds only a damaged ${DATABASE_FILE}, and none of the problems above is one; nothing was changed`
  const plan = planRepair(dir)
  return typeof plan === 'string' ? `${plan}; nothing was changed` : plan
}
