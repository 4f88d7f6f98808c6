// Helpers shared by the SQL parser suites.
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/errors.js'
import { parseScript } from '../../src/sql/parse.js'
import type { Statement } from '../../src/sql/ast.js'

export function one(sql: string): Statement {
  const all = parseScript(sql)
  assert.is(all.length, 1, `expected one statement in ${sql}`)
  return all[0] as Statement
}

export function oneOf<K extends Statement['kind']>(kind: K, sql: string): Extract<Statement, { kind: K }> {
  const s = one(sql)
  assert.is(s.kind, kind)
  return s as Extract<Statement, { kind: K }>
}

/** The SYNTAX_ERROR (or other AcheronError) that parsing `sql` throws. */
export function failure(run: () => unknown): AcheronError {
  try {
    run()
  } catch (e) {
    assert.instance(e, AcheronError, `expected an AcheronError, got ${String(e)}`)
    return e as AcheronError
  }
  assert.unreachable('expected an error')
  throw new Error('unreachable')
}

export function syntaxError(sql: string): AcheronError {
  const e = failure(() => parseScript(sql))
  assert.is(e.code, 'SYNTAX_ERROR', e.message)
  return e
}

/** Asserts the error's position and statement, and that the message matches. */
export function assertError(sql: string, line: number, column: number, message: RegExp, statement = 0): void {
  const e = syntaxError(sql)
  assert.equal({ line: e.line, column: e.column, statement: e.statement }, { line, column, statement }, `${e.message} (for ${JSON.stringify(sql)})`)
  assert.match(e.message, message)
}

/** The position of the first occurrence of `needle` in `script` (after `from`), computed independently of the lexer. */
export function posIn(script: string, needle: string, from = 0): { offset: number; line: number; column: number } {
  const offset = script.indexOf(needle, from)
  assert.ok(offset >= 0, `${needle} not in script`)
  const before = script.slice(0, offset).split('\n')
  return { offset, line: before.length, column: (before[before.length - 1] as string).length + 1 }
}
