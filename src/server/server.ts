import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { callResultOf, type ClusterView, type EmbeddedDatabase, type LoggedCallResult } from '../embedded.js'
import type { CallOrigin } from '../txn/batch-codec.js'
import type { TxnOutcome } from '../txn/types.js'
import { isShowCluster, mayReadLocally, NeedsWriter, type ReadPositionSource } from '../cluster/local-reads.js'
import { AcheronError, invariant, type CommitPosition } from '../errors.js'
import { executeScript, type ExecuteOptions, type StatementResult } from '../sql/execute.js'
import { parseScriptCached } from '../sql/parse.js'
import { STATS_HISTORY_INTERVAL_MS, STATS_HISTORY_SECONDS, StatsHistory, StatsSampler } from '../stats/history.js'
import { statsObject, type ServerGauges } from '../stats/metrics.js'
import { ACHERON_VERSION } from '../version.js'
import { authorizeStatement, authRequired, bearerRole, normalizeOrigin, originRefusal, roleOf, type OriginRule, type Role, type Tokens } from './access.js'
import { httpConsole } from './http-console.js'
import { ReadStallWatch } from './read-stall.js'
import { AUTH_TOKEN_BYTES_MAX, callReply, decodeRequest, errorReply, jsonRequestId, leadingRequestId, okReply, PAYLOAD_BYTES_MAX_HEADER, requestIdOf, serverReply, type Request } from './wire.js'

export interface ServerLimits {
  /**
   * Largest frame answered normally; a larger one gets PAYLOAD_TOO_LARGE and the connection stays open.
   * Beyond this plus FRAME_HEADROOM_BYTES, ws closes the connection (1009) without buffering the rest.
   */
  readonly payloadBytesMax: number
  /** Requests in flight on one connection / on the whole server; beyond them, OVERLOADED. */
  readonly inFlightPerConnectionMax: number
  readonly inFlightTotalMax: number
  /** Open authenticated connections; one more is answered OVERLOADED and closed (1013). */
  readonly connectionsMax: number
  /**
   * Connections still authenticating (token configured, no valid `Authorization` header, no auth frame
   * yet). A separate cap, so that clients without the token never take the owner's slots.
   */
  readonly pendingAuthConnectionsMax: number
  /** A connection still authenticating after this long gets UNAUTHORIZED and is closed (1008). */
  readonly authDeadlineMs: number
  /** Reply bytes a connection has not read (`bufferedAmount`) at which the server stops reading its requests. */
  readonly replyBufferBytesPause: number
  /**
   * Unread reply bytes past which a connection whose client reads nothing for `replyStallMs` is closed
   * (1013 OVERLOADED). A client that keeps reading is not closed here, however slowly it reads: the
   * requests it sent before the pause still produce replies, and closing it would lose them.
   */
  readonly replyBufferBytesMax: number
  /** Unread reply bytes at which, when another reply is ready, the connection is closed whether it reads or not. */
  readonly replyBufferBytesHardMax: number
  /** How long a connection past `replyBufferBytesMax` may go without its client reading any reply bytes. */
  readonly replyStallMs: number
}

/** How far past `payloadBytesMax` a frame is still read, so that it can be answered with an error. */
export const FRAME_HEADROOM_BYTES = 1024 * 1024
/**
 * Largest frame of a connection that has not authenticated; beyond: close 1009, unread. It holds an auth
 * frame whose token has AUTH_TOKEN_BYTES_MAX bytes however JSON escapes them (6 bytes for one, at worst)
 * with its other fields, so a token within the limit is always read and answered; 4 KiB closed the
 * connection on a longer JWT, which the SDK took for a dropped connection and retried. 128 connections
 * authenticating (pendingAuthConnectionsMax) hold at most 8 MiB of such frames.
 */
export const PRE_AUTH_FRAME_BYTES_MAX = 64 * 1024
/** Room for an auth frame's fields besides its token (`{"id":…,"op":"auth","token":""}`). */
const AUTH_FRAME_FIELDS_BYTES_MAX = 256
invariant(PRE_AUTH_FRAME_BYTES_MAX >= 6 * AUTH_TOKEN_BYTES_MAX + AUTH_FRAME_FIELDS_BYTES_MAX, 'an auth frame with the longest token fits the pre-authentication frame limit')
/**
 * How long a peer may take to answer the close handshake (at shutdown, for a slow reader, after a refusal)
 * before its socket is destroyed; ws alone would wait 30 s.
 */
export const CLOSE_HANDSHAKE_WAIT_MS = 2000
/**
 * At shutdown, how long requests still unanswered after the engine closed may take (a forwarded one
 * waiting on the writer, SHOW CLUSTER on NATS): past it the server closes their connections, whose
 * clients see the outcome as unknown, rather than never exiting.
 */
export const CLOSE_DRAIN_WAIT_MS = 5000
/**
 * Distinct refused origins logged; a page can retry in a loop, so each origin is logged once, and past
 * this many origins refusals are no longer logged (the log must not grow at a page's will).
 */
export const REFUSED_ORIGINS_LOGGED_MAX = 256

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  payloadBytesMax: 16 * 1024 * 1024,
  inFlightPerConnectionMax: 4096,
  inFlightTotalMax: 65_536,
  connectionsMax: 1024,
  pendingAuthConnectionsMax: 128,
  authDeadlineMs: 5000,
  replyBufferBytesPause: 8 * 1024 * 1024,
  replyBufferBytesMax: 64 * 1024 * 1024,
  replyBufferBytesHardMax: 256 * 1024 * 1024,
  replyStallMs: 10_000,
}

export interface TlsOptions {
  /** PEM certificate chain and private key (`--tls-cert`, `--tls-key`). */
  readonly cert: string | Buffer
  readonly key: string | Buffer
}

export interface ServerOptions {
  readonly db: EmbeddedDatabase
  readonly host: string
  readonly port: number
  /**
   * The admin token (`--token`, `--admin-token`): clients present it on the upgrade or in their first frame.
   * With neither token, nobody authenticates and everyone is admin.
   */
  readonly token: string | null
  /** The application token (`--app-token`): CALL, DML and reads; DDL is FORBIDDEN. */
  readonly appToken?: string | null
  /** Web origins allowed besides the server's own (`--allow-origin`), as scheme://host[:port]. */
  readonly allowedOrigins?: readonly string[]
  /** Serve wss:// and https:// instead of ws:// and http://. */
  readonly tls?: TlsOptions | null
  readonly limits: ServerLimits
  /**
   * GET /stats/history's ring: samples kept (STATS_HISTORY_SECONDS by default, at most
   * STATS_HISTORY_SAMPLES_MAX) and the time between them (1 s). Tests shrink both.
   */
  readonly statsHistory?: { readonly samplesMax?: number; readonly intervalMs?: number }
  /** One structured log event (a JSON line on stderr for `acheron serve`). */
  readonly log: (event: Record<string, unknown>) => void
  /**
   * A follower's server: every request but `auth` and `version` goes, as its text with the client's
   * role, to the writer (src/cluster/forwarding.ts), whose reply is sent on unchanged — but a read-only
   * query, which it answers itself when it can get read positions from the writer.
   */
  readonly forward?: Forwarding
}

/** Where a follower's server sends what it does not answer itself. */
export interface Forwarding {
  /**
   * The writer's reply to a request's text, run with the client's role (src/cluster/forwarding.ts);
   * `fromLog`: a call, which the writer logs with its origin, answered from the stream too.
   */
  forward(raw: string, role: Role, fromLog: boolean): Promise<string>
  /**
   * Read positions from the writer (src/cluster/follower-reads.ts), at which this node answers a
   * read-only query on its own state. Absent: such queries are forwarded too.
   */
  readonly readPositions?: ReadPositionSource
}

/**
 * How a client's script runs here: an application token's statements authorized (its DDL is FORBIDDEN),
 * completed results collected; no readFile, since the server never opens a path a client names.
 */
function scriptOptions(role: Role, completed: StatementResult[]): ExecuteOptions {
  return role === 'admin' ? { completed } : { completed, authorize: (s) => authorizeStatement(role, s) }
}

/** A request that reached a node whose writer lease lapsed (setLocalGuard), before it ran. */
/** The reply to a call that ran (CALL … WITH LOGS gives a result set with its log lines). */
function callReplyOf(r: Extract<Request, { op: 'call' }>, { value, type, commit, logs }: LoggedCallResult): string {
  if (r.logs) return okReply(r.id, [{ columns: ['result'], rows: [[value]], rowsAffected: 0, commit, logs, types: [type] }])
  return callReply(r.id, value, commit, type)
}

/** A reply forwarded between nodes is one NATS message: a larger one is refused, the same on either node. */
function boundForwardedReply(id: number, reply: string, replyBytesMax: number): string {
  if (Buffer.byteLength(reply) <= replyBytesMax) return reply
  return errorReply(id, new AcheronError('PAYLOAD_TOO_LARGE', `the reply is ${Buffer.byteLength(reply)} bytes, more than a reply forwarded from the writer may be (${replyBytesMax}, NATS max_payload); send this request to the writer`))
}

function notTheWriterReply(id: number | null): string {
  return errorReply(id, new AcheronError('INTERNAL', 'this node no longer writes the stream (its writer lease lapsed): the request did not run; retry', { retryable: true }))
}

type RefusalCode = 'UNAUTHORIZED' | 'OVERLOADED' | 'INTERNAL'
const CLOSE_CODES: Readonly<Record<RefusalCode, number>> = { UNAUTHORIZED: 1008, OVERLOADED: 1013, INTERNAL: 1011 }

/** Answers an upgrade with a plain HTTP error and drops the socket (no WebSocket is made). */
function refuseUpgrade(socket: Duplex, status: 403 | 503, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } })
  const reason = status === 403 ? 'Forbidden' : 'Service Unavailable'
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}

/**
 * ws fixes a connection's frame limit from its server's `maxPayload` and has no public setter. A connection
 * that authenticates by its first frame was accepted by the pre-auth server (PRE_AUTH_FRAME_BYTES_MAX), so
 * its receiver's limit is raised here (ws emits messages synchronously, so the very next frame sees it).
 * False when this ws keeps the limit elsewhere: the connection is then refused, never silently left at
 * 4 KiB, and test/server/access.test.ts fails.
 */
function liftFrameLimit(ws: WebSocket, bytes: number): boolean {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (receiver === undefined || receiver._maxPayload !== PRE_AUTH_FRAME_BYTES_MAX) return false
  receiver._maxPayload = bytes
  return true
}

/** A frame's payload as text (ws gives a fragmented message as its fragments). */
function frameText(data: RawData): string {
  return Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8')
}

/**
 * The WebSocket server of CONTRACT.md §4: one JSON request per text frame, many in flight per
 * connection, replies matched by id. SQL runs through the same executor as the embedded API, except
 * that the server never opens a client-supplied path (`FROM WASM FILE` is FORBIDDEN here).
 *
 * Two ws servers share the port's upgrades (docs/operations.md "Access"): connections that are
 * authenticated at the upgrade (a valid Bearer header, or no token configured) get the full frame limit;
 * the others get PRE_AUTH_FRAME_BYTES_MAX, a deadline and their own connection cap until their first frame
 * authenticates them. ws enforces `maxPayload` from the frame header, before buffering the payload.
 */
/**
 * OVERLOADED for a request past an in-flight limit, naming which limit and its number: "too many requests
 * in flight" alone left a client unable to tell its own pipelining (one connection) from the server's load
 * (all of them), which call for different remedies.
 */
function inFlightRefusal(perConnection: boolean, limits: ServerLimits): AcheronError {
  const which = perConnection
    ? `${limits.inFlightPerConnectionMax} requests are in flight on this connection (its limit): await replies before sending more`
    : `${limits.inFlightTotalMax} requests are in flight on this server (its limit over all connections)`
  return new AcheronError('OVERLOADED', `too many requests in flight: ${which}; retry later`, { retryable: true })
}

/** UNAUTHORIZED's message for an auth frame whose token is longer than AUTH_TOKEN_BYTES_MAX. */
function tokenTooLongMessage(tokenBytes: number): string {
  return `the token is ${tokenBytes} bytes, more than an auth frame may carry (AUTH_TOKEN_BYTES_MAX, ${AUTH_TOKEN_BYTES_MAX} bytes of UTF-8): no token this server accepts is that long (acheron serve refuses a longer one at start)`
}

/** SYNTAX_ERROR's message for a request whose id is in flight on its connection (docs/protocol.md, "Requests"). */
export function reusedIdMessage(id: number): string {
  return `request id ${id} is already in flight on this connection: a request may reuse an id only once the reply to it has arrived; this one was not run`
}

export class AcheronServer {
  private readonly wssOpen: WebSocketServer
  private readonly wssPending: WebSocketServer
  private readonly tokens: Tokens
  private readonly originRule: OriginRule
  private readonly sockets = new Set<WebSocket>()
  /** Origins whose refusal was logged (at most REFUSED_ORIGINS_LOGGED_MAX). */
  private readonly refusedOrigins = new Set<string>()
  private inFlightTotal = 0
  /** Authenticated connections still open (a refused one never counts). */
  private authedConnections = 0
  /** Connections still authenticating. */
  private pendingConnections = 0
  /** Live gauges for SHOW STATS and GET /stats. */
  private readonly gauges: ServerGauges
  private shuttingDown = false
  private drained: (() => void) | null = null
  /**
   * One sample of the metrics a second, for GET /stats/history (src/stats/history.ts). Runs from listen
   * to close; its timer never keeps the process alive.
   */
  readonly statsSampler: StatsSampler

  /** The database requests run on (setDatabase swaps it). */
  private db: EmbeddedDatabase

  private constructor(private readonly o: ServerOptions, private readonly http: Server) {
    this.db = o.db
    this.forward = o.forward
    this.tokens = { admin: o.token, app: o.appToken ?? null }
    this.originRule = {
      tls: o.tls != null,
      allowedOrigins: (o.allowedOrigins ?? []).map((x) => normalizeOrigin(x) ?? x),
      authRequired: authRequired(this.tokens),
    }
    this.wssOpen = new WebSocketServer({ noServer: true, maxPayload: o.limits.payloadBytesMax + FRAME_HEADROOM_BYTES })
    this.wssPending = new WebSocketServer({ noServer: true, maxPayload: PRE_AUTH_FRAME_BYTES_MAX })
    // Both: a connection that authenticates with its first frame gets the same limit after it.
    for (const wss of [this.wssOpen, this.wssPending]) {
      wss.on('headers', (headers: string[]) => { headers.push(`${PAYLOAD_BYTES_MAX_HEADER}: ${o.limits.payloadBytesMax}`) })
    }
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head))
    const self = this
    this.gauges = {
      get connections() { return self.authedConnections + self.pendingConnections },
      get requestsInFlight() { return self.inFlightTotal },
    }
    // Date.now() labels the samples and nothing else: no transaction sees it (determinism).
    const ring = new StatsHistory(o.statsHistory?.samplesMax ?? STATS_HISTORY_SECONDS, o.statsHistory?.intervalMs ?? STATS_HISTORY_INTERVAL_MS)
    this.statsSampler = new StatsSampler(ring, () => this.db.statsSample(Date.now(), this.gauges), (err) => {
      o.log({ level: 'error', msg: 'stats sample failed', error: err instanceof Error ? err.stack : String(err) })
    })
    const history = this.statsSampler.history
    http.on('request', httpConsole({
      tokens: this.tokens,
      stats: () => statsObject(this.db.statsRows(this.gauges)),
      latency: () => this.db.latencySinceOpen(),
      history: (sinceMs) => history.toJson(sinceMs),
      notReady: () => (this.shuttingDown ? 'the server is shutting down' : this.db.notReadyReason()),
      version: ACHERON_VERSION,
      log: o.log,
    }))
  }

  static listen(o: ServerOptions): Promise<AcheronServer> {
    // A token no auth frame can carry would refuse every client that presents it, each told that no token
    // this server accepts is that long: refused here, as `acheron serve` refuses it.
    for (const [name, token] of [['token', o.token], ['appToken', o.appToken ?? null]] as const) {
      const bytes = token === null ? 0 : Buffer.byteLength(token)
      if (bytes > AUTH_TOKEN_BYTES_MAX) return Promise.reject(new RangeError(`ServerOptions.${name} is ${bytes} bytes, more than a client may present (AUTH_TOKEN_BYTES_MAX, ${AUTH_TOKEN_BYTES_MAX} bytes of UTF-8): use a shorter token`))
    }
    // GET / is the browser console, GET /stats the metrics; upgrades at any path are the WebSocket protocol.
    const http = o.tls != null ? createTlsServer({ cert: o.tls.cert, key: o.tls.key }) : createServer()
    const server = new AcheronServer(o, http)
    return new Promise((resolve, reject) => {
      http.once('error', reject)
      http.listen(o.port, o.host, () => {
        server.statsSampler.start()
        resolve(server)
      })
    })
  }

  /** ws://HOST:PORT, or wss:// with TLS. */
  get url(): string {
    const a = this.http.address() as AddressInfo
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
    return `${this.o.tls != null ? 'wss' : 'ws'}://${host}:${a.port}`
  }

  /** The browser console's address: http://HOST:PORT/, or https:// with TLS. */
  get consoleUrl(): string {
    return this.url.replace(/^ws/, 'http') + '/'
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.shuttingDown) return refuseUpgrade(socket, 503, 'SHUTTING_DOWN', 'the server is shutting down; retry on another server, or on this one once it is back')
    const why = originRefusal(this.originRule, req)
    if (why !== null) {
      const origin = String(req.headers.origin)
      if (!this.refusedOrigins.has(origin) && this.refusedOrigins.size < REFUSED_ORIGINS_LOGGED_MAX) {
        this.refusedOrigins.add(origin)
        this.o.log({ level: 'warn', msg: 'origin not allowed (logged once per origin)', reason: why, host: req.headers.host, remote: req.socket.remoteAddress })
      }
      return refuseUpgrade(socket, 403, 'FORBIDDEN', why)
    }
    const bearer = authRequired(this.tokens) ? bearerRole(this.tokens, req) : 'admin'
    if (bearer === 'admin' || bearer === 'app') {
      this.wssOpen.handleUpgrade(req, socket, head, (ws) => this.connection(ws, req, bearer))
    } else {
      this.wssPending.handleUpgrade(req, socket, head, (ws) => this.connection(ws, req, bearer === null ? 'wrong token' : 'pending'))
    }
  }

  private connection(ws: WebSocket, req: IncomingMessage, state: Role | 'pending' | 'wrong token'): void {
    const { limits } = this.o
    const remote = req.socket.remoteAddress
    this.sockets.add(ws)
    ws.once('close', () => this.sockets.delete(ws))
    ws.on('error', (err) => this.o.log({ level: 'warn', msg: 'connection error', error: err.message, remote }))

    // Replies: past replyBufferBytesPause unread bytes, stop reading this connection's requests (TCP
    // backpressure reaches the client); resume when the socket drains. Past replyBufferBytesMax, close
    // if the client has stopped reading (ReadStallWatch); past replyBufferBytesHardMax, close.
    let paused = false
    let slowReaderClosed = false
    const stall = new ReadStallWatch(() => ws.bufferedAmount, limits, (unread) => closeSlowReader(unread, `read nothing for ${limits.replyStallMs} ms with more than ${limits.replyBufferBytesMax} bytes of replies unread`))
    ws.once('close', () => stall.stop())
    // The replies a batch releases to one connection leave in one write: the socket is corked at the
    // first and uncorked once the current run of callbacks is over (a batch's replies are sent from one
    // run of promise callbacks), instead of one writev system call per reply.
    let corked = false
    const uncork = (): void => {
      corked = false
      req.socket.uncork()
    }
    const send = (text: string): void => {
      if (ws.readyState !== WebSocket.OPEN) return
      const unread = ws.bufferedAmount
      if (unread >= limits.replyBufferBytesHardMax) return closeSlowReader(unread, `more than ${limits.replyBufferBytesHardMax} bytes of replies unread`)
      if (!corked) {
        corked = true
        req.socket.cork()
        process.nextTick(uncork)
      }
      ws.send(text)
      stall.sent(text)
      if (!paused && ws.bufferedAmount >= limits.replyBufferBytesPause) {
        paused = true
        ws.pause()
      }
    }
    req.socket.on('drain', () => {
      if (paused && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < limits.replyBufferBytesPause) {
        paused = false
        ws.resume()
      }
    })
    const closeSlowReader = (unread: number, why: string): void => {
      if (slowReaderClosed) return
      slowReaderClosed = true
      stall.stop()
      this.o.log({ level: 'warn', msg: 'slow reader: connection closed', code: 'OVERLOADED', why, unreadReplyBytes: unread, replyBufferBytesMax: limits.replyBufferBytesMax, replyBufferBytesHardMax: limits.replyBufferBytesHardMax, remote })
      // A close reason is at most 123 bytes.
      ws.close(CLOSE_CODES.OVERLOADED, `OVERLOADED: ${why}`.slice(0, 123))
      setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_WAIT_MS).unref()
    }
    // A refused peer that does not answer the close handshake would keep its socket (and, while
    // authenticating, its slot) for ws's 30 s close timeout: it gets CLOSE_HANDSHAKE_WAIT_MS.
    // The refused frame's id when it had one (docs/operations.md: error replies keep their id), and
    // retryable on an OVERLOADED (docs/protocol.md), as every other reply says them.
    const refuse = (code: RefusalCode, message: string, id: number | null = null): void => {
      send(errorReply(id, new AcheronError(code, message, code === 'OVERLOADED' ? { retryable: true } : {})))
      ws.close(CLOSE_CODES[code], code)
      setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_WAIT_MS).unref()
    }

    if (state === 'wrong token') return refuse('UNAUTHORIZED', 'wrong token')
    let role: Role | null = null
    const admit = (r: Role, id: number | null = null): boolean => {
      if (this.authedConnections >= limits.connectionsMax) {
        this.o.log({ level: 'warn', msg: 'connection refused', reason: `${limits.connectionsMax} connections open`, remote })
        refuse('OVERLOADED', `at most ${limits.connectionsMax} connections; retry later`, id)
        return false
      }
      this.authedConnections++
      ws.once('close', () => { this.authedConnections-- })
      role = r
      return true
    }
    let deadline: NodeJS.Timeout | null = null
    let pendingCounted = false
    const leavePending = (): void => {
      if (deadline !== null) clearTimeout(deadline)
      deadline = null
      if (pendingCounted) this.pendingConnections--
      pendingCounted = false
    }
    if (state === 'pending') {
      if (this.pendingConnections >= limits.pendingAuthConnectionsMax) {
        this.o.log({ level: 'warn', msg: 'connection refused', reason: `${limits.pendingAuthConnectionsMax} connections authenticating`, remote })
        return refuse('OVERLOADED', `at most ${limits.pendingAuthConnectionsMax} connections may be authenticating at once; retry later`)
      }
      this.pendingConnections++
      pendingCounted = true
      ws.once('close', leavePending)
      deadline = setTimeout(() => {
        deadline = null
        refuse('UNAUTHORIZED', `no authentication within ${limits.authDeadlineMs} ms: send "Authorization: Bearer T" on the upgrade or {"op":"auth","token":T} as the first frame`)
      }, limits.authDeadlineMs)
    } else if (!admit(state)) {
      return
    }
    // The ids of this connection's requests in flight: a frame reusing one is refused (REUSED_ID_MESSAGE).
    const idsInFlight = new Set<number>()

    ws.on('message', (data: RawData, isBinary: boolean) => {
      // Closing (refused, slow reader, shutdown): frames still arriving are not run, their replies could not be sent.
      if (ws.readyState !== WebSocket.OPEN) return
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength
      if (bytes > limits.payloadBytesMax) {
        if (role === null) return refuse('UNAUTHORIZED', 'authenticate first')
        const head = Buffer.isBuffer(data) ? data : Array.isArray(data) ? (data[0] ?? Buffer.alloc(0)) : Buffer.from(data as ArrayBuffer)
        // The frame is here whole (at most FRAME_HEADROOM_BYTES over): when its id is not its first field
        // (Python's json.dumps keeps a dict's order), it is parsed for it, which only a refused frame pays.
        const id = leadingRequestId(head) ?? jsonRequestId(frameText(data))
        return send(errorReply(id, new AcheronError('PAYLOAD_TOO_LARGE', `a frame is at most ${limits.payloadBytesMax} bytes, got ${bytes}`)))
      }
      let request: Request
      let text = ''
      try {
        text = frameText(data)
        // With the frame's id, as every error reply has one (a client library that sends bytes as binary
        // frames got id null, which matched none of its requests: each waited for its timeout).
        if (isBinary) throw Object.assign(new AcheronError('SYNTAX_ERROR', 'frames are JSON text, not binary: send each request as a text frame'), { requestId: jsonRequestId(text) })
        request = decodeRequest(text)
      } catch (err) {
        if (role === null) return refuse('UNAUTHORIZED', `the first frame must be {"op":"auth","token":...}${err instanceof AcheronError ? `: ${err.message}` : ''}`, requestIdOf(err))
        return send(errorReply(requestIdOf(err), err))
      }
      if (request.op === 'auth') {
        if (role === null) {
          const tokenBytes = Buffer.byteLength(request.token)
          if (tokenBytes > AUTH_TOKEN_BYTES_MAX) return refuse('UNAUTHORIZED', tokenTooLongMessage(tokenBytes), request.id)
          const r = roleOf(this.tokens, request.token)
          // The SDK authenticates with an empty token when given none: "wrong token" misled there.
          if (r === null) return refuse('UNAUTHORIZED', request.token === '' ? 'no token was given, and this server asks for one' : 'wrong token', request.id)
          leavePending()
          if (!admit(r, request.id)) return
          if (!liftFrameLimit(ws, limits.payloadBytesMax + FRAME_HEADROOM_BYTES)) {
            this.o.log({ level: 'error', msg: 'cannot raise the frame limit after first-frame authentication (ws internals changed)' })
            return refuse('INTERNAL', 'this server cannot lift the pre-authentication frame limit; authenticate with an Authorization header', request.id)
          }
        } else if (authRequired(this.tokens)) {
          // Authenticated already: a connection's role is fixed, so another token is no "ok" (a client that
          // re-authenticated with the admin token was told ok, and still had the application's role).
          const again = roleOf(this.tokens, request.token)
          if (again === null) return send(errorReply(request.id, new AcheronError('UNAUTHORIZED', `wrong token (this connection stays authenticated with the ${role === 'admin' ? 'admin' : 'application'} token)`)))
          if (again !== role) {
            return send(errorReply(request.id, new AcheronError('FORBIDDEN', `this connection authenticated with the ${role === 'admin' ? 'admin' : 'application'} token, and a connection's role does not change: open another connection with the ${again === 'admin' ? 'admin' : 'application'} token`)))
          }
        }
        if (request.id !== null) send(okReply(request.id, []))
        return
      }
      if (role === null) return refuse('UNAUTHORIZED', 'the first frame must be {"op":"auth","token":...}', request.id)
      if (this.shuttingDown) return send(errorReply(request.id, new AcheronError('SHUTTING_DOWN', 'the server is shutting down; retry on another server, or on this one once it is back', { retryable: true })))
      const id = request.id
      // Ran, it would be a second transaction answered with the first one's id: the client, matching
      // replies by id, would take one reply for the other and never see the rest.
      if (idsInFlight.has(id)) return send(errorReply(id, new AcheronError('SYNTAX_ERROR', reusedIdMessage(id))))
      if (idsInFlight.size >= limits.inFlightPerConnectionMax || this.inFlightTotal >= limits.inFlightTotalMax) {
        return send(errorReply(id, inFlightRefusal(idsInFlight.size >= limits.inFlightPerConnectionMax, limits)))
      }
      // A writer that may have lost its role (its lease) finds out before it runs anything itself: the
      // guard then switches this server to forwarding at once (or, failing that, the request is refused).
      if (this.forward === undefined && request.op !== 'version' && this.localGuard?.() === false && this.forward === undefined) {
        return send(notTheWriterReply(request.id))
      }
      idsInFlight.add(id)
      this.inFlightTotal++
      const forward = this.forward
      const replied = forward !== undefined && request.op !== 'version'
        ? this.handleFollowing(request, text, role, forward)
        : this.handle(request, role)
      // The id is free again only once its reply is on its way, so a refusal for it always comes first.
      void replied.then(send).finally(() => {
        idsInFlight.delete(id)
        this.inFlightTotal--
        if (this.inFlightTotal === 0) this.drained?.()
      })
    })
  }

  /**
   * The writer's side of forwarding: a follower's client request, by its text and the role the follower
   * authenticated. A reply above `replyBytesMax` (what one NATS message carries) is refused instead.
   */
  async handleForwarded(raw: string, role: Role, replyBytesMax: number, origin?: CallOrigin): Promise<string> {
    let request: Request
    try {
      request = decodeRequest(raw)
    } catch (err) {
      return errorReply(requestIdOf(err), err)
    }
    if (request.op === 'auth') return errorReply(request.id, new AcheronError('SYNTAX_ERROR', 'a forwarded request is authenticated already'))
    if (this.localGuard?.() === false) {
      return notTheWriterReply(request.id)
    }
    return boundForwardedReply(request.id, await this.handle(request, role, origin), replyBytesMax)
  }

  /**
   * A follower's reply to a call it forwarded, made from the call's outcome in a batch it applied (the
   * call's origin named this node: src/cluster/forwarding.ts): the reply the writer sends for it, bounded
   * as the writer bounds it. Null when `raw` is not a call.
   */
  replyFromOutcome(raw: string, outcome: TxnOutcome, replyBytesMax: number): string | null {
    let request: Request
    try {
      request = decodeRequest(raw)
    } catch {
      return null
    }
    if (request.op !== 'call') return null
    let reply: string
    try {
      reply = callReplyOf(request, callResultOf(outcome, request.logs))
    } catch (err) {
      reply = this.failureReply(request.id, err, [])
    }
    return boundForwardedReply(request.id, reply, replyBytesMax)
  }

  private forward: Forwarding | undefined = undefined

  /**
   * The writer's side of follower reads: positions for `count` reads a follower answers on its own
   * state (src/cluster/follower-reads.ts), reserved in the engine. Null when this node may not answer
   * as the writer (its lease may have lapsed, or it follows).
   */
  reserveReadPositions(count: number, batch?: number): CommitPosition | null {
    if (this.forward !== undefined || this.localGuard?.() === false) return null
    return this.db.reserveReadPositions(count, batch)
  }

  /** A follower's request: a read-only query answered here when it can be, anything else forwarded. */
  private async handleFollowing(request: Exclude<Request, { op: 'auth' }>, text: string, role: Role, forward: Forwarding): Promise<string> {
    // SHOW CLUSTER reads the cluster's bucket, which any node can: also while no node writes.
    if (request.op === 'sql' && this.clusterView !== null && isShowCluster(request.sql)) return this.handle(request, role)
    if (request.op === 'sql' && forward.readPositions !== undefined) {
      const here = await this.readHere(request, role, forward.readPositions)
      if (here !== null) return here
    }
    return forward.forward(text, role, request.op === 'call').catch((err: unknown) => errorReply(request.id, err))
  }

  /**
   * A single read-only query, answered on this follower's state at a position the writer gives
   * (src/cluster/follower-reads.ts): the reply the writer would have sent. Null when the request is
   * anything else: nothing of it ran, and it goes to the writer.
   */
  private async readHere(r: Extract<Request, { op: 'sql' }>, role: Role, positions: ReadPositionSource): Promise<string | null> {
    try {
      if (!mayReadLocally(parseScriptCached(r.sql))) return null
    } catch {
      return null
    }
    const completed: Awaited<ReturnType<typeof executeScript>> = []
    try {
      return okReply(r.id, await this.db.followerRead(r.sql, r.params, scriptOptions(role, completed), positions))
    } catch (err) {
      if (err instanceof NeedsWriter) return null
      return this.failureReply(r.id, err, completed)
    }
  }

  /** The error reply to a request that failed, with the results of a script's statements before the failure; a bug is logged. */
  private failureReply(id: number, err: unknown, completed: Awaited<ReturnType<typeof executeScript>>): string {
    if (!(err instanceof AcheronError)) this.o.log({ level: 'error', msg: 'request failed', id, error: err instanceof Error ? err.stack : String(err) })
    // The server closes its database (a stop, a node changing role), never a client: to the client that
    // is the server going away, retryable, as the engine says while it closes.
    const said = err instanceof AcheronError && err.code === 'DATABASE_CLOSED' ? new AcheronError('SHUTTING_DOWN', 'the engine is shutting down', { retryable: true }) : err
    // A script's statements before the failure stay committed: their results go with the error.
    return errorReply(id, said, completed)
  }

  /** True once `close` began. */
  get isShuttingDown(): boolean {
    return this.shuttingDown
  }

  /** Starts or stops forwarding requests to a writer (a follower that took over runs them itself). */
  setForward(forward: Forwarding | null): void {
    this.forward = forward ?? undefined
  }

  private localGuard: (() => boolean) | null = null

  private clusterView: ClusterView | null = null

  /** Answers SHOW CLUSTER from `view` (a cluster's node), whatever this node's role. */
  setClusterView(view: ClusterView | null): void {
    this.clusterView = view
  }

  /** The database served now (a node that changes role serves another one after the change). */
  get database(): EmbeddedDatabase {
    return this.db
  }

  /** True while this server sends what it does not answer itself to a writer (it follows). */
  get isForwarding(): boolean {
    return this.forward !== undefined
  }

  /**
   * Asked before this server runs a request itself while it does not forward: false when this node
   * may no longer run it (a writer whose lease may have lapsed), after switching the server to
   * forwarding (setForward) for a client's request; a forwarded one is refused, retryably.
   */
  setLocalGuard(guard: (() => boolean) | null): void {
    this.localGuard = guard
  }

  /**
   * Serves `db` from now on, in place of the database it served (which the caller closes): a node that
   * lost its writer lease reopens its directory as a follower (src/cluster/failover.ts). Requests that
   * began on the old one finish there.
   */
  setDatabase(db: EmbeddedDatabase): void {
    this.db = db
  }

  /** `origin`: a follower forwarded the request (a call logs it: src/cluster/forwarding.ts). */
  private async handle(r: Exclude<Request, { op: 'auth' }>, role: Role, origin?: CallOrigin): Promise<string> {
    const db = this.db
    /** A script's results so far (ExecuteOptions.completed). */
    const completed: Awaited<ReturnType<typeof executeScript>> = []
    try {
      if (r.op === 'version') return serverReply(r.id, { name: 'acheron', version: ACHERON_VERSION })
      if (r.op === 'call') return callReplyOf(r, await db.typedCall(r.fn, r.key, r.args, r.logs, origin))
      return okReply(r.id, await executeScript(db.sqlTarget(this.gauges, this.clusterView ?? undefined), r.sql, r.params, scriptOptions(role, completed)))
    } catch (err) {
      return this.failureReply(r.id, err, completed)
    }
  }

  /**
   * Graceful stop: refuse new connections and requests (SHUTTING_DOWN), let the engine finish and make
   * durable everything it accepted, send those replies (waiting CLOSE_DRAIN_WAIT_MS at most for requests
   * that wait on something else than the engine), then close the connections; a peer that does not
   * answer the close handshake within CLOSE_HANDSHAKE_WAIT_MS has its socket destroyed.
   */
  async close(): Promise<void> {
    this.shuttingDown = true
    this.statsSampler.stop()
    this.http.close()
    // A database whose close failed (its last checkpoint, its batch log) is closed all the same: the
    // connections are still closed as at any stop, then the failure is thrown. close() rejected at once,
    // leaving every client connected to a server that no longer served, until the process ended under them.
    const [dbClosed] = await Promise.allSettled([this.db.close()])
    if (this.inFlightTotal > 0) {
      let timer: NodeJS.Timeout | undefined
      const drained = await Promise.race([
        new Promise<'drained'>((resolve) => { this.drained = () => resolve('drained') }),
        new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), CLOSE_DRAIN_WAIT_MS) }),
      ])
      clearTimeout(timer)
      if (drained === 'timeout') this.o.log({ level: 'warn', msg: 'requests unanswered at shutdown; closing their connections', requests: this.inFlightTotal, waitedMs: CLOSE_DRAIN_WAIT_MS })
    }
    const closing = [...this.sockets].map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve()
      ws.once('close', () => resolve())
      ws.close(1001, 'server shutting down')
    }))
    let timer: NodeJS.Timeout | undefined
    const waited = await Promise.race([
      Promise.all(closing).then(() => 'closed' as const),
      new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), CLOSE_HANDSHAKE_WAIT_MS) }),
    ])
    clearTimeout(timer)
    if (waited === 'timeout') {
      this.o.log({ level: 'warn', msg: 'close handshake unanswered; destroying sockets', connections: this.sockets.size, waitedMs: CLOSE_HANDSHAKE_WAIT_MS })
      for (const ws of this.sockets) ws.terminate()
    }
    await Promise.all([
      new Promise<void>((resolve) => this.wssOpen.close(() => resolve())),
      new Promise<void>((resolve) => this.wssPending.close(() => resolve())),
    ])
    if (dbClosed.status === 'rejected') throw dbClosed.reason
  }
}
