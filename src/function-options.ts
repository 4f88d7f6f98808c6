// createFunction()'s options, checked before anything is sent: a misspelt option (`replace` for
// `orReplace`) was ignored, so the call did something other than asked, silently.
import { AcheronError } from './errors.js'
import { checkOptionNames } from './option-names.js'
import { FUNCTION_NAME_LENGTH_MAX, isIdentifier, shownName } from './schema/catalog.js'
import { checkStringArgument, checkWellFormedText } from './values.js'

const TYPES: Readonly<Record<string, 'string' | 'number' | 'boolean'>> = {
  export: 'string', fuel: 'number', memory: 'number', orReplace: 'boolean', runtime: 'string',
}

/** TYPE_MISMATCH for options that are no object, an option `createFunction` lacks, or one of the wrong type. */
export function checkFunctionOptions(options: unknown, names: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new AcheronError('TYPE_MISMATCH', `createFunction() options is an object (${names.join(', ')}), got ${Array.isArray(options) ? 'an array' : String(options)}`)
  }
  checkOptionNames('createFunction()', options, names)
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && typeof value !== TYPES[name]) {
      throw new AcheronError('TYPE_MISMATCH', `createFunction() option ${name} is a ${TYPES[name]}, got ${typeof value}`)
    }
    // Named as the caller wrote it, embedded and remote alike: embedded it was "exportName: …", remote a
    // SYNTAX_ERROR at a column of the CREATE FUNCTION text the SDK had written.
    checkWellFormedText(value, `createFunction() option ${name}`)
  }
}

/**
 * TYPE_MISMATCH unless `wasm` is a module's bytes. A path is the natural mistake (`FROM WASM FILE` takes
 * one): it failed deep inside, as Node's ERR_INVALID_ARG_TYPE over the wire and an INTERNAL "module
 * preparation failed: bytes.subarray is not a function" embedded.
 */
export function checkFunctionBytes(wasm: unknown): void {
  if (wasm instanceof Uint8Array) return
  const got = typeof wasm === 'string' ? `a string (${JSON.stringify(wasm.length > 60 ? `${wasm.slice(0, 60)}…` : wasm)})`
    : wasm instanceof ArrayBuffer ? 'an ArrayBuffer (wrap it: new Uint8Array(buffer))'
    : wasm === null || wasm === undefined ? String(wasm) : Array.isArray(wasm) ? 'an array'
    : typeof wasm === 'object' ? 'an object' : `a ${typeof wasm}`
  const path = typeof wasm === 'string' ? `; for a path, pass readFileSync(path), or run sql("CREATE FUNCTION t.f FROM WASM FILE 'path'")` : ''
  throw new AcheronError('TYPE_MISMATCH', `createFunction() takes the module's bytes (a Uint8Array or Buffer), got ${got}${path}`)
}

/**
 * createFunction()'s name: a string (TYPE_MISMATCH), `table.function` of two identifiers (SYNTAX_ERROR),
 * before anything runs, embedded and remote alike. Embedded, a name such as 'e1 .x' or '"e1".f' reached the
 * engine and failed there as UNKNOWN_TABLE ("no such table: e1 "), with a commit position, where the remote
 * SDK said SYNTAX_ERROR.
 */
export function checkCreateFunctionName(name: unknown): asserts name is string {
  checkStringArgument(name, 'the function name ("table.function")')
  if (!/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new AcheronError('SYNTAX_ERROR', `a function name is table.function, got ${JSON.stringify(name)}`)
  }
}

/**
 * call()'s and callWithLogs()'s function name, before anything runs, embedded and remote alike: a string
 * (TYPE_MISMATCH), well-formed text (TYPE_MISMATCH "function name: …", as a key or an argument is), no
 * longer than any function name can be (UNKNOWN_FUNCTION, the catalog's words, no commit position), and of
 * the shape of one, table.function (UNKNOWN_FUNCTION saying so, no commit position). The
 * remote SDK applied the wire's own check, SYNTAX_ERROR naming the frame's "fn" field the caller never
 * wrote, where embedded said TYPE_MISMATCH; and a name over 129 characters was SYNTAX_ERROR remote but
 * UNKNOWN_FUNCTION embedded, after taking a position in a batch to look up a name that cannot exist.
 */
export function checkCallFunctionName(fn: unknown): asserts fn is string {
  checkStringArgument(fn, 'the function name ("table.function")')
  checkWellFormedText(fn, 'function name')
  if (fn.length > FUNCTION_NAME_LENGTH_MAX) {
    throw new AcheronError('UNKNOWN_FUNCTION', `no such function: ${shownName(fn, FUNCTION_NAME_LENGTH_MAX)}`)
  }
  if (!isFunctionName(fn)) {
    throw new AcheronError('UNKNOWN_FUNCTION', `no such function: ${JSON.stringify(fn)} (a function is named table.function: two identifiers of letters, digits and _, joined by a dot)`)
  }
}

/**
 * Whether `fn` could name a function: `table.function`, each an identifier (CREATE FUNCTION refuses any
 * other). A name that cannot (`''`, `nodot`, `kv.`, ` kv.f`) took a position in a batch to be looked up,
 * and '' came back as "no such function: " with nothing after the colon.
 */
function isFunctionName(fn: string): boolean {
  const dot = fn.indexOf('.')
  return dot > 0 && isIdentifier(fn.slice(0, dot)) && isIdentifier(fn.slice(dot + 1))
}
