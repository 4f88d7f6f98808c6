/**
 * A transaction's own failure as its outcome (TxnFailure), with which statement of a BEGIN … COMMIT
 * (`step`) and which value of that statement (`value`) it is about, so that the SQL layer can point the
 * error at the value rather than at the statement's table.
 */
import { AcheronError } from '../errors.js'
import type { TxnFailure } from './types.js'

/** The value an error is about (TxnFailure.value), noted where the value was checked. Internal: never on the wire. */
const failedValues = new WeakMap<AcheronError, number>()

/** Notes that `err` is about value `index` of its statement, unless a finer check noted one already. */
export function noteFailedValue(err: unknown, index: number): void {
  if (err instanceof AcheronError && !failedValues.has(err)) failedValues.set(err, index)
}

export function failureOf(err: AcheronError, logs?: readonly string[]): TxnFailure {
  const value = failedValues.get(err)
  return {
    code: err.code, message: err.message,
    ...(err.statement === undefined ? {} : { step: err.statement }),
    ...(value === undefined ? {} : { value }),
    ...(err.line === undefined || err.column === undefined ? {} : { at: { line: err.line, column: err.column } }),
    ...(logs === undefined || logs.length === 0 ? {} : { logs }),
  }
}
