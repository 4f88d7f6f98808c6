// acheron fn build names the exported functions it cannot register: `export function f(x: i32): void`
// is a newcomer's first function, and the build listed the others (or "no functions") without a word on f.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { uncallableExportsNote } from '../../src/fnkit/check-module.js'

/** WebAssembly.validate (the project's TypeScript libs have no WebAssembly types). */
const validWasm = (bytes: Uint8Array): boolean => (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(bytes)

/** A module exporting `f: (i32) -> ()`, `g: () -> ()` and `__new: (i32) -> ()` (a runtime internal). */
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,                     // types: (i32)->(), ()->()
  0x03, 0x04, 0x03, 0x00, 0x01, 0x00,                                             // functions: 0, 1, 0
  0x07, 0x11, 0x03, 0x01, 0x66, 0x00, 0x00, 0x01, 0x67, 0x00, 0x01,               // exports: f, g
  0x05, 0x5f, 0x5f, 0x6e, 0x65, 0x77, 0x00, 0x02,                                 //          __new
  0x0a, 0x0a, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,         // code
])

test('an exported function with parameters is named, with how a function reads its arguments', () => {
  assert.ok(validWasm(MODULE), 'the module is valid')
  assert.is(uncallableExportsNote(MODULE), 'not registrable: f (it takes parameters or returns a value; a function is () -> (): it reads its arguments with the guest library, argInt(0), argText(1), …, and returns with retInt(…), retText(…), …)')
})

test('a module whose exports are all () -> () (or runtime internals) gets no note', () => {
  const onlyG = MODULE.slice()
  onlyG[30] = 0x01   // f's function index 0 → 1: () -> ()
  assert.ok(validWasm(onlyG), 'the module is valid')
  assert.is(uncallableExportsNote(onlyG), null)
})

test.run()
