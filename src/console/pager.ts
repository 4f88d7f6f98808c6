// The pager for results taller than the terminal, in screen rows (a line wider than the terminal wraps):
// `$PAGER` (run by the shell, so it may carry options), else `less -FRX` when less is on PATH, else none, as
// psql picks it. The text goes to its stdin; the console waits until it exits.
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { displayWidth } from './format-table.js'

export const DEFAULT_PAGER = 'less -FRX'

/** SGR escapes (the dimming of log lines): they take no columns. */
const SGR_ESCAPE = /\x1b\[[0-9;]*m/g

/**
 * Whether `text` takes more rows than the terminal has: screen rows, not lines, for a line wider than the
 * terminal wraps (a wide record of \x auto, say). Each line takes its display width over the columns,
 * rounded up, and at least one row; the counting stops once the terminal is full.
 */
export function needsPager(text: string, size: { readonly columns: number; readonly rows: number }): boolean {
  const columns = Math.max(1, size.columns)
  let rows = 0
  for (const line of text.split('\n')) {
    rows += Math.max(1, Math.ceil(displayWidth(line.replace(SGR_ESCAPE, '')) / columns))
    if (rows > size.rows) return true
  }
  return false
}

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
