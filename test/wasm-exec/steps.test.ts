// The WebAssembly step-program interpreter (guest/assemblyscript/examples/steps.ts) and its encoding
// (src/testing/steps.ts): each step kind, the exact result text, and a differential check
// against the JS test runtime's `run` over the fake context.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import type { SqlValue } from '../../src/values.js'
import { createRuntime as createJsRuntime, type Step } from '../support/js-runtime.js'
import { encodeSteps } from '../../src/testing/steps.js'
import { FakeDb } from './fake-context.js'
import { expectCode, guest, newDb } from './setup.js'

const FUEL = 100_000_000

function stepsDb(db: FakeDb = newDb(), bytes: Uint8Array = guest('steps')): FakeDb {
  for (const t of ['kv', 'kw']) {
    db.createTable(t, [['k', 'INTEGER'], ['v', 'INTEGER', 0n, true], ['log', 'TEXT', '', true]])
    db.register(`${t}.run`, bytes, { fuel: FUEL })
  }
  return db
}

function jsDb(): FakeDb {
  return stepsDb(new FakeDb(createJsRuntime()), new Uint8Array(0))
}

/** Runs a program through the wasm interpreter; returns the result text. */
function run(db: FakeDb, steps: Step[], key = 1n, fn = 'kv.run'): SqlValue {
  return db.call(fn, key, [encodeSteps(steps)]).value
}

test('encoding: one token per step, calls carry their program length-prefixed', () => {
  assert.is(encodeSteps([{ op: 'read' }, { op: 'write', value: -5 }, { op: 'incr', by: 3 }, { op: 'append', item: 'a;b' }]), 'rw-5;i3;a3:a;b')
  assert.is(encodeSteps([{ op: 'abortIf', gt: 0 }, { op: 'delete' }, { op: 'spin', units: 30 }]), 'x0;ds30;')
  assert.is(
    encodeSteps([{ op: 'call', fn: 'kw.run', key: 7, steps: [{ op: 'read' }, { op: 'call', fn: 'kv.run', key: -1, steps: [{ op: 'delete' }] }] }]),
    'c6:kw.run7;16:rc6:kv.run-1;1:d',
  )
  assert.is(encodeSteps([]), '')
  assert.throws(() => encodeSteps([{ op: 'write', value: 1.5 }]), /safe integer/)
})

test('read: null for an absent row, ["v","log"] for a present one', () => {
  const db = stepsDb()
  assert.is(run(db, [{ op: 'read' }]), '[null]')
  assert.is(db.row('kv', 1n), undefined, 'a read creates nothing')
  db.put('kv', [1n, 42n, 'a,b'])
  assert.is(run(db, [{ op: 'read' }, { op: 'read' }]), '[["42","a,b"],["42","a,b"]]')
  assert.is(run(db, []), '[]')
  assert.is(run(db, [{ op: 'write', value: 1 }]), '[]', 'steps that produce nothing leave an empty list')
})

test('write, incr, append and delete change the row as the JS runtime does', () => {
  const db = stepsDb()
  assert.is(run(db, [{ op: 'incr', by: 3 }, { op: 'read' }]), '[["3",""]]', 'incr of an absent row starts from 0')
  assert.equal(db.row('kv', 1n), [1n, 3n, ''])
  assert.is(run(db, [{ op: 'write', value: -7 }, { op: 'incr', by: -2 }, { op: 'read' }]), '[["-9",""]]')
  assert.is(run(db, [{ op: 'append', item: 'a' }, { op: 'append', item: 'b' }, { op: 'read' }]), '[["-9","a,b"]]')
  assert.is(run(db, [{ op: 'delete' }, { op: 'read' }, { op: 'append', item: 'c' }, { op: 'read' }]), '[null,["0","c"]]')
  assert.equal(db.row('kv', 1n), [1n, 0n, 'c'])
  assert.is(run(db, [{ op: 'delete' }]), '[]')
  assert.is(db.row('kv', 1n), undefined)
  assert.is(run(db, [{ op: 'write', value: 9_007_199_254_740_991 }, { op: 'read' }], 2n), '[["9007199254740991",""]]')
})

test('log items are escaped exactly as JSON.stringify escapes them', () => {
  const items = ['"', '\\', 'q"uo\\te', '\n\r\t\b\f', '\u0000\u0001\u001f', '\u007f', 'é', '€', '😀', '\u2028', '</script>', ',']
  const db = stepsDb()
  for (const item of items) run(db, [{ op: 'append', item }])
  const log = items.join(',')
  assert.is(run(db, [{ op: 'read' }]), JSON.stringify([['0', log]]))
})

test('call: pushes the callee result as a JSON string, nested and escaped', () => {
  const db = stepsDb()
  db.put('kw', [5n, 2n, 'x"y'])
  const program: Step[] = [
    { op: 'incr', by: 1 },
    { op: 'call', fn: 'kw.run', key: 5, steps: [{ op: 'read' }, { op: 'call', fn: 'kv.run', key: 1, steps: [{ op: 'read' }] }] },
    { op: 'read' },
  ]
  const inner = JSON.stringify([['1', '']])
  const middle = JSON.stringify([['2', 'x"y'], inner])
  assert.is(run(db, program), JSON.stringify([middle, ['1', '']]))
  assert.equal(db.calls.map((c) => [c.name, c.key, c.depth]), [['kv.run', 1n, 1], ['kw.run', 5n, 2], ['kv.run', 1n, 3]])
  assert.is(db.calls[1]?.args[0], 'rc6:kv.run1;1:r', 'the callee receives its program encoded')
})

test('abortIf: TXN_ABORTED with the JS runtime message when v > gt, nothing otherwise', () => {
  const db = stepsDb()
  assert.is(run(db, [{ op: 'write', value: 5 }, { op: 'abortIf', gt: 5 }, { op: 'read' }], 3n), '[["5",""]]')
  expectCode(() => run(db, [{ op: 'abortIf', gt: 4 }, { op: 'write', value: 100 }], 3n), 'TXN_ABORTED', /^v > 4 at 3$/)
  assert.equal(db.row('kv', 3n), [3n, 5n, ''], 'the steps after the abort did not run')
  expectCode(() => run(db, [{ op: 'abortIf', gt: -1 }], 8n), 'TXN_ABORTED', /^v > -1 at 8$/) // absent row: v is 0
  expectCode(() => run(db, [{ op: 'call', fn: 'kv.run', key: 3, steps: [{ op: 'abortIf', gt: 0 }] }], 1n, 'kw.run'), 'TXN_ABORTED', /^v > 0 at 3$/)
})

test('a call to an unknown function fails with UNKNOWN_FUNCTION from the engine', () => {
  const db = stepsDb()
  expectCode(() => run(db, [{ op: 'call', fn: 'kx.run', key: 1, steps: [{ op: 'read' }] }]), 'UNKNOWN_FUNCTION', /kx\.run/)
  expectCode(() => run(db, [{ op: 'call', fn: 'kw.run', key: 1, steps: [{ op: 'call', fn: 'kv.nope', key: 2, steps: [] }] }]), 'UNKNOWN_FUNCTION')
})

test('spin: burns fuel in proportion to its units and changes nothing', () => {
  const db = stepsDb()
  db.put('kv', [1n, 7n, 'a'])
  const used = (units: number) => FUEL - db.call('kv.run', 1n, [encodeSteps([{ op: 'spin', units }])], FUEL).fuelLeft
  const u0 = used(0)
  const u100 = used(100)
  const u1000 = used(1000)
  assert.ok(u100 > u0 && u1000 - u0 >= 9 * (u100 - u0), `fuel used: ${u0}, ${u100}, ${u1000}`)
  assert.equal(db.row('kv', 1n), [1n, 7n, 'a'])
  expectCode(() => db.call('kv.run', 1n, [encodeSteps([{ op: 'spin', units: 1_000_000 }])], 100_000), 'OUT_OF_FUEL')
})

test('a malformed program aborts the transaction instead of guessing', () => {
  const db = stepsDb()
  for (const bad of ['q', 'w5', 'w;', 'wx;', 'a9:ab', 'c6:kv.run1;']) {
    expectCode(() => db.call('kv.run', 1n, [bad]), 'TXN_ABORTED', /malformed step program/)
  }
})

// ---- differential: the wasm interpreter against the JS runtime, same programs, same starting rows ----

const fnArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('kv.run', 'kw.run') }, { weight: 1, arbitrary: fc.constant('kx.run') })
const keyArb = fc.integer({ min: -2, max: 4 })
const leafArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ op: 'read' as const }),
  fc.integer({ min: -1000, max: 1000 }).map((value) => ({ op: 'write' as const, value })),
  fc.integer({ min: -5, max: 9 }).map((by) => ({ op: 'incr' as const, by })),
  fc.oneof(fc.constantFrom('a', 'b', '"', '\\'), fc.string({ unit: 'binary', maxLength: 4 })).map((item) => ({ op: 'append' as const, item })),
  fc.integer({ min: -5, max: 40 }).map((gt) => ({ op: 'abortIf' as const, gt })),
  fc.constant({ op: 'delete' as const }),
  fc.integer({ min: 0, max: 50 }).map((units) => ({ op: 'spin' as const, units })),
)
const programArb: fc.Arbitrary<Step[]> = fc.letrec<{ steps: Step[]; step: Step }>((tie) => ({
  step: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, leafArb, fc.record({ op: fc.constant('call' as const), fn: fnArb, key: keyArb, steps: tie('steps') })),
  steps: fc.array(tie('step'), { maxLength: 6 }),
})).steps

function outcome(db: FakeDb, fn: string, key: bigint, arg: string): unknown {
  try {
    return { value: db.call(fn, key, [arg]).value }
  } catch (e) {
    if (e instanceof AcheronError) return { code: e.code, message: e.message }
    throw e
  }
}

test('differential: the wasm interpreter returns what the JS runtime returns and leaves the same rows', async () => {
  const wasmBytes = guest('steps')
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('kv.run', 'kw.run'), keyArb, programArb), { minLength: 1, maxLength: 8 }), async (calls) => {
      const js = jsDb()
      const wasm = stepsDb(newDb(), wasmBytes)
      for (const [fn, key, steps] of calls) {
        const expected = outcome(js, fn, BigInt(key), JSON.stringify(steps))
        const got = outcome(wasm, fn, BigInt(key), encodeSteps(steps))
        assert.equal(got, expected, `${fn}(${key}) ${JSON.stringify(steps)}`)
        for (const t of ['kv', 'kw']) {
          assert.equal([...(wasm.tables.get(t)?.rows ?? [])], [...(js.tables.get(t)?.rows ?? [])], `rows of ${t}`)
        }
      }
    }),
    { numRuns: 300 },
  )
})

test.run()
