import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import type { EmbeddedDatabase } from '../embedded.js'
import { AcheronError } from '../errors.js'
import { executeScript } from '../sql/execute.js'
import { statsObject, type ServerGauges } from '../stats/metrics.js'
import { sameToken } from './auth.js'
import { httpConsole } from './http-console.js'
import { decodeRequest, errorReply, okReply, requestIdOf, type Request } from './wire.js'

export interface ServerLimits {
  /**
   * Largest frame answered normally; a larger one gets PAYLOAD_TOO_LARGE and the connection stays open.
   * Beyond this plus FRAME_HEADROOM_BYTES, ws closes the connection (1009) without buffering the rest.
   */
  readonly payloadBytesMax: number
  /** Requests in flight on one connection / on the whole server; beyond them, OVERLOADED. */
  readonly inFlightPerConnectionMax: number
  readonly inFlightTotalMax: number
  /** Open connections; one more is answered OVERLOADED and closed (1013). */
  readonly connectionsMax: number
}

/** How far past `payloadBytesMax` a frame is still read, so that it can be answered with an error. */
export const FRAME_HEADROOM_BYTES = 1024 * 1024

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  payloadBytesMax: 16 * 1024 * 1024,
  inFlightPerConnectionMax: 4096,
  inFlightTotalMax: 65_536,
  connectionsMax: 1024,
}

export interface ServerOptions {
  readonly db: EmbeddedDatabase
  readonly host: string
  readonly port: number
  /** Clients must present this token (upgrade header or first frame); null: no authentication. */
  readonly token: string | null
  readonly limits: ServerLimits
  /** One structured log event (a JSON line on stderr for `acheron serve`). */
  readonly log: (event: Record<string, unknown>) => void
}

/**
 * The WebSocket server of CONTRACT.md §4: one JSON request per text frame, many in flight per
 * connection, replies matched by id. SQL runs through the same executor as the embedded API, except
 * that the server never opens a client-supplied path (`FROM WASM FILE` is FORBIDDEN here).
 */
export class AcheronServer {
  private readonly wss: WebSocketServer
  private inFlightTotal = 0
  /** Accepted connections still open (a refused one never counts). */
  private connections = 0
  /** Live gauges for SHOW STATS and GET /stats. */
  private readonly gauges: ServerGauges
  private shuttingDown = false
  private drained: (() => void) | null = null

  private constructor(private readonly o: ServerOptions, private readonly http: Server) {
    this.wss = new WebSocketServer({ server: http, maxPayload: o.limits.payloadBytesMax + FRAME_HEADROOM_BYTES })
    this.wss.on('connection', (ws, req) => this.connection(ws, req))
    const self = this
    this.gauges = {
      get connections() { return self.connections },
      get requestsInFlight() { return self.inFlightTotal },
    }
    http.on('request', httpConsole({ token: o.token, stats: () => statsObject(o.db.statsRows(this.gauges)), log: o.log }))
  }

  static listen(o: ServerOptions): Promise<AcheronServer> {
    // GET / is the browser console, GET /stats the metrics; upgrades at any path are the WebSocket protocol.
    const http = createServer()
    const server = new AcheronServer(o, http)
    return new Promise((resolve, reject) => {
      http.once('error', reject)
      http.listen(o.port, o.host, () => resolve(server))
    })
  }

  get url(): string {
    const a = this.http.address() as AddressInfo
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
    return `ws://${host}:${a.port}`
  }

  private connection(ws: WebSocket, req: IncomingMessage): void {
    const { token, limits } = this.o
    const send = (text: string) => { if (ws.readyState === WebSocket.OPEN) ws.send(text) }
    const refuse = (code: 'UNAUTHORIZED' | 'OVERLOADED', message: string) => {
      send(errorReply(null, new AcheronError(code, message)))
      ws.close(code === 'UNAUTHORIZED' ? 1008 : 1013, code)
    }
    if (this.connections >= limits.connectionsMax) {
      this.o.log({ level: 'warn', msg: 'connection refused', reason: `${limits.connectionsMax} connections open`, remote: req.socket.remoteAddress })
      return refuse('OVERLOADED', `at most ${limits.connectionsMax} connections; retry later`)
    }
    this.connections++
    ws.once('close', () => { this.connections-- })
    const header = req.headers.authorization
    let authed = token === null || (header !== undefined && sameToken(header, `Bearer ${token}`))
    if (!authed && header !== undefined) return refuse('UNAUTHORIZED', 'wrong token')
    let inFlight = 0

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength
      if (bytes > limits.payloadBytesMax) {
        if (!authed) return refuse('UNAUTHORIZED', 'authenticate first')
        return send(errorReply(null, new AcheronError('PAYLOAD_TOO_LARGE', `a frame is at most ${limits.payloadBytesMax} bytes, got ${bytes}`)))
      }
      let request: Request
      try {
        if (isBinary) throw new AcheronError('SYNTAX_ERROR', 'frames are JSON text, not binary')
        request = decodeRequest(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'))
      } catch (err) {
        if (!authed) return refuse('UNAUTHORIZED', 'the first frame must be {"op":"auth","token":...}')
        return send(errorReply(requestIdOf(err), err))
      }
      if (request.op === 'auth') {
        if (!authed && (token === null || !sameToken(request.token, token))) return refuse('UNAUTHORIZED', 'wrong token')
        authed = true
        if (request.id !== null) send(okReply(request.id, []))
        return
      }
      if (!authed) return refuse('UNAUTHORIZED', 'the first frame must be {"op":"auth","token":...}')
      if (this.shuttingDown) return send(errorReply(request.id, new AcheronError('SHUTTING_DOWN', 'the server is shutting down; retry on another', { retryable: true })))
      if (inFlight >= limits.inFlightPerConnectionMax || this.inFlightTotal >= limits.inFlightTotalMax) {
        return send(errorReply(request.id, new AcheronError('OVERLOADED', 'too many requests in flight; retry later', { retryable: true })))
      }
      inFlight++
      this.inFlightTotal++
      void this.handle(request).then(send).finally(() => {
        inFlight--
        this.inFlightTotal--
        if (this.inFlightTotal === 0) this.drained?.()
      })
    })
    ws.on('error', (err) => this.o.log({ level: 'warn', msg: 'connection error', error: err.message }))
  }

  private async handle(r: Exclude<Request, { op: 'auth' }>): Promise<string> {
    const db = this.o.db
    try {
      if (r.op === 'call') {
        const { value, commit } = await db.call(r.fn, r.key, ...r.args)
        return okReply(r.id, [{ columns: ['result'], rows: [[value]], rowsAffected: 0, commit }])
      }
      // No readFile: the server never opens a path a client names.
      return okReply(r.id, await executeScript(db.sqlTarget(this.gauges), r.sql, r.params, {}))
    } catch (err) {
      if (!(err instanceof AcheronError)) this.o.log({ level: 'error', msg: 'request failed', id: r.id, error: err instanceof Error ? err.stack : String(err) })
      return errorReply(r.id, err)
    }
  }

  /**
   * Graceful stop: refuse new connections and requests (SHUTTING_DOWN), let the engine finish and make
   * durable everything it accepted, send those replies, then close the connections.
   */
  async close(): Promise<void> {
    this.shuttingDown = true
    this.http.close()
    await this.o.db.close()
    if (this.inFlightTotal > 0) await new Promise<void>((resolve) => { this.drained = resolve })
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down')
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }
}
