import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ByteReader, ByteWriter } from '../../src/codec/bytes.js'

// ByteWriter/ByteReader.text take an ASCII path in JS for short strings and TextEncoder/TextDecoder
// otherwise: both must give the same bytes and the same strings, on plain and shared buffers.

function roundTrip(strings: readonly string[], shared: boolean): { bytes: Uint8Array; back: string[] } {
  const w = new ByteWriter(4, shared)
  for (const s of strings) w.text(s)
  const bytes = w.finish()
  const r = new ByteReader(bytes)
  const back = strings.map(() => r.text())
  assert.is(r.remaining, 0)
  return { bytes, back }
}

/** The reference encoding: varint byte length, then UTF-8. */
function reference(strings: readonly string[]): Uint8Array {
  const w = new ByteWriter(4)
  for (const s of strings) {
    const utf8 = Buffer.from(s, 'utf8')
    w.varint(utf8.length)
    w.raw(utf8)
  }
  return w.finish()
}

const wellFormed = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', '\u0000', '\u007f', '\u0080', 'é', '€', '😀'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 40 })
  .filter((s) => s.isWellFormed())

test('text round-trips and encodes as UTF-8, on either side of the short-string bound', async () => {
  await fc.assert(fc.property(fc.array(wellFormed, { maxLength: 6 }), fc.boolean(), (strings, shared) => {
    const { bytes, back } = roundTrip(strings, shared)
    assert.equal(back, strings)
    assert.equal([...bytes], [...reference(strings)])
  }))
})

test('strings at the bound: 32 and 33 ASCII characters, and a short one whose last character is not ASCII', () => {
  const cases = ['x'.repeat(32), 'y'.repeat(33), 'a'.repeat(31) + 'é', '€', '']
  for (const shared of [false, true]) {
    const { bytes, back } = roundTrip(cases, shared)
    assert.equal(back, cases)
    assert.equal([...bytes], [...reference(cases)])
  }
})

test('malformed UTF-8 still fails to decode, short or long', () => {
  for (const body of [[0x61, 0xff], [0xc3], Array.from({ length: 40 }, () => 0x80)]) {
    const w = new ByteWriter(4)
    w.varint(body.length)
    w.raw(Uint8Array.from(body))
    assert.throws(() => new ByteReader(w.finish()).text())
  }
})

test.run()
