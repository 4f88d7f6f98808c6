// The plain-HTTP side of `acheron serve`, next to the WebSocket upgrades on the same port: the browser
// console (static files from static/console, docs/console-browser.md); GET /stats, the metrics of
// SHOW STATS as one JSON object, GET /stats/history, the last minutes of them sampled once a second
// (src/stats/history.ts), and GET /metrics, the same metrics for Prometheus (src/stats/prometheus.ts);
// and the probes GET /healthz and GET /readyz. The page and the probes hold no data, so they are served
// without a token; the metrics ask for the token when one is configured (`Authorization: Bearer T` or
// `?token=T`).
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HistoryJson } from '../stats/history.js'
import type { LatencyTotals } from '../stats/metrics.js'
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../stats/prometheus.js'
import { authRequired, bearerToken, roleOf, type Tokens } from './access.js'

/** The page's hand-written files, resolved from dist/src/server/ (tsc does not copy them; package.json ships static/). */
export const CONSOLE_DIR = new URL('../../../static/console/', import.meta.url)
/** The page's script, bundled from static/console/src by scripts/build-console.js (package.json ships dist/console). */
export const CONSOLE_BUNDLE_DIR = new URL('../../console/', import.meta.url)

const STATIC_FILES: ReadonlyMap<string, { dir: URL; file: string; type: string }> = new Map([
  ['/', { dir: CONSOLE_DIR, file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/index.html', { dir: CONSOLE_DIR, file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/console.css', { dir: CONSOLE_DIR, file: 'console.css', type: 'text/css; charset=utf-8' }],
  ['/console.js', { dir: CONSOLE_BUNDLE_DIR, file: 'console.js', type: 'text/javascript; charset=utf-8' }],
  ['/console.js.map', { dir: CONSOLE_BUNDLE_DIR, file: 'console.js.map', type: 'application/json; charset=utf-8' }],
])

/**
 * Only this origin's own script and style, no inline code, no framing; fetch and WebSocket only back to
 * this origin ('self' covers ws:// on the same host and port in CSP Level 3).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ')

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
}

export interface HttpConsoleOptions {
  /** Neither token: /stats is open to anyone who can reach the port; otherwise either token reads it. */
  readonly tokens: Tokens
  /** The metrics as of now: name → value (the rows of SHOW STATS). */
  readonly stats: () => Record<string, number>
  /** The latency of every transaction since open (GET /metrics's histogram). */
  readonly latency: () => LatencyTotals
  /** The sampled history, the samples newer than `sinceMs` (unix ms) or all of them. */
  readonly history: (sinceMs: number | null) => HistoryJson
  /** Why this server cannot serve requests now (GET /readyz answers 503 with it), or null when it can. */
  readonly notReady: () => string | null
  /** The server's software version (GET /metrics's acheron_info). */
  readonly version: string
  readonly log: (event: Record<string, unknown>) => void
}

/** `?since=` of /stats/history: unix milliseconds, digits only, within Number's exact integers. */
const SINCE_PATTERN = /^[0-9]{1,15}$/

function presentedToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization
  if (header !== undefined) return bearerToken(header) ?? ''
  return url.searchParams.get('token')
}

/** The request listener for every non-upgrade request. */
export function httpConsole(o: HttpConsoleOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const files = new Map<string, Buffer>()
  const load = (dir: URL, file: string): Buffer => {
    const url = new URL(file, dir)
    let bytes = files.get(url.href)
    if (bytes === undefined) {
      bytes = readFileSync(url)
      files.set(url.href, bytes)
    }
    return bytes
  }

  return (req, res) => {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const sendError = (status: number, code: string, message: string, extra: Record<string, string> = {}): void =>
      send(status, 'application/json; charset=utf-8', JSON.stringify({ error: { code, message } }), extra)

    const text = (status: number, message: string, extra: Record<string, string> = {}): void => send(status, 'text/plain; charset=utf-8', message + '\n', extra)

    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Only GET and HEAD here; SQL goes over WebSocket (docs/protocol.md).', { allow: 'GET, HEAD' })
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      return text(400, 'Bad request target.')
    }
    // Probes for load balancers and orchestrators: they carry no token and reveal no data. /healthz: the
    // process answers HTTP (liveness); /readyz: it serves requests (readiness), else 503 and why.
    if (url.pathname === '/healthz') return text(200, 'ok')
    if (url.pathname === '/readyz') {
      const why = o.notReady()
      return why === null ? text(200, 'ready') : text(503, `not ready: ${why}`)
    }
    if (url.pathname === '/stats' || url.pathname === '/stats/history' || url.pathname === '/metrics') {
      if (authRequired(o.tokens)) {
        const t = presentedToken(req, url)
        if (t === null || roleOf(o.tokens, t) === null) {
          // As the WebSocket says it: a wrong token is "wrong token", not a hint to send one.
          const why = t === null ? 'send the token as "Authorization: Bearer T" or ?token=T' : 'wrong token'
          return sendError(401, 'UNAUTHORIZED', why, { 'www-authenticate': 'Bearer' })
        }
      }
      if (url.pathname === '/stats') return send(200, 'application/json; charset=utf-8', JSON.stringify(o.stats()))
      if (url.pathname === '/metrics') return send(200, PROMETHEUS_CONTENT_TYPE, prometheusText(o.stats(), o.version, o.latency()))
      const since = url.searchParams.get('since')
      if (since !== null && !SINCE_PATTERN.test(since)) return text(400, 'since is a time in unix milliseconds: up to 15 digits.')
      return send(200, 'application/json; charset=utf-8', JSON.stringify(o.history(since === null ? null : Number(since))))
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, COMMON_HEADERS)
      return void res.end()
    }
    const entry = STATIC_FILES.get(url.pathname)
    if (entry === undefined) return text(404, 'Not found. The console is at /, the metrics at /stats, /stats/history and /metrics (Prometheus), the probes at /healthz and /readyz; Acheron speaks WebSocket at / (docs/protocol.md).')
    let body: Buffer
    try {
      body = load(entry.dir, entry.file)
    } catch (err) {
      o.log({ level: 'error', msg: 'console file missing', file: entry.file, error: err instanceof Error ? err.message : String(err) })
      return sendError(500, 'INTERNAL', `the console's ${entry.file} is missing from this installation`)
    }
    return send(200, entry.type, body)
  }
}
