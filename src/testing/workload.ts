// Random workloads for the harness (fast-check arbitraries): tables over 1–8 partitions with hot and
// cold keys, and batches of 1–64 transactions that are call chains of 1–6 steps. Everything shrinks,
// and a run is replayed by fast-check's seed and path.
import fc from 'fast-check'
import type { ModelTxn } from './reference-model.js'
import type { Step } from './steps.js'

/** A table of the harness: columns `k` INTEGER PRIMARY KEY, `v` INTEGER, `log` TEXT; function `<name>.run`. */
export interface WorkloadTable {
  readonly name: string
  readonly partitions: number
}

export interface Workload {
  readonly tables: readonly WorkloadTable[]
  /** Each inner array is submitted as exactly one batch. */
  readonly batches: readonly (readonly ModelTxn[])[]
}

export interface WorkloadConfig {
  /** Partitions of every table; when absent each table draws 1–8. */
  readonly partitions?: number
  /** Upper bound of transactions per workload. */
  readonly txns: number
  /** Largest batch (1–64 by default). */
  readonly batchTxnsMax?: number
  /** Keys 0..hotKeys-1 are drawn three times as often as the rest of 0..keySpace-1. */
  readonly hotKeys?: number
  readonly keySpace?: number
}

export const TABLE_NAMES = ['kv', 'kw'] as const
export const PARTITIONS_MAX = 8
export const BATCH_TXNS_MAX = 64
export const CALL_CHAIN_STEPS_MAX = 6
/**
 * Batches of transactions weigh this minus one against one each for an ALTER TABLE … PARTITIONS, an
 * ALTER TABLE … ADD COLUMN and an ALTER TABLE … RENAME COLUMN of the key: about one batch in 10 is each.
 */
export const REPARTITION_ONE_IN = 8
/** The names ADD COLUMN batches add (IF NOT EXISTS: a name the table has changes nothing); withDrops drops them again. */
export const ADDED_COLUMNS = ['a1', 'a2'] as const
/** ADD COLUMN batches withDrops draws a drop for (a workload rarely has more; those past it stay). */
const ADDS_MAX = 16
/** The names RENAME COLUMN batches give a table's key, in turn (tableDdl creates it as the first). */
export const KEY_NAMES = ['k', 'id'] as const
/** How deep generated calls nest (a call's program may call again). */
export const CALL_NESTING_MAX = 2

function keyArb(hot: number, space: number): fc.Arbitrary<number> {
  return fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: hot - 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: space - 1 }) })
}

function leafArb(): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ op: 'read' as const }) },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 30 }).map((value) => ({ op: 'write' as const, value })) },
    { weight: 4, arbitrary: fc.integer({ min: -3, max: 9 }).map((by) => ({ op: 'incr' as const, by })) },
    // The item is a placeholder: uniqueAppends numbers every append of a workload.
    { weight: 3, arbitrary: fc.constant({ op: 'append' as const, item: '' }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 25 }).map((gt) => ({ op: 'abortIf' as const, gt })) },
    { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((units) => ({ op: 'spin' as const, units })) },
  )
}

function stepsArb(depth: number, fnArb: fc.Arbitrary<string>, key: fc.Arbitrary<number>): fc.Arbitrary<Step[]> {
  const leaf = leafArb()
  const step = depth === 0
    ? leaf
    : fc.oneof({ weight: 3, arbitrary: leaf }, {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('call' as const), fn: fnArb, key, steps: stepsArb(depth - 1, fnArb, key) }),
    })
  return fc.array(step, { minLength: 1, maxLength: CALL_CHAIN_STEPS_MAX })
}

/** One transaction: mostly call chains, sometimes a multi-row INSERT or a point read. */
export function txnArb(tables: readonly WorkloadTable[], config: WorkloadConfig): fc.Arbitrary<ModelTxn> {
  const names = tables.map((t) => t.name)
  const fnArb = fc.constantFrom(...names.map((n) => `${n}.run`))
  const key = keyArb(config.hotKeys ?? 4, config.keySpace ?? 48)
  const tableArb = fc.constantFrom(...names)
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('call' as const), fn: fnArb, key: key.map(BigInt), program: stepsArb(CALL_NESTING_MAX, fnArb, key) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('insert' as const),
        table: tableArb,
        rows: fc.array(fc.tuple(key.map(BigInt), fc.integer({ min: 0, max: 9 }).map(BigInt)), { minLength: 1, maxLength: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const), table: tableArb, key: key.map(BigInt) }) },
  )
}

/**
 * Gives each RENAME COLUMN of a key the name the key has at that point and the other one of KEY_NAMES,
 * and each INSERT the key's name then.
 */
function keyNames(batches: readonly (readonly ModelTxn[])[]): ModelTxn[][] {
  const current = new Map<string, string>()
  return batches.map((b) => b.map((t): ModelTxn => {
    if (t.kind === 'call') return t
    const key = current.get(t.table) ?? KEY_NAMES[0]
    if (t.kind === 'rename-key') {
      const to = key === KEY_NAMES[0] ? KEY_NAMES[1] : KEY_NAMES[0]
      current.set(t.table, to)
      return { ...t, from: key, to }
    }
    if (t.kind === 'insert' && key !== KEY_NAMES[0]) return { ...t, keyColumn: key }
    return t
  }))
}

/** Where withDrops drops an added column again (fractions of the batches left), and adds it back. */
export interface DropDraw { readonly at: number; readonly readd: { readonly at: number; readonly default: bigint } | null }

/**
 * After each ADD COLUMN batch, where `drops` says (one draw per ADD, in order; null: none), a DROP COLUMN
 * IF EXISTS of that column as a batch of its own, somewhere between it and the end, and maybe an ADD of
 * the name again after that, which makes a new column, last, with its own default. Drawn after
 * everything else, so that the workloads seeds gave before keep their shape.
 */
function withDrops(batches: readonly (readonly ModelTxn[])[], drops: readonly (DropDraw | null)[]): ModelTxn[][] {
  const after = new Map<number, ModelTxn[][]>()
  const insert = (at: number, t: ModelTxn) => after.set(at, [...(after.get(at) ?? []), [t]])
  let n = 0
  batches.forEach((b, i) => {
    const t = b[0]
    if (b.length !== 1 || t?.kind !== 'add-column') return
    const d = drops[n++] ?? null
    if (d === null) return
    const at = i + Math.floor(d.at * (batches.length - i))
    insert(at, { kind: 'drop-column', table: t.table, column: t.column })
    if (d.readd !== null) insert(at + Math.floor(d.readd.at * (batches.length - at)), { ...t, default: d.readd.default })
  })
  return batches.flatMap((b, i) => [[...b], ...(after.get(i) ?? [])])
}

/**
 * One call in this many reads the batch time: its program ends with a `time` step, or the first call
 * it makes does (a callee at another key, maybe on another partition, reads its caller's batch time).
 */
export const TIME_STEP_ONE_IN = 3

/** Where a call reads the batch time (TimeDraw: 0 none, 1 at its own end, 2 in its first callee). */
type TimeDraw = number

function withTimeStep(t: Extract<ModelTxn, { kind: 'call' }>, draw: TimeDraw): ModelTxn {
  const time: Step = { op: 'time' }
  if (draw === 0) return t
  const callee = draw === 2 ? t.program.findIndex((s) => s.op === 'call') : -1
  if (callee < 0) return { ...t, program: [...t.program, time] }
  return { ...t, program: t.program.map((s, i) => (i === callee && s.op === 'call' ? { ...s, steps: [...s.steps, time] } : s)) }
}

/** Gives the calls of `batches` their time steps, one draw per call in order (past the draws: none). */
function withTimeSteps(batches: readonly (readonly ModelTxn[])[], draws: readonly TimeDraw[]): ModelTxn[][] {
  let n = 0
  return batches.map((b) => b.map((t) => (t.kind === 'call' ? withTimeStep(t, draws[n++] ?? 0) : t)))
}

/** Numbers every append of the workload 1, 2, 3… in order, so each list element is unique (as list-append checkers need). */
export function uniqueAppends(batches: readonly (readonly ModelTxn[])[]): ModelTxn[][] {
  let next = 1
  const number = (steps: readonly Step[]): Step[] => steps.map((s) => {
    if (s.op === 'append') return { op: 'append', item: String(next++) }
    if (s.op === 'call') return { ...s, steps: number(s.steps) }
    return s
  })
  return batches.map((b) => b.map((t) => (t.kind === 'call' ? { ...t, program: number(t.program) } : t)))
}

/** Keeps the first `n` transactions (and no empty batch). */
function truncate(batches: readonly (readonly ModelTxn[])[], n: number): ModelTxn[][] {
  const out: ModelTxn[][] = []
  let left = n
  for (const b of batches) {
    if (left <= 0) break
    out.push(b.slice(0, left))
    left -= b.length
  }
  return out
}

function tablesArb(config: WorkloadConfig): fc.Arbitrary<WorkloadTable[]> {
  const partitions = config.partitions !== undefined ? fc.constant(config.partitions) : fc.integer({ min: 1, max: PARTITIONS_MAX })
  return fc.tuple(...TABLE_NAMES.map(() => partitions)).map((ps) => TABLE_NAMES.map((name, i) => ({ name, partitions: ps[i] as number })))
}

const fractionArb = fc.noBias(fc.integer({ min: 0, max: 999 })).map((i) => i / 1000)
const dropDrawArb: fc.Arbitrary<DropDraw> = fc.record({
  at: fractionArb,
  readd: fc.option(fc.record({ at: fractionArb, default: fc.integer({ min: -9, max: 9 }).map(BigInt) })),
})

/** Whether a workload step is a DDL statement (a batch of its own) rather than a transaction. */
function isDdl(t: ModelTxn): boolean {
  return t.kind !== 'call' && t.kind !== 'insert' && t.kind !== 'get'
}

/** Tables, then batches of 1..batchTxnsMax transactions, at most `config.txns` in all. */
export function workloadArb(config: WorkloadConfig): fc.Arbitrary<Workload> {
  if (!Number.isSafeInteger(config.txns) || config.txns < 1) throw new RangeError(`txns must be a positive integer, not ${config.txns}`)
  const batchTxnsMax = Math.min(config.batchTxnsMax ?? BATCH_TXNS_MAX, BATCH_TXNS_MAX)
  // A history one batch could hold twice over (so at most one batch would be drawn) is drawn as batches
  // of at most half its transactions instead: it still pipelines several batches, and a mutant of the
  // batches in flight (stale-snapshot) is still caught with a small --txns.
  const perBatch = 2 * config.txns <= batchTxnsMax ? Math.max(1, Math.ceil(config.txns / 2)) : batchTxnsMax
  return tablesArb(config).chain((tables) => {
    // size 'max': lengths spread over the whole range (fast-check's default keeps arrays near 10 long),
    // so a history holds up to `txns` transactions, about half of that on average.
    // Now and then a batch is an ALTER TABLE … PARTITIONS (a DDL is a batch of its own): the rows of
    // one table move while the batches around it run against the old layout and the new one.
    const batch = fc.oneof(
      { weight: REPARTITION_ONE_IN - 1, arbitrary: fc.array(txnArb(tables, config), { minLength: 1, maxLength: perBatch, size: 'max' }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('repartition' as const), table: fc.constantFrom(...tables.map((t) => t.name)), partitions: fc.integer({ min: 1, max: PARTITIONS_MAX }) }).map((t) => [t]) },
      // Or an ALTER TABLE … ADD COLUMN: rows written before it are read with its default until written.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('add-column' as const), table: fc.constantFrom(...tables.map((t) => t.name)), column: fc.constantFrom(...ADDED_COLUMNS), default: fc.integer({ min: -9, max: 9 }).map(BigInt) }).map((t) => [t]) },
      // Or an ALTER TABLE … RENAME COLUMN of the key (its names are filled in by keyNames, in order): rows
      // the checkpoint holds are found by key under the old name until the checkpoint renames it too.
      { weight: 1, arbitrary: fc.constantFrom(...tables.map((t) => t.name)).map((table): ModelTxn[] => [{ kind: 'rename-key', table, from: KEY_NAMES[0], to: KEY_NAMES[1] }]) },
    )
    const batchesMax = Math.max(1, Math.ceil((2 * config.txns) / perBatch))
    return fc.array(batch, { minLength: 1, maxLength: batchesMax, size: 'max' })
      .map((batches) => uniqueAppends(keyNames(truncate(batches, config.txns))))
      // A history of DDL alone tests nothing a transaction does: drawn again (fast-check draws each run
      // from its own jump of the seed, so the other runs of a seed stay as they were).
      .filter((batches) => batches.some((b) => b.some((t) => !isDdl(t))))
      // Drawn last (withDrops): one ADD COLUMN in two is dropped again later, and most of those added back.
      .chain((batches) => fc.array(fc.option(dropDrawArb, { freq: 2 }), { minLength: ADDS_MAX, maxLength: ADDS_MAX })
        .map((drops) => withDrops(batches, drops)))
      // Drawn after that, for the same reason: which calls read the batch time (withTimeSteps).
      .chain((batches) => {
        const calls = batches.reduce((n, b) => n + b.filter((t) => t.kind === 'call').length, 0)
        // 2 of TIME_STEP_ONE_IN * 2 values read the time (1: at the end, 2: in the first callee); shrinking goes to 0, none.
        const none = 2 * (TIME_STEP_ONE_IN - 1)
        const draw = fc.nat({ max: 2 * TIME_STEP_ONE_IN - 1 }).map((d) => (d < none ? 0 : d - none + 1))
        return fc.array(draw, { minLength: calls, maxLength: calls }).map((draws) => ({ tables, batches: withTimeSteps(batches, draws) }))
      })
  })
}

/** How many transactions a workload holds. */
export function workloadSize(w: Workload): number {
  return w.batches.reduce((n, b) => n + b.length, 0)
}

/** A compact printable form of a workload (bigints as numbers), for counterexamples. */
export function showWorkload(w: Workload): string {
  return JSON.stringify(w, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
}
