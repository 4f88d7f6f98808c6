// `acheron serve` as a child process, for the commands and the harness that start servers of their own
// (acheron cluster, the crash property): spawned with this Node, ready once it prints its one line.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killOnExit } from '../child-processes.js'
import { SERVER_NODE_FLAGS } from './node-flags.js'

const CLI = fileURLToPath(new URL('./main.js', import.meta.url))
const READY = /^acheron listening on (wss?:\/\/\S+)$/

export interface ServeChild {
  readonly child: ChildProcess
  /** ws://HOST:PORT as its ready line printed it. */
  readonly url: string
  /** The last 4,000 characters it wrote to stderr (its logs), when started with `stderr: 'capture'`. */
  stderrTail(): string
}

/**
 * Starts `acheron serve ARGS` and resolves when it is listening. `stderr`: 'inherit' passes its logs
 * through; 'capture' keeps the last of them for the error if it exits or is not ready within `timeoutMs`.
 */
export function startServeChild(args: readonly string[], options: { timeoutMs: number; stderr: 'inherit' | 'capture' }): Promise<ServeChild> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'] })
  killOnExit(child)
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString('utf8')).slice(-4000) })
  const what = (): string => `acheron serve ${args.join(' ')}${stderr === '' ? '' : `: ${stderr}`}`
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`not ready within ${options.timeoutMs} ms: ${what()}`)) }, options.timeoutMs)
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`exited (${code ?? signal}) before it was ready: ${what()}`)) })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = READY.exec(line)
      if (m === null) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({ child, url: m[1] as string, stderrTail: () => stderr })
    })
  })
}
