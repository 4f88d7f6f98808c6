// The wall-clock watchdog, the last line of defence behind fuel: a worker stuck in one transaction for
// longer than txnWallMsMax is terminated; on the coordinator's thread (workers: 0), which cannot be
// terminated, the WebAssembly runtime stops the guest at its next fuel slice (src/wasm-exec/fuel-slice.ts).
// Either way its batch fails whole as an environment failure (INTERNAL, no position, voided in the log) —
// never as an outcome a replay would have to reproduce. Other clients' later batches commit, and a restart
// replays none of the voided batch.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { FUEL_MAX } from '../../src/schema/catalog.js'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WATCHDOG_LOOK_MS_MAX } from '../../src/txn/worker-pool.js'
import { BURN_WAT } from '../support/burn-wat.js'
import { stopped } from '../support/process-state.js'
import { join } from 'node:path'
import { tempDir } from '../support/tmp.js'
import { abiModule } from '../wasm-exec/wat.js'

const module = abiModule(`
  ;; Spins forever, a host call per iteration: ~10^8 iterations on FUEL_MAX, far longer than the watchdog.
  (func (export "spin") (local $n i64)
    (loop $l
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (call $set_int (i32.const 1) (local.get $n))
      (br $l)))
  ;; Loops arg 0 times, a host call per iteration, and returns the count: a long but finite transaction.
  ${BURN_WAT}
  (func (export "bump")
    (call $set_int (i32.const 1) (i64.add (call $get_int (i32.const 1)) (i64.const 1)))
    (call $ret_int (call $get_int (i32.const 1))))
`)

// A chain of nested calls that each spend little fuel: the fuel slice's clock check was never reached, and
// on the coordinator's thread such a call ran for as long as its fuel lasted (half a million nested calls
// on the default fuel), holding every other client. Each call instantiates a module of 256 pages.
const chain = abiModule(`
  (data (i32.const 16) "t.nop")
  (func (export "callmany") (local $n i64) (local $k i64)
    (local.set $k (call $arg_int (i32.const 0)))
    (block $out (loop $l
      (br_if $out (i64.ge_s (local.get $n) (local.get $k)))
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (call $call_begin (i32.const 16) (i32.const 5))
      (call $call_arg_int (i64.const 1))
      (drop (call $call_invoke))
      (br $l)))
    (call $ret_int (local.get $n)))
  (func (export "nop") (call $ret_int (i64.const 0)))
`, '(memory (export "memory") 256 256)')

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  const e = await p.then(() => null, (err: unknown) => err)
  assert.instance(e, AcheronError, 'expected an AcheronError')
  return e as AcheronError
}

for (const workers of [1, 0]) test(`workers ${workers}: a transaction running past txnWallMsMax voids its batch (INTERNAL, no position); later batches commit; replay skips it`, async () => {
  const { dir, cleanup } = tempDir()
  const logs: { line: string; level: string; source: string }[] = []
  try {
    let db = await open({ dir, workers, txnWallMsMax: 300, log: (line, e) => logs.push({ line, level: e.level, source: e.source }) })
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);')
    await db.createFunction('t.spin', module, { fuel: FUEL_MAX })
    await db.createFunction('t.bump', module)
    assert.is((await db.call('t.bump', 1)).value, 1)
    const started = performance.now()
    // Submitted together: one batch. The innocent bump fails with it, retryably.
    const [spin, bump] = await Promise.all([failure(db.call('t.spin', 2)), failure(db.call('t.bump', 1))])
    const ms = performance.now() - started
    for (const e of [spin, bump]) {
      assert.is(e.code, 'INTERNAL')
      assert.is(e.commit, undefined, 'no position: nothing of the batch happened')
      assert.match(e.message, /txnWallMsMax|300 ms/)
    }
    assert.ok(ms < 5_000, `the watchdog took ${ms.toFixed(0)} ms`)
    // Other clients go on (on a replacement worker when there are workers).
    const after = await Promise.all([db.call('t.bump', 1), db.call('t.bump', 3)])
    assert.is(after[0].value, 2, 'the voided bump left nothing')
    assert.ok(after[0].commit.batch > 0)
    assert.is((await db.get('t', 2)).row, null)
    const voided = logs.find((l) => l.line.startsWith('[engine] batch ') && / failed and was not committed/.test(l.line))
    assert.ok(voided !== undefined, `the server log says the batch failed: ${JSON.stringify(logs)}`)
    assert.equal([voided.level, voided.source], ['error', 'engine'], 'an engine failure is an error, not an info line like a function\'s')
    await db.close()
    db = await open({ dir, workers, txnWallMsMax: 300 })
    assert.is((await db.get('t', 1)).row?.n, 2, 'replay skips the voided batch')
    assert.is((await db.get('t', 2)).row, null)
    await db.close()
  } finally {
    cleanup()
  }
})

test('workers 1: a process stopped (SIGSTOP) for longer than txnWallMsMax in the middle of a transaction does not void it once resumed', async () => {
  // The watchdog counted the pause as the transaction's: a writer paused past the bound (a VM frozen, a
  // process stopped) voided its batch in flight as soon as it ran again. It now counts at most
  // WATCHDOG_LOOK_MS_MAX of any one look, and the transaction, about half a second of work, commits.
  const { dir, cleanup } = tempDir()
  try {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../support/paused-child.js', import.meta.url)), dir, '3000'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const pid = child.pid as number
    while (!stopped(pid)) {
      assert.is(child.exitCode, null, `the child exited before it stopped itself: ${out}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // Stopped longer than the bound (3 s) and than WATCHDOG_LOOK_MS_MAX.
    await new Promise((resolve) => setTimeout(resolve, 4_000))
    process.kill(pid, 'SIGCONT')
    assert.is(await exited, 0, out)
    const reply = JSON.parse(out.trim()) as { ok: boolean; value?: number; iterations: number; message?: string }
    assert.ok(reply.ok, `the transaction the pause landed in failed: ${reply.message}`)
    assert.is(reply.value, reply.iterations)
    assert.ok(WATCHDOG_LOOK_MS_MAX < 3_000)
  } finally {
    cleanup()
  }
})

test('workers 0: a chain of cheap nested calls is stopped at the deadline too, not when its fuel runs out', async () => {
  const db = await open({ memory: true, workers: 0, txnWallMsMax: 300 })
  try {
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);')
    await db.createFunction('t.callmany', chain, { export: 'callmany', memory: 256 * 65536 })
    await db.createFunction('t.nop', chain, { export: 'nop', memory: 256 * 65536 })
    // A short chain completes: the bound is per transaction, not per call.
    assert.is((await db.call('t.callmany', 1, 10)).value, 10)
    const started = performance.now()
    const e = await failure(db.call('t.callmany', 1, 2_000_000))
    const ms = performance.now() - started
    assert.is(e.code, 'INTERNAL')
    assert.is(e.commit, undefined)
    assert.match(e.message, /300 ms/)
    assert.ok(ms < 5_000, `stopped after ${ms.toFixed(0)} ms`)
    assert.is((await db.call('t.callmany', 1, 3)).value, 3, 'later calls run')
  } finally {
    await db.close()
  }
})

for (const workers of [1, 0]) test(`workers ${workers}: the bound is not enforced while the log is replayed: an acknowledged batch runs again however long it takes`, async () => {
  const { dir, cleanup } = tempDir()
  try {
    const options = { dir, workers, logSegmentsKept: Number.MAX_SAFE_INTEGER }
    const db = await open({ ...options, txnWallMsMax: 60_000 })
    await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);')
    await db.createFunction('t.burn', module, { fuel: FUEL_MAX })
    // A transaction that takes at least 300 ms here, cold; warm it is still far above the 5 ms bound below.
    let n = 100_000
    let ms = 0
    for (;;) {
      const started = performance.now()
      assert.is((await db.call('t.burn', 1, n)).value, n)
      ms = performance.now() - started
      if (ms >= 300 || n >= 64_000_000) break
      n *= 2
    }
    assert.ok(ms >= 300, `burn(${n}) took only ${ms.toFixed(0)} ms`)
    await db.close()
    // An empty checkpoint: the open re-executes every batch, burn(n) among them, with a 5 ms bound.
    for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm']) rmSync(join(dir, f), { force: true })
    const again = await open({ ...options, txnWallMsMax: 5 })
    try {
      assert.ok(again.stats.replayedBatches > 0)
      assert.is((await again.get('t', 1)).row?.n, n, 'the long batch was replayed, not voided')
      // After the replay the bound holds again.
      const e = await again.call('t.burn', 2, 4 * n).then(() => null, (err: unknown) => err)
      assert.instance(e, AcheronError)
      assert.is((e as AcheronError).code, 'INTERNAL')
    } finally {
      await again.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
