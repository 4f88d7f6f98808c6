// psql's \! COMMAND: runs COMMAND with sh, its output where the console's goes, and waits for it; \! alone
// starts $SHELL (else sh) for the person at the terminal.
import { spawn } from 'node:child_process'

/** Which shell `\!` alone starts. */
export function interactiveShell(env: NodeJS.ProcessEnv): string {
  return env.SHELL !== undefined && env.SHELL.trim() !== '' ? env.SHELL : 'sh'
}

/**
 * Runs `command` (null: an interactive shell) and resolves with its exit code, or a reason when it could not
 * run or was killed. `stdoutToStderr`: with --json stdout holds JSON lines only, so the command writes to stderr.
 */
export function runShell(command: string | null, env: NodeJS.ProcessEnv, stdoutToStderr: boolean): Promise<{ code: number } | { reason: string }> {
  const [file, args] = command === null ? [interactiveShell(env), []] : ['sh', ['-c', command]]
  const child = spawn(file, args, { stdio: ['inherit', stdoutToStderr ? process.stderr : 'inherit', 'inherit'], env })
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ reason: `${file}: ${err.message}` }))
    child.on('close', (code, signal) => resolve(code !== null ? { code } : { reason: `killed by ${signal ?? 'a signal'}` }))
  })
}
