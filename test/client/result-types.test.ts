// A result's column types (`types`, docs/protocol.md "Replies"): JSON cannot tell REAL 1.0 from INTEGER 1,
// so a REAL column's whole numbers were shown as integers by every reader of a reply. Against a real
// `acheron serve`: the wire's `types` for SELECT, CALL (both the call op and CALL in SQL), DESCRIBE and
// SHOW STATS; the SDK's `result.types` and call()'s `type`; the console's formats (`-e`, `--json`, csv,
// markdown, unaligned, `\x`) showing 1.0 as SQLite's shell does; the embedded `open()` giving the same
// types and call() types; and a client reading a reply without `types` (an older server) as before.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer } from 'ws'
import { connect, open, type RemoteDatabase } from '../../src/index.js'
import { realText } from '../../src/result-types.js'
import { abiModule } from '../wasm-exec/wat.js'
import { oneFrameReply, startServer, type ServerProcess } from '../support/server-process.js'
import { describeRun, runCli } from '../console/support.js'

// m.real returns REAL 1.0, m.int INTEGER 1, m.none NULL.
const RETURNS = abiModule(`
  (func (export "real") (call $ret_real (f64.const 1)))
  (func (export "int") (call $ret_int (i64.const 1)))
  (func (export "none") (call $ret_null))
`)
const SETUP = `CREATE TABLE m (id INTEGER PRIMARY KEY, r REAL, n INTEGER, s TEXT) PARTITIONS 2;
  INSERT INTO m VALUES (1, 1.0, 1, 'a'), (2, 2.5, 2, 'b'), (3, NULL, 3, NULL);`
const SELECT = 'SELECT id, r, n, s FROM m ORDER BY id'

let server: ServerProcess | null = null
let db: RemoteDatabase | null = null
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  db = await connect(server.url)
  await db.sql(SETUP)
  await db.createFunction('m.real', RETURNS)
  await db.createFunction('m.int', RETURNS)
  await db.createFunction('m.none', RETURNS)
})
test.after(async () => {
  await db?.close()
  await server?.kill()
})

function remote(): RemoteDatabase {
  return db as RemoteDatabase
}

/** One raw frame's reply. */
const raw = (frame: Record<string, unknown>): Promise<Record<string, unknown>> => oneFrameReply((server as ServerProcess).url, frame)

const typesOf = (reply: Record<string, unknown>): unknown[] =>
  ((reply.results as Record<string, unknown>[])[0] as { types: unknown[] }).types

test('the wire: a SELECT\'s types are its columns\' value types, a REAL column REAL with its NULL', async () => {
  const reply = await raw({ id: 1, op: 'sql', sql: SELECT })
  assert.equal(typesOf(reply), ['INTEGER', 'REAL', 'INTEGER', 'TEXT'], JSON.stringify(reply))
  // Only NULLs, and values of several types, say nothing.
  const mixed = await raw({ id: 2, op: 'sql', sql: "SELECT NULL AS a, CASE WHEN id = 1 THEN 1 ELSE 'x' END AS b, 1.0 AS c FROM m" })
  assert.equal(typesOf(mixed), [null, null, 'REAL'])
  // A statement without columns has none.
  const insert = await raw({ id: 3, op: 'sql', sql: 'INSERT INTO m VALUES (9, 9.0, 9, NULL); DELETE FROM m WHERE id = 9' })
  for (const r of insert.results as Record<string, unknown>[]) assert.not.ok('types' in r, JSON.stringify(r))
})

test('the wire: CALL\'s result column has the value\'s type, by the call op (with and without logs) and in SQL', async () => {
  assert.equal(typesOf(await raw({ id: 1, op: 'call', fn: 'm.real', key: 1 })), ['REAL'])
  assert.equal(typesOf(await raw({ id: 2, op: 'call', fn: 'm.int', key: 1 })), ['INTEGER'])
  assert.equal(typesOf(await raw({ id: 3, op: 'call', fn: 'm.none', key: 1 })), [null])
  assert.equal(typesOf(await raw({ id: 4, op: 'call', fn: 'm.real', key: 1, logs: true })), ['REAL'])
  assert.equal(typesOf(await raw({ id: 5, op: 'sql', sql: 'CALL m.real(1)' })), ['REAL'])
})

test('the wire: DESCRIBE and SHOW STATS have types too', async () => {
  const described = typesOf(await raw({ id: 1, op: 'sql', sql: 'DESCRIBE m' }))
  assert.is(described[0], 'TEXT')
  const stats = typesOf(await raw({ id: 2, op: 'sql', sql: 'SHOW STATS' }))
  assert.is(stats.length, 2)
  assert.is(stats[0], 'TEXT')
})

test('the SDK: sql() and query() expose types; the REAL 1.0 is still the number 1', async () => {
  const [r] = await remote().sql(SELECT)
  assert.equal(r?.types, ['INTEGER', 'REAL', 'INTEGER', 'TEXT'])
  assert.equal(r?.rows[0], [1, 1, 1, 'a'])
  const q = await remote().query(SELECT, [], { rows: 'objects' })
  assert.equal(q.types, ['INTEGER', 'REAL', 'INTEGER', 'TEXT'])
  assert.equal((await remote().query('CALL m.real(1)')).types, ['REAL'])
})

test('the SDK: call() and callWithLogs() give the value\'s type, as the call op\'s types says', async () => {
  const real = await remote().call('m.real', 1)
  assert.is(real.value, 1)
  assert.is(real.type, 'REAL')
  assert.is((await remote().call('m.int', 1)).type, 'INTEGER')
  const none = await remote().call('m.none', 1)
  assert.is(none.value, null)
  assert.ok('type' in none && none.type === null, JSON.stringify(none))
  const logged = await remote().callWithLogs('m.real', 1)
  assert.is(logged.type, 'REAL')
  assert.equal(logged.logs, [])
})

test('the embedded open(): the same types as the server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-types-'))
  const local = await open({ dir, partitions: 2, workers: 0 })
  try {
    await local.sql(SETUP)
    await local.createFunction('m.real', RETURNS)
    await local.createFunction('m.int', RETURNS)
    await local.createFunction('m.none', RETURNS)
    const [r] = await local.sql(SELECT)
    assert.equal(r?.types, ['INTEGER', 'REAL', 'INTEGER', 'TEXT'])
    assert.equal((await local.query(SELECT)).types, ['INTEGER', 'REAL', 'INTEGER', 'TEXT'])
    assert.equal((await local.query('CALL m.real(1)')).types, ['REAL'])
    // call() as the remote client's: the value, and its type beside it.
    for (const fn of ['m.real', 'm.int', 'm.none']) {
      const [mine, theirs] = [await local.call(fn, 1), await remote().call(fn, 1)]
      assert.equal([mine.value, mine.type], [theirs.value, theirs.type], fn)
      const logged = await local.callWithLogs(fn, 1)
      assert.equal([logged.value, logged.type], [theirs.value, theirs.type], fn)
    }
    assert.is((await local.call('m.real', 1)).type, 'REAL')
  } finally {
    await local.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the console: -e shows a REAL column\'s 1 as 1.0 in every format, INTEGER as 1', async () => {
  const url = (server as ServerProcess).url
  const run = async (...args: string[]) => {
    const r = await runCli(['console', url, ...args])
    assert.is(r.code, 0, describeRun(args, r))
    return r.stdout
  }
  const aligned = await run('-e', `${SELECT};`)
  assert.match(aligned, /^\s+1 \|\s+1\.0 \| 1 \| a$/m, aligned)
  assert.match(aligned, /^\s+2 \|\s+2\.5 \| 2 \| b$/m, aligned)
  assert.match(aligned, /^\s+3 \| NULL \| 3 \| NULL$/m, aligned)
  assert.match(await run('-e', 'CALL m.real(1);'), /^\s+1\.0$/m)
  assert.match(await run('-e', 'CALL m.int(1);'), /^\s+1$/m)
  assert.match(await run('-e', '\\pset format csv', '-e', `${SELECT};`), /^1,1\.0,1,a$/m)
  assert.match(await run('-e', '\\pset format unaligned', '-e', `${SELECT};`), /^1\|1\.0\|1\|a$/m)
  assert.match(await run('-e', '\\pset format markdown', '-e', `${SELECT};`), /^\| 1 \| 1\.0 \| 1 \| a \|$/m)
  assert.match(await run('-e', '\\x', '-e', `${SELECT} LIMIT 1;`), /^r\s+\| 1\.0$/m)
})

test('the console: --json writes a REAL\'s 1 as 1.0 (still a JSON number) and carries types', async () => {
  const args = ['console', (server as ServerProcess).url, '--json', '-e', `${SELECT};`]
  const r = await runCli(args)
  assert.is(r.code, 0, describeRun(args, r))
  const line = r.stdout.trim()
  assert.ok(line.includes('"rows":[[1,1.0,1,"a"],[2,2.5,2,"b"],[3,null,3,null]]'), line)
  const parsed = JSON.parse(line) as { rows: unknown[][]; types: unknown[] }
  assert.equal(parsed.types, ['INTEGER', 'REAL', 'INTEGER', 'TEXT'])
  assert.equal(parsed.rows[0], [1, 1, 1, 'a'])
})

test('a REAL -0 keeps its sign: -0.0 on the wire (valid JSON), -0 in the SDK, -0.0 in the console\'s formats and --json', async () => {
  const sql = 'SELECT -0.0 AS z, 0.0 * -1 AS y, 0.0 AS p'
  const reply = await raw({ id: 3, op: 'sql', sql })
  const row = ((reply.results as Record<string, unknown>[])[0] as { rows: unknown[][] }).rows[0] as unknown[]
  assert.ok(Object.is(row[0], -0) && Object.is(row[1], -0) && Object.is(row[2], 0), JSON.stringify(reply))
  const sdk = (await remote().query(sql)).rows[0] as unknown[]
  assert.ok(Object.is(sdk[0], -0) && Object.is(sdk[2], 0))
  const url = (server as ServerProcess).url
  const run = async (...args: string[]) => {
    const r = await runCli(['console', url, ...args])
    assert.is(r.code, 0, describeRun(args, r))
    return r.stdout
  }
  assert.match(await run('-e', `${sql};`), /^ -0\.0 \| -0\.0 \| 0\.0$/m)
  assert.match(await run('-e', '\\pset format csv', '-e', `${sql};`), /^-0\.0,-0\.0,0\.0$/m)
  const json = (await run('--json', '-e', `${sql};`)).trim()
  assert.ok(json.includes('"rows":[[-0.0,-0.0,0.0]]'), json)
  assert.ok(Object.is((JSON.parse(json) as { rows: unknown[][] }).rows[0]?.[0], -0))
})

test('a column of several types: cellTypes says each value\'s type (wire, SDK, embedded), so the console shows a REAL 1 as 1.0', async () => {
  // m's row 1 has r = 1.0 and n = 1: a UNION puts both in one column, as a CASE may.
  const sql = "SELECT r AS v FROM m WHERE id = 1 UNION ALL SELECT n FROM m WHERE id = 1 UNION ALL SELECT s FROM m WHERE id = 1 UNION ALL SELECT NULL"
  const reply = await raw({ id: 1, op: 'sql', sql })
  const r = (reply.results as Record<string, unknown>[])[0] as Record<string, unknown>
  assert.equal([r.rows, r.types, r.cellTypes], [[[1], [1], ['a'], [null]], [null], [['REAL', 'INTEGER', 'TEXT', null]]], JSON.stringify(reply))
  // Only where a column is of several types: none at all here, so no field.
  assert.not.ok('cellTypes' in ((await raw({ id: 2, op: 'sql', sql: SELECT })).results as Record<string, unknown>[])[0]!)
  assert.equal((await remote().query(sql)).cellTypes, [['REAL', 'INTEGER', 'TEXT', null]])
  const dir = mkdtempSync(join(tmpdir(), 'acheron-cell-types-'))
  const local = await open({ dir, partitions: 2, workers: 0 })
  try {
    await local.sql(SETUP)
    assert.equal((await local.query(sql)).cellTypes, [['REAL', 'INTEGER', 'TEXT', null]])
  } finally {
    await local.close()
    rmSync(dir, { recursive: true, force: true })
  }
  const url = (server as ServerProcess).url
  const run = async (...args: string[]) => {
    const c = await runCli(['console', url, ...args])
    assert.is(c.code, 0, describeRun(args, c))
    return c.stdout
  }
  assert.match(await run('-e', `${sql};`), /^  v\n-+\n 1\.0\n 1\n a\n NULL\n/, 'aligned')
  assert.match(await run('-e', '\\pset format csv', '-e', `${sql};`), /^v\n1\.0\n1\na\n\n$/m, 'csv')
  assert.match(await run('-e', '\\x', '-e', `${sql};`), /^v \| 1\.0\n/m, '\\x')
  const json = (await run('--json', '-e', `${sql};`)).trim()
  assert.ok(json.includes('"rows":[[1.0],[1],["a"],[null]]') && json.includes('"cellTypes":[["REAL","INTEGER","TEXT",null]]'), json)
})

test('realText: as SQLite\'s shell writes a REAL', () => {
  assert.is(realText(1), '1.0')
  assert.is(realText(-3), '-3.0')
  assert.is(realText(-0), '-0.0')
  assert.is(realText(2.5), '2.5')
  assert.is(realText(1e20), '1.0e+20')
  assert.is(realText(1.5e20), '1.5e+20')
  assert.is(realText(Infinity), 'Infinity')
  assert.is(realText(-Infinity), '-Infinity')
  // Small ones as the shell writes them too (they were JavaScript's 1e-7 beside 1.0e+15).
  assert.is(realText(1e-7), '1.0e-07')
  assert.is(realText(-1e-300), '-1.0e-300')
  assert.is(realText(2.5e-10), '2.5e-10')
  assert.is(realText(1e15), '1.0e+15')
  assert.is(realText(0.0001), '0.0001')
  assert.is(realText(1.5e300), '1.5e+300')
  // JavaScript's shortest digits that read back, not the shell's 15: 0.1 + 0.2 is not 0.3.
  assert.is(realText(0.1 + 0.2), '0.30000000000000004')
  for (const v of [1e-7, -1e-300, 2.5e-10, 1.5e300, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]) assert.is(Number(realText(v)), v)
  for (const v of [1e-7, 1e20, 2.5e-10]) assert.is(JSON.parse(realText(v)), v)
})

test('a server without types (older): the SDK gives no types and the console shows values as before', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  wss.on('connection', (ws) => ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { id: number }
    ws.send(JSON.stringify({ id: m.id, ok: true, results: [{ columns: ['r'], rows: [[1]], rowsAffected: 0, commit: { batch: 1, seq: 0 } }] }))
  }))
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`
  try {
    const old = await connect(url)
    const [r] = await old.sql('SELECT r FROM m')
    assert.not.ok(r !== undefined && 'types' in r)
    // A call's reply without types: no type rather than a guess from the number.
    const called = await old.call('m.real', 1)
    assert.is(called.value, 1)
    assert.not.ok('type' in called, JSON.stringify(called))
    await old.close()
    const args = ['console', url, '-e', 'SELECT r FROM m;']
    const run = await runCli(args)
    assert.is(run.code, 0, describeRun(args, run))
    assert.match(run.stdout, /^ 1$/m, run.stdout)
  } finally {
    await new Promise((resolve) => wss.close(resolve))
  }
})

test.run()
