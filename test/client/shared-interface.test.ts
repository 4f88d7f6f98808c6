// One scenario written against the shared `Database` interface runs unchanged on the embedded database
// (open) and on the remote client (connect) to a real server, and both give the same answers.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open, type Database } from '../../src/index.js'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'

const BANK = new Uint8Array(readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))))

/** Creates a bank, moves money, checks an abort and the conservation of the total; returns what it saw. */
async function scenario(db: Database): Promise<unknown[]> {
  const seen: unknown[] = []
  await db.sql('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;')
  for (const f of ['deposit', 'withdraw', 'transfer']) await db.createFunction(`account.${f}`, BANK, { export: f })
  await db.call('account.deposit', 'alice', 100)
  const t = await db.call('account.transfer', 'alice', 'bob', 30)
  seen.push(t.value)
  try {
    await db.call('account.withdraw', 'bob', 1000)
    seen.push('no abort')
  } catch (e) {
    seen.push(e instanceof AcheronError ? [e.code, e.commit !== undefined] : String(e))
  }
  const q = await db.query('SELECT id, balance FROM account ORDER BY id')
  seen.push(q.columns, q.rows)
  const [ins, sum] = await db.sql("INSERT INTO account VALUES ('carol', 5); SELECT SUM(balance) AS total FROM account;")
  seen.push(ins?.rowsAffected, sum?.rows)
  // A script failing at its third statement: the first two completed and stay; the error carries them.
  try {
    await db.sql("INSERT INTO account VALUES ('dave', 1); SELECT COUNT(*) AS n FROM account; SELECT * FROM missing;")
    seen.push('no failure')
  } catch (e) {
    const err = e as AcheronError
    seen.push([err.code, err.statement, err.results?.map((r) => [r.columns, r.rows, r.rowsAffected, typeof r.commit.batch])])
  }
  // What is no SQL value is refused alike (JSON would have sent null or text in its place).
  const refusals: [string, () => Promise<unknown>][] = [
    ['undefined parameter', () => db.sql('SELECT ?', [undefined])],
    ['Date parameter', () => db.sql('SELECT ?', [new Date(0)])],
    ['no key', () => db.call('account.deposit', undefined, 1)],
    ['an object argument', () => db.call('account.deposit', 'x', { n: 1 })],
    ['bigint beyond 64 bits', () => db.call('account.deposit', 'x', 2n ** 64n)],
    // From JavaScript, params that are no array were a TypeError ("params.map is not a function").
    ['params not an array', () => db.sql('SELECT ?', 5 as unknown as unknown[])],
    ['params null', () => db.sql('SELECT 1', null as unknown as unknown[])],
    ['query params a string', () => db.query('SELECT ?', 'x' as unknown as unknown[])],
  ]
  for (const [what, run] of refusals) {
    try {
      await run()
      seen.push(`${what}: accepted`)
    } catch (e) {
      seen.push([what, e instanceof AcheronError ? e.code : String(e)])
    }
  }
  // A refused parameter value is reported at its ? (statement, line, column), as docs/sql.md says of
  // parameters; a script that does not parse is a SYNTAX_ERROR first, whatever its values.
  const at: [string, string, unknown[]][] = [
    ['undefined, second statement', 'SELECT ?;\n  SELECT 1, ?', [1, undefined]],
    ['lone surrogate', "SELECT 'a', ?", ['\ud800']],
    ['a Date in a WHERE', 'SELECT id FROM account WHERE id = ? OR id = ?', ['a', new Date(0)]],
    ['syntax first', 'SELECT ? FROM', [undefined]],
  ]
  for (const [what, script, params] of at) {
    try {
      await db.sql(script, params)
      seen.push(`${what}: accepted`)
    } catch (e) {
      const err = e as AcheronError
      seen.push([what, err.code, err.statement, err.line, err.column, /^parameter \d|expected/.test(err.message)])
    }
  }
  // An INTEGER of ±2^53 exactly reads as a number, and that number writes back.
  await db.sql('CREATE TABLE big (k INTEGER PRIMARY KEY, n INTEGER)')
  await db.sql('INSERT INTO big VALUES (1, 9007199254740992), (2, -9007199254740992)')
  const read = (await db.query('SELECT n FROM big ORDER BY k')).rows
  await db.sql('UPDATE big SET n = ? WHERE k = 1; UPDATE big SET n = ? WHERE k = 2', [read[1]?.[0], read[0]?.[0]])
  seen.push(read, (await db.query('SELECT n FROM big ORDER BY k')).rows)
  return seen
}

test('the same code gives the same answers embedded and over WebSocket', async () => {
  const tmp = tempDir()
  let server: ServerProcess | null = null
  try {
    const local = await open({ dir: tmp.dir, partitions: 4 })
    const embedded = await scenario(local).finally(() => local.close())
    server = await startServer({ args: ['--partitions', '4'] })
    const remote = await connect(server.url)
    const overWire = await scenario(remote).finally(() => remote.close())
    assert.equal(overWire, embedded)
    assert.equal(embedded, [70, ['TXN_ABORTED', true], ['id', 'balance'], [['alice', 70], ['bob', 30]], 1, [[105]],
      ['UNKNOWN_TABLE', 2, [[[], [], 1, 'number'], [['n'], [[4]], 0, 'number']]],
      ['undefined parameter', 'TYPE_MISMATCH'], ['Date parameter', 'TYPE_MISMATCH'], ['no key', 'TYPE_MISMATCH'],
      ['an object argument', 'TYPE_MISMATCH'], ['bigint beyond 64 bits', 'TYPE_MISMATCH'],
      ['params not an array', 'TYPE_MISMATCH'], ['params null', 'TYPE_MISMATCH'], ['query params a string', 'TYPE_MISMATCH'],
      ['undefined, second statement', 'TYPE_MISMATCH', 1, 2, 13, true], ['lone surrogate', 'TYPE_MISMATCH', 0, 1, 13, true],
      ['a Date in a WHERE', 'TYPE_MISMATCH', 0, 1, 45, true], ['syntax first', 'SYNTAX_ERROR', 0, 1, 14, true],
      [[2 ** 53], [-(2 ** 53)]], [[-(2 ** 53)], [2 ** 53]]])
  } finally {
    await server?.kill()
    tmp.cleanup()
  }
})

test.run()
