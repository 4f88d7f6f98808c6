/**
 * What `*_type`, `*_int`, `*_real` and `*_len` give for a value of each type: docs/functions.md ("Reading a
 * value of another type") has a table of examples, and this suite runs every row of it through the engine
 * (open(), not the fake one), as a CALL argument read with `arg_*` and as a column read with `get_*`, so
 * the documentation cannot drift from src/wasm-exec/abi.ts.
 */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { abiModule } from './wat.js'

const DOC = new URL('../../../docs/functions.md', import.meta.url)
const EXAMPLES_HEADER = '| value | `*_type` | `*_int` | `*_real` | `*_len` |'

interface Example { sql: string; type: number; int: bigint; real: number; len: number }

/** The rows of the examples table: a SQL literal and what each reader gives for it. */
function examples(): Example[] {
  const lines = readFileSync(DOC, 'utf8').split('\n')
  const at = lines.indexOf(EXAMPLES_HEADER)
  assert.ok(at >= 0, `docs/functions.md has the table headed ${EXAMPLES_HEADER}`)
  const rows: Example[] = []
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break
    const cells = line.split('|').slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, ''))
    const [sql, type, int, real, len] = cells
    if (sql === undefined || type === undefined || int === undefined || real === undefined || len === undefined) throw new Error(`a row of 5 cells: ${line}`)
    rows.push({ sql, type: Number(type), int: BigInt(int), real: Number(real), len: Number(len) })
  }
  assert.ok(rows.length >= 10, `${rows.length} examples`)
  return rows
}

/** Reads argument 0 (`arg_*`), or the column named by argument 0 (`get_*`), and returns what the reader gave. */
const PROBE = abiModule(`
  (func $column (result i32)
    (call $arg_read (i32.const 0) (i32.const 0))
    (call $col (i32.const 0) (call $arg_len (i32.const 0))))
  (func (export "arg_type") (call $ret_int (i64.extend_i32_s (call $arg_type (i32.const 0)))))
  (func (export "arg_int") (call $ret_int (call $arg_int (i32.const 0))))
  (func (export "arg_real") (call $ret_real (call $arg_real (i32.const 0))))
  (func (export "arg_len") (call $ret_int (i64.extend_i32_s (call $arg_len (i32.const 0)))))
  (func (export "get_type") (call $ret_int (i64.extend_i32_s (call $get_type (call $column)))))
  (func (export "get_int") (call $ret_int (call $get_int (call $column))))
  (func (export "get_real") (call $ret_real (call $get_real (call $column))))
  (func (export "get_len") (call $ret_int (i64.extend_i32_s (call $get_len (call $column)))))`)

/** The column of `probe` that holds a value of type tag `type` (NULL goes in any). */
const COLUMN_OF_TYPE = ['i', 'i', 'r', 't', 'b']

async function one(db: EmbeddedDatabase, script: string): Promise<unknown> {
  const [r] = await db.sql(script)
  return r?.rows?.[0]?.[0]
}

test('docs/functions.md: every example of the ABI conversions is what arg_* and get_* give', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE probe (id TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB);')
    for (const reader of ['arg', 'get']) {
      for (const what of ['type', 'int', 'real', 'len']) await db.createFunction(`probe.${reader}_${what}`, PROBE, { export: `${reader}_${what}` })
    }
    for (const [n, e] of examples().entries()) {
      const column = COLUMN_OF_TYPE[e.type]
      assert.ok(column !== undefined, `type ${e.type} of ${e.sql}`)
      await db.sql(`INSERT INTO probe (id, ${column}) VALUES ('row${n}', ${e.sql});`)
      for (const reader of ['arg', 'get']) {
        const call = async (what: string): Promise<unknown> => reader === 'arg'
          ? one(db, `CALL probe.arg_${what}('k', ${e.sql});`)
          : one(db, `CALL probe.get_${what}('row${n}', '${column}');`)
        const where = `${reader}_* of ${e.sql}`
        assert.is(Number(await call('type')), e.type, `${where}: type`)
        assert.is(BigInt(await call('int') as number | bigint), e.int, `${where}: int`)
        assert.ok(Object.is(await call('real'), e.real), `${where}: real is ${String(await call('real'))}, the docs say ${e.real}`)
        assert.is(Number(await call('len')), e.len, `${where}: len`)
      }
    }
    // A column of an absent row reads as NULL.
    assert.equal([await one(db, "CALL probe.get_type('absent', 'i');"), await one(db, "CALL probe.get_int('absent', 'i');")], [0, 0])
  } finally {
    await db.close()
  }
})

test.run()
