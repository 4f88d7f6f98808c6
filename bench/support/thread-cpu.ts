// CPU time per thread of this process, from /proc (Linux): what each thread — the coordinator, the
// execution workers, the state thread, libuv's pool — cost over a measured window.
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_S = 100

export type ThreadTicks = Map<number, { comm: string; ticks: number }>

/** Ticks per thread of this process, or of process `pid`. */
export function threadTicks(pid: number | 'self' = 'self'): ThreadTicks {
  const out: ThreadTicks = new Map()
  let tids: string[] = []
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return out
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(tid), { comm, ticks: Number(f[11]) + Number(f[12]) })
    } catch {
      // The thread ended.
    }
  }
  return out
}

/** Seconds of CPU per thread between two readings, busiest first (threads under `minSeconds` left out). */
export function threadSeconds(before: ThreadTicks, after: ThreadTicks, minSeconds = 0.05, mainTid = process.pid): { tid: number; comm: string; seconds: number }[] {
  const rows: { tid: number; comm: string; seconds: number }[] = []
  for (const [tid, a] of after) {
    const seconds = (a.ticks - (before.get(tid)?.ticks ?? 0)) / TICKS_PER_S
    if (seconds >= minSeconds) rows.push({ tid, comm: tid === mainTid ? 'main' : a.comm, seconds })
  }
  return rows.sort((x, y) => y.seconds - x.seconds)
}
