// The bound on what one read answers (docs/operations.md, resultBytesMax): a query's rows on the state
// thread (src/storage/state-file.ts), and a point read's row on the executors (src/txn/txn-runner.ts),
// counted the same way.
import type { SqlValue } from '../values.js'

/** Bytes of one read's result (text and blob bytes, 8 per other value) beyond which it fails. */
export const RESULT_BYTES_MAX = 64 * 1024 * 1024

/** A value's bytes as the bound counts them. */
export function valueBytes(v: SqlValue | undefined): number {
  return v instanceof Uint8Array ? v.byteLength : typeof v === 'string' ? v.length : 8
}
