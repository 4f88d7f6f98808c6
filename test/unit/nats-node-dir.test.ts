// A cluster node's data directory (marked nats-log.json by every open on a NATS log) is refused by an open
// without its stream: it used to start a log file of its own there, apart from the cluster's, which
// `acheron verify --repair` then rebuilt an empty checkpoint from.
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { markNatsLog, NATS_LOG_FILE } from '../../src/storage/nats-log-mark.js'
import { tempDir } from '../support/tmp.js'

test("open() without natsLog refuses a node's directory, naming its stream, and writes nothing there", async () => {
  const { dir, cleanup } = tempDir()
  try {
    markNatsLog(dir, { stream: 'ACHERON_CLUSTER' })
    const err = await open({ dir }).then(async (db) => { await db.close(); return null }, (e: unknown) => e)
    assert.instance(err, AcheronError)
    assert.is((err as AcheronError).code, 'DATA_DIR_UNUSABLE')
    assert.match((err as AcheronError).message, /batch log is the NATS JetStream stream ACHERON_CLUSTER .*--log-nats/)
    assert.not.ok(existsSync(join(dir, 'log')), 'no log of its own was started')
    assert.not.ok(existsSync(join(dir, 'acheron.db')), 'no checkpoint was made')
    // Moved away, as the message says: the directory is a database of its own.
    rmSync(join(dir, NATS_LOG_FILE))
    const db = await open({ dir })
    await db.close()
    assert.ok(existsSync(join(dir, 'log')))
  } finally {
    cleanup()
  }
})

test("a checkpoint with no log/ beside it (a node's directory from before the mark) is refused too, until log/ is made", async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir })
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)')
    await db.sql('INSERT INTO t VALUES (1, 10), (2, 20)')
    await db.checkpoint()
    await db.close()
    // What a node on a NATS log left before nodes marked their directories: its checkpoint, no log.
    rmSync(join(dir, 'log'), { recursive: true })
    const err = await open({ dir }).then(async (d) => { await d.close(); return null }, (e: unknown) => e)
    assert.instance(err, AcheronError)
    assert.is((err as AcheronError).code, 'DATA_DIR_UNUSABLE')
    assert.match((err as AcheronError).message, /has a checkpoint of batches up to \d+ and no batch log .*--log-nats.*create the empty directory /)
    assert.not.ok(existsSync(join(dir, 'log')), 'no log of its own was started')
    // Made, as the message says: the directory is a database of its own, from its checkpoint.
    mkdirSync(join(dir, 'log'))
    const again = await open({ dir })
    try {
      assert.equal((await again.query('SELECT k, v FROM t ORDER BY k')).rows, [[1, 10], [2, 20]])
    } finally {
      await again.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
