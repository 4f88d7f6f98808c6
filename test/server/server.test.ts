// End to end: `acheron serve` as a child process, driven over WebSocket, checked only against the public
// contract (CONTRACT.md §1 commands and signals, §3 SQL, §4 wire protocol, §5 durability of acknowledged
// transactions across a graceful restart).
//
// One "main" server (--partitions 4 --workers 2) serves the tests that need no special flags; the auth,
// token-file, payload-limit and SIGTERM tests start their own. Every child is killed and every data
// directory removed at the end, also when a test fails (see test/support/server-process.ts).
// ACHERON_E2E_VERBOSE=1 prints the outcome counts of the SIGTERM stream on stderr.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  ConnectionClosed, startServer, tempDir, WsClient,
  type Reply, type ServerProcess, type WireError, type WireResult,
} from '../support/server-process.js'

const BANK_WASM = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))
const BANK_HEX = readFileSync(BANK_WASM).toString('hex')
const BANK_EXPORTS = ['balance', 'deposit', 'withdraw', 'transfer'] as const

// ---------------------------------------------------------------------------------------------
// Shared state and helpers

let main: Promise<ServerProcess> | null = null
/** The shared server, started on first use (so a start failure fails that test, not the whole file). */
function mainServer(): Promise<ServerProcess> {
  main ??= startServer({ args: ['--partitions', '4', '--workers', '2'] })
  return main
}

const openClients = new Set<WsClient>()
async function connect(url: string, headers?: Record<string, string>): Promise<WsClient> {
  const c = await WsClient.connect(url, headers === undefined ? {} : { headers })
  openClients.add(c)
  return c
}

test.after.each(async () => {
  for (const c of openClients) c.terminate()
  openClients.clear()
})

test.after(async () => {
  if (main !== null) {
    const s = await main.catch(() => null)
    if (s !== null) await s.kill()
  }
})

function show(x: unknown): string {
  return JSON.stringify(x)?.slice(0, 1500) ?? String(x)
}

function fail(message: string): never {
  assert.unreachable(message)
  throw new Error(message)
}

function expectOk(r: Reply, what = 'request'): WireResult[] {
  if (!r.ok) fail(`${what}: expected ok, got ${show(r)}`)
  assert.ok(Array.isArray(r.results), `${what}: results is an array in ${show(r)}`)
  return r.results
}

function expectError(r: Reply, code: string, what = 'request'): WireError {
  if (r.ok) fail(`${what}: expected error ${code}, got ok ${show(r)}`)
  assert.is(r.error.code, code, `${what}: error code in ${show(r)}`)
  assert.type(r.error.message, 'string', `${what}: error message in ${show(r)}`)
  return r.error
}

function isCommit(c: unknown): c is { batch: number; seq: number } {
  return typeof c === 'object' && c !== null
    && Number.isSafeInteger((c as { batch: unknown }).batch) && Number.isSafeInteger((c as { seq: unknown }).seq)
    && (c as { batch: number }).batch >= 0 && (c as { seq: number }).seq >= 0
}

function cmpCommit(a: { batch: number; seq: number }, b: { batch: number; seq: number }): number {
  return a.batch - b.batch || a.seq - b.seq
}

function assertResultShape(r: WireResult, what: string): void {
  assert.ok(Array.isArray(r.columns) && r.columns.every((c) => typeof c === 'string'), `${what}: columns in ${show(r)}`)
  assert.ok(Array.isArray(r.rows) && r.rows.every((row) => Array.isArray(row) && row.length === r.columns.length), `${what}: rows in ${show(r)}`)
  assert.ok(Number.isSafeInteger(r.rowsAffected) && r.rowsAffected >= 0, `${what}: rowsAffected in ${show(r)}`)
  assert.ok(isCommit(r.commit), `${what}: commit {batch, seq} in ${show(r)}`)
}

function only(results: WireResult[], what: string): WireResult {
  assert.is(results.length, 1, `${what}: one result in ${show(results)}`)
  const r = results[0] as WireResult
  assertResultShape(r, what)
  return r
}

/** Registers the bank example's functions on `table` (which needs a `balance` INTEGER column). */
async function registerBank(c: WsClient, table: string, exportsWanted: readonly string[] = BANK_EXPORTS): Promise<void> {
  for (const f of exportsWanted) {
    await c.ok(`CREATE FUNCTION ${table}.${f} FROM WASM X'${BANK_HEX}' EXPORT '${f}';`)
  }
}

async function createBankTable(c: WsClient, table: string): Promise<void> {
  await c.ok(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);`)
  await registerBank(c, table)
}

/**
 * Waits for the first frame (among those received from index `since` of c.messages on) that is an error
 * reply with `code`, or for the close; returns what came.
 */
async function errorFrameOrClose(c: WsClient, code: string, since = 0, timeoutMs = 5000): Promise<{ frame: unknown; close: { code: number; reason: string } | null }> {
  const isIt = (m: unknown): boolean => (m as { ok?: unknown; error?: { code?: unknown } }).ok === false
    && (m as { error: { code?: unknown } }).error?.code === code
    && c.messages.indexOf(m) >= since
  const frame = await Promise.race([
    c.waitFor(isIt, timeoutMs, `${code} reply`).catch(() => null),
    c.closed.then(() => null),
  ])
  const seen = frame ?? c.messages.slice(since).find(isIt) ?? null
  const close = await c.closedWithin(seen === null ? 0 : timeoutMs)
  return { frame: seen, close }
}

/** A token-protected server must answer UNAUTHORIZED and close the connection. */
async function assertRefused(c: WsClient, what: string): Promise<void> {
  const { frame, close } = await errorFrameOrClose(c, 'UNAUTHORIZED')
  assert.ok(frame !== null, `${what}: an UNAUTHORIZED error reply; frames ${show(c.messages)}, close ${show(c.closeInfo)}`)
  assert.ok(close !== null, `${what}: the connection is closed after UNAUTHORIZED; frames ${show(c.messages)}`)
  assert.not.ok(c.messages.some((m) => (m as { ok?: unknown }).ok === true), `${what}: nothing succeeded: ${show(c.messages)}`)
}

// ---------------------------------------------------------------------------------------------
// §1: the ready line

test('ready line: exactly one stdout line "acheron listening on ws://127.0.0.1:PORT" with the real port for --port 0', async () => {
  const s = await mainServer()
  assert.match(s.readyLine, /^acheron listening on ws:\/\/127\.0\.0\.1:\d+$/)
  assert.is(s.host, '127.0.0.1')
  assert.ok(s.port > 0 && s.port < 65536, `a real port, not 0: ${s.readyLine}`)
  const c = await connect(s.url)
  expectOk(await c.sql('SHOW TABLES;'), 'SHOW TABLES on the printed URL')
  // The ready line is the only stdout line (logs, if any, belong on stderr).
  assert.is(s.stdout(), s.readyLine + '\n', `stdout: ${show(s.stdout())}`)
  // Two servers with --port 0 get two different free ports.
  const other = await startServer()
  try {
    assert.is.not(other.port, s.port)
    const c2 = await connect(other.url)
    expectOk(await c2.sql('SHOW TABLES;'))
  } finally {
    await other.kill()
  }
})

// ---------------------------------------------------------------------------------------------
// §3/§4: the sql op

test('sql op: CREATE TABLE, INSERT, SELECT; one R per statement with columns, rows, rowsAffected, commit', async () => {
  const s = await mainServer()
  const c = await connect(s.url)
  const create = only(expectOk(await c.sql('CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER DEFAULT 0, price REAL);'), 'CREATE TABLE'), 'CREATE TABLE')
  const ins = only(expectOk(await c.sql("INSERT INTO item VALUES (1, 'apple', 3, 0.5), (2, 'pear', 0, 1.25);"), 'INSERT'), 'INSERT')
  assert.is(ins.rowsAffected, 2)
  const insP = only(expectOk(await c.sql('INSERT INTO item (id, name, price) VALUES (?, ?, ?);', [3, 'fig', 2.5]), 'INSERT with params'), 'INSERT with params')
  assert.is(insP.rowsAffected, 1)
  const sel = only(expectOk(await c.sql('SELECT id, name, qty, price FROM item ORDER BY id;'), 'SELECT'), 'SELECT')
  assert.equal(sel.columns, ['id', 'name', 'qty', 'price'])
  assert.equal(sel.rows, [[1, 'apple', 3, 0.5], [2, 'pear', 0, 1.25], [3, 'fig', 0, 2.5]])
  assert.is(sel.rowsAffected, 0)
  // A request sent after the previous reply arrived is ordered after it (§5).
  const seq = [create.commit, ins.commit, insP.commit, sel.commit]
  for (let i = 1; i < seq.length; i++) assert.ok(cmpCommit(seq[i - 1]!, seq[i]!) < 0, `commits increase: ${show(seq)}`)

  // Several statements in one request: one R each, in statement order, commits increasing.
  const multi = expectOk(await c.sql(
    "UPDATE item SET qty = qty + 1 WHERE id = 2;\nSELECT COUNT(*) AS n, SUM(qty) AS q FROM item;\n-- a comment\nDELETE FROM item WHERE id = 3;\nSELECT id FROM item WHERE price > ? ORDER BY id;",
    [0.75],
  ), 'four statements')
  assert.is(multi.length, 4, show(multi))
  multi.forEach((r, i) => assertResultShape(r, `statement ${i}`))
  assert.is(multi[0]!.rowsAffected, 1)
  assert.equal(multi[1]!.columns, ['n', 'q'])
  assert.equal(multi[1]!.rows, [[3, 4]])
  assert.is(multi[2]!.rowsAffected, 1)
  assert.equal(multi[3]!.rows, [[2]])
  for (let i = 1; i < multi.length; i++) assert.ok(cmpCommit(multi[i - 1]!.commit, multi[i]!.commit) < 0, `statement commits increase: ${show(multi.map((r) => r.commit))}`)
  assert.ok(cmpCommit(sel.commit, multi[0]!.commit) < 0)

  // SHOW TABLES reports the server's --partitions 4 for a table created without PARTITIONS.
  const tables = only(expectOk(await c.sql('SHOW TABLES;')), 'SHOW TABLES')
  const nameAt = tables.columns.indexOf('name')
  const partsAt = tables.columns.indexOf('partitions')
  const row = tables.rows.find((r) => r[nameAt] === 'item')
  assert.ok(row !== undefined, `item listed: ${show(tables)}`)
  if (partsAt >= 0) assert.is(row[partsAt], 4, `--partitions 4 is the default: ${show(tables)}`)
  // BEGIN…COMMIT sent together is one all-or-nothing transaction.
  expectError(await c.sql("BEGIN; INSERT INTO item VALUES (10, 'kiwi', 1, 1.0); INSERT INTO item VALUES (1, 'dup', 1, 1.0); COMMIT;"), 'DUPLICATE_KEY', 'BEGIN…COMMIT with a duplicate')
  const after = only(expectOk(await c.sql('SELECT COUNT(*) FROM item WHERE id = 10;')), 'count kiwi')
  assert.equal(after.rows, [[0]], 'the failed BEGIN…COMMIT left nothing behind')
})

// ---------------------------------------------------------------------------------------------
// §4: the call op with the wasm bank example

test('call op: the wasm bank example (transfer, nested deposit, balance); R has columns ["result"] and one row', async () => {
  const s = await mainServer()
  const c = await connect(s.url)
  await createBankTable(c, 'account')
  expectOk(await c.sql("INSERT INTO account VALUES ('alice', 100), ('bob', 5);"))
  const t = only(expectOk(await c.call('account.transfer', 'alice', ['bob', 30]), 'call transfer'), 'call transfer')
  assert.equal(t.columns, ['result'])
  assert.equal(t.rows, [[70]], `transfer returns alice's new balance: ${show(t)}`)
  const b = only(expectOk(await c.call('account.balance', 'bob'), 'call balance'), 'call balance')
  assert.equal(b.rows, [[35]])
  assert.ok(cmpCommit(t.commit, b.commit) < 0)
  // The same through SQL CALL; the nested deposit creates carol.
  const viaSql = only(expectOk(await c.sql("CALL account.transfer('bob', 'carol', 5);"), 'SQL CALL'), 'SQL CALL')
  assert.equal(viaSql.columns, ['result'])
  assert.equal(viaSql.rows, [[30]])
  const d = only(expectOk(await c.call('account.deposit', 'dave', [7]), 'call deposit'), 'call deposit')
  assert.equal(d.rows, [[7]])
  const all = only(expectOk(await c.sql('SELECT id, balance FROM account ORDER BY id;')), 'SELECT')
  assert.equal(all.rows, [['alice', 70], ['bob', 30], ['carol', 5], ['dave', 7]])
  const fns = only(expectOk(await c.sql('SHOW FUNCTIONS;')), 'SHOW FUNCTIONS')
  const listed = JSON.stringify(fns.rows)
  for (const f of BANK_EXPORTS) assert.ok(listed.includes(`account.${f}`) || listed.includes(`"${f}"`), `account.${f} listed: ${listed}`)
})

// ---------------------------------------------------------------------------------------------
// §4: errors

test('errors: SYNTAX_ERROR with line/column, TXN_ABORTED with commit, UNKNOWN_FUNCTION, UNKNOWN_TABLE, DUPLICATE_KEY', async () => {
  const s = await mainServer()
  const c = await connect(s.url)
  await createBankTable(c, 'errs')
  expectOk(await c.sql("INSERT INTO errs VALUES ('alice', 100), ('bob', 0);"))

  const syn = expectError(await c.sql('SELECT id FROM\n errs WHERE = 3;'), 'SYNTAX_ERROR', 'bad WHERE')
  assert.is(syn.line, 2, show(syn))
  assert.is(syn.column, 13, show(syn)) // the '=' of " errs WHERE = 3;"
  const syn2 = expectError(await c.sql('SHOW TABLES;\n  FROB t;'), 'SYNTAX_ERROR', 'unknown statement')
  assert.is(syn2.line, 2, show(syn2))
  assert.is(syn2.column, 3, show(syn2))
  if (syn2.statement !== undefined) assert.is(syn2.statement, 1, show(syn2))

  const before = only(expectOk(await c.call('errs.balance', 'alice')), 'balance')
  const ab = expectError(await c.call('errs.transfer', 'alice', ['bob', 1_000_000]), 'TXN_ABORTED', 'transfer beyond the balance')
  assert.match(ab.message, /insufficient funds/)
  assert.ok(isCommit(ab.commit), `TXN_ABORTED carries its commit position: ${show(ab)}`)
  const abSql = expectError(await c.sql("CALL errs.withdraw('bob', 5);"), 'TXN_ABORTED', 'SQL CALL withdraw')
  assert.ok(isCommit(abSql.commit), show(abSql))
  const after = only(expectOk(await c.sql("SELECT id, balance FROM errs ORDER BY id;")), 'balances after aborts')
  assert.equal(after.rows, [['alice', 100], ['bob', 0]], 'aborted transactions changed nothing')
  assert.ok(cmpCommit(before.commit, ab.commit!) < 0 && cmpCommit(ab.commit!, abSql.commit!) < 0 && cmpCommit(abSql.commit!, after.commit) < 0,
    `aborts are ordered among the others: ${show([before.commit, ab.commit, abSql.commit, after.commit])}`)

  expectError(await c.call('errs.nope', 'alice', []), 'UNKNOWN_FUNCTION', 'call op of an unknown function')
  expectError(await c.sql("CALL errs.nope('alice');"), 'UNKNOWN_FUNCTION', 'SQL CALL of an unknown function')
  expectError(await c.sql('SELECT * FROM no_such_table;'), 'UNKNOWN_TABLE', 'SELECT from an unknown table')
  const dup = expectError(await c.sql("INSERT INTO errs VALUES ('alice', 1);"), 'DUPLICATE_KEY', 'duplicate key')
  assert.ok(isCommit(dup.commit), `DUPLICATE_KEY carries its commit position: ${show(dup)}`)
  // The connection is still fine.
  assert.equal(only(expectOk(await c.call('errs.balance', 'alice')), 'balance').rows, [[100]])
})

// ---------------------------------------------------------------------------------------------
// §4: pipelining

test('pipelining: 200 requests in flight on one connection, every reply matched by id, balances serializable', async () => {
  const s = await mainServer()
  const c = await connect(s.url)
  await c.ok('CREATE TABLE pipe (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
  await registerBank(c, 'pipe', ['deposit'])
  const N = 200
  const KEYS = 10
  const sent: { id: number; key: string; amount: number; reply: Promise<Reply> }[] = []
  for (let i = 0; i < N; i++) {
    const id = 1000 + i
    const key = `p${i % KEYS}`
    const amount = i + 1
    sent.push({ id, key, amount, reply: c.requestWithId(id, { op: 'call', fn: 'pipe.deposit', key, args: [amount] }) })
  }
  const replies = await Promise.all(sent.map((x) => x.reply))
  assert.is(c.unmatched.length, 0, `no reply with an unknown id: ${show(c.unmatched)}`)
  const ids = new Set<number>()
  const byKey = new Map<string, { amount: number; value: unknown; commit: { batch: number; seq: number } }[]>()
  replies.forEach((r, i) => {
    const x = sent[i]!
    assert.is(r.id, x.id)
    ids.add(r.id as number)
    const res = only(expectOk(r, `deposit #${i}`), `deposit #${i}`)
    const list = byKey.get(x.key) ?? []
    list.push({ amount: x.amount, value: res.rows[0]![0], commit: res.commit })
    byKey.set(x.key, list)
  })
  assert.is(ids.size, N)
  const commits = new Set(replies.map((r) => r.ok ? `${r.results[0]!.commit.batch}.${r.results[0]!.commit.seq}` : ''))
  assert.is(commits.size, N, 'every transaction has its own commit position')
  // In commit order, each deposit returns the running sum of its key: the published order explains the results.
  for (const [key, list] of byKey) {
    list.sort((a, b) => cmpCommit(a.commit, b.commit))
    let sum = 0
    for (const d of list) {
      sum += d.amount
      assert.is(d.value, sum, `key ${key}: deposit of ${d.amount} at ${show(d.commit)} returns the running balance`)
    }
  }
  const total = only(expectOk(await c.sql('SELECT SUM(balance) AS s, COUNT(*) AS n FROM pipe;')), 'sum')
  assert.equal(total.rows, [[(N * (N + 1)) / 2, KEYS]])
})

// ---------------------------------------------------------------------------------------------
// §4: values

test('values: $int beyond ±2^53 both ways (params, call args, results), $blob round trip, text, real, null', async () => {
  const s = await mainServer()
  const c = await connect(s.url)
  await c.ok('CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB);')
  const bytes = Buffer.from([0, 1, 2, 127, 128, 253, 254, 255])
  const b64 = bytes.toString('base64')
  expectOk(await c.sql('INSERT INTO vals VALUES (?, ?, ?, ?, ?);', [1, { $int: '9007199254740993' }, 1.5, 'héllo ✓ 𝄞', { $blob: b64 }]), 'insert $int and $blob params')
  expectOk(await c.sql('INSERT INTO vals VALUES (?, ?, ?, ?, ?);', [2, { $int: '-9223372036854775808' }, null, '', { $blob: '' }]), 'insert int64 min, empty blob')
  expectOk(await c.sql('INSERT INTO vals VALUES (?, ?, ?, ?, ?);', [3, 9007199254740991, -0.25, 'quote \' " \\ \n end', null]), 'insert 2^53-1 as a number')
  expectOk(await c.sql("INSERT INTO vals VALUES (4, 9223372036854775807, 1e300, 'x', X'00ff');"), 'insert literals')
  expectOk(await c.sql('INSERT INTO vals (id, i) VALUES (?, ?);', [{ $int: '9007199254740995' }, { $int: '42' }]), 'a $int key; a small $int')
  const all = only(expectOk(await c.sql('SELECT id, i, r, t, b FROM vals ORDER BY id;')), 'SELECT')
  assert.equal(all.rows, [
    [1, { $int: '9007199254740993' }, 1.5, 'héllo ✓ 𝄞', { $blob: b64 }],
    [2, { $int: '-9223372036854775808' }, null, '', { $blob: '' }],
    [3, 9007199254740991, -0.25, 'quote \' " \\ \n end', null],
    [4, { $int: '9223372036854775807' }, 1e300, 'x', { $blob: 'AP8=' }],
    [{ $int: '9007199254740995' }, 42, null, null, null],
  ])
  // A $int parameter is compared exactly (9007199254740993 is not rounded to 2^53).
  const exact = only(expectOk(await c.sql('SELECT id FROM vals WHERE i = ?;', [{ $int: '9007199254740993' }])), 'WHERE i = $int')
  assert.equal(exact.rows, [[1]])
  const rounded = only(expectOk(await c.sql('SELECT id FROM vals WHERE i = ?;', [{ $int: '9007199254740992' }])), 'WHERE i = 2^53')
  assert.equal(rounded.rows, [])
  const byKey = only(expectOk(await c.sql('SELECT i FROM vals WHERE id = ?;', [{ $int: '9007199254740995' }])), 'WHERE id = $int key')
  assert.equal(byKey.rows, [[42]])
  const blob = only(expectOk(await c.sql('SELECT id FROM vals WHERE b = ?;', [{ $blob: b64 }])), 'WHERE b = $blob')
  assert.equal(blob.rows, [[1]])

  // Through the call op: a $int argument and a $int result.
  await c.ok('CREATE TABLE vault (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
  await registerBank(c, 'vault', ['deposit'])
  const dep = only(expectOk(await c.call('vault.deposit', 'whale', [{ $int: '9007199254740993' }]), 'deposit a $int'), 'deposit a $int')
  assert.equal(dep.rows, [[{ $int: '9007199254740993' }]])
  const dep2 = only(expectOk(await c.call('vault.deposit', 'whale', [{ $int: '2' }]), 'deposit $int 2'), 'deposit $int 2')
  assert.equal(dep2.rows, [[{ $int: '9007199254740995' }]])
  const small = only(expectOk(await c.call('vault.deposit', 'minnow', [5]), 'deposit 5'), 'deposit 5')
  assert.equal(small.rows, [[5]])
  // Beyond 64 bits: refused (whatever the code), nothing inserted, the connection goes on.
  const tooBig = await c.sql('INSERT INTO vals (id, i) VALUES (?, ?);', [6, { $int: '9223372036854775808' }])
  assert.not.ok(tooBig.ok, `a $int beyond int64 is refused: ${show(tooBig)}`)
  assert.equal(only(expectOk(await c.sql('SELECT COUNT(*) FROM vals WHERE id = 6;')), 'count').rows, [[0]])
})

// ---------------------------------------------------------------------------------------------
// §3: FILE over the wire

test('CREATE FUNCTION … FROM WASM FILE over the wire is FORBIDDEN (even for a valid module on the server), nothing registered', async () => {
  const s = await mainServer()
  const c = await connect(s.url)
  await c.ok('CREATE TABLE filetest (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
  expectError(await c.sql("CREATE FUNCTION filetest.x FROM WASM FILE '/etc/passwd';"), 'FORBIDDEN', 'FILE /etc/passwd')
  expectError(await c.sql(`CREATE FUNCTION filetest.deposit FROM WASM FILE '${BANK_WASM.replace(/'/g, "''")}' EXPORT 'deposit';`), 'FORBIDDEN', 'FILE of a valid module')
  const fns = only(expectOk(await c.sql('SHOW FUNCTIONS;')), 'SHOW FUNCTIONS')
  assert.not.ok(JSON.stringify(fns.rows).includes('filetest.'), `no filetest function registered: ${show(fns.rows)}`)
  expectError(await c.call('filetest.deposit', 'a', [1]), 'UNKNOWN_FUNCTION')
})

// ---------------------------------------------------------------------------------------------
// Garbage frames

test('garbage frames and invalid JSON get SYNTAX_ERROR (id null when unknown); the connection stays open; others are served', async () => {
  const s = await mainServer()
  const a = await connect(s.url)
  const b = await connect(s.url)
  await b.ok('CREATE TABLE IF NOT EXISTS garbage_ok (id INTEGER PRIMARY KEY, v INTEGER);')
  const nullIdSyntax = (m: unknown): boolean => {
    const r = m as { id?: unknown; ok?: unknown; error?: { code?: unknown } }
    return r.id === null && r.ok === false && r.error?.code === 'SYNTAX_ERROR'
  }
  const frames = [
    'this is not json', '{"id": 1, "op": "sql", "sql": ', '', '[1, 2, 3]', '42', '"text"', 'null', 'true',
    '{"op": "sql", "sql": "SHOW TABLES;"}', '{"id": "7", "op": "sql", "sql": "SHOW TABLES;"}', '{"id": null, "op": "sql", "sql": "SHOW TABLES;"}',
  ]
  let k = 0
  for (const f of frames) {
    a.sendRaw(f)
    await a.waitFor(nullIdSyntax, 5000, `SYNTAX_ERROR reply with id null to ${JSON.stringify(f)}`)
    assert.ok(a.isOpen, `still open after ${JSON.stringify(f)}`)
    // The other client is served in between.
    expectOk(await b.sql('INSERT INTO garbage_ok VALUES (?, ?);', [k, k]), `client b after garbage ${JSON.stringify(f)}`)
    k++
  }
  // A numeric id with an unknown or missing op: SYNTAX_ERROR carrying that id.
  expectError(await a.requestWithId(9, { op: 'frobnicate' }), 'SYNTAX_ERROR', 'unknown op')
  expectError(await a.requestWithId(10, {}), 'SYNTAX_ERROR', 'no op')
  // A burst of garbage while b keeps working.
  const BURST = 50
  const seenBefore = a.messages.length
  for (let i = 0; i < BURST; i++) a.sendRaw(i % 2 === 0 ? `{{{${i}` : `{"id": "x${i}"}`)
  const bReplies = await Promise.all(Array.from({ length: 20 }, (_, i) => b.sql('SELECT COUNT(*) FROM garbage_ok WHERE id >= ?;', [i])))
  bReplies.forEach((r, i) => expectOk(r, `b during the burst #${i}`))
  const reply = await a.sql('SELECT COUNT(*) AS n FROM garbage_ok;')
  assert.equal(only(expectOk(reply, 'a after the burst'), 'a after the burst').rows, [[frames.length]])
  const burstReplies = a.messages.slice(seenBefore).filter(nullIdSyntax)
  assert.is(burstReplies.length, BURST, `one SYNTAX_ERROR per garbage frame: ${burstReplies.length} of ${BURST}`)
  assert.ok(a.isOpen && b.isOpen)
})

// ---------------------------------------------------------------------------------------------
// Limits: PAYLOAD_TOO_LARGE

test('PAYLOAD_TOO_LARGE: a 10 KB frame under ACHERON_PAYLOAD_BYTES_MAX=4096; other clients and new connections are served', async () => {
  const s = await startServer({ env: { ACHERON_PAYLOAD_BYTES_MAX: '4096' } })
  try {
    const a = await connect(s.url)
    const b = await connect(s.url)
    await b.ok('CREATE TABLE big (id INTEGER PRIMARY KEY, t TEXT);')
    // Just under the limit: served.
    const fits = 'x'.repeat(3000)
    expectOk(await a.sql('INSERT INTO big VALUES (1, ?);', [fits]), '3 KB frame')
    // Above the limit (6 KB): a PAYLOAD_TOO_LARGE reply; nothing happens, and the connection goes on.
    // (The server need not parse an oversized frame: the reply's id may be the request's or null.)
    void a.requestWithId(2, { op: 'sql', sql: 'INSERT INTO big VALUES (3, ?);', params: ['z'.repeat(6 * 1024)] }).catch(() => null)
    const over = await a.waitFor((m) => {
      const r = m as { id?: unknown; ok?: unknown; error?: { code?: unknown } }
      return (r.id === 2 || r.id === null) && r.ok === false && r.error?.code === 'PAYLOAD_TOO_LARGE'
    }, 5000, 'PAYLOAD_TOO_LARGE reply to a 6 KB frame')
    assert.ok(over !== null && a.isOpen, `the connection stays open after a 6 KB frame: close ${show(a.closeInfo)}`)
    // A valid request of ~10 KB: refused with PAYLOAD_TOO_LARGE, in a reply or in the close.
    const huge = 'y'.repeat(10 * 1024)
    const mark = a.messages.length
    void a.sql('INSERT INTO big VALUES (2, ?);', [huge]).catch(() => null)
    const { frame, close } = await errorFrameOrClose(a, 'PAYLOAD_TOO_LARGE', mark)
    const closeSays = close !== null && close.reason.includes('PAYLOAD_TOO_LARGE')
    assert.ok(frame !== null || closeSays,
      `PAYLOAD_TOO_LARGE in a reply or the close reason; frames ${show(a.messages)}, close ${show(a.closeInfo)}`)
    // If the connection survived, it still works.
    if (a.isOpen) expectOk(await a.sql('SELECT COUNT(*) FROM big;'), 'a after the refused frame')
    expectOk(await b.sql('SELECT COUNT(*) FROM big;'), 'b after a sent a large frame')
    const c = await connect(s.url)
    const count = only(expectOk(await c.sql('SELECT COUNT(*) FROM big;'), 'a new connection'), 'count')
    assert.equal(count.rows, [[1]], 'the large insert did not happen')
    const exit = await s.stop('SIGTERM')
    assert.equal(exit, { code: 0, signal: null }, `SIGTERM exits 0; stderr ${s.stderr().slice(-2000)}`)
  } finally {
    await s.kill()
  }
})

// ---------------------------------------------------------------------------------------------
// Auth

test('auth (--token s3cret): no token, wrong token, garbage first → UNAUTHORIZED + close; Bearer header and first-frame auth work', async () => {
  const s = await startServer({ args: ['--token', 's3cret'] })
  try {
    // No token: the first frame is a request.
    const none = await connect(s.url)
    void none.sql('SHOW TABLES;').catch(() => null)
    await assertRefused(none, 'no token')
    // Bearer header.
    const bearer = await connect(s.url, { Authorization: 'Bearer s3cret' })
    expectOk(await bearer.sql('CREATE TABLE authed (id INTEGER PRIMARY KEY);'), 'Bearer header')
    expectOk(await bearer.sql('INSERT INTO authed VALUES (1);'), 'Bearer header, second request')
    // First-frame auth.
    const frame = await connect(s.url)
    frame.sendRaw(JSON.stringify({ op: 'auth', token: 's3cret' }))
    const r = only(expectOk(await frame.sql('SELECT COUNT(*) FROM authed;'), 'after first-frame auth'), 'count')
    assert.equal(r.rows, [[1]])
    // Wrong token in the first frame.
    const wrong = await connect(s.url)
    wrong.sendRaw(JSON.stringify({ op: 'auth', token: 'nope' }))
    void wrong.sql('INSERT INTO authed VALUES (2);').catch(() => null)
    await assertRefused(wrong, 'wrong first-frame token')
    // A refusal at authentication keeps the frame's id (it was null).
    const withId = await connect(s.url)
    withId.sendRaw(JSON.stringify({ id: 41, op: 'auth', token: 'nope' }))
    assert.is(((await errorFrameOrClose(withId, 'UNAUTHORIZED')).frame as { id: unknown }).id, 41)
    const requestFirst = await connect(s.url)
    requestFirst.sendRaw(JSON.stringify({ id: 42, op: 'sql', sql: 'SELECT 1' }))
    assert.is(((await errorFrameOrClose(requestFirst, 'UNAUTHORIZED')).frame as { id: unknown }).id, 42)
    // Authenticated: another auth frame is no "ok" unless it grants the same role (it was ok whatever it held).
    const again = await connect(s.url, { Authorization: 'Bearer s3cret' })
    again.sendRaw(JSON.stringify({ id: 43, op: 'auth', token: 'garbage' }))
    const wrongAgain = await again.waitFor((m) => (m as { id?: unknown }).id === 43, 5000, 'the reply to a second, wrong auth') as { ok: boolean; error?: { code: string; message: string } }
    assert.equal([wrongAgain.ok, wrongAgain.error?.code], [false, 'UNAUTHORIZED'])
    assert.match(wrongAgain.error?.message ?? '', /^wrong token \(this connection stays authenticated with the admin token\)$/)
    again.sendRaw(JSON.stringify({ id: 44, op: 'auth', token: 's3cret' }))
    assert.is((await again.waitFor((m) => (m as { id?: unknown }).id === 44, 5000, 'the reply to a second, right auth') as { ok: boolean }).ok, true)
    expectOk(await again.sql('SHOW TABLES;'), 'still authenticated')
    // An empty token (what the SDK sends when given none) is no "wrong token": none was given.
    const empty = await connect(s.url)
    empty.sendRaw(JSON.stringify({ op: 'auth', token: '' }))
    const emptyRefusal = await errorFrameOrClose(empty, 'UNAUTHORIZED')
    assert.match(JSON.stringify(emptyRefusal.frame), /no token was given, and this server asks for one/)
    assert.match(JSON.stringify((await errorFrameOrClose(wrong, 'UNAUTHORIZED')).frame), /"wrong token"/)
    // Garbage first frame.
    const garbage = await connect(s.url)
    garbage.sendRaw('hello')
    await assertRefused(garbage, 'garbage first frame')
    // Wrong Bearer header: refused at the upgrade (401) or UNAUTHORIZED + close.
    let wrongBearer: WsClient | null = null
    try {
      wrongBearer = await connect(s.url, { Authorization: 'Bearer s3cre' })
    } catch (e) {
      assert.match(String(e), /401|403/, `an upgrade refusal names 401/403: ${String(e)}`)
    }
    if (wrongBearer !== null) {
      void wrongBearer.sql('INSERT INTO authed VALUES (3);').catch(() => null)
      await assertRefused(wrongBearer, 'wrong Bearer header')
    }
    // Nothing a refused client sent happened.
    const final = only(expectOk(await bearer.sql('SELECT id FROM authed ORDER BY id;')), 'final')
    assert.equal(final.rows, [[1]])
    const exit = await s.stop('SIGINT')
    assert.equal(exit, { code: 0, signal: null }, `SIGINT exits 0; stderr ${s.stderr().slice(-2000)}`)
  } finally {
    await s.kill()
  }
})

test('--token-file: the token is read from the file (trailing newline ignored); a wrong token is refused', async () => {
  const tmp = tempDir()
  try {
    const file = join(tmp.dir, 'token')
    writeFileSync(file, 't0ken-from-file\n')
    const s = await startServer({ args: ['--token-file', file] })
    try {
      const ok = await connect(s.url, { Authorization: 'Bearer t0ken-from-file' })
      expectOk(await ok.sql('SHOW TABLES;'), 'Bearer with the file token')
      const viaFrame = await connect(s.url)
      viaFrame.sendRaw(JSON.stringify({ op: 'auth', token: 't0ken-from-file' }))
      expectOk(await viaFrame.sql('SHOW TABLES;'), 'first-frame auth with the file token')
      const wrong = await connect(s.url)
      wrong.sendRaw(JSON.stringify({ op: 'auth', token: 's3cret' }))
      void wrong.sql('SHOW TABLES;').catch(() => null)
      await assertRefused(wrong, 'a token that is not the file token')
    } finally {
      await s.kill()
    }
  } finally {
    tmp.cleanup()
  }
})

// ---------------------------------------------------------------------------------------------
// §1/§5: SIGTERM during a stream, restart on the same --data

type Outcome = 'ok' | 'aborted' | 'shutdown' | 'closed' | `error:${string}`

test('SIGTERM during a stream of transfers: exit 0; after restart every acknowledged transfer and deposit is there', async () => {
  const tmp = tempDir()
  try {
    const ACCOUNTS = 20
    const INITIAL = 1000
    const s1 = await startServer({ dataDir: tmp.dir, args: ['--partitions', '4', '--sync', 'full'] })
    let s2: ServerProcess | null = null
    try {
      const setup = await connect(s1.url)
      await createBankTable(setup, 'account')
      await setup.ok('CREATE TABLE ledger (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
      await registerBank(setup, 'ledger', ['deposit'])
      const values = Array.from({ length: ACCOUNTS }, (_, i) => `('a${i}', ${INITIAL})`).join(', ')
      await setup.ok(`INSERT INTO account VALUES ${values};`)

      // Two connections, each keeping WINDOW requests in flight: transfers between the accounts, and
      // deposits of 1 into a fresh ledger key each (so each deposit's presence is checkable alone).
      const CONNS = 2
      const WINDOW = 32
      let rng = 0x2545f491
      const rand = (n: number): number => { rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5; return (rng >>> 0) % n }
      interface Sent { kind: 'transfer' | 'deposit'; from: string; to: string; amount: number; afterShutdownSeen: boolean; outcome?: Outcome; commit?: { batch: number; seq: number } }
      const log: Sent[] = []
      let shutdownSeen = false
      let signalled = false
      const streams: Promise<void>[] = []
      const streamErrors: unknown[] = []
      for (let k = 0; k < CONNS; k++) {
        const c = await connect(s1.url)
        let n = 0
        const one = async (): Promise<void> => {
          let refusals = 0
          // After a SHUTTING_DOWN reply this stream sends one more request, then stops.
          while (c.closeInfo === null && refusals < 2) {
            const isDeposit = rand(10) < 3
            const x: Sent = isDeposit
              ? { kind: 'deposit', from: `d${k}-${n++}`, to: '', amount: 1, afterShutdownSeen: shutdownSeen }
              : (() => { const f = rand(ACCOUNTS); const t = (f + 1 + rand(ACCOUNTS - 1)) % ACCOUNTS; return { kind: 'transfer' as const, from: `a${f}`, to: `a${t}`, amount: 1 + rand(50), afterShutdownSeen: shutdownSeen } })()
            log.push(x)
            try {
              const r = x.kind === 'deposit' ? await c.call('ledger.deposit', x.from, [1]) : await c.call('account.transfer', x.from, [x.to, x.amount])
              if (r.ok) { x.outcome = 'ok'; x.commit = r.results[0]?.commit }
              else if (r.error.code === 'TXN_ABORTED') x.outcome = 'aborted'
              else if (r.error.code === 'SHUTTING_DOWN') { x.outcome = 'shutdown'; shutdownSeen = true; refusals++ }
              else x.outcome = `error:${r.error.code}`
            } catch (e) {
              if (e instanceof ConnectionClosed) { x.outcome = 'closed'; shutdownSeen = shutdownSeen || signalled; return }
              throw e
            }
          }
        }
        for (let w = 0; w < WINDOW; w++) streams.push(one().catch((e: unknown) => { streamErrors.push(e) }))
      }
      // Signal once the stream is well under way (a fixed wait was too short on a loaded machine).
      const started = Date.now()
      while (log.filter((x) => x.outcome === 'ok').length < 100 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20))
      const ackedBeforeSignal = log.filter((x) => x.outcome === 'ok').length
      assert.ok(ackedBeforeSignal > 0, 'transfers were acknowledged before the signal')
      signalled = true
      const exitP = s1.stop('SIGTERM')
      // Once the server has shown it is shutting down, a new connection is refused or gets nowhere.
      const until = Date.now() + 10_000
      while (!shutdownSeen && Date.now() < until && s1.child.exitCode === null) await new Promise((r) => setTimeout(r, 5))
      let lateOutcome = 'not tried (server already gone)'
      if (s1.child.exitCode === null) {
        try {
          const late = await connect(s1.url)
          try {
            const r = await late.sql('SELECT COUNT(*) FROM account;')
            lateOutcome = r.ok ? 'ok' : r.error.code
          } catch (e) {
            lateOutcome = e instanceof ConnectionClosed ? 'closed' : `threw ${String(e)}`
          }
        } catch (e) {
          lateOutcome = `refused (${String(e).slice(0, 80)})`
        }
      }
      const exit = await exitP
      await Promise.all(streams)
      assert.is(streamErrors.length, 0, `the streams ran without errors: ${streamErrors.map(String).join('; ').slice(0, 1000)}`)
      assert.equal(exit, { code: 0, signal: null }, `SIGTERM exits 0; stderr ${s1.stderr().slice(-2000)}`)
      assert.ok(lateOutcome === 'SHUTTING_DOWN' || lateOutcome === 'closed' || lateOutcome.startsWith('refused') || lateOutcome.startsWith('not tried'),
        `a request on a new connection after the shutdown began is not served: ${lateOutcome}`)

      const counts: Record<string, number> = {}
      for (const x of log) counts[x.outcome ?? 'none'] = (counts[x.outcome ?? 'none'] ?? 0) + 1
      if (process.env.ACHERON_E2E_VERBOSE) console.error(`SIGTERM stream: ${show(counts)}, ${ackedBeforeSignal} acked before the signal, late connection: ${lateOutcome}`)
      const unexpected = log.filter((x) => x.outcome === undefined || x.outcome.startsWith('error:'))
      assert.is(unexpected.length, 0, `every request ended ok, TXN_ABORTED, SHUTTING_DOWN or closed: ${show(counts)} e.g. ${show(unexpected.slice(0, 3))}`)
      assert.ok((counts.shutdown ?? 0) + (counts.closed ?? 0) > 0, `requests after SIGTERM got SHUTTING_DOWN or a closed connection: ${show(counts)}`)
      const servedAfterShutdown = log.filter((x) => x.afterShutdownSeen && x.outcome === 'ok')
      assert.is(servedAfterShutdown.length, 0, `no request sent after a SHUTTING_DOWN reply committed: ${show(servedAfterShutdown.slice(0, 3))}`)

      // Restart on the same --data.
      s2 = await startServer({ dataDir: tmp.dir, args: ['--partitions', '4', '--sync', 'full'] })
      const c = await connect(s2.url)
      const sum = only(expectOk(await c.sql('SELECT SUM(balance) AS total, COUNT(*) AS n, MIN(balance) AS low FROM account;')), 'sum after restart')
      assert.is(sum.rows[0]![0], ACCOUNTS * INITIAL, `total conserved across SIGTERM and restart: ${show(sum.rows)}; outcomes ${show(counts)}`)
      assert.is(sum.rows[0]![1], ACCOUNTS)
      assert.ok((sum.rows[0]![2] as number) >= 0, 'no negative balance')
      const ledger = only(expectOk(await c.sql('SELECT id, balance FROM ledger;')), 'ledger after restart')
      const present = new Map(ledger.rows.map((r) => [r[0] as string, r[1]]))
      const acked = log.filter((x) => x.kind === 'deposit' && x.outcome === 'ok')
      const missing = acked.filter((x) => !present.has(x.from))
      assert.is(missing.length, 0, `every acknowledged deposit survives the restart; missing ${show(missing.slice(0, 5))}`)
      for (const [k, v] of present) assert.is(v, 1, `deposit ${k} is there exactly once`)
      const deposits = new Map(log.filter((x) => x.kind === 'deposit').map((x) => [x.from, x]))
      const refusedButThere = [...present.keys()].filter((k) => deposits.get(k)?.outcome !== 'ok' && deposits.get(k)?.outcome !== 'closed')
      assert.is(refusedButThere.length, 0, `no deposit refused (SHUTTING_DOWN) is there: ${show(refusedButThere.map((k) => deposits.get(k)))}`)
      assert.is(present.size, acked.length,
        `the deposits present after restart are exactly the acknowledged ones (${acked.length} acknowledged, ${present.size} present; ` +
        `${counts.closed ?? 0} requests had no reply before the close): a graceful shutdown replies to the batch it finishes`)
      // If no transfer's outcome is unknown, every account's balance is exactly what the acknowledged transfers say.
      const unknownTransfers = log.filter((x) => x.kind === 'transfer' && x.outcome === 'closed').length
      if (unknownTransfers === 0) {
        const expected = new Map<string, number>(Array.from({ length: ACCOUNTS }, (_, i) => [`a${i}`, INITIAL]))
        for (const x of log) {
          if (x.kind !== 'transfer' || x.outcome !== 'ok') continue
          expected.set(x.from, expected.get(x.from)! - x.amount)
          expected.set(x.to, expected.get(x.to)! + x.amount)
        }
        const rows = only(expectOk(await c.sql('SELECT id, balance FROM account;')), 'balances').rows
        for (const [id, bal] of rows) assert.is(bal, expected.get(id as string), `balance of ${String(id)} after restart`)
      }
      // The restarted server goes on: its commits come after every acknowledged one.
      const maxAcked = log.filter((x) => x.commit !== undefined).map((x) => x.commit!).sort(cmpCommit).pop()
      const next = only(expectOk(await c.call('account.deposit', 'a0', [1]), 'a deposit after restart'), 'after restart')
      if (maxAcked !== undefined) assert.ok(cmpCommit(maxAcked, next.commit) < 0, `commit after restart ${show(next.commit)} follows the last acknowledged ${show(maxAcked)}`)
      const exit2 = await s2.stop('SIGTERM')
      assert.equal(exit2, { code: 0, signal: null })
    } finally {
      await s1.kill()
      if (s2 !== null) await s2.kill()
    }
  } finally {
    tmp.cleanup()
  }
})

test.run()
