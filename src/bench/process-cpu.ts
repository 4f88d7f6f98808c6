// CPU time of whole processes and of the whole machine, from /proc (Linux): on a shared 2-core machine a
// benchmark point means little without knowing how much of the cores the systems under test got, and
// how much went to everything else running in the same seconds.
import { readFileSync } from 'node:fs'

/** USER_HZ: the unit of the CPU times in /proc. */
const TICKS_PER_S = 100

/**
 * CPU seconds of a process: its own (utime + stime, all threads), its reaped children's (cutime +
 * cstime), or both. 0 if it is gone.
 */
export function processCpuSeconds(pid: number, which: 'own' | 'children' | 'all' = 'own'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number)
    const own = (f[11] ?? 0) + (f[12] ?? 0)
    const children = (f[13] ?? 0) + (f[14] ?? 0)
    return (which === 'own' ? own : which === 'children' ? children : own + children) / TICKS_PER_S
  } catch {
    return 0
  }
}

/** The parent process id, or -1 if the process is gone. */
export function parentPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return -1
  }
}

/** CPU seconds all cores spent busy since boot (user, nice, system, irq, softirq, steal). */
export function machineBusySeconds(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_S
}
