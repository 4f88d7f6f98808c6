// The auth frame's fields, on a server that asks for a token and a connection that did not give one on
// the upgrade. A token that was no string ({"token": 123}) was refused as "no token was given, and this
// server asks for one", though one was; an auth frame whose id was no integer ({"id": 1.5}) authenticated
// and was never answered, while every other frame with such an id is a SYNTAX_ERROR carrying it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, WsClient } from '../support/server-process.js'

test('an auth frame with a token of another type, or an id that is no integer, is refused saying so', async () => {
  const server = await startServer({ args: ['--admin-token', 'secret'] })
  try {
    const typed = await WsClient.connect(server.url)
    typed.sendRaw('{"op":"auth","token":123,"id":1}')
    assert.equal(await typed.waitFor(() => true), { id: 1, ok: false, error: { code: 'UNAUTHORIZED', message: 'the first frame must be {"op":"auth","token":...}: "token" must be a string, got number' } })
    assert.is((await typed.closed).code, 1008)

    const fractional = await WsClient.connect(server.url)
    fractional.sendRaw('{"op":"auth","token":"secret","id":1.5}')
    fractional.sendRaw('{"op":"version","id":2}')
    assert.equal(await fractional.waitFor(() => true), { id: 1.5, ok: false, error: { code: 'UNAUTHORIZED', message: 'the first frame must be {"op":"auth","token":...}: "id" must be an integer within ±2^53, got 1.5' } })
    assert.is((await fractional.closed).code, 1008)

    // Authenticated: the same frames are SYNTAX_ERROR with their id, and the connection goes on.
    const authed = await WsClient.connect(server.url, { headers: { authorization: 'Bearer secret' } })
    try {
      authed.sendRaw('{"op":"auth","token":["secret"],"id":3}')
      assert.equal(await authed.waitFor(() => true), { id: 3, ok: false, error: { code: 'SYNTAX_ERROR', message: '"token" must be a string, got an array' } })
      assert.equal((await authed.request({ op: 'auth', token: 'secret' })).ok, true)
    } finally {
      authed.terminate()
    }
  } finally {
    await server.stop()
  }
})

test.run()
