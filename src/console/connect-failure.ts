// How the console says that it cannot reach the server: at start (one line, then exit or "will try
// again") and for a statement of the REPL when the server went away meanwhile, in the same words.
import type { AcheronError } from '../errors.js'

/**
 * A failed connection, said as psql says it: the URL, the reason in words, and what to check (it was
 * `ERROR INTERNAL: cannot connect ... ECONNREFUSED`). With --json the error object stays as it is.
 */
export function connectionFailureText(url: string, err: AcheronError): string | null {
  const reason = connectionFailureReason(url, err)
  return reason === null ? null : `acheron console: ${reason}`
}

/** The words of connectionFailureText without the program's name: what the REPL says under ERROR. */
export function connectionFailureReason(url: string, err: AcheronError): string | null {
  if (!err.message.startsWith('cannot connect to')) return null
  const said = err.message.replace(/^cannot connect to \S+:?\s*/, '').trim()
  const other = (scheme: string): string => url.replace(/^wss?:/, scheme)
  // TLS: the server runs there, and something else needs changing (these said "Is acheron serve running there?").
  if (/does not match certificate/.test(said)) {
    return `cannot connect to ${url}: the server's certificate is not for this host (${said}). Connect with a name or address the certificate lists`
  }
  if (/certificate|CERT_|unable to get (local )?issuer/i.test(said)) {
    return `cannot connect to ${url}: the server's certificate is not trusted here (${said}). For a private or self-signed certificate, give the certificate that signed it: NODE_EXTRA_CA_CERTS=ca.pem acheron console ${url}`
  }
  if (url.startsWith('wss:') && /wrong version number|packet length too long|EPROTO/.test(said)) {
    return `cannot connect to ${url}: the server does not speak TLS there. Use ${other('ws:')} (acheron serve serves wss:// only with --tls-cert and --tls-key)`
  }
  if (url.startsWith('ws:') && /socket hang up|ECONNRESET/.test(said)) {
    return `cannot connect to ${url}: the server closed the connection at once. If it serves TLS (--tls-cert), use ${other('wss:')}`
  }
  const reason = /ECONNREFUSED/.test(err.message) ? 'connection refused'
    : /ENOTFOUND|EAI_AGAIN/.test(err.message) ? 'unknown host'
    : /ETIMEDOUT|within \d+ ms/.test(err.message) ? 'no answer in time'
    : err.message.replace(/^cannot connect to \S+:?\s*/, '')
  return `cannot connect to ${url}: ${reason}. Is "acheron serve" running there (and is the URL's port its port)?`
}
