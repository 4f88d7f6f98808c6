// Child processes that must not outlive this one: the NATS servers of a local cluster, the `acheron serve`
// children of the crash harness and of `acheron cluster`. A process that exits without stopping them (an
// uncaught error, a test runner's `process.exit`, a signal turned into an exit by `exitOnSignals`) kills
// them on its way out; a SIGKILL of this process itself, which runs no hook, leaves them to the orphan
// guard (src/orphan-guard.ts), which kills them when this process's pipe to it closes.
import type { ChildProcess } from 'node:child_process'
import { guardAgainstOrphan } from './orphan-guard.js'

/** Children still running, each with what tells the orphan guard it needs no killing any more. */
const running = new Map<ChildProcess, () => void>()
let exitHookInstalled = false

/** Kills `child` with SIGKILL when this process exits, unless it has exited first. */
export function killOnExit(child: ChildProcess): void {
  running.set(child, child.pid === undefined ? () => {} : guardAgainstOrphan({ op: 'kill', pid: child.pid }))
  child.once('exit', () => {
    running.get(child)?.()
    running.delete(child)
  })
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    // Killed here, they are released too: the guard would otherwise kill their pids again, maybe reused.
    for (const [c, released] of running) {
      c.kill('SIGKILL')
      released()
    }
  })
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const

/** What `exitOnSignals` was last told to say (null: its handlers are not installed yet). */
let sayOnSignal: ((signal: string) => void) | null = null

/**
 * Makes SIGINT, SIGTERM and SIGHUP end the process through `process.exit` (code 128 + the signal's
 * number), so that its exit hooks run: by default Node dies of such a signal without them, and the
 * children `killOnExit` tracks would keep running. `say` is told which signal it was (the last one given,
 * when called again: the handlers are installed once).
 */
export function exitOnSignals(say: (signal: string) => void): void {
  const installed = sayOnSignal !== null
  sayOnSignal = say
  if (installed) return
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.once(signal, () => {
      sayOnSignal?.(signal)
      process.exit(code)
    })
  }
}
