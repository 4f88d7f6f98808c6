// The directory of `acheron cluster --data DIR`: one cluster at a time. The cluster takes DIR's lock
// (DirLock: DIR/acheron.lock, its pid in DIR/acheron.pid) before it starts anything, and holds it while
// it runs. Before, a second `acheron cluster` on a running cluster's DIR started NATS servers on the
// stores the running ones used and rewrote their configuration files, damaging the stream (RAFT
// "malformed or corrupt message", a cluster left without a writer), and only then was its node 1 refused
// its data directory. The operating system drops the lock however the holder exits, so a cluster killed
// with SIGKILL (its orphan guard stopping its children) leaves nothing that blocks the next start.
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { AcheronError } from '../errors.js'
import { DataDirInUseError, DirLock } from '../storage/dir-lock.js'
import { makeDirectory } from '../storage/make-dir.js'
import { NATS_LOG_FILE } from '../storage/nats-log-mark.js'
import { DATABASE_FILE } from '../storage/state-file.js'
import { UsageError } from './usage-error.js'

/** What only a single node's data directory holds (`acheron serve --data`): its checkpoint, its log, its stream's mark. */
const SINGLE_NODE_FILES = [DATABASE_FILE, 'log', NATS_LOG_FILE]

/**
 * Makes `dir` if it is missing and takes its lock, held until `release()`. Refuses, before anything is
 * started or made in it: a regular file (it printed "ENOTDIR: not a directory, mkdir 'DIR/nats'"); a
 * single node's data directory (the cluster added nats/ and node1/ beside its acheron.db, serving none of
 * it); a directory another process holds, naming it.
 */
export function takeClusterDir(dir: string): DirLock {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UsageError(`--data ${dir} is not a directory: give the directory the cluster keeps its NATS stores and nodes in (made if missing)`)
  }
  const single = SINGLE_NODE_FILES.find((name) => existsSync(join(dir, name)))
  if (single !== undefined) {
    throw new UsageError(`--data ${dir} is the data directory of a single node (it holds ${single}): acheron cluster keeps each node's data in DIR/nodeN and the NATS stores in DIR/nats; give it a directory of its own`)
  }
  makeDirectory(dir)
  try {
    return DirLock.acquire(dir)
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err
    throw new AcheronError('DATA_DIR_IN_USE', `the cluster directory ${dir} is in use by ${err.holder}; stop that acheron cluster first (one cluster per directory: a second would start NATS servers on the running ones' stores)`)
  }
}
