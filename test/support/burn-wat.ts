/**
 * A guest function `burn` in WAT (for abiModule, test/wasm-exec/wat.ts): loops argument 0 times, a host
 * call per iteration, and returns the count: a transaction as long as its caller asks.
 */
export const BURN_WAT = `
  (func (export "burn") (local $n i64) (local $k i64)
    (local.set $k (call $arg_int (i32.const 0)))
    (block $out (loop $l
      (br_if $out (i64.ge_s (local.get $n) (local.get $k)))
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (call $set_int (i32.const 1) (local.get $n))
      (br $l)))
    (call $ret_int (local.get $n)))
`
