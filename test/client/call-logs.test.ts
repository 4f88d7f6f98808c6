// Function logs over the wire: `"logs": true` on the call op and CALL … WITH LOGS in a script bring a
// call's log() lines back in the reply's result (or error), against a real `acheron serve`; the remote
// SDK's callWithLogs; CREATE FUNCTIONS through the remote SDK's client-side FILE.
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, type RemoteDatabase } from '../../src/index.js'
import { oneFrameReply, startServer, type ServerProcess } from '../support/server-process.js'

const LOGS_WASM = fileURLToPath(new URL('../../guest/logs.wasm', import.meta.url))
let server: ServerProcess | null = null
let db: RemoteDatabase | null = null
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '2'] })
  db = await connect(server.url)
  await db.sql(`CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0); CREATE FUNCTIONS t.* FROM WASM FILE '${LOGS_WASM}'`)
})
test.after(async () => {
  await db?.close()
  await server?.kill()
})

/** One raw frame's reply. */
const raw = (frame: Record<string, unknown>): Promise<Record<string, unknown>> => oneFrameReply((server as ServerProcess).url, frame)

test('the call op with "logs": true: the result carries the lines; without it, no logs field', async () => {
  const withLogs = await raw({ id: 1, op: 'call', fn: 't.relay', key: 'a', args: ['b', 2], logs: true })
  assert.equal(withLogs.ok, true, JSON.stringify(withLogs))
  const [r] = withLogs.results as Record<string, unknown>[]
  assert.equal([r?.rows, r?.logs], [[[2]], ['relay', 'line 0', 'line 1']])
  const without = await raw({ id: 2, op: 'call', fn: 't.say', key: 'a', args: [1] })
  assert.is('logs' in ((without.results as Record<string, unknown>[])[0] as object), false)
  const bad = await raw({ id: 3, op: 'call', fn: 't.say', key: 'a', args: [1], logs: 'yes' })
  assert.equal([bad.id, (bad.error as Record<string, unknown>).code], [3, 'SYNTAX_ERROR'])
  const failed = await raw({ id: 4, op: 'call', fn: 't.fail', key: 'a', logs: true })
  assert.equal((failed.error as Record<string, unknown>).logs, ['about to abort'])
})

test('remote SDK: callWithLogs, CALL … WITH LOGS in sql, and the lines of a failure on the error', async () => {
  const remote = db as RemoteDatabase
  const c = await remote.callWithLogs('t.say', 'k', 2)
  assert.equal([c.value, c.logs], [2, ['line 0', 'line 1']])
  const rs = await remote.sql("CALL t.say('k', 1) WITH LOGS; CALL t.say('k', 1)")
  assert.equal(rs[0]?.logs, ['line 0'])
  assert.is(rs[1]?.logs, undefined)
  assert.equal((await remote.query("CALL t.say('k', 1) WITH LOGS")).logs, ['line 0'])
  try {
    await remote.callWithLogs('t.fail', 'k')
    assert.unreachable('t.fail aborts')
  } catch (e) {
    assert.instance(e, AcheronError)
    assert.equal([(e as AcheronError).code, (e as AcheronError).logs], ['TXN_ABORTED', ['about to abort']])
  }
  // Conflicting bumps from many in-flight requests: each reply has its committed execution's one line.
  const bumps = await Promise.all(Array.from({ length: 40 }, () => remote.callWithLogs('t.bump', 'hot')))
  for (const b of bumps) assert.equal(b.logs, [`v=${String(b.value)}`])
})

test.run()
