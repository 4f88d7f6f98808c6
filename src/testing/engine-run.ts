// Runs a workload through the embedded engine, each generated batch flushed into exactly one batch,
// and collects what the oracles compare: every outcome, the digest after every batch, the final rows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { guardAgainstOrphan } from '../orphan-guard.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open, type EmbeddedDatabase, type OpenOptions } from '../embedded.js'
import type { RuntimeKind } from '../schema/catalog.js'
import type { TxnInput, TxnOutcome } from '../txn/types.js'
import type { ModelTxn } from './reference-model.js'
import { encodeSteps } from './steps.js'
import type { Workload, WorkloadTable } from './workload.js'

/** Which runtime executes `<table>.run`, and how its program argument is encoded. */
export interface StepFunctions {
  readonly runtime: RuntimeKind
  /** The function body: the steps module for `wasm`. */
  readonly body: Uint8Array
  readonly fuel: number
  /** The program argument as the runtime reads it. */
  readonly encode: (t: Extract<ModelTxn, { kind: 'call' }>) => string
  /** Fuel the reference model charges per step (Infinity: the runtime never runs out on a generated program). */
  readonly modelFuel: number
}

/** guest/assemblyscript/examples/steps.ts, built to dist/guest/steps.wasm by `npm install`. */
export const STEPS_WASM_URL = new URL('../../guest/steps.wasm', import.meta.url)

let stepsBytes: Uint8Array | undefined
export function stepsModule(): Uint8Array {
  stepsBytes ??= new Uint8Array(readFileSync(STEPS_WASM_URL))
  return stepsBytes
}

/** Fuel of the wasm `run` (per instruction, shared by the call chain): no generated program exhausts it. */
export const WASM_STEPS_FUEL = 100_000_000

/** The real WebAssembly interpreter of step programs: what `acheron check` runs. */
export function wasmStepFunctions(): StepFunctions {
  return { runtime: 'wasm', body: stepsModule(), fuel: WASM_STEPS_FUEL, encode: (t) => encodeSteps(t.program), modelFuel: Infinity }
}

export interface EngineRun {
  readonly outcomes: readonly TxnOutcome[]
  /** State digest after each data batch, in batch order. */
  readonly digests: readonly string[]
  readonly finalDigest: string
  /** Every table's rows [k, v, log, and any columns the workload added], in key order. */
  readonly state: ReadonlyMap<string, readonly (readonly unknown[])[]>
  readonly fallbackTxns: number
  readonly lockMisses: number
  readonly batches: number
}

export function tableDdl(t: WorkloadTable): string {
  return `CREATE TABLE ${t.name} (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0, log TEXT NOT NULL DEFAULT '') PARTITIONS ${t.partitions}`
}

export function toInput(t: ModelTxn, fns: StepFunctions): TxnInput {
  switch (t.kind) {
    case 'call': return { kind: 'call', fn: t.fn, key: t.key, args: [fns.encode(t)] }
    case 'insert': return { kind: 'insert', table: t.table, columns: [t.keyColumn ?? 'k', 'v'], rows: t.rows, replace: false }
    case 'get': return { kind: 'get', table: t.table, key: t.key }
    case 'repartition': return { kind: 'alter-table-partitions', name: t.table, partitions: t.partitions }
    case 'rename-key': return { kind: 'alter-table-rename-column', name: t.table, column: t.from, to: t.to }
    case 'add-column': return { kind: 'alter-table-add-column', name: t.table, column: { name: t.column, type: 'INTEGER', notNull: true, default: t.default }, ifNotExists: true }
    case 'drop-column': return { kind: 'alter-table-drop-column', name: t.table, column: t.column, ifExists: true }
  }
}

/** 2026-01-01 UTC: where the harness's clocks start. */
const HARNESS_EPOCH_MS = 1_767_225_600_000

/**
 * A fixed wall clock (HARNESS_EPOCH_MS), for engines whose runs must not see time pass: the list-append
 * clients of the elle property read no batch time.
 */
export const harnessWallClockMs = (): number => HARNESS_EPOCH_MS

/** How far a harness clock moves at each read: every batch the engine stamps reads it once. */
export const HARNESS_CLOCK_STEP_MS = 1_000
/** How far apart the runs' start times are: more than any run's batches move a clock. */
const HARNESS_RUN_SPACING_MS = 100_000_000

/**
 * The wall clock of one harness engine (workloads' `time` steps read the batch time): it moves on by
 * HARNESS_CLOCK_STEP_MS at every read, so that each batch gets a time of its own and an execution that
 * read the clock instead of its batch's time reads another value; and each run starts it at the time
 * its workload was given (runClockStart), so that every engine a property compares on one workload
 * stamps the same batches with the same times, whatever the engine ran before.
 */
class HarnessClock {
  private ms = HARNESS_EPOCH_MS
  readonly now = (): number => (this.ms += HARNESS_CLOCK_STEP_MS)

  startAt(ms: number): void {
    this.ms = ms
  }
}

/** The clock of each engine the harness opened with one of its own. */
const harnessClocks = new WeakMap<EmbeddedDatabase, HarnessClock>()

/** Opens a database on a harness clock of its own, unless `options` bring a clock. */
function openOnHarnessClock(options: OpenOptions): Promise<EmbeddedDatabase> {
  const clock = new HarnessClock()
  const db = open({ batchIntervalMs: Infinity, wallClockMs: clock.now, ...options })
  return options.wallClockMs !== undefined ? db : db.then((d) => { harnessClocks.set(d, clock); return d })
}

/**
 * The time a run of `w` starts its engine's clock at: the same for every run of the same workload in a
 * row (the engines a property compares), later than every earlier workload's runs went.
 */
let lastRun: { readonly w: Workload; readonly startMs: number } | null = null
function runClockStart(w: Workload): number {
  if (lastRun?.w !== w) lastRun = { w, startMs: (lastRun?.startMs ?? HARNESS_EPOCH_MS) + HARNESS_RUN_SPACING_MS }
  return lastRun.startMs
}

/**
 * A failure's text with the times of `w`'s runs shown as `T+<ms>`, the time since its clock started: where
 * a run's clock starts depends on how many workloads came before it, so the same counterexample replayed
 * on its own (acheron check --path) shows other times, and the same `T+` ones.
 */
export function runTimesText(w: Workload, text: string): string {
  if (lastRun?.w !== w) return text
  const start = lastRun.startMs
  return text.replace(/\b\d{13}\b/g, (d) => {
    const ms = Number(d)
    return ms > start && ms < start + HARNESS_RUN_SPACING_MS ? `T+${ms - start}` : d
  })
}

/** Opens a database with the workload's tables and their `run` functions; batches close only on flush. */
export async function openWorkloadDb(tables: readonly WorkloadTable[], options: OpenOptions, fns: StepFunctions): Promise<EmbeddedDatabase> {
  const db = await openOnHarnessClock(options)
  try {
    await createTables(db, tables, fns)
    return db
  } catch (err) {
    await db.close()
    throw err
  }
}

/**
 * Scratch directories not cleaned up yet, each with what tells the orphan guard it is gone: removed when
 * the process exits (Ctrl-C of `acheron check` too).
 */
const liveScratchDirs = new Map<string, () => void>()
let scratchExitHookInstalled = false

function removeScratchDir(dir: string): void {
  const released = liveScratchDirs.get(dir)
  liveScratchDirs.delete(dir)
  // A server killed on the same exit may still be writing into it for a moment: ENOTEMPTY is retried.
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 })
  released?.()
}

/**
 * A scratch data directory, removed by `cleanup`, or when the process exits first: `exitOnSignals` turns
 * SIGINT/SIGTERM/SIGHUP into an exit, so a check stopped mid-run leaves no server data in the temp dir;
 * after a SIGKILL, which runs no exit hook, the orphan guard removes it.
 */
export function scratchDir(prefix = 'acheron-check-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (!scratchExitHookInstalled) {
    scratchExitHookInstalled = true
    process.once('exit', () => {
      for (const d of [...liveScratchDirs.keys()]) {
        try { removeScratchDir(d) } catch { /* best effort on the way out */ }
      }
    })
  }
  liveScratchDirs.set(dir, guardAgainstOrphan({ op: 'remove', path: dir }))
  return { dir, cleanup: () => removeScratchDir(dir) }
}

/**
 * Engines kept open across runs, one per configuration: starting an engine (worker threads, each
 * loading binaryen and compiling the steps module) costs far more than a run. Each run drops and
 * recreates its tables, so it starts from an empty state; the digest covers only live tables.
 */
export class EngineCache {
  /** Per key, the engines opened, each with the options it was opened with. */
  private readonly open = new Map<string, { options: OpenOptions; db: Promise<EmbeddedDatabase>; cleanup: () => void }[]>()
  private readonly closers: (() => Promise<void>)[] = []

  /** Runs `fn` at close, before the engines close (e.g. a server started over one of them). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn)
  }

  /**
   * The engine for `key` and these `options`, opened the first time (in a scratch directory unless in
   * memory). Keyed by the options too: one cache shared by two protocols ran the second on the first's
   * engine, so a broken protocol passed where a correct one had run before it.
   */
  get(key: string, options: OpenOptions): Promise<EmbeddedDatabase> {
    const opened = this.open.get(key) ?? []
    const hit = opened.find((e) => sameOptions(e.options, options))
    if (hit !== undefined) return hit.db
    const tmp = options.memory === true || options.dir !== undefined ? null : scratchDir()
    const db = openOnHarnessClock({ ...options, ...(tmp !== null ? { dir: tmp.dir } : {}) })
    this.open.set(key, [...opened, { options, db, cleanup: () => tmp?.cleanup() }])
    return db
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0)) await fn().catch(() => {})
    const all = [...this.open.values()].flat()
    this.open.clear()
    for (const { db, cleanup } of all) {
      await db.then((d) => d.close(), () => {})
      cleanup()
    }
  }
}

/** The same options, value for value (a protocol, faults or runtimes by identity). */
function sameOptions(a: OpenOptions, b: OpenOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
}

/** Each table with its `run` function. */
async function createTables(db: EmbeddedDatabase, tables: readonly WorkloadTable[], fns: StepFunctions): Promise<void> {
  for (const t of tables) {
    await db.sql(tableDdl(t))
    await db.createFunction(`${t.name}.run`, fns.body, { runtime: fns.runtime, fuel: fns.fuel, export: 'run' })
  }
  // The tables in the checkpoint before the run: its reads of rows no batch wrote yet go to the
  // checkpoint's partition tables (until then they are known absent), so the run exercises that path too.
  await db.checkpoint()
}

async function dropTables(db: EmbeddedDatabase, names: readonly string[]): Promise<void> {
  for (const n of names) await db.sql(`DROP TABLE IF EXISTS ${n}`)
}

/**
 * Submits every batch before any completes (each `flush`ed into one batch, so batches pipeline), then
 * reads the final state; `inspect` then looks at the database before its tables are dropped. With a cache, on its engine for `cacheKey`; otherwise on a fresh engine (on
 * SQLite in a scratch directory unless `options.memory`).
 */
export async function runWorkload(w: Workload, options: OpenOptions, fns: StepFunctions, cache?: { engines: EngineCache; key: string }, inspect?: (db: EmbeddedDatabase, run: EngineRun) => Promise<void>): Promise<EngineRun> {
  const names = w.tables.map((t) => t.name)
  const runAndInspect = async (db: EmbeddedDatabase): Promise<EngineRun> => {
    const run = await runOn(db, w, fns)
    await inspect?.(db, run)
    return run
  }
  if (cache !== undefined) {
    const db = await cache.engines.get(cache.key, options)
    await dropTables(db, names)
    await createTables(db, w.tables, fns)
    try {
      return await runAndInspect(db)
    } finally {
      await dropTables(db, names)
    }
  }
  const tmp = options.memory === true || options.dir !== undefined ? null : scratchDir()
  const db = await openWorkloadDb(w.tables, { ...options, ...(tmp !== null ? { dir: tmp.dir } : {}) }, fns)
  try {
    return await runAndInspect(db)
  } finally {
    await db.close()
    tmp?.cleanup()
  }
}

async function runOn(db: EmbeddedDatabase, w: Workload, fns: StepFunctions): Promise<EngineRun> {
  // Asked inside onBatch, a digest is of the state right after that batch (the state store gets the
  // request right after the batch's writes); the answers come later.
  const digests: Promise<string>[] = []
  const before = { ...db.stats }
  harnessClocks.get(db)?.startAt(runClockStart(w))
  db.onBatch((rec) => {
    const first = rec.txns[0]?.input.kind
    if (first === 'call' || first === 'insert' || first === 'get') digests.push(rec.digest())
  })
  try {
    const pending: Promise<TxnOutcome>[] = []
    for (const batch of w.batches) {
      for (const t of batch) pending.push(db.submit(toInput(t, fns)))
      db.flush()
    }
    const outcomes = await Promise.all(pending)
    const state = new Map<string, unknown[][]>()
    for (const t of w.tables) state.set(t.name, await db.engine.scanTable(t.name) as unknown[][])
    return {
      outcomes, digests: await Promise.all(digests), finalDigest: await db.digest(), state,
      fallbackTxns: db.stats.fallbackTxns - before.fallbackTxns,
      lockMisses: db.stats.lockMisses - before.lockMisses,
      batches: db.stats.batches - before.batches,
    }
  } finally {
    db.onBatch(null)
  }
}

/** Every reply of a run (values, rows, failures, positions), for comparing runs. */
export function replies(run: EngineRun): unknown[] {
  return run.outcomes.map((o) => (o.ok ? { v: o.result.value ?? null, rows: o.result.rows ?? null, c: o.commit } : { e: o.failure.code, m: o.failure.message, c: o.commit ?? null }))
}
