// A JavaScript NaN given as a key, an argument or a parameter: the wire has no NaN and sends it as null
// (docs/protocol.md, "Values"), and the ABI turns every NaN a guest hands over into NULL, as SQLite
// stores it. The embedded database passed a call's NaN argument on as a REAL NaN, so a function saw
// REAL (arg_type 2) in-process and NULL over WebSocket: one program against the shared Database
// interface behaved differently embedded and remote (the bank's deposit aborted "got REAL" in one, "got
// NULL" in the other; a NaN key was TYPE_MISMATCH in one, CONSTRAINT in the other).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, connect, open, type Database } from '../../src/index.js'
import { abiModule } from '../wasm-exec/wat.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

// t.types returns the type tags of the key and of every argument, as text: "key:arg0,arg1,…".
const TYPES = abiModule(`
  (func (export "types") (local $i i32) (local $p i32)
    (i32.store8 (i32.const 0) (i32.add (i32.const 48) (call $key_type)))
    (i32.store8 (i32.const 1) (i32.const 58))
    (local.set $p (i32.const 2))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (call $arg_count)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (call $arg_type (local.get $i))))
      (i32.store8 (i32.add (local.get $p) (i32.const 1)) (i32.const 44))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $ret_text (i32.const 0) (local.get $p)))
`)

async function seen(db: Database): Promise<unknown[]> {
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL)')
  await db.createFunction('t.types', TYPES)
  const out: unknown[] = []
  out.push((await db.call('t.types', 1, NaN, 1.5, null)).value)
  try {
    await db.call('t.types', NaN)
    out.push('a NaN key was accepted')
  } catch (e) {
    out.push(e instanceof AcheronError ? [e.code, e.message] : String(e))
  }
  out.push((await db.query('SELECT ?, typeof(?)', [NaN, NaN])).rows)
  return out
}

const EXPECTED = [
  '1:0,2,0,', // NaN is NULL (0), as null is; 1.5 stays REAL (2)
  ['CONSTRAINT', 'the key of t must not be NULL'],
  [[null, 'null']],
]

test('embedded: a NaN argument or key is NULL, as the wire and the ABI make it', async () => {
  const db = await open({ memory: true })
  try {
    assert.equal(await seen(db), EXPECTED)
  } finally {
    await db.close()
  }
})

let server: ServerProcess | null = null
test('remote: the same program sees the same values', async () => {
  server = await startServer()
  const db = await connect(server.url)
  try {
    assert.equal(await seen(db), EXPECTED)
  } finally {
    await db.close()
    await server.stop()
  }
})

test.run()
