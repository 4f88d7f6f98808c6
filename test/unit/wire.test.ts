// The wire's encoders and decoder (src/server/wire.ts) beside their general forms: a call's reply written
// out directly must be the text okReply makes of the same result, and the nesting bound must hold exactly
// at WIRE_NESTING_DEPTH_MAX whether or not a frame is small enough to skip the walk.
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { AcheronError } from '../../src/errors.js'
import { errorFromWire } from '../../src/client/remote.js'
import { callReply, decodeRequest, decodeValue, encodeValue, errorReply, okReply, WIRE_NESTING_DEPTH_MAX } from '../../src/server/wire.js'
import { toClientValue } from '../../src/embedded.js'

const wireValue = fc.oneof(
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double(),
  fc.constantFrom(Infinity, -Infinity, NaN, -0, 2 ** 53, -(2 ** 53)),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('"', '\\', '\u0000', '\u2028', '</script>'),
  fc.uint8Array({ maxLength: 40 }),
  fc.integer(),
  fc.boolean(),
)

test('callReply: the same text as okReply with the call\'s one result, for every kind of value', () => {
  fc.assert(fc.property(
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), wireValue, fc.nat(), fc.integer({ min: -1, max: 1_000_000 }),
    fc.constantFrom('INTEGER', 'REAL', 'TEXT', 'BLOB', null),
    (id, value, batch, seq, type) => {
      const commit = { batch, seq }
      const general = okReply(id, [{ columns: ['result'], rows: [[value]], rowsAffected: 0, commit, types: [type] }])
      assert.is(callReply(id, value, commit, type), general)
    },
  ), { numRuns: 2000, seed: 41 })
})

test('okReply: a REAL -0 keeps its sign as -0.0 (valid JSON, read back as -0); the rest of the text as JSON.stringify writes it', () => {
  const commit = { batch: 3, seq: 1 }
  const result = { columns: ['z', 'o', 't'], rows: [[-0, 1, 'a"b'], [0, -0, null]], rowsAffected: 0, commit, types: ['REAL', 'REAL', 'TEXT'] as ('REAL' | 'TEXT')[], notice: 'n' }
  const text = okReply(7, [result, { ...result, rows: [[2.5, 1n, 'x']] }])
  assert.ok(text.includes('"rows":[[-0.0,1,"a\\"b"],[0,-0.0,null]]'), text)
  const parsed = JSON.parse(text) as { results: { rows: unknown[][] }[] }
  assert.ok(Object.is(parsed.results[0]?.rows[0]?.[0], -0) && Object.is(parsed.results[0]?.rows[1]?.[1], -0))
  assert.ok(Object.is(parsed.results[0]?.rows[1]?.[0], 0))
  // Apart from the sign, the same text as without any -0.
  const plus = okReply(7, [{ ...result, rows: [[0, 1, 'a"b'], [0, 0, null]] }, { ...result, rows: [[2.5, 1n, 'x']] }])
  assert.is(text.replace(/-0\.0/g, '0'), plus)
})

function nestedCall(depth: number): string {
  // The frame object is level 1 and "args" level 2: depth - 2 more arrays inside it.
  const inner = '['.repeat(depth - 2) + ']'.repeat(depth - 2)
  return `{"id":3,"op":"call","fn":"t.f","key":1,"args":[${inner}]}`
}

function refused(text: string): AcheronError | null {
  try {
    decodeRequest(text)
    return null
  } catch (e) {
    assert.instance(e, AcheronError)
    return e as AcheronError
  }
}

test('INTEGER as a JSON number within ±2^53 exactly, {$int} beyond; the embedded API a number or a bigint alike', () => {
  const edge = 2n ** 53n
  for (const v of [edge, -edge, 0n, 1n, -1n]) {
    assert.is(encodeValue(v), Number(v))
    assert.is(toClientValue(v), Number(v))
  }
  for (const v of [edge + 1n, -edge - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    assert.equal(encodeValue(v), { $int: v.toString() })
    assert.is(toClientValue(v), v)
  }
})

test('docs/protocol.md\'s value table gives the wire form of every REAL the server sends, ±Infinity and NaN too', () => {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
  const table = doc.slice(doc.indexOf('## Values'), doc.indexOf('## Error codes'))
  // Each documented special REAL: the row names it and shows exactly what encodeValue sends, which decodes back.
  for (const [v, name] of [[Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    assert.ok(table.includes(JSON.stringify(encodeValue(v)).replace(/:/g, ': ')), `${name}: ${JSON.stringify(encodeValue(v))} is in the table`)
    assert.is(decodeValue(encodeValue(v), 'v'), v)
  }
  assert.is(encodeValue(NaN), null)
  assert.match(table, /NaN[^|\n]*\|\s*`null`/)
})

test('{"$blob"} is standard padded base64, anything else is TYPE_MISMATCH (Node\'s decoder would drop or cut it)', () => {
  assert.equal(decodeValue({ $blob: '' }, 'p'), new Uint8Array(0))
  assert.equal(decodeValue({ $blob: 'aGVsbG8=' }, 'p'), new Uint8Array(Buffer.from('hello')))
  assert.equal(decodeValue({ $blob: 'AP8+/w==' }, 'p'), new Uint8Array([0, 255, 62, 255]))
  for (const bad of ['hello world!', '!!!', 'aGVsbG8', 'aGVs bG8=', 'aGVsbG8=aGVs', 'aGVsbA===', 'AP8-_w==']) {
    try {
      decodeValue({ $blob: bad }, 'parameter 1')
      assert.unreachable(`accepted ${bad}`)
    } catch (e) {
      assert.instance(e, AcheronError)
      assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
      assert.match((e as AcheronError).message, /^parameter 1: \{"\$blob"\} must be standard base64/)
    }
  }
})

test('{"$blob"} of a large BLOB decodes (the check once overflowed the stack past ~3 MB: a function\'s 10 MB result was a RangeError)', () => {
  const bytes = new Uint8Array(16 * 1024 * 1024)
  bytes[0] = 1
  bytes[bytes.length - 1] = 255
  const wire = encodeValue(bytes) as { $blob: string }
  assert.equal(decodeValue(wire, 'p'), bytes)
  try {
    decodeValue({ $blob: wire.$blob.slice(0, -4) + '!!!=' }, 'p')
    assert.unreachable('accepted a large non-base64 string')
  } catch (e) {
    assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
  }
})

test('decodeRequest: nesting up to the bound is decoded, one level more is SYNTAX_ERROR with the id', () => {
  // Decoded as far as nesting goes (an array argument is then a TYPE_MISMATCH of its own).
  const atBound = refused(nestedCall(WIRE_NESTING_DEPTH_MAX))
  assert.ok(atBound === null || !/nested deeper/.test(atBound.message), atBound?.message)
  const beyond = refused(nestedCall(WIRE_NESTING_DEPTH_MAX + 1))
  assert.ok(beyond !== null)
  assert.is(beyond.code, 'SYNTAX_ERROR')
  assert.match(beyond.message, `nested deeper than ${WIRE_NESTING_DEPTH_MAX} levels`)
  assert.is((beyond as unknown as { requestId: unknown }).requestId, 3)
})

test('decodeRequest: a "call" without "key" is SYNTAX_ERROR with the id; a null key is decoded (the engine refuses it)', () => {
  const missing = refused(JSON.stringify({ id: 6, op: 'call', fn: 'account.balance' }))
  assert.ok(missing !== null)
  assert.is(missing.code, 'SYNTAX_ERROR')
  assert.match(missing.message, 'a "call" request needs "key"')
  assert.is((missing as unknown as { requestId: unknown }).requestId, 6)
  assert.equal(decodeRequest(JSON.stringify({ id: 7, op: 'call', fn: 't.f', key: null })), { id: 7, op: 'call', fn: 't.f', key: null, args: [], logs: false })
})

test('decodeRequest: a number JSON.parse rounds to ±2^53 is TYPE_MISMATCH with the id (9007199254740993 was stored as 9007199254740992); 2^53 itself is an INTEGER', () => {
  for (const [text, what, shown] of [
    ['{"id":8,"op":"sql","sql":"INSERT INTO ik VALUES (?, ?)","params":[9007199254740993,"py2"]}', 'parameter 1', '9007199254740993'],
    ['{"id":8,"op":"call","fn":"t.f","key":"k","args":[1, -9007199254740993]}', 'argument 2', '-9007199254740993'],
    ['{"id":8,"op":"call","fn":"t.f","key":9.007199254740993e15}', 'key', 'digits'],
  ] as const) {
    const err = refused(text)
    assert.ok(err !== null, text)
    assert.is(err.code, 'TYPE_MISMATCH', text)
    assert.match(err.message, `${what}: the number `, text)
    assert.match(err.message, `is beyond ±2^53, where JSON numbers are not exact (it reads as ${text.includes('-9007') ? '-' : ''}9007199254740992): send an INTEGER this large as {"$int": "${shown}"}`, text)
    assert.is((err as unknown as { requestId: unknown }).requestId, 8)
  }
  // Exactly 2^53, however written, and the digits of a larger one inside a string, are what they say.
  for (const text of [
    '{"id":9,"op":"sql","sql":"x","params":[9007199254740992, "9007199254740993"]}',
    '{"id":9,"op":"sql","sql":"x","params":[-9007199254740992.0]}',
    '{"id":9,"op":"sql","sql":"x","params":[90071992547409920e-1, {"$int": "9007199254740993"}]}',
  ]) {
    const r = decodeRequest(text)
    assert.ok(r.op === 'sql' && Math.abs(r.params[0] as number) === 2 ** 53, text)
  }
})

test('decodeRequest: brackets inside strings do not count as nesting', () => {
  const sql = `SELECT '${'['.repeat(200)}{{{';`
  const r = decodeRequest(JSON.stringify({ id: 4, op: 'sql', sql }))
  assert.equal(r, { id: 4, op: 'sql', sql, params: [] })
  const call = decodeRequest(JSON.stringify({ id: 5, op: 'call', fn: 't.f', key: '[['.repeat(50), args: ['{'.repeat(40)] }))
  assert.equal(call, { id: 5, op: 'call', fn: 't.f', key: '[['.repeat(50), args: ['{'.repeat(40)], logs: false })
})

test('errorReply carries retryable and outcomeUnknown, and the SDK reads them back', () => {
  const read = (err: AcheronError): AcheronError => errorFromWire((JSON.parse(errorReply(1, err)) as { error: unknown }).error)
  const batchFailed = read(new AcheronError('INTERNAL', 'batch not committed: the log refused it', { retryable: true }))
  assert.is(batchFailed.retryable, true)
  assert.is(batchFailed.outcomeUnknown, undefined)
  const unknown = read(new AcheronError('INTERNAL', 'outcome unknown: no answer', { retryable: true, outcomeUnknown: true }))
  assert.is(unknown.retryable, true)
  assert.is(unknown.outcomeUnknown, true)
  const bug = read(new AcheronError('INTERNAL', 'a bug'))
  assert.is(bug.retryable, undefined, 'an INTERNAL is retryable only when the server says so')
  assert.is(JSON.parse(errorReply(1, new AcheronError('INTERNAL', 'a bug'))).error.retryable, undefined)
  assert.is(read(new AcheronError('STORAGE_FULL', 'full')).retryable, true, 'STORAGE_FULL is retryable by its code')
  assert.is(read(new AcheronError('TXN_ABORTED', 'no', { commit: { batch: 1, seq: 0 } })).retryable, undefined)
  // explainable: false (what failed ran alone at its position) crosses the wire; its absence stays absent.
  const alone = read(new AcheronError('TYPE_MISMATCH', 'no', { commit: { batch: 2, seq: 0 }, explainable: false }))
  assert.is(alone.explainable, false)
  assert.is(read(new AcheronError('TXN_ABORTED', 'no', { commit: { batch: 1, seq: 0 } })).explainable, undefined)
  assert.not.ok('explainable' in JSON.parse(errorReply(1, new AcheronError('TXN_ABORTED', 'no'))).error)
})

test('{"$int"} of more digits than a 64-bit integer has: TYPE_MISMATCH "outside 64 bits", as one just past the range is, not "not a value of the wire protocol"', () => {
  const refusal = (v: unknown): string => {
    try {
      decodeValue(v, 'parameter 1')
    } catch (err) {
      assert.instance(err, AcheronError)
      return `${(err as AcheronError).code} ${(err as AcheronError).message}`
    }
    return 'decoded'
  }
  assert.is(refusal({ $int: '99999999999999999999999' }), 'TYPE_MISMATCH parameter 1: unsupported value 99999999999999999999999 (outside 64 bits)')
  assert.is(refusal({ $int: '-99999999999999999999999' }), 'TYPE_MISMATCH parameter 1: unsupported value -99999999999999999999999 (outside 64 bits)')
  assert.is(refusal({ $int: '1'.repeat(1000) }), `TYPE_MISMATCH parameter 1: unsupported value ${'1'.repeat(40)}… (1000 digits) (outside 64 bits)`)
  // 20 digits are decoded (the engine refuses one past the range, with its position); what is no digits stays what it was.
  assert.is(decodeValue({ $int: '99999999999999999999' }, 'parameter 1'), 99999999999999999999n)
  assert.match(refusal({ $int: '12a' }), /not a value of the wire protocol/)
  assert.match(refusal({ $int: '' }), /not a value of the wire protocol/)
})

test.run()
