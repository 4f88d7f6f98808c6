// A matrix of points in one `acheron bench` command: options that take a list (--theta 0,0.6,0.9,0.99,
// --protocol aria,calvin,serial, --workers 1,2, --clients 1,4,16,64, --inflight, --warehouses 1,8)
// expand to every combination. The peers do not have Acheron's protocol or workers, so they run once per
// combination of the other options (a group), beside all of that group's Acheron points.
import type { BenchProtocolChoice, BenchSettings, SystemName } from './settings.js'

/** The lists given on the command line; each has at least one value. */
export interface Axes {
  theta: number[]
  warehouses: number[]
  clients: number[]
  inflight: number[]
  protocol: BenchProtocolChoice[]
  /** undefined: acheron serve's default. */
  workers: (number | undefined)[]
}

/** One combination of the peers' options, and Acheron's points in it. */
export interface Group {
  /** The settings the peers run with (Acheron's options as in the first of `acheron`). */
  peers: BenchSettings
  acheron: BenchSettings[]
}

/** Splits "a,b,c" and parses each with `one` (which throws in words); repeated values count once. */
export function parseList<T>(v: string | undefined, fallback: T, one: (item: string) => T): T[] {
  if (v === undefined) return [fallback]
  return [...new Set(v.split(',').map((item) => one(item)))]
}

export function expand(base: BenchSettings, axes: Axes): Group[] {
  const groups: Group[] = []
  for (const theta of axes.theta) {
    for (const warehouses of axes.warehouses) {
      for (const clients of axes.clients) {
        for (const inflight of axes.inflight) {
          const acheron: BenchSettings[] = []
          for (const protocol of axes.protocol) {
            for (const workers of axes.workers) acheron.push({ ...base, theta, warehouses, clients, inflight, protocol, workers })
          }
          groups.push({ peers: acheron[0] as BenchSettings, acheron })
        }
      }
    }
  }
  return groups
}

/** The point's data and Acheron options in words, as the table's settings column names them. */
export function settingsLabel(s: BenchSettings, system: 'acheron' | 'peer'): string {
  const data = s.workload.name === 'tpcc' ? `W ${s.warehouses}` : `θ ${s.theta}`
  return system === 'peer' ? data : `${data}, ${protocolWords(s.protocol)}, ${workersWords(s.workers ?? null)}`
}

/** One system run at one point, in the order a command runs them. */
export interface Step { system: SystemName; settings: BenchSettings }

/**
 * The command's runs in order: per group Acheron at each of its points, then (with peers) PostgreSQL
 * once; SQLite alone has no clients, so it runs once per data point (θ or warehouses), at its first group.
 */
export function plan(groups: readonly Group[], peers: boolean): Step[] {
  const steps: Step[] = []
  const sqliteRan = new Set<string>()
  for (const g of groups) {
    for (const s of g.acheron) steps.push({ system: 'acheron', settings: s })
    if (!peers) continue
    steps.push({ system: 'postgres', settings: g.peers })
    const data = settingsLabel(g.peers, 'peer')
    if (sqliteRan.has(data)) continue
    sqliteRan.add(data)
    steps.push({ system: 'sqlite', settings: g.peers })
  }
  return steps
}

/** "default workers", "1 worker", "2 workers". */
/** A recorded protocol in words (`default`: the server's own, which depends on its workers). */
export function protocolWords(protocol: string): string {
  return protocol === 'default' ? 'default protocol' : protocol
}

export function workersWords(workers: number | null): string {
  return workers === null ? 'default workers' : `${workers} worker${workers === 1 ? '' : 's'}`
}
