// \copy against a real server, through the console's command line: a table's rows out to a file and
// back into another table whole (text and CSV, NULLs, empty texts, quotes, line breaks, BLOBs, big
// integers, more rows than one INSERT takes), a query's rows to stdout, and a bad line that stops the
// copy naming the file, the line and the column while the rows before it stay copied.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { type Run, runConsole } from './support.js'

let server: ServerProcess | null = null
const tmp = tempDir('acheron-console-copy-')
test.before(async () => {
  server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
})
test.after(async () => {
  await server?.kill()
  tmp.cleanup()
})

const run = (args: string[]): Promise<Run & { why: string }> => runConsole((server as ServerProcess).url, args, { cwd: tmp.dir })

async function rows(sql: string): Promise<unknown[][]> {
  const r = await run(['--json', '-e', sql])
  assert.is(r.code, 0, r.why)
  return (JSON.parse(r.stdout) as { rows: unknown[][] }).rows
}

test('a table copied out and back in, in text and in CSV, is the same table', async () => {
  const values = Array.from({ length: 2345 }, (_, i) => {
    const s = i % 5 === 0 ? 'NULL' : i % 5 === 1 ? "''" : i % 5 === 2 ? `'a,"b"${'\\'}\tc'` : i % 5 === 3 ? `'line
two'` : `'plain ${i}'`
    return `(${i === 7 ? '9007199254740993' : i}, ${s}, ${i % 3 === 0 ? 'NULL' : `X'${(i % 256).toString(16).padStart(2, '0')}ff'`}, ${i % 4 === 0 ? 'NULL' : i / 4})`
  })
  const made = await run(['-e', 'CREATE TABLE src (id INTEGER PRIMARY KEY, s TEXT, b BLOB, r REAL);', '-e', `INSERT INTO src VALUES ${values.join(', ')};`,
    '-e', 'CREATE TABLE viatext (id INTEGER PRIMARY KEY, s TEXT, b BLOB, r REAL);', '-e', 'CREATE TABLE viacsv (id INTEGER PRIMARY KEY, s TEXT, b BLOB, r REAL);'])
  assert.is(made.code, 0, made.why)
  const copied = await run(['-e', "\\copy src to 'src.txt'", '-e', "\\copy viatext from 'src.txt'",
    '-e', "\\copy src to 'src.csv' with (format csv, header)", '-e', "\\copy viacsv (id, s, b, r) from 'src.csv' csv header"])
  assert.is(copied.code, 0, copied.why)
  assert.is(copied.stdout, 'COPY 2345\nCOPY 2345\nCOPY 2345\nCOPY 2345\n', copied.why)
  assert.is(readFileSync(join(tmp.dir, 'src.csv'), 'utf8').split('\n')[0], 'id,s,b,r')
  const want = await rows("SELECT id, s, hex(b), r, typeof(r) FROM src ORDER BY id;")
  assert.equal(await rows("SELECT id, s, hex(b), r, typeof(r) FROM viatext ORDER BY id;"), want)
  assert.equal(await rows("SELECT id, s, hex(b), r, typeof(r) FROM viacsv ORDER BY id;"), want)
  assert.ok(want.some((r) => r[1] === '') && want.some((r) => r[1] === null) && want.some((r) => String(r[1]).includes('\n')), 'the values cover empty, NULL and line breaks')
})

test('a query to stdout; a bad line anywhere stops the copy before it starts, naming file, line and column', async () => {
  const out = await run(['-e', 'CREATE TABLE q (k INTEGER PRIMARY KEY, v TEXT);', '-e', "INSERT INTO q VALUES (1, 'a'), (2, NULL);", '-e', "\\copy (SELECT k, v FROM q ORDER BY k DESC) to stdout csv"])
  assert.is(out.code, 0, out.why)
  assert.match(out.stdout, /\n2,\n1,a\nCOPY 2\n$/, out.why)
  writeFileSync(join(tmp.dir, 'bad.csv'), Array.from({ length: 1500 }, (_, i) => (i === 1203 ? `${i + 10},x,extra` : `${i + 10},v${i}`)).join('\n') + '\n')
  const bad = await run(['-e', "\\copy q from 'bad.csv' csv"])
  assert.is(bad.code, 1, bad.why)
  assert.match(bad.stderr, /\\copy: bad\.csv:1204: 3 fields where 2 columns are copied; nothing was copied/, bad.why)
  assert.equal(await rows('SELECT COUNT(*) FROM q;'), [[2]])
  const typed = await run(['-e', "\\copy q (v, k) from 'bad.csv' csv"])
  assert.is(typed.code, 1, typed.why)
  assert.match(typed.stderr, /bad\.csv:1: column k: "v0" is no INTEGER; nothing was copied/, typed.why)
  const missing = await run(['-e', "\\copy q from 'nope.csv' csv"])
  assert.match(missing.stderr, /\\copy: cannot read .*nope\.csv: no such file/, missing.why)
})

test('a REAL column is written as the console shows it: whole numbers 1.0, -0.0 with its sign, in text and CSV', async () => {
  const out = await run(['-e', 'CREATE TABLE reals (k INTEGER PRIMARY KEY, r REAL, i INTEGER);', '-e', 'INSERT INTO reals VALUES (1, 1.0, 1), (2, 2.5, 2), (3, 1e20, 3);',
    '-e', '\\copy reals to stdout', '-e', '\\copy (SELECT -0.0 AS z, 3.0 AS t, 3 AS i) to stdout csv header'])
  assert.is(out.code, 0, out.why)
  assert.match(out.stdout, /\n1\t1\.0\t1\n2\t2\.5\t2\n3\t1\.0e\+20\t3\nCOPY 3\nz,t,i\n-0\.0,3\.0,3\nCOPY 1\n$/, out.why)
  // Read back in, the text is the same number.
  writeFileSync(join(tmp.dir, 'reals.txt'), '4\t-0.0\t4\n5\t1.0e+20\t5\n')
  const back = await run(['-e', "\\copy reals from 'reals.txt'"])
  assert.is(back.code, 0, back.why)
  assert.equal(await rows('SELECT r FROM reals WHERE k >= 4 ORDER BY k;'), [[0], [1e20]])
})

test('a BOOLEAN column copied out comes back in, as does a file that says t and f', async () => {
  const made = await run(['-e', 'CREATE TABLE flags (id INTEGER PRIMARY KEY, on_ BOOLEAN);', '-e', 'INSERT INTO flags VALUES (1, TRUE), (2, FALSE), (3, NULL);',
    '-e', 'CREATE TABLE flags2 (id INTEGER PRIMARY KEY, on_ BOOLEAN);'])
  assert.is(made.code, 0, made.why)
  writeFileSync(join(tmp.dir, 'flags.txt'), '4\tt\n5\tf\n')
  const copied = await run(['-e', "\\copy flags to 'flags.csv' csv", '-e', "\\copy flags2 from 'flags.csv' csv", '-e', "\\copy flags2 from 'flags.txt'"])
  assert.is(copied.code, 0, copied.why)
  assert.equal(await rows('SELECT id, on_ FROM flags2 ORDER BY id;'), [[1, 1], [2, 0], [3, null], [4, 1], [5, 0]])
})

test('\\copy inside a held BEGIN block is refused: its rows would commit on their own, and ROLLBACK would not undo them', async () => {
  const made = await run(['-e', 'CREATE TABLE held (id INTEGER PRIMARY KEY, v TEXT);'])
  assert.is(made.code, 0, made.why)
  writeFileSync(join(tmp.dir, 'held.txt'), '1\ta\n')
  const r = await run(['-e', 'BEGIN;', '-e', "INSERT INTO held VALUES (2, 'b');", '-e', "\\copy held from 'held.txt'", '-e', 'ROLLBACK;'])
  assert.is(r.code, 1, r.why)
  assert.match(r.stderr, /-e #3:1: \\copy: not inside a BEGIN block: .*ROLLBACK would not undo them/, r.why)
  assert.equal(await rows('SELECT COUNT(*) FROM held;'), [[0]])
})

test('a value the server refuses (a duplicate key, a NOT NULL) stops the copy naming its line and column', async () => {
  const made = await run(['-e', 'CREATE TABLE refused (id INTEGER PRIMARY KEY, v TEXT NOT NULL);'])
  assert.is(made.code, 0, made.why)
  writeFileSync(join(tmp.dir, 'refused.txt'), '1\ta\n2\tb\n1\tc\n')
  const dup = await run(['-e', "\\copy refused from 'refused.txt'"])
  assert.is(dup.code, 1, dup.why)
  assert.match(dup.stderr, /\\copy: refused\.txt:3: column id: DUPLICATE_KEY: duplicate key 1 in refused; nothing was copied/, dup.why)
  writeFileSync(join(tmp.dir, 'refused-null.txt'), '7\tg\n8\t\\N\n')
  const nul = await run(['-e', "\\copy refused from 'refused-null.txt'"])
  assert.is(nul.code, 1, nul.why)
  assert.match(nul.stderr, /\\copy: refused-null\.txt:2: column v: CONSTRAINT: NOT NULL constraint failed/, nul.why)
})

test('rows of large values go in fewer rows per INSERT: 1,000 rows of 17,000 characters pass no frame limit', async () => {
  const made = await run(['-e', 'CREATE TABLE wide (id INTEGER PRIMARY KEY, t TEXT);'])
  assert.is(made.code, 0, made.why)
  writeFileSync(join(tmp.dir, 'wide.txt'), Array.from({ length: 1000 }, (_, i) => `${i}\t${'x'.repeat(17_000)}\n`).join(''))
  const r = await run(['-e', "\\copy wide from 'wide.txt'"])
  assert.is(r.code, 0, r.why)
  assert.is(r.stdout, 'COPY 1000\n', r.why)
  assert.equal(await rows('SELECT COUNT(*), SUM(LENGTH(t)) FROM wide;'), [[1000, 17_000_000]])
})

test('with --json, \\copy … to stdout is refused (stdout holds JSON lines only); to a file it works', async () => {
  const refused = await run(['--json', '-e', 'CREATE TABLE j (k INTEGER PRIMARY KEY);', '-e', "\\copy j to stdout csv"])
  assert.is(refused.code, 1, refused.why)
  assert.match(refused.stderr, /\\copy: with --json, stdout holds JSON lines only: copy to a file/, refused.why)
  for (const line of refused.stdout.trim().split('\n')) JSON.parse(line)
  const toFile = await run(['--json', '-e', "\\copy j to 'j.csv' csv"])
  assert.is(toFile.code, 0, toFile.why)
  assert.match(toFile.stderr, /^COPY 0\n$/, toFile.why)
})

test.run()
