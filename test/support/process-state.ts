import { readFileSync } from 'node:fs'

/** Whether process `pid` runs (a zombie counts as gone: it runs nothing and holds nothing). */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Whether process `pid` is stopped (SIGSTOP): state T in /proc/PID/stat. */
export function stopped(pid: number): boolean {
  try {
    return /^\d+ \(.*\) T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
