// close() called twice at once (`await Promise.all([db.close(), db.close()])`, or two parts of a program
// shutting down the one client): both resolve only once the database is closed, embedded and remote. The
// second returned at once: remote before its socket had closed (the first was still waiting for the close
// handshake), embedded before the engine had stopped, having released the data directory's lock while
// the first was still writing the last batch and checkpoint. A close() after close() finished resolves at once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { open, type Database } from '../../src/index.js'
import { embeddedThenRemote } from '../support/both-sdks.js'
import { tempDir } from '../support/tmp.js'

interface Observed {
  /** Whether the first close() had resolved when the second one did. */
  firstDoneWhenSecondResolved: boolean
  /** Remote only: the socket's state when the second close() resolved (3 = CLOSED). */
  socketState?: number
  /** Whether a close() after both resolved before a timer of 0 ms fired. */
  thirdAtOnce: boolean
}

async function closeTwice(db: Database): Promise<Observed> {
  await db.sql('CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER)')
  await db.sql('INSERT INTO kv VALUES (1, 1)')
  // The remote client's socket: what "closed" means there.
  const ws = (db as unknown as { ws?: WebSocket | null }).ws ?? null
  let firstDone = false
  const first = db.close().then(() => { firstDone = true })
  await db.close()
  const observed: Observed = { firstDoneWhenSecondResolved: firstDone, thirdAtOnce: false }
  if (ws !== null) observed.socketState = ws.readyState
  await first
  let timerFired = false
  const timer = setTimeout(() => { timerFired = true }, 0)
  await db.close()
  observed.thirdAtOnce = !timerFired
  clearTimeout(timer)
  return observed
}

test('close() twice at once: both resolve once closed, embedded and remote; a later close() at once', async () => {
  const { embedded, remote } = await embeddedThenRemote(closeTwice)
  assert.equal(embedded, { firstDoneWhenSecondResolved: true, thirdAtOnce: true })
  assert.equal(remote, { firstDoneWhenSecondResolved: true, socketState: WebSocket.CLOSED, thirdAtOnce: true })
})

test('embedded on a directory: the second close() waits for the first, and the directory opens again with the data', async () => {
  const tmp = tempDir('acheron-close-twice-')
  try {
    const db = await open({ dir: tmp.dir, partitions: 2 })
    await db.sql('CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER)')
    await db.sql('INSERT INTO kv VALUES (1, 1), (2, 2)')
    let firstDone = false
    const first = db.close().then(() => { firstDone = true })
    await db.close()
    assert.ok(firstDone, 'the second close() resolved only after the first had')
    await first
    const again = await open({ dir: tmp.dir, partitions: 2 })
    try {
      assert.equal((await again.query('SELECT id, v FROM kv ORDER BY id')).rows, [[1, 1], [2, 2]])
    } finally {
      await again.close()
    }
  } finally {
    tmp.cleanup()
  }
})

test.run()
