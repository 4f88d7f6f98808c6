// A server's graceful stop waits for the replies of what it accepted, but not forever: a request that
// waits on something other than the engine (here a forward to a writer that never answers; in CI once, a
// SHOW CLUSTER on a NATS listing that never ended) is given CLOSE_DRAIN_WAIT_MS, then its connection is
// closed and its client sees the outcome as unknown. Before, the server never exited.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open } from '../../src/index.js'
import { AcheronServer, CLOSE_DRAIN_WAIT_MS, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'

test('close ends after CLOSE_DRAIN_WAIT_MS with a request still unanswered, and says so', async () => {
  const db = await open({ memory: true })
  const logged: Record<string, unknown>[] = []
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: (e) => { logged.push(e) } })
  const client = await connect(server.url)
  try {
    await client.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    server.setForward({ forward: () => new Promise<string>(() => {}) })
    const stuck = client.sql('INSERT INTO t VALUES (1)').then(() => null, (err: unknown) => err)
    await new Promise((r) => setTimeout(r, 200))
    const started = performance.now()
    // Not a speed check: a bound on the wait, so that a regression fails here instead of hanging the run.
    let timer: NodeJS.Timeout | undefined
    const closed = await Promise.race([server.close().then(() => 'closed'), new Promise((r) => { timer = setTimeout(() => r('still waiting after 60 s'), 60_000) })])
    clearTimeout(timer)
    assert.is(closed, 'closed')
    assert.ok(performance.now() - started >= CLOSE_DRAIN_WAIT_MS - 50, 'it waited for the reply first')
    const err = await stuck
    assert.instance(err, AcheronError)
    assert.match((err as AcheronError).message, /outcome unknown|closed/i)
    assert.ok(logged.some((e) => e.msg === 'requests unanswered at shutdown; closing their connections' && e.requests === 1), JSON.stringify(logged))
  } finally {
    await client.close()
  }
})

test.run()
