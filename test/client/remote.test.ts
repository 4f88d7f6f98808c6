// The remote SDK (src/client/remote.ts) against a real `acheron serve` child: sql/query/call/createFunction
// (bytes and FILE), error mapping, $int/$blob, pipelining, token auth, and the reconnect rule (a request in
// flight when the server dies rejects as retryable/outcome-unknown and is never re-sent).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, isOutcomeUnknown, type RemoteDatabase } from '../../src/index.js'
import { freePort, startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { rejection } from '../support/rejection.js'

const BANK_PATH = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))
const BANK = new Uint8Array(readFileSync(BANK_PATH))
const TABLE = (name: string) => `CREATE TABLE ${name} (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;`

let main: Promise<ServerProcess> | null = null
const mainServer = (): Promise<ServerProcess> => (main ??= startServer({ args: ['--partitions', '4', '--workers', '2'] }))
const clients = new Set<RemoteDatabase>()
async function client(url: string, options: Parameters<typeof connect>[1] = {}): Promise<RemoteDatabase> {
  const db = await connect(url, options)
  clients.add(db)
  return db
}
test.after.each(async () => {
  for (const c of clients) await c.close()
  clients.clear()
})
test.after(async () => {
  const s = main === null ? null : await main.catch(() => null)
  if (s !== null) await s.kill()
})

test('sql, createFunction (bytes), call, query', async () => {
  const db = await client((await mainServer()).url)
  const [t] = await db.sql(TABLE('acct'))
  assert.ok(t !== undefined && typeof t.commit.batch === 'number')
  const f = await db.createFunction('acct.deposit', BANK, { export: 'deposit', fuel: 10_000_000, memory: 16 * 65536 })
  assert.type(f.commit.seq, 'number')
  await db.createFunction('acct.deposit', BANK, { export: 'deposit', orReplace: true })
  const r1 = await db.call('acct.deposit', 'alice', 5)
  const r2 = await db.call('acct.deposit', 'alice', 7)
  assert.is(r1.value, 5)
  assert.is(r2.value, 12)
  assert.ok(r2.commit.batch > r1.commit.batch || (r2.commit.batch === r1.commit.batch && r2.commit.seq > r1.commit.seq))
  const q = await db.query('SELECT id, balance FROM acct WHERE id = ?', ['alice'])
  assert.equal(q.columns, ['id', 'balance'])
  assert.equal(q.rows, [['alice', 12]])
  const all = await db.sql("INSERT INTO acct (id, balance) VALUES ('bob', 1); SELECT SUM(balance) AS total FROM acct;")
  assert.is(all.length, 2)
  assert.is(all[0]?.rowsAffected, 1)
  assert.equal(all[1]?.rows, [[13]])
  const e = await rejection(db.query('SELECT 1 FROM acct; SELECT 2 FROM acct;'))
  assert.is(e.code, 'SYNTAX_ERROR')
})

test('sql: FROM WASM FILE is read on the client and sent as X\'hex\' (with comments and quotes around)', async () => {
  const db = await client((await mainServer()).url)
  await db.sql(TABLE('filet'))
  const path = BANK_PATH.replace(/'/g, "''")
  const res = await db.sql(`SELECT 'FILE' AS x FROM filet WHERE id = 'none';\nCREATE FUNCTION filet.deposit FROM WASM FILE /* c */ '${path}' EXPORT 'deposit';\nCREATE OR REPLACE FUNCTION filet.withdraw FROM WASM\n  file '${path}' EXPORT 'withdraw' WITH (FUEL = 1000000);`)
  assert.is(res.length, 3)
  assert.is((await db.call('filet.deposit', 'a', 3)).value, 3)
  assert.is((await db.call('filet.withdraw', 'a', 1)).value, 2)
  const e = await rejection(db.sql("CREATE FUNCTION filet.x FROM WASM FILE '/nonexistent/x.wasm';"))
  assert.is(e.code, 'INVALID_WASM')
  assert.is(e.line, 1)
})

test('errors: code, message, line/column, statement, commit', async () => {
  const db = await client((await mainServer()).url)
  await db.sql(TABLE('errt'))
  await db.createFunction('errt.deposit', BANK, { export: 'deposit' })
  const syn = await rejection(db.sql('SELECT 1 FROM errt;\nSELEC oops;'))
  assert.is(syn.code, 'SYNTAX_ERROR')
  assert.is(syn.line, 2)
  assert.is(syn.column, 1)
  const abort = await rejection(db.call('errt.deposit', 'x', -1))
  assert.is(abort.code, 'TXN_ABORTED')
  assert.match(abort.message, /positive/)
  assert.type(abort.commit?.batch, 'number')
  const unk = await rejection(db.call('errt.nope', 'x'))
  assert.is(unk.code, 'UNKNOWN_FUNCTION')
  const tbl = await rejection(db.sql('SELECT 1 FROM errt; SELECT * FROM missing;'))
  assert.is(tbl.code, 'UNKNOWN_TABLE')
  assert.is(tbl.statement, 1)
})

test('values: bigint beyond 2^53 as $int and Uint8Array as $blob round-trip', async () => {
  const db = await client((await mainServer()).url)
  await db.sql('CREATE TABLE vals (id TEXT PRIMARY KEY, i INTEGER, b BLOB, r REAL) PARTITIONS 2;')
  const big = 9007199254740993n
  const blob = new Uint8Array([0, 1, 2, 250, 255])
  await db.sql('INSERT INTO vals (id, i, b, r) VALUES (?, ?, ?, ?), (?, ?, ?, ?);', ['a', big, blob, 1.5, 'b', -big, new Uint8Array(0), null])
  const q = await db.query('SELECT i, b, r FROM vals WHERE id = ?', ['a'])
  assert.is(q.rows[0]?.[0], big)
  assert.equal(q.rows[0]?.[1], blob)
  assert.is(q.rows[0]?.[2], 1.5)
  const q2 = await db.query('SELECT i, b, r FROM vals WHERE id = ?', ['b'])
  assert.is(q2.rows[0]?.[0], -big)
  assert.equal(q2.rows[0]?.[1], new Uint8Array(0))
  assert.is(q2.rows[0]?.[2], null)
  await db.sql(TABLE('vault'))
  await db.createFunction('vault.deposit', BANK, { export: 'deposit' })
  assert.is((await db.call('vault.deposit', 'whale', big)).value, big)
  assert.is((await db.call('vault.deposit', 'minnow', 5n)).value, 5)
})

test('query { rows: \'objects\' }: rows keyed by the server\'s column names, values decoded; arrays stay the default', async () => {
  const db = await client((await mainServer()).url)
  await db.sql('CREATE TABLE objs (id TEXT PRIMARY KEY, i INTEGER, b BLOB) PARTITIONS 2;')
  const big = 9007199254740993n
  const blob = new Uint8Array([7, 8])
  await db.sql('INSERT INTO objs (id, i, b) VALUES (?, ?, ?), (?, ?, ?);', ['a', big, blob, 'b', 2, null])
  const q = await db.query<{ id: string; n: bigint | number; b: Uint8Array | null }>('SELECT id, i AS n, b FROM objs ORDER BY id', [], { rows: 'objects' })
  assert.equal(q.columns, ['id', 'n', 'b'])
  assert.equal(q.rows, [{ id: 'a', n: big, b: blob }, { id: 'b', n: 2, b: null }])
  assert.equal((await db.query('SELECT id FROM objs ORDER BY id')).rows, [['a'], ['b']])
  assert.equal((await db.query('SELECT id FROM objs WHERE id = ?', ['none'], { rows: 'objects' })).rows, [])
  await db.sql(TABLE('objbank'))
  await db.createFunction('objbank.deposit', BANK, { export: 'deposit' })
  const call = await db.query("CALL objbank.deposit('alice', 3)", [], { rows: 'objects' })
  assert.is(call.rows.length, 1)
  assert.equal(Object.values(call.rows[0] ?? {}), [3])
  assert.equal(Object.keys(call.rows[0] ?? {}), call.columns)
})

test('pipelining: 100 calls in flight on one connection, replies matched by id', async () => {
  const db = await client((await mainServer()).url)
  await db.sql(TABLE('pipe'))
  await db.createFunction('pipe.deposit', BANK, { export: 'deposit' })
  const ps = Array.from({ length: 100 }, (_, i) => db.call('pipe.deposit', `k${i % 7}`, i + 1))
  for (let i = 0; i < 5; i++) await null // let every request pass its (already open) socket check and send
  const inFlight = db.inFlight
  const rs = await Promise.all(ps)
  assert.ok(inFlight > 1, `several in flight at once (${inFlight})`)
  assert.is(db.connections, 1)
  for (let k = 0; k < 7; k++) {
    const mine = rs.map((r, i) => ({ r, amount: i + 1 })).filter((_, i) => i % 7 === k)
    mine.sort((a, b) => a.r.commit.batch - b.r.commit.batch || a.r.commit.seq - b.r.commit.seq)
    let sum = 0
    for (const m of mine) { sum += m.amount; assert.is(m.r.value, sum) }
  }
  const q = await db.query('SELECT SUM(balance) AS total FROM pipe')
  assert.equal(q.rows, [[5050]])
})

test('token auth: right token works; a wrong one, or none, is UNAUTHORIZED at connect and not tried again', async () => {
  const s = await startServer({ args: ['--token', 's3cret'] })
  try {
    const ok = await client(s.url, { token: 's3cret' })
    assert.is((await ok.sql(TABLE('tok'))).length, 1)
    const wrong = await rejection(connect(s.url, { token: 'nope', reconnect: { attemptsMax: 3, delayMs: 10 } }))
    assert.is(wrong.code, 'UNAUTHORIZED')
    const none = await rejection(connect(s.url, { reconnect: { attemptsMax: 3, delayMs: 10 } }))
    assert.is(none.code, 'UNAUTHORIZED')
    // Not "(the server said: wrong token)": no token was sent.
    assert.match(none.message, /requires a token: connect\(url, \{ token \}\)$/)
    assert.not.ok(none.retryable)
  } finally {
    await s.kill()
  }
  // A server with no tokens answers the empty token's auth frame: connect() works as before.
  const open = await startServer({ args: ['--partitions', '1'] })
  try {
    const db = await client(open.url)
    assert.equal((await db.query('SELECT 1')).rows, [[1]])
    await db.close()
  } finally {
    await open.kill()
  }
})

test('reconnect: SIGKILL with requests in flight → retryable outcome-unknown rejections, never re-sent; next request reconnects', async () => {
  const port = await freePort()
  const { dir } = tempDir()
  let s = await startServer({ dataDir: dir, args: ['--port', String(port), '--partitions', '2'] })
  try {
    const db = await client(s.url, { reconnect: { attemptsMax: 100, delayMs: 50 }, requestTimeoutMs: 20_000 })
    await db.sql(TABLE('bank'))
    await db.createFunction('bank.deposit', BANK, { export: 'deposit' })
    let acked = 0
    let unknown = 0
    let sent = 0
    const other: unknown[] = []
    let firstAcks: () => void = () => {}
    const someAcked = new Promise<void>((r) => { firstAcks = r })
    // 64 lanes each keep one deposit in flight until the kill starts, so the kill always finds some in
    // flight (a fixed 400 could all be answered before the SIGKILL landed: 1 CI run in many). None is
    // sent after it starts: a request sent while no server listens fails otherwise, having not run.
    let killing = false
    const lanes = Array.from({ length: 64 }, async () => {
      while (!killing) {
        sent++
        try {
          await db.call('bank.deposit', 'k', 1)
          acked++
          if (acked === 20) firstAcks()
        } catch (err) {
          if (err instanceof AcheronError && err.retryable === true && isOutcomeUnknown(err)) unknown++
          else other.push(err)
          return
        }
      }
    })
    await someAcked
    killing = true
    await s.kill()
    await Promise.all(lanes)
    assert.equal(other, [], 'every failure is retryable and outcome-unknown')
    assert.is(acked + unknown, sent)
    assert.ok(unknown > 0, `some requests were in flight at the kill (acked ${acked})`)
    // Nothing listens now: a request fails after its bounded attempts... unless the server is back. Restart it.
    s = await startServer({ dataDir: dir, args: ['--port', String(port), '--partitions', '2'] })
    assert.is(s.port, port)
    const q = await db.query('SELECT balance FROM bank WHERE id = ?', ['k'])
    assert.is(db.connections, 2)
    const balance = q.rows[0]?.[0] as number
    if (process.env.ACHERON_E2E_VERBOSE === '1') process.stderr.write(`reconnect: acked ${acked}, unknown ${unknown}, committed ${balance}\n`)
    assert.ok(balance >= acked, `every acknowledged deposit is durable (${balance} >= ${acked})`)
    assert.ok(balance <= acked + unknown, `never more than acknowledged + unknown (${balance} <= ${acked} + ${unknown})`)
    // Settle for a while: nothing re-sent later either.
    await new Promise((r) => setTimeout(r, 300))
    const q2 = await db.query('SELECT balance FROM bank WHERE id = ?', ['k'])
    assert.is(q2.rows[0]?.[0], balance)
    assert.is((await db.call('bank.deposit', 'k', 1)).value, balance + 1)
  } finally {
    await s.kill()
  }
})

test('reconnect: bounded attempts when nothing listens → retryable error, not outcome-unknown', async () => {
  const s = await startServer()
  const db = await client(s.url, { reconnect: { attemptsMax: 3, delayMs: 20 } })
  await s.kill()
  await new Promise((r) => setTimeout(r, 100))
  const e = await rejection(db.sql('SHOW TABLES;'))
  assert.is(e.code, 'INTERNAL')
  assert.is(e.retryable, true)
  assert.not.ok(isOutcomeUnknown(e))
})

test.run()
