// `startLocalNats` (acheron cluster, acheron check --cluster, the tests) picks ports that were free a
// moment ago; another process may take one before nats-server binds it (a CI run met this: a route port
// already in use). The start is then tried again on fresh ports, and the cluster comes up whole.
import { createServer, connect, type Server } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort, startLocalNats } from '../../src/cluster/local-nats.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }))
  })
}

function reachable(url: string): Promise<boolean> {
  const { port } = new URL(url)
  return new Promise((resolve) => {
    const sock = connect({ port: Number(port), host: '127.0.0.1' })
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => resolve(false))
  })
}

for (const which of ['client', 'route'] as const) {
  natsTest(`a 3-server cluster whose first ${which} port is taken starts again on fresh ports`, async () => {
    const taken = await listen()
    const { dir, cleanup } = tempDir('acheron-nats-ports-')
    // The picker's first port (n1's client port) or second (n1's route port) is one held by this process.
    let calls = 0
    const pick = async (): Promise<number> => (++calls === (which === 'client' ? 1 : 2) ? taken.port : freePort())
    try {
      const nats = await startLocalNats(dir, 3, pick)
      try {
        assert.ok(calls > 6, `fresh ports were picked after the taken one (${calls} picks)`)
        assert.not.ok(nats.urls.some((u) => u.endsWith(`:${taken.port}`)), 'no server is on the taken port')
        for (const url of nats.urls) assert.ok(await reachable(url), `${url} listens`)
      } finally {
        await nats.stop()
      }
    } finally {
      taken.server.close()
      cleanup()
    }
  })
}

test.run()
