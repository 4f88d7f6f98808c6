// The pager for results taller than the terminal, as psql does it: `$PAGER` (run by the shell, so it may
// carry options), else `less -FRX` when less is on PATH, else none. The text goes to its stdin; the console
// waits until it exits.
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export const DEFAULT_PAGER = 'less -FRX'

/** Whether `name` is an executable file in one of PATH's directories. */
export function onPath(name: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      // not in this directory
    }
  }
  return false
}

/** The pager's command line: $PAGER (empty: none), else DEFAULT_PAGER if less is on PATH, else null. */
export function pagerCommand(env: NodeJS.ProcessEnv): string | null {
  const set = env.PAGER
  if (set !== undefined) return set.trim() === '' ? null : set
  return onPath('less', env.PATH) ? DEFAULT_PAGER : null
}

/**
 * Runs `command` through sh with `text` on its stdin and the terminal as its stdout and stderr; resolves
 * when it exits, or with the reason it could not start. A pager that quits before reading everything
 * (q in less) is not an error.
 */
export function runPager(command: string, text: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'] })
    child.on('error', (err) => resolve({ ok: false, reason: err.message }))
    child.stdin.on('error', () => { /* EPIPE: the pager left early */ })
    child.on('close', (code) => {
      if (code === 127) resolve({ ok: false, reason: `${command}: command not found` })
      else resolve({ ok: true })
    })
    child.stdin.end(text)
  })
}
