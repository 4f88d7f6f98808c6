/**
 * What the engine's own `submit()` takes (README, "Using the engine from TypeScript"): a TxnInput built
 * by hand, which no parser has checked. Whatever the batch log cannot encode, or the executor cannot
 * read, must be refused here, as this input's TYPE_MISMATCH: past this point an input that fails to
 * encode stops the engine for good, and one that fails to execute fails its whole batch, other
 * clients' transactions with it.
 */
import { AcheronError } from '../errors.js'
import { DATA_DEPTH_MAX } from '../codec/values.js'
import { checkStringArgument, checkWellFormedText, isInt64, unsupportedValue } from '../values.js'
import type { TxnInput } from './types.js'
import { isClockKind } from '../schema/clock.js'

const ENGINE_VALUES = 'submit() takes engine values: null, a bigint (INTEGER), a number (REAL), a string or a Uint8Array'

/**
 * A value of a row, key or argument: an engine value. Anything else (an object, undefined, a bigint past
 * 64 bits) used to reach the batch log's encoder, or the executor, and fail there.
 */
export function checkEngineValue(v: unknown, what: string): void {
  if (v === null || typeof v === 'number' || typeof v === 'string' || v instanceof Uint8Array) return
  if (typeof v === 'bigint' && isInt64(v)) return
  throw new AcheronError('TYPE_MISMATCH', `${what}: ${unsupportedValue(v, ENGINE_VALUES)}`)
}

/** A call (the hot path: its checks are all it gets). `what`: where it is, '' at the top. */
function checkCall(t: Extract<TxnInput, { kind: 'call' }>, what: string): void {
  // The fast path builds no message (a call's checks ran for every transaction, each naming its argument);
  // anything it does not pass is checked again below, where the failing check names the part.
  if (typeof t.fn === 'string' && t.fn.isWellFormed() && plainValue(t.key) && Array.isArray(t.args)) {
    let plain = true
    for (let i = 0; i < t.args.length && plain; i++) plain = plainValue(t.args[i])
    if (plain) return
  }
  const at = what === '' ? '' : `${what}: `
  checkStringArgument(t.fn, `${at}the function name ("table.function")`)
  checkWellFormedText(t.fn, `${at}function name`)
  checkEngineValue(t.key, `${at}key`)
  checkWellFormedText(t.key, `${at}key`)
  if (!Array.isArray(t.args)) throw mismatch(`${at}a call's args is an array of values, got ${String(t.args)}`)
  t.args.forEach((a, i) => {
    checkEngineValue(a, `${at}argument ${i + 1}`)
    checkWellFormedText(a, `${at}argument ${i + 1}`)
  })
}

/** An engine value that passes checkEngineValue and checkWellFormedText. */
function plainValue(v: unknown): boolean {
  switch (typeof v) {
    case 'bigint': return isInt64(v)
    case 'number': return true
    case 'string': return v.isWellFormed()
    default: return v === null || v instanceof Uint8Array
  }
}

function mismatch(message: string): AcheronError {
  return new AcheronError('TYPE_MISMATCH', message)
}

function checkArray(v: unknown, what: string): asserts v is readonly unknown[] {
  if (!Array.isArray(v)) throw mismatch(`${what} is an array, got ${v === null || typeof v !== 'object' ? String(v) : 'an object'}`)
}

function checkString(v: unknown, what: string): void {
  if (typeof v !== 'string') throw mismatch(`${what} is a string, got ${typeof v === 'object' ? (v === null ? 'null' : 'an object') : `${typeof v} ${String(v)}`}`)
}

/** A row expression ({ sql, values }): the SQL text SQLite evaluates and its parameters. */
function checkRowExpr(e: unknown, what: string, optional: boolean): void {
  if (e === undefined && optional) return
  if (e === null && optional) return
  if (typeof e !== 'object' || e === null) throw mismatch(`${what} is a row expression { sql, values }, got ${String(e)}`)
  const { sql, values } = e as { sql?: unknown; values?: unknown }
  checkString(sql, `${what}.sql`)
  checkArray(values, `${what}.values`)
  values.forEach((v, i) => checkEngineValue(v, `${what}.values[${i}]`))
}

function checkAssignments(sets: unknown, what: string): void {
  checkArray(sets, what)
  sets.forEach((a, i) => {
    if (typeof a !== 'object' || a === null) throw mismatch(`${what}[${i}] is { column, expr }, got ${String(a)}`)
    checkString((a as { column?: unknown }).column, `${what}[${i}].column`)
    checkRowExpr((a as { expr?: unknown }).expr, `${what}[${i}].expr`, false)
  })
}

/**
 * The shape of the data transactions the engine's executors read field by field: a missing or mistyped
 * field there was "Cannot read properties of undefined" in the executor, failing the batch.
 */
function checkDataShape(t: TxnInput, what: string, depth: number): void {
  switch (t.kind) {
    case 'insert': {
      checkString(t.table, `${what}.table`)
      if (t.columns !== null) {
        checkArray(t.columns, `${what}.columns`)
        t.columns.forEach((c, i) => checkString(c, `${what}.columns[${i}]`))
      }
      checkArray(t.rows, `${what}.rows`)
      t.rows.forEach((row, r) => {
        checkArray(row, `${what}.rows[${r}]`)
        row.forEach((v, c) => checkEngineValue(v, `${what}.rows[${r}][${c}]`))
      })
      if (t.clocks !== undefined) {
        checkArray(t.clocks, `${what}.clocks`)
        t.clocks.forEach((c, i) => {
          if (!Array.isArray(c) || c.length !== 3 || !Number.isSafeInteger(c[0]) || !Number.isSafeInteger(c[1]) || !isClockKind(c[2])) {
            throw mismatch(`${what}.clocks[${i}] is [row, value, 'timestamp' | 'date' | 'time' | 'now'], got ${String(c)}`)
          }
        })
      }
      checkRowExpr(t.returning, `${what}.returning`, true)
      if (t.onConflict !== undefined && t.onConflict.action === 'update') {
        checkAssignments(t.onConflict.sets, `${what}.onConflict.sets`)
        checkRowExpr(t.onConflict.where, `${what}.onConflict.where`, true)
      }
      return
    }
    case 'get':
      checkString(t.table, `${what}.table`)
      checkEngineValue(t.key, `${what}.key`)
      return
    case 'select-key':
      checkString(t.table, `${what}.table`)
      checkEngineValue(t.key, `${what}.key`)
      checkRowExpr(t.query, `${what}.query`, false)
      return
    case 'update':
      checkString(t.table, `${what}.table`)
      checkEngineValue(t.key, `${what}.key`)
      checkAssignments(t.sets, `${what}.sets`)
      checkRowExpr(t.where, `${what}.where`, true)
      checkRowExpr(t.returning, `${what}.returning`, true)
      return
    case 'delete':
      checkString(t.table, `${what}.table`)
      checkEngineValue(t.key, `${what}.key`)
      checkRowExpr(t.where, `${what}.where`, true)
      checkRowExpr(t.returning, `${what}.returning`, true)
      return
    case 'multi':
      if (depth > 0) throw mismatch(`${what}: a multi input holds data steps, not another multi`)
      checkArray(t.steps, `${what}.steps`)
      t.steps.forEach((s, i) => {
        if (typeof s !== 'object' || s === null) throw mismatch(`${what}.steps[${i}] is an input, got ${String(s)}`)
        if (!['call', 'insert', 'get', 'select-key', 'update', 'delete'].includes((s as { kind?: unknown }).kind as string)) {
          throw mismatch(`${what}.steps[${i}] is a call, insert, get, select-key, update or delete, got kind ${String((s as { kind?: unknown }).kind)}`)
        }
        if (s.kind === 'call') checkCall(s, `${what}.steps[${i}]`)
        else checkDataShape(s, `${what}.steps[${i}]`, depth + 1)
      })
      return
    default:
  }
}

/**
 * Every string of an input must be well-formed Unicode: the log stores UTF-8, which cannot hold a lone
 * surrogate, so such an input would replay as something else. The client boundaries refuse it first;
 * this is the engine's own guard for whatever reaches `submit` directly.
 */
export function checkSubmittedInput(input: TxnInput): void {
  if (typeof input !== 'object' || input === null) throw mismatch(`submit() takes an input object, got ${String(input)}`)
  if (input.kind === 'call') {
    checkCall(input, '')
    return
  }
  checkDataShape(input, input.kind, 0)
  // Every other input is logged as generic data (src/codec/values.ts): what that encoder cannot write (a
  // function, a symbol, a cycle or data nested past DATA_DEPTH_MAX) would stop the engine at the batch's
  // encoding.
  const walk = (v: unknown, what: string, depth: number): void => {
    if (depth > DATA_DEPTH_MAX) throw mismatch(`a ${input.kind} input nested deeper than ${DATA_DEPTH_MAX} levels (or holding itself) at ${what}: submit() takes plain data`)
    if (typeof v === 'string') checkWellFormedText(v, what)
    else if (typeof v === 'function' || typeof v === 'symbol') throw mismatch(`${what}: ${unsupportedValue(v, 'submit() takes plain data: engine values in arrays and objects')}`)
    else if (Array.isArray(v)) v.forEach((x) => walk(x, what, depth + 1))
    else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) for (const [k, x] of Object.entries(v)) walk(x, k, depth + 1)
  }
  walk(input, input.kind, 0)
}
