// Random workloads of call chains over two tables, and running them through the engine.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import type { TxnInput, TxnOutcome } from '../../src/txn/types.js'
import { JS_RUNTIME, type Step } from './js-runtime.js'
import type { ModelTxn } from '../../src/testing/reference-model.js'
import { encodeSteps } from '../../src/testing/steps.js'
import { tempDir } from './tmp.js'

export const TABLES = [
  { name: 'kv', partitions: 4 },
  { name: 'kw', partitions: 3 },
] as const
export const FUNCTION_FUEL = 60
/** Fuel of the wasm `run` (per instruction, shared by the call chain): never exhausted by a generated program. */
export const WASM_FUNCTION_FUEL = 100_000_000

/** Which runtime executes kv.run and kw.run, with what fuel. */
export interface WorkloadFunctions {
  runtime: 'js' | 'wasm'
  fuel: number
}
/** The default: the JS test runtime, fuel FUNCTION_FUEL (so `spin` can exhaust it). */
export const JS_FUNCTIONS: WorkloadFunctions = { runtime: 'js', fuel: FUNCTION_FUEL }
/** guest/assemblyscript/examples/steps.ts, with fuel no generated program exhausts. */
export const WASM_FUNCTIONS: WorkloadFunctions = { runtime: 'wasm', fuel: WASM_FUNCTION_FUEL }

const fnArb = fc.constantFrom('kv.run', 'kw.run')
/** Mostly a few hot keys, sometimes a cold one. */
const keyArb = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) })

const leafArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: 'read' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 30 }).map((value) => ({ op: 'write' as const, value })) },
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 9 }).map((by) => ({ op: 'incr' as const, by })) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'c', 'd').map((item) => ({ op: 'append' as const, item })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 25 }).map((gt) => ({ op: 'abortIf' as const, gt })) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((units) => ({ op: 'spin' as const, units })) },
)

function stepsArb(depth: number): fc.Arbitrary<Step[]> {
  const step = depth === 0 ? leafArb : fc.oneof({ weight: 3, arbitrary: leafArb }, { weight: 1, arbitrary: callArb(depth - 1) })
  return fc.array(step, { minLength: 1, maxLength: 6 })
}

function callArb(depth: number): fc.Arbitrary<Step> {
  return fc.record({ op: fc.constant('call' as const), fn: fnArb, key: keyArb, steps: stepsArb(depth) })
}

export const txnArb: fc.Arbitrary<ModelTxn> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('call' as const), fn: fnArb, key: keyArb.map(BigInt), program: stepsArb(2) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      table: fc.constantFrom('kv', 'kw'),
      rows: fc.array(fc.tuple(keyArb.map(BigInt), fc.integer({ min: 0, max: 9 }).map(BigInt)), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const), table: fc.constantFrom('kv', 'kw'), key: keyArb.map(BigInt) }) },
)

/** Batches of transactions (each inner array becomes exactly one batch). */
export const workloadArb = fc.array(fc.array(txnArb, { minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 5 })

/** The engine input of a model transaction; a call's program as the runtime reads it (JSON for js). */
export function toInput(t: ModelTxn, runtime: WorkloadFunctions['runtime'] = 'js'): TxnInput {
  switch (t.kind) {
    case 'call': return { kind: 'call', fn: t.fn, key: t.key, args: [runtime === 'wasm' ? encodeSteps(t.program) : JSON.stringify(t.program)] }
    case 'insert': return { kind: 'insert', table: t.table, columns: ['k', 'v'], rows: t.rows, replace: false }
    case 'get': return { kind: 'get', table: t.table, key: t.key }
  }
}

export interface EngineRun {
  outcomes: TxnOutcome[]
  /** Digest after each data batch, in batch order. */
  digests: string[]
  finalDigest: string
  state: Map<string, unknown[][]>
  fallbackTxns: number
  walkRounds: number
  lockMisses: number
  batches: number
}

const root = new URL('../../../', import.meta.url).pathname
let stepsWasm: Uint8Array | undefined
/** dist/guest/steps.wasm, building the guests first if it is missing. */
export function stepsModule(): Uint8Array {
  if (stepsWasm !== undefined) return stepsWasm
  const path = join(root, 'dist', 'guest', 'steps.wasm')
  if (!existsSync(path)) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-guests.js')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`build-guests failed: ${r.stderr}${r.stdout}`)
  }
  stepsWasm = new Uint8Array(readFileSync(path))
  return stepsWasm
}

/** Every reply of a run (values, rows, failures, positions), for comparing runs. */
export function replies(run: EngineRun): unknown {
  return run.outcomes.map((o) => (o.ok ? { v: o.result.value ?? null, rows: o.result.rows ?? null, c: o.commit } : { e: o.failure.code, m: o.failure.message, c: o.commit }))
}

export async function openWorkloadDb(options: OpenOptions, fns: WorkloadFunctions = JS_FUNCTIONS): Promise<EmbeddedDatabase> {
  const db = await open({ batchIntervalMs: Infinity, ...options, runtimes: { js: JS_RUNTIME } })
  for (const t of TABLES) {
    await db.createTable({
      name: t.name, partitions: t.partitions,
      columns: [
        { name: 'k', type: 'INTEGER', primaryKey: true },
        { name: 'v', type: 'INTEGER', notNull: true, default: 0 },
        { name: 'log', type: 'TEXT', notNull: true, default: '' },
      ],
    })
    const body = fns.runtime === 'wasm' ? stepsModule() : new Uint8Array(0)
    await db.createFunction(`${t.name}.run`, body, { runtime: fns.runtime, fuel: fns.fuel })
  }
  return db
}

/** Runs the batches (each `flush`ed into exactly one batch, all submitted before any completes). */
export async function runWorkload(batches: ModelTxn[][], options: OpenOptions, fns: WorkloadFunctions = JS_FUNCTIONS): Promise<EngineRun> {
  const tmp = options.memory === true ? null : tempDir()
  const db = await openWorkloadDb({ ...options, ...(tmp ? { dir: tmp.dir } : {}) }, fns)
  try {
    const digests: string[] = []
    db.onBatch((rec) => {
      if (rec.txns[0]?.input.kind !== 'create-table' && rec.txns[0]?.input.kind !== 'create-function') digests.push(db.engine.digest())
    })
    const pending: Promise<TxnOutcome>[] = []
    for (const batch of batches) {
      for (const t of batch) pending.push(db.submit(toInput(t, fns.runtime)))
      db.flush()
    }
    const outcomes = await Promise.all(pending)
    const state = new Map(TABLES.map((t) => [t.name, db.engine.scanTable(t.name) as unknown[][]]))
    return {
      outcomes, digests, finalDigest: await db.digest(), state,
      fallbackTxns: db.stats.fallbackTxns, walkRounds: db.stats.walkRounds, lockMisses: db.stats.lockMisses, batches: db.stats.batches,
    }
  } finally {
    await db.close()
    tmp?.cleanup()
  }
}
