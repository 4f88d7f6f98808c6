// The client harness that drives Acheron and PostgreSQL alike: `lanes` closed loops (a lane sends one
// transaction, waits for its outcome, sends the next), each drawing its transactions from its own seeded
// stream, so both systems get the same streams. Only outcomes that arrive inside the measured window
// (after the warm-up) count; latency is the client's, from the first send to the final outcome, retries
// included.
import { LatencyHistogram } from './latency.js'
import { machineBusySeconds } from './process-cpu.js'
import type { Txn } from './workloads.js'

/** What one transaction came to, as the client saw it. */
export interface Outcome {
  /** committed; aborted by the transaction's own logic (insufficient funds, ...); failed otherwise. */
  kind: 'committed' | 'aborted' | 'failed'
  /** Conflict aborts the client saw for this transaction (serialization failures, deadlocks). */
  conflicts: number
  /** Times the client sent it again after a conflict abort. */
  retries: number
  /** Why it failed (an error code), for kind 'failed'. */
  code?: string
}

export interface Measured {
  seconds: number
  committed: number
  aborted: number
  failed: number
  conflicts: number
  retries: number
  /** Failure code → count. */
  failures: Map<string, number>
  latency: LatencyHistogram
  /** Cores busy on average over the window: this (client) process, and the server's processes when known. */
  clientCores: number
  serverCores: number | null
  /** Cores busy on the whole machine over the window (/proc/stat): beyond the systems' own, other work's. */
  machineCores: number | null
}

export function emptyMeasured(seconds: number): Measured {
  return { seconds, committed: 0, aborted: 0, failed: 0, conflicts: 0, retries: 0, failures: new Map(), latency: new LatencyHistogram(), clientCores: 0, serverCores: null, machineCores: null }
}

export function countOutcome(m: Measured, o: Outcome, latencyMs: number): void {
  if (o.kind === 'committed') m.committed++
  else if (o.kind === 'aborted') m.aborted++
  else {
    m.failed++
    const code = o.code ?? '?'
    m.failures.set(code, (m.failures.get(code) ?? 0) + 1)
  }
  m.conflicts += o.conflicts
  m.retries += o.retries
  if (o.kind !== 'failed') m.latency.record(latencyMs)
}

export interface ClosedLoopOptions {
  lanes: number
  warmupMs: number
  durationMs: number
  /** The transaction stream of a lane. */
  stream: (lane: number) => () => Txn
  run: (lane: number, txn: Txn) => Promise<Outcome>
  /** Called when the measured window opens and when it closes (to read server-side counters). */
  atWindowStart?: () => Promise<void>
  atWindowEnd?: () => Promise<void>
  /** CPU seconds the server's processes have used so far, if known (read at both ends of the window). */
  serverCpuSeconds?: () => number
  /** Called once as the lanes start (the warm-up begins): the progress line counts down from here. */
  onStart?: () => void
}

/** CPU seconds this process has used so far (all threads). */
function ownCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

export async function closedLoop(o: ClosedLoopOptions): Promise<Measured> {
  const m = emptyMeasured(o.durationMs / 1000)
  o.onStart?.()
  const start = performance.now()
  const windowStart = start + o.warmupMs
  const windowEnd = windowStart + o.durationMs
  const at = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())))
  let stop = false
  let cpu0 = { client: 0, server: 0, machine: 0 }
  const cpuNow = (): { client: number; server: number; machine: number } => ({ client: ownCpuSeconds(), server: o.serverCpuSeconds?.() ?? 0, machine: machineBusySeconds() })
  const opened = at(windowStart).then(() => {
    cpu0 = cpuNow()
    return o.atWindowStart?.()
  })
  const closed = at(windowEnd).then(() => {
    const cpu1 = cpuNow()
    m.clientCores = (cpu1.client - cpu0.client) / m.seconds
    m.machineCores = (cpu1.machine - cpu0.machine) / m.seconds
    if (o.serverCpuSeconds !== undefined) m.serverCores = (cpu1.server - cpu0.server) / m.seconds
    return o.atWindowEnd?.()
  })
  // Settled either way: a failing lane throws below, and these must not reject unhandled meanwhile.
  void closed.then(() => (stop = true), () => (stop = true))
  void opened.catch(() => undefined)
  await Promise.all(Array.from({ length: o.lanes }, async (_, lane) => {
    const next = o.stream(lane)
    while (!stop) {
      const txn = next()
      const t0 = performance.now()
      const outcome = await o.run(lane, txn)
      const t1 = performance.now()
      if (t1 >= windowStart && t1 < windowEnd) countOutcome(m, outcome, t1 - t0)
      if (t1 >= windowEnd) stop = true
    }
  }))
  await opened
  await closed
  return m
}
