/**
 * What the memory-reset tests compare against: the memory of a freshly instantiated, uninstrumented module
 * (V8 applies its data segments), and the guest's memory as an invocation sees it (`dump`).
 */
import * as assert from 'uvu/assert'
import type { SqlValue } from '../../src/values.js'
import { Wasm } from '../../src/wasm-exec/wasm-api.js'
import type { FakeDb } from './fake-context.js'

/** The memory of a guest with `(func $snapshot)`: returns its whole memory as a BLOB (reading it writes nothing). */
export const SNAPSHOT_WAT = (memoryBytes: number): string => `
  (func $snapshot (call $ret_blob (i32.const 0) (i32.const ${memoryBytes})))
  (func (export "dump") (call $snapshot))`

/** The memory of a new instance of `bytes` as its author wrote it (imports stubbed: no start function runs them). */
export function freshMemory(bytes: Uint8Array): Uint8Array {
  const module = new Wasm.Module(bytes)
  const imports: Record<string, Record<string, unknown>> = {}
  for (const imp of Wasm.Module.imports(module)) (imports[imp.module] ??= {})[imp.name] = () => { throw new Error(`stub ${imp.name} called`) }
  const memory = new Wasm.Instance(module, imports).exports.memory as { buffer: ArrayBuffer }
  return new Uint8Array(memory.buffer).slice()
}

/** [first, last + 1) of the offsets where `a` and `b` differ, or undefined when they are equal. */
export function diffRange(a: Uint8Array, b: Uint8Array): [number, number] | undefined {
  if (a.length !== b.length) return [Math.min(a.length, b.length), Math.max(a.length, b.length)]
  let first = -1
  let last = -1
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue
    if (first < 0) first = i
    last = i
  }
  return first < 0 ? undefined : [first, last + 1]
}

/** Asserts that the next invocation of `<table>.dump` sees exactly `fresh`. */
export function assertFresh(db: FakeDb, dumpFn: string, key: SqlValue, fresh: Uint8Array, after: string): void {
  const now = db.call(dumpFn, key).value
  assert.ok(now instanceof Uint8Array, `${dumpFn} returned ${String(now)}`)
  const d = diffRange(now, fresh)
  assert.is(d, undefined, `after ${after}, the next invocation saw bytes [${d?.join(', ')}) differ from a fresh instance`)
}
