// The browser console reads a module's exports itself (static/console/src/wasm-exports.js), so that its
// CSP need not allow compiling WebAssembly. It must agree with the server's reader
// (src/wasm-exec/module-exports.ts), which decides what CREATE FUNCTIONS t.* registers: checked here on
// every guest module the build makes, and on damaged copies of one.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { exportedFunctions, registrableExports } from '../../src/wasm-exec/module-exports.js'
import { unitRandom } from '../support/rng.js'
import { wat } from '../wasm-exec/wat.js'

interface PageExport { name: string; callable: boolean; reason: string }
// Plain JavaScript for the browser, outside the TypeScript project: imported by URL, typed here.
const pageModule = new URL('../../../static/console/src/wasm-exports.js', import.meta.url).href
const { moduleExports } = await import(pageModule) as { moduleExports: (bytes: Uint8Array) => PageExport[] }

const GUESTS = fileURLToPath(new URL('../../guest/', import.meta.url))
const guests = readdirSync(GUESTS).filter((f) => f.endsWith('.wasm')).sort()

test('the page lists the same exported functions as the server, and checks the ones CREATE FUNCTIONS t.* would take', () => {
  assert.ok(guests.length >= 10, `the build's guest modules (${guests.join(', ')})`)
  for (const file of guests) {
    const bytes = new Uint8Array(readFileSync(GUESTS + file))
    const page = moduleExports(bytes)
    assert.equal(page.map((e) => e.name), exportedFunctions(bytes).map((e) => e.name), file)
    assert.equal(page.filter((e) => e.callable).map((e) => e.name), registrableExports(bytes), file)
    for (const e of page) assert.is(e.reason === '', e.callable, `${file} ${e.name}: a reason exactly when it cannot be checked`)
  }
  const logs = moduleExports(new Uint8Array(readFileSync(GUESTS + 'logs.wasm')))
  assert.equal(logs.find((e) => e.name === 'helper'), { name: 'helper', callable: false, reason: 'takes parameters or returns a value' })
})

test('an export whose name cannot name a function is listed, unchecked, with the reason (t.* leaves it out)', () => {
  const bytes = wat(`(module (memory (export "memory") 1 1) (func $f)
    (export "ok" (func $f)) (export "ns.f" (func $f)) (export "my-func" (func $f)) (export "1abc" (func $f)))`)
  const page = moduleExports(bytes)
  assert.equal(page.filter((e) => e.callable).map((e) => e.name), registrableExports(bytes))
  assert.equal(page.find((e) => e.name === 'ns.f'), { name: 'ns.f', callable: false, reason: 'not a function name: register it one by one with EXPORT' })
})

test('damaged modules: the page refuses what the server refuses, and never lists what the server would not', () => {
  assert.throws(() => moduleExports(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), /not a WebAssembly module/)
  assert.throws(() => moduleExports(new Uint8Array([0, 0x61, 0x73])), /unexpected end/)
  // A section size made of six continuation bytes: longer than 32 bits.
  assert.throws(() => moduleExports(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /LEB128/)
  const bank = new Uint8Array(readFileSync(GUESTS + 'bank.wasm'))
  const seed = 0x5eed
  const random = unitRandom(seed)
  for (let i = 0; i < 500; i++) {
    const copy = bank.slice(0, 8 + Math.floor(random() * (bank.length - 8)))
    if (random() < 0.5) copy[8 + Math.floor(random() * (copy.length - 8))] = Math.floor(random() * 256)
    let server: string[] | Error
    let page: string[] | Error
    try { server = exportedFunctions(copy).map((e) => e.name) } catch (e) { server = e as Error }
    try { page = moduleExports(copy).map((e) => e.name) } catch (e) { page = e as Error }
    if (!(page instanceof Error)) assert.equal(page, server, `seed ${seed}, case ${i}: the page lists what the server reads`)
  }
})

test.run()
