// The SQL executor (issue 4) through a real embedded engine: every statement form of CONTRACT.md §3,
// every error code reachable from SQL, BEGIN … COMMIT, DDL ordering, SHOW/DESCRIBE, and serializable
// SELECTs during concurrent transfers. Functions are the wasm bank example (dist/guest/bank.wasm).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type EmbeddedDatabase, type ErrorCode, type OpenOptions } from '../../src/index.js'
import { executeScript, TRANSACTION_KINDS_MESSAGE, type StatementResult } from '../../src/sql/index.js'
import { uint32Random } from '../support/rng.js'
import { tempDir } from '../support/tmp.js'

const root = new URL('../../../', import.meta.url).pathname
const BANK_PATH = join(root, 'dist', 'guest', 'bank.wasm')

let built = false
function bankWasm(): Uint8Array {
  if (!built) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-guests.js')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`build-guests failed: ${r.stderr}${r.stdout}`)
    built = true
  }
  return new Uint8Array(readFileSync(BANK_PATH))
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

const CONFIGS: [string, OpenOptions][] = [
  ['memory store', { memory: true, partitions: 4 }],
  ['SQLite, 2 workers', { workers: 2, sync: 'off', partitions: 4 }],
]

async function withDb(opts: OpenOptions, body: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const tmp = opts.memory === true ? null : tempDir()
  const db = await open({ ...opts, ...(tmp ? { dir: tmp.dir } : {}) })
  try {
    await body(db)
  } finally {
    await db.close()
    tmp?.cleanup()
  }
}

/** The bank schema and its four functions, each registered from a different WASM source form. */
async function bank(db: EmbeddedDatabase): Promise<StatementResult[]> {
  const wasm = bankWasm()
  return db.sql(`
    CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;
    CREATE FUNCTION account.transfer FROM WASM X'${hex(wasm)}' WITH (FUEL = 1000000, MEMORY = 1048576);
    CREATE FUNCTION account.deposit FROM WASM BASE64 '${base64(wasm)}';
    CREATE FUNCTION account.withdraw FROM WASM FILE '${BANK_PATH}' EXPORT 'withdraw';
    CREATE FUNCTION account.balance FROM WASM FILE '${BANK_PATH}';
  `)
}

/** The AcheronError that `p` rejects with. */
async function rejection(p: Promise<unknown>): Promise<AcheronError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, AcheronError, `expected an AcheronError, got ${String(e)}`)
    return e as AcheronError
  }
  assert.unreachable('expected a rejection')
  throw new Error('unreachable')
}

async function fails(p: Promise<unknown>, code: ErrorCode, where: { statement?: number; line?: number; column?: number; commit?: boolean } = {}, message?: RegExp): Promise<AcheronError> {
  const e = await rejection(p)
  assert.is(e.code, code, `${e.code}: ${e.message}`)
  if (where.statement !== undefined) assert.is(e.statement, where.statement, `statement of ${e.message}`)
  if (where.line !== undefined) assert.is(e.line, where.line, `line of ${e.message}`)
  if (where.column !== undefined) assert.is(e.column, where.column, `column of ${e.message}`)
  if (where.commit !== undefined) assert.is(e.commit !== undefined, where.commit, `commit of ${e.message}`)
  if (message) assert.match(e.message, message)
  return e
}

function after(a: { batch: number; seq: number }, b: { batch: number; seq: number }): boolean {
  return a.batch > b.batch || (a.batch === b.batch && a.seq > b.seq)
}

async function balances(db: EmbeddedDatabase): Promise<unknown[][]> {
  return (await db.query('SELECT id, balance FROM account ORDER BY id')).rows
}

for (const [name, opts] of CONFIGS) {
  test(`${name}: DDL, INSERT, SELECT, UPDATE, DELETE and CALL, with their result objects`, async () => {
    await withDb(opts, async (db) => {
      const ddl = await bank(db)
      assert.is(ddl.length, 5)
      for (const r of ddl) assert.equal([r.columns, r.rows], [[], []])
      for (let i = 1; i < ddl.length; i++) assert.ok(after((ddl[i] as StatementResult).commit, (ddl[i - 1] as StatementResult).commit), 'statements commit in order')

      const rs = await db.sql(`
        INSERT INTO account (id, balance) VALUES ('alice', 100), ('bob', 50), (?, ?);
        INSERT INTO account (id) VALUES ('carol');
        INSERT INTO account VALUES ('dave', 7);
        INSERT OR REPLACE INTO account VALUES ('dave', 8), ('erin', 1);
        SELECT id, balance AS b FROM account WHERE balance >= ? ORDER BY b DESC, id LIMIT 3;
        CALL account.transfer('alice', ?, 30);
        SELECT COUNT(*) AS n, SUM(balance), MIN(balance) AS lo, MAX(balance) AS hi, AVG(balance) AS mean FROM account;
      `, ['frank', 5, 1, 'bob'])
      assert.equal(rs.map((r) => r.rowsAffected).slice(0, 4), [3, 1, 1, 2])
      assert.equal(rs[4]?.columns, ['id', 'b'])
      assert.equal(rs[4]?.rows, [['alice', 100], ['bob', 50], ['dave', 8]])
      assert.equal(rs[5]?.columns, ['result'])
      assert.equal(rs[5]?.rows, [[70]])
      assert.equal(rs[6]?.columns, ['n', 'SUM(balance)', 'lo', 'hi', 'mean'])
      assert.equal(rs[6]?.rows, [[6, 164, 0, 80, 164 / 6]])

      // UPDATE by key (rowsAffected 1, or 0 when the rest of WHERE is false or the key is absent), then by scan.
      const up = await db.sql(`
        UPDATE account SET balance = balance + 1 WHERE id = 'carol';
        UPDATE account SET balance = balance * 100 WHERE id = 'carol' AND balance > 5;
        UPDATE account SET balance = 1 WHERE 'nobody' = id;
        UPDATE account SET balance = balance - 1 WHERE balance > 5;
        UPDATE account SET balance = balance + 0;
        SELECT id, balance FROM account ORDER BY id;
      `)
      assert.equal(up.map((r) => r.rowsAffected), [1, 0, 0, 3, 6, 0])
      assert.equal(up[5]?.rows, [['alice', 69], ['bob', 79], ['carol', 1], ['dave', 7], ['erin', 1], ['frank', 5]])

      const del = await db.sql(`
        DELETE FROM account WHERE id = 'erin';
        DELETE FROM account WHERE id = 'erin';
        DELETE FROM account WHERE id = ? AND balance > 1000;
        DELETE FROM account WHERE balance < 5;
        SELECT id FROM account ORDER BY 1;
        DELETE FROM account;
        SELECT COUNT(*) FROM account;
      `, ['alice'])
      assert.equal(del.map((r) => r.rowsAffected).slice(0, 4), [1, 0, 0, 1])
      assert.equal(del[4]?.rows, [['alice'], ['bob'], ['dave'], ['frank']])
      assert.is(del[5]?.rowsAffected, 4)
      assert.equal(del[6]?.rows, [[0]])

      // Point UPDATE/DELETE whose value is not of the key's type runs as a scan, with SQLite's comparison.
      await db.sql("INSERT INTO account VALUES ('7', 7)")
      assert.is((await db.sql("UPDATE account SET balance = 70 WHERE id = 7"))[0]?.rowsAffected, 1)
      assert.equal(await balances(db), [['7', 70]])

      // query(): one result set; anything else is refused before it runs.
      const q = await db.query('SELECT SUM(balance) AS total FROM account')
      assert.equal([q.columns, q.rows], [['total'], [[70]]])
      await fails(db.query("SELECT 1 FROM account; DELETE FROM account"), 'SYNTAX_ERROR', { statement: 1 }, /exactly one/)
      await fails(db.query("DELETE FROM account"), 'SYNTAX_ERROR', { statement: 0 }, /exactly one/)
      assert.equal((await db.query("CALL account.balance('7')")).rows, [[70]])

      // Values beyond ±2^53 come back as bigint, BLOB as bytes, REAL as number, and DROP TABLE takes the functions.
      const t = await db.sql(`
        CREATE TABLE big (k INTEGER PRIMARY KEY, v INTEGER, b BLOB, r REAL, f BOOLEAN DEFAULT TRUE);
        INSERT INTO big (k, v, b, r) VALUES (1, 9223372036854775807, X'00ff', 2.5);
        SELECT * FROM big;
        DROP TABLE account;
        SHOW FUNCTIONS;
      `)
      assert.equal(t[2]?.columns, ['k', 'v', 'b', 'r', 'f'])
      assert.equal(t[2]?.rows, [[1, 9223372036854775807n, new Uint8Array([0, 255]), 2.5, 1]])
      assert.equal(t[4]?.rows, [])
      await fails(db.sql('DROP TABLE account'), 'UNKNOWN_TABLE', { statement: 0 })
      const skipped = await db.sql('DROP TABLE IF EXISTS account; DROP FUNCTION IF EXISTS account.f')
      assert.is(skipped[0]?.rowsAffected, 0)
      // What an IF EXISTS skipped is said, as psql's NOTICE; a DDL that did its work says nothing.
      assert.equal(skipped.map((r) => r.notice), ['table account does not exist, skipping', 'function account.f does not exist, skipping'])
      assert.not.ok(t.some((r) => 'notice' in r))
    })
  })

  test(`${name}: BEGIN … COMMIT is one transaction, all or nothing`, async () => {
    await withDb(opts, async (db) => {
      await bank(db)
      await db.sql("INSERT INTO account VALUES ('alice', 100), ('bob', 0)")
      const ok = await db.sql(`
        BEGIN;
        CALL account.transfer('alice', 'bob', 10);
        INSERT INTO account VALUES ('carol', 5);
        UPDATE account SET balance = balance + 1 WHERE id = 'carol';
        DELETE FROM account WHERE id = ? AND balance > 1;
        CALL account.deposit('dave', 3);
        COMMIT;
      `, ['bob'])
      assert.is(ok.length, 7)
      assert.equal(ok.map((r) => r.rowsAffected), [0, 0, 1, 1, 1, 0, 0])
      assert.equal(ok[1]?.rows, [[90]])
      assert.equal(ok[5]?.rows, [[3]])
      assert.ok(ok.every((r) => r.commit.batch === ok[0]?.commit.batch && r.commit.seq === ok[0]?.commit.seq), 'one transaction, one position')
      assert.equal(await balances(db), [['alice', 90], ['carol', 6], ['dave', 3]])

      // A failing statement rolls back the ones before it (and the statements before BEGIN stay committed).
      const e = await fails(db.sql(`
        INSERT INTO account VALUES ('x', 1);
        BEGIN;
        CALL account.transfer('alice', 'carol', 50);
        INSERT INTO account VALUES ('erin', 5);
        CALL account.withdraw('dave', 1000);
        COMMIT;
        INSERT INTO account VALUES ('y', 1);
      `), 'TXN_ABORTED', { commit: true }, /insufficient funds/)
      assert.is(e.statement, 4, 'the error points at the failing statement inside the transaction')
      assert.is(e.line, 6)
      await fails(db.sql("BEGIN; INSERT INTO account VALUES ('f', 1); INSERT INTO account VALUES ('alice', 1); COMMIT"), 'DUPLICATE_KEY', { commit: true, statement: 2 })
      await fails(db.sql("BEGIN; CALL account.deposit('g', 1); UPDATE account SET balance = NULL WHERE id = 'alice'; COMMIT"), 'CONSTRAINT', { commit: true, statement: 2 })
      assert.equal(await balances(db), [['alice', 90], ['carol', 6], ['dave', 3], ['x', 1]])

      // Queries and scans inside a transaction see its own earlier writes; a scan's writes join it.
      const inTxn = await db.sql(`BEGIN;
        CALL account.deposit('h', 7);
        SELECT id, balance FROM account WHERE balance > 5 ORDER BY id;
        UPDATE account SET balance = balance + 1 WHERE balance < 10;
        DELETE FROM account WHERE id = 'x';
        SELECT COUNT(*), SUM(balance) FROM account;
      COMMIT;`)
      assert.equal(inTxn[2]?.rows, [['alice', 90], ['carol', 6], ['h', 7]], 'the SELECT sees the CALL before it')
      assert.is(inTxn[3]?.rowsAffected, 4, 'carol, dave, h and x')
      assert.equal(inTxn[5]?.rows, [[4, 90 + 7 + 4 + 8]], 'the last SELECT sees the UPDATE and the DELETE')
      assert.ok(new Set(inTxn.map((r) => JSON.stringify(r.commit))).size === 1, 'one transaction, one position')
      assert.equal(await balances(db), [['alice', 90], ['carol', 7], ['dave', 4], ['h', 8]])
      // A failure after a scan rolls the scan back too.
      await fails(db.sql(`BEGIN;\n  UPDATE account SET balance = 0 WHERE balance < 50;\n  SELECT * FROM account;\n  CALL account.withdraw('carol', 1);\nCOMMIT;`), 'TXN_ABORTED', { statement: 3, line: 4, column: 8, commit: true })
      assert.equal(await balances(db), [['alice', 90], ['carol', 7], ['dave', 4], ['h', 8]])
      await db.sql("BEGIN; DELETE FROM account WHERE id = 'h'; UPDATE account SET balance = balance - 1 WHERE id IN ('carol', 'dave'); INSERT INTO account VALUES ('x', 1); COMMIT")

      // What a transaction may not hold is refused at that statement, before anything of it runs.
      const shown = await db.sql("BEGIN; CALL account.deposit('h', 1); SHOW TABLES; DESCRIBE account; COMMIT")
      assert.is(shown[2]?.rows.length, 1, 'SHOW inside a transaction')
      assert.is(shown[3]?.columns[0], 'column', 'DESCRIBE inside a transaction')
      await db.sql("DELETE FROM account WHERE id = 'h'")
      for (const stmt of ['CREATE TABLE z (k INTEGER PRIMARY KEY)', 'DROP FUNCTION account.deposit']) {
        const err = await fails(db.sql(`BEGIN; CALL account.deposit('h', 1);\n  ${stmt};\nCOMMIT;`), 'SYNTAX_ERROR', { statement: 2, line: 2, column: 3 })
        assert.ok(err.message.startsWith(TRANSACTION_KINDS_MESSAGE), err.message)
      }
      assert.equal(await balances(db), [['alice', 90], ['carol', 6], ['dave', 3], ['x', 1]])
      await fails(db.sql('BEGIN; CALL account.deposit(1, 1)'), 'SYNTAX_ERROR', { statement: 0 }, /without COMMIT/)
    })
  })

  test(`${name}: error codes reachable from SQL, with statement index, position and commit`, async () => {
    await withDb(opts, async (db) => {
      await bank(db)
      // A syntax error anywhere stops the whole script before anything runs.
      await fails(db.sql("INSERT INTO account VALUES ('a', 1);\nSELECT id\n  FROM account WHERE id = = 3;"), 'SYNTAX_ERROR', { statement: 1, line: 3, column: 27 })
      assert.equal(await balances(db), [])
      // Failures after earlier statements committed: those stay, the rest never runs.
      await fails(db.sql("INSERT INTO account VALUES ('a', 1);\n  INSERT INTO nope VALUES (1);\nINSERT INTO account VALUES ('b', 1)"), 'UNKNOWN_TABLE', { statement: 1, line: 2, column: 15 })
      assert.equal(await balances(db), [['a', 1]])
      await fails(db.sql('SELECT id FROM nope'), 'UNKNOWN_TABLE', { statement: 0 })
      await fails(db.sql('SELECT id,\n  balanse FROM account'), 'UNKNOWN_COLUMN', { statement: 0, line: 2, column: 3 }, /balanse/)
      await fails(db.sql("UPDATE account SET x = 1 WHERE id = 'a'"), 'UNKNOWN_COLUMN', { statement: 0, column: 20 })
      await fails(db.sql("DELETE FROM account WHERE y = 1"), 'UNKNOWN_COLUMN', { statement: 0, column: 27 })
      await fails(db.sql("INSERT INTO account (id, bal) VALUES ('c', 1)"), 'UNKNOWN_COLUMN', { statement: 0 })
      await fails(db.sql("SELECT 1 FROM account;\nCALL account.nope('a')"), 'UNKNOWN_FUNCTION', { statement: 1, line: 2, column: 6 })
      await fails(db.sql('DROP FUNCTION account.nope'), 'UNKNOWN_FUNCTION', { statement: 0 })
      await fails(db.sql("INSERT INTO account VALUES ('b', 1), ('a', 2)"), 'DUPLICATE_KEY', { statement: 0, commit: true, column: 39 })
      await fails(db.sql("INSERT INTO account VALUES ('c', 'lots')"), 'TYPE_MISMATCH', { statement: 0, commit: true, column: 34 })
      await fails(db.sql("UPDATE account SET balance = 'x' || id WHERE id = 'a'"), 'TYPE_MISMATCH', { commit: true, column: 30 })
      await fails(db.sql("UPDATE account SET balance = 1.5"), 'TYPE_MISMATCH', { commit: true, column: 30 })
      // A value refused at run points at the value (a literal or its `?`, an INSERT's row or an UPDATE's SET
      // item); other runtime failures at the table or function the statement names (they pointed at column 1).
      await fails(db.sql("INSERT INTO account VALUES ('c', NULL)"), 'CONSTRAINT', { commit: true, line: 1, column: 34 }, /NOT NULL/)
      await fails(db.sql("INSERT INTO account VALUES ('c', 1),\n  ('d', ?)", [null]), 'CONSTRAINT', { commit: true, line: 2, column: 9 }, /NOT NULL/)
      await fails(db.sql("BEGIN;\nINSERT INTO account VALUES ('c', 1);\nUPDATE account SET   balance = ? WHERE id = 'c';\nCOMMIT", ['lots']), 'TYPE_MISMATCH', { statement: 2, commit: true, line: 3, column: 32 })
      await fails(db.sql("UPDATE account SET balance = NULL WHERE balance > 0"), 'CONSTRAINT', { commit: true, column: 30 }, /NOT NULL/)
      await fails(db.sql("UPDATE account SET id = 'z' WHERE id = 'a'"), 'CONSTRAINT', { commit: true, column: 25 })
      await fails(db.sql("INSERT INTO account (id) VALUES (NULL)"), 'CONSTRAINT', { commit: true, column: 34 }, /must not be NULL/)
      await fails(db.sql("CALL account.withdraw('a', 5)"), 'TXN_ABORTED', { commit: true, line: 1, column: 6 }, /insufficient funds/)
      await fails(db.sql('CREATE TABLE account (k INTEGER PRIMARY KEY)'), 'CONSTRAINT')
      const kept = (await db.sql('CREATE TABLE IF NOT EXISTS account (k INTEGER PRIMARY KEY)'))[0]
      assert.equal([kept?.rowsAffected, kept?.notice], [0, 'table account already exists, skipping'])
      // A key or a DEFAULT the column's type refuses points at that column or that literal, not at the table.
      await fails(db.sql('CREATE TABLE r (k REAL PRIMARY KEY)'), 'TYPE_MISMATCH', { commit: true, line: 1, column: 17 })
      await fails(db.sql('CREATE TABLE r (a INTEGER,\n  k REAL, PRIMARY KEY (k))'), 'TYPE_MISMATCH', { commit: true, line: 2, column: 3 })
      await fails(db.sql("CREATE TABLE d (k INTEGER PRIMARY KEY, v INTEGER DEFAULT 'x')"), 'TYPE_MISMATCH', { commit: true, line: 1, column: 58 }, /d\.v is INTEGER/)
      await fails(db.sql("CREATE TABLE d (k INTEGER PRIMARY KEY,\n  b BOOLEAN NOT NULL DEFAULT 2)"), 'TYPE_MISMATCH', { commit: true, line: 2, column: 30 })
      await fails(db.sql("ALTER TABLE account ADD COLUMN n INTEGER DEFAULT 1.5"), 'TYPE_MISMATCH', { commit: true, line: 1, column: 50 })
      // A column declared twice: at the second one (not at its DEFAULT, nor at the table).
      await fails(db.sql("CREATE TABLE d (k INTEGER PRIMARY KEY, v INTEGER, V TEXT DEFAULT 'x')"), 'CONSTRAINT', { commit: true, line: 1, column: 51 }, /V is declared twice/)
      await fails(db.sql(`CREATE FUNCTION account.f FROM WASM FILE '${BANK_PATH}' WITH (FUEL = 2000000000)`), 'CONSTRAINT')
      // Module bytes that are not WebAssembly, and a module missing its export.
      await fails(db.sql(`SELECT 1 FROM account;\nCREATE FUNCTION account.junk FROM WASM BASE64 '${base64(new TextEncoder().encode('not a wasm module'))}'`), 'INVALID_WASM', { statement: 1, line: 2, column: 40 })
      // A module refused points at the module given (the function's name is not what is wrong).
      await fails(db.sql("CREATE FUNCTION account.junk FROM WASM X'0061736D01000000'"), 'INVALID_WASM', { column: 40 })
      await fails(db.sql(`CREATE FUNCTION account.junk FROM WASM FILE '${BANK_PATH}' EXPORT 'nothere'`), 'INVALID_WASM', { column: 40 })
      await fails(db.sql("CREATE FUNCTIONS account.* FROM WASM X'0061736D01000000'"), 'INVALID_WASM', { column: 38 })
      await fails(db.sql("CREATE FUNCTION account.junk FROM WASM FILE '/nonexistent/x.wasm'"), 'INVALID_WASM', { column: 40 }, /cannot read/)
      // A server has no readFile: FILE is FORBIDDEN, with its position.
      const server = { submit: (i: Parameters<EmbeddedDatabase['submit']>[0]) => db.submit(i), catalog: () => db.engine.currentCatalog }
      await fails(executeScript(server, `SHOW TABLES;\nCREATE FUNCTION account.f FROM WASM FILE '${BANK_PATH}'`, []), 'FORBIDDEN', { statement: 1, line: 2, column: 37 }, /client/)
      // Parameters: split by statement; a count that does not match is refused before anything runs.
      await fails(db.sql("INSERT INTO account VALUES (?, ?); SELECT ? FROM account", ['q', 1]), 'SYNTAX_ERROR', { statement: 1 }, /parameter/)
      await fails(db.sql("INSERT INTO account VALUES (?, ?)", ['q', 1, 2]), 'SYNTAX_ERROR', { statement: 0 }, /3 parameter values/)
      await fails(db.sql("INSERT INTO account VALUES (?, ?)", ['q', {}]), 'TYPE_MISMATCH', {}, /parameter 2/)
      assert.equal(await balances(db), [['a', 1]])
      // Function failures: WASM traps are not reachable with the bank; OUT_OF_FUEL is.
      await db.sql(`CREATE FUNCTION account.starved FROM WASM FILE '${BANK_PATH}' EXPORT 'transfer' WITH (FUEL = 10)`)
      await fails(db.sql("CALL account.starved('a', 'b', 1)"), 'OUT_OF_FUEL', { commit: true })
    })
  })

  test(`${name}: CREATE OR REPLACE FUNCTION swaps the body; DDL orders with the statements around it`, async () => {
    await withDb(opts, async (db) => {
      await bank(db)
      // CALL before CREATE FUNCTION fails (and stops the script), after it succeeds.
      await fails(db.sql(`CALL account.f('a', 5);\nCREATE FUNCTION account.f FROM WASM FILE '${BANK_PATH}' EXPORT 'deposit'`), 'UNKNOWN_FUNCTION', { statement: 0 })
      assert.equal((await db.sql('SHOW FUNCTIONS')).at(0)?.rows.length, 4, 'the CREATE after the failure did not run')
      const r = await db.sql(`CREATE FUNCTION account.f FROM WASM FILE '${BANK_PATH}' EXPORT 'deposit';\nCALL account.f('a', 5);\nCALL account.f('a', 5)`)
      assert.equal(r.slice(1).map((x) => x.rows), [[[5]], [[10]]])
      await fails(db.sql(`CREATE FUNCTION account.f FROM WASM FILE '${BANK_PATH}' EXPORT 'balance'`), 'CONSTRAINT', {}, /already exists/)
      const swapped = await db.sql(`CREATE OR REPLACE FUNCTION account.f FROM WASM FILE '${BANK_PATH}' EXPORT 'balance';\nCALL account.f('a', 5)`)
      assert.equal(swapped[1]?.rows, [[10]], 'the new body reads instead of depositing')
      const gone = await db.sql("DROP FUNCTION account.f; CREATE TABLE t2 (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t2 VALUES (1, 'one'); SELECT v FROM t2")
      assert.equal(gone[3]?.rows, [['one']])
      await fails(db.sql("CALL account.f('a')"), 'UNKNOWN_FUNCTION')
      // A table dropped and recreated in one script is read with its new columns.
      const again = await db.sql('DROP TABLE t2; CREATE TABLE t2 (k INTEGER PRIMARY KEY, w REAL) PARTITIONS 2; INSERT INTO t2 VALUES (1, 0.5); SELECT * FROM t2')
      assert.equal([again[3]?.columns, again[3]?.rows], [['k', 'w'], [[1, 0.5]]])
    })
  })

  test(`${name}: SELECT without FROM evaluates its items once, as a query at a position, inside BEGIN … COMMIT too`, async () => {
    await withDb(opts, async (db) => {
      await bank(db)
      const [one] = await db.sql('SELECT 1')
      assert.equal([one?.columns, one?.rows, one?.rowsAffected], [['1'], [[1]], 0])
      const [mixed] = await db.sql("SELECT 1 + 2 AS three, 'a' || 'b', NULL, ?, COUNT(*)", [41])
      assert.equal(mixed?.columns, ['three', "'a' || 'b'", 'NULL', '?', 'COUNT(*)'])
      assert.equal(mixed?.rows, [[3, 'ab', null, 41, 1]])
      assert.equal((await db.query('SELECT 1 WHERE 1 = 0')).rows, [])
      // A query: its position follows the last released batch, and it takes no batch of its own.
      const [ins, after] = await db.sql("INSERT INTO account VALUES ('zed', 5); SELECT 7")
      assert.is(after?.commit.batch, ins?.commit.batch)
      const inTxn = await db.sql("BEGIN; INSERT INTO account VALUES ('yan', 6); SELECT 2 * 3; COMMIT")
      assert.equal(inTxn[2]?.rows, [[6]])
      await fails(db.sql('SELECT balance'), 'UNKNOWN_COLUMN', { statement: 0 })
      await fails(db.sql('SELECT 1; SELECT *'), 'SYNTAX_ERROR', { statement: 1 })
    })
  })

  test(`${name}: SHOW TABLES, SHOW FUNCTIONS and DESCRIBE`, async () => {
    await withDb(opts, async (db) => {
      await bank(db)
      await db.sql("CREATE TABLE kv (\"key\" TEXT, value BLOB DEFAULT X'', n INT NOT NULL DEFAULT 3, PRIMARY KEY (\"key\"))")
      const [tables] = await db.sql('SHOW TABLES')
      assert.equal(tables?.columns, ['name', 'partitions', 'key', 'columns'])
      assert.equal(tables?.rows, [['account', 4, 'id', 2], ['kv', 4, 'key', 3]])

      const [desc] = await db.sql('DESCRIBE kv')
      assert.equal(desc?.columns, ['column', 'type', 'not_null', 'default', 'primary_key'])
      // The defaults as SQL spells them (DESCRIBE gave the values: a text 'abc' showed as abc).
      assert.equal(desc?.rows, [['key', 'TEXT', 1, null, 1], ['value', 'BLOB', 0, "X''", 0], ['n', 'INTEGER', 1, '3', 0]])
      assert.equal((await db.query('DESCRIBE account')).rows, [['id', 'TEXT', 1, null, 1], ['balance', 'INTEGER', 1, '0', 0]])
      await fails(db.sql('DESCRIBE nope'), 'UNKNOWN_TABLE', { statement: 0 })

      const [fns] = await db.sql('SHOW FUNCTIONS')
      assert.equal(fns?.columns, ['name', 'table', 'export', 'runtime', 'fuel', 'memory', 'module_hash'])
      const hash = createHash('sha256').update(bankWasm()).digest('hex')
      const sorted = [...(fns?.rows ?? [])].sort((a, b) => String(a[0]).localeCompare(String(b[0])))
      assert.equal(sorted, [
        ['account.balance', 'account', 'balance', 'wasm', 10_000_000, 16 * 1024 * 1024, hash],
        ['account.deposit', 'account', 'deposit', 'wasm', 10_000_000, 16 * 1024 * 1024, hash],
        ['account.transfer', 'account', 'transfer', 'wasm', 1_000_000, 1_048_576, hash],
        ['account.withdraw', 'account', 'withdraw', 'wasm', 10_000_000, 16 * 1024 * 1024, hash],
      ])
      // DDL shows up at once in the next statement of the same script.
      const r = await db.sql('DROP TABLE kv; SHOW TABLES; DROP FUNCTION account.balance; SHOW FUNCTIONS')
      assert.equal(r[1]?.rows.map((x) => x[0]), ['account'])
      assert.is(r[3]?.rows.length, 3)
    })
  })

  test(`${name}: SELECT SUM(balance) through db.sql is conserved during concurrent transfers`, async () => {
    await withDb(opts, async (db) => {
      await bank(db)
      const accounts = Array.from({ length: 20 }, (_, i) => `a${i}`)
      await db.sql(`INSERT INTO account VALUES ${accounts.map(() => '(?, 1000)').join(', ')}`, accounts)
      const rnd = uint32Random(7)
      const transfers: Promise<unknown>[] = []
      const sums: Promise<StatementResult[]>[] = []
      for (let i = 0; i < 600; i++) {
        const from = accounts[rnd() % accounts.length] as string
        const to = accounts[rnd() % accounts.length] as string
        transfers.push(db.sql('CALL account.transfer(?, ?, ?)', [from, to, 1 + (rnd() % 300)]).catch((e: AcheronError) => {
          assert.is(e.code, 'TXN_ABORTED')
          return null
        }))
        if (i % 40 === 0) sums.push(db.sql('SELECT SUM(balance) AS total, COUNT(*) FROM account; SELECT SUM(balance) FROM account'))
      }
      await Promise.all(transfers)
      const results = await Promise.all(sums)
      for (const r of results) {
        assert.equal(r[0]?.rows, [[20000, 20]])
        assert.equal(r[1]?.rows, [[20000]])
        assert.ok(after((r[1] as StatementResult).commit, (r[0] as StatementResult).commit))
      }
      assert.equal((await db.query('SELECT SUM(balance) FROM account')).rows, [[20000]])
    })
  })
}

for (const [name, opts] of CONFIGS) {
  test(`${name}: CASE in a key-pinned UPDATE (a batch), an UPDATE over all rows, a transaction and a query`, async () => {
    await withDb(opts, async (db) => {
      await db.sql("CREATE TABLE acct (id TEXT PRIMARY KEY, balance INTEGER NOT NULL, tier TEXT) PARTITIONS 4; INSERT INTO acct VALUES ('a', 50, NULL), ('b', -5, NULL), ('c', 0, NULL);")
      await db.sql("UPDATE acct SET balance = CASE WHEN balance < ? THEN 0 ELSE balance END WHERE id = 'b'", [0])
      await db.sql("UPDATE acct SET tier = CASE WHEN balance >= 10 THEN 'gold' WHEN balance > 0 THEN 'silver' END")
      await db.sql("BEGIN; UPDATE acct SET balance = CASE id WHEN 'a' THEN balance - 10 ELSE balance + 1 END WHERE id = 'a'; UPDATE acct SET balance = CASE id WHEN 'a' THEN balance - 10 ELSE balance + 1 END WHERE id = 'c'; COMMIT;")
      const q = await db.query("SELECT id, balance, tier, CASE WHEN tier IS NULL THEN 'none' ELSE tier END AS shown FROM acct ORDER BY id")
      assert.equal(q.rows, [['a', 40, 'gold', 'gold'], ['b', 0, null, 'none'], ['c', 1, null, 'none']])
      assert.equal((await db.query('SELECT SUM(CASE WHEN balance > 0 THEN 1 ELSE 0 END) FROM acct')).rows, [[2]])
    })
  })
}

for (const [name, opts] of CONFIGS) {
  test(`${name}: INSERT OR IGNORE leaves out rows whose key exists or that break a NOT NULL, counts the rest, and fails whole on a wrong type`, async () => {
    await withDb(opts, async (db) => {
      await db.sql("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL) PARTITIONS 3; INSERT INTO kv VALUES (1, 'one');")
      const [r] = await db.sql("INSERT OR IGNORE INTO kv VALUES (1, 'uno'), (2, 'two'), (2, 'dos'), (3, NULL), (NULL, 'x'), (?, 'four')", [4])
      assert.is(r?.rowsAffected, 2)
      assert.equal((await db.query('SELECT k, v FROM kv ORDER BY k')).rows, [[1, 'one'], [2, 'two'], [4, 'four']])
      const e = await rejection(db.sql("INSERT OR IGNORE INTO kv VALUES (5, 'five'), (1.5, 'x')"))
      assert.is(e.code, 'TYPE_MISMATCH')
      assert.equal((await db.query('SELECT COUNT(*) FROM kv')).rows, [[3]], 'nothing of the failed INSERT')
      const [inTxn] = (await db.sql("BEGIN; INSERT OR IGNORE INTO kv VALUES (4, 'x'), (6, 'six'); COMMIT;")).filter((x) => x.rowsAffected > 0)
      assert.is(inTxn?.rowsAffected, 1)
    })
  })
}

test('ExecuteOptions.completed: the results of the statements before a failure (a failed BEGIN … COMMIT adds none); on success, the array resolved', async () => {
  await withDb({ memory: true, partitions: 2 }, async (db) => {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL) PARTITIONS 2;')
    const completed: StatementResult[] = []
    const script = 'INSERT INTO t VALUES (1, 1); SELECT v FROM t WHERE k = 1; BEGIN; INSERT INTO t VALUES (2, 2); INSERT INTO t VALUES (1, 9); COMMIT; SELECT 1;'
    const err: unknown = await executeScript(db.sqlTarget(), script, [], { completed }).then(() => null, (e: unknown) => e)
    assert.ok(err instanceof AcheronError && err.code === 'DUPLICATE_KEY' && err.statement === 4, String(err))
    assert.is(completed.length, 2, JSON.stringify(completed))
    assert.is(completed[0]?.rowsAffected, 1)
    assert.equal(completed[1]?.rows, [[1]])
    assert.equal((await db.query('SELECT k, v FROM t ORDER BY k')).rows, [[1, 1]], 'the transaction rolled back whole')
    const all: StatementResult[] = []
    const r = await executeScript(db.sqlTarget(), 'SELECT 1; SELECT 2;', [], { completed: all })
    assert.is(r, all)
    assert.is(all.length, 2)
  })
})

test('a failure of the server itself (a full log: STORAGE_FULL) has no position; one about a name points at it', async () => {
  // Before, it was pinned at the table's name as an unknown table is, and the console drew a caret under
  // it, as if the table were the cause (so was "the engine stopped", INTERNAL).
  await withDb({ storageBytesMax: 64 * 1024, checkpointIntervalMs: 60_000 }, async (db) => {
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL) PARTITIONS 1')
    let full: AcheronError | null = null
    for (let k = 0; k < 200 && full === null; k++) {
      full = await db.sql(`INSERT INTO kv VALUES (${k}, '${'x'.repeat(2000)}')`).then(() => null, (e: AcheronError) => e)
    }
    assert.is(full?.code, 'STORAGE_FULL', full?.message)
    assert.is(full?.statement, 0)
    assert.equal([full?.line, full?.column], [undefined, undefined], 'no caret for a full disk')
    await fails(db.sql("SELECT 1;\nINSERT INTO nope VALUES (1, 'a')"), 'UNKNOWN_TABLE', { statement: 1, line: 2, column: 13 })
  })
})

test.run()
