// Every transaction error code of CONTRACT.md §4 through a real `acheron serve` child: the code reaches
// the client, a transaction that ran and rolled itself back carries its commit position, nothing of it
// is visible, and the server keeps serving. (Protocol-level codes — UNAUTHORIZED, FORBIDDEN,
// PAYLOAD_TOO_LARGE, OVERLOADED, SHUTTING_DOWN — are in server.test.ts.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { abiModule, wat } from '../wasm-exec/wat.js'
import { startServer, WsClient, type Reply, type ServerProcess } from '../support/server-process.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// Functions of table t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0): each fails one way.
const FAILING = abiModule(`
  (data (i32.const 0) "t.recurse")
  (data (i32.const 16) "v")
  (func (export "trap") unreachable)
  (func (export "spin") (loop $l (br $l)))
  (func (export "hog") (if (i32.eq (memory.grow (i32.const 5)) (i32.const -1)) (then unreachable)))
  (func (export "recurse")
    (call $set_int (call $col (i32.const 16) (i32.const 1)) (i64.const 1))
    (call $call_begin (i32.const 0) (i32.const 9))
    (call $call_arg_int (i64.add (call $key_int) (i64.const 1)))
    (drop (call $call_invoke)))
  (func (export "nullify") (call $set_null (call $col (i32.const 16) (i32.const 1))))
  (func (export "abort") (call $abort_txn (i32.const 0) (i32.const 9)))
`, '(memory (export "memory") 1 2)')

const IMPORTS_ENV = wat(`(module (import "env" "now" (func (result i64))) (memory (export "memory") 1 1) (func (export "f")))`)

let server: ServerProcess | null = null
let client: WsClient | null = null

test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '2'] })
  client = await WsClient.connect(server.url)
  const setup = [
    'CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;',
    ...['trap', 'hog', 'recurse', 'nullify', 'abort'].map((f) => `CREATE FUNCTION t.${f} FROM WASM X'${hex(FAILING)}';`),
    `CREATE FUNCTION t.spin FROM WASM X'${hex(FAILING)}' WITH (FUEL = 100000);`,
    "INSERT INTO t VALUES (1, 10);",
  ]
  for (const sql of setup) {
    const r = await client.request({ op: 'sql', sql })
    assert.ok(r.ok, `${sql.slice(0, 60)}: ${JSON.stringify(r)}`)
  }
})

test.after(async () => {
  client?.terminate()
  await server?.kill()
})

async function fails(body: Record<string, unknown>, code: string, withCommit: boolean, message?: RegExp): Promise<void> {
  const r: Reply = await (client as WsClient).request(body)
  assert.ok(!r.ok, `${JSON.stringify(body).slice(0, 80)} should fail with ${code}: ${JSON.stringify(r)}`)
  if (r.ok) return
  assert.is(r.error.code, code, r.error.message)
  if (message) assert.match(r.error.message, message)
  if (withCommit) {
    assert.ok(r.error.commit !== undefined && r.error.commit.batch > 0 && r.error.commit.seq >= 0, `commit position: ${JSON.stringify(r.error)}`)
  }
}

const call = (fn: string, key: number, args: unknown[] = []) => ({ op: 'call', fn, key, args })

test('WASM_TRAP, OUT_OF_FUEL, MEMORY_LIMIT, CALL_DEPTH_EXCEEDED and TXN_ABORTED roll back and carry their position', async () => {
  await fails(call('t.trap', 1), 'WASM_TRAP', true, /unreachable/)
  await fails(call('t.spin', 1), 'OUT_OF_FUEL', true)
  await fails(call('t.hog', 1), 'MEMORY_LIMIT', true)
  await fails(call('t.recurse', 100), 'CALL_DEPTH_EXCEEDED', true)
  await fails({ op: 'sql', sql: 'CALL t.abort(1);' }, 'TXN_ABORTED', true, /t\.recurse/)
})

test('CONSTRAINT, TYPE_MISMATCH and DUPLICATE_KEY roll back with their position; nothing of them is visible', async () => {
  await fails(call('t.nullify', 1), 'CONSTRAINT', true, /NOT NULL/)
  await fails({ op: 'sql', sql: "INSERT INTO t VALUES (2, 'many');" }, 'TYPE_MISMATCH', true)
  await fails({ op: 'sql', sql: 'INSERT INTO t VALUES (3, 1), (1, 2);' }, 'DUPLICATE_KEY', true)
  // The recursion wrote v = 1 at keys 100..163 before it overflowed; the insert of key 3 came before the duplicate.
  const r = await (client as WsClient).request({ op: 'sql', sql: 'SELECT k, v FROM t ORDER BY k;' })
  assert.ok(r.ok, JSON.stringify(r))
  if (r.ok) assert.equal(r.results[0]?.rows, [[1, 10]])
})

test('INVALID_WASM, WASM_IMPORT_NOT_ALLOWED, UNKNOWN_FUNCTION, UNKNOWN_TABLE, UNKNOWN_COLUMN and SYNTAX_ERROR are refused', async () => {
  await fails({ op: 'sql', sql: "CREATE FUNCTION t.bad FROM WASM X'0061736d';" }, 'INVALID_WASM', false)
  await fails({ op: 'sql', sql: `CREATE FUNCTION t.env FROM WASM X'${hex(IMPORTS_ENV)}' EXPORT 'f';` }, 'WASM_IMPORT_NOT_ALLOWED', false, /env/)
  await fails(call('t.nope', 1), 'UNKNOWN_FUNCTION', false)
  await fails({ op: 'sql', sql: 'SELECT * FROM nope;' }, 'UNKNOWN_TABLE', false)
  await fails({ op: 'sql', sql: 'SELECT w FROM t;' }, 'UNKNOWN_COLUMN', false)
  await fails({ op: 'sql', sql: 'SELEC 1;' }, 'SYNTAX_ERROR', false)
})

test('after every failure the server still serves: a call and a query succeed', async () => {
  const r = await (client as WsClient).request({ op: 'sql', sql: 'UPDATE t SET v = v + 1 WHERE k = 1; SELECT v FROM t WHERE k = 1;' })
  assert.ok(r.ok, JSON.stringify(r))
  if (r.ok) assert.equal(r.results[1]?.rows, [[11]])
})

test('a script failing at a later statement: the reply carries the results of the statements before it, which stay committed', async () => {
  const c = client as WsClient
  const r = await c.request({ op: 'sql', sql: [
    'INSERT INTO t VALUES (500, 1);',
    'SELECT v FROM t WHERE k = 500;',
    'BEGIN; UPDATE t SET v = 2 WHERE k = 500; COMMIT;',
    'CALL t.abort(1);',
    'INSERT INTO t VALUES (501, 1);',
  ].join('\n') })
  assert.ok(!r.ok, JSON.stringify(r))
  if (r.ok) return
  assert.is(r.error.code, 'TXN_ABORTED')
  assert.is(r.error.statement, 5)
  assert.is(r.error.line, 4)
  // INSERT, SELECT, BEGIN, UPDATE, COMMIT: one R each, as an ok reply would have them.
  assert.is(r.results?.length, 5, JSON.stringify(r.results))
  assert.is(r.results?.[0]?.rowsAffected, 1)
  assert.equal(r.results?.[1]?.rows, [[1]])
  assert.is(r.results?.[3]?.rowsAffected, 1)
  const after = await c.request({ op: 'sql', sql: 'SELECT k, v FROM t WHERE k >= 500 ORDER BY k;' })
  assert.ok(after.ok, JSON.stringify(after))
  if (after.ok) assert.equal(after.results[0]?.rows, [[500, 2]], 'what ran before the failure committed; nothing after it ran')

  // Nothing completed (the first statement failed, or the script did not parse): no `results` at all.
  const first = await c.request({ op: 'sql', sql: 'CALL t.abort(1); SELECT 1;' })
  assert.ok(!first.ok && first.results === undefined, JSON.stringify(first))
  const unparsed = await c.request({ op: 'sql', sql: 'SELECT 1; SELEC 2;' })
  assert.ok(!unparsed.ok && unparsed.error.code === 'SYNTAX_ERROR' && unparsed.results === undefined, JSON.stringify(unparsed))
})

test.run()
