import type Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'
import { CLOCK_CODES, CLOCK_FUNCTION, clockText, isNowText, isZoneModifier, TIME_MODIFIER_FUNCTION, TIME_VALUE_FUNCTION, ZONE_MODIFIER_MESSAGE } from '../schema/clock.js'

/**
 * Defines the clock functions the SQL renderer writes (src/schema/clock.ts) on `db`, reading the time of
 * whatever runs there now (`timeMs`: the transaction's batch, or a query's read time).
 */
export function defineClockFunctions(db: Database.Database, timeMs: () => number): void {
  db.function(CLOCK_FUNCTION, { deterministic: false, safeIntegers: false }, (code: unknown) => {
    const kind = typeof code === 'number' ? CLOCK_CODES[code] : undefined
    if (kind === undefined) throw new Error(`${CLOCK_FUNCTION}: unknown clock ${String(code)}`)
    return clockText(kind, timeMs())
  })
  // Values pass through unchanged, 64-bit integers included (safeIntegers).
  db.function(TIME_VALUE_FUNCTION, { deterministic: false, safeIntegers: true }, (v: unknown) => (isNowText(v) ? clockText('now', timeMs()) : v) as never)
  // (v, line, column): the line and column of the modifier in the statement, where the error points. Logged
  // statements rendered before those were written have (v) alone, and replay as they ran.
  db.function(TIME_MODIFIER_FUNCTION, { deterministic: true, safeIntegers: true, varargs: true }, (v: unknown, line?: unknown, column?: unknown) => {
    if (isZoneModifier(v)) {
      const at = typeof line === 'bigint' && typeof column === 'bigint' ? { line: Number(line), column: Number(column) } : {}
      throw new AcheronError('CONSTRAINT', `date modifier '${String(v)}' refused: ${ZONE_MODIFIER_MESSAGE}`, at)
    }
    return v as never
  })
}
