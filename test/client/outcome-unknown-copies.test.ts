// isOutcomeUnknown(err) is the question an application asks before it resends anything (docs/client.md,
// "Retrying"). It answered by `instanceof AcheronError`, so an error made by another copy of the module —
// `@acheron/client` beside `acheron`, or two versions that npm did not dedupe — was "not outcome unknown",
// and a caller that then resent on `retryable` could apply a transaction twice. A second copy is made here
// by importing errors.js under another URL, which ESM loads as a module of its own.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, isOutcomeUnknown } from '../../src/index.js'
import { DataDirInUseError } from '../../src/storage/dir-lock.js'

test('an outcome-unknown error of another copy of the module is outcome unknown', async () => {
  const other = (await import(new URL('../../src/errors.js?another-copy', import.meta.url).href)) as typeof import('../../src/errors.js')
  assert.is.not(other.AcheronError, AcheronError)
  const foreign = new other.AcheronError('INTERNAL', 'connection lost (1006): outcome unknown', { retryable: true, outcomeUnknown: true })
  assert.ok(isOutcomeUnknown(foreign))
  assert.not.ok(isOutcomeUnknown(new other.AcheronError('OVERLOADED', 'too many requests in flight; retry later', { retryable: true })))
  assert.ok(isOutcomeUnknown(new AcheronError('INTERNAL', 'x', { outcomeUnknown: true })))
  for (const v of [null, undefined, 'outcome unknown', { outcomeUnknown: 'yes' }, new Error('x')]) assert.not.ok(isOutcomeUnknown(v))
})

test('instanceof AcheronError holds for an AcheronError of another copy; a subclass keeps its own test', async () => {
  const other = (await import(new URL('../../src/errors.js?another-copy', import.meta.url).href)) as typeof import('../../src/errors.js')
  const foreign = new other.AcheronError('OVERLOADED', 'too many requests in flight; retry later', { retryable: true })
  assert.ok(foreign instanceof AcheronError, 'the docs catch errors with instanceof AcheronError')
  assert.ok(new AcheronError('INTERNAL', 'x') instanceof other.AcheronError)
  for (const v of [new Error('x'), { name: 'AcheronError', code: 'INTERNAL' }, null, 'AcheronError']) assert.not.ok(v instanceof AcheronError)
  const named = new Error('x')
  named.name = 'AcheronError'
  assert.not.ok(named instanceof AcheronError, 'a name alone is not enough: it needs its code')
  assert.ok(new DataDirInUseError('/tmp/d', 'pid 1') instanceof AcheronError)
  assert.not.ok(foreign instanceof DataDirInUseError)
})

test.run()
