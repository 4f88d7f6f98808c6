/**
 * Randomized: a generated guest runs random sequences of writes (every store width and lane store, with
 * constant, local and computed pointers and static offsets; memory.fill/copy/init; arg_read and key_read;
 * writes nested in the operands of writes), over several invocations on one pooled instance, some ending in
 * a trap. After each invocation the next one must see a fresh instance's memory, byte for byte (the oracle
 * is V8 instantiating the uninstrumented module). Each invocation that does not trap also returns its
 * memory, which must equal a model of its writes, so that the writes provably happened where generated.
 * Some guests also contain a data.drop, which takes the other path (a new instance per invocation over a
 * pooled memory). fast-check prints the seed and the shrunk guest of a failure.
 */
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { SNAPSHOT_WAT, assertFresh, diffRange, freshMemory } from './memory-probe.js'
import { newDb } from './setup.js'
import { abiModule } from './wat.js'

const MEMORY_BYTES = 65536
const RUNS = 150

interface StoreKind { readonly op: string; readonly type: string; readonly bytes: number; readonly lane: boolean }
const scalar = (op: string, type: string, bytes: number): StoreKind => ({ op, type, bytes, lane: false })
const lane = (bits: number): StoreKind => ({ op: `v128.store${bits}_lane`, type: 'v128', bytes: bits / 8, lane: true })
const STORES: StoreKind[] = [
  scalar('i32.store8', 'i32', 1), scalar('i32.store16', 'i32', 2), scalar('i32.store', 'i32', 4),
  scalar('i64.store8', 'i64', 1), scalar('i64.store16', 'i64', 2), scalar('i64.store32', 'i64', 4), scalar('i64.store', 'i64', 8),
  scalar('f32.store', 'f32', 4), scalar('f64.store', 'f64', 8), scalar('v128.store', 'v128', 16),
  lane(8), lane(16), lane(32), lane(64),
]

type Ptr = 'const' | 'local' | 'computed'
type Op =
  | { kind: 'store'; store: number; addr: number; offset: number; ptr: Ptr; value: number[]; lane: number; nested: Op | null }
  | { kind: 'fill'; dest: number; byte: number; len: number; nested: Op | null }
  | { kind: 'copy'; dest: number; src: number; len: number; nested: Op | null }
  | { kind: 'init'; dest: number; offset: number; len: number; nested: Op | null }
  | { kind: 'arg_read'; dest: number }
  | { kind: 'key_read'; dest: number }
type Trap = 'unreachable' | 'oob_store' | 'wrapped_store' | 'oob_fill'
interface Invocation { readonly ops: Op[]; readonly trap: Trap | null; readonly arg: Uint8Array }
interface Guest {
  readonly segments: { offset: number; data: Uint8Array }[]
  readonly passive: Uint8Array
  readonly dataDrop: boolean
  readonly key: string
  readonly invocations: Invocation[]
}

// Raw numbers are generated freely and fitted into bounds when the guest is resolved (`fit`), so that
// shrinking stays simple: low addresses, anywhere, and the last bytes of memory all come up often.
const addrArb = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: MEMORY_BYTES - 1 }), fc.integer({ min: MEMORY_BYTES - 64, max: MEMORY_BYTES - 1 }))
const lenArb = fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 4096 }))
const byteArb = fc.integer({ min: 0, max: 255 })

function opArb(nested: fc.Arbitrary<Op | null>): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({
      kind: fc.constant('store' as const), store: fc.integer({ min: 0, max: STORES.length - 1 }), addr: addrArb,
      offset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: MEMORY_BYTES - 1 })),
      ptr: fc.constantFrom<Ptr>('const', 'local', 'computed'), value: fc.array(byteArb, { minLength: 16, maxLength: 16 }),
      lane: fc.nat(15), nested,
    }) },
    fc.record({ kind: fc.constant('fill' as const), dest: addrArb, byte: byteArb, len: lenArb, nested }),
    fc.record({ kind: fc.constant('copy' as const), dest: addrArb, src: addrArb, len: lenArb, nested }),
    fc.record({ kind: fc.constant('init' as const), dest: addrArb, offset: fc.nat(64), len: fc.nat(64), nested }),
    fc.record({ kind: fc.constant('arg_read' as const), dest: addrArb }),
    fc.record({ kind: fc.constant('key_read' as const), dest: addrArb }),
  )
}
const maybe = (arb: fc.Arbitrary<Op>): fc.Arbitrary<Op | null> => fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })
// Up to three levels: a write in an operand of a write in an operand of a write.
const opsArb = fc.array(opArb(maybe(opArb(maybe(opArb(fc.constant(null)))))), { maxLength: 10 })

const guestArb: fc.Arbitrary<Guest> = fc.record({
  segments: fc.array(fc.record({ offset: addrArb, data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), { maxLength: 4 }),
  passive: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  dataDrop: fc.boolean(),
  key: fc.array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 40 }).map((c) => String.fromCharCode(...c)),
  invocations: fc.array(fc.record({
    ops: opsArb,
    trap: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom<Trap>('unreachable', 'oob_store', 'wrapped_store', 'oob_fill') }),
    arg: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }), { minLength: 1, maxLength: 6 }),
})

/** Fits `at` so that [at, at + len) lies in memory. */
const fit = (at: number, len: number): number => Math.min(at, MEMORY_BYTES - len)

/** The guest with every op fitted into bounds (an op in bounds does not trap). */
function resolve(g: Guest): Guest {
  const keyBytes = g.key.length
  const op = (o: Op | null, argBytes: number): Op | null => {
    if (o === null) return null
    switch (o.kind) {
      case 'store': {
        const k = STORES[o.store]!
        const addr = fit(o.addr, k.bytes)
        return { ...o, addr, offset: o.offset % (addr + 1), lane: k.lane ? o.lane % (16 / k.bytes) : 0, nested: op(o.nested, argBytes) }
      }
      case 'fill': return { ...o, dest: fit(o.dest, o.len), nested: op(o.nested, argBytes) }
      case 'copy': return { ...o, dest: fit(o.dest, o.len), src: fit(o.src, o.len), nested: op(o.nested, argBytes) }
      case 'init': {
        const offset = o.offset % (g.passive.length + 1)
        const len = o.len % (g.passive.length - offset + 1)
        return { ...o, offset, len, dest: fit(o.dest, len), nested: op(o.nested, argBytes) }
      }
      case 'arg_read': return { ...o, dest: fit(o.dest, argBytes) }
      case 'key_read': return { ...o, dest: fit(o.dest, keyBytes) }
    }
  }
  return {
    ...g,
    segments: g.segments.map((s) => ({ ...s, offset: fit(s.offset, s.data.length) })),
    invocations: g.invocations.map((inv) => ({ ...inv, ops: inv.ops.map((o) => op(o, inv.arg.length)!) })),
  }
}

const hexString = (bytes: Iterable<number>): string => `"${[...bytes].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('')}"`
const littleEndian = (bytes: number[], n: number): bigint => bytes.slice(0, n).reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n)

function storeValue(k: StoreKind, v: number[]): string {
  switch (k.type) {
    case 'i32': return `(i32.const ${littleEndian(v, 4)})`
    case 'i64': return `(i64.const ${littleEndian(v, 8)})`
    case 'f32': return `(f32.reinterpret_i32 (i32.const ${littleEndian(v, 4)}))` // bit-exact, unlike a float constant's NaN
    case 'f64': return `(f64.reinterpret_i64 (i64.const ${littleEndian(v, 8)}))`
    default: return `(v128.const i8x16 ${v.join(' ')})`
  }
}

/** WAT statements running `o` (its nested write runs inside its last-but-one or last operand, before it writes). */
function emit(o: Op): string {
  const inner = (type: string, value: string, nested: Op | null): string => (nested === null ? value : `(block (result ${type}) ${emit(nested)} ${value})`)
  switch (o.kind) {
    case 'store': {
      const k = STORES[o.store]!
      const p = o.addr - o.offset
      const half = Math.floor(p / 2)
      const ptr = o.ptr === 'const' ? `(i32.const ${p})` : o.ptr === 'local' ? '(local.get $a)' : `(i32.add (i32.const ${half}) (i32.const ${p - half}))`
      const set = o.ptr === 'local' ? `(local.set $a (i32.const ${p}))` : ''
      return `${set} (${k.op} offset=${o.offset} ${k.lane ? o.lane : ''} ${ptr} ${inner(k.type, storeValue(k, o.value), o.nested)})`
    }
    case 'fill': return `(memory.fill (i32.const ${o.dest}) ${inner('i32', `(i32.const ${o.byte})`, o.nested)} (i32.const ${o.len}))`
    case 'copy': return `(memory.copy (i32.const ${o.dest}) (i32.const ${o.src}) ${inner('i32', `(i32.const ${o.len})`, o.nested)})`
    case 'init': return `(memory.init $p (i32.const ${o.dest}) (i32.const ${o.offset}) ${inner('i32', `(i32.const ${o.len})`, o.nested)})`
    case 'arg_read': return `(call $arg_read (i32.const 0) (i32.const ${o.dest}))`
    case 'key_read': return `(call $key_read (i32.const ${o.dest}))`
  }
}

const TRAPS: Record<Trap, string> = {
  unreachable: 'unreachable',
  oob_store: `(i32.store (i32.const ${MEMORY_BYTES - 2}) (i32.const -1))`,
  wrapped_store: '(i64.store offset=32 (i32.const -16) (i64.const -1))', // 0xfffffff0 + 32: past 2^32
  oob_fill: `(memory.fill (i32.const ${MEMORY_BYTES - 1000}) (i32.const 255) (i32.const 1001))`,
}

function moduleOf(g: Guest): Uint8Array {
  return abiModule(`
    ${g.segments.map((s) => `(data (i32.const ${s.offset}) ${hexString(s.data)})`).join('\n')}
    (data $p ${hexString(g.passive)})
    ${SNAPSHOT_WAT(MEMORY_BYTES)}
    ${g.invocations.map((inv, j) => `(func (export "inv${j}") (local $a i32) ${inv.ops.map(emit).join(' ')} ${inv.trap === null ? '(call $snapshot)' : TRAPS[inv.trap]})`).join('\n')}
    ${g.dataDrop ? '(func $never_called (data.drop $p))' : ''}`)
}

/** What `o` does to `mem` (its nested write first: it runs inside an operand). */
function apply(mem: Uint8Array, o: Op, g: Guest, arg: Uint8Array): void {
  if ('nested' in o && o.nested !== null) apply(mem, o.nested, g, arg)
  switch (o.kind) {
    case 'store': {
      const k = STORES[o.store]!
      const from = o.lane * k.bytes
      mem.set(o.value.slice(from, from + k.bytes), o.addr)
      return
    }
    case 'fill': mem.fill(o.byte, o.dest, o.dest + o.len); return
    case 'copy': mem.copyWithin(o.dest, o.src, o.src + o.len); return
    case 'init': mem.set(g.passive.subarray(o.offset, o.offset + o.len), o.dest); return
    case 'arg_read': mem.set(arg, o.dest); return
    case 'key_read': mem.set(new TextEncoder().encode(g.key), o.dest)
  }
}

function check(raw: Guest): void {
  const g = resolve(raw)
  const bytes = moduleOf(g)
  const fresh = freshMemory(bytes)
  const db = newDb()
  db.createTable('t', [['id', 'TEXT']])
  g.invocations.forEach((_, j) => db.register(`t.inv${j}`, bytes))
  db.register('t.dump', bytes)
  assertFresh(db, 't.dump', g.key, fresh, 'nothing')
  g.invocations.forEach((inv, j) => {
    if (inv.trap !== null) {
      let code: string | undefined
      try {
        db.call(`t.inv${j}`, g.key, [inv.arg])
      } catch (e) {
        code = e instanceof AcheronError ? e.code : String(e)
      }
      assert.is(code, 'WASM_TRAP', `invocation ${j} ends in ${inv.trap}`)
    } else {
      const model = fresh.slice()
      for (const o of inv.ops) apply(model, o, g, inv.arg)
      const after = db.call(`t.inv${j}`, g.key, [inv.arg]).value as Uint8Array
      const d = diffRange(after, model)
      assert.is(d, undefined, `invocation ${j} left bytes [${d?.join(', ')}) other than its writes would`)
    }
    assertFresh(db, 't.dump', g.key, fresh, `invocation ${j}`)
  })
}

test('after random writes (stores, lane stores, fill, copy, init, host writes, nested, traps), the next invocation sees a fresh memory', () => {
  fc.assert(fc.property(guestArb, check), { numRuns: RUNS })
})

test.run()
