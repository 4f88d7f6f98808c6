// Random workloads of call chains over two tables, and running them through the engine.
import fc from 'fast-check'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import type { TxnInput, TxnOutcome } from '../../src/txn/types.js'
import { JS_RUNTIME, type Step } from './js-runtime.js'
import type { ModelTxn } from './reference-model.js'
import { tempDir } from './tmp.js'

export const TABLES = [
  { name: 'kv', partitions: 4 },
  { name: 'kw', partitions: 3 },
] as const
export const FUNCTION_FUEL = 60

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

export function toInput(t: ModelTxn): TxnInput {
  switch (t.kind) {
    case 'call': return { kind: 'call', fn: t.fn, key: t.key, args: [JSON.stringify(t.program)] }
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

export async function openWorkloadDb(options: OpenOptions): Promise<EmbeddedDatabase> {
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
    await db.createFunction(`${t.name}.run`, new Uint8Array(0), { runtime: 'js', fuel: FUNCTION_FUEL })
  }
  return db
}

/** Runs the batches (each `flush`ed into exactly one batch, all submitted before any completes). */
export async function runWorkload(batches: ModelTxn[][], options: OpenOptions): Promise<EngineRun> {
  const tmp = options.memory === true ? null : tempDir()
  const db = await openWorkloadDb({ ...options, ...(tmp ? { dir: tmp.dir } : {}) })
  try {
    const digests: string[] = []
    db.onBatch((rec) => {
      if (rec.txns[0]?.input.kind !== 'create-table' && rec.txns[0]?.input.kind !== 'create-function') digests.push(db.engine.digest())
    })
    const pending: Promise<TxnOutcome>[] = []
    for (const batch of batches) {
      for (const t of batch) pending.push(db.submit(toInput(t)))
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
