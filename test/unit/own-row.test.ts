// A frame reads its own row once and keeps it while the transaction writes nothing (src/txn/txn-state.ts,
// ownRow). These guests read their row around writes by themselves and by nested calls at the same key:
// every read must see every write made before it in the transaction.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'
import { abiModule } from '../wasm-exec/wat.js'

const guest = abiModule(`
  (data (i32.const 0) "v")
  (data (i32.const 16) "c.add")
  (data (i32.const 32) "c.look")
  ;; v += argument 0; returns v
  (func (export "add") (local $c i32) (local $x i64)
    (local.set $c (call $col (i32.const 0) (i32.const 1)))
    (local.set $x (i64.add (call $get_int (local.get $c)) (call $arg_int (i32.const 0))))
    (call $set_int (local.get $c) (local.get $x))
    (call $ret_int (local.get $x)))
  ;; returns v
  (func (export "look")
    (call $ret_int (call $get_int (call $col (i32.const 0) (i32.const 1)))))
  ;; a = v; c.add(own key, 5); b = v; v = b + 100; d = v; e = c.look(own key): a·10^9 + b·10^6 + d·10^3 + e
  (func (export "rcr") (local $c i32) (local $a i64) (local $b i64) (local $d i64) (local $e i64)
    (local.set $c (call $col (i32.const 0) (i32.const 1)))
    (local.set $a (call $get_int (local.get $c)))
    (call $call_begin (i32.const 16) (i32.const 5))
    (call $call_arg_int (call $key_int))
    (call $call_arg_int (i64.const 5))
    (drop (call $call_invoke))
    (local.set $b (call $get_int (local.get $c)))
    (call $set_int (local.get $c) (i64.add (local.get $b) (i64.const 100)))
    (local.set $d (call $get_int (local.get $c)))
    (call $call_begin (i32.const 32) (i32.const 6))
    (call $call_arg_int (call $key_int))
    (drop (call $call_invoke))
    (local.set $e (call $result_int))
    (call $ret_int (i64.add (i64.add (i64.mul (local.get $a) (i64.const 1000000000)) (i64.mul (local.get $b) (i64.const 1000000)))
                            (i64.add (i64.mul (local.get $d) (i64.const 1000)) (local.get $e)))))
  ;; reads v, deletes the row, r = row_exists; c.add(own key, 7); r·1000 + row_exists·100 + v
  (func (export "del_then_add") (local $c i32) (local $r i64)
    (local.set $c (call $col (i32.const 0) (i32.const 1)))
    (drop (call $get_int (local.get $c)))
    (call $delete_row)
    (local.set $r (i64.extend_i32_u (call $row_exists)))
    (call $call_begin (i32.const 16) (i32.const 5))
    (call $call_arg_int (call $key_int))
    (call $call_arg_int (i64.const 7))
    (drop (call $call_invoke))
    (call $ret_int (i64.add (i64.add (i64.mul (local.get $r) (i64.const 1000)) (i64.mul (i64.extend_i32_u (call $row_exists)) (i64.const 100)))
                            (call $get_int (local.get $c)))))
`)

/** Runs `body` on a fresh database with the table and the guest's functions, then closes and deletes it. */
async function withCounters(body: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, partitions: 2 })
  try {
  await db.sql('CREATE TABLE c (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;')
    for (const f of ['add', 'look', 'rcr', 'del_then_add']) await db.createFunction(`c.${f}`, guest, { export: f })
    await body(db)
  } finally {
    await db.close()
    cleanup()
  }
}

async function v(db: EmbeddedDatabase, k: number): Promise<unknown> {
  const { row } = await db.get('c', k)
  return row === undefined || row === null ? undefined : Number(row.v)
}

test('a read after a nested call at the same key sees the callee\'s write; a read after a set sees the set', () => withCounters(async (db) => {
  await db.sql('INSERT INTO c VALUES (1, 1);')
  // a = 1, the nested add makes 6, set makes 106, the nested look sees 106.
  assert.is(Number((await db.call('c.rcr', 1)).value), 1_006_106_106)
  assert.is(await v(db, 1), 106)
  // On an absent row: a = 0 (default), 5, 105, 105.
  assert.is(Number((await db.call('c.rcr', 2)).value), 5_105_105)
  assert.is(await v(db, 2), 105)
}))

test('after delete_row the row is gone to its own frame until a nested call creates it again', () => withCounters(async (db) => {
  await db.sql('INSERT INTO c VALUES (1, 40);')
  // Gone after the delete (0); the nested add starts from the default: exists, v = 7.
  assert.is(Number((await db.call('c.del_then_add', 1)).value), 107)
  assert.is(await v(db, 1), 7)
  assert.is(Number((await db.call('c.del_then_add', 3)).value), 107)
}))

test.run()
