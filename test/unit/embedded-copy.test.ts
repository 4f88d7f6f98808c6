// The embedded API copies the caller's bytes at the boundary: mutating a Uint8Array after submitting it
// changes nothing of what commits (the log and the state hold the bytes as they were submitted).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { wat } from '../wasm-exec/wat.js'
import { tempDir } from '../support/tmp.js'

test('a blob argument, inserted row or SQL parameter mutated after submit commits as submitted', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 1 })
  try {
    await db.sql('CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)')
    const a = new Uint8Array([1, 2, 3])
    const pa = db.insert('kv', [['a', a]])
    a[0] = 99
    await pa
    const b = new Uint8Array([4, 5, 6])
    const pb = db.sql('INSERT INTO kv VALUES (?, ?)', ['b', b])
    b[0] = 99
    await pb
    assert.equal((await db.get('kv', 'a')).row?.v, new Uint8Array([1, 2, 3]))
    assert.equal((await db.get('kv', 'b')).row?.v, new Uint8Array([4, 5, 6]))
    const digest = await db.digest()
    await db.close()
    const again = await open({ dir, workers: 1 })
    assert.is(await again.digest(), digest, 'the log replays the bytes as submitted')
    await again.close()
  } finally {
    cleanup()
  }
})

test('module bytes mutated after createFunction are not what runs or what the log holds', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 1 })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    const bytes = wat(`(module (import "acheron" "ret_int" (func $r (param i64))) (memory (export "memory") 1 1)
      (func (export "f") (call $r (i64.const 7))))`)
    const p = db.createFunction('t.f', bytes)
    bytes.fill(0)
    await p
    assert.is((await db.call('t.f', 1)).value, 7)
    await db.close()
    const again = await open({ dir, workers: 1 })
    assert.is((await again.call('t.f', 1)).value, 7, 'and after a restart')
    await again.close()
  } finally {
    cleanup()
  }
})

test.run()
