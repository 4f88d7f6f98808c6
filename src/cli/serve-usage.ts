// The words and options of `acheron serve`, in one place: its --help, the synopsis the top-level
// `acheron --help` shows, and the options parseArgs takes. The top-level synopsis had been written out
// by hand and left out --log-batches-kept, --share-phase1 and --follower-reads (and the research
// options) that serve --help explained; test/unit/serve-usage.test.ts holds the three to one set.
import { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_DATA_DIR } from '../embedded.js'
import { LOG_SEGMENT_BYTES_MAX, LOG_SEGMENTS_KEPT } from '../log/file-log.js'

/** `acheron serve`'s options, as node:util parseArgs takes them. */
export const SERVE_OPTIONS = {
  data: { type: 'string', default: DEFAULT_DATA_DIR },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '7878' },
  partitions: { type: 'string' },
  workers: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'admin-token': { type: 'string' },
  'admin-token-file': { type: 'string' },
  'app-token': { type: 'string' },
  'app-token-file': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  sync: { type: 'string', default: 'full' },
  'checkpoint-interval-ms': { type: 'string' },
  'log-segment-bytes': { type: 'string' },
  'log-segments-kept': { type: 'string' },
  'trace-bases-kept': { type: 'string' },
  'trace-base-interval-ms': { type: 'string' },
  'trace-base-log-bytes': { type: 'string' },
  'log-nats': { type: 'string' },
  'log-stream': { type: 'string' },
  'log-replicas': { type: 'string' },
  'log-batches-kept': { type: 'string' },
  follow: { type: 'boolean', default: false },
  failover: { type: 'boolean', default: false },
  cluster: { type: 'string' },
  'share-phase1': { type: 'string' },
  'follower-reads': { type: 'string' },
  'follow-delay-ms': { type: 'string' },
  // Research only: serve a deliberately broken engine (acheron check --crash --mutant NAME), or
  // another protocol (a built-in name or a module exporting a Protocol), or die by SIGKILL at a
  // named instant (--crash-at log-write:3).
  mutant: { type: 'string' },
  protocol: { type: 'string' },
  'crash-at': { type: 'string' },
  // Fail-over tests only: stop (SIGSTOP) at the N-th message of the batch log on NATS (log-write:N).
  'pause-at': { type: 'string' },
  // Crash tests only: the wall clock batches are stamped with runs this many ms behind the machine's (a
  // restart after the machine's clock was stepped back).
  'clock-back-ms': { type: 'string' },
} as const

/**
 * Options of SERVE_OPTIONS that no usage names: the crash and fail-over tests' instants. Everything
 * else is in SERVE_USAGE and SERVE_SYNOPSIS.
 */
export const SERVE_UNDOCUMENTED_OPTIONS: readonly (keyof typeof SERVE_OPTIONS)[] = ['crash-at', 'pause-at', 'clock-back-ms']

/** The synopsis of `acheron serve` in the top-level usage (its continuation lines indented under it). */
export const SERVE_SYNOPSIS = `[--data DIR] [--host H] [--port P] [--partitions N] [--workers N] [--sync full|normal|off]
        [--admin-token T | --admin-token-file F] [--app-token T | --app-token-file F] [--token T | --token-file F]
        [--allow-origin ORIGIN]... [--tls-cert F --tls-key F]
        [--checkpoint-interval-ms N] [--log-segment-bytes N] [--log-segments-kept N]
        [--trace-bases-kept N] [--trace-base-interval-ms N] [--trace-base-log-bytes N]
        [--log-nats URL[,URL...] [--log-stream NAME] [--log-replicas N] [--log-batches-kept N] [--follow | --failover]]
        [--cluster URL[,URL...]] [--share-phase1 on|off] [--follower-reads on|off]
        [--protocol NAME|FILE] [--mutant NAME] [--follow-delay-ms N]   (research: docs/research.md)`

/** `acheron serve --help`: every option with its default (docs/operations.md, "Access", has the rules). */
export const SERVE_USAGE = `usage: acheron serve [options]

Serves the WebSocket protocol (docs/client.md) and the browser console on one port. When ready it
prints one line, "acheron listening on ws://HOST:PORT" (wss:// with TLS), on stdout; logs go to stderr.
SIGINT/SIGTERM (and SIGHUP, the terminal closed) finish and make durable the batch in flight, then exit 0.

  --data DIR               data directory (default ./acheron-data)
  --host H                 listen address (default 127.0.0.1). Without a token only a loopback address
                           (127.0.0.0/8, ::1, localhost) is allowed: anything else is refused
  --port P                 port (default 7878; 0 picks a free one)
  --partitions N           partitions of a new table whose DDL names none (default 8)
  --workers N              execution worker threads, 0 to 64 (default 0 on two cores or fewer, else 2; 0: the main thread)
  --sync full|normal|off   durability of each batch (default full)
  --admin-token T          clients must authenticate; this token may do everything
  --admin-token-file F     the same, read from a file (surrounding whitespace ignored)
  --app-token T            an application token: CALL, INSERT/UPDATE/DELETE, SELECT, SHOW, DESCRIBE;
                           its CREATE/DROP TABLE and CREATE/DROP FUNCTION are FORBIDDEN
  --app-token-file F       the same, read from a file
  --token T, --token-file F  the admin token (the older names)
  --allow-origin ORIGIN    a web origin (scheme://host[:port]) whose pages may connect besides the
                           server's own; repeatable. Other browser origins are refused (403)
  --tls-cert F --tls-key F serve wss:// and https:// with this PEM certificate (chain) and key
  --checkpoint-interval-ms N  checkpoint interval (default ${DEFAULT_CHECKPOINT_INTERVAL_MS}; 0: after every batch): released
                           rows are written into DIR/acheron.db at most this long after they commit
  --log-segment-bytes N    start a new segment of DIR/log once one holds this many bytes (default ${LOG_SEGMENT_BYTES_MAX / 1024 / 1024} MiB)
  --log-segments-kept N    segments kept beyond what recovery and EXPLAIN COMMIT need (default ${LOG_SEGMENTS_KEPT})
  --trace-bases-kept N     copies of the checkpoint kept in DIR/trace-bases so that EXPLAIN COMMIT can
                           re-run positions older than the checkpoint (default 2; 0 keeps none, and the
                           log goes after each checkpoint); the log keeps every batch after the oldest
  --trace-base-interval-ms N, --trace-base-log-bytes N  a new copy this long after the newest (default
                           60000), or once this many bytes of log were appended since (default 128 MiB)
  --log-nats URL[,URL...]  keep the batch log on a NATS JetStream stream (nats://host:port, any of the
                           cluster's servers) instead of DIR/log: a batch is acknowledged once a quorum
                           of the stream's replicas stored it (docs/operations.md, "The batch log on NATS")
  --log-stream NAME        the stream (default ACHERON_LOG); one server writes a stream at a time
  --log-replicas N         replicas when the stream is created (default 1; 3 on a three-server cluster)
  --log-batches-kept N     batches the stream keeps behind a durable checkpoint (default 1000); older
                           ones are purged, and a follower on a new directory then starts from a snapshot
  --follow                 follow the stream's writer instead of writing it: apply every batch it
                           releases, and forward this server's requests to it (docs/scale-out.md)
  --failover               write the stream if no node holds its writer lease, else follow; take over
                           when the writer's lease lapses (it died), within about 12 s; a writer that
                           loses the lease follows again
  --cluster URL[,URL...]   a node of a cluster: --log-nats URLS --failover on the stream ACHERON_CLUSTER,
                           R3 when given three or more NATS servers (as acheron cluster starts them)
  --share-phase1 on|off    on a stream: the writer hands each follower the calls that start on its
                           partitions, to run phase 1 of a batch (default off; every node must say on;
                           only protocols with a phase 1 share: aria, calvin; docs/scale-out.md)
  --follower-reads on|off  a follower answers a read-only query (SELECT, SHOW, DESCRIBE, EXPLAIN CALL)
                           on its own state at a read position from the writer, instead of forwarding
                           it (default on; docs/scale-out.md)

Research (docs/research.md):
  --protocol NAME|FILE     concurrency control: aria, calvin, serial (default serial with no workers, else
                           aria), or a module exporting a Protocol; logged at start
  --mutant NAME            serve a deliberately broken engine (acheron check --list-mutants names them)
  --follow-delay-ms N      while following a stream, wait N ms before applying each batch, as a lagging
                           follower would (the harness's cluster uses it; default 0)

Environment (limits; docs/operations.md "Limits"): ACHERON_PAYLOAD_BYTES_MAX (16 MiB),
ACHERON_CONNECTIONS_MAX (1024), ACHERON_PENDING_AUTH_CONNECTIONS_MAX (128), ACHERON_AUTH_DEADLINE_MS (5000),
ACHERON_REPLY_BUFFER_BYTES_PAUSE (8 MiB), ACHERON_REPLY_BUFFER_BYTES_MAX (64 MiB),
ACHERON_REPLY_BUFFER_BYTES_HARD_MAX (4 x the maximum: 256 MiB), ACHERON_REPLY_STALL_MS (10000).`
