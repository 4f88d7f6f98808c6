// ALTER TABLE t PARTITIONS n while calls run. The statement is a DDL batch of its own: calls before it
// read and write the old layout, calls after it the new one, and the checkpoint moves the rows later,
// when it reaches that batch. Until then an execution thread still finds rows only in the old
// partition tables, so a fresh one (after a restart, nothing read yet) must look there by the
// checkpoint's layout, not the catalog's. These tests hold each row's key to its place, the money to
// its total, and the state to what a table created with that many partitions holds.
import Database from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { partitionOfKey } from '../../src/schema/keys.js'
import { uint32Random } from '../support/rng.js'
import { tempDir } from '../support/tmp.js'

const BANK = new Uint8Array(readFileSync(new URL('../../guest/bank.wasm', import.meta.url)))
const ACCOUNTS = 2000
const BALANCE = 100

/** Checkpoints far apart: the ALTER's batch stays ahead of the checkpoint while the calls after it run. */
const LAGGING: OpenOptions = { workers: 2, sync: 'full', checkpointIntervalMs: 3_600_000, checkpointWritesMax: 10_000_000 }

async function bank(db: EmbeddedDatabase, partitions: number): Promise<void> {
  await db.sql(`CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS ${partitions}`)
  for (const f of ['deposit', 'withdraw', 'transfer']) await db.createFunction(`account.${f}`, BANK, { export: f })
  await db.insert('account', Array.from({ length: ACCOUNTS }, (_, i) => [`a${i}`, BALANCE]))
}

/** `n` transfers between random accounts, all in flight at once; overdrawn ones abort. */
function transfers(db: EmbeddedDatabase, seed: number, n: number): Promise<unknown>[] {
  const rnd = uint32Random(seed)
  return Array.from({ length: n }, () => db.call('account.transfer', `a${rnd() % ACCOUNTS}`, `a${rnd() % ACCOUNTS}`, 1 + (rnd() % 40)).catch((e: unknown) => e))
}

/** Every row of the checkpoint file, by the partition table it is in. */
function partitionTables(dir: string): Map<string, [string, bigint][]> {
  const file = new Database(join(dir, 'acheron.db'), { readonly: true })
  try {
    const out = new Map<string, [string, bigint][]>()
    const names = file.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'account$%'").pluck().all() as string[]
    for (const name of names) out.set(name, file.prepare(`SELECT id, balance FROM "${name}"`).raw(true).safeIntegers(true).all() as [string, bigint][])
    return out
  } finally {
    file.close()
  }
}

async function total(db: EmbeddedDatabase): Promise<bigint> {
  const [r] = await db.sql('SELECT SUM(balance), COUNT(*) FROM account')
  const row = r?.rows[0] as [number | bigint, number | bigint]
  assert.is(Number(row[1]), ACCOUNTS, 'every account is still there')
  return BigInt(row[0])
}

/** The bank over 2 partitions, all in the checkpoint: the next open replays nothing and its threads have read nothing. */
async function checkpointedBank(dir: string): Promise<void> {
  const first = await open({ ...LAGGING, dir })
  await bank(first, 2)
  await first.checkpoint()
  await first.close()
}

test('ALTER TABLE PARTITIONS between calls in flight, after a restart (every row still only in the checkpoint): no row lost, money kept', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await checkpointedBank(dir)

    // Fresh execution threads: every account is read from the checkpoint, laid out over 2 partitions.
    const db = await open({ ...LAGGING, dir })
    try {
      const before = transfers(db, 1, 300)
      const alter = db.sql('ALTER TABLE account PARTITIONS 8')
      const after = transfers(db, 2, 1500)
      const results = await Promise.all([...before, ...after])
      const failed = results.filter((r) => r instanceof Error && !/insufficient funds/.test(r.message))
      assert.equal(failed.map((e) => (e as Error).message).slice(0, 3), [], 'no call failed but for overdrafts')
      await alter
      assert.is(db.stats.checkpoints, 0, 'the checkpoint lagged the ALTER throughout')
      assert.is(await total(db), BigInt(ACCOUNTS * BALANCE))
      const [described] = await db.sql('SHOW TABLES')
      assert.equal(described?.rows.map((r) => [r[0], r[1]]), [['account', 8]])
    } finally {
      await db.close()
    }

    // Closed: the checkpoint caught up. Each row is in the one partition table its key hashes to among 8.
    const tables = partitionTables(dir)
    assert.equal([...tables.keys()].sort(), Array.from({ length: 8 }, (_, p) => `account$p${p}`).sort(), 'eight partition tables, nothing else left over')
    let rows = 0
    let money = 0n
    for (const [name, rs] of tables) {
      for (const [id, balance] of rs) {
        assert.is(name, `account$p${partitionOfKey(id, 8)}`, `${id} is in the partition its key hashes to`)
        rows++
        money += balance
      }
    }
    assert.is(rows, ACCOUNTS)
    assert.is(money, BigInt(ACCOUNTS * BALANCE))
  } finally {
    cleanup()
  }
})

test('a data directory from before the checkpoint recorded its layout: an ALTER the checkpoint has not reached still finds every row', async () => {
  const { dir, cleanup } = tempDir()
  try {
    await checkpointedBank(dir)
    // As an older version left it: no layout key.
    const file = new Database(join(dir, 'acheron.db'))
    assert.is(file.prepare("DELETE FROM _acheron_meta WHERE k = 'layout'").run().changes, 1)
    file.close()

    const db = await open({ ...LAGGING, dir })
    try {
      await db.sql('ALTER TABLE account PARTITIONS 6')
      const results = await Promise.all(transfers(db, 4, 1000))
      assert.equal(results.filter((r) => r instanceof Error && !/insufficient funds/.test(r.message)).map((e) => (e as Error).message).slice(0, 3), [])
      assert.is(db.stats.checkpoints, 0, 'the checkpoint lagged the ALTER throughout')
      assert.is(await total(db), BigInt(ACCOUNTS * BALANCE))
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test('after ALTER TABLE PARTITIONS the state is the one a table created with that many partitions has; a restart replays to it', async () => {
  const [a, b] = [tempDir(), tempDir()]
  try {
    const altered = await open({ ...LAGGING, dir: a.dir })
    await bank(altered, 3)
    await altered.sql('ALTER TABLE account PARTITIONS 5; ALTER TABLE account PARTITIONS 5;')
    // The same again changes nothing; the checkpoint has still seen neither.
    await Promise.all(transfers(altered, 3, 500))
    const digest = await altered.digest()
    const rows = (await altered.sql('SELECT id, balance FROM account ORDER BY id'))[0]?.rows
    await altered.close()

    const direct = await open({ ...LAGGING, dir: b.dir })
    try {
      await bank(direct, 5)
      await Promise.all(transfers(direct, 3, 500))
      assert.equal((await direct.sql('SELECT id, balance FROM account ORDER BY id'))[0]?.rows, rows, 'the same rows')
      assert.is(await direct.digest(), digest, 'the same digest: rows, columns and 5 partitions')
    } finally {
      await direct.close()
    }

    const reopened = await open({ ...LAGGING, dir: a.dir })
    try {
      assert.is(await reopened.digest(), digest)
    } finally {
      await reopened.close()
    }
  } finally {
    a.cleanup()
    b.cleanup()
  }
})

test('ALTER TABLE PARTITIONS refuses what it cannot do, and needs the table', async () => {
  const db = await open({ memory: true })
  try {
    await bank(db, 2)
    const refusal = (sql: string): Promise<{ code: string; message: string }> =>
      db.sql(sql).then(() => { throw new Error(`${sql} ran`) }, (e: { code: string; message: string }) => e)
    assert.is((await refusal('ALTER TABLE nope PARTITIONS 4')).code, 'UNKNOWN_TABLE')
    const zero = await refusal('ALTER TABLE account PARTITIONS 0')
    assert.is(zero.code, 'SYNTAX_ERROR')
    assert.match(zero.message, /PARTITIONS must be from 1/)
    const other = await refusal('ALTER TABLE account COLUMNS 4')
    assert.is(other.code, 'SYNTAX_ERROR')
    assert.match(other.message, /expected PARTITIONS/)
    const inside = await refusal('BEGIN; ALTER TABLE account PARTITIONS 4; COMMIT;')
    assert.is(inside.code, 'SYNTAX_ERROR')
    assert.match(inside.message, /no DDL — CREATE, DROP, ALTER — and no EXPLAIN\).*run this ALTER TABLE statement outside BEGIN/)
    await db.sql('ALTER TABLE account PARTITIONS 1')
    assert.is(await total(db), BigInt(ACCOUNTS * BALANCE))
  } finally {
    await db.close()
  }
})

test.run()
