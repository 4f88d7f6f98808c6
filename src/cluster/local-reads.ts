/**
 * Which requests a follower answers itself (src/cluster/follower-reads.ts), without NATS: the embedded
 * database's follower read target and the server use these.
 */
import type { CommitPosition } from '../errors.js'
import type { Statement } from '../sql/ast.js'
import { parseScriptCached } from '../sql/parse.js'

/** Statements a follower may answer itself, if they plan to a read-only query (others go to the writer). */
const LOCAL_KINDS: ReadonlySet<Statement['kind']> = new Set(['select', 'show-tables', 'show-functions', 'show-indexes', 'describe', 'explain-call'])

export function mayReadLocally(statements: readonly Statement[]): boolean {
  return statements.length === 1 && LOCAL_KINDS.has((statements[0] as Statement).kind)
}

/** A lone SHOW CLUSTER, which any node answers from the cluster's bucket (src/cluster/members.ts). */
export function isShowCluster(sql: string): boolean {
  try {
    const statements = parseScriptCached(sql)
    return statements.length === 1 && statements[0]?.kind === 'show-cluster'
  } catch {
    return false
  }
}

/** Thrown by a follower's read target for a statement that is not a read-only query: forward the request instead. */
export class NeedsWriter extends Error {}

/** Where a follower gets read positions: from the writer (src/cluster/follower-reads.ts). */
export interface ReadPositionSource {
  /** The position the writer's own next read would take, reserved. */
  next(): Promise<CommitPosition>
  /** A read seq reserved at `batch`, one the writer released lately (this node holds a later batch than next() gave). */
  seqAt(batch: number): Promise<number>
}
