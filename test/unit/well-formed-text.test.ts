// The rule for TEXT (docs/sql.md, "Text is well-formed Unicode"): a string value must be well-formed UTF-16.
// A lone surrogate is refused before it enters the engine, at every client boundary of this process — the
// embedded SDK's call/insert/get/createTable defaults, SQL parameters and SQL literals — with TYPE_MISMATCH
// (SYNTAX_ERROR in SQL text) naming what and where. Text a guest writes is decoded with replacement, so it
// is well formed too, and reads back the same in the next batch and after a restart.
// The wire and the remote SDK are in test/server/well-formed-text.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { checkWellFormedText, loneSurrogateIndex } from '../../src/values.js'
import { SURROGATE_DECODED, textGuest } from '../support/text-guest.js'
import { tempDir } from '../support/tmp.js'

/** Not well formed, with the code unit and index each one is reported at. */
const MALFORMED: readonly (readonly [string, string, number])[] = [
  ['\ud800', 'D800', 0], // a lone high surrogate
  ['\udc00', 'DC00', 0], // a lone low surrogate
  ['\udc00\ud800', 'DC00', 0], // a pair in the wrong order
  ['ok \ud83d', 'D83D', 3], // half of an emoji at the end
  ['😀\ude00x', 'DE00', 2], // a low half after a complete pair
]

const message = (what: string, unit: string, index: number) =>
  `${what}: text is not well-formed Unicode (lone surrogate U+${unit} at index ${index})`

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  const e = await p.then(() => null, (err: unknown) => err)
  assert.instance(e, AcheronError, 'expected an AcheronError')
  return e as AcheronError
}

/** Fails unless `p` rejects with `code` and exactly `text`, before the engine ran anything (no commit). */
async function refused(p: Promise<unknown>, code: AcheronError['code'], text: string): Promise<AcheronError> {
  const e = await failure(p)
  assert.is(e.code, code, e.message)
  assert.is(e.message, text)
  assert.is(e.commit, undefined, 'refused before the engine: no commit position')
  return e
}

async function openKv(options: OpenOptions): Promise<EmbeddedDatabase> {
  const db = await open({ partitions: 4, ...options })
  await db.sql('CREATE TABLE kv (id TEXT PRIMARY KEY, v TEXT) PARTITIONS 4;')
  const guest = textGuest('kv')
  for (const f of ['put', 'write', 'nested']) await db.createFunction(`kv.${f}`, guest, { export: f })
  return db
}

test('loneSurrogateIndex and checkWellFormedText', () => {
  for (const s of ['', 'abc', 'é', '😀', 'a😀b😀', '\uffff', '\ud7ff\ue000']) assert.is(loneSurrogateIndex(s), -1, JSON.stringify(s))
  for (const [s, , at] of MALFORMED) assert.is(loneSurrogateIndex(s), at, JSON.stringify(s))
  // Within a range, a pair cut by either end is lone.
  assert.is(loneSurrogateIndex('a😀', 0, 2), 1)
  assert.is(loneSurrogateIndex('a😀', 2, 3), 2)
  assert.is(loneSurrogateIndex('a😀b', 1, 4), -1)
  assert.throws(() => checkWellFormedText('hello\ud800', 'argument 2'), (e: unknown) =>
    e instanceof AcheronError && e.code === 'TYPE_MISMATCH' && e.message === message('argument 2', 'D800', 5))
  for (const v of [null, 1n, 1.5, new Uint8Array([0xed, 0xa0, 0x80]), '😀']) checkWellFormedText(v, 'x')
})

test('embedded SDK: call, insert, get and createTable defaults refuse a lone surrogate, naming what and where', async () => {
  const db = await openKv({ memory: true })
  try {
    await db.insert('kv', [['k', 'v']])
    const before = await db.digest()
    for (const [bad, unit, at] of MALFORMED) {
      await refused(db.call('kv.put', bad, 'x'), 'TYPE_MISMATCH', message('key', unit, at))
      await refused(db.call('kv.put', 'k', bad), 'TYPE_MISMATCH', message('argument 1', unit, at))
      await refused(db.call('kv.put', 'k', 'x', bad), 'TYPE_MISMATCH', message('argument 2', unit, at))
      await refused(db.insert('kv', [[bad, 'v']]), 'TYPE_MISMATCH', message('column 1', unit, at))
      await refused(db.insert('kv', [['n', bad]], { columns: ['id', 'v'] }), 'TYPE_MISMATCH', message('column 2', unit, at))
      await refused(db.get('kv', bad), 'TYPE_MISMATCH', message('key', unit, at))
      await refused(db.createTable({ name: 'd', columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'w', type: 'TEXT', default: bad }] }),
        'TYPE_MISMATCH', message('default of w', unit, at))
    }
    assert.is(await db.digest(), before, 'nothing of the refused requests reached the state')
    assert.equal((await db.query('SHOW TABLES')).rows.map((r) => r[0]), ['kv'])
  } finally {
    await db.close()
  }
})

test('embedded SDK: well-formed text outside the BMP is accepted and round-trips', async () => {
  const db = await openKv({ memory: true })
  try {
    assert.is((await db.call('kv.put', '😀', 'a😀b')).value, 'a😀b')
    await db.insert('kv', [['𝄞', '\u{10ffff}']])
    assert.equal((await db.get('kv', '😀')).row, { id: '😀', v: 'a😀b' })
    assert.equal((await db.get('kv', '𝄞')).row, { id: '𝄞', v: '\u{10ffff}' })
    assert.equal((await db.query('SELECT id, v FROM kv WHERE id = ?', ['😀'])).rows, [['😀', 'a😀b']])
    assert.equal((await db.query("SELECT v FROM kv WHERE id = '𝄞'")).rows, [['\u{10ffff}']])
  } finally {
    await db.close()
  }
})

test('SQL parameters: TYPE_MISMATCH naming the parameter, before anything runs', async () => {
  const db = await openKv({ memory: true })
  try {
    for (const [bad, unit, at] of MALFORMED) {
      await refused(db.sql('INSERT INTO kv VALUES (?, ?)', ['k', bad]), 'TYPE_MISMATCH', message('parameter 2', unit, at))
      await refused(db.query('SELECT v FROM kv WHERE id = ?', [bad]), 'TYPE_MISMATCH', message('parameter 1', unit, at))
      await refused(db.sql("INSERT INTO kv VALUES ('a', 'b'); UPDATE kv SET v = ? WHERE id = 'a'", [bad]), 'TYPE_MISMATCH', message('parameter 1', unit, at))
      await refused(db.sql('CALL kv.put(?, ?)', [bad, 'x']), 'TYPE_MISMATCH', message('parameter 1', unit, at))
    }
    // The script is refused whole: the INSERT before the bad parameter's statement did not run either.
    assert.equal((await db.query('SELECT COUNT(*) FROM kv')).rows, [[0]])
  } finally {
    await db.close()
  }
})

test('SQL literals: SYNTAX_ERROR at the line and column of the lone surrogate', async () => {
  const db = await openKv({ memory: true })
  try {
    const e = await failure(db.sql("INSERT INTO kv VALUES ('a', 'b');\nINSERT INTO kv VALUES ('x\ud800', 'y');"))
    assert.equal({ code: e.code, line: e.line, column: e.column, statement: e.statement, commit: e.commit },
      { code: 'SYNTAX_ERROR', line: 2, column: 26, statement: 1, commit: undefined })
    assert.is(e.message, 'string literal: text is not well-formed Unicode (lone surrogate U+D800 at line 2, column 26)')
    const q = await failure(db.query("SELECT v FROM kv WHERE id = '\udc00\ud800'"))
    assert.equal([q.code, q.line, q.column], ['SYNTAX_ERROR', 1, 30])
    const c = await failure(db.sql("CALL kv.put('k', 'a\ud83d''\ude00');"))
    assert.equal([c.code, c.line, c.column], ['SYNTAX_ERROR', 1, 20])
    assert.equal((await db.query('SELECT COUNT(*) FROM kv')).rows, [[0]], 'a script that does not lex runs nothing')
  } finally {
    await db.close()
  }
})

/** Guest text through the real engine: what it returns, and every row, each well formed. */
async function guestWrites(db: EmbeddedDatabase): Promise<{ returned: unknown[]; rows: unknown[][] }> {
  const returned = [
    (await db.call('kv.write', 'a')).value,
    (await db.call('kv.nested', 'b')).value,
    (await db.call('kv.put', 'c', new Uint8Array([0x61, 0xed, 0xa0, 0x80, 0xff]))).value,
  ]
  const rows = (await db.query('SELECT id, v FROM kv ORDER BY id')).rows
  return { returned, rows }
}

test('ABI: a guest writing ED A0 80 or invalid UTF-8 stores U+FFFD; the next batch, another store and a restart read the same', async () => {
  const memory = await openKv({ memory: true })
  const inMemory = await guestWrites(memory).finally(() => memory.close())
  const tmp = tempDir()
  try {
    let sqlite = await openKv({ dir: tmp.dir, workers: 2 })
    let onDisk: Awaited<ReturnType<typeof guestWrites>>
    let digest: string
    let afterRestart: unknown[][]
    try {
      onDisk = await guestWrites(sqlite)
      assert.equal((await sqlite.get('kv', 'a')).row, { id: 'a', v: SURROGATE_DECODED }, 'the next batch reads what the guest read back')
      assert.equal((await sqlite.get('kv', SURROGATE_DECODED)).row, { id: SURROGATE_DECODED, v: SURROGATE_DECODED })
      digest = await sqlite.digest()
    } finally {
      await sqlite.close()
    }
    sqlite = await open({ dir: tmp.dir, workers: 2 })
    try {
      afterRestart = (await sqlite.query('SELECT id, v FROM kv ORDER BY id')).rows
      assert.is(await sqlite.digest(), digest, 'the same state after a restart')
    } finally {
      await sqlite.close()
    }
    const expected = [['a', SURROGATE_DECODED], ['c', 'a\ufffd\ufffd\ufffd\ufffd'], [SURROGATE_DECODED, SURROGATE_DECODED]]
    assert.equal(inMemory.returned, [SURROGATE_DECODED, SURROGATE_DECODED, 'a\ufffd\ufffd\ufffd\ufffd'])
    assert.equal(inMemory.rows, expected)
    assert.equal(onDisk, inMemory, 'memory and SQLite stores agree')
    assert.equal(afterRestart, expected)
  } finally {
    tmp.cleanup()
  }
})

test.run()
