// The orphan guard's process (orphan-guard.ts): collects actions from stdin until it closes, then does
// those not marked done, newest first. SIGINT and SIGTERM are ignored so that it outlives its parent.
import { rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { GuardMessage, OrphanAction } from './orphan-guard.js'
import { stopPgClusterSync } from './bench/pg-cluster.js'

process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})

const pending = new Map<number, OrphanAction>()

function undo(a: OrphanAction): void {
  try {
    if (a.op === 'kill') process.kill(a.pid, 'SIGKILL')
    else if (a.op === 'postgres') stopPgClusterSync(a.dir)
    else rmSync(a.path, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }) // a process just killed may still be writing (up to 5.5 s of linear backoff)
  } catch {
    // Already gone.
  }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  let m: GuardMessage
  try {
    m = JSON.parse(line) as GuardMessage
  } catch {
    return
  }
  if (m.op === 'done') pending.delete(m.id)
  else pending.set(m.id, m)
})
lines.on('close', () => {
  for (const id of [...pending.keys()].sort((a, b) => b - a)) undo(pending.get(id) as OrphanAction)
  process.exit(0)
})
