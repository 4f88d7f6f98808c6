/**
 * Fuel bounds time, also for work whose size an operand decides: bulk memory operations and host calls
 * are charged by the bytes they move, before they move them (FUEL_BYTES_PER_UNIT), and log lines are
 * capped. Each loop below would run for seconds to minutes if a 16 MiB operation cost one unit.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ABORT_MESSAGE_BYTES_MAX, FUEL_BYTES_PER_UNIT, LOG_LINE_BYTES_MAX, LOG_LINES_PER_CALL_MAX } from '../../src/wasm-exec/abi.js'
import { expectCode, newDb } from './setup.js'
import { abiModule } from './wat.js'

const MiB = 1024 * 1024
const BIG = 16 * MiB

/** Each export loops forever doing one big operation per iteration and counting iterations in column n. */
const module = abiModule(`
  (data (i32.const 0) "t.sink")
  (data $p "0123456789abcdef")
  (func $tick (param $i i64) (result i64)
    (local.set $i (i64.add (local.get $i) (i64.const 1)))
    (call $set_int (i32.const 1) (local.get $i))
    (local.get $i))
  (func (export "fill") (local $i i64)
    (loop $l (memory.fill (i32.const 0) (i32.const 7) (i32.const ${BIG})) (local.set $i (call $tick (local.get $i))) (br $l)))
  (func (export "copy") (local $i i64)
    (loop $l (memory.copy (i32.const 0) (i32.const ${BIG / 2}) (i32.const ${BIG / 2})) (local.set $i (call $tick (local.get $i))) (br $l)))
  (func (export "init") (local $i i64)
    (loop $l (memory.init $p (i32.const 64) (i32.const 0) (i32.const 16)) (local.set $i (call $tick (local.get $i))) (br $l)))
  ;; Fills arg 0 bytes arg 1 times, then returns.
  (func (export "fill_n") (local $i i64)
    (block $out (loop $l
      (br_if $out (i64.ge_s (local.get $i) (call $arg_int (i32.const 1))))
      (memory.fill (i32.const 0) (i32.const 1) (i32.wrap_i64 (call $arg_int (i32.const 0))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))
  (func (export "col") (local $i i64)
    (loop $l (drop (call $col (i32.const 0) (i32.const ${BIG}))) (local.set $i (call $tick (local.get $i))) (br $l)))
  (func (export "log") (local $i i64)
    (loop $l (call $log (i32.const 0) (i32.const ${BIG})) (local.set $i (call $tick (local.get $i))) (br $l)))
  (func (export "set_text") (local $i i64)
    (loop $l (call $set_text (i32.const 2) (i32.const 0) (i32.const ${BIG})) (local.set $i (call $tick (local.get $i))) (br $l)))
  (func (export "get_read") (local $i i64)
    (loop $l (call $get_read (i32.const 2) (i32.const 0)) (local.set $i (call $tick (local.get $i))) (br $l)))
  (func (export "call_arg_text") (local $i i64)
    (call $call_begin (i32.const 0) (i32.const 6))
    (loop $l (call $call_arg_text (i32.const 0) (i32.const ${BIG})) (local.set $i (call $tick (local.get $i))) (br $l)))
  ;; Aborts with a message of arg 0 bytes ('a's).
  (func (export "abort_n")
    (memory.fill (i32.const 1024) (i32.const 97) (i32.wrap_i64 (call $arg_int (i32.const 0))))
    (call $abort_txn (i32.const 1024) (i32.wrap_i64 (call $arg_int (i32.const 0)))))
  ;; Logs arg 0 lines of arg 1 bytes (zeros), then returns.
  (func (export "log_n") (local $i i64)
    (block $out (loop $l
      (br_if $out (i64.ge_s (local.get $i) (call $arg_int (i32.const 0))))
      (call $log (i32.const 1024) (i32.wrap_i64 (call $arg_int (i32.const 1))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))
`, '(memory (export "memory") 256 256)')

const LOOPS = ['fill', 'copy', 'col', 'log', 'set_text', 'get_read', 'call_arg_text'] as const

function setup() {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER', 0n], ['s', 'TEXT']])
  for (const f of [...LOOPS, 'init', 'fill_n', 'log_n', 'abort_n']) db.register(`t.${f}`, module, { fuel: 1_000_000_000 })
  /** Runs a loop that must run out of `fuel`: the iterations it completed, and how long it took. */
  const reached = (f: string, fuel: number): { n: bigint; ms: number } => {
    db.put('t', [1n, 0n, 'x'.repeat(BIG)])
    const started = performance.now()
    expectCode(() => db.call(`t.${f}`, 1n, [], fuel), 'OUT_OF_FUEL', /ran out of fuel .*raise it with CREATE OR REPLACE FUNCTION … WITH \(FUEL = n\), at most 1000000000/)
    return { n: db.row('t', 1n)?.[1] as bigint, ms: performance.now() - started }
  }
  return { db, reached }
}

for (const f of LOOPS) {
  test(`a loop of 16 MiB ${f} runs out of a small budget before its first big operation, on every run`, () => {
    const { reached } = setup()
    const fuel = 20_000 // far below the BIG / FUEL_BYTES_PER_UNIT units 16 MiB costs
    const first = reached(f, fuel)
    assert.is(first.n, 0n, `${f}: ${first.n} iterations ran on ${fuel} fuel`)
    assert.ok(first.ms < 2_000, `${f} took ${first.ms.toFixed(0)} ms`)
    for (let i = 0; i < 2; i++) assert.is(reached(f, fuel).n, first.n)
  })
}

test('with a budget for a few, exactly as many 16 MiB operations run as the bytes pay for, on every run', () => {
  const { reached } = setup()
  const perOp = BIG / FUEL_BYTES_PER_UNIT
  for (const f of ['fill', 'col', 'set_text', 'log'] as const) {
    const r = reached(f, 3 * perOp + 1_000)
    assert.ok(r.n >= 2n && r.n <= 3n, `${f}: ${r.n} iterations`)
    assert.is(reached(f, 3 * perOp + 1_000).n, r.n)
  }
})

test('memory.fill is charged by its length: fuel used grows by length / FUEL_BYTES_PER_UNIT per operation', () => {
  const { db } = setup()
  const used = (bytes: number, times: number): number => 1_000_000_000 - db.call('t.fill_n', 1n, [BigInt(bytes), BigInt(times)]).fuelLeft
  const small = used(0, 10)
  const big = used(MiB, 10)
  assert.is(big - small, 10 * (MiB / FUEL_BYTES_PER_UNIT))
  assert.is(used(MiB, 10), big)
  // A small passive segment copied with memory.init stays cheap (16 bytes: 2 units).
  const { reached } = setup()
  assert.ok(reached('init', 20_000).n > 100n)
})

test('a log line is capped at LOG_LINE_BYTES_MAX with a marker, and a call logs at most LOG_LINES_PER_CALL_MAX lines', () => {
  const { db } = setup()
  db.call('t.log_n', 1n, [1n, BigInt(MiB)])
  assert.is(db.logs.length, 1)
  const line = db.logs[0] ?? ''
  assert.ok(line.length < LOG_LINE_BYTES_MAX + 100, `line of ${line.length}`)
  assert.match(line, /truncated/)
  assert.match(line, new RegExp(`${MiB} bytes`))
  db.logs.length = 0
  db.call('t.log_n', 1n, [BigInt(LOG_LINES_PER_CALL_MAX * 3), 10n])
  assert.is(db.logs.length, LOG_LINES_PER_CALL_MAX + 1)
  assert.match(db.logs[LOG_LINES_PER_CALL_MAX] ?? '', /dropped/)
  // A later call logs again.
  db.logs.length = 0
  db.call('t.log_n', 1n, [2n, 10n])
  assert.is(db.logs.length, 2)
})

test('an abort message is cut at ABORT_MESSAGE_BYTES_MAX with a marker (a 16 MiB message reached the client whole)', () => {
  const { db } = setup()
  expectCode(() => db.call('t.abort_n', 1n, [10n]), 'TXN_ABORTED', /^a{10}$/)
  const e = expectCode(() => db.call('t.abort_n', 1n, [BigInt(BIG - 2048)]), 'TXN_ABORTED', /truncated/)
  assert.ok(e.message.length < ABORT_MESSAGE_BYTES_MAX + 100, `message of ${e.message.length}`)
  assert.ok(e.message.startsWith('a'.repeat(ABORT_MESSAGE_BYTES_MAX)), 'the first bytes are kept')
  assert.match(e.message, new RegExp(`${BIG - 2048} bytes`))
})

test.run()
