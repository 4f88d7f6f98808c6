// connect() to a port where no server listens says so in words, and what to check: it said only Node's
// "connect ECONNREFUSED 127.0.0.1:PORT" (the console reworded it; an application using the SDK could not).
import { createServer, type AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect } from '../../src/index.js'

/** A loopback port nobody listens on: taken, then released. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

test('connection refused: the URL, the reason in words, what to check, and Node\'s text kept', async () => {
  const port = await freePort()
  const url = `ws://127.0.0.1:${port}`
  try {
    const db = await connect(url, { reconnect: { attemptsMax: 1 } })
    await db.close()
    assert.unreachable('connected to a port nobody listens on')
  } catch (e) {
    assert.instance(e, AcheronError)
    const err = e as AcheronError
    assert.is(err.code, 'INTERNAL')
    assert.is(err.retryable, true)
    assert.is(err.message, `cannot connect to ${url}: connection refused (connect ECONNREFUSED 127.0.0.1:${port}); is "acheron serve" running there, and is this its port?`)
  }
})

test.run()
