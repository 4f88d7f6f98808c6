#!/usr/bin/env -S node --max-semi-space-size=64 --v8-pool-size=2
// The `acheron` command (CONTRACT.md §1). The shebang's flags are SERVER_NODE_FLAGS (./node-flags.ts,
// which says why).
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { createSecureContext } from 'node:tls'
import { TIMER_MS_MAX } from '../timer-limits.js'
import { parseCrashAt, parsePauseAt } from '../crash-points.js'
import { open, WORKERS_MAX, type OpenOptions } from '../embedded.js'
import { PARTITIONS_MAX } from '../schema/catalog.js'
import { PROTOCOLS } from '../txn/protocols/index.js'
import { WriterBehindStreamError } from '../txn/engine.js'
import { WriterRaceError } from '../log/batch-log.js'
import { createLogger } from '../server/logger.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS, type Forwarding } from '../server/server.js'
import { AUTH_TOKEN_BYTES_MAX } from '../server/wire.js'
import type { ForwardedRequests } from '../cluster/forwarding.js'
import { runDemo } from './demo.js'
import { exitQuietlyOnClosedOutput, exitWhenFlushed } from './exit.js'
import { joinNegativeValues } from './negative-values.js'
import { CONSOLE_COMMAND_USAGE, CONSOLE_USAGE, runConsole } from '../console/main.js'
import { VERIFY_USAGE, verifyCommand } from './verify.js'
import { CHECK_USAGE } from './check-command.js'
import { SERVE_OPTIONS, SERVE_SYNOPSIS, SERVE_USAGE } from './serve-usage.js'
import { BENCH_USAGE } from './bench-command.js'
import { FN_USAGE } from './fn-command.js'
import { CLUSTER_USAGE } from './cluster-command.js'
import { listenFailure, probeListen } from './listen-probe.js'
import { ACHERON_VERSION } from '../version.js'
import { isUsageError, usageMessage, UsageError } from './usage-error.js'
import { fileProblem } from '../file-problem.js'
import { natsErrorText } from '../log/nats-error-text.js'
import { decimal } from './decimal.js'

const USAGE = `usage: acheron <command> [options]     (acheron COMMAND --help: that command's options; acheron --version)

commands:
  serve ${SERVE_SYNOPSIS}
      serves the WebSocket protocol and the browser console (default ws://127.0.0.1:7878 and http://127.0.0.1:7878/, data in ./acheron-data);
      acheron serve --help explains each option
  demo [--data DIR] [--workers N] [--protocol aria|calvin|serial] [--transfers N] [--sync full|normal|off]
      runs the bank example end to end in SQL on the embedded engine
  cluster [--nodes N] [--data DIR]
      starts N NATS servers and N nodes on one batch log stream, for trying a cluster on this machine;
      prints "acheron node N listening on ws://HOST:PORT" per node; Ctrl-C stops everything
${CONSOLE_COMMAND_USAGE}
  check [--seed S] [--runs N] [--txns N] [--partitions N] [--workers N] [--crash] [--mutant NAME] [--list-mutants]
        [--property replay|determinism|elle|crash|trace]... [--path P] [--no-shrink] [--protocol NAME|FILE.js]
        [--nats N [--failover] | --cluster]
      the property-test harness (docs/research.md): random workloads checked by declared-order replay,
      determinism across workers and protocols, an Elle-style anomaly checker over WebSocket and (--crash)
      kill -9 recovery; prints "N passed, N failed", and on a failure the seed, a shrunk counterexample and
      the command that replays it

  fn init NAME [--lang assemblyscript|rust|c] [--acheron-spec SPEC] | fn build [--dir DIR] | fn test [--dir DIR]
      the function kit: scaffold a function project (AssemblyScript by default, Rust or C), compile its functions to build/*.wasm,
      run its tests on an embedded engine ("N passed, N failed"); acheron fn --help

  verify --data DIR
      checks a stopped data directory (SQLite integrity, every row against its table, module hashes, the
      batch log's frames from the checkpoint on); exits 0 when sound, 1 naming each problem

  bench ycsbt|smallbank|tpcc [--clients N] [--inflight N] [--duration S] [--warmup S] [--keys N] [--theta Z]
        [--warehouses N] [--items N] [--seed S] [--partitions N] [--workers N] [--protocol P] [--peers]
        [--sqlite-group N] [--json] [--save FILE] [--baseline FILE]
      the benchmark driver (docs/benchmarks.md): a workload on a fresh acheron serve, and with --peers the same
      transactions on PostgreSQL 15 and SQLite in the same run; prints txn/s, p50/p99/max latency, aborts,
      conflict aborts, retries and the throughput ratios; lists (--theta 0,0.99 --protocol aria,calvin) run a
      matrix; --save keeps the points in a results file and warns of regressions against it`

/** The protocols `acheron demo --protocol` takes (its --help lists them): the built-in ones. */
const DEMO_PROTOCOLS: readonly string[] = Object.keys(PROTOCOLS)

/**
 * The demo's own data directory: in the server's (./acheron-data) it replaced the user's account.*
 * functions with the bank example's and added its accounts to an account table of theirs.
 */
const DEMO_DATA_DIR = './acheron-demo-data'

/** `acheron demo --help`. */
const DEMO_USAGE = `usage: acheron demo [options]

Runs the bank example end to end in SQL on the embedded engine: creates the account table, registers
the AssemblyScript bank functions, calls a transfer and a withdraw that aborts, then runs concurrent
cross-partition transfers and shows with SELECT SUM(balance) that the total is conserved.

  --data DIR                      data directory (default ./acheron-demo-data, not the server's ./acheron-data:
                                  the demo creates its account table and replaces account.* functions)
  --workers N                     execution worker threads (default 0, the main thread, on two cores or fewer; else 2)
  --protocol aria|calvin|serial   concurrency control (default aria with worker threads, serial without)
  --transfers N                   transfers, up to 10000 in flight at once (default 20000)
  --sync full|normal|off          durability of each batch (default full)`

/** True for an address that only this machine reaches. */
function isLoopbackHost(host: string): boolean {
  const h = listenHost(host)
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/**
 * The address to listen on: an IPv6 address may be given as in a URL, `--host [::1]` (the ready line
 * prints it so); Node's listen() takes it without the brackets ("[::1]" failed as a host name that does
 * not resolve, though the loopback check accepted it).
 */
function listenHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** A token from `--NAME T` or `--NAME-file F` (not both); null when neither is given. */
function tokenOption(values: Record<string, unknown>, name: string): string | null {
  const direct = values[name] as string | undefined
  const file = values[`${name}-file`] as string | undefined
  if (direct !== undefined && file !== undefined) throw new UsageError(`give --${name} or --${name}-file, not both`)
  const t = direct ?? (file !== undefined ? optionFile(`${name}-file`, file).toString('utf8').trim() : null)
  // An empty file said only "the admin-token is empty", naming no file, though the option given was the file.
  if (t === '') throw new UsageError(direct !== undefined ? `the ${name} is empty` : `--${name}-file ${file} is empty (or holds only whitespace)`)
  // A longer token was accepted here, though no auth frame may carry it: a browser could never use it.
  const bytes = t === null ? 0 : Buffer.byteLength(t)
  if (bytes > AUTH_TOKEN_BYTES_MAX) {
    throw new UsageError(`${direct !== undefined ? `the ${name}` : `the token in --${name}-file ${file}`} is ${bytes} bytes, more than a client may present (AUTH_TOKEN_BYTES_MAX, ${AUTH_TOKEN_BYTES_MAX} bytes of UTF-8): use a shorter token`)
  }
  return t
}

/**
 * The bytes of a file an option names. A file that cannot be read is a failure at run time (exit 1), said
 * with the option: Node's own message ("ENOENT: no such file or directory, open 'x'") named neither.
 */
function optionFile(option: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new Error(`--${option} ${file}: cannot read it (${fileProblem(err)})`)
  }
}

/**
 * `--tls-cert F --tls-key F`, read and checked as a pair before the data directory is opened: a file
 * that is not PEM, or a key that is not the certificate's, failed only when the server listened, with
 * OpenSSL's words alone ("error:0480006C:PEM routines::no start line").
 */
function tlsOptions(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | null {
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('give --tls-cert and --tls-key together')
  if (certFile === undefined || keyFile === undefined) return null
  const cert = optionFile('tls-cert', certFile)
  const key = optionFile('tls-key', keyFile)
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new Error(`--tls-cert ${certFile} and --tls-key ${keyFile} are not a PEM certificate and its private key (${err instanceof Error ? err.message : String(err)})`)
  }
  return { cert, key }
}

/** The admin and application tokens of `acheron serve`; `--token` is the admin token's older name. */
function serveTokens(values: Record<string, unknown>): { admin: string | null; app: string | null } {
  const legacy = tokenOption(values, 'token')
  const admin = tokenOption(values, 'admin-token')
  if (legacy !== null && admin !== null) throw new UsageError('give --token or --admin-token, not both (--token is the admin token)')
  const app = tokenOption(values, 'app-token')
  const adminToken = admin ?? legacy
  if (adminToken !== null && app !== null && adminToken === app) throw new UsageError('the admin and application tokens must differ')
  return { admin: adminToken, app }
}

/** `--data ""` is no directory (it was stat'ed, and failed as ENOENT of ''). */
function dataOption(dir: string): void {
  if (dir === '') throw new UsageError('--data needs a directory, not an empty string')
}

function syncMode(v: string | undefined): 'full' | 'normal' | 'off' {
  if (v === 'full' || v === 'normal' || v === 'off') return v
  throw new UsageError(`--sync must be full, normal or off, not ${v}`)
}

/** `--NAME v` as an integer of at least `min` (and at most `max`, when given); undefined when not given. */
function positiveInt(name: string, v: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined
  const n = decimal(v)
  // Number('') is 0: an empty value (--port "") is no number, not the smallest one.
  // One message for both ends of the range, so that a user learns the whole range from either mistake.
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${range}, not ${v}`)
  return n
}

/**
 * The server's limits from the environment (docs/operations.md, "Server and connections"). Read before the
 * data directory is opened: a bad value found after the open exited with the database still open (its
 * WAL and the lock's journal left behind), and was named as an option, "--ACHERON_PAYLOAD_BYTES_MAX".
 */
function serverLimits(env: NodeJS.ProcessEnv): typeof DEFAULT_SERVER_LIMITS {
  const limit = (name: string, fallback: number): number => {
    const v = env[name]
    if (v === undefined) return fallback
    const n = decimal(v)
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be an integer >= 1, not ${v}`)
    return n
  }
  const d = DEFAULT_SERVER_LIMITS
  const limits = {
    ...d,
    payloadBytesMax: limit('ACHERON_PAYLOAD_BYTES_MAX', d.payloadBytesMax),
    connectionsMax: limit('ACHERON_CONNECTIONS_MAX', d.connectionsMax),
    pendingAuthConnectionsMax: limit('ACHERON_PENDING_AUTH_CONNECTIONS_MAX', d.pendingAuthConnectionsMax),
    authDeadlineMs: limit('ACHERON_AUTH_DEADLINE_MS', d.authDeadlineMs),
    replyBufferBytesPause: limit('ACHERON_REPLY_BUFFER_BYTES_PAUSE', d.replyBufferBytesPause),
    replyBufferBytesMax: limit('ACHERON_REPLY_BUFFER_BYTES_MAX', d.replyBufferBytesMax),
    replyStallMs: limit('ACHERON_REPLY_STALL_MS', d.replyStallMs),
  }
  if (limits.replyBufferBytesPause >= limits.replyBufferBytesMax) {
    throw new UsageError(`ACHERON_REPLY_BUFFER_BYTES_PAUSE (${limits.replyBufferBytesPause}) must be below ACHERON_REPLY_BUFFER_BYTES_MAX (${limits.replyBufferBytesMax}): past the pause a slow reader's connection stops being read, past the maximum it is closed`)
  }
  // The hard bound follows the maximum (4 times it, as by default) unless it is set.
  const hard = limit('ACHERON_REPLY_BUFFER_BYTES_HARD_MAX', 4 * limits.replyBufferBytesMax)
  if (hard < limits.replyBufferBytesMax) {
    throw new UsageError(`ACHERON_REPLY_BUFFER_BYTES_HARD_MAX (${hard}) must be at least ACHERON_REPLY_BUFFER_BYTES_MAX (${limits.replyBufferBytesMax}): past the maximum a connection that stopped reading is closed, past the hard maximum any connection is`)
  }
  return { ...limits, replyBufferBytesHardMax: hard }
}

/** The stream a cluster's nodes share (`acheron serve --cluster`, `acheron cluster`). */
export const CLUSTER_STREAM = 'ACHERON_CLUSTER'

/**
 * `--cluster URL[,URL...]`: a node of a cluster, which is `--log-nats URLS --failover` on the stream
 * CLUSTER_STREAM, its replicas as many as the URLs given (at most 3) unless `--log-stream` and
 * `--log-replicas` say otherwise.
 */
function clusterOptions<T extends { cluster?: string | undefined; 'log-nats'?: string | undefined; 'log-stream'?: string | undefined; 'log-replicas'?: string | undefined; follow: boolean; failover: boolean }>(v: T): T {
  if (v.cluster === undefined) return v
  if (v['log-nats'] !== undefined || v.follow || v.failover) {
    throw new UsageError(`--cluster is --log-nats URLS --failover on the stream ${CLUSTER_STREAM}: give it without --log-nats, --follow or --failover`)
  }
  const urls = v.cluster.split(',').filter((u) => u.trim() !== '').length
  return {
    ...v, 'log-nats': v.cluster, failover: true,
    'log-stream': v['log-stream'] ?? CLUSTER_STREAM,
    'log-replicas': v['log-replicas'] ?? String(Math.max(1, Math.min(3, urls))),
  }
}

/** `acheron serve`: prints exactly one ready line; SIGINT/SIGTERM finish the batch in flight and exit 0. */
async function serve(args: string[]): Promise<number> {
  // `--checkpoint-interval-ms -1` is refused by the option's range check, in our words (parseArgs called it "ambiguous").
  const { values: given } = parseArgs({ args: joinNegativeValues(args, SERVE_OPTIONS), options: SERVE_OPTIONS })
  const values = clusterOptions(given)
  dataOption(values.data)
  // The command line first (exit 2), then the files it names (exit 1), then the environment: all before
  // the data directory is opened, so that a refusal leaves nothing behind.
  const tokenGiven = ['token', 'admin-token', 'app-token'].some((n) => values[n as 'token'] !== undefined || values[`${n}-file` as 'token'] !== undefined)
  // Without a token anyone who reaches the port may do anything: only this machine may reach it.
  if (!tokenGiven && !isLoopbackHost(values.host)) {
    throw new UsageError(`--host ${values.host} is not a loopback address: give --admin-token (or --admin-token-file) to listen on it, or keep the default 127.0.0.1`)
  }
  const sync = syncMode(values.sync)
  const allowedOrigins = values['allow-origin'] ?? []
  for (const origin of allowedOrigins) {
    let ok = false
    try {
      const u = new URL(origin)
      ok = /^https?:$/.test(u.protocol) && u.pathname === '/' && u.search === '' && u.hash === '' && u.username === ''
    } catch { ok = false }
    if (!ok) throw new UsageError(`--allow-origin ${origin}: give an origin, scheme://host[:port] (http or https, no path)`)
  }
  const log = createLogger()
  // Past PARTITIONS_MAX, it was accepted and made every CREATE TABLE without PARTITIONS fail with CONSTRAINT.
  const partitions = positiveInt('partitions', values.partitions, 1, PARTITIONS_MAX)
  const workers = positiveInt('workers', values.workers, 0, WORKERS_MAX)
  // Loaded only when asked for: the harness is not part of a normal server.
  const port = positiveInt('port', values.port, 0) ?? 7878
  if (port > 65_535) throw new UsageError(`--port must be a TCP port, 0 to 65535 (0 picks a free one), not ${values.port}`)
  const mutants = values.mutant === undefined ? null : await import('../testing/mutants.js')
  const mutant = mutants?.mutantByName(values.mutant as string) ?? null
  // Node's timers keep at most TIMER_MS_MAX: a longer interval fired after 1 ms, checkpointing all the time.
  const checkpointIntervalMs = positiveInt('checkpoint-interval-ms', values['checkpoint-interval-ms'], 0, TIMER_MS_MAX)
  const logSegmentBytesMax = positiveInt('log-segment-bytes', values['log-segment-bytes'], 1)
  const logSegmentsKept = positiveInt('log-segments-kept', values['log-segments-kept'], 0)
  const traceBasesKept = positiveInt('trace-bases-kept', values['trace-bases-kept'], 0)
  const traceBaseIntervalMs = positiveInt('trace-base-interval-ms', values['trace-base-interval-ms'], 0, TIMER_MS_MAX)
  const traceBaseLogBytes = positiveInt('trace-base-log-bytes', values['trace-base-log-bytes'], 1)
  const logReplicas = positiveInt('log-replicas', values['log-replicas'], 1)
  const logBatchesKept = positiveInt('log-batches-kept', values['log-batches-kept'], 0)
  if ((values['log-stream'] !== undefined || logReplicas !== undefined || logBatchesKept !== undefined || values.follow || values.failover) && values['log-nats'] === undefined) {
    throw new UsageError('--log-stream, --log-replicas, --log-batches-kept, --follow and --failover go with --log-nats (or --cluster)')
  }
  const sharePhase1 = values['share-phase1']
  if (sharePhase1 !== undefined && sharePhase1 !== 'on' && sharePhase1 !== 'off') throw new UsageError(`--share-phase1 is on or off, not ${sharePhase1}`)
  if (sharePhase1 !== undefined && values['log-nats'] === undefined) throw new UsageError('--share-phase1 goes with --log-nats (or --cluster)')
  const followDelayMs = positiveInt('follow-delay-ms', values['follow-delay-ms'], 0, 60_000)
  const clockBackMs = positiveInt('clock-back-ms', values['clock-back-ms'], 0)
  if (followDelayMs !== undefined && values['log-nats'] === undefined) throw new UsageError('--follow-delay-ms goes with --log-nats (or --cluster)')
  const followerReads = values['follower-reads']
  if (followerReads !== undefined && followerReads !== 'on' && followerReads !== 'off') throw new UsageError(`--follower-reads is on or off, not ${followerReads}`)
  if (followerReads !== undefined && values['log-nats'] === undefined) throw new UsageError('--follower-reads goes with --log-nats (or --cluster)')
  if (values.follow && values.failover) throw new UsageError('--follow and --failover exclude each other (--failover follows until it takes over)')
  const natsServers = values['log-nats']?.split(',').map((u) => u.trim()).filter((u) => u !== '')
  if (natsServers !== undefined && (natsServers.length === 0 || natsServers.some((u) => !/^(nats|tls):\/\/[^\s/]+$/.test(u)))) {
    throw new UsageError(`--log-nats takes NATS server URLs separated by commas (nats://host:port), not ${values['log-nats']}`)
  }
  const tokens = serveTokens(values)
  const anyToken = tokens.admin !== null || tokens.app !== null
  const tls = tlsOptions(values['tls-cert'], values['tls-key'])
  const limits = serverLimits(process.env)
  const stream = values['log-stream'] ?? (natsServers !== undefined ? (await import('../log/jetstream-log.js')).LOG_STREAM_DEFAULT : '')
  // A port taken by another process is said before the data directory is created or opened (it was
  // initialised, then left behind). The listen below may still lose a race for the port; it says so too.
  if (port !== 0) await probeListen(listenHost(values.host), port)
  // Before the writer lease: a protocol file that does not load left the lease held until it lapsed (12 s).
  const protocol = values.protocol !== undefined ? await (await import('./protocol-loader.js')).loadProtocol(values.protocol) : undefined
  // --failover: whoever holds the stream's writer lease writes; the others follow until it lapses.
  const lease = natsServers !== undefined && values.failover
    ? await (await import('../cluster/writer-lease.js')).WriterLease.open(natsServers, stream, `${hostname()}:${process.pid}`, logReplicas ?? 1)
    : null
  let following = values.follow || (lease !== null && !(await lease.tryAcquire()))
  // The crash and pause instants count from the process's start: a database reopened later (a writer
  // that lost its lease follows again) has none.
  const optionsFollowing = (follow: boolean, first: boolean, behind: boolean): OpenOptions => ({
    dir: values.data, sync,
    ...(partitions !== undefined ? { partitions } : {}), ...(workers !== undefined ? { workers } : {}),
    ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
    ...(logSegmentBytesMax !== undefined ? { logSegmentBytesMax } : {}),
    ...(logSegmentsKept !== undefined ? { logSegmentsKept } : {}),
    ...(traceBasesKept !== undefined ? { traceBasesKept } : {}),
    ...(traceBaseIntervalMs !== undefined ? { traceBaseIntervalMs } : {}),
    ...(traceBaseLogBytes !== undefined ? { traceBaseLogBytes } : {}),
    ...(natsServers !== undefined ? { natsLog: {
      servers: natsServers,
      ...(values['log-stream'] !== undefined ? { stream: values['log-stream'] } : {}),
      ...(logReplicas !== undefined ? { replicas: logReplicas } : {}),
      ...(logBatchesKept !== undefined ? { batchesKept: logBatchesKept } : {}),
      ...(follow ? { follow: true } : {}),
      ...(behind ? { behind: true } : {}),
      ...(sharePhase1 === 'on' ? { sharePhase1: true } : {}),
      ...(followDelayMs !== undefined ? { followDelayMs } : {}),
    } } : {}),
    ...(values['crash-at'] !== undefined && first ? { crashAt: parseCrashAt(values['crash-at']) } : {}),
    ...(values['pause-at'] !== undefined && first ? { pauseAt: parsePauseAt(values['pause-at']) } : {}),
    ...(clockBackMs !== undefined ? { wallClockMs: () => Date.now() - clockBackMs } : {}),
    // A function's line carries its name in `fn`, an engine event its part in `source`: filterable either way.
    log: (line, e) => log({ level: e.level, msg: line, ...(e.function ? { fn: e.source } : { source: e.source }) }),
    ...(protocol !== undefined ? { protocol } : {}),
  })
  const openFollowing = (follow: boolean, first = false, behind = false): ReturnType<typeof open> => {
    const options = optionsFollowing(follow, first, behind)
    return open(mutants === null ? options : mutants.withMutant(options, mutant))
  }
  // A lease taken for an open that fails is given up at once: the other nodes waited out its TTL (12 s).
  const giveUp = async (err: unknown): Promise<never> => {
    await lease?.close().catch(() => {})
    throw err
  }
  const db = await openFollowing(following, true).catch(async (err: unknown) => {
    // Its batches were purged behind the checkpoints of nodes that wrote on: it took the lease (the node
    // that writes had not yet, or the lease moved), but only a node whose state holds the stream's first
    // batches can write. It gives the lease back and follows from the writer's snapshot (it may write
    // later, rebuilt). Before, it exited, after the node that writes had lost the lease to it.
    // Or another writer appended while it opened (its lease lapsed while it was paused, or NATS gave the
    // lease twice): it follows, and waits for the lease again.
    const behind = err instanceof WriterBehindStreamError
    if (!(behind || err instanceof WriterRaceError) || lease === null || following) return giveUp(err)
    log({ level: 'warn', msg: `${err.message.replace(/\. Start first .*$/, '')}: giving the writer lease of the stream ${stream} up and following it${behind ? " from the writer's snapshot" : ''}` })
    await lease.release()
    following = true
    return openFollowing(true, true, behind).catch(giveUp)
  })
  if (mutant !== null) log({ level: 'warn', msg: `serving the deliberately broken mutant '${mutant.name}': ${mutant.bug}` })
  if (protocol !== undefined) log({ level: 'info', msg: `concurrency control: the protocol '${protocol.name}' (--protocol ${values.protocol})` })
  // On a stream: a follower forwards its clients' requests to the writer, which serves them. A --failover
  // node forwards whenever it follows, so it keeps a forwarder while it writes too.
  const cluster = natsServers !== undefined ? await import('../cluster/forwarding.js') : null
  const forwarder = cluster !== null && natsServers !== undefined && (following || lease !== null) ? await cluster.RequestForwarder.open(natsServers, stream) : null
  // What a following node does not answer itself goes to the writer; with --follower-reads on (the
  // default) it answers read-only queries at read positions from the writer.
  const forwarding: Forwarding | null = forwarder === null ? null : {
    forward: (raw, role, fromLog) => forwarder.forward(raw, role, fromLog),
    ...(followerReads !== 'off' ? { readPositions: forwarder.readPositions } : {}),
  }
  let server: AcheronServer
  try {
    server = await AcheronServer.listen({
      db, host: listenHost(values.host), port,
      token: tokens.admin, appToken: tokens.app, allowedOrigins, tls, limits, log,
      ...(forwarding !== null && following ? { forward: forwarding } : {}),
    })
  } catch (err) {
    // Close what was opened, so the data directory is left as a clean stop leaves it (no lock, no
    // pid file, the WAL folded in) and a lease held is given up at once.
    await Promise.allSettled([db.close(), forwarder?.close(), lease?.close()])
    throw listenFailure(err, listenHost(values.host), port)
  }
  const serveForwarded = async (): Promise<ForwardedRequests> => {
    if (cluster === null || natsServers === undefined) throw new Error('acheron invariant violated: forwarded requests without a stream')
    return cluster.ForwardedRequests.serve(natsServers, stream, (raw, role, max, origin) => server.handleForwarded(raw, role, max, origin), {
      reserveReads: (count, batch) => server.reserveReadPositions(count, batch),
      since: server.database.lastCommittedBatch,
    })
  }
  // Without --failover a node keeps the role it started with; with it, src/cluster/failover.ts changes it.
  // A --follow node has one too: it rebuilds its state from the writer's snapshot when it falls behind.
  const forwarded = cluster !== null && !following && lease === null ? await serveForwarded() : null
  /** A role change or the stop failed: the process exits 1 (a supervisor restarting on failure then does). */
  let exitsFailed = false
  const failover = (lease !== null || following) && forwarder !== null && forwarding !== null
    ? await (await import('../cluster/failover.js')).FailoverNode.start({
      stream, server, lease, forwarder, forwarding, serveForwarded, log,
      reopenFollowing: (behind) => openFollowing(true, false, behind),
      fatal: (err) => {
        log({ level: 'error', msg: `changing this node's role on the stream ${stream} failed: ${err instanceof Error ? err.stack : String(err)}` })
        // Stopped as by SIGTERM, but a failure: it exited 0, and a supervisor restarting on failure did not.
        exitsFailed = true
        process.kill(process.pid, 'SIGTERM')
      },
    }, db)
    : null
  // A --failover node announces itself in the lease's bucket, for SHOW CLUSTER on any node.
  const members = lease !== null ? new (await import('../cluster/members.js')).ClusterMembers(
    lease, lease.node, server.url,
    () => ({ role: server.isForwarding ? 'follower' : 'writer', batch: server.database.lastCommittedBatch }), log,
  ) : null
  if (members !== null) {
    members.start()
    server.setClusterView(members)
  } else if (values.follow && natsServers !== undefined) {
    // A plain follower is in no membership: SHOW CLUSTER says what it follows and how far it got.
    const { FollowerView } = await import('../cluster/follower-view.js')
    server.setClusterView(new FollowerView(`${hostname()}:${process.pid}`, server.url, stream, natsServers, () => server.database.lastCommittedBatch))
  }
  // The signal handlers are in place before the ready line: a SIGTERM sent the moment it is read stops
  // the server gracefully (before, one sent right after the "listening" log line could kill it outright).
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log({ level: 'info', msg: `${signal}: finishing the batch in flight, then exiting` })
      void Promise.resolve(failover?.halt())
        .then(() => members?.close())
        .then(() => server.close())
        .then(() => Promise.all([forwarder?.close(), forwarded?.close(), failover?.close()]))
        .then(() => { log({ level: 'info', msg: 'stopped' }); resolve() }, (err: unknown) => {
          // A stop that failed (the database's close: its last checkpoint, its batch log) was a rejection
          // nobody handled: Node's stack trace on stderr instead of a log line. Logged, and exit 1.
          log({ level: 'error', msg: 'stopping failed', error: err instanceof Error ? err.message : String(err) })
          exitsFailed = true
          resolve()
        })
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
    // The terminal it ran in was closed: stop as cleanly (Node's default for SIGHUP is to exit at once).
    process.once('SIGHUP', () => stop('SIGHUP'))
  })
  process.stdout.write(`acheron listening on ${server.url}\n`)
  if (!anyToken) log({ level: 'warn', msg: `no token: listening on ${values.host} only (loopback); anyone on this machine may do anything. Give --admin-token to require authentication and listen elsewhere` })
  log({
    level: 'info', msg: 'listening', url: server.url, console: server.consoleUrl, ...limits,
    auth: anyToken, roles: [...(tokens.admin !== null ? ['admin'] : []), ...(tokens.app !== null ? ['app'] : [])], allowedOrigins, tls: tls !== null,
  })
  await stopped
  return exitsFailed ? 1 : 0
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`acheron ${ACHERON_VERSION}\n`)
    return 0
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const own: Readonly<Record<string, string>> = { serve: SERVE_USAGE, verify: VERIFY_USAGE, console: CONSOLE_USAGE, check: CHECK_USAGE, demo: DEMO_USAGE, bench: BENCH_USAGE, fn: FN_USAGE, cluster: CLUSTER_USAGE }
    process.stdout.write((command !== undefined && Object.hasOwn(own, command) ? own[command] : USAGE) + '\n')
    return 0
  }
  switch (command) {
    case 'serve':
      return serve(rest)
    case 'console':
      return runConsole(rest)
    case 'verify':
      return verifyCommand(rest, (line) => process.stdout.write(line + '\n'))
    case 'check':
      return (await import('./check-command.js')).checkCommand(rest, (line) => process.stdout.write(line + '\n'))
    case 'cluster':
      return (await import('./cluster-command.js')).clusterCommand(rest, (line) => process.stdout.write(line + '\n'))
    case 'bench':
      return (await import('./bench-command.js')).benchCommand(rest, (line) => process.stdout.write(line + '\n'), (line) => process.stderr.write(line + '\n'))
    case 'fn':
      return (await import('./fn-command.js')).fnCommand(rest, (line) => process.stdout.write(line + '\n'), (line) => process.stderr.write(line + '\n'))
    case 'demo': {
      const demoOptions = {
        data: { type: 'string', default: DEMO_DATA_DIR },
        workers: { type: 'string' },
        protocol: { type: 'string' },
        transfers: { type: 'string', default: '20000' },
        sync: { type: 'string', default: 'full' },
      } as const
      const { values } = parseArgs({ args: joinNegativeValues(rest, demoOptions), options: demoOptions })
      // Checked before anything is opened: "--transfers abc" ran NaN transfers and exited 0, "--workers abc"
      // failed as an invariant (exit 1) after creating the data directory.
      dataOption(values.data)
      const transfers = positiveInt('transfers', values.transfers, 0) as number
      const workers = positiveInt('workers', values.workers, 0, WORKERS_MAX)
      if (values.protocol !== undefined && !DEMO_PROTOCOLS.includes(values.protocol)) {
        throw new UsageError(`--protocol must be ${DEMO_PROTOCOLS.slice(0, -1).join(', ')} or ${DEMO_PROTOCOLS.at(-1)}, not ${values.protocol}`)
      }
      const sync = syncMode(values.sync)
      const ok = await runDemo({
        dir: values.data, protocol: values.protocol, sync, transfers,
        ...(workers !== undefined ? { workers } : {}),
        out: (line) => process.stdout.write(line + '\n'),
      })
      return ok ? 0 : 1
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n')
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`acheron: '${command}' is not a command of this version\n${USAGE}\n`)
      return 2
  }
}

exitQuietlyOnClosedOutput()
main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    process.stderr.write(`acheron: ${err instanceof Error && err.name === 'NatsError' ? natsErrorText(err) : isUsageError(err) ? usageMessage(err) : err instanceof Error ? err.message : String(err)}\n`)
    // The NATS client's own errors say little ("503", "TIMEOUT"): where one came from goes with it, for
    // the bug report an error Acheron did not explain deserves (CI once showed only "acheron: 503").
    if (err instanceof Error && err.name === 'NatsError') {
      process.stderr.write(`(an error of the NATS client that Acheron did not explain; please report it with these lines)\n${(err.stack ?? '').split('\n').slice(1, 13).join('\n')}\n`)
    }
    if (isUsageError(err)) {
      // Exit 2, as for an unknown command: the command line was wrong, nothing ran.
      const command = process.argv[2]
      process.stderr.write(command !== undefined && !command.startsWith('-') ? `(acheron ${command} --help lists its options)\n` : '(acheron --help lists the commands)\n')
      exitWhenFlushed(2)
      return
    }
    exitWhenFlushed(1)
  },
)
