import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { moduleSource } from './fake-context.js'
import { expectCode, guest, runtime } from './setup.js'
import { wat } from './wat.js'
import { IMPORTS_LISTED_MAX } from '../../src/wasm-exec/validate.js'

const fn = { exportName: 'f', memoryBytes: 16 * 1024 * 1024 }
const check = (bytes: Uint8Array, f: { exportName: string; memoryBytes: number } = fn): void => runtime.validate(moduleSource(bytes), f)
const mem = '(memory (export "memory") 1 1)'
const ok = (body = '', memory = mem): Uint8Array => wat(`(module ${memory} (func (export "f")) ${body})`)

test('accepts a minimal module, the WAT example and the AssemblyScript examples', () => {
  check(ok())
  check(guest('counter'), { exportName: 'bump', memoryBytes: fn.memoryBytes })
  check(guest('bank'), { exportName: 'transfer', memoryBytes: fn.memoryBytes })
  check(guest('ycsbt'), { exportName: 'transfer', memoryBytes: fn.memoryBytes })
  check(ok('(func (export "g") (drop (i32x4.splat (i32.const 1))))'), fn) // plain SIMD is deterministic enough
})

test('rejects bytes that are not a module', () => {
  expectCode(() => check(new Uint8Array([0, 1, 2, 3, 4])), 'INVALID_WASM', /not a WebAssembly module/)
  expectCode(() => check(new TextEncoder().encode('(module)')), 'INVALID_WASM', /not a WebAssembly module/)
})

test('WebAssembly text where a binary belongs is named as such, with what to do (V8 said only "expected magic word")', () => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s)
  for (const wat of ['(module)', '\n  (module (func))', ';; counter\n(module)', '(; block ;) (module)']) {
    expectCode(() => check(text(wat)), 'INVALID_WASM', /^invalid WebAssembly module: not a WebAssembly module but WebAssembly text \(WAT\): compile it first \(wat2wasm/)
  }
  expectCode(() => check(text('hello')), 'INVALID_WASM', /not a WebAssembly module \(WebAssembly\.Module\(\): expected magic word/)
})

test('rejects a module without a memory export', () => {
  expectCode(() => check(wat('(module (func (export "f")))')), 'INVALID_WASM', /export its memory as "memory"/)
  expectCode(() => check(wat('(module (memory 1 1) (func (export "f")))')), 'INVALID_WASM', /export its memory/)
  expectCode(() => check(wat('(module (memory (export "mem") 1 1) (func (export "f")))')), 'INVALID_WASM', /export its memory/)
})

test('rejects memory without a maximum or above the MEMORY limit', () => {
  expectCode(() => check(ok('', '(memory (export "memory") 1)')), 'INVALID_WASM', /maximum/)
  // How to declare one depends on the toolchain; the message says it for the ones the docs use.
  expectCode(() => check(ok('', '(memory (export "memory") 1)')), 'INVALID_WASM', /memory must declare a maximum size \(asc --maximumMemory PAGES, wasm-ld --max-memory=BYTES, WAT \(memory MIN MAX\)\)/)
  expectCode(() => check(ok('', '(memory (export "memory") 1 4)'), { exportName: 'f', memoryBytes: 3 * 65536 }), 'INVALID_WASM', /above the function's MEMORY limit/)
  check(ok('', '(memory (export "memory") 1 4)'), { exportName: 'f', memoryBytes: 4 * 65536 })
  // Which option raises the limit, and by how much, or that none can (it said only "above the limit").
  expectCode(() => check(ok('', '(memory (export "memory") 1 300)')), 'INVALID_WASM', /above the function's MEMORY limit of 16777216 bytes \(register it WITH \(MEMORY = 19660800\), or declare a smaller maximum\)$/)
  expectCode(() => check(ok('', '(memory (export "memory") 1 5000)')), 'INVALID_WASM', /above the function's MEMORY limit of 16777216 bytes \(MEMORY is at most 268435456 bytes: declare a smaller maximum\)$/)
})

test('rejects shared memory and atomics', () => {
  expectCode(() => check(ok('', '(memory (export "memory") 1 1 shared)')), 'INVALID_WASM', /shared memory/)
  const atomics = wat(`(module ${mem} (func (export "f") (drop (i32.atomic.load (i32.const 0)))))`, { threads: true })
  expectCode(() => check(atomics), 'INVALID_WASM', /not allowed|atomic/i)
  const fence = wat(`(module ${mem} (func (export "f") (atomic.fence)))`, { threads: true })
  expectCode(() => check(fence), 'INVALID_WASM')
})

test('rejects relaxed SIMD', () => {
  const relaxed = wat(`(module ${mem} (func (export "f") (drop (i32x4.relaxed_trunc_f32x4_s (v128.const i32x4 0 0 0 0)))))`, { relaxed_simd: true, simd: true })
  expectCode(() => check(relaxed), 'INVALID_WASM')
})

test('rejects a missing function export or a wrong signature', () => {
  expectCode(() => check(ok(), { exportName: 'g', memoryBytes: fn.memoryBytes }), 'INVALID_WASM', /does not export a function named 'g'/)
  // Function names are case-insensitive, export names are not: CREATE FUNCTION account.Deposit looks for
  // the export 'Deposit'. The message lists what the module does export, so that the near miss shows.
  const bank = { exportName: 'Deposit', memoryBytes: fn.memoryBytes }
  expectCode(() => check(guest('bank'), bank), 'INVALID_WASM', /^invalid WebAssembly module: it does not export a function named 'Deposit' \(it exports balance, deposit, withdraw, transfer\)$/)
  expectCode(() => check(wat(`(module ${mem} (func (export "f") (param i32)))`), { exportName: 'g', memoryBytes: fn.memoryBytes }), 'INVALID_WASM', /named 'g' \(it exports no function of signature \(\) -> \(\)\)$/)
  expectCode(() => check(wat(`(module ${mem} (func (export "f") (param i32)))`)), 'INVALID_WASM', /must have signature \(\) -> \(\)/)
  expectCode(() => check(wat(`(module ${mem} (func (export "f") (result i32) (i32.const 1)))`)), 'INVALID_WASM', /signature/)
  expectCode(() => check(wat(`(module ${mem} (global (export "f") i32 (i32.const 1)))`)), 'INVALID_WASM', /does not export a function/)
})

test('rejects imports outside the ABI, naming them', () => {
  const imp = (i: string): Uint8Array => wat(`(module ${i} ${mem} (func (export "f")))`)
  expectCode(() => check(imp('(import "env" "now" (func))')), 'WASM_IMPORT_NOT_ALLOWED', /env\.now/)
  expectCode(() => check(imp('(import "acheron" "clock" (func (result i64)))')), 'WASM_IMPORT_NOT_ALLOWED', /acheron\.clock/)
  expectCode(() => check(imp('(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))')), 'WASM_IMPORT_NOT_ALLOWED', /wasi_snapshot_preview1\.fd_write.*WASI/)
  expectCode(() => check(imp('(import "acheron" "seed" (global i64))')), 'WASM_IMPORT_NOT_ALLOWED', /acheron\.seed/)
  expectCode(() => check(wat('(module (import "env" "memory" (memory 1 1)) (export "memory" (memory 0)) (func (export "f")))')), 'WASM_IMPORT_NOT_ALLOWED', /env\.memory/)
  expectCode(() => check(imp('(import "acheron" "ret_int" (global i64))')), 'WASM_IMPORT_NOT_ALLOWED', /must be a function/)
})

test('an import an AssemblyScript builtin makes says which builtin and why it has no place in a function', () => {
  // `env.seed` alone did not tell an author that Math.random was the culprit.
  const imp = (i: string): Uint8Array => wat(`(module ${i} ${mem} (func (export "f")))`)
  expectCode(() => check(imp('(import "env" "seed" (func (result f64)))')), 'WASM_IMPORT_NOT_ALLOWED', /^import env\.seed is not allowed \(AssemblyScript's Math\.random: a function sees no randomness/)
  expectCode(() => check(imp('(import "env" "Date.now" (func (result f64)))')), 'WASM_IMPORT_NOT_ALLOWED', /^import env\.Date\.now is not allowed \(a clock of the machine: read the batch's time with txn_time_ms \(txnTimeMs\(\) of the guest library\)/)
  expectCode(() => check(imp('(import "env" "performance.now" (func (result f64)))')), 'WASM_IMPORT_NOT_ALLOWED', /\(a clock of the machine: read the batch's time with txn_time_ms/)
  expectCode(() => check(imp('(import "env" "trace" (func (param i32 i32 f64 f64 f64 f64 f64)))')), 'WASM_IMPORT_NOT_ALLOWED', /^import env\.trace is not allowed \(AssemblyScript's trace\(\): write debug lines with log\(\)/)
  expectCode(() => check(imp('(import "env" "console.log" (func (param i32)))')), 'WASM_IMPORT_NOT_ALLOWED', /^import env\.console\.log is not allowed \(AssemblyScript's console: write debug lines with log\(\)/)
  expectCode(() => check(imp('(import "acheron" "ret_itn" (func (param i64)))')), 'WASM_IMPORT_NOT_ALLOWED', /^import acheron\.ret_itn is not allowed \(not an import of the ABI v1/)
  expectCode(() => check(imp('(import "env" "now" (func))')), 'WASM_IMPORT_NOT_ALLOWED', /^import env\.now is not allowed: a function may import only/)
})

test('every refused import is named at once, each with its hint (a build named only the first, then the next)', () => {
  const imports = '(import "env" "trace" (func (param i32 i32 f64 f64 f64 f64 f64))) (import "acheron" "ret_int" (func (param i64))) (import "env" "seed" (func (result f64))) (import "env" "now" (func))'
  expectCode(() => check(wat(`(module ${imports} ${mem} (func (export "f")))`)), 'WASM_IMPORT_NOT_ALLOWED',
    /^3 imports are not allowed, env\.trace \(AssemblyScript's trace\(\): write debug lines with log\(\) of the guest library\), env\.seed \(AssemblyScript's Math\.random[^)]*\) and env\.now: a function may import only the "acheron" ABI and env\.abort$/)
  const many = Array.from({ length: IMPORTS_LISTED_MAX + 3 }, (_, i) => `(import "env" "x${i}" (func))`).join(' ')
  expectCode(() => check(wat(`(module ${many} ${mem} (func (export "f")))`)), 'WASM_IMPORT_NOT_ALLOWED', new RegExp(`^${IMPORTS_LISTED_MAX + 3} imports are not allowed, env\\.x0, [^:]*env\\.x${IMPORTS_LISTED_MAX - 1} and 3 more: `))
})

test('rejects an allowed import with the wrong signature as INVALID_WASM', () => {
  const imp = (i: string): Uint8Array => wat(`(module ${i} ${mem} (func (export "f")))`)
  expectCode(() => check(imp('(import "acheron" "ret_int" (func (param i32)))')), 'INVALID_WASM', /acheron\.ret_int must have signature \(i64\) -> \(\)/)
  expectCode(() => check(imp('(import "acheron" "key_len" (func (result i64)))')), 'INVALID_WASM', /key_len/)
  expectCode(() => check(imp('(import "env" "abort" (func (param i32)))')), 'INVALID_WASM', /env\.abort/)
  check(imp('(import "env" "abort" (func (param i32 i32 i32 i32)))'))
})

test('rejects export names reserved for the runtime', () => {
  expectCode(() => check(ok('(func (export "__acheron_fuel"))')), 'INVALID_WASM', /reserved/)
})

test('a rejection is stable: the same bytes fail the same way twice', () => {
  const bad = ok('', '(memory (export "memory") 1)')
  const a = expectCode(() => check(bad), 'INVALID_WASM')
  const b = expectCode(() => check(bad), 'INVALID_WASM')
  assert.is(a.message, b.message)
})

test('identical bytes compile once (cache by hash)', () => {
  const bytes = ok('(func (export "cache_probe"))')
  const rt = runtime as unknown as { modulesCompiled: number }
  const before = rt.modulesCompiled
  check(bytes)
  check(new Uint8Array(bytes))
  check(bytes, { exportName: 'cache_probe', memoryBytes: fn.memoryBytes })
  assert.is(rt.modulesCompiled, before + 1)
})

test.run()
