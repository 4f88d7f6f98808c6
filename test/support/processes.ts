// Finding the processes a test started, by what their command line names.
import { execFileSync } from 'node:child_process'

/** Processes whose command line names `dir`, each line "PID COMMAND LINE". */
export function processesUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '')
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

/** Whether process `pid` is still there. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
