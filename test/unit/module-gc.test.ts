// Module bytes no function runs any more are collected at the DDL that orphans them (the same point on
// every replay); the same bytes registered again are logged again, so replay never needs a collected one.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { wat } from '../wasm-exec/wat.js'
import { tempDir } from '../support/tmp.js'

const moduleReturning = (n: number): Uint8Array => wat(`(module (import "acheron" "ret_int" (func $r (param i64))) (memory (export "memory") 1 1)
  (func (export "f") (call $r (i64.const ${n}))))`)

function storedModules(dir: string): number {
  const db = new Database(join(dir, 'acheron.db'), { readonly: true })
  try {
    return db.prepare('SELECT COUNT(*) FROM _acheron_modules').pluck().get() as number
  } finally {
    db.close()
  }
}

test('dropped, replaced and table-dropped functions leave no module bytes behind; a shared module stays while used', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, workers: 1 })
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY); CREATE TABLE u (k INTEGER PRIMARY KEY)')
    for (let i = 0; i < 200; i++) {
      await db.createFunction('t.f', moduleReturning(i))
      await db.dropFunction('t.f')
    }
    await db.createFunction('t.f', moduleReturning(1))
    await db.createFunction('t.f', moduleReturning(2), { orReplace: true }) // 1 is orphaned
    await db.createFunction('u.f', moduleReturning(3))
    await db.createFunction('u.g', moduleReturning(3), { export: 'f' }) // shares 3
    await db.dropFunction('u.f') // 3 still runs u.g
    assert.is((await db.call('u.g', 1)).value, 3)
    await db.createFunction('u.h', moduleReturning(4), { export: 'f' })
    await db.dropTable('u') // 3 and 4 go with it
    await db.checkpoint()
    await db.close()
    assert.is(storedModules(dir), 1, 'only the module t.f runs')
  } finally {
    cleanup()
  }
})

test('every thread forgets a module no function runs, and takes it back when the same bytes return', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 2 })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    for (let round = 0; round < 3; round++) {
      for (const n of [1, 2]) {
        await db.createFunction('t.f', moduleReturning(n))
        // On the execution workers, then on the state thread (a BEGIN … COMMIT holding a query runs there).
        assert.is((await db.call('t.f', round)).value, n, `round ${round}, module ${n}, in a worker`)
        const [, , call] = await db.sql(`BEGIN; SELECT COUNT(*) FROM t; CALL t.f(${round}); COMMIT;`)
        assert.equal(call?.rows, [[n]], `round ${round}, module ${n}, on the state thread`)
        await db.dropFunction('t.f')
      }
    }
  } finally {
    await db.close()
    cleanup()
  }
})

test('replay after a collected module: the same bytes registered again are logged again', async () => {
  const { dir, cleanup } = tempDir()
  try {
    let db = await open({ dir, workers: 1, checkpointIntervalMs: 60_000 })
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    await db.createFunction('t.f', moduleReturning(7))
    await db.checkpoint() // the checkpoint holds the module
    await db.dropFunction('t.f') // collected
    await db.createFunction('t.f', moduleReturning(7)) // the same bytes again
    assert.is((await db.call('t.f', 1)).value, 7)
    await db.checkpoint()
    await db.dropFunction('t.f')
    await db.createFunction('t.g', moduleReturning(7), { export: 'f' })
    const digest = await db.digest()
    await db.close() // the log after the last checkpoint is replayed at the next open
    db = await open({ dir, workers: 1 })
    assert.is((await db.call('t.g', 1)).value, 7, 'replayed from a checkpoint that had collected it')
    assert.is(await db.digest(), digest)
    await db.close()
  } finally {
    cleanup()
  }
})

test.run()
