/**
 * Modules are prepared (checked, instrumented, compiled) off the thread that serves clients: before a
 * CREATE FUNCTION is sequenced, on the preparation thread; the execution threads adopt the compiled form.
 */
import { createHash } from 'node:crypto'
import { MessageChannel } from 'node:worker_threads'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { prepThread } from '../../src/wasm-exec/prep-thread.js'
import { createRuntime } from '../../src/wasm-exec/runtime.js'
import type { FunctionRuntime, ModuleSource } from '../../src/schema/function-runtime.js'
import { bigModule } from '../support/big-module.js'
import { tempDir } from '../support/tmp.js'
import { guest } from './setup.js'
import { wat } from './wat.js'

const source = (bytes: Uint8Array): ModuleSource => ({ hash: createHash('sha256').update(bytes).digest('hex'), bytes })

const caught = (fn: () => unknown): AcheronError | null => {
  try {
    fn()
    return null
  } catch (e) {
    if (e instanceof AcheronError) return e
    throw e
  }
}

/** Passes `v` through a real MessagePort, as the engine's catalog messages do. */
function posted(v: unknown): Promise<unknown> {
  const { port1, port2 } = new MessageChannel()
  return new Promise((resolve) => {
    port2.once('message', (m) => { port1.close(); resolve(m) })
    port1.postMessage(v)
  })
}

test('a module prepared ahead (prepareOffThread) gets the verdict it gets when a runtime meets it unprepared, for valid and refused modules alike', async () => {
  const modules: [string, Uint8Array, string][] = [
    ['valid', guest('bank'), 'transfer'],
    ['missing export', guest('bank'), 'nope'],
    ['wasi import', wat('(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1 1) (func (export "f")))'), 'f'],
    ['no memory maximum', wat('(module (memory (export "memory") 1) (func (export "f")))'), 'f'],
    ['not wasm', new TextEncoder().encode('not a module at all'), 'f'],
  ]
  for (const [name, bytes, exportName] of modules) {
    const fn = { exportName, memoryBytes: 1 << 20 }
    const inThread = (await createRuntime()) as FunctionRuntime
    const offThread = (await createRuntime()) as FunctionRuntime
    const expected = caught(() => inThread.validate(source(bytes), fn))
    await offThread.prepareOffThread?.(source(bytes))
    const got = caught(() => offThread.validate(source(bytes), fn))
    assert.is(got?.code, expected?.code, name)
    assert.is(got?.message, expected?.message, name)
  }
})

test('a runtime adopts the compiled form another thread posts it, without compiling the module again', async () => {
  const coordinator = (await createRuntime()) as FunctionRuntime & { modulesCompiled: number }
  const bank = source(guest('bank'))
  const answered = prepThread.prepared
  await coordinator.prepareOffThread?.(bank)
  assert.is(prepThread.prepared, answered + 1, 'the preparation thread did the work')
  assert.is(coordinator.modulesCompiled, 1)
  const form = coordinator.preparedForm?.(bank.hash)
  assert.ok(form !== undefined, 'the coordinator holds a form to hand out')
  const worker = (await createRuntime()) as FunctionRuntime & { modulesCompiled: number; modulesAdopted: number }
  worker.validate({ ...bank, prepared: await posted(form) }, { exportName: 'transfer', memoryBytes: 1 << 20 })
  assert.is(worker.modulesCompiled, 0, 'nothing compiled on the adopting side')
  assert.is(worker.modulesAdopted, 1)
  // A malformed form is not trusted: the runtime has the bytes prepared again (on the preparation thread, waiting).
  const other = (await createRuntime()) as FunctionRuntime & { modulesCompiled: number; modulesAdopted: number }
  other.validate({ ...bank, prepared: { ok: true, facts: {} } }, { exportName: 'transfer', memoryBytes: 1 << 20 })
  assert.is(other.modulesCompiled, 1)
  assert.is(other.modulesAdopted, 0)
})

test('registering a large module leaves every other client served while it is prepared', async () => {
  const tmp = tempDir()
  const db = await open({ dir: tmp.dir, workers: 2 })
  try {
    await db.createTable({ name: 'account', partitions: 4, columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }] })
    await db.createFunction('account.deposit', guest('bank'), { export: 'deposit' })
    // The deposits' first calls before, as on a server that is running: a function's first call on a
    // worker can wait ~1 s for V8's shared platform threads while another thread prepares a module.
    for (let i = 0; i < 8; i++) await db.call('account.deposit', `warm${i}`, 1)
    const big = bigModule(3000)
    let registered = false
    const registering = db.createFunction('account.big', big, { export: 'run' }).finally(() => { registered = true })
    // Deposits, one at a time, for as long as the registration takes: before, none of them ran meanwhile
    // (binaryen held the serving thread, and the deposits queued behind the DDL).
    let served = 0
    while (!registered) {
      await db.call('account.deposit', `k${served % 50}`, 1)
      served++
    }
    await registering
    console.log(`  ${served} deposits served while a ${big.length}-byte module was registered`)
    assert.ok(served >= 20, `only ${served} deposits were served while the module was prepared`)
    assert.is((await db.call('account.big', 'x')).value, null)
    assert.is((await db.get('account', 'x')).row?.balance, 45 * 2999 + 1, 'the big module ran (on a worker, from the adopted form)')
    let total = 0
    for (let i = 0; i < 50; i++) total += Number((await db.get('account', `k${i}`)).row?.balance ?? 0)
    assert.is(total, served, 'every deposit served meanwhile committed')
  } finally {
    await db.close()
    tmp.cleanup()
  }
})

test('opening prepares the catalog\'s modules ahead on the preparation thread; a replayed CREATE FUNCTION is prepared while the engine waits', async () => {
  const tmp = tempDir()
  try {
    const columns = [{ name: 'id', type: 'TEXT' as const, primaryKey: true }, { name: 'balance', type: 'INTEGER' as const, notNull: true, default: 0 }]
    // Registered and checkpointed: at the next open the module is in the catalog, not in the log.
    let db = await open({ dir: tmp.dir, workers: 2 })
    await db.createTable({ name: 'account', partitions: 2, columns })
    await db.createFunction('account.deposit', guest('bank'), { export: 'deposit' })
    await db.call('account.deposit', 'a', 5)
    await db.close()
    const syncBefore = prepThread.preparedSync
    const answeredBefore = prepThread.prepared
    db = await open({ dir: tmp.dir, workers: 2, checkpointAtClose: false })
    assert.is(prepThread.prepared, answeredBefore + 1, 'the catalog\'s module was prepared once, on the preparation thread')
    assert.is((await db.call('account.deposit', 'a', 5)).value, 10)
    assert.is(prepThread.preparedSync, syncBefore, 'no thread met the module unprepared: the workers adopted it')
    // A module registered after the checkpoint: recovery replays its CREATE FUNCTION, whose check needs it now.
    await db.createFunction('account.noop', wat('(module (memory (export "memory") 1 1) (func (export "noop")))'))
    await db.call('account.noop', 'a')
    await db.close()
    db = await open({ dir: tmp.dir, workers: 2 })
    assert.is(prepThread.preparedSync, syncBefore + 1, 'the replayed CREATE FUNCTION was prepared while recovery waited')
    assert.is((await db.call('account.noop', 'b')).value, null)
    assert.is((await db.call('account.deposit', 'a', 1)).value, 11)
    await db.close()
  } finally {
    tmp.cleanup()
  }
})

test.run()
