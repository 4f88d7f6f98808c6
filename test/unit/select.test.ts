// SELECT over a whole table: SQLite runs it over all partitions on the state thread, at the position
// after the last released batch — it sees every transaction acknowledged before it arrived, nothing
// later, and takes no batch (the statement comes from the real parser and renderer).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, type EmbeddedDatabase } from '../../src/index.js'
import { EXPR_DEPTH_MAX, EXPRESSION_VALUES_MAX, OPERATORS_MAX, parseScript, renderSelect, type SelectStmt } from '../../src/sql/index.js'
import { scanSourceSql } from '../../src/storage/sqlite-schema.js'
import type { TxnOutcome } from '../../src/txn/types.js'
import type { SqlValue } from '../../src/values.js'
import { openBank } from '../support/bank.js'
import { uint32Random } from '../support/rng.js'
import { tempDir } from '../support/tmp.js'

function select(db: EmbeddedDatabase, text: string, params: SqlValue[] = []): Promise<TxnOutcome> {
  const [stmt] = parseScript(text)
  if (stmt?.kind !== 'select') throw new Error(`not a SELECT: ${text}`)
  const sel = stmt as SelectStmt
  if (sel.table === null) throw new Error(`no FROM: ${text}`)
  const table = db.engine.currentCatalog.table(sel.table)
  const r = renderSelect(sel, { source: scanSourceSql(table), columns: table.columns.map((c) => c.name), params })
  return db.submit({ kind: 'select', table: sel.table, sql: r.sql, values: r.values })
}

function rowsOf(o: TxnOutcome): unknown[][] {
  if (!o.ok) throw new AcheronError(o.failure.code, o.failure.message)
  return (o.result.rows ?? []) as unknown[][]
}

for (const [name, opts] of [['SQLite, 2 workers', { workers: 2 }], ['memory store', { memory: true }]] as const) {
  test(`${name}: SUM(balance) during a storm of transfers always returns the conserved total`, async () => {
    const tmp = 'memory' in opts ? null : tempDir()
    const db = await openBank({ ...opts, ...(tmp ? { dir: tmp.dir } : {}) })
    try {
      const accounts = Array.from({ length: 40 }, (_, i) => `a${i}`)
      await db.insert('account', accounts.map((a) => [a, 1000]))
      const rnd = uint32Random(11)
      const transfers: Promise<unknown>[] = []
      const sums: Promise<TxnOutcome>[] = []
      for (let i = 0; i < 3000; i++) {
        const from = accounts[rnd() % accounts.length] as string
        const to = accounts[rnd() % accounts.length] as string
        transfers.push(db.call('account.transfer', from, to, 1 + (rnd() % 50)).catch(() => null))
        if (i % 100 === 0) {
          sums.push(select(db, 'SELECT SUM(balance) AS total, COUNT(*) FROM account'))
          // Let the wave before be released, while later ones keep coming.
          if (i > 0) await transfers[i - 50]
        }
      }
      await Promise.all(transfers)
      const results = await Promise.all(sums)
      assert.ok(results.length === 30)
      for (const r of results) assert.equal(rowsOf(r), [[40000n, 40n]])
      // Reads interleave with the writes: their positions spread over many batches, in arrival order.
      const batches = results.map((r) => r.commit?.batch ?? -1)
      assert.ok(new Set(batches).size >= 20, `reads at ${new Set(batches).size} distinct positions`)
      assert.equal(batches, [...batches].sort((x, y) => x - y), 'positions ascend in arrival order')
      assert.is(db.stats.reads >= 30, true, 'answered as reads, not batches')
    } finally {
      await db.close()
      tmp?.cleanup()
    }
  })
}

for (const [name, opts] of [['SQLite, 2 workers', { workers: 2 }], ['memory store', { memory: true }]] as const) {
  test(`${name}: a SELECT sees exactly the transactions released before it arrived, and takes no batch`, async () => {
    const tmp = 'memory' in opts ? null : tempDir()
    const db = await openBank({ ...opts, ...(tmp ? { dir: tmp.dir } : {}), batchIntervalMs: Infinity })
    try {
      const a = db.insert('account', [['x', 1]])
      db.flush()
      const ra = await a
      const q1 = select(db, 'SELECT COUNT(*), SUM(balance) FROM account')
      // Submitted, not yet in a batch: a read that arrives now must not see it.
      const b = db.insert('account', [['y', 2], ['z', 3]])
      const q2 = select(db, "SELECT id, balance FROM account WHERE balance >= ? ORDER BY id DESC", [1])
      db.flush()
      const rb = await b
      const q3 = select(db, "SELECT id, balance FROM account WHERE balance >= ? ORDER BY id DESC", [2])
      const [r1, r2, r3] = [await q1, await q2, await q3]
      assert.equal(rowsOf(r1), [[1n, 1n]])
      assert.equal(rowsOf(r2), [['x', 1n]])
      assert.equal(rowsOf(r3), [['z', 3n], ['y', 2n]])
      // Positions: right after the batch each read saw, in arrival order, never a batch of their own.
      assert.equal(r1.commit, { batch: ra.commit.batch, seq: 1 })
      assert.equal(r2.commit, { batch: ra.commit.batch, seq: 2 })
      assert.equal(r3.commit, { batch: rb.commit.batch, seq: 1 })
      const deposit = db.call('account.deposit', 'x', 10)
      db.flush()
      const next = await deposit
      assert.is(next.commit.batch, rb.commit.batch + 1, 'reads used no batch number')
    } finally {
      await db.close()
      tmp?.cleanup()
    }
  })
}

test('queries follow DDL: a dropped and recreated table is read with its new columns', async () => {
  const { dir, cleanup } = tempDir()
  const db = await openBank({ dir, workers: 1 })
  try {
    await db.createTable({ name: 't', columns: [{ name: 'k', type: 'INTEGER', primaryKey: true }, { name: 'a', type: 'TEXT' }], partitions: 3 })
    await db.insert('t', [[1, 'one'], [2, 'two']])
    assert.equal(rowsOf(await select(db, 'SELECT a FROM t ORDER BY k')), [['one'], ['two']])
    await db.dropTable('t')
    await db.createTable({ name: 't', columns: [{ name: 'k', type: 'INTEGER', primaryKey: true }, { name: 'b', type: 'REAL' }], partitions: 5 })
    await db.insert('t', [[7, 1.5]])
    assert.equal(rowsOf(await select(db, 'SELECT k, b FROM t')), [[7n, 1.5]])
    const gone = await db.submit({ kind: 'select', table: 'nope', sql: 'SELECT 1', values: [] })
    assert.ok(!gone.ok && gone.failure.code === 'UNKNOWN_TABLE' && gone.commit !== undefined)
  } finally {
    await db.close()
    cleanup()
  }
})

test('the longest operator chain the parser accepts, nested as deep as it allows, runs in SQLite', async () => {
  // SQLite refuses an expression 1,000 deep; the parser's bounds keep every statement it accepts below that.
  const db = await openBank({ memory: true })
  try {
    await db.insert('account', [['p', 1]])
    const depth = EXPR_DEPTH_MAX - 1
    const sum = (n: number): string => `${'('.repeat(depth)}0${' + 1'.repeat(n)}${')'.repeat(depth)}`
    assert.equal((await db.query(`SELECT ${sum(OPERATORS_MAX)} AS n FROM account`)).rows, [[OPERATORS_MAX]])
    // (the comparison is the statement's last operator)
    assert.equal((await db.query(`SELECT balance FROM account WHERE balance < ${sum(OPERATORS_MAX - 1)}`)).rows, [[1]])
  } finally {
    await db.close()
  }
})

test('the most values the parser accepts in a statement\'s expressions run in SQLite, in a query and in an UPDATE', async () => {
  // SQLite binds each literal and ? and refuses more than 32,766: a longer IN list failed as it ran.
  const db = await openBank({ memory: true })
  try {
    await db.insert('account', [['p', 1], ['q', 2]])
    const half = EXPRESSION_VALUES_MAX / 2 - 1
    const list = `${Array.from({ length: half }, (_, i) => String(i + 1)).join(',')},${Array.from({ length: half }, () => '?').join(',')}`
    const params = Array.from({ length: half }, (_, i) => -i)
    const q = await db.query(`SELECT id FROM account WHERE balance IN (${list}) ORDER BY id LIMIT ? OFFSET ?`, [...params, 5, 0])
    assert.equal(q.rows, [['p'], ['q']])
    const [u] = await db.sql(`UPDATE account SET balance = balance + 10 WHERE balance IN (${list}) AND id = ?`, [...params, 'q'])
    assert.is(u?.rowsAffected, 1)
  } finally {
    await db.close()
  }
})

test('an overflow in SUM fails the query alone, with its position', async () => {
  const db = await openBank({ memory: true })
  try {
    await db.insert('account', [['p', 9223372036854775807n], ['q', 1]])
    const r = await select(db, 'SELECT SUM(balance) FROM account')
    assert.ok(!r.ok)
    if (!r.ok) {
      assert.is(r.failure.code, 'CONSTRAINT')
      assert.match(r.failure.message, /overflow/)
      assert.ok(r.commit !== undefined)
    }
    assert.is((await db.call('account.deposit', 'q', 1)).value, 2)
  } finally {
    await db.close()
  }
})

test.run()
