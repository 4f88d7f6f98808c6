// connect()'s URL and options, checked before the first connection attempt. A mistake in them is the
// caller's: TYPE_MISMATCH naming the option, at once. Unchecked, an invalid URL was tried attemptsMax
// times and reported as a retryable "cannot connect", and a timeout past setTimeout's range fired after
// 1 ms (Node clamps it), rejecting every request, already sent, as outcome unknown.
import { AcheronError } from '../errors.js'
import { checkOptionNames } from '../option-names.js'
import { TIMER_MS_MAX } from '../timer-limits.js'
import type { RemoteConnectOptions } from './remote.js'


/** connect()'s options: `satisfies` makes the compiler hold this list to RemoteConnectOptions, no more, no less. */
const CONNECT_OPTION_NAMES = Object.keys({
  token: 0, requestTimeoutMs: 0, reconnect: 0, connectTimeoutMs: 0, readFile: 0, ca: 0, rejectUnauthorized: 0,
} satisfies Record<keyof RemoteConnectOptions, 0>)

/**
 * The schemes docs/client.md names: ws:// and wss://. ws itself also takes http(s):// for the same, and so
 * connect() did, though neither the docs nor the console (normalizeUrl) do: http:// is the address of the
 * browser console on the same port, which a user copies from the browser. Refused, with the URL to use.
 */
const SCHEMES: ReadonlySet<string> = new Set(['ws:', 'wss:'])
const WEB_SCHEMES: Readonly<Record<string, string>> = { 'http:': 'ws:', 'https:': 'wss:' }

function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

export function checkConnectUrl(url: unknown): void {
  let scheme: string | null = null
  let hash = ''
  if (typeof url === 'string') {
    try {
      const parsed = new URL(url)
      scheme = parsed.protocol
      hash = parsed.hash
    } catch {
      // Not a URL: said below.
    }
  }
  // ws refuses a fragment ("The URL contains a fragment identifier"): that was tried attemptsMax times and
  // rejected as a retryable INTERNAL "cannot connect", as every invalid URL was.
  if (hash !== '') {
    throw new AcheronError('TYPE_MISMATCH', `connect() url is ws://HOST:PORT or wss://HOST:PORT, without a #fragment (a WebSocket URL has none), got ${shown(url)}`)
  }
  if (scheme === null || !SCHEMES.has(scheme)) {
    const web = scheme === null ? undefined : WEB_SCHEMES[scheme]
    const hint = web === undefined || scheme === null || typeof url !== 'string'
      ? ''
      : ` (${scheme}// is the browser console's address; the protocol's on the same port is ${web}${url.slice(scheme.length)})`
    throw new AcheronError('TYPE_MISMATCH', `connect() url is ws://HOST:PORT or wss://HOST:PORT, got ${shown(url)}${hint}`)
  }
}

/** A duration in ms: 0 up to what a timer can wait. */
function checkMs(what: string, v: unknown): void {
  if (v === undefined) return
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > TIMER_MS_MAX) {
    throw new AcheronError('TYPE_MISMATCH', `connect() ${what} is a number of ms from 0 to ${TIMER_MS_MAX}, got ${shown(v)}`)
  }
}

/**
 * `ca` is PEM text (or its bytes), one or several. A file's path in its place, an easy slip, went to TLS as
 * is and failed later as an untrusted certificate, saying nothing of the option.
 */
function checkCa(ca: unknown): void {
  if (ca === undefined) return
  for (const one of Array.isArray(ca) ? ca : [ca]) {
    const text = typeof one === 'string' ? one : Buffer.isBuffer(one) || one instanceof Uint8Array ? Buffer.from(one).toString('latin1') : null
    if (text === null || !text.includes('-----BEGIN ')) {
      throw new AcheronError('TYPE_MISMATCH', `connect() ca is the PEM text of a certificate (-----BEGIN CERTIFICATE-----), not ${
        typeof one === 'string' ? `${JSON.stringify(one.slice(0, 80))}: to use a file, pass readFileSync(path)` : String(one)}`)
    }
  }
}

export function checkConnectOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new AcheronError('TYPE_MISMATCH', `connect() options is an object, got ${shown(options)}`)
  }
  checkOptionNames('connect()', options, CONNECT_OPTION_NAMES)
  const o = options as Record<string, unknown>
  if (o.token !== undefined && typeof o.token !== 'string') {
    throw new AcheronError('TYPE_MISMATCH', `connect() token is a string, got ${typeof o.token}`)
  }
  checkCa(o.ca)
  checkMs('requestTimeoutMs', o.requestTimeoutMs)
  checkMs('connectTimeoutMs', o.connectTimeoutMs)
  if (o.reconnect === undefined) return
  if (typeof o.reconnect !== 'object' || o.reconnect === null) {
    throw new AcheronError('TYPE_MISMATCH', `connect() reconnect is { attemptsMax, delayMs }, got ${shown(o.reconnect)}`)
  }
  checkOptionNames('connect() reconnect', o.reconnect, ['attemptsMax', 'delayMs'])
  const r = o.reconnect as Record<string, unknown>
  // 0 made one attempt all the same: every (re)connect makes one.
  if (r.attemptsMax !== undefined && (typeof r.attemptsMax !== 'number' || !Number.isSafeInteger(r.attemptsMax) || r.attemptsMax < 1)) {
    throw new AcheronError('TYPE_MISMATCH', `connect() reconnect.attemptsMax is a whole number of attempts, at least 1 (each connect and reconnect makes one), got ${shown(r.attemptsMax)}`)
  }
  checkMs('reconnect.delayMs', r.delayMs)
}
