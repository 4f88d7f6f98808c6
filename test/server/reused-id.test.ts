// A request whose id is still in flight on its connection ran as a second request, and both were
// answered with that one id: the client, matching replies by id, took whichever came first for its
// request, and the other transaction ran unseen. Such a frame is refused at once now (SYNTAX_ERROR naming
// the id), runs nothing, and the first request still gets its one reply.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import { WsClient } from '../support/server-process.js'

test('an id reused while in flight is refused at once; the first request gets one reply and runs once', async () => {
  const db = await open({ memory: true })
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
  const client = await WsClient.connect(server.url)
  try {
    assert.equal((await client.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)')).ok, true)
    // Sent in one go: the second frame arrives while the first waits for its batch.
    client.sendRaw(JSON.stringify({ id: 7, op: 'sql', sql: 'INSERT INTO kv VALUES (1, 1)' }))
    client.sendRaw(JSON.stringify({ id: 7, op: 'sql', sql: 'INSERT INTO kv VALUES (2, 2)' }))
    const first = await client.waitFor((m) => (m as { id?: unknown; ok?: unknown }).id === 7 && (m as { ok?: unknown }).ok === true, 10_000, 'the reply to the first id 7')
    assert.equal((first as { results: { rowsAffected: number }[] }).results[0]?.rowsAffected, 1)
    // Another request after both: every frame for id 7 is in by its reply.
    const rows = await client.ok('SELECT k FROM kv ORDER BY k')
    assert.equal(rows[0]?.rows, [[1]], 'only the first INSERT ran')
    const sevens = client.messages.filter((m) => (m as { id?: unknown }).id === 7)
    assert.is(sevens.length, 2, JSON.stringify(sevens))
    assert.equal(sevens[0], {
      id: 7,
      ok: false,
      error: { code: 'SYNTAX_ERROR', message: 'request id 7 is already in flight on this connection: a request may reuse an id only once the reply to it has arrived; this one was not run' },
    }, 'the refusal comes first, before the first request\'s reply')
    assert.equal(sevens[1], first)
    // Once answered, the id may be used again.
    const again = await client.requestWithId(7, { op: 'sql', sql: 'INSERT INTO kv VALUES (3, 3)' })
    assert.is(again.ok, true)
  } finally {
    client.terminate()
    await server.close()
    await db.close()
  }
})

test('the refusal keeps the connection, and other ids in flight are untouched', async () => {
  const db = await open({ memory: true })
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
  const client = await WsClient.connect(server.url)
  try {
    assert.equal((await client.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)')).ok, true)
    client.sendRaw(JSON.stringify({ id: 101, op: 'sql', sql: 'INSERT INTO kv VALUES (1, 1)' }))
    client.sendRaw(JSON.stringify({ id: 102, op: 'call', fn: 'kv.none', key: 1, args: [] }))
    client.sendRaw(JSON.stringify({ id: 101, op: 'version' }))
    client.sendRaw(JSON.stringify({ id: 103, op: 'sql', sql: 'INSERT INTO kv VALUES (3, 3)' }))
    await client.waitFor((m) => (m as { id?: unknown }).id === 103, 10_000, 'the reply to id 103')
    await client.waitFor((m) => (m as { id?: unknown }).id === 102, 10_000, 'the reply to id 102')
    await client.waitFor((m) => (m as { id?: unknown }).id === 101 && (m as { results?: unknown[] }).results?.length === 1, 10_000, 'the INSERT\'s reply to id 101')
    const byId = (id: number): unknown[] => client.messages.filter((m) => (m as { id?: unknown }).id === id)
    assert.is(byId(101).length, 2)
    assert.is((byId(101)[0] as { error?: { code: string } }).error?.code, 'SYNTAX_ERROR')
    assert.is((byId(101)[1] as { ok: boolean }).ok, true)
    assert.is(byId(102).length, 1)
    assert.is(byId(103).length, 1)
    assert.equal((await client.ok('SELECT k FROM kv ORDER BY k'))[0]?.rows, [[1], [3]])
    assert.is(client.isOpen, true)
  } finally {
    client.terminate()
    await server.close()
    await db.close()
  }
})

test.run()
