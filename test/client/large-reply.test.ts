// A reply as large as the server may send reaches the application. The server bounds a read's result by
// its raw bytes (resultBytesMax, 64 MiB: docs/operations.md), but JSON escapes a control character as
// six bytes (\u0001) and a quote as two, so a result well inside that bound can be a frame of more than
// ws's default client limit of 100 MiB. The client closed the connection on it: a plain SELECT rejected
// as "connection lost (1006): outcome unknown", and every other request in flight with it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from '../../src/index.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

let server: ServerProcess | null = null
test.after(async () => { if (server !== null) await server.kill() })

test('a result of 18 MiB of control characters (a 108 MiB JSON frame) arrives whole', async () => {
  server = await startServer()
  const db = await connect(server.url)
  try {
    const piece = '\u0001'.repeat(2 * 1024 * 1024) // 12 MiB as JSON: under the 16 MiB request limit
    await db.sql('CREATE TABLE doc (k TEXT PRIMARY KEY, v TEXT) PARTITIONS 1; INSERT INTO doc VALUES (?, ?);', ['a', piece])
    const q = await db.query(`SELECT ${Array.from({ length: 9 }, () => 'v').join(' || ')} AS v FROM doc WHERE k = 'a'`)
    const v = q.rows[0]?.[0]
    assert.type(v, 'string')
    assert.is((v as string).length, 9 * piece.length)
    assert.ok(/^\u0001*$/.test(v as string))
    assert.is(db.connections, 1)
  } finally {
    await db.close()
  }
})

test.run()
