import { isUtf8 } from 'node:buffer'
import type Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'

/**
 * `acheron_scalar_rows(rows, line, column)`: 1 while a subquery used as a value has given at most one row
 * (`rows`), else the statement fails at the subquery (line, column), as in PostgreSQL. SQLite itself
 * takes the first row it meets, which depends on the order rows are read in (src/sql/render.ts).
 */
export const SCALAR_ROWS_FUNCTION = 'acheron_scalar_rows'

/** PostgreSQL's words for it, and what to write instead. */
export const SCALAR_ROWS_MESSAGE = 'more than one row returned by a subquery used as an expression (a value takes one row: pick it with a condition on a key, an aggregate such as MAX, or ORDER BY … LIMIT 1)'

/**
 * `acheron_text_cast(x, line, column)`: x, where the renderer writes `CAST(x AS TEXT)` as
 * `CAST(acheron_text_cast(x, line, column) AS TEXT)`; a blob whose bytes are not well-formed UTF-8 fails
 * the statement at the CAST (line, column) with TYPE_MISMATCH. SQLite would make TEXT of the bytes as they
 * are, which comes back out of it (a result, a row written) with U+FFFD in their place: a value other than
 * the one the statement computed, which the rule for text at every boundary refuses (docs/sql.md, "Text
 * is well-formed Unicode"). Any other value passes unchanged, 64-bit integers included.
 */
export const TEXT_CAST_FUNCTION = 'acheron_text_cast'

/**
 * The offset of the first byte of `bytes` that no well-formed UTF-8 can hold there (Unicode's table 3-7:
 * no overlong form, no surrogate, nothing past U+10FFFF, no sequence cut short), or -1 when they are
 * well-formed. A sequence cut short by the end counts at its first byte.
 */
export function illFormedUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i] as number
    if (b < 0x80) {
      i++
      continue
    }
    // The bytes after a lead byte, and the range its first continuation byte must be in.
    let more: number
    let low = 0x80
    let high = 0xbf
    if (b >= 0xc2 && b <= 0xdf) more = 1
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2
      if (b === 0xe0) low = 0xa0
      if (b === 0xed) high = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3
      if (b === 0xf0) low = 0x90
      if (b === 0xf4) high = 0x8f
    } else return i
    for (let j = 1; j <= more; j++) {
      const c = bytes[i + j]
      if (c === undefined) return i
      if (c < (j === 1 ? low : 0x80) || c > (j === 1 ? high : 0xbf)) return i + j
    }
    i += more + 1
  }
  return -1
}

/** TEXT_CAST_FUNCTION's refusal of `bytes`, ill-formed at `offset`. */
export function illFormedCastMessage(bytes: Uint8Array, offset: number): string {
  const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0')
  return `CAST AS TEXT: blob is not well-formed UTF-8 (invalid byte 0x${byte} at offset ${offset}); TEXT holds well-formed Unicode only, and HEX(x) writes a blob's bytes as text`
}

/**
 * Defines the checks the SQL renderer writes into statements on `db`. Each is a pure function of its
 * arguments, so a statement fails at the same point on every replay.
 */
export function defineGuardFunctions(db: Database.Database): void {
  db.function(SCALAR_ROWS_FUNCTION, { deterministic: true, safeIntegers: true }, (rows: unknown, line: unknown, column: unknown) => {
    if (typeof rows === 'bigint' && rows > 1n) {
      throw new AcheronError('CONSTRAINT', SCALAR_ROWS_MESSAGE, { line: Number(line), column: Number(column) })
    }
    return 1n
  })
  db.function(TEXT_CAST_FUNCTION, { deterministic: true, safeIntegers: true }, (v: unknown, line: unknown, column: unknown) => {
    if (v instanceof Uint8Array) {
      const at = illFormedUtf8Offset(v)
      if (at >= 0) throw new AcheronError('TYPE_MISMATCH', illFormedCastMessage(v, at), { line: Number(line), column: Number(column) })
    }
    return v as never
  })
}
