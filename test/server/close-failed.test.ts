// A server whose database's close failed (its last checkpoint or its batch log could not be closed) threw
// from close() at once: its connections were left open to a server that no longer served (every request
// SHUTTING_DOWN) until the process ended under them, with no close frame, and `acheron serve` died of the
// unhandled rejection. The connections are now closed as at any stop (1001), then close() rejects.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { failingClose } from '../support/failing-close.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import { WsClient } from '../support/server-process.js'

test("a database close that fails: the server still closes its connections (1001), then rejects", async () => {
  const db = await open({ memory: true, wrapBatchLog: failingClose })
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
  const client = await WsClient.connect(server.url)
  try {
    assert.equal((await client.sql('SELECT 1')).ok, true)
    const e = await server.close().then(() => null, (err: unknown) => err)
    assert.instance(e, AcheronError)
    assert.match((e as AcheronError).message, /^close\(\) failed: the disk went away/)
    // Closed by the server before close() rejected (it waits for each connection's close): the close frame
    // came, with the stop's code. Before, the connection was still open here.
    assert.not.ok(client.isOpen, 'the connection is closed before close() rejects')
    assert.equal(await client.closed, { code: 1001, reason: 'server shutting down' })
  } finally {
    client.terminate()
  }
})

test.run()
