import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { executionDeadline, TxnWallClockExceeded, withDeadline } from '../../src/schema/execution-deadline.js'
import type { FuelMeter } from '../../src/schema/function-runtime.js'
import { FUEL_SLICE_UNITS } from '../../src/wasm-exec/fuel-slice.js'
import { expectCode, newDb, runtime } from './setup.js'
import { abiModule } from './wat.js'

const module = abiModule(`
  (data (i32.const 0) "t.count")
  ;; Loops forever, writing the iteration count to column 1 each time round.
  (func (export "spin") (local $n i64)
    (loop $l
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (call $set_int (i32.const 1) (local.get $n))
      (br $l)))
  ;; Loops arg 0 times and returns the count.
  (func (export "count") (local $i i64) (local $k i64)
    (local.set $k (call $arg_int (i32.const 0)))
    (block $out (loop $l
      (br_if $out (i64.ge_s (local.get $i) (local.get $k)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (call $ret_int (local.get $i)))
  ;; Calls t.count(1, arg 0) and returns its result.
  (func $chain (export "chain")
    (call $call_begin (i32.const 0) (i32.const 7))
    (call $call_arg_int (i64.const 1))
    (call $call_arg_int (call $arg_int (i32.const 0)))
    (drop (call $call_invoke))
    (call $ret_int (call $result_int)))
  ;; The same, then spins: the caller keeps spending from the meter the callee left.
  (func (export "chain_then_spin") (local $n i64)
    (call $chain)
    (loop $l
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (call $set_int (i32.const 1) (local.get $n))
      (br $l)))
`)

function setup(fuel = 1_000_000) {
  const db = newDb()
  db.createTable('t', [['id', 'INTEGER'], ['n', 'INTEGER', 0n]])
  for (const f of ['spin', 'count', 'chain', 'chain_then_spin']) db.register(`t.${f}`, module, { fuel })
  const used = (f: string, ...args: bigint[]): number => fuel - db.call(`t.${f}`, 1n, args).fuelLeft
  /** Runs a function that must run out of fuel and returns how far it got (column n). */
  const reached = (f: string, fuelGiven: number, ...args: bigint[]): bigint => {
    db.put('t', [1n, 0n])
    expectCode(() => db.call(`t.${f}`, 1n, args, fuelGiven), 'OUT_OF_FUEL')
    return db.row('t', 1n)?.[1] as bigint
  }
  return { db, used, reached }
}

test('running out of fuel stops at the same point on every run', () => {
  const { reached } = setup()
  const first = reached('spin', 10_000)
  assert.ok(first > 100n, `reached ${first}`)
  for (let i = 0; i < 5; i++) assert.is(reached('spin', 10_000), first)
})

test('fuel is about one unit per instruction and proportional to the limit', () => {
  const { reached, used } = setup()
  const x = Number(reached('spin', 10_000))
  const x2 = Number(reached('spin', 20_000))
  const x4 = Number(reached('spin', 40_000))
  assert.ok(Math.abs(x2 - 2 * x) <= 2, `${x} vs ${x2}`)
  assert.ok(Math.abs(x4 - 4 * x) <= 4, `${x} vs ${x4}`)
  // The counting loop's body has ~8 instructions: fuel per iteration stays within a small factor of that.
  const perIteration = (used('count', 2000n) - used('count', 1000n)) / 1000
  assert.ok(perIteration >= 5 && perIteration <= 20, `per iteration ${perIteration}`)
})

test('consumption is exact and linear in the work done', () => {
  const { used } = setup()
  const a = used('count', 10n)
  const b = used('count', 20n)
  const c = used('count', 30n)
  assert.ok(a > 0)
  assert.is(c - b, b - a)
  assert.is(used('count', 20n), b)
})

test('a nested call spends from the same meter', () => {
  const { used, db } = setup()
  const chain10 = used('chain', 10n)
  const chain50 = used('chain', 50n)
  assert.is(chain50 - chain10, used('count', 50n) - used('count', 10n))
  assert.ok(chain10 > used('count', 10n))
  assert.is(db.call('t.chain', 1n, [7n]).value, 7n)
})

test('a callee that exhausts the shared fuel fails the whole chain; the caller resumes with what is left', () => {
  const { reached, db } = setup()
  expectCode(() => db.call('t.chain', 1n, [1_000_000n], 50_000), 'OUT_OF_FUEL')
  const afterSmall = reached('chain_then_spin', 50_000, 10n)
  const afterBig = reached('chain_then_spin', 50_000, 2_000n)
  assert.ok(afterBig < afterSmall, `${afterBig} < ${afterSmall}`)
})

test('the meter is written back: zero after running out, the remainder after success', () => {
  const { db } = setup()
  const f = db.functions.get('t.spin')
  if (f === undefined) throw new Error('no t.spin')
  const meter: FuelMeter = { remaining: 5_000 }
  expectCode(() => runtime.invoke(db.context(f, 1n, [], 1, meter), f.source), 'OUT_OF_FUEL')
  assert.is(meter.remaining, 0)
  const empty: FuelMeter = { remaining: 0 }
  expectCode(() => runtime.invoke(db.context(f, 1n, [], 1, empty), f.source), 'OUT_OF_FUEL')
  const g = db.functions.get('t.count')
  if (g === undefined) throw new Error('no t.count')
  const ok: FuelMeter = { remaining: 5_000 }
  runtime.invoke(db.context(g, 1n, [3n], 1, ok), g.source)
  assert.ok(ok.remaining > 0 && ok.remaining < 5_000)
})

test('fuel spent over many slices is exactly the single counter: same use, same stopping point', () => {
  const big = 20 * FUEL_SLICE_UNITS
  const { used, reached } = setup(big)
  // `count` costs base + n × per; the counts far beyond one slice must be exactly on that line.
  const base = 2 * used('count', 10n) - used('count', 20n)
  const per = (used('count', 20n) - used('count', 10n)) / 10
  for (const n of [300_000n, 1_234_567n]) {
    assert.ok(base + Number(n) * per > 2 * FUEL_SLICE_UNITS, 'spans several slices')
    assert.is(used('count', n), base + Number(n) * per, `count(${n})`)
  }
  // Running out after several refills stops where the proportion says (±1 iteration per limit).
  const x = Number(reached('spin', 10_000))
  const far = 5 * FUEL_SLICE_UNITS + 10_000
  assert.ok(Math.abs(Number(reached('spin', far)) - (far / 10_000) * x) <= far / 10_000, 'proportional across slices')
  assert.is(reached('spin', far), reached('spin', far), 'and the same on every run')
})

test('a passed deadline stops a guest at its next fuel slice, as TxnWallClockExceeded (no outcome); within one slice it is never looked at', () => {
  const { db } = setup(20 * FUEL_SLICE_UNITS)
  const stopped = (() => {
    try {
      withDeadline(0, () => {
        executionDeadline.atMs = 0
        db.call('t.count', 1n, [1_000_000n])
      })
    } catch (e) {
      return e
    }
    return null
  })()
  assert.instance(stopped, TxnWallClockExceeded)
  assert.match((stopped as Error).message, /t\.count.*TXN_WALL_MS_MAX/)
  assert.is(executionDeadline.atMs, Number.POSITIVE_INFINITY, 'the deadline is cleared after the transaction')
  // Under one slice: no refill, so no clock, even with the deadline passed.
  assert.is(withDeadline(0, () => {
    executionDeadline.atMs = 0
    return db.call('t.count', 1n, [1_000n]).value
  }), 1_000n)
  // And no deadline: the same long count finishes.
  assert.is(db.call('t.count', 1n, [1_000_000n]).value, 1_000_000n)
})

test.run()
