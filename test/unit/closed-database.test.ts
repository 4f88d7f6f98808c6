// A database used after its own close(): every operation fails at once with DATABASE_CLOSED, "the database
// was closed", not retryable. It answered the engine's SHUTTING_DOWN, which is retryable, so a loop that
// retries on `retryable` (docs/client.md) spun for ever on a database nobody would open again. While close()
// is still finishing, a request keeps getting SHUTTING_DOWN (test/unit/durability.test.ts). Remote: the
// client after its own close() says DATABASE_CLOSED too (test/client/close.test.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'

test('every operation after close() is DATABASE_CLOSED, not retryable; close() again is fine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-closed-'))
  try {
    const db = await open({ dir, partitions: 2, workers: 0 })
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL)')
    await db.close()
    const attempts: [string, () => Promise<unknown>][] = [
      ['sql', () => db.sql('SELECT * FROM t')],
      ['sql SHOW STATS', () => db.sql('SHOW STATS')],
      ['query', () => db.query('SELECT 1')],
      ['call', () => db.call('t.f', 1)],
      ['callWithLogs', () => db.callWithLogs('t.f', 1)],
      ['createFunction', () => db.createFunction('t.f', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))],
      ['insert', () => db.insert('t', [[1, 1.5]])],
      ['get', () => db.get('t', 1)],
    ]
    for (const [what, attempt] of attempts) {
      const e = await rejection(attempt())
      assert.instance(e, AcheronError, what)
      assert.is(e.code, 'DATABASE_CLOSED', what)
      assert.match(e.message, /^the database was closed/, what)
      assert.not.ok(e.retryable, what)
      assert.is(e.line, undefined, `${what}: no position, it is not the statement's fault`)
    }
    await db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
