/**
 * Deep-recursion scenarios for the call-depth limit (depth.test.ts). Imported by the test, and also run
 * as a script — in child processes with different V8 tiering flags and in a worker thread — printing (or
 * posting) the outcome of every scenario as JSON, so that the test can check that they are all the same.
 */
import { isMainThread, parentPort } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { AcheronError } from '../../src/errors.js'
import { createRuntime } from '../../src/wasm-exec/runtime.js'
import { FakeDb } from './fake-context.js'
import { abiModule } from './wat.js'

/** i64 locals of $big, all live across its recursive call (a large Liftoff frame). */
const BIG_LOCALS = 200
/** Operands live across $deep's recursive call (a deep operand stack). */
const DEEP_OPERANDS = 100

function bigFunction(): string {
  let locals = ''
  let sets = ''
  let uses = ''
  for (let i = 0; i < BIG_LOCALS; i++) {
    locals += ` (local $l${i} i64)`
    sets += `(local.set $l${i} (i64.add (local.get $k) (i64.const ${i})))`
    uses += `(local.set $s (i64.add (local.get $s) (local.get $l${i})))`
  }
  return `(func $big (param $k i64) (result i64) (local $s i64) ${locals}
    ${sets}
    (local.set $s (call $big (i64.add (local.get $k) (i64.const 1))))
    ${uses}
    (local.get $s))`
}

function deepFunction(): string {
  let expr = '(call $deep (i64.add (local.get $k) (i64.const 1)))'
  for (let i = 0; i < DEEP_OPERANDS; i++) expr = `(i64.add (i64.mul (local.get $k) (i64.const ${i + 3})) ${expr})`
  return `(func $deep (param $k i64) (result i64) ${expr})`
}

export const DEPTH_MODULE = abiModule(`
  (data (i32.const 0) "t.nest")
  ;; $r(k) recurses k more levels: rec(n) holds 1 + (n + 1) frames at its deepest.
  (func $r (param $k i64)
    (if (i64.gt_s (local.get $k) (i64.const 0)) (then (call $r (i64.sub (local.get $k) (i64.const 1))))))
  (func (export "rec") (call $r (call $arg_int (i32.const 0))) (call $ret_int (call $arg_int (i32.const 0))))
  (func $inf (export "inf") (call $inf))
  ${bigFunction()}
  ${deepFunction()}
  (func $bottom (param $what i64)
    (if (i64.eq (local.get $what) (i64.const 0)) (then (call $inf)))
    (if (i64.eq (local.get $what) (i64.const 1)) (then (drop (call $big (i64.const 0)))))
    (if (i64.eq (local.get $what) (i64.const 2)) (then (drop (call $deep (i64.const 0))))))
  ;; nest(levels, what): calls t.nest(key, levels - 1, what) through the host until levels is 0, then
  ;; recurses without end (what: 0 small frames, 1 big frames, 2 deep operand stacks).
  (func (export "nest") (local $d i64)
    (local.set $d (call $arg_int (i32.const 0)))
    (if (i64.gt_s (local.get $d) (i64.const 0))
      (then
        (call $call_begin (i32.const 0) (i32.const 6))
        (call $call_arg_int (call $key_int))
        (call $call_arg_int (i64.sub (local.get $d) (i64.const 1)))
        (call $call_arg_int (call $arg_int (i32.const 1)))
        (drop (call $call_invoke)))
      (else (call $bottom (call $arg_int (i32.const 1)))))
    (call $ret_int (local.get $d)))
`)

export interface Outcome { code: string; message: string }

function outcome(fn: () => unknown): Outcome {
  try {
    fn()
    return { code: 'OK', message: '' }
  } catch (e) {
    if (e instanceof AcheronError) return { code: e.code, message: e.message }
    return { code: 'NOT_ACHERON', message: String(e) }
  }
}

/** Every scenario, several times each (so that the JIT tiers up in between), with a fresh runtime. */
export async function runScenarios(repeats = 3): Promise<Outcome[]> {
  const db = new FakeDb(await createRuntime())
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER']])
  for (const f of ['rec', 'inf', 'nest']) db.register(`t.${f}`, DEPTH_MODULE, { fuel: 1_000_000_000 })
  const out: Outcome[] = []
  for (let r = 0; r < repeats; r++) {
    out.push(outcome(() => db.call('t.inf', 1n)))
    for (const levels of [0n, 1n, 63n]) for (const what of [0n, 1n, 2n]) out.push(outcome(() => db.call('t.nest', 1n, [levels, what])))
  }
  return out
}

if (!isMainThread && parentPort !== null) {
  parentPort.postMessage(await runScenarios())
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await runScenarios()) + '\n')
}
