// The rule for TEXT at the wire (docs/client.md, Values): a frame may escape a lone surrogate in JSON
// ("\ud800"), which no UTF-8 log or SQLite column can hold. A real `acheron serve` child refuses it before
// the engine: TYPE_MISMATCH for a value (key, argument, parameter), SYNTAX_ERROR for the "fn" name and for
// SQL text (with line and column), each reply carrying the request's id, and the server keeps serving.
// The remote SDK refuses the same things before sending, with the embedded SDK's code and message; no
// path at all creates a row whose key is not well formed.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer } from 'ws'
import { AcheronError, connect, open, type Database, type RemoteDatabase } from '../../src/index.js'
import { SURROGATE_DECODED, textGuest } from '../support/text-guest.js'
import { startServer, tempDir, WsClient, type Reply, type ServerProcess } from '../support/server-process.js'

const GUEST_HEX = Buffer.from(textGuest('kv')).toString('hex')
const SETUP = [
  'CREATE TABLE kv (id TEXT PRIMARY KEY, v TEXT) PARTITIONS 4;',
  ...['put', 'write', 'nested'].map((f) => `CREATE FUNCTION kv.${f} FROM WASM X'${GUEST_HEX}';`),
]

const data = tempDir()
let server: ServerProcess | null = null
let client: WsClient | null = null
const remotes = new Set<RemoteDatabase>()

test.before(async () => {
  server = await startServer({ dataDir: data.dir, args: ['--partitions', '4', '--workers', '2'] })
  client = await WsClient.connect(server.url)
  for (const sql of SETUP) await client.ok(sql)
})

test.after(async () => {
  for (const r of remotes) await r.close()
  client?.terminate()
  await server?.kill()
  data.cleanup()
})

async function remote(url: string): Promise<RemoteDatabase> {
  const db = await connect(url, { requestTimeoutMs: 5000 })
  remotes.add(db)
  return db
}

let rawId = 1000
/** Sends `frame` (JSON text with `$ID` for a fresh id) exactly as written, and returns that id's reply. */
async function raw(frame: string): Promise<{ id: number; reply: Reply }> {
  const c = client as WsClient
  const id = rawId++
  c.sendRaw(frame.replace('$ID', String(id)))
  const reply = await c.waitFor((m) => (m as { id?: unknown }).id === id, 10_000, `the reply to request ${id}`) as Reply
  return { id, reply }
}

function refusal(r: { id: number; reply: Reply }, code: string, message: string | RegExp): { line?: number | undefined; column?: number | undefined } {
  assert.is(r.reply.id, r.id, 'the reply carries the request id')
  assert.ok(!r.reply.ok, `expected ${code}: ${JSON.stringify(r.reply)}`)
  if (r.reply.ok) return {}
  assert.is(r.reply.error.code, code, r.reply.error.message)
  if (typeof message === 'string') assert.is(r.reply.error.message, message)
  else assert.match(r.reply.error.message, message)
  assert.is(r.reply.error.commit, undefined, 'refused before the engine')
  return { line: r.reply.error.line, column: r.reply.error.column }
}

const notWellFormed = (what: string, unit: string, index: number) =>
  `${what}: text is not well-formed Unicode (lone surrogate U+${unit} at index ${index})`

// JSON escapes as they appear in a frame: a lone high, a lone low, a reversed pair.
const ESCAPED: readonly (readonly [string, string, number])[] = [
  ['\\ud800', 'D800', 0],
  ['x\\udc00', 'DC00', 1],
  ['\\udc00\\ud800', 'DC00', 0],
]

test('wire: a lone surrogate as key, argument or parameter is TYPE_MISMATCH with the request id', async () => {
  for (const [esc, unit, at] of ESCAPED) {
    refusal(await raw(`{"id":$ID,"op":"call","fn":"kv.put","key":"${esc}","args":["x"]}`), 'TYPE_MISMATCH', notWellFormed('key', unit, at))
    refusal(await raw(`{"id":$ID,"op":"call","fn":"kv.put","key":"k","args":["x","${esc}"]}`), 'TYPE_MISMATCH', notWellFormed('argument 2', unit, at))
    refusal(await raw(`{"id":$ID,"op":"sql","sql":"INSERT INTO kv VALUES (?, ?)","params":["k","${esc}"]}`), 'TYPE_MISMATCH', notWellFormed('parameter 2', unit, at))
    refusal(await raw(`{"id":$ID,"op":"sql","sql":"SELECT v FROM kv WHERE id = ?","params":["${esc}"]}`), 'TYPE_MISMATCH', notWellFormed('parameter 1', unit, at))
  }
  // Any value the wire protocol refuses answers with the request's id, not only text.
  refusal(await raw('{"id":$ID,"op":"call","fn":"kv.put","key":"k","args":[{"$nope":1}]}'), 'TYPE_MISMATCH', /^argument 1: not a value of the wire protocol/)
})

test('wire: a lone surrogate in "fn" or in the SQL text is SYNTAX_ERROR with the request id (and line and column)', async () => {
  refusal(await raw('{"id":$ID,"op":"call","fn":"kv.\\udc00","key":"k"}'), 'SYNTAX_ERROR', notWellFormed('"fn"', 'DC00', 3))
  const literal = refusal(await raw('{"id":$ID,"op":"sql","sql":"SELECT v FROM kv;\\nINSERT INTO kv VALUES (\'a\\ud800\', \'b\');"}'), 'SYNTAX_ERROR',
    'string literal: text is not well-formed Unicode (lone surrogate U+D800 at line 2, column 26)')
  assert.equal(literal, { line: 2, column: 26 })
  const comment = refusal(await raw('{"id":$ID,"op":"sql","sql":"SELECT v FROM kv -- \\udc00\\ud800"}'), 'SYNTAX_ERROR', /^comment: .*U\+DC00/)
  assert.equal(comment, { line: 1, column: 21 })
})

test('wire: a well-formed escaped pair is accepted and round-trips; the server keeps serving', async () => {
  const put = await raw('{"id":$ID,"op":"call","fn":"kv.put","key":"\\ud83d\\ude00","args":["a\\ud83d\\ude00b"]}')
  assert.ok(put.reply.ok, JSON.stringify(put.reply))
  if (put.reply.ok) assert.equal(put.reply.results[0]?.rows, [['a😀b']])
  const sel = await raw('{"id":$ID,"op":"sql","sql":"SELECT id, v FROM kv WHERE id = ?","params":["\\ud83d\\ude00"]}')
  assert.ok(sel.reply.ok, JSON.stringify(sel.reply))
  if (sel.reply.ok) assert.equal(sel.reply.results[0]?.rows, [['😀', 'a😀b']])
  assert.ok((client as WsClient).isOpen, 'no refusal closed the connection')
})

test('remote SDK: refuses before sending (nothing reaches the socket), TYPE_MISMATCH / SYNTAX_ERROR', async () => {
  // A stand-in server that records every frame and answers each with one canned result.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const frames: string[] = []
  wss.on('connection', (ws) => ws.on('message', (d) => {
    const text = String(d)
    const { id, op } = JSON.parse(text) as { id: number; op: string }
    // connect()'s auth round trip (every connection makes one) is not a request.
    if (op !== 'auth') frames.push(text)
    ws.send(JSON.stringify({ id, ok: true, results: [{ columns: ['result'], rows: [[1]], rowsAffected: 0, commit: { batch: 1, seq: 0 } }] }))
  }))
  try {
    const db = await remote(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
    const attempts: [() => Promise<unknown>, string, string | RegExp][] = [
      [() => db.call('kv.put', '\ud800', 'x'), 'TYPE_MISMATCH', notWellFormed('key', 'D800', 0)],
      [() => db.call('kv.put', 'k', 'x', '\udc00\ud800'), 'TYPE_MISMATCH', notWellFormed('argument 2', 'DC00', 0)],
      // Named as embedded names it, not as the frame's "fn" field the caller never wrote.
      [() => db.call('kv.\udc00', 'k'), 'TYPE_MISMATCH', notWellFormed('function name', 'DC00', 3)],
      [() => db.sql('INSERT INTO kv VALUES (?, ?)', ['k', 'a\ud83d']), 'TYPE_MISMATCH', notWellFormed('parameter 2', 'D83D', 1)],
      [() => db.query('SELECT v FROM kv WHERE id = ?', ['\udc00']), 'TYPE_MISMATCH', notWellFormed('parameter 1', 'DC00', 0)],
      [() => db.sql("SELECT v FROM kv;\nINSERT INTO kv VALUES ('a\ud800', 'b');"), 'SYNTAX_ERROR',
        'string literal: text is not well-formed Unicode (lone surrogate U+D800 at line 2, column 26)'],
      // Named as the option it is, as embedded names it, not as a literal of the SQL the SDK writes.
      [() => db.createFunction('kv.f', new Uint8Array([0]), { export: 'f\ud800' }), 'TYPE_MISMATCH', /^createFunction\(\) option export: text is not well-formed Unicode \(lone surrogate U\+D800 at index 1\)$/],
    ]
    for (const [run, code, message] of attempts) {
      const e = await run().then(() => null, (err: unknown) => err)
      assert.instance(e, AcheronError)
      assert.is((e as AcheronError).code, code, (e as AcheronError).message)
      if (typeof message === 'string') assert.is((e as AcheronError).message, message)
      else assert.match((e as AcheronError).message, message)
    }
    // One well-formed call after them: frames on one socket arrive in order, so any refused one would precede it.
    assert.is((await db.call('kv.put', '😀', 'ok')).value, 1)
    assert.is(frames.length, 1, `only the well-formed call was sent: ${frames.join(' | ')}`)
    assert.match(frames[0] as string, /"key":"😀"/)
  } finally {
    for (const ws of wss.clients) ws.terminate()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  }
})

function wellFormed(rows: unknown[][]): void {
  for (const row of rows) for (const v of row) assert.ok(typeof v !== 'string' || v.isWellFormed(), `row ${JSON.stringify(row)}`)
}

/** Code, message and position of what `run` rejects with. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  const e = await run().then(() => null, (err: unknown) => err)
  if (!(e instanceof AcheronError)) return `no AcheronError: ${String(e)}`
  return { code: e.code, message: e.message, line: e.line, column: e.column, statement: e.statement, commit: e.commit }
}

test('remote and embedded SDKs refuse the same things with the same code and message', async () => {
  const ops: ((db: Database) => Promise<unknown>)[] = [
    (db) => db.call('kv.put', '\ud800', 'x'),
    (db) => db.call('kv.put', 'k', '\udc00'),
    (db) => db.call('kv.put', 'k', 'x', 'ab\udc00\ud800'),
    (db) => db.sql('INSERT INTO kv VALUES (?, ?)', ['\ud800', 'b']),
    (db) => db.query('SELECT v FROM kv WHERE id = ?', ['x\ud83d']),
    (db) => db.sql("INSERT INTO kv VALUES ('a', 'b');\n  /* \udfff */ SELECT 1 FROM kv;"),
    (db) => db.query('SELECT "v\ud800" FROM kv'),
  ]
  const embedded = await open({ memory: true })
  const seenEmbedded: unknown[] = []
  try {
    for (const sql of SETUP) await embedded.sql(sql)
    for (const op of ops) seenEmbedded.push(await outcome(() => op(embedded)))
  } finally {
    await embedded.close()
  }
  const db = await remote((server as ServerProcess).url)
  const seenRemote: unknown[] = []
  for (const op of ops) seenRemote.push(await outcome(() => op(db)))
  assert.equal(seenRemote, seenEmbedded)
  assert.equal(seenEmbedded.map((o) => (o as { code: string }).code),
    ['TYPE_MISMATCH', 'TYPE_MISMATCH', 'TYPE_MISMATCH', 'TYPE_MISMATCH', 'TYPE_MISMATCH', 'SYNTAX_ERROR', 'SYNTAX_ERROR'])
})

test('no path creates a row whose key or value is not well formed, and a restart reads back the same rows', async () => {
  const bad = ['\ud800', '\udc00', '\udc00\ud800', 'k\ud83d']
  const c = client as WsClient
  const db = await remote((server as ServerProcess).url)
  const attempt = async (p: Promise<unknown>): Promise<void> => { await p.catch(() => undefined) }
  const embedded = await open({ memory: true })
  try {
    for (const sql of SETUP) await embedded.sql(sql)
    for (const k of bad) {
      const esc = JSON.stringify(k).slice(1, -1)
      for (const target of [embedded, db] as Database[]) {
        await attempt(target.call('kv.put', k, 'v'))
        await attempt(target.call('kv.put', 'ok', k))
        await attempt(target.sql('INSERT INTO kv VALUES (?, ?)', [k, 'v']))
        await attempt(target.sql(`INSERT INTO kv VALUES ('${k}', 'v')`))
        await attempt(target.sql(`UPDATE kv SET v = ? WHERE id = 'ok'`, [k]))
        await attempt(target.sql(`INSERT OR REPLACE INTO kv (id, v) VALUES ('r', '${k}')`))
      }
      await attempt(embedded.insert('kv', [[k, 'v'], ['ok2', k]]))
      await attempt(c.request({ op: 'call', fn: 'kv.put', key: k, args: ['v'] })) // JSON.stringify escapes it as \udXXX
      await raw(`{"id":$ID,"op":"sql","sql":"INSERT INTO kv VALUES ('${esc}', 'v')"}`)
      await raw(`{"id":$ID,"op":"sql","sql":"INSERT INTO kv VALUES (?, ?)","params":["${esc}","${esc}"]}`)
    }
    // The guest's own way to a key: call_arg_text with the bytes ED A0 80 (decoded to U+FFFD).
    await embedded.call('kv.nested', 'g')
    await db.call('kv.nested', 'g')
    // SQLite itself would show a stored lone surrogate as U+FFFD, so the rows are checked exactly: the
    // nested call's row (at a well-formed key) is the only one.
    const local = (await embedded.query('SELECT id, v FROM kv ORDER BY id')).rows
    wellFormed(local)
    assert.equal(local, [[SURROGATE_DECODED, SURROGATE_DECODED]], 'no refused write left a row')
  } finally {
    await embedded.close()
  }
  const before = (await db.query('SELECT id, v FROM kv ORDER BY id')).rows
  wellFormed(before)
  // The escaped pair of the wire test above, and the nested call's row: nothing else.
  assert.equal(before, [[SURROGATE_DECODED, SURROGATE_DECODED], ['😀', 'a😀b']], 'no refused write left a row')
  await db.close()
  remotes.delete(db)
  c.terminate()
  await (server as ServerProcess).stop()
  server = await startServer({ dataDir: data.dir, args: ['--partitions', '4', '--workers', '2'] })
  client = await WsClient.connect(server.url)
  const after = await client.ok('SELECT id, v FROM kv ORDER BY id;')
  assert.equal(after[0]?.rows, before, 'the same rows after a restart (nothing was turned into U+FFFD on the way to disk)')
})

test.run()
