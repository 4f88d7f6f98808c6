/**
 * `acheron verify --replay`: the check no checksum can make. SQLite's integrity check finds broken pages,
 * the log's checksums broken frames; neither finds a value that changed inside a sound page (a bit the
 * disk flipped in a record, a write it lost). The log can: a directory's state is a function of its log.
 * So the state is built twice in scratch directories, each replaying the log to its last batch through
 * the engine (an ordinary open): once from the checkpoint, as the next start would, and once from the
 * oldest point the log reaches back to (an empty state when it holds every batch from 1, else the oldest
 * intact copy of the checkpoint kept for EXPLAIN COMMIT that it continues). The two must be equal, table
 * by table and row for row; a difference is named by table, partition and key. The scratch directories
 * (under the system's temporary directory) are removed after.
 */
import Database from 'better-sqlite3'
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { listTraceBases, TRACE_BASES_DIR } from '../inspect/trace-bases.js'
import { readSegments } from '../log/file-log.js'
import type { CatalogData, TableDef } from '../schema/catalog.js'
import { compareKeys } from '../schema/keys.js'
import { sqlLiteral } from '../sql-literal.js'
import { readNatsLogMark } from '../storage/nats-log-mark.js'
import { DATABASE_FILE, partitionTableName, quoteIdent } from '../storage/sqlite-schema.js'
import { catalogFromJson } from '../storage/value-codec.js'
import type { SqlValue } from '../values.js'
import { intactBase, lastBatchRun } from './repair.js'

/** Differences named per table before the rest are only counted. */
export const REPLAY_DIFFERENCES_SHOWN_MAX = 10

/** Where the second build starts: a copy of the checkpoint holding batches up to `batch`, or empty (0). */
interface ReplayStart { readonly base: string | null; readonly batch: number }

/** The oldest start the log continues to its last batch, or why there is none (a sentence). */
function oldestStart(dir: string): { start: ReplayStart; lastBatch: number } | string {
  if (readNatsLogMark(dir) !== null || !existsSync(join(dir, 'log'))) {
    return 'this node\'s batch log is on NATS JetStream, not in the directory: --replay replays only a directory\'s own log'
  }
  // The log was checked whole before (verify): its run of batches ending at the last is what replays.
  const { first, lastBatch } = lastBatchRun(readSegments(join(dir, 'log')).segments)
  if (first === 1) return { start: { base: null, batch: 0 }, lastBatch }
  for (const b of listTraceBases(join(dir, TRACE_BASES_DIR))) {
    if (b.batch >= first - 1 && b.batch <= lastBatch && intactBase(b.file, b.batch)) return { start: { base: b.file, batch: b.batch }, lastBatch }
  }
  return `the log reaches back to batch ${first} only, and no intact copy of the checkpoint in ${TRACE_BASES_DIR}/ is that old: there is nothing to replay from (keep copies with --trace-bases-kept, docs/operations.md)`
}

/** Builds the state in a new scratch directory: `checkpoint` files (or none) and a copy of the log, opened. */
async function build(dir: string, checkpoint: string | null, what: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), `acheron-replay-${what}-`))
  try {
    cpSync(join(dir, 'log'), join(scratch, 'log'), { recursive: true })
    if (checkpoint !== null) {
      for (const suffix of ['', '-wal']) {
        if (existsSync(checkpoint + suffix)) copyFileSync(checkpoint + suffix, join(scratch, DATABASE_FILE + suffix))
      }
    }
    // Loaded only here: the rest of verify needs none of the engine.
    const { open } = await import('../embedded.js')
    const db = await open({ dir: scratch, log: () => {} })
    await db.close()
    return scratch
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true })
    throw err
  }
}

const sameValue = (a: SqlValue, b: SqlValue): boolean =>
  a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(a, b) === 0 : Object.is(a, b)

function valueText(v: SqlValue): string {
  try {
    return sqlLiteral(v)
  } catch {
    return String(v)
  }
}

const rowText = (row: readonly SqlValue[] | undefined): string => (row === undefined ? 'no row' : `(${row.map(valueText).join(', ')})`)

/** Every difference between two built states (their catalogs, then each partition's rows in key order). */
function differences(a: string, b: string, aName: string, bName: string): string[] {
  const da = new Database(join(a, DATABASE_FILE), { readonly: true, fileMustExist: true })
  const db = new Database(join(b, DATABASE_FILE), { readonly: true, fileMustExist: true })
  try {
    const catalogText = (d: Database.Database): string => d.prepare("SELECT v FROM _acheron_meta WHERE k = 'catalog'").pluck().get() as string
    const ca = catalogText(da)
    if (ca !== catalogText(db)) return [`the catalogs differ: ${aName} has ${ca}, ${bName} ${catalogText(db)}`]
    const catalog = catalogFromJson<CatalogData>(ca)
    const out: string[] = []
    for (const table of catalog.tables) out.push(...tableDifferences(da, db, table, aName, bName))
    return out
  } finally {
    da.close()
    db.close()
  }
}

/** A partition's rows, whole (dropped columns too), in the engine's key order. */
function partitionRows(d: Database.Database, table: TableDef, p: number): SqlValue[][] {
  const rows = d.prepare(`SELECT * FROM ${quoteIdent(partitionTableName(table, p))}`).raw(true).safeIntegers(true).all() as SqlValue[][]
  return rows.sort((x, y) => compareKeys(x[table.keyIndex] as SqlValue, y[table.keyIndex] as SqlValue))
}

function tableDifferences(da: Database.Database, db: Database.Database, table: TableDef, aName: string, bName: string): string[] {
  const shown: string[] = []
  let count = 0
  const differ = (p: number, u: SqlValue[] | undefined, v: SqlValue[] | undefined): void => {
    count++
    if (shown.length >= REPLAY_DIFFERENCES_SHOWN_MAX) return
    const key = (u ?? v)?.[table.keyIndex] as SqlValue
    shown.push(`table ${table.name}, partition ${p}, key ${valueText(key)}: ${aName} holds ${rowText(u)}, ${bName} ${rowText(v)}`)
  }
  for (let p = 0; p < table.partitions; p++) {
    const ra = partitionRows(da, table, p)
    const rb = partitionRows(db, table, p)
    // A merge of the two key orders: equal keys are compared, a key only one holds is a difference.
    let i = 0
    let j = 0
    while (i < ra.length || j < rb.length) {
      const u = ra[i]
      const v = rb[j]
      const order = u === undefined ? 1 : v === undefined ? -1 : compareKeys(u[table.keyIndex] as SqlValue, v[table.keyIndex] as SqlValue)
      if (order < 0) {
        differ(p, u, undefined)
        i++
      } else if (order > 0) {
        differ(p, undefined, v)
        j++
      } else {
        if (u?.length !== v?.length || !(u as SqlValue[]).every((c, n) => sameValue(c, (v as SqlValue[])[n] as SqlValue))) differ(p, u, v)
        i++
        j++
      }
    }
  }
  if (count > shown.length) shown.push(`table ${table.name}: ${count - shown.length} more row${count - shown.length === 1 ? '' : 's'} differ`)
  return shown
}

/**
 * The replay check of a stopped directory whose lock the caller holds: `ok` when both builds are equal,
 * or, not ok, the lines that say what differs or why it could not run.
 */
export async function replayCheck(dir: string): Promise<{ ok: boolean; lines: string[] }> {
  const planned = oldestStart(dir)
  if (typeof planned === 'string') return { ok: false, lines: [`--replay: ${planned}`] }
  const { start, lastBatch } = planned
  const from = start.base === null ? 'an empty state' : `${start.base} (batches up to ${start.batch})`
  const checkpoint = join(dir, DATABASE_FILE)
  const started = performance.now()
  const scratch: string[] = []
  try {
    scratch.push(await build(dir, existsSync(checkpoint) ? checkpoint : null, 'checkpoint'))
    scratch.push(await build(dir, start.base, 'start'))
    const ms = Math.round(performance.now() - started)
    const rebuild = `the rebuild from ${start.base === null ? 'an empty state' : basename(start.base)}`
    const diff = differences(scratch[0] as string, scratch[1] as string, DATABASE_FILE, rebuild)
    if (diff.length === 0) {
      return { ok: true, lines: [`--replay: ${DATABASE_FILE} and ${from}, each replayed through the log to batch ${lastBatch} (${lastBatch - start.batch} batches from the start), are equal row for row (${ms} ms)`] }
    }
    // From an empty state, only the checkpoint can be wrong: the log is checksummed and replay deterministic.
    const what = start.base === null
      ? `a value in ${DATABASE_FILE} changed without any checksum seeing it. Move ${DATABASE_FILE}* aside and start the node: it replays the whole log`
      : `a value changed without any checksum seeing it, in ${DATABASE_FILE} or in ${start.base}. Move that copy aside and run --replay again: the next copy, or an empty state, tells which`
    return {
      ok: false,
      lines: [
        `--replay: ${DATABASE_FILE} and ${from}, each replayed through the log to batch ${lastBatch}, differ: ${what} (docs/operations.md, "Recovering a damaged directory"):`,
        ...diff.map((d) => `  ${d}`),
      ],
    }
  } finally {
    for (const s of scratch) rmSync(s, { recursive: true, force: true })
  }
}
