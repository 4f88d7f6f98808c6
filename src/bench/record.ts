// One measured point of `acheron bench` as data: the object `--json` prints per line, and (with the run's
// command, machine and date added) a record of the results file `--save` keeps (docs/bench-results.json),
// which the regression check and `npm run bench:report` read back.
import { cpus, loadavg, totalmem } from 'node:os'
import { PG_TRIES_MAX } from './postgres-system.js'
import type { BenchSettings, SystemName, SystemResult } from './settings.js'

/** The settings of a point; which keys are present depends on the workload and the system. */
export interface RecordSettings {
  keys?: number
  theta?: number
  warehouses?: number
  items?: number
  seed: number
  durationS: number
  warmupS: number
  load: string
  clients?: number
  inflight?: number
  group?: number
  partitions?: number
  workers?: number | null
  protocol?: string
  sync?: string
  isolation?: string
  triesMax?: number
}

/** What `--json` prints per system and point (CONTRACT §7). */
export interface PointRecord {
  workload: string
  system: SystemName
  settings: RecordSettings
  txnPerSec: number
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  aborts: number
  abortRate: number
  conflictAborts: number
  retries: number
  failed: number
  serverCores: number | null
  clientCores: number | null
  /**
   * Cores other work kept busy in the measured window: the whole machine's busy cores (/proc/stat) less
   * the system's own (server and clients). Absent in records saved before it was measured.
   */
  otherCores?: number | null
}

export interface Machine {
  cores: number
  cpu: string
  memoryGiB: number
  node: string
  /** The 1, 5 and 15 minute load averages when the run started: how shared the machine was. */
  loadavg: number[]
}

/** A point as the results file keeps it: the --json object plus how, where and when it was measured. */
export interface SavedRecord extends PointRecord {
  /** The command line of the run, as typed (`acheron bench ...`). */
  command: string
  machine: Machine
  /** When the run (the whole command) started, ISO 8601; records of one run share it. */
  date: string
}

export interface ResultsFile {
  /** What this file is, for a reader who finds it without the docs. */
  about: string
  records: SavedRecord[]
}

export const RESULTS_ABOUT = 'acheron bench results (docs/benchmarks.md): one record per measured point, as `acheron bench --json` prints it, plus the command, machine and date of its run. Written by `acheron bench --save`; read by the regression check and `npm run bench:report`.'

const round3 = (x: number): number | null => (Number.isNaN(x) ? null : Math.round(x * 1000) / 1000)

export function pointRecord(s: BenchSettings, r: SystemResult): PointRecord {
  const m = r.measured
  const all = m.committed + m.aborted + m.failed
  return {
    workload: s.workload.name, system: r.system,
    settings: { ...(s.workload.name === 'tpcc' ? { warehouses: s.warehouses, items: s.items } : { keys: s.keys, theta: s.theta }), seed: s.seed, durationS: s.durationS, warmupS: s.warmupS, load: r.load,
      ...(r.system === 'sqlite' ? { group: s.sqliteGroup } : { clients: s.clients, inflight: s.inflight }),
      ...(r.system === 'acheron' ? { partitions: s.partitions, workers: s.workers ?? null, protocol: s.protocol, sync: 'full' } : {}),
      ...(r.system === 'postgres' ? { isolation: 'serializable', triesMax: PG_TRIES_MAX } : {}) },
    txnPerSec: Math.round(m.committed / m.seconds), p50Ms: round3(m.latency.percentile(0.5)), p99Ms: round3(m.latency.percentile(0.99)),
    maxMs: round3(m.latency.count === 0 ? NaN : m.latency.maxMs), aborts: m.aborted, abortRate: all === 0 ? 0 : m.aborted / all,
    conflictAborts: m.conflicts, retries: m.retries, failed: m.failed,
    serverCores: m.serverCores === null ? null : round3(m.serverCores), clientCores: round3(m.clientCores),
    otherCores: m.machineCores === null ? null : round3(Math.max(0, m.machineCores - (m.serverCores ?? 0) - m.clientCores)),
  }
}

export function thisMachine(): Machine {
  const cpu = cpus()
  return {
    cores: cpu.length, cpu: cpu[0]?.model.trim() ?? '?', memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version, loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

/** Settings that do not change what a point measures, only how long or on which stream. */
const NOT_THE_POINT = new Set(['seed', 'durationS', 'warmupS', 'load'])
/** Settings of Acheron's server alone: a peer's point is the same whatever they are. */
const ACHERON_ONLY = new Set(['partitions', 'workers', 'protocol', 'sync'])

function key(workload: string, system: string, settings: RecordSettings, skip: (k: string) => boolean): string {
  const kept = Object.entries(settings).filter(([k]) => !skip(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return JSON.stringify([workload, system, kept])
}

/** Identifies a point across runs: the same workload, system and settings (not seed or durations). */
export function pointKey(r: PointRecord): string {
  return key(r.workload, r.system, r.settings, (k) => NOT_THE_POINT.has(k))
}

/**
 * The key of `peer`'s point that an Acheron point is compared with: the same workload data and clients.
 * SQLite has no clients (one thread), so only the data is kept for it.
 */
export function peerKey(r: PointRecord, peer: SystemName): string {
  const clientKeys = new Set(['clients', 'inflight', 'group', 'isolation', 'triesMax'])
  const skip = (k: string): boolean => NOT_THE_POINT.has(k) || ACHERON_ONLY.has(k) || clientKeys.has(k)
  const data = key(r.workload, peer, r.settings, skip)
  if (peer === 'sqlite') return data
  return JSON.stringify([data, r.settings.clients ?? null, r.settings.inflight ?? null])
}

/** The record of `peer` in the same run (same date) as Acheron's point `r`, if that run measured one. */
export function peerOf(r: PointRecord & { date?: string }, peer: SystemName, records: readonly (PointRecord & { date?: string })[]): PointRecord | undefined {
  const k = peerKey(r, peer)
  return records.find((p) => p.system === peer && p.date === r.date && peerKey(p, peer) === k)
}

/**
 * The file after a run: its records, with those of the points this run measured replaced by the new ones.
 * A peer's old record stays while an Acheron point of its own run is kept: it is that point's same-run
 * yardstick (a --protocol matrix at θ 0 must not take away the θ 0 ratio of an earlier --theta run).
 */
export function mergeResults(old: ResultsFile | null, fresh: readonly SavedRecord[]): ResultsFile {
  const replaced = new Set(fresh.map(pointKey))
  // Within the run too, a point measured twice is kept once: its last measurement.
  const last = fresh.filter((r, i) => !fresh.slice(i + 1).some((later) => pointKey(later) === pointKey(r)))
  const olds = old?.records ?? []
  const keptAcheron = olds.filter((r) => r.system === 'acheron' && !replaced.has(pointKey(r)))
  const yardstick = (r: SavedRecord): boolean => r.system !== 'acheron' && keptAcheron.some((a) => a.date === r.date && peerOf(a, r.system, [r]) !== undefined)
  return { about: RESULTS_ABOUT, records: [...olds.filter((r) => !replaced.has(pointKey(r)) || yardstick(r)), ...last] }
}

/** Parses a results file; throws in words on anything else. */
export function parseResults(text: string, path: string): ResultsFile {
  // An empty file (`touch`ed, or /dev/null) holds no points yet: a fresh results file or "no baseline".
  if (text.trim() === '') return { about: RESULTS_ABOUT, records: [] }
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch (e) {
    throw new Error(`${path} is not JSON: ${(e as Error).message}`)
  }
  const records = (o as { records?: unknown }).records
  if (typeof o !== 'object' || o === null || !Array.isArray(records)) throw new Error(`${path} is not an acheron bench results file (no "records" list)`)
  for (const [i, r] of records.entries()) {
    const ok = typeof r === 'object' && r !== null && typeof r.workload === 'string' && typeof r.system === 'string' && typeof r.settings === 'object' && typeof r.txnPerSec === 'number' && typeof r.date === 'string'
    if (!ok) throw new Error(`${path}: record ${i} lacks workload, system, settings, txnPerSec or date`)
  }
  return { about: RESULTS_ABOUT, records: records as SavedRecord[] }
}

/** The file's text: one record per line, so that a diff shows which points changed. */
export function formatResults(f: ResultsFile): string {
  return `{\n  "about": ${JSON.stringify(f.about)},\n  "records": [\n${f.records.map((r) => `    ${JSON.stringify(r)}`).join(',\n')}\n  ]\n}\n`
}
