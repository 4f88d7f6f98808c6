// The binary messages of request forwarding (src/cluster/forward-frames.ts): what a follower packs, the
// writer reads back whole (ids, roles, text in any script), replies are split into messages of a bounded
// size without losing or reordering one, status questions and their answers read back whole, and a cut or
// damaged message is refused, never half read.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import {
  decodeAnswer, decodeForwarded, decodeReplies, encodeAnswerError, encodeReplies, encodeRequests, encodeStatusQuestion,
  encodeUnknownIds, FrameError, REPLY_RECORD_OVERHEAD, type ForwardedMessage, type ForwardedRequest,
} from '../../src/cluster/forward-frames.js'

const requests: ForwardedRequest[] = [
  { id: 1, role: 'app', text: '{"op":"call","id":7,"fn":"account.transfer","args":["alice","bob",10]}' },
  { id: 0xffff_ffff, role: 'admin', text: '{"op":"sql","id":8,"sql":"SELECT \'Zürich\', \'東京\', \'🙂\'"}' },
  { id: 3, role: 'app', text: '' },
]
const bytes = requests.map((r) => Buffer.byteLength(r.text))

function decodeRequests(data: Uint8Array): Extract<ForwardedMessage, { kind: 'requests' }> {
  const m = decodeForwarded(data)
  if (m.kind !== 'requests') throw new Error(`a ${m.kind} message, not requests`)
  return m
}

test('an envelope of requests is read back whole: inbox, ids, roles and text', () => {
  const decoded = decodeRequests(encodeRequests('acheron.replies.s.X1', requests, bytes))
  assert.is(decoded.inbox, 'acheron.replies.s.X1')
  assert.equal(decoded.requests, requests)
})

test('a status question and its answers are read back whole; an unknown kind or a cut id is refused', () => {
  assert.equal(decodeForwarded(encodeStatusQuestion('acheron.replies.s.Ü', [1, 0xffff_ffff, 7])), { kind: 'status', inbox: 'acheron.replies.s.Ü', ids: [1, 0xffff_ffff, 7] })
  assert.equal(decodeForwarded(encodeStatusQuestion('i', [])), { kind: 'status', inbox: 'i', ids: [] })
  const question = encodeStatusQuestion('i', [5])
  assert.throws(() => decodeForwarded(question.subarray(0, question.length - 1)), /ends inside an id/)
  const otherKind = Buffer.from(question)
  otherKind[0] = 9
  assert.throws(() => decodeForwarded(otherKind), /unknown kind 9/)
  const writer = { id: 'W1ä', since: 2 ** 40 + 3 }
  assert.equal(decodeAnswer(encodeUnknownIds(writer, [3, 4])), { unknown: [3, 4], writer })
  assert.equal(decodeAnswer(encodeUnknownIds({ id: '', since: 0 }, [])), { unknown: [], writer: { id: '', since: 0 } })
  // A writer of before writer ids: an empty acknowledgement, or u8 0 and ids.
  assert.equal(decodeAnswer(new Uint8Array(0)), { unknown: [], writer: null })
  assert.equal(decodeAnswer(Uint8Array.of(0, 0, 0, 0, 9)), { unknown: [9], writer: null })
  const named = encodeUnknownIds(writer, [3])
  assert.throws(() => decodeAnswer(named.subarray(0, named.length - 1)), /neither ids nor an error/)
  assert.equal(decodeAnswer(encodeAnswerError('a forwarded message of 1 bytes has no header')), { error: 'a forwarded message of 1 bytes has no header' })
  assert.throws(() => decodeAnswer(Uint8Array.of(0, 1, 2)), /neither ids nor an error/)
})

test('a cut envelope, or one with an unknown role, is refused', () => {
  const whole = encodeRequests('inbox', requests, bytes)
  for (const cut of [2, 5, 13, whole.length - 1]) {
    assert.throws(() => decodeRequests(whole.subarray(0, cut)), (e: unknown) => e instanceof FrameError, `cut at ${cut}`)
  }
  const badRole = Buffer.from(whole)
  badRole[3 + 5 + 4] = 7
  assert.throws(() => decodeRequests(badRole), /unknown role 7/)
})

test('replies are split into messages of at most the size given, in order, none lost', () => {
  const replies = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, text: `{"id":${i},"ok":true,"rows":[["${'é'.repeat(i)}"]]}` }))
  const max = 400
  const messages = encodeReplies(replies, max)
  assert.ok(messages.length > 1, 'split')
  for (const m of messages) assert.ok(m.length <= max, `a message of ${m.length} bytes`)
  assert.equal(messages.flatMap((m) => decodeReplies(m)), replies)
})

test('a reply larger than a message goes alone in one (the writer keeps replies below the limit)', () => {
  const replies = [{ id: 1, text: 'a' }, { id: 2, text: 'b'.repeat(100) }, { id: 3, text: 'c' }]
  const messages = encodeReplies(replies, 20)
  assert.equal(messages.map((m) => m.length), [REPLY_RECORD_OVERHEAD + 1, REPLY_RECORD_OVERHEAD + 100, REPLY_RECORD_OVERHEAD + 1])
  assert.equal(messages.flatMap((m) => decodeReplies(m)), replies)
})

test('a cut replies message is refused', () => {
  const [m] = encodeReplies([{ id: 9, text: 'reply' }], 1000)
  assert.throws(() => decodeReplies((m as Uint8Array).subarray(0, 5)), /inside a reply header/)
  assert.throws(() => decodeReplies((m as Uint8Array).subarray(0, 10)), /inside reply 9/)
})

test.run()
