// Helpers for the console suites: run `acheron console ...` as a child and collect what it printed, and
// drive the interactive console in a real pseudo-terminal through tmux.
import { spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
/** The repository root (the console's working directory unless a test says otherwise). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const BANK_WASM = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))
/** How long one `acheron console -e/-f` run may take before the test fails. */
export const RUN_TIMEOUT_MS = 30_000

export interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** `acheron console URL ...args` run to its end (runCli), with `why`: the run described, for assertion messages. */
export async function runConsole(url: string, args: readonly string[], options: Parameters<typeof runCli>[1] = {}): Promise<Run & { why: string }> {
  const full = ['console', url, ...args]
  const r = await runCli(full, options)
  return { ...r, why: describeRun(full, r) }
}

export function describeRun(args: readonly string[], r: Run): string {
  return `\n  acheron ${args.map((a) => JSON.stringify(a)).join(' ')}\n  exit: ${r.code} ${r.signal ?? ''}\n  stdout: ${r.stdout}\n  stderr: ${r.stderr}`
}

/** Runs `node dist/src/cli/main.js ...args` to its end (SIGKILL and a failure after RUN_TIMEOUT_MS). */
export function runCli(args: readonly string[], options: { cwd?: string; stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ACHERON_HISTORY: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`acheron ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms; stdout: ${stdout}; stderr: ${stderr}`))
    }, RUN_TIMEOUT_MS)
    child.on('error', (e) => { clearTimeout(timer); reject(e) })
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
    child.stdin.end(options.stdin ?? '')
  })
}

/** Single-quotes a word for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** How long the screen may take to show what a test waits for. */
export const SCREEN_TIMEOUT_MS = 20_000
const POLL_MS = 50

const liveSockets = new Set<string>()
/** Stops the tmux server and removes its socket file (tmux leaves it behind in $TMUX_TMPDIR/tmux-UID/). */
function killTmux(socket: string): void {
  spawnSync('tmux', ['-L', socket, 'kill-server'], { timeout: 10_000 })
  rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true })
}
process.on('exit', () => {
  for (const socket of liveSockets) killTmux(socket)
})

/** One tmux server on a private socket with one session running `command` in a 200x50 terminal. */
export class Terminal {
  private static count = 0
  readonly socket = `acheron-console-test-${process.pid}-${Terminal.count++}`

  constructor(command: string, env: Record<string, string> = {}) {
    liveSockets.add(this.socket)
    const vars = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')
    // When the command ends, the pane shows its exit code and stays, so a test can see that it exited.
    const script = `cd ${shellQuote(ROOT)} && env ${vars} ${command}; echo "[exited $?]"; sleep 600`
    this.tmux('new-session', '-d', '-x', '200', '-y', '50', script)
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 })
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`)
    return r.stdout
  }

  /** Types `text` literally (tmux would take a trailing ';' as its own command separator: it is escaped). */
  type(text: string): void {
    this.tmux('send-keys', '-t', '0', '-l', text.endsWith(';') ? `${text.slice(0, -1)}\\;` : text)
  }

  /** Presses keys by tmux name: 'Enter', 'Up', 'C-c', 'C-d'. */
  press(...keys: string[]): void {
    this.tmux('send-keys', '-t', '0', ...keys)
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text)
    this.press('Enter')
  }

  /** The whole screen with its scrollback, trailing spaces and blank lines at the end removed. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', '0', '-S', '-').split('\n').map((l) => l.trimEnd()).join('\n').trimEnd()
  }

  /** Polls the screen until `test` holds for it; fails with the screen after SCREEN_TIMEOUT_MS. Returns the screen. */
  async waitFor(test: (screen: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS
    for (;;) {
      const s = this.screen()
      if (test(s)) return s
      if (Date.now() > deadline) throw new Error(`the screen did not show ${what} within ${SCREEN_TIMEOUT_MS} ms:\n${s}`)
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  /** Waits until `text` appears `count` times on the screen. */
  waitForText(text: string, count = 1): Promise<string> {
    return this.waitFor((s) => s.split(text).length - 1 >= count, `${JSON.stringify(text)}${count > 1 ? ` ${count} times` : ''}`)
  }

  kill(): void {
    liveSockets.delete(this.socket)
    killTmux(this.socket)
  }
}
