// Bounds on what a client can make the engine hold: the bytes of inputs waiting (pendingBytesMax →
// OVERLOADED, retryable) and the size of one read's result (resultBytesMax → PAYLOAD_TOO_LARGE).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'
import { RESULT_BYTES_MAX } from '../../src/txn/result-bytes.js'

const MiB = 1024 * 1024
const outcome = (p: Promise<unknown>): Promise<AcheronError | null> => p.then(() => null, (e: unknown) => e as AcheronError)

test('reads with large parameters: past pendingBytesMax waiting, OVERLOADED (retryable); the rest are answered', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 1, pendingBytesMax: 64 * MiB })
  try {
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)')
    await db.insert('kv', [[1, 'a']])
    const big = 'p'.repeat(15 * MiB)
    const results = await Promise.all(Array.from({ length: 30 }, () => outcome(db.query('SELECT COUNT(*) FROM kv WHERE v = ?', [big]))))
    const refused = results.filter((e) => e !== null)
    assert.ok(refused.length > 0, 'some were refused')
    assert.ok(refused.length < 30, 'some were answered')
    for (const e of refused) {
      assert.is(e?.code, 'OVERLOADED', e?.message)
      assert.is(e?.retryable, true)
      assert.match(e?.message ?? '', /pendingBytesMax/)
    }
    assert.equal((await db.query('SELECT COUNT(*) FROM kv WHERE v = ?', [big])).rows, [[0]], 'once they are answered, reads go on')
  } finally {
    await db.close()
    cleanup()
  }
})

test('writes waiting for their batch: past pendingBytesMax, OVERLOADED; taken into a batch, their bytes no longer count', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 1, pendingBytesMax: 40 * MiB, batchIntervalMs: Infinity })
  try {
    const ddl = db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v BLOB)')
    db.flush()
    await ddl
    const blob = new Uint8Array(15 * MiB)
    const a = db.insert('kv', [[1, blob]])
    const b = db.insert('kv', [[2, blob]])
    const c = await outcome(db.insert('kv', [[3, blob]]))
    assert.is(c?.code, 'OVERLOADED')
    db.flush()
    await a
    await b
    const d = db.insert('kv', [[3, blob]])
    db.flush()
    await d
    assert.equal((await db.query('SELECT COUNT(*) FROM kv')).rows, [[3]])
  } finally {
    await db.close()
    cleanup()
  }
})

test('a read whose result exceeds resultBytesMax fails with PAYLOAD_TOO_LARGE naming it; smaller reads and scans that write run', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, workers: 1, resultBytesMax: MiB })
  try {
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)')
    await db.insert('kv', Array.from({ length: 100 }, (_, i) => [i, 'x'.repeat(20_000)]))
    const e = await outcome(db.query('SELECT * FROM kv'))
    assert.is(e?.code, 'PAYLOAD_TOO_LARGE')
    assert.match(e?.message ?? '', /exceeds the bound on a read's result \(1048576 bytes; embedded, open\(\)'s resultBytesMax\)/)
    assert.equal((await db.query('SELECT COUNT(*), SUM(LENGTH(v)) FROM kv')).rows, [[100, 2_000_000]])
    assert.is((await db.query('SELECT * FROM kv LIMIT 10')).rows.length, 10)
    const [u] = await db.sql("UPDATE kv SET v = v || 'y'")
    assert.is(u?.rowsAffected, 100, 'a scan that writes is not bounded (its outcome is logged)')
    const inTxn = await outcome(db.sql('BEGIN; SELECT * FROM kv; COMMIT;'))
    assert.is(inTxn?.code, 'PAYLOAD_TOO_LARGE', 'a read-only BEGIN … COMMIT is bounded too')
  } finally {
    await db.close()
    cleanup()
  }
})

test(`reads by key answer at most RESULT_BYTES_MAX bytes a transaction, alone or in a read-only BEGIN … COMMIT (a ${'70 MB'} row was answered whole)`, async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE rb (k TEXT PRIMARY KEY, a TEXT, b TEXT)')
    const half = Math.floor(RESULT_BYTES_MAX / 2) + 1_000
    await db.sql('INSERT INTO rb VALUES (?, ?, ?)', ['big', 'a'.repeat(half), 'b'.repeat(half)])
    assert.is(((await db.query("SELECT a FROM rb WHERE k = 'big'")).rows[0]?.[0] as string).length, half, 'one column is within the bound')
    for (const sql of ["SELECT a, b FROM rb WHERE k = 'big'", "BEGIN; SELECT a FROM rb WHERE k = 'big'; SELECT b FROM rb WHERE k = 'big'; COMMIT"]) {
      const e = await outcome(db.sql(sql))
      assert.is(e?.code, 'PAYLOAD_TOO_LARGE', sql)
      assert.match(e?.message ?? '', `the transaction's reads by key answer more than ${RESULT_BYTES_MAX} bytes`, sql)
    }
    assert.is((await outcome(db.get('rb', 'big')))?.code, 'PAYLOAD_TOO_LARGE')
    // A small row of the same table still reads.
    await db.sql("INSERT INTO rb VALUES ('small', 'x', 'y')")
    assert.equal((await db.query("SELECT a, b FROM rb WHERE k = 'small'")).rows, [['x', 'y']])
  } finally {
    await db.close()
  }
})

test.run()
