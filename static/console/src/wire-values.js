// Values of the wire protocol (docs/protocol.md, "Values") as the console shows and exports them:
// numbers and {"$int": "digits"} as digits, {"$blob": "base64"} as X'hex', TEXT as itself, null as NULL.

/** Whether a wire value is a number (a JSON number or an integer beyond ±2^53): right-aligned. */
export function isNumeric(v) {
  return typeof v === 'number' || (v !== null && typeof v === 'object' && (typeof v.$int === 'string' || typeof v.$real === 'string'))
}

function base64ToHex(b64) {
  const bin = atob(b64)
  let out = ''
  for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0')
  return out
}

/** A non-null wire value as text: digits, X'hex' for a BLOB, the TEXT itself. Null is the caller's case. */
export function valueText(v) {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  if (v !== null && typeof v === 'object') {
    if (typeof v.$int === 'string') return v.$int
    if (typeof v.$real === 'string') return v.$real
    if (typeof v.$blob === 'string') return `X'${base64ToHex(v.$blob)}'`
    return JSON.stringify(v)
  }
  return String(v)
}

/** A commit position as the console writes it. */
export function commitText(c) {
  return c && typeof c.batch === 'number' ? (c.seq < 0 ? `as of batch ${c.batch} (not a transaction)` : `commit ${c.batch}.${c.seq}`) : ''
}
