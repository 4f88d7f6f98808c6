// call()'s function name, refused the same way embedded and remote. The remote SDK checked it with the
// wire's own rule and said SYNTAX_ERROR naming the frame's "fn" field ('"fn": text is not well-formed
// Unicode …', '"fn" is at most 129 characters …') where embedded said TYPE_MISMATCH "function name: …"
// for a lone surrogate and UNKNOWN_FUNCTION "no such function: …" for a name longer than any, the latter
// only after taking a position in a batch. Now both refuse those before anything runs, with embedded's
// code and words; a name that could exist but does not is UNKNOWN_FUNCTION where it ran, in both. A name
// that is no table.function of two identifiers ('', 'nodot') cannot exist either: refused the same way.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, type Database } from '../../src/index.js'
import { embeddedThenRemote } from '../support/both-sdks.js'

const NAMES: readonly unknown[] = [
  'a.\ud800', '\udc00.f', 'kv.f\ud83d', // lone surrogates: high, low, a pair cut short
  'a'.repeat(130), `kv.${'b'.repeat(127)}`, 'x'.repeat(1_000_000), // longer than any table.function (129)
  `${'a'.repeat(64)}.${'b'.repeat(64)}`, // exactly the longest there can be: looked up
  '', 'nodot', 'kv.', '.f', ' kv.f', 'kv.f.g', 'kv.f-g', `${'a'.repeat(65)}.f`, // no table.function of two identifiers
  'kv.nope', 'nope.f', 5,
]

type Refusal = [name: string, code: string, message: string, ran: boolean]

async function refusals(db: Database): Promise<Refusal[]> {
  await db.sql('CREATE TABLE kv (id TEXT PRIMARY KEY, v TEXT)')
  const out: Refusal[] = []
  for (const name of NAMES) {
    for (const call of [db.call.bind(db), db.callWithLogs.bind(db)]) {
      const e = await call(name as string, 'k').then(() => null, (err: unknown) => err)
      assert.instance(e, AcheronError, `${String(name).slice(0, 20)}: refused`)
      const err = e as AcheronError
      out.push([typeof name === 'string' ? name.slice(0, 140) : String(name), err.code, err.message, err.commit !== undefined])
    }
  }
  return out
}

test('a bad function name in call(): the same code and message embedded and remote', async () => {
  const { embedded, remote } = await embeddedThenRemote(refusals)
  assert.equal(remote, embedded)
  const byName = new Map(embedded.map((r) => [r[0], r]))
  assert.equal(byName.get('a.\ud800'), ['a.\ud800', 'TYPE_MISMATCH', 'function name: text is not well-formed Unicode (lone surrogate U+D800 at index 2)', false])
  assert.equal(byName.get('kv.f\ud83d')?.slice(1), ['TYPE_MISMATCH', 'function name: text is not well-formed Unicode (lone surrogate U+D83D at index 4)', false])
  const long = byName.get('a'.repeat(130))
  assert.equal(long?.slice(1), ['UNKNOWN_FUNCTION', `no such function: ${'a'.repeat(64)}… (a name of 130 characters, longer than any)`, false])
  assert.equal(byName.get('x'.repeat(140))?.slice(1), ['UNKNOWN_FUNCTION', `no such function: ${'x'.repeat(64)}… (a name of 1000000 characters, longer than any)`, false])
  // Names a function could have: looked up where the call ran, so they carry its position.
  assert.equal(byName.get(`${'a'.repeat(64)}.${'b'.repeat(64)}`)?.slice(1, 2), ['UNKNOWN_FUNCTION'])
  assert.equal(byName.get('kv.nope')?.slice(1), ['UNKNOWN_FUNCTION', 'no such function: kv.nope', true])
  assert.equal(byName.get('nope.f')?.slice(1), ['UNKNOWN_FUNCTION', 'no such function: nope.f; there is no table nope', true])
  // Names no function can have: refused before anything runs, as the over-long ones are. '' took a
  // position in a batch and came back as "no such function: ", nothing after the colon.
  assert.equal(byName.get('')?.slice(1), ['UNKNOWN_FUNCTION', 'no such function: "" (a function is named table.function: two identifiers of letters, digits and _, joined by a dot)', false])
  assert.equal(byName.get('nodot')?.slice(1), ['UNKNOWN_FUNCTION', 'no such function: "nodot" (a function is named table.function: two identifiers of letters, digits and _, joined by a dot)', false])
  for (const name of ['kv.', '.f', ' kv.f', 'kv.f.g', 'kv.f-g', `${'a'.repeat(65)}.f`]) {
    assert.equal(byName.get(name)?.slice(1, 2).concat(byName.get(name)?.[3] ?? 'absent'), ['UNKNOWN_FUNCTION', false], name)
  }
  assert.equal(byName.get('5')?.slice(1, 2), ['TYPE_MISMATCH'])
})

test.run()
