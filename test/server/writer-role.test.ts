// A server whose node may lose the writer's role (a --failover writer, src/cluster/failover.ts) asks
// its guard before it runs a request itself: once the guard says no, this request and every later one
// go to the forward it set (the writer elsewhere), and a request forwarded to it by another node is
// refused retryably, unrun. setDatabase swaps the database requests run on (a reopened directory).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, open } from '../../src/index.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'

test('the guard switches the server to forwarding before the request runs; forwarded requests are refused; setDatabase swaps the database', async () => {
  const db = await open({ memory: true })
  const other = await open({ memory: true })
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
  const client = await connect(server.url)
  try {
    await client.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)')
    let writer = true
    const forwarded: string[] = []
    server.setLocalGuard(() => {
      if (!writer) server.setForward({ forward: async (raw) => { forwarded.push(raw); return JSON.stringify({ id: JSON.parse(raw).id, ok: true, results: [] }) } })
      return writer
    })
    await client.sql('INSERT INTO t VALUES (1, 1)')
    assert.equal(forwarded, [], 'the writer runs its requests')
    const refusedBefore = JSON.parse(await server.handleForwarded(JSON.stringify({ id: 7, op: 'sql', sql: 'SELECT 1' }), 'admin', 1 << 20))
    assert.is(refusedBefore.ok, true, 'a forwarded request runs while the guard allows it')

    writer = false
    await client.sql('INSERT INTO t VALUES (2, 2)')
    assert.is(forwarded.length, 1, 'the request went to the forward, not to this database')
    assert.match(forwarded[0] as string, /INSERT INTO t VALUES \(2, 2\)/)
    assert.is((await db.query('SELECT COUNT(*) FROM t')).rows[0]?.[0], 1, 'nothing ran here')
    const refused = JSON.parse(await server.handleForwarded(JSON.stringify({ id: 8, op: 'sql', sql: 'SELECT 1' }), 'admin', 1 << 20))
    assert.is(refused.ok, false)
    assert.is(refused.error.retryable, true)
    assert.match(refused.error.message, /no longer writes the stream/)

    // A guard that says no without a writer to forward to: refused, retryably, unrun.
    server.setForward(null)
    server.setLocalGuard(() => false)
    const refusedHere = await client.sql('INSERT INTO t VALUES (3, 3)').then(() => null, (e: unknown) => e as { retryable?: boolean; message: string })
    assert.is(refusedHere?.retryable, true)
    assert.match(refusedHere?.message ?? '', /no longer writes the stream/)
    assert.is((await db.query('SELECT COUNT(*) FROM t')).rows[0]?.[0], 1, 'nothing ran here')

    // Back to running requests itself, on another database.
    server.setLocalGuard(null)
    server.setForward(null)
    server.setDatabase(other)
    await client.sql('CREATE TABLE u (k INTEGER PRIMARY KEY)')
    assert.ok((await other.query('SHOW TABLES')).rows.some((r) => r[0] === 'u'), 'the new database ran it')
    assert.not.ok((await db.query('SHOW TABLES')).rows.some((r) => r[0] === 'u'))
  } finally {
    await client.close()
    await server.close()
    await db.close()
  }
})

test.run()
