// The origins of forwarded calls in a batch entry (src/txn/batch-codec.ts): read back whole, one inbox
// written once, invisible to the transactions themselves, and bodies without any as before.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeBatch, decodeTxnAt, encodeBatch, type CallOrigin } from '../../src/txn/batch-codec.js'
import type { TxnInput } from '../../src/txn/types.js'

const call = (i: number): TxnInput => ({ kind: 'call', fn: 'account.deposit', key: `k${i}`, args: [BigInt(i)] })

test('origins round-trip with their transactions, each by its index; the transactions read as without them', async () => {
  const originArb = fc.option(fc.record({ inbox: fc.constantFrom('_INBOX.acheron.replies.S.a', 'b', 'ü'), id: fc.nat({ max: 0xffff_ffff }) }, { noNullPrototype: true }), { nil: undefined })
  await fc.assert(fc.asyncProperty(fc.array(originArb, { minLength: 1, maxLength: 20 }), fc.nat(100), async (origins, first) => {
    const inputs = origins.map((_, i) => call(i))
    const encoded = encodeBatch(first + 1, 1234, inputs, false, origins)
    const decoded = decodeBatch(encoded.body)
    assert.equal(decoded.inputs, inputs)
    const expected = origins.flatMap((origin, index) => origin === undefined ? [] : [{ index, origin }])
    assert.equal(decoded.origins, expected)
    // The executors decode one transaction at its offset, never the origins.
    inputs.forEach((input, i) => assert.equal(decodeTxnAt(encoded.body, encoded.offsets[i] as number), input))
    // Without origins the body is what it was: the same bytes as a batch encoded without them.
    if (expected.length === 0) assert.equal(encoded.body, encodeBatch(first + 1, 1234, inputs).body)
  }))
})

test('an inbox is written once however many calls name it', () => {
  const inbox = `_INBOX.acheron.replies.STREAM.${'x'.repeat(22)}`
  const inputs = Array.from({ length: 100 }, (_, i) => call(i))
  const origins: CallOrigin[] = inputs.map((_, i) => ({ inbox, id: i + 1 }))
  const plain = encodeBatch(1, 0, inputs).body.length
  const withOrigins = encodeBatch(1, 0, inputs, false, origins).body.length
  assert.ok(withOrigins - plain < inbox.length + 100 * 4, `${withOrigins - plain} bytes for 100 origins`)
})

test('an origin naming a transaction or an inbox that is not there is refused', () => {
  const body = encodeBatch(1, 0, [call(0)], false, [{ inbox: 'a', id: 7 }]).body
  // The trailer's last three varints are (index 0, inbox 0, id 7): point the index past the batch.
  const badIndex = Uint8Array.from(body)
  badIndex[badIndex.length - 3] = 1
  assert.throws(() => decodeBatch(badIndex), /names transaction 1 of 1/)
  const badInbox = Uint8Array.from(body)
  badInbox[badInbox.length - 2] = 1
  assert.throws(() => decodeBatch(badInbox), /an inbox out of 1/)
})

test.run()
