// One process per data directory: a second opener — in this process or another — is refused with a
// message naming the holder, and the lock goes with its holder (close, or a kill -9).
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, DataDirInUseError as PublicDataDirInUseError, open } from '../../src/index.js'
import { DataDirInUseError, PID_FILE } from '../../src/storage/dir-lock.js'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

test('a second open of the same directory in this process is refused, naming this process; close frees it', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, workers: 1 })
    const err = await open({ dir, workers: 1 }).then(() => null, (e: unknown) => e)
    // The public error type, with its stable code, exported from the package.
    assert.instance(err, DataDirInUseError)
    assert.instance(err, AcheronError)
    assert.is(DataDirInUseError, PublicDataDirInUseError)
    assert.is((err as AcheronError).code, 'DATA_DIR_IN_USE')
    assert.match((err as Error).message, new RegExp(`in use by process ${process.pid}`))
    await db.close()
    const again = await open({ dir, workers: 1 })
    await again.close()
  } finally {
    cleanup()
  }
})

test('a second `acheron serve` on the same --data exits non-zero naming the holder; after a kill -9 of the holder the directory opens', async () => {
  const { dir, cleanup } = tempDir()
  const holder = spawn(process.execPath, [CLI, 'serve', '--data', dir, '--port', '0', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => { if (/acheron listening on/.test(d.toString())) resolve() })
      holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)))
    })
    const second = spawnSync(process.execPath, [CLI, 'serve', '--data', dir, '--port', '0', '--workers', '1'], { encoding: 'utf8', timeout: 30_000 })
    assert.is.not(second.status, 0, 'refused')
    assert.match(second.stderr + second.stdout, new RegExp(`in use by process ${holder.pid}`))
    holder.kill('SIGKILL')
    await new Promise((r) => holder.once('exit', r))
    const db = await open({ dir, workers: 1 })
    await db.close()
  } finally {
    holder.kill('SIGKILL')
    cleanup()
  }
})

test('a clean close removes acheron.pid, so that it never names a process that is gone (its pid may be another\'s by then)', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const db = await open({ dir, workers: 0 })
    assert.is(readFileSync(join(dir, PID_FILE), 'utf8').split('\n')[0], String(process.pid))
    await db.close()
    assert.not.ok(existsSync(join(dir, PID_FILE)), 'acheron.pid left after a clean close')
    // A refused second opener leaves the holder's pid file as it is.
    const first = await open({ dir, workers: 0 })
    await open({ dir, workers: 0 }).then(() => assert.unreachable('opened twice'), (e: unknown) => assert.instance(e, DataDirInUseError))
    assert.is(readFileSync(join(dir, PID_FILE), 'utf8').split('\n')[0], String(process.pid))
    await first.close()
    assert.not.ok(existsSync(join(dir, PID_FILE)))
  } finally {
    cleanup()
  }
})


test('an open whose NATS log cannot be reached leaves acheron.lock (it stays by design, docs/operations.md) and nothing else; the directory opens after', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const err = await open({ dir, workers: 1, natsLog: { servers: ['nats://127.0.0.1:1'] } }).then(() => null, (e: unknown) => e)
    assert.match((err as Error).message, /cannot reach the NATS servers/)
    assert.equal(readdirSync(dir), ['acheron.lock'])
    const db = await open({ dir, workers: 1 })
    await db.close()
  } finally {
    cleanup()
  }
})

test.run()
