import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { GUEST_NAME_BYTES_MAX, GUEST_NAME_CACHE_ENTRIES_MAX, GuestNames, guestNameHash } from '../../src/wasm-exec/guest-names.js'

const decoder = new TextDecoder('utf-8', { fatal: false })
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

test('a name rewritten at the same address decodes to the new text', () => {
  const names = new GuestNames()
  const mem = new Uint8Array(64)
  mem.set(utf8('balance'), 8)
  assert.is(names.decode(mem, 8, 7), 'balance')
  mem.set(utf8('balancf'), 8)
  assert.is(names.decode(mem, 8, 7), 'balancf')
  assert.is(names.decode(mem, 8, 6), 'balanc', 'a shorter length is another name')
  mem.set(utf8('balance'), 30)
  assert.is(names.decode(mem, 30, 7), 'balance', 'the same bytes elsewhere')
})

test('two names with the same hash are told apart by their bytes', () => {
  const seen = new Map<number, string>()
  let pair: [string, string] | undefined
  for (let i = 0; pair === undefined; i++) {
    const s = `col${i.toString(36).padStart(6, '0')}` // one length: the hash covers the length
    const b = utf8(s)
    const h = guestNameHash(b, 0, b.length)
    const other = seen.get(h)
    if (other !== undefined) pair = [other, s]
    else seen.set(h, s)
  }
  const names = new GuestNames()
  const mem = new Uint8Array(32)
  for (const s of [...pair, ...pair, pair[1], pair[0]]) {
    mem.fill(0)
    mem.set(utf8(s), 4)
    assert.is(names.decode(mem, 4, s.length), s)
  }
})

test('through the cache, any bytes decode as TextDecoder decodes them (invalid UTF-8 included)', () => {
  const names = new GuestNames()
  const mem = new Uint8Array(GUEST_NAME_BYTES_MAX + 64)
  fc.assert(fc.property(fc.uint8Array({ maxLength: GUEST_NAME_BYTES_MAX + 40 }), fc.nat(23), (bytes, at) => {
    mem.set(bytes, at)
    const want = decoder.decode(bytes)
    assert.is(names.decode(mem, at, bytes.length), want)
    assert.is(names.decode(mem, at, bytes.length), want, 'and again, from the cache')
  }), { numRuns: 3000 })
})

test('past its entry bound the cache starts over and still decodes right', () => {
  const names = new GuestNames()
  const mem = new Uint8Array(16)
  for (let i = 0; i < GUEST_NAME_CACHE_ENTRIES_MAX * 2 + 5; i++) {
    const s = `c${i}`
    mem.set(utf8(s), 0)
    assert.is(names.decode(mem, 0, s.length), s)
  }
  mem.set(utf8('c7'), 0)
  assert.is(names.decode(mem, 0, 2), 'c7')
})

test.run()
