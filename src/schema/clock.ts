/**
 * What SQL and functions read as "now": the time of the transaction's batch, stamped by the sequencer
 * and logged with the batch (src/txn/batch-time.ts), so that a replay, a follower and EXPLAIN COMMIT see
 * the time the first execution saw. Texts are SQLite's: UTC, `YYYY-MM-DD HH:MM:SS`, which sort as times.
 */

/**
 * What each clock reads as: `timestamp` CURRENT_TIMESTAMP, `date` CURRENT_DATE, `time` CURRENT_TIME,
 * `now` NOW() (a timestamp with milliseconds, as SQLite's `datetime('now', 'subsec')`).
 */
export type ClockKind = 'timestamp' | 'date' | 'time' | 'now'

/** The SQL keywords that read a clock, written without parentheses, and what each reads. */
export const CLOCK_KEYWORDS: ReadonlyMap<string, ClockKind> = new Map<string, ClockKind>([
  ['CURRENT_TIMESTAMP', 'timestamp'], ['CURRENT_DATE', 'date'], ['CURRENT_TIME', 'time'],
])

/**
 * SQL functions every connection that runs rendered SQL defines (src/storage/sql-clock.ts). Not
 * identifiers a statement can name: the renderer writes them, never the user.
 */
export const CLOCK_FUNCTION = 'acheron_clock'
/** A date function's time value: the batch's time where SQLite would read the machine's clock ('now'). */
export const TIME_VALUE_FUNCTION = 'acheron_time_value'
/** A date function's modifier: refused where it reads the machine's time zone ('localtime', 'utc'). */
export const TIME_MODIFIER_FUNCTION = 'acheron_time_modifier'

/** Clock `kind` as SQL spells it: CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME or NOW(). */
export function clockSql(kind: ClockKind): string {
  return kind === 'now' ? 'NOW()' : `CURRENT_${kind.toUpperCase()}`
}

/** The text of clock `kind` at `timeMs` (ms since the Unix epoch, UTC). */
export function clockText(kind: ClockKind, timeMs: number): string {
  const iso = new Date(timeMs).toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
  switch (kind) {
    case 'timestamp': return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
    case 'date': return iso.slice(0, 10)
    case 'time': return iso.slice(11, 19)
    case 'now': return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`
  }
}

/**
 * SQLite's date functions read the machine's clock for the time value 'now' (any case, nothing around
 * it), and its time zone for the modifiers 'localtime' and 'utc'. A replay of the log, or another node,
 * would compute another value from either.
 */
export function isNowText(v: unknown): boolean {
  const text = asText(v)
  return text !== null && text.length === 3 && text.toLowerCase() === 'now'
}

export function isZoneModifier(v: unknown): boolean {
  const text = asText(v)
  if (text === null) return false
  const m = text.trim().toLowerCase()
  return m === 'localtime' || m === 'utc'
}

export const ZONE_MODIFIER_MESSAGE = "the date modifiers 'localtime' and 'utc' read this machine's time zone, and a replay of the log on another machine must compute the same value: times are UTC; convert to local time in the client"

/** A value as SQLite's date functions read it as text (a BLOB's bytes too), or null for a number or NULL. */
function asText(v: unknown): string | null {
  if (typeof v === 'string') return v
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1') : null
}

/**
 * The clocks by number, as rendered SQL calls CLOCK_FUNCTION: `acheron_clock(0)` (rendered SQL spells
 * no text literal: every value the user gives is a bound parameter, and the renderer's tests hold it so).
 */
export const CLOCK_CODES: readonly ClockKind[] = ['timestamp', 'date', 'time', 'now']

/** CLOCK_FUNCTION's call for clock `kind`. */
export function clockCall(kind: ClockKind): string {
  return `${CLOCK_FUNCTION}(${CLOCK_CODES.indexOf(kind)})`
}

export function isClockKind(v: unknown): v is ClockKind {
  return v === 'timestamp' || v === 'date' || v === 'time' || v === 'now'
}
