/**
 * A reused instance resets exactly what the previous invocation wrote (instance-pool.ts, written-range.ts):
 * after each write below, the next invocation on the same pooled instance (sequential calls take the
 * instance the last one released) must see the memory of a fresh instance, byte for byte. Each writer
 * returns its memory as it left it, so every test also checks that the write happened where it should
 * (a test that wrote nothing would prove nothing).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { SqlValue } from '../../src/values.js'
import { HOST_MODULE, RESET_EXPORT, WRITTEN_END_EXPORT, WRITTEN_START_EXPORT } from '../../src/wasm-exec/abi-signatures.js'
import { loadBinaryen } from '../../src/wasm-exec/binaryen.js'
import { instrument } from '../../src/wasm-exec/fuel.js'
import { inspectModule } from '../../src/wasm-exec/validate.js'
import { Wasm, type WasmGlobal } from '../../src/wasm-exec/wasm-api.js'
import { expectCode, newDb } from './setup.js'
import { SNAPSHOT_WAT, assertFresh, diffRange, freshMemory } from './memory-probe.js'
import { abiModule, wat } from './wat.js'

const MEMORY_BYTES = 65536
const KEY = 'key-0123456789'
const ROW_TEXT = 'row text value'
const E4 = '0xeeeeeeee'
const E8 = '0xeeeeeeeeeeeeeeee'
const VEC = `(v128.const i8x16 ${Array(16).fill('0xee').join(' ')})`

/** Every instruction that stores a value: [op, bytes written, value, lane index]. */
const STORES: [string, number, string, number?][] = [
  ['i32.store8', 1, `(i32.const ${E4})`], ['i32.store16', 2, `(i32.const ${E4})`], ['i32.store', 4, `(i32.const ${E4})`],
  ['i64.store8', 1, `(i64.const ${E8})`], ['i64.store16', 2, `(i64.const ${E8})`], ['i64.store32', 4, `(i64.const ${E8})`],
  ['i64.store', 8, `(i64.const ${E8})`], ['f32.store', 4, `(f32.reinterpret_i32 (i32.const ${E4}))`],
  ['f64.store', 8, `(f64.reinterpret_i64 (i64.const ${E8}))`], ['v128.store', 16, VEC],
  ['v128.store8_lane', 1, VEC, 15], ['v128.store16_lane', 2, VEC, 7], ['v128.store32_lane', 4, VEC, 3], ['v128.store64_lane', 8, VEC, 1],
]
/** Static offset of STORES[i]: its effective address is the pointer argument plus this. */
const storeOffset = (i: number): number => 3 + i

const at = (i: number): string => `(call $at (i32.const ${i}))`

const module = abiModule(`
  (data (i32.const 16) "\\a1\\a2\\a3\\a4\\a5\\a6\\a7\\a8")
  (data (i32.const 2000) "t.echo")
  (data (i32.const 65528) "\\b1\\b2\\b3\\b4\\b5\\b6\\b7\\b8")
  (data $p "\\c1\\c2\\c3\\c4\\c5\\c6\\c7\\c8\\c9\\ca\\cb\\cc\\cd\\ce\\cf\\d0")
  ${SNAPSHOT_WAT(MEMORY_BYTES)}
  ;; Argument i as an address.
  (func $at (param $i i32) (result i32) (i32.wrap_i64 (call $arg_int (local.get $i))))
  ${STORES.map(([op, , value, lane], i) => `(func (export "store_${i}") (${op} offset=${storeOffset(i)} ${lane ?? ''} ${at(0)} ${value}) (call $snapshot))`).join('\n')}
  (func (export "byte") (i32.store8 ${at(0)} (i32.const 0xee)) (call $snapshot))
  (func (export "ends") (i32.store8 (i32.const 0) (i32.const 0xee)) (i32.store8 (i32.const ${MEMORY_BYTES - 1}) (i32.const 0xee)) (call $snapshot))
  (func (export "poke") (i64.store ${at(0)} (i64.const -1)))
  (func (export "peek") (call $ret_int (i64.load ${at(0)})))
  (func (export "ptr_const") (i64.store offset=8 (i32.const 40000) (i64.const ${E8})) (call $snapshot))
  (func (export "ptr_local") (local $a i32)
    (local.set $a ${at(0)})
    (i64.store offset=8 (local.get $a) (i64.const ${E8}))
    (call $snapshot))
  (func (export "fill") (memory.fill ${at(0)} (i32.const 0xee) ${at(1)}) (call $snapshot))
  (func (export "copy") (memory.copy ${at(0)} (i32.const 16) (i32.const 8)) (call $snapshot))
  (func (export "init") (memory.init $p ${at(0)} (i32.const 0) (i32.const 16)) (call $snapshot))
  ;; Writes nested in the operands of writes: the outer write's range must survive the inner one's.
  (func (export "nested_fill")
    (memory.fill ${at(0)} (i32.const 0xee) (block (result i32) (memory.fill ${at(1)} (i32.const 0xdd) (i32.const 10)) (i32.const 20)))
    (call $snapshot))
  (func (export "nested_store")
    (i64.store ${at(0)} (block (result i64)
      (memory.copy ${at(1)} (i32.const 16) (block (result i32) (i32.store8 (i32.const 1000) (i32.const 0xee)) (i32.const 8)))
      (i64.const ${E8})))
    (call $snapshot))
  (func (export "get_read") (call $get_read (i32.const 1) ${at(0)}) (call $snapshot))
  (func (export "key_read") (call $key_read ${at(0)}) (call $snapshot))
  (func (export "arg_read") (call $arg_read (i32.const 1) ${at(0)}) (call $snapshot))
  (func (export "echo") (call $key_read (i32.const 3000)) (call $ret_text (i32.const 3000) (call $key_len)))
  (func (export "result_read")
    (call $call_begin (i32.const 2000) (i32.const 6))
    (call $call_arg_text (i32.const 2000) (i32.const 6))
    (drop (call $call_invoke))
    (call $result_read ${at(0)})
    (call $snapshot))
  (func $scatter
    (memory.fill (i32.const 60000) (i32.const 0xee) (i32.const 100))
    (i32.store8 (i32.const 0) (i32.const 0xee))
    (i64.store (i32.const 20) (i64.const -1))
    (call $key_read (i32.const 5000)))
  (func (export "scatter") (call $scatter) (call $snapshot))
  (func (export "scatter_then_trap") (call $scatter) unreachable)
  ;; An address past 2^32 (0xfffffff0 + 32): it traps, after the range was widened with its wrapped value.
  (func (export "scatter_then_wrapped_store") (call $scatter) (i64.store offset=32 (i32.const -16) (i64.const -1)))
  (func (export "scatter_then_oob_fill") (call $scatter) (memory.fill (i32.const 65000) (i32.const 0xee) (i32.const 1000)))
  (func (export "grow0") (call $scatter) (call $ret_int (i64.extend_i32_s (memory.grow (i32.const 0)))))
  ;; Writes byte after byte until it runs out of fuel, or past the end of memory.
  (func (export "fill_forever") (local $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 0xee))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
`)
const EXPORTS = [...STORES.map((_, i) => `store_${i}`), 'byte', 'ends', 'poke', 'peek', 'ptr_const', 'ptr_local', 'fill', 'copy', 'init', 'nested_fill',
  'nested_store', 'get_read', 'key_read', 'arg_read', 'echo', 'result_read', 'scatter', 'scatter_then_trap', 'scatter_then_wrapped_store',
  'scatter_then_oob_fill', 'fill_forever', 'dump']
const fresh = freshMemory(module)

function setup() {
  const db = newDb()
  db.createTable('t', [['id', 'TEXT'], ['s', 'TEXT']])
  for (const e of EXPORTS) db.register(`t.${e}`, module)
  db.put('t', [KEY, ROW_TEXT])
  /** Calls t.`fn` (a writer returning its memory), checks what it changed, then that the next invocation sees a fresh memory. */
  const writes = (fn: string, args: SqlValue[], changed: [number, number] | undefined): void => {
    const after = db.call(`t.${fn}`, KEY, args).value
    assert.ok(after instanceof Uint8Array, `${fn} returned ${String(after)}`)
    assert.equal(diffRange(after, fresh), changed, `${fn}(${args.join(', ')}) changed other bytes than expected`)
    assertFresh(db, 't.dump', KEY, fresh, `${fn}(${args.join(', ')})`)
  }
  return { db, writes }
}

test('a write at a high address reads back as zero in the next invocation', () => {
  const { db } = setup()
  for (const addr of [65000n, 40000n, 65528n]) {
    db.call('t.poke', KEY, [addr])
    const expected = addr === 65528n ? 0xb8b7b6b5b4b3b2b1n - 2n ** 64n : 0n // the last 8 bytes are a data segment
    assert.is(db.call('t.peek', KEY, [addr]).value, expected, `address ${addr}`)
  }
})

for (const [i, [op, bytes]] of STORES.entries()) {
  test(`${op} (${bytes} bytes, static offset) is reset: low, high, and at the end of memory over a data segment`, () => {
    const { writes } = setup()
    const off = storeOffset(i)
    for (const addr of [100, 40000, MEMORY_BYTES - bytes]) writes(`store_${i}`, [BigInt(addr - off)], [addr, addr + bytes])
  })
}

test('the lowest address (0) and the last byte of memory', () => {
  const { writes } = setup()
  writes('byte', [0n], [0, 1])
  writes('byte', [BigInt(MEMORY_BYTES - 1)], [MEMORY_BYTES - 1, MEMORY_BYTES]) // the last byte of a data segment
  writes('ends', [], [0, MEMORY_BYTES])
})

test('a write over part of a data segment sees the segment\'s bytes again next time', () => {
  const { writes } = setup()
  const store64 = STORES.findIndex(([op]) => op === 'i64.store')
  writes(`store_${store64}`, [BigInt(12 - storeOffset(store64))], [12, 20]) // [12, 20) over the segment at [16, 24)
  writes('fill', [20n, 10n], [20, 30])
  writes('fill', [10n, 100n], [10, 110])
})

test('constant and local pointers', () => {
  const { writes } = setup()
  writes('ptr_const', [], [40008, 40016])
  writes('ptr_local', [0n], [8, 16])
  writes('ptr_local', [BigInt(MEMORY_BYTES - 16)], [MEMORY_BYTES - 8, MEMORY_BYTES])
})

test('memory.fill, memory.copy and memory.init (destination) are reset', () => {
  const { writes } = setup()
  writes('fill', [30000n, 5000n], [30000, 35000])
  writes('fill', [0n, BigInt(MEMORY_BYTES)], [0, MEMORY_BYTES])
  writes('fill', [BigInt(MEMORY_BYTES), 0n], undefined)
  writes('copy', [50000n], [50000, 50008])
  writes('copy', [0n], [0, 8])
  writes('init', [100n], [100, 116])
  writes('init', [BigInt(MEMORY_BYTES - 16)], [MEMORY_BYTES - 16, MEMORY_BYTES]) // over the last data segment
})

test('writes nested in the operands of writes are each reset', () => {
  const { writes } = setup()
  writes('nested_fill', [50000n, 100n], [100, 50020])
  writes('nested_fill', [100n, 50000n], [100, 50010])
  writes('nested_store', [60000n, 500n], [500, 60008])
})

test('host writes are reset: get_read, key_read, arg_read, result_read', () => {
  const { writes } = setup()
  const n = (s: string): number => new TextEncoder().encode(s).length
  writes('get_read', [40000n], [40000, 40000 + n(ROW_TEXT)])
  writes('key_read', [BigInt(MEMORY_BYTES - n(KEY))], [MEMORY_BYTES - n(KEY), MEMORY_BYTES])
  writes('key_read', [0n], [0, n(KEY)])
  writes('arg_read', [30000n, 'an argument, copied in'], [30000, 30000 + n('an argument, copied in')])
  writes('result_read', [50000n], [50000, 50000 + n('t.echo')])
})

test('a module whose only writes are host writes', () => {
  const db = newDb()
  db.createTable('t', [['id', 'TEXT']])
  const hostOnly = abiModule(`${SNAPSHOT_WAT(MEMORY_BYTES)} (data (i32.const 65530) "\\01\\02") (func (export "f") (call $key_read (i32.const 65520)) (call $snapshot))`)
  db.register('t.f', hostOnly)
  db.register('t.dump', hostOnly)
  const initial = freshMemory(hostOnly)
  for (let i = 0; i < 2; i++) {
    assert.equal(diffRange(db.call('t.f', KEY).value as Uint8Array, initial), [65520, 65534])
    assertFresh(db, 't.dump', KEY, initial, 'key_read')
  }
})

test('an invocation that traps mid-way still leaves the next one fresh', () => {
  const { db, writes } = setup()
  writes('scatter', [], [0, 60100]) // what the trapping ones below write before they trap
  expectCode(() => db.call('t.scatter_then_trap', KEY), 'WASM_TRAP', /unreachable/)
  assertFresh(db, 't.dump', KEY, fresh, 'a trap')
  expectCode(() => db.call('t.scatter_then_wrapped_store', KEY), 'WASM_TRAP', /out of bounds/)
  assertFresh(db, 't.dump', KEY, fresh, 'a store past 2^32')
  expectCode(() => db.call('t.scatter_then_oob_fill', KEY), 'WASM_TRAP', /out of bounds/)
  assertFresh(db, 't.dump', KEY, fresh, 'a memory.fill out of bounds')
  expectCode(() => db.call('t.fill_forever', KEY, [], 20_000), 'OUT_OF_FUEL')
  assertFresh(db, 't.dump', KEY, fresh, 'running out of fuel while writing')
  expectCode(() => db.call('t.fill_forever', KEY, [], 10_000_000), 'WASM_TRAP', /out of bounds/)
  assertFresh(db, 't.dump', KEY, fresh, 'writing every byte, then past the end')
})

test('memory.grow by 0 pages (V8 detaches the buffer, the size stays) after writes', () => {
  const { db } = setup()
  db.register('t.grow0', module)
  assert.is(db.call('t.grow0', KEY).value, 1n)
  assertFresh(db, 't.dump', KEY, fresh, 'memory.grow 0')
})

test('an instance whose memory grew from 0 pages is not reused (its detached view is as empty as the initial one)', () => {
  const db = newDb()
  db.createTable('t', [['id', 'TEXT']])
  const zero = abiModule(`
    (func (export "grow") (drop (memory.grow (i32.const 1))) (i32.store (i32.const 0) (i32.const -1)) (call $ret_int (i64.extend_i32_u (memory.size))))
    (func (export "size") (call $ret_int (i64.extend_i32_u (memory.size))))`, '(memory (export "memory") 0 2)')
  db.register('t.grow', zero)
  db.register('t.size', zero)
  for (let i = 0; i < 2; i++) {
    assert.is(db.call('t.grow', KEY).value, 1n)
    assert.is(db.call('t.size', KEY).value, 0n)
  }
})

test('a module using data.drop (a new instance per invocation over a pooled memory) starts fresh', () => {
  const db = newDb()
  db.createTable('t', [['id', 'TEXT']])
  const dropping = abiModule(`
    (data (i32.const 16) "\\a1\\a2\\a3\\a4\\a5\\a6\\a7\\a8")
    (data $p "\\c1\\c2\\c3\\c4")
    ${SNAPSHOT_WAT(MEMORY_BYTES)}
    (func (export "f")
      (memory.init $p (i32.const 100) (i32.const 0) (i32.const 4))
      (data.drop $p)
      (i64.store (i32.const 12) (i64.const -1))
      (call $key_read (i32.const 65520))
      (call $snapshot))`)
  db.register('t.f', dropping)
  db.register('t.dump', dropping)
  const initial = freshMemory(dropping)
  for (let i = 0; i < 3; i++) {
    assert.equal(diffRange(db.call('t.f', KEY).value as Uint8Array, initial), [12, 65534])
    assertFresh(db, 't.dump', KEY, initial, 'memory.init, data.drop, a store and key_read')
  }
})

test('the range globals hold [lowest, highest + 1) of what was written, and __acheron_reset empties them', async () => {
  const b = await loadBinaryen()
  const { module: m, facts } = inspectModule(b, wat(`(module (memory (export "memory") 1 1)
    (func (export "f") (i64.store offset=2 (i32.const 98) (i64.const 1)) (i32.store8 (i32.const 200) (i32.const 1)))
    (func (export "g") (memory.fill (i32.const 5) (i32.const 1) (i32.const 3)))
    (func (export "none")))`))
  let bytes: Uint8Array
  try {
    bytes = instrument(b, m, facts).bytes
  } finally {
    m.dispose()
  }
  const memory = new Wasm.Memory({ initial: 1, maximum: 1 })
  const exports = new Wasm.Instance(new Wasm.Module(bytes), { [HOST_MODULE]: { memory, fuel_refill: () => {} } }).exports
  const range = (): [number, number] => [
    ((exports[WRITTEN_START_EXPORT] as WasmGlobal).value as number) >>> 0, ((exports[WRITTEN_END_EXPORT] as WasmGlobal).value as number) >>> 0,
  ]
  const fuel = exports.__acheron_fuel as WasmGlobal
  const run = (name: string): void => {
    fuel.value = 1_000_000n
    ;(exports[name] as () => void)()
  }
  const reset = exports[RESET_EXPORT] as () => void
  assert.equal(range(), [0xffffffff, 0], 'initially empty')
  run('none')
  assert.equal(range(), [0xffffffff, 0], 'a function that writes nothing')
  run('f')
  assert.equal(range(), [100, 201])
  run('g')
  assert.equal(range(), [5, 201], 'widened, not replaced')
  reset()
  assert.equal(range(), [0xffffffff, 0], 'after __acheron_reset')
})

test.run()
