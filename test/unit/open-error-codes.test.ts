// open()'s refusals of its data directory carry stable codes: a directory that cannot be created or used
// is DATA_DIR_UNUSABLE, a damaged one DATA_DIR_DAMAGED (DataDirDamagedError). They were plain Errors with
// no code, so a program could tell them apart only by their words. The messages are unchanged
// (test/unit/make-dir.test.ts, test/unit/damage.test.ts, test/unit/serve-options.test.ts hold them).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { rejection } from '../support/rejection.js'

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acheron-open-codes-'))
    try {
      await fn(dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

test('a directory that cannot be created: DATA_DIR_UNUSABLE, with the system\'s error as its cause', async () => {
  if (!existsSync('/proc/self')) return // only Linux has a directory the kernel refuses to create in
  const e = await rejection(open({ dir: '/proc/acheron-no-such-dir/data' }))
  assert.is(e.code, 'DATA_DIR_UNUSABLE')
  assert.match(e.message, /^cannot create the data directory \/proc\/acheron-no-such-dir\/data: ENOENT/)
  assert.is((e.cause as NodeJS.ErrnoException | undefined)?.code, 'ENOENT')
  assert.not.ok(e.retryable)
})

test('a file where the directory should be: DATA_DIR_UNUSABLE', withDir(async (dir) => {
  const file = join(dir, 'not-a-dir')
  writeFileSync(file, 'x')
  const e = await rejection(open({ dir: file }))
  assert.is(e.code, 'DATA_DIR_UNUSABLE')
  assert.is(e.message, `data directory ${file} is not a directory`)
}))

test('a damaged checkpoint: DATA_DIR_DAMAGED, a DataDirDamagedError that is an AcheronError', withDir(async (dir) => {
  const db = await open({ dir, workers: 0 })
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY)')
  await db.close()
  const file = join(dir, 'acheron.db')
  const bytes = readFileSync(file)
  for (let i = 0; i < 100; i++) bytes[i] = (i * 151 + 7) & 0xff // the header: deterministic garbage
  writeFileSync(file, bytes)
  const e = await rejection(open({ dir, workers: 0 }))
  assert.instance(e, AcheronError)
  assert.is(e.code, 'DATA_DIR_DAMAGED')
  assert.is(e.name, 'DataDirDamagedError')
  assert.match(e.message, /^the data directory is damaged, refusing to start \(nothing was changed\)/)
}))

test.run()
