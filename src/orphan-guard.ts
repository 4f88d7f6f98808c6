// What a process started must not outlive it, even when it is killed with SIGKILL (its own cleanup then
// never runs): `acheron bench`'s servers and PostgreSQL, the NATS servers and `acheron serve` children of
// `acheron cluster` and `acheron check` (every child given to `killOnExit`), and their scratch directories.
// The guard is a small detached process that reads, on a pipe from its parent, what to undo (kill a
// process, stop a PostgreSQL cluster, delete a directory) and when each is undone normally. The pipe
// closes when the parent exits, however it exits: the guard then undoes what is still pending, newest
// first, and exits. The parent's own cleanup stays the normal path.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** One thing the guard undoes if its parent dies first. */
export type OrphanAction =
  | { readonly op: 'kill'; readonly pid: number }
  | { readonly op: 'postgres'; readonly dir: string }
  | { readonly op: 'remove'; readonly path: string }

/** A message on the guard's stdin, one JSON object per line. */
export type GuardMessage = (OrphanAction & { readonly id: number }) | { readonly op: 'done'; readonly id: number }

let guard: ChildProcess | null = null
let nextId = 1

function started(): ChildProcess {
  if (guard !== null) return guard
  const main = fileURLToPath(new URL('./orphan-guard-main.js', import.meta.url))
  // Detached (its own process group): a Ctrl-C in the terminal reaches the parent, whose cleanup runs,
  // and not the guard, which must outlive the parent to do its job.
  guard = spawn(process.execPath, [main], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] })
  guard.unref()
  // The pipe must not keep the parent alive either; it closes when the parent exits.
  ;(guard.stdin as unknown as { unref?: () => void }).unref?.()
  guard.stdin?.on('error', () => {}) // the guard gone first: nothing left to tell it
  return guard
}

/** Registers `action` with the guard; the returned function tells it the action was done normally. */
export function guardAgainstOrphan(action: OrphanAction): () => void {
  const id = nextId++
  const g = started()
  g.stdin?.write(JSON.stringify({ ...action, id }) + '\n')
  let released = false
  return () => {
    if (released) return
    released = true
    g.stdin?.write(JSON.stringify({ op: 'done', id }) + '\n')
  }
}
