/** A valid module that takes a while to register: binaryen instruments ~2,000 of its functions a second. */
import { ABI_WAT, wat } from '../wasm-exec/wat.js'

/** `n` small looping functions; its export `run` sets column 1 to f_{n-1}(1) = 1 + 45·(n−1). */
export function bigModule(n: number): Uint8Array {
  const fns: string[] = []
  for (let i = 0; i < n; i++) {
    fns.push(`(func $f${i} (param $x i32) (result i32) (local $i i32)
      (loop $l
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $i) (i32.const ${i}))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
      (local.get $x))`)
  }
  return wat(`(module ${ABI_WAT}
    (memory (export "memory") 1 1)
    ${fns.join('\n')}
    (func (export "run") (call $set_int (i32.const 1) (i64.extend_i32_u (call $f${n - 1} (i32.const 1))))))`)
}
