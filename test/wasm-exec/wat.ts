/** Builds test modules from WebAssembly text with the wabt package (never hand-copied binaries). */
import wabtInit from 'wabt'

const wabt = await wabtInit()

export function wat(source: string, features: Record<string, boolean> = {}): Uint8Array {
  const m = wabt.parseWat('test.wat', source, { bulk_memory: true, mutable_globals: true, sign_extension: true, sat_float_to_int: true, multi_value: true, ...features })
  try {
    return m.toBinary({}).buffer
  } finally {
    m.destroy()
  }
}

/** The ABI imports' declarations in WAT, for modules that use them. */
export const ABI_WAT = `
  (import "acheron" "key_type" (func $key_type (result i32)))
  (import "acheron" "key_int" (func $key_int (result i64)))
  (import "acheron" "key_real" (func $key_real (result f64)))
  (import "acheron" "key_len" (func $key_len (result i32)))
  (import "acheron" "key_read" (func $key_read (param i32)))
  (import "acheron" "arg_count" (func $arg_count (result i32)))
  (import "acheron" "arg_type" (func $arg_type (param i32) (result i32)))
  (import "acheron" "arg_int" (func $arg_int (param i32) (result i64)))
  (import "acheron" "arg_real" (func $arg_real (param i32) (result f64)))
  (import "acheron" "arg_len" (func $arg_len (param i32) (result i32)))
  (import "acheron" "arg_read" (func $arg_read (param i32 i32)))
  (import "acheron" "col" (func $col (param i32 i32) (result i32)))
  (import "acheron" "row_exists" (func $row_exists (result i32)))
  (import "acheron" "get_type" (func $get_type (param i32) (result i32)))
  (import "acheron" "get_int" (func $get_int (param i32) (result i64)))
  (import "acheron" "get_real" (func $get_real (param i32) (result f64)))
  (import "acheron" "get_len" (func $get_len (param i32) (result i32)))
  (import "acheron" "get_read" (func $get_read (param i32 i32)))
  (import "acheron" "set_int" (func $set_int (param i32 i64)))
  (import "acheron" "set_real" (func $set_real (param i32 f64)))
  (import "acheron" "set_text" (func $set_text (param i32 i32 i32)))
  (import "acheron" "set_blob" (func $set_blob (param i32 i32 i32)))
  (import "acheron" "set_null" (func $set_null (param i32)))
  (import "acheron" "delete_row" (func $delete_row))
  (import "acheron" "call_begin" (func $call_begin (param i32 i32)))
  (import "acheron" "call_arg_int" (func $call_arg_int (param i64)))
  (import "acheron" "call_arg_real" (func $call_arg_real (param f64)))
  (import "acheron" "call_arg_text" (func $call_arg_text (param i32 i32)))
  (import "acheron" "call_arg_blob" (func $call_arg_blob (param i32 i32)))
  (import "acheron" "call_arg_null" (func $call_arg_null))
  (import "acheron" "call_invoke" (func $call_invoke (result i32)))
  (import "acheron" "result_int" (func $result_int (result i64)))
  (import "acheron" "result_real" (func $result_real (result f64)))
  (import "acheron" "result_len" (func $result_len (result i32)))
  (import "acheron" "result_read" (func $result_read (param i32)))
  (import "acheron" "ret_int" (func $ret_int (param i64)))
  (import "acheron" "ret_real" (func $ret_real (param f64)))
  (import "acheron" "ret_text" (func $ret_text (param i32 i32)))
  (import "acheron" "ret_blob" (func $ret_blob (param i32 i32)))
  (import "acheron" "ret_null" (func $ret_null))
  (import "acheron" "abort_txn" (func $abort_txn (param i32 i32)))
  (import "acheron" "log" (func $log (param i32 i32)))
`

/** A module with every ABI import declared, one page of memory (max 1), and `body` (functions, data). */
export function abiModule(body: string, memory = '(memory (export "memory") 1 1)'): Uint8Array {
  return wat(`(module ${ABI_WAT} ${memory} ${body})`)
}
