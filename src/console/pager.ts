// The pager for results taller than the terminal, in screen rows (a line wider than the terminal wraps):
// `$PAGER` (run by the shell, so it may carry options), else `less -FRX` when less is on PATH, else none, as
// psql picks it. The text goes to its stdin; the console waits until it exits.
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { displayWidth } from './format-table.js'

export const DEFAULT_PAGER = 'less -FRX'

/**
 * Whether `text` takes more rows than the terminal has: screen rows, not lines, for a line wider than the
 * terminal wraps (a wide record of \x auto, say). Each line takes its display width over the columns,
 * rounded up, and at least one row; the counting stops once the terminal is full.
 */
export function needsPager(text: string, size: { readonly columns: number; readonly rows: number }): boolean {
  const columns = Math.max(1, size.columns)
  let rows = 0
  for (const line of text.split('\n')) {
    rows += Math.max(1, Math.ceil(displayWidth(line) / columns))
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

/** A command run by sh with the console's terminal (or stdout) as its stdout and stderr, fed on its stdin. */
export interface PipedCommand {
  /** Writes `text` to its stdin, waiting while its pipe is full; false when it no longer reads (it exited). */
  write(text: string): Promise<boolean>
  /** Closes its stdin and resolves when it has exited, or with the reason it could not run. */
  end(): Promise<{ ok: true } | { ok: false; reason: string }>
}

/**
 * Starts `command` through sh, its stdin a pipe the console writes to and its stdout and stderr the
 * console's (the pager, \g |COMMAND, \o |COMMAND). A command that quits before reading everything (q in
 * less) is not an error; one the shell cannot find is (exit 127).
 */
export function startPiped(command: string): PipedCommand {
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'] })
  let closed = false
  child.stdin.on('error', () => { closed = true /* EPIPE: it left early */ })
  const exited = new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
    child.on('error', (err) => resolve({ ok: false, reason: err.message }))
    child.on('close', (code) => {
      closed = true
      if (code === 127) resolve({ ok: false, reason: `${command}: command not found` })
      else resolve({ ok: true })
    })
  })
  return {
    write: async (text) => {
      if (closed || child.stdin.destroyed) return false
      if (child.stdin.write(text)) return true
      // Full pipe: wait until it drains, or until the command exits without reading the rest.
      await new Promise<void>((resolve) => {
        const done = (): void => { child.stdin.off('drain', done); child.off('close', done); resolve() }
        child.stdin.once('drain', done)
        child.once('close', done)
      })
      return !closed
    },
    end: () => {
      if (!child.stdin.destroyed) child.stdin.end()
      return exited
    },
  }
}

/** Runs `command` through sh with `text` on its stdin and the terminal as its stdout; resolves when it exits. */
export async function runPager(command: string, text: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const piped = startPiped(command)
  await piped.write(text)
  return piped.end()
}
