// Values of the wire protocol (docs/protocol.md, "Values") as the console shows and exports them:
// numbers and {"$int": "digits"} as digits, {"$blob": "base64"} as X'hex', TEXT as itself, null as NULL.

/** Whether a wire value is a number (a JSON number or an integer beyond ±2^53): right-aligned. */
export function isNumeric(v) {
  return typeof v === 'number' || (v !== null && typeof v === 'object' && (typeof v.$int === 'string' || typeof v.$real === 'string'))
}

/**
 * What a cell or a column name never shows raw, the terminal console's rule (src/console/format-table.ts,
 * INVISIBLE): control characters, format characters (U+202E would show "txt.exe" as "exe.txt"; zero-width
 * spaces, the BOM hide), the line and paragraph separators, lone surrogates; not the zero-width joiner.
 */
export const INVISIBLE = /(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu
/** The same pattern without the global flag, for test(), which keeps no lastIndex then. */
const HAS_INVISIBLE = new RegExp(INVISIBLE.source, 'u')

/** One INVISIBLE character as the terminal console writes it: \n, \t, \r, \xHH, \uHHHH, \u{H…}. */
export function escapeChar(c) {
  if (c === '\n') return '\\n'
  if (c === '\t') return '\\t'
  if (c === '\r') return '\\r'
  const cp = c.codePointAt(0)
  const hex = cp.toString(16)
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`
  return cp <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`
}

/** `text` with every INVISIBLE character escaped. */
export function escapedText(text) {
  return HAS_INVISIBLE.test(text) ? text.replace(INVISIBLE, escapeChar) : text
}

/** `text` as runs to show: plain strings, and each INVISIBLE character as `{ raw, shown }`. */
export function shownRuns(text) {
  if (!HAS_INVISIBLE.test(text)) return text === '' ? [] : [text]
  const runs = []
  let at = 0
  for (const m of text.matchAll(INVISIBLE)) {
    if (m.index > at) runs.push(text.slice(at, m.index))
    runs.push({ raw: m[0], shown: escapeChar(m[0]) })
    at = m.index + m[0].length
  }
  if (at < text.length) runs.push(text.slice(at))
  return runs
}

function base64ToHex(b64) {
  const bin = atob(b64)
  let out = ''
  for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0')
  return out
}

/** A whole REAL at least this large is written with an exponent, as SQLite's shell writes it. */
const REAL_PLAIN_MAX = 1e15

/**
 * A REAL as SQLite's shell prints it: a whole number keeps its '.0' (1.0, -0.0), an exponent has a '.' in its
 * mantissa, a sign and two digits at least (1.0e+20, 1.0e-07), with JavaScript's shortest digits. The page's
 * copy of realText in src/result-types.ts (the page loads no server module; a test keeps the two equal).
 */
export function realText(v) {
  if (Object.is(v, -0)) return '-0.0'
  if (Number.isInteger(v) && Math.abs(v) < REAL_PLAIN_MAX) return `${String(v)}.0`
  const text = Number.isInteger(v) ? v.toExponential() : String(v)
  const e = text.indexOf('e')
  if (e < 0) return text
  const mantissa = text.slice(0, e)
  const sign = text[e + 1] === '-' ? '-' : '+'
  const digits = text.slice(e + 2).padStart(2, '0')
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${sign}${digits}`
}

/**
 * The type of row `i`'s value in column `j`: its column's entry of `types`, or, in a column of several
 * types (that entry null), the value's own in `cellTypes` (docs/protocol.md). Null when neither says.
 */
export function typeAt(types, cellTypes, i, j) {
  return types?.[j] ?? cellTypes?.[j]?.[i] ?? null
}

/**
 * A non-null wire value as text: digits, X'hex' for a BLOB, the TEXT itself. Null is the caller's case.
 * `type` is its column's entry of the result's `types` (docs/protocol.md): a REAL number shows as realText.
 */
export function valueText(v, type) {
  if (typeof v === 'string') return v
  // A -0 is a REAL in any column (no INTEGER has a signed zero): String(-0) is '0'.
  if (typeof v === 'number') return type === 'REAL' || Object.is(v, -0) ? realText(v) : String(v)
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
