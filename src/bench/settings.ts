// What one `acheron bench` run was asked for, shared by the systems it runs, and what each system measured.
import type { Measured } from './closed-loop.js'
import { keyDistribution } from './rng.js'
import { laneRandom, type Scale, type Txn, type Workload } from './workloads.js'

/** The built-in protocols acheron serve takes by name. */
export const BENCH_PROTOCOLS = ['aria', 'calvin', 'serial'] as const
export type BenchProtocol = (typeof BENCH_PROTOCOLS)[number]
/** What `--protocol` takes: a built-in, or `default` (no --protocol: the server's own for its workers). */
export type BenchProtocolChoice = BenchProtocol | 'default'

export interface BenchSettings {
  workload: Workload
  keys: number
  /** TPC-C's warehouses and items per warehouse. */
  warehouses: number
  items: number
  clients: number
  inflight: number
  durationS: number
  warmupS: number
  theta: number
  seed: number
  partitions: number
  /** Execution workers of the Acheron server; undefined: its default. */
  workers: number | undefined
  /** The Acheron server's concurrency control (acheron serve --protocol); `default`: its own (serial with no workers, aria with workers). */
  protocol: BenchProtocolChoice
  /** Transactions per fsynced SQLite transaction (the SQLite peer). */
  sqliteGroup: number
}

export type SystemName = 'acheron' | 'postgres' | 'sqlite'

export interface SystemResult {
  system: SystemName
  /** How it was driven, e.g. "32 × 1" or "1 thread, 1000/commit". */
  load: string
  measured: Measured
  /** Anything a reader needs to read the row right (batch sizes, failure codes, ...). */
  notes: string[]
  /** The workload's invariant queries' values after the run (empty when it has none). */
  invariant: number[]
}

/** What is wrong with a system's invariant values, or null when they hold. */
export function invariantBroken(s: BenchSettings, values: readonly number[]): string | null {
  const inv = s.workload.invariant
  if (inv === undefined) return null
  const expected = inv.expected?.(scale(s)) ?? values[0]
  if (values.length === inv.queries.length && values.every((v) => v === expected)) return null
  return `${inv.description}: ${inv.queries.map((q, i) => `${q} = ${values[i]}`).join(', ')}${inv.expected !== undefined ? `, expected ${expected}` : ''}`
}

/** The transaction stream of lane `lane`: the same for every system of one run. */
export function laneStreams(s: BenchSettings): (lane: number) => () => Txn {
  const key = keyDistribution(s.keys, s.theta)
  return (lane) => s.workload.stream(scale(s), key, laneRandom(s.seed, lane))
}

export function scale(s: BenchSettings): Scale {
  return { keys: s.keys, warehouses: s.warehouses, items: s.items }
}
