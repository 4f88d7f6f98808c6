// A guest that writes text from raw bytes, for the tests of the well-formed TEXT rule: whatever UTF-8 a
// guest hands the host (an encoded surrogate ED A0 80, stray bytes), what lands in a row is well formed.
import { abiModule } from '../wasm-exec/wat.js'

/** An encoded surrogate (U+D800 as three bytes, CESU-8 style): invalid UTF-8. */
export const SURROGATE_BYTES = [0xed, 0xa0, 0x80]
/** What the host's decoder (WHATWG UTF-8, replacement) makes of SURROGATE_BYTES: one U+FFFD per byte. */
export const SURROGATE_DECODED = '\ufffd\ufffd\ufffd'

/**
 * For a table (id TEXT PRIMARY KEY, v TEXT):
 * - `put`: v = argument 1 (as bytes), returns it;
 * - `write`: v = the bytes ED A0 80, then returns v as read back in the same transaction;
 * - `nested`: calls `<table>.write` on the key ED A0 80 and returns what it returned.
 */
export function textGuest(table: string): Uint8Array {
  const callee = `${table}.write`
  return abiModule(`
    (data (i32.const 0) "v")
    (data (i32.const 16) "\\ed\\a0\\80")
    (data (i32.const 32) "${callee}")
    (func (export "put") (local $c i32) (local $n i32)
      (local.set $c (call $col (i32.const 0) (i32.const 1)))
      (local.set $n (call $arg_len (i32.const 0)))
      (call $arg_read (i32.const 0) (i32.const 4096))
      (call $set_text (local.get $c) (i32.const 4096) (local.get $n))
      (call $ret_text (i32.const 4096) (local.get $n)))
    (func (export "write") (local $c i32) (local $n i32)
      (local.set $c (call $col (i32.const 0) (i32.const 1)))
      (call $set_text (local.get $c) (i32.const 16) (i32.const 3))
      (local.set $n (call $get_len (local.get $c)))
      (call $get_read (local.get $c) (i32.const 1024))
      (call $ret_text (i32.const 1024) (local.get $n)))
    (func (export "nested") (local $n i32)
      (call $call_begin (i32.const 32) (i32.const ${callee.length}))
      (call $call_arg_text (i32.const 16) (i32.const 3))
      (drop (call $call_invoke))
      (local.set $n (call $result_len))
      (call $result_read (i32.const 2048))
      (call $ret_text (i32.const 2048) (local.get $n)))
  `)
}
