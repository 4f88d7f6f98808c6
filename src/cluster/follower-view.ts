/**
 * SHOW CLUSTER on a plain `--follow` node (a follower without `--failover`). Such a node is in no
 * cluster's membership by design: it holds no writer lease and announces itself nowhere (the writer it
 * follows may have no membership either, a plain `--log-nats` writer). Before, the statement went to the
 * writer, which answered "this server is no node of a cluster": untrue of the node asked, which reads a
 * stream and applies it. It answers for itself instead: one row, what it follows and how far it got.
 */
import type { ClusterView } from '../embedded.js'
import { CLUSTER_COLUMNS } from './members.js'

/** SHOW CLUSTER's columns on a plain follower: the cluster's, then the stream it reads and where. */
export const FOLLOWER_COLUMNS = [...CLUSTER_COLUMNS, 'stream', 'servers'] as const

export class FollowerView implements ClusterView {
  readonly columns: readonly string[] = FOLLOWER_COLUMNS

  /** `batch`: the last batch this node applied (its database may be replaced by a snapshot's). */
  constructor(
    private readonly node: string,
    private readonly url: string,
    private readonly stream: string,
    private readonly servers: readonly string[],
    private readonly batch: () => number,
  ) {}

  /** Its own row: a follower; `behind` NULL (no writer is listed here), heard now, itself. */
  rows(): Promise<unknown[][]> {
    return Promise.resolve([[this.node, 'follower', this.url, this.batch(), null, 0, 1, this.stream, this.servers.map(withoutCredentials).join(',')]])
  }
}

/** A NATS URL without a user and password it may carry (`nats://user:pass@host`): a statement's answer is no place for them. */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1')
}
