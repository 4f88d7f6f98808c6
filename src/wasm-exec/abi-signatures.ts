/**
 * The import names and signatures of the WebAssembly ABI v1 (CONTRACT.md §6), as data: validation checks
 * guest imports against it and the host implements exactly these names (abi.ts).
 */

/** Value types of a signature, as in the text format. */
export type WasmValType = 'i32' | 'i64' | 'f64'

export interface ImportSignature {
  readonly params: readonly WasmValType[]
  readonly results: readonly WasmValType[]
}

/** Module name of every ABI import. */
export const ABI_MODULE = 'acheron'

const sig = (params: readonly WasmValType[], results: readonly WasmValType[] = []): ImportSignature => ({ params, results })

export const ABI_IMPORTS: ReadonlyMap<string, ImportSignature> = new Map<string, ImportSignature>([
  ['key_type', sig([], ['i32'])],
  ['key_int', sig([], ['i64'])],
  ['key_real', sig([], ['f64'])],
  ['key_len', sig([], ['i32'])],
  ['key_read', sig(['i32'])],
  ['arg_count', sig([], ['i32'])],
  ['arg_type', sig(['i32'], ['i32'])],
  ['arg_int', sig(['i32'], ['i64'])],
  ['arg_real', sig(['i32'], ['f64'])],
  ['arg_len', sig(['i32'], ['i32'])],
  ['arg_read', sig(['i32', 'i32'])],
  ['col', sig(['i32', 'i32'], ['i32'])],
  ['row_exists', sig([], ['i32'])],
  ['get_type', sig(['i32'], ['i32'])],
  ['get_int', sig(['i32'], ['i64'])],
  ['get_real', sig(['i32'], ['f64'])],
  ['get_len', sig(['i32'], ['i32'])],
  ['get_read', sig(['i32', 'i32'])],
  ['set_int', sig(['i32', 'i64'])],
  ['set_real', sig(['i32', 'f64'])],
  ['set_text', sig(['i32', 'i32', 'i32'])],
  ['set_blob', sig(['i32', 'i32', 'i32'])],
  ['set_null', sig(['i32'])],
  ['delete_row', sig([])],
  ['call_begin', sig(['i32', 'i32'])],
  ['call_arg_int', sig(['i64'])],
  ['call_arg_real', sig(['f64'])],
  ['call_arg_text', sig(['i32', 'i32'])],
  ['call_arg_blob', sig(['i32', 'i32'])],
  ['call_arg_null', sig([])],
  ['call_invoke', sig([], ['i32'])],
  ['result_int', sig([], ['i64'])],
  ['result_real', sig([], ['f64'])],
  ['result_len', sig([], ['i32'])],
  ['result_read', sig(['i32'])],
  ['ret_int', sig(['i64'])],
  ['ret_real', sig(['f64'])],
  ['ret_text', sig(['i32', 'i32'])],
  ['ret_blob', sig(['i32', 'i32'])],
  ['ret_null', sig([])],
  ['abort_txn', sig(['i32', 'i32'])],
  ['log', sig(['i32', 'i32'])],
  ['txn_time_ms', sig([], ['i64'])],
])

/** AssemblyScript's runtime abort(message, fileName, line, column): allowed, and treated as a trap. */
export const AS_ABORT = { module: 'env', name: 'abort', signature: sig(['i32', 'i32', 'i32', 'i32']) } as const

/** Names the runtime adds to instrumented modules; guests may not export names with this prefix. */
export const RESERVED_PREFIX = '__acheron'
export const HOST_MODULE = '__acheron'
export const FUEL_EXPORT = '__acheron_fuel'
/** `__acheron.fuel_refill`, () -> (): called by instrumented code whose fuel slice is spent (fuel-slice.ts). */
export const FUEL_REFILL_IMPORT = 'fuel_refill'
export const GROW_FAILED_EXPORT = '__acheron_grow_failed'
export const DEPTH_EXPORT = '__acheron_depth'
export const START_EXPORT = '__acheron_start'
export const RESET_EXPORT = '__acheron_reset'
/** The range of guest memory an invocation wrote, [start, end) unsigned (written-range.ts). */
export const WRITTEN_START_EXPORT = '__acheron_written_start'
export const WRITTEN_END_EXPORT = '__acheron_written_end'

export function formatSignature(s: ImportSignature): string {
  return `(${s.params.join(', ')}) -> (${s.results.join(', ')})`
}
