// SQLite alone under `acheron bench --peers`: the workload's logic in TypeScript over better-sqlite3 in
// this one thread, WAL, synchronous=FULL, `sqliteGroup` transactions per fsynced SQLite transaction (the
// direct baseline of bench/engine-ycsbt.ts): what this storage does with no server, no network and no
// concurrency control. It runs the stream of lane 0. A transaction's latency is its group's, from the
// group's start to its durable commit, since that is when it could be acknowledged.
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { join } from 'node:path'
import { countOutcome, emptyMeasured, type Outcome } from './closed-loop.js'
import { guardAgainstOrphan } from '../orphan-guard.js'
import { machineBusySeconds } from './process-cpu.js'
import { laneStreams, scale, type BenchSettings, type SystemResult } from './settings.js'

const COMMITTED: Outcome = { kind: 'committed', conflicts: 0, retries: 0 }
const ABORTED: Outcome = { kind: 'aborted', conflicts: 0, retries: 0 }

/** `onStart`: called as the transactions start, after the set-up (for the progress line). */
export async function runSqlite(s: BenchSettings, cleanups: (() => void)[], onStart?: () => void): Promise<SystemResult> {
  const w = s.workload.sqlite
  if (w === undefined) throw new Error(`${s.workload.name} has no SQLite version yet`)
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-sqlite-'))
  const releaseGuard = guardAgainstOrphan({ op: 'remove', path: dir })
  cleanups.push(() => { rmSync(dir, { recursive: true, force: true }); releaseGuard() })
  const db = new Database(join(dir, 'bench.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(w.schema)
    w.load(db, scale(s))
    const apply = w.prepare(db)
    const next = laneStreams(s)(0)
    const outcomes: Outcome[] = []
    const group = db.transaction(() => {
      outcomes.length = 0
      for (let i = 0; i < s.sqliteGroup; i++) outcomes.push(apply(next()) === 'committed' ? COMMITTED : ABORTED)
    })
    const m = emptyMeasured(s.durationS)
    onStart?.()
    const windowStart = performance.now() + s.warmupS * 1000
    const windowEnd = windowStart + s.durationS * 1000
    let cpu0: NodeJS.CpuUsage | null = null
    let machine0 = 0
    for (;;) {
      const t0 = performance.now()
      group()
      const t1 = performance.now()
      if (t1 >= windowEnd) break
      if (t1 >= windowStart) {
        if (cpu0 === null) {
          cpu0 = process.cpuUsage()
          machine0 = machineBusySeconds()
        }
        for (const o of outcomes) countOutcome(m, o, t1 - t0)
      }
      // Between groups, so that Ctrl-C (the signal handler) is not held up for the whole run.
      await yieldToEventLoop()
    }
    const cpu = process.cpuUsage(cpu0 ?? undefined)
    if (cpu0 !== null) m.machineCores = (machineBusySeconds() - machine0) / s.durationS
    // The measured groups' CPU, over the window (a group that ended past it is not counted, nor its CPU).
    m.clientCores = cpu0 === null ? 0 : (cpu.user + cpu.system) / 1e6 / s.durationS
    const invariant = (s.workload.invariant?.queries ?? []).map((sql) => Number(db.prepare(sql).pluck().get()))
    return {
      system: 'sqlite', load: `1 thread, ${s.sqliteGroup}/commit`, measured: m, invariant,
      notes: [`SQLite ${db.prepare('SELECT sqlite_version()').pluck().get() as string} (better-sqlite3), WAL, synchronous=FULL, ${s.sqliteGroup} transactions per fsynced commit; latency is the group's`],
    }
  } finally {
    db.close()
  }
}
