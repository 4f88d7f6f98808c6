// Who may talk to `acheron serve`, and what each may do (docs/operations.md "Access"): the two token
// roles, the statements the application role may run, and the Origin rule that keeps a web page of another
// site from using a browser as a client (cross-site WebSocket hijacking).
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { AcheronError } from '../errors.js'
import { statementName, type Statement } from '../sql/ast.js'
import { sameToken } from './auth.js'

/** admin: everything; app: CALL, DML and reads, no DDL. A server without tokens treats everyone as admin. */
export type Role = 'admin' | 'app'

export interface Tokens {
  readonly admin: string | null
  readonly app: string | null
}

export const NO_TOKENS: Tokens = { admin: null, app: null }

export function authRequired(t: Tokens): boolean {
  return t.admin !== null || t.app !== null
}

/** The role a presented token grants, or null for a wrong one. Both comparisons always run (constant time). */
export function roleOf(t: Tokens, presented: string): Role | null {
  const admin = t.admin !== null && sameToken(presented, t.admin)
  const app = t.app !== null && sameToken(presented, t.app)
  return admin ? 'admin' : app ? 'app' : null
}

/**
 * The token of an `Authorization: Bearer T` header, or null for another scheme. The scheme's name is
 * case-insensitive and may be followed by several spaces (RFC 7235, 2.1): `bearer T`, as some HTTP
 * clients write it, was "wrong token" with the right token.
 */
export function bearerToken(header: string): string | null {
  const bearer = /^bearer +/i.exec(header)
  return bearer !== null ? header.slice(bearer[0].length) : null
}

/** The role of an upgrade's `Authorization: Bearer T` header: a role, 'absent', or null for a wrong one. */
export function bearerRole(t: Tokens, req: IncomingMessage): Role | 'absent' | null {
  const header = req.headers.authorization
  if (header === undefined) return 'absent'
  const token = bearerToken(header)
  return token !== null ? roleOf(t, token) : null
}

/**
 * What the application role may run: calls, DML and reads. Anything else (CREATE/DROP TABLE, CREATE/DROP
 * FUNCTION, and any statement kind added later until it is listed here) needs the admin token.
 */
export const APP_ROLE_STATEMENTS: ReadonlySet<string> = new Set<Statement['kind']>([
  'call', 'explain-call', 'explain-commit', 'insert', 'update', 'delete', 'select', 'show-tables', 'show-functions', 'show-indexes', 'describe', 'show-stats', 'begin', 'commit',
])


/** FORBIDDEN, at the statement's position, for a statement the role may not run. */
export function authorizeStatement(role: Role, s: Statement): void {
  if (role === 'admin' || APP_ROLE_STATEMENTS.has(s.kind)) return
  const name = statementName(s.kind)
  throw new AcheronError('FORBIDDEN', `${name} needs the admin token; this connection authenticated with the application token`,
    { line: s.pos.line, column: s.pos.column, statement: s.index })
}

/** Host names that are this machine for certain: a page under such a host is not a rebound foreign name. */
function isLoopbackOrLiteral(hostname: string): boolean {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return h === 'localhost' || isIP(h) !== 0
}

export interface OriginRule {
  /** https/wss (TLS) or http/ws. */
  readonly tls: boolean
  /** Extra origins allowed to connect (`--allow-origin`), as `scheme://host[:port]`. */
  readonly allowedOrigins: readonly string[]
  /** Without tokens, a page's own origin counts only under an IP literal or `localhost` (DNS rebinding). */
  readonly authRequired: boolean
}

/** Normalises an origin (`http://Host:80` → `http://host`), or null when it is not one. */
export function normalizeOrigin(origin: string): string | null {
  try {
    const u = new URL(origin)
    if (u.origin === 'null') return null
    return u.origin
  } catch {
    return null
  }
}

/**
 * Why an upgrade must be refused, or null to accept it. No Origin header: not a browser (SDK, console,
 * any program; a page cannot omit it), accepted. Otherwise the Origin must be the server's own (the
 * scheme of this listener, and the request's Host) or one of `allowedOrigins`.
 */
export function originRefusal(rule: OriginRule, req: IncomingMessage): string | null {
  const origin = req.headers.origin
  if (origin === undefined) return null
  const o = normalizeOrigin(origin)
  if (o !== null && rule.allowedOrigins.includes(o)) return null
  const host = req.headers.host
  const own = host === undefined ? null : normalizeOrigin(`${rule.tls ? 'https' : 'http'}://${host}`)
  if (o !== null && own !== null && o === own) {
    // A server without tokens is reachable only on this machine; a foreign name that resolves here
    // (DNS rebinding) must not make a foreign page "same-origin".
    if (rule.authRequired || isLoopbackOrLiteral(new URL(own).hostname)) return null
    return `origin ${origin} is not allowed: without a token only pages under localhost or an IP address (or --allow-origin) may connect`
  }
  return `origin ${origin} is not allowed: only this server's own pages (${own ?? 'no Host header'}) and --allow-origin origins may connect`
}
