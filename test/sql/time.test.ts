// Time in SQL and in functions: CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, NOW(), SQLite's date
// functions, DEFAULT CURRENT_TIMESTAMP and a function's txn_time_ms read the time of the transaction's
// batch, which the sequencer stamps and the log holds: a replay reads the logged time, not its own clock.
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { decodeBatch, encodeBatch } from '../../src/txn/batch-codec.js'
import type { EngineFaults } from '../../src/txn/faults.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'
import { wat } from '../wasm-exec/wat.js'

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678)

/** A clock that reads `t.now`, which the test moves. */
function settable(start: number): { now: number; read: () => number } {
  const c = { now: start, read: () => c.now }
  return c
}

// stamp(): writes txn_time_ms into column `ms` of its key's row and returns it.
const STAMP = wat(`(module
  (import "acheron" "col" (func $col (param i32 i32) (result i32)))
  (import "acheron" "set_int" (func $set_int (param i32 i64)))
  (import "acheron" "txn_time_ms" (func $now (result i64)))
  (import "acheron" "ret_int" (func $ret (param i64)))
  (memory (export "memory") 1 1)
  (data (i32.const 0) "ms")
  (func (export "stamp")
    (call $set_int (call $col (i32.const 0) (i32.const 2)) (call $now))
    (call $ret (call $now))))`)

test('the clocks read the batch time as SQLite writes it, UTC', async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    const r = await db.query("SELECT CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, NOW(), DATE(), DATETIME('now'), DATETIME('NOW', '+1 day'), UNIXEPOCH(), STRFTIME('%Y-%m-%dT%H:%M:%f'), JULIANDAY() = JULIANDAY(NOW())")
    assert.equal(r.rows, [['2026-01-02 03:04:05', '2026-01-02', '03:04:05', '2026-01-02 03:04:05.678', '2026-01-02', '2026-01-02 03:04:05', '2026-01-03 03:04:05', Math.floor(T0 / 1000), '2026-01-02T03:04:05.678', 1]])
    // A column of that name is the column, as in SQLite.
    await db.sql('CREATE TABLE c (k INTEGER PRIMARY KEY, current_date TEXT)')
    await db.sql("INSERT INTO c VALUES (1, 'mine')")
    assert.equal((await db.query('SELECT current_date FROM c')).rows, [['mine']])
  } finally {
    await db.close()
  }
})

test('DEFAULT CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME and NOW() give each new row its batch time', async () => {
  const clock = settable(T0)
  const db = await open({ memory: true, wallClockMs: clock.read })
  try {
    await db.sql('CREATE TABLE ev (id TEXT PRIMARY KEY, at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, d TEXT DEFAULT CURRENT_DATE, t TEXT DEFAULT CURRENT_TIME, n TEXT DEFAULT NOW(), v INTEGER)')
    await db.sql("INSERT INTO ev (id, v) VALUES ('a', 1)")
    clock.now = T0 + 86_400_000 + 1
    await db.sql("INSERT INTO ev (id, v, at) VALUES ('b', 2, 'given')")
    assert.equal((await db.query('SELECT * FROM ev ORDER BY id')).rows, [
      ['a', '2026-01-02 03:04:05', '2026-01-02', '03:04:05', '2026-01-02 03:04:05.678', 1],
      ['b', 'given', '2026-01-03', '03:04:05', '2026-01-03 03:04:05.679', 2],
    ])
    assert.equal((await db.query('DESCRIBE ev')).rows.map((r) => r[3]), [null, 'CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'NOW()', null])
    // Clocks as VALUES, beside literals and parameters, in rows of one INSERT.
    await db.sql("INSERT INTO ev (id, at, d, t, n) VALUES ('c', CURRENT_TIMESTAMP, ?, CURRENT_TIME, 'x'), (?, 'y', CURRENT_DATE, NOW(), now())", ['p', 'e'])
    assert.equal((await db.query("SELECT id, at, d, t, n FROM ev WHERE id IN ('c', 'e') ORDER BY id")).rows, [
      ['c', '2026-01-03 03:04:05', 'p', '03:04:05', 'x'],
      ['e', 'y', '2026-01-03', '2026-01-03 03:04:05.679', '2026-01-03 03:04:05.679'],
    ])
    // An UPDATE reads its own batch's time; the row it changes keeps its other values.
    clock.now = T0 + 86_400_000 + 1000
    const [upd] = await db.sql("UPDATE ev SET n = NOW() WHERE id = 'a' RETURNING n, CURRENT_TIMESTAMP, at")
    assert.equal(upd?.rows, [['2026-01-03 03:04:06.678', '2026-01-03 03:04:06', '2026-01-02 03:04:05']])
  } finally {
    await db.close()
  }
})

test("DEFAULT in a row of VALUES (the standard's, PostgreSQL's) is the column's default, a clock included, as if the row left it out", async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    await db.sql('CREATE TABLE dv (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 7, at TEXT DEFAULT CURRENT_TIMESTAMP, note TEXT, r REAL DEFAULT 1, m INTEGER NOT NULL)')
    await db.sql("INSERT INTO dv VALUES (1, DEFAULT, DEFAULT, DEFAULT, DEFAULT, 0), (2, 3, 'x', 'y', default, 0)")
    const [ins] = await db.sql('INSERT INTO dv (m, n, id, at) VALUES (0, DEFAULT, ?, DEFAULT) RETURNING *', [3])
    assert.equal(ins?.rows, [[3, 7, '2026-01-02 03:04:05', null, 1, 0]])
    assert.equal((await db.query('SELECT id, n, at, note, r, typeof(r) FROM dv ORDER BY id')).rows, [
      [1, 7, '2026-01-02 03:04:05', null, 1, 'real'],
      [2, 3, 'x', 'y', 1, 'real'],
      [3, 7, '2026-01-02 03:04:05', null, 1, 'real'],
    ])
    // A column without a default takes NULL, which a NOT NULL one (the key too) refuses at the DEFAULT.
    const nn = await rejection(db.sql('INSERT INTO dv VALUES (4, 1, NULL, NULL, 1, DEFAULT)'))
    assert.equal([nn.code, nn.message, nn.column], ['CONSTRAINT', 'NOT NULL constraint failed: dv.m', 45])
    const key = await rejection(db.sql('INSERT INTO dv (id, m) VALUES (DEFAULT, 0)'))
    assert.equal([key.code, key.column], ['CONSTRAINT', 32])
    // Inside BEGIN … COMMIT and with ON CONFLICT, where excluded.n is the default.
    await db.sql('BEGIN; INSERT INTO dv (id, n, m) VALUES (5, DEFAULT, 0); INSERT INTO dv (id, n, m) VALUES (5, DEFAULT, 0) ON CONFLICT DO UPDATE SET n = excluded.n + 1; COMMIT')
    assert.equal((await db.query('SELECT n FROM dv WHERE id = 5')).rows, [[8]])
  } finally {
    await db.close()
  }
})

test("SET col = DEFAULT (the standard's, PostgreSQL's) is the column's default, a clock read at the batch's time; a column named default stays a column", async () => {
  const clock = settable(T0)
  const db = await open({ memory: true, wallClockMs: clock.read })
  try {
    await db.sql("CREATE TABLE ud (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 7, at TEXT DEFAULT CURRENT_TIMESTAMP, d TEXT DEFAULT CURRENT_DATE, t TEXT DEFAULT CURRENT_TIME, ms TEXT DEFAULT NOW(), note TEXT DEFAULT 'it''s', m INTEGER, CURRENT_TIMESTAMP TEXT)")
    await db.sql("INSERT INTO ud VALUES (1, 1, 'a', 'b', 'c', 'd', 'e', 5, 'column'), (2, 2, 'a', 'b', 'c', 'd', 'e', 6, 'column')")
    clock.now = T0 + 86_400_000
    // At a key, over the table, and in an upsert; a clock default is the clock, not the column of its name.
    const [one] = await db.sql('UPDATE ud SET n = DEFAULT, at = DEFAULT, d = default, t = DEFAULT, ms = DEFAULT, note = DEFAULT, m = DEFAULT WHERE id = 1 RETURNING *')
    assert.equal(one?.rows, [[1, 7, '2026-01-03 03:04:05', '2026-01-03', '03:04:05', '2026-01-03 03:04:05.678', "it's", null, 'column']])
    const [all] = await db.sql('UPDATE ud SET n = DEFAULT, note = DEFAULT RETURNING id, n, note')
    assert.equal(all?.rows.sort(), [[1, 7, "it's"], [2, 7, "it's"]])
    await db.sql('UPDATE ud SET n = 9')
    const [up] = await db.sql('INSERT INTO ud (id, n) VALUES (2, 1) ON CONFLICT DO UPDATE SET n = DEFAULT RETURNING n')
    assert.equal(up?.rows, [[7]])
    await db.sql('CREATE TABLE named (id INTEGER PRIMARY KEY, "default" INTEGER, v INTEGER DEFAULT 3)')
    await db.sql('INSERT INTO named VALUES (1, 42, 0)')
    assert.equal((await db.sql('UPDATE named SET v = DEFAULT RETURNING v'))[0]?.rows, [[42]])
    const e = await rejection(db.sql('UPDATE ud SET n = DEFAULT + 1'))
    assert.equal([e.code, e.column], ['UNKNOWN_COLUMN', 19])
  } finally {
    await db.close()
  }
})

test('one batch, one time; a wall clock that steps back does not take batch times back', async () => {
  const clock = settable(T0)
  const db = await open({ memory: true, wallClockMs: clock.read, batchIntervalMs: 50 })
  try {
    await db.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT DEFAULT NOW(), ms INTEGER)')
    await db.sql(`CREATE FUNCTION ev.stamp FROM WASM X'${Buffer.from(STAMP).toString('hex')}'`)
    // Sent together, they are sequenced into one batch: every one reads the same time.
    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => db.call('ev.stamp', i)))
    const batches = new Set(calls.map((c) => c.commit.batch))
    assert.is(batches.size, 1, 'one batch')
    assert.equal(new Set(calls.map((c) => c.value)), new Set([BigInt(T0)].map(Number)))
    clock.now = T0 - 3_600_000
    const later = await db.call('ev.stamp', 100)
    assert.ok(later.commit.batch > (calls[0]?.commit.batch ?? 0))
    assert.is(later.value, T0, 'the clock went back an hour; the batch time held')
    clock.now = T0 + 5
    assert.is((await db.call('ev.stamp', 101)).value, T0 + 5)
    assert.equal((await db.query('SELECT ms FROM ev WHERE id IN (0, 19, 100, 101) ORDER BY id')).rows, [[T0], [T0], [T0], [T0 + 5]])
  } finally {
    await db.close()
  }
})

async function replayedAtAnotherTime(faults?: EngineFaults): Promise<void> {
  const { dir, cleanup } = tempDir()
  const lines: string[] = []
  try {
    const clock = settable(T0)
    const first = await open({ dir, wallClockMs: clock.read, checkpointAtClose: false, checkpointIntervalMs: 3_600_000 })
    await first.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT DEFAULT CURRENT_TIMESTAMP, ms INTEGER, note TEXT)')
    await first.sql(`CREATE FUNCTION ev.stamp FROM WASM X'${Buffer.from(STAMP).toString('hex')}'`)
    for (let i = 0; i < 6; i++) {
      clock.now = T0 + i * 61_001
      await first.call('ev.stamp', i)
      await first.sql('INSERT INTO ev (id, note) VALUES (?, NOW())', [100 + i])
      await first.sql("UPDATE ev SET note = DATETIME(at, '+' || id || ' minutes') || '/' || NOW() WHERE id < 100 + ?", [i])
    }
    const rows = (await first.query('SELECT * FROM ev ORDER BY id')).rows
    const digest = await first.digest()
    await first.close()
    assert.is(new Set(rows.map((r) => r[1])).size, 6, 'each round its own time')

    // A day later, on a clock far from the first: recovery replays every batch from the log.
    const again = await open({ dir, wallClockMs: () => T0 + 86_400_000, log: (line) => lines.push(line), ...(faults === undefined ? {} : { faults }) })
    try {
      assert.ok(lines.some((l) => /recovered: replayed \d+ batches/.test(l)), 'the batches were replayed')
      assert.equal((await again.query('SELECT * FROM ev ORDER BY id')).rows, rows)
      assert.is(await again.digest(), digest)
      // New batches go on from the recovered time, never before the last logged one.
      await again.sql('INSERT INTO ev (id) VALUES (999)')
      assert.equal((await again.query('SELECT at FROM ev WHERE id = 999')).rows, [['2026-01-03 03:04:05']])
    } finally {
      await again.close()
    }
    const back = await open({ dir, wallClockMs: () => T0 - 86_400_000 })
    try {
      await back.sql('INSERT INTO ev (id) VALUES (1000)')
      assert.equal((await back.query('SELECT at FROM ev WHERE id = 1000')).rows, [['2026-01-03 03:04:05']], 'a clock a day behind does not take the time back past the logged batches')
    } finally {
      await back.close()
    }
  } finally {
    cleanup()
  }
}

test('a replay reads the logged batch times, not its own clock: the same rows, the same digest', async () => {
  await replayedAtAnotherTime()
})

test('caught: a replay that reads its own clock (EngineFaults.replayReadsClock)', async () => {
  let caught: unknown = null
  try {
    await replayedAtAnotherTime({ replayReadsClock: true })
  } catch (err) {
    caught = err
  }
  assert.instance(caught, assert.Assertion)
})

test('EXPLAIN COMMIT re-runs a transaction at the time logged with its batch', async () => {
  const { dir, cleanup } = tempDir()
  const clock = settable(T0)
  const db = await open({ dir, wallClockMs: clock.read })
  try {
    await db.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT DEFAULT NOW(), ms INTEGER)')
    await db.sql(`CREATE FUNCTION ev.stamp FROM WASM X'${Buffer.from(STAMP).toString('hex')}'`)
    clock.now = T0 + 5_000
    const { commit } = await db.call('ev.stamp', 1)
    clock.now = T0 + 3_600_000
    const trace = (await db.query(`EXPLAIN COMMIT (${commit.batch}, ${commit.seq})`)).rows
    const detail = (event: string): string => String(trace.find((r) => r[2] === event)?.[6])
    assert.match(detail('committed'), new RegExp(`^result ${T0 + 5_000} `))
    assert.match(detail('inserted'), /at = '2026-01-02 03:04:10\.678'/)
    assert.match(detail('inserted'), new RegExp(`ms = ${T0 + 5_000}`))
  } finally {
    await db.close()
    cleanup()
  }
})

test('batch times do not go backwards after a restart whose log holds no batch: the checkpoint keeps the last', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const first = await open({ dir, wallClockMs: () => T0 + 86_400_000 })
    await first.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT DEFAULT NOW())')
    await first.sql('INSERT INTO ev (id) VALUES (1)')
    await first.close()
    // The checkpoint holds every batch; the log's segments go (as segments behind a checkpoint do).
    rmSync(join(dir, 'log'), { recursive: true })
    mkdirSync(join(dir, 'log'))
    const again = await open({ dir, wallClockMs: () => T0 })
    try {
      await again.sql('INSERT INTO ev (id) VALUES (2)')
      assert.equal((await again.query('SELECT id, at FROM ev ORDER BY id')).rows, [[1, '2026-01-03 03:04:05.678'], [2, '2026-01-03 03:04:05.678']])
    } finally {
      await again.close()
    }
  } finally {
    cleanup()
  }
})

test("the zone modifiers are refused: at the literal when written, at the row's value otherwise, writing nothing", async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    await db.sql("CREATE TABLE ev (id TEXT PRIMARY KEY, at TEXT DEFAULT CURRENT_TIMESTAMP, m TEXT)")
    await db.sql("INSERT INTO ev (id, m) VALUES ('a', '+1 hour'), ('b', 'LocalTime')")
    const literal = await rejection(db.query("SELECT DATE(at, 'localtime') FROM ev"))
    assert.is(literal.code, 'SYNTAX_ERROR')
    assert.match(literal.message, /'localtime' is not offered.*time zone/)
    assert.is(literal.column, 17)
    assert.is((await rejection(db.query('SELECT DATETIME(at, ?) FROM ev', ['utc']))).code, 'SYNTAX_ERROR')
    assert.equal((await db.query("SELECT DATETIME(at, m) FROM ev WHERE id = 'a'")).rows, [['2026-01-02 04:04:05']])
    const fromRow = await rejection(db.sql("UPDATE ev SET at = DATETIME(at, m) WHERE id = 'b'"))
    assert.is(fromRow.code, 'CONSTRAINT')
    assert.match(fromRow.message, /LocalTime.*time zone/)
    // At the modifier the statement gives (`m`), not at the table.
    assert.equal([fromRow.line, fromRow.column], [1, 33])
    const inQuery = await rejection(db.query('SELECT id,\n  DATE(at, m) FROM ev'))
    assert.equal([inQuery.code, inQuery.line, inQuery.column], ['CONSTRAINT', 2, 12])
    assert.equal((await db.query("SELECT at FROM ev WHERE id = 'b'")).rows, [['2026-01-02 03:04:05']], 'nothing written')
    // A row holding 'now' reads the batch time, as SQLite's would read its clock.
    await db.sql("INSERT INTO ev (id, at) VALUES ('c', 'now')")
    assert.equal((await db.query("SELECT DATETIME(at) FROM ev WHERE id = 'c'")).rows, [['2026-01-02 03:04:05']])
  } finally {
    await db.close()
  }
})

test('a clock default takes a TEXT column, in CREATE TABLE only', async () => {
  const db = await open({ memory: true })
  try {
    const typed = await rejection(db.sql('CREATE TABLE bad (k INTEGER PRIMARY KEY, at INTEGER DEFAULT CURRENT_TIMESTAMP)'))
    assert.is(typed.code, 'SYNTAX_ERROR')
    assert.match(typed.message, /takes a TEXT column, and at is INTEGER/)
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    const added = await rejection(db.sql('ALTER TABLE t ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP'))
    assert.is(added.code, 'CONSTRAINT')
    assert.is(added.column, 42)
    assert.equal((await db.query('DESCRIBE t')).rows.map((r) => r[0]), ['k'])
  } finally {
    await db.close()
  }
})

test("PostgreSQL's clock calls, and the clock keywords written as calls, say what to write", async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    const keyword = await rejection(db.query('SELECT CURRENT_TIMESTAMP()'))
    assert.is(keyword.code, 'SYNTAX_ERROR')
    assert.is(keyword.message, "unknown function 'CURRENT_TIMESTAMP': write CURRENT_TIMESTAMP without parentheses (SQLite's keyword), or NOW()")
    assert.is(keyword.column, 8)
    assert.match((await rejection(db.query('SELECT clock_timestamp()'))).message, /^unknown function 'clock_timestamp': write NOW\(\) or CURRENT_TIMESTAMP/)
    assert.match((await rejection(db.query('SELECT EXTRACT(YEAR FROM NOW())'))).message, /^unknown function 'EXTRACT': use STRFTIME/)
    assert.match((await rejection(db.query("SELECT DATE_TRUNC('day', NOW())"))).message, /^unknown function 'DATE_TRUNC': use SQLite's date functions: DATE\(x\)/)
    const cast = await rejection(db.query('SELECT CAST(NOW() AS TIMESTAMP)'))
    assert.is(cast.column, 22)
    assert.is(cast.message, "CAST … AS TIMESTAMP is not offered: times are TEXT, as in SQLite; DATETIME(x) is x as 'YYYY-MM-DD HH:MM:SS' (UTC)")
    const interval = await rejection(db.query("SELECT NOW() + INTERVAL '1 day'"))
    assert.is(interval.column, 16)
    assert.match(interval.message, /^PostgreSQL's typed literal INTERVAL '…' is not offered: times are TEXT, as in SQLite; add one with a modifier: DATETIME\(x, '\+1 day'\)/)
    assert.match((await rejection(db.query("SELECT DATE '2026-01-02'"))).message, /^PostgreSQL's typed literal DATE '…' is not offered: .*DATE\(x\) is x's day/)
    // A column named date or time is a column still.
    assert.equal((await db.query('SELECT date, time FROM (SELECT 1 AS date, 2 AS time) WHERE date < time')).rows, [[1, 2]])
    // PostgreSQL's LOCALTIMESTAMP and LOCALTIME, keywords there (no parentheses), get the hint of their call form.
    const bare = await rejection(db.query('SELECT LOCALTIMESTAMP'))
    assert.is(bare.code, 'UNKNOWN_COLUMN')
    assert.is(bare.column, 8)
    assert.is(bare.message, "no such column: LOCALTIMESTAMP (PostgreSQL's clock LOCALTIMESTAMP is not offered here: write NOW() or CURRENT_TIMESTAMP: every clock reads the time of the transaction's batch, in UTC)")
    const inWhere = await rejection(db.query("SELECT 1 FROM (SELECT '2026' AS at) WHERE at < localtime"))
    assert.is(inWhere.column, 48)
    assert.match(inWhere.message, /^no such column: localtime \(PostgreSQL's clock LOCALTIME is not offered here: write NOW\(\) or CURRENT_TIMESTAMP/)
    // A column of that name is the column, as one named CURRENT_TIME is; qualified, it is a column only.
    await db.sql('CREATE TABLE lt (k INTEGER PRIMARY KEY, localtime TEXT, localtimestamp TEXT, current_time TEXT)')
    await db.sql("INSERT INTO lt VALUES (1, 'a', 'b', 'c')")
    await db.sql('UPDATE lt SET localtime = localtimestamp WHERE localtime = LOCALTIME')
    assert.equal((await db.query('SELECT LOCALTIME, LOCALTIMESTAMP, CURRENT_TIME FROM lt')).rows, [['b', 'b', 'c']])
    assert.equal((await db.query('SELECT LOCALTIMESTAMP FROM (SELECT 5 AS localtimestamp)')).rows, [[5]])
    assert.match((await rejection(db.query('SELECT lt.nope, t.LOCALTIME FROM lt, lt AS t'))).message, /^no such column: lt\.nope/)
    // Oracle's SYSDATE, its keyword too; and where no column can stand (a DEFAULT, a VALUES row), the hint at once.
    assert.match((await rejection(db.query('SELECT SYSDATE'))).message, /^no such column: SYSDATE \(Oracle's clock SYSDATE is not offered here: write NOW\(\) or CURRENT_TIMESTAMP/)
    const inValues = await rejection(db.sql('INSERT INTO lt (k, localtime) VALUES (2, LOCALTIMESTAMP)'))
    assert.is(inValues.code, 'SYNTAX_ERROR')
    assert.is(inValues.column, 42)
    assert.match(inValues.message, /^PostgreSQL's clock LOCALTIMESTAMP is not offered here: write NOW\(\) or CURRENT_TIMESTAMP/)
    const asDefault = await rejection(db.sql('CREATE TABLE lu (k INTEGER PRIMARY KEY, at TEXT DEFAULT localtime)'))
    assert.match(asDefault.message, /^PostgreSQL's clock LOCALTIME is not offered here: write NOW\(\) or CURRENT_TIMESTAMP/)
    // What the hints propose runs.
    assert.equal((await db.query("SELECT CURRENT_TIMESTAMP, STRFTIME('%Y', NOW()), DATE(NOW()), DATETIME(NOW(), 'start of month')")).rows, [['2026-01-02 03:04:05', '2026', '2026-01-02', '2026-01-01 00:00:00']])
  } finally {
    await db.close()
  }
})

test("DEFAULT in parentheses, as SQLite writes it, takes a literal or a clock; an expression such as datetime('now') is told the clock to write", async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    await db.sql("CREATE TABLE p (k INTEGER PRIMARY KEY, at TEXT DEFAULT (CURRENT_TIMESTAMP), n INTEGER DEFAULT (-1), s TEXT DEFAULT ('x'), m TEXT DEFAULT (now()))")
    await db.sql('INSERT INTO p (k) VALUES (1)')
    assert.equal((await db.query('SELECT * FROM p')).rows, [[1, '2026-01-02 03:04:05', -1, 'x', '2026-01-02 03:04:05.678']])
    assert.equal((await db.query('DESCRIBE p')).rows.map((r) => r[3]), [null, 'CURRENT_TIMESTAMP', '-1', "'x'", 'NOW()'])
    const expr = await rejection(db.sql("CREATE TABLE q (k INTEGER PRIMARY KEY, at TEXT DEFAULT (datetime('now')))"))
    assert.is(expr.code, 'SYNTAX_ERROR')
    assert.is(expr.column, 57)
    assert.match(expr.message, /^a DEFAULT is a literal or a clock, not an expression: for a row's time write DEFAULT CURRENT_TIMESTAMP \(SQLite's datetime\('now'\)\)/)
    const sum = await rejection(db.sql('CREATE TABLE q (k INTEGER PRIMARY KEY, n INTEGER DEFAULT (1 + 2))'))
    assert.is(sum.message, "expected ')' after the DEFAULT in parentheses, found '+'")
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    assert.is((await rejection(db.sql('ALTER TABLE t ADD COLUMN at TEXT DEFAULT (CURRENT_TIMESTAMP)'))).code, 'CONSTRAINT')
    await db.sql("ALTER TABLE t ADD COLUMN s TEXT DEFAULT ('q')")
    assert.equal((await db.query('DESCRIBE t')).rows.map((r) => r[3]), [null, "'q'"])
  } finally {
    await db.close()
  }
})

test("VALUES takes the clocks; an expression there (SQLite's datetime('now', '+1 day')) is told to go in INSERT … SELECT, which runs it", async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    await db.sql('CREATE TABLE ev (id TEXT PRIMARY KEY, at TEXT)')
    const call = await rejection(db.sql("INSERT INTO ev (id, at) VALUES ('a', DATETIME('now', '+1 day'))"))
    assert.is(call.code, 'SYNTAX_ERROR')
    assert.is(call.column, 38)
    assert.match(call.message, /^VALUES holds literals, \? and the clocks \(CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, NOW\(\)\); a computed value goes in INSERT … SELECT/)
    const op = await rejection(db.sql("INSERT INTO ev VALUES ('a', 'x' || 'y')"))
    assert.is(op.column, 33)
    assert.match(op.message, /^VALUES holds literals/)
    await db.sql("INSERT INTO ev (id, at) SELECT 'a', DATETIME('now', '+1 day')")
    await db.sql("INSERT INTO ev VALUES ('b', NOW()), ('c', '-1'), (?, CURRENT_DATE)", ['d'])
    assert.equal((await db.query('SELECT * FROM ev ORDER BY id')).rows, [['a', '2026-01-03 03:04:05'], ['b', '2026-01-02 03:04:05.678'], ['c', '-1'], ['d', '2026-01-02']])
  } finally {
    await db.close()
  }
})

test("a clock as a CALL's key or argument says that the function reads the batch's time itself", async () => {
  const db = await open({ memory: true, wallClockMs: () => T0 })
  try {
    await db.sql('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT DEFAULT NOW(), ms INTEGER)')
    await db.sql(`CREATE FUNCTION ev.stamp FROM WASM X'${Buffer.from(STAMP).toString('hex')}'`)
    const arg = await rejection(db.sql('CALL ev.stamp(1, now())'))
    assert.is(arg.code, 'SYNTAX_ERROR')
    assert.is(arg.column, 18)
    assert.is(arg.message, "a CALL's key and arguments are literals or ?, not NOW(): a function reads its batch's time itself, through txn_time_ms (docs/functions.md), the time the clocks read")
    assert.match((await rejection(db.sql('CALL ev.stamp(CURRENT_DATE)'))).message, /^a CALL's key and arguments are literals or \?, not CURRENT_DATE: /)
    assert.is((await db.call('ev.stamp', 1)).value, T0)
  } finally {
    await db.close()
  }
})

test('a batch body holds its time; a body logged before batches had one reads as time 0, its transactions unchanged', () => {
  const inputs = [{ kind: 'call' as const, fn: 'ev.stamp', key: 7n, args: ['x', 2.5] }]
  const timed = encodeBatch(41, T0, inputs)
  assert.equal(decodeBatch(timed.body), { firstTxnId: 41, timeMs: T0, inputs, offsets: decodeBatch(timed.body).offsets, origins: [] })
  // The older form: the same body without its head (a 0 byte, then the time).
  const headBytes = 1 + Math.ceil(Math.log2(T0 + 1) / 7)
  const old = decodeBatch(timed.body.subarray(headBytes))
  assert.is(old.timeMs, 0)
  assert.is(old.firstTxnId, 41)
  assert.equal(old.inputs, inputs)
})

test.run()
