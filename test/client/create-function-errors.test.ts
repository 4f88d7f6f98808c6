// createFunction(name, bytes, options) is one method of the shared Database interface: a bad option is
// refused with the same code and words embedded and remote, and with no line or column. Remote, the SDK
// writes a CREATE FUNCTION statement of its own, and its errors pointed into that text ("lone surrogate
// U+D800 at line 1, column 9211", a column past the module's hex); a FUEL of 1.5 or -1 was TYPE_MISMATCH
// remote (a number is the right type) and CONSTRAINT embedded, and a FUEL of 0 or 10^10 reached the
// server and came back CONSTRAINT at a column of that hidden text. A name that is no table.function is
// SYNTAX_ERROR before anything runs, in both.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, type Database } from '../../src/index.js'
import type { FunctionOptions } from '../../src/embedded.js'
import { embeddedThenRemote } from '../support/both-sdks.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

const BAD: [string, FunctionOptions][] = [
  ['fuel 1.5', { fuel: 1.5 }],
  ['fuel -1', { fuel: -1 }],
  ['fuel NaN', { fuel: Number.NaN }],
  ['fuel 0', { fuel: 0 }],
  ['fuel 10^10', { fuel: 1e10 }],
  ['memory 0', { memory: 0 }],
  ['memory 2^40', { memory: 2 ** 40 }],
  ['export with a lone surrogate', { export: 'dep\ud800' }],
]

async function refusals(db: Database): Promise<unknown[]> {
  await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0)')
  const out: unknown[] = []
  for (const [what, options] of BAD) {
    try {
      await db.createFunction('account.deposit', BANK, options)
      out.push(`${what}: accepted`)
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      out.push([what, e.code, e.message, e.line, e.column, e.statement])
    }
  }
  // A name that is no table.function: refused before anything runs, with no commit position (embedded, 'account .x'
  // reached the engine and came back UNKNOWN_TABLE "no such table: account ", with a commit position).
  for (const name of ['account .deposit', '"account".deposit', 'account.dépôt', 'account.deposit.x', 'deposit', '', 5]) {
    try {
      await db.createFunction(name as string, BANK)
      out.push(`${String(name)}: accepted`)
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      out.push([name, e.code, e.message, e.commit])
    }
  }
  return out
}

test('a bad createFunction option: the same error embedded and remote, and no position in SQL the caller never wrote', async () => {
  const { embedded, remote } = await embeddedThenRemote(refusals)
  assert.equal(remote, embedded)
  for (const r of remote.slice(BAD.length)) {
    const [name, code, message, commit] = r as unknown[]
    assert.equal([code, commit], [typeof name === 'string' ? 'SYNTAX_ERROR' : 'TYPE_MISMATCH', undefined], String(name))
    assert.ok(typeof name !== 'string' || message === `a function name is table.function, got ${JSON.stringify(name)}`, String(message))
  }
  for (const r of remote.slice(0, BAD.length)) {
    const [what, code, message, line, column, statement] = r as unknown[]
    assert.equal([line, column, statement], [undefined, undefined, undefined], String(what))
    if (String(what).startsWith('export')) {
      assert.equal(code, 'TYPE_MISMATCH')
      assert.match(String(message), /^createFunction\(\) option export: text is not well-formed Unicode \(lone surrogate U\+D800 at index 3\)/)
    } else {
      assert.equal(code, 'CONSTRAINT', String(what))
      assert.match(String(message), /^(FUEL|MEMORY) must be an integer from 1 to \d+, got /)
    }
  }
})

test.run()
