// `acheron console URL -e SQL ... -f FILE --json` against a real `acheron serve` child (CONTRACT.md §1):
// statements run in order, exit 0, or exit 1 at the first failed statement with nothing after it sent
// (checked by reading the table afterwards); BEGIN … COMMIT sent as one transaction; FROM WASM FILE read by
// the console; --json's wire objects; connection and token failures.
import { execFile } from 'node:child_process'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort, startServer, tempDir, type ServerProcess } from '../support/server-process.js'
import { abiModule } from '../wasm-exec/wat.js'
import { BANK_WASM, describeRun, MAIN, runCli, shellQuote, type Run } from './support.js'

let main: Promise<ServerProcess> | null = null
const server = (): Promise<ServerProcess> => (main ??= startServer({ args: ['--partitions', '2', '--workers', '1'] }))
test.after(async () => {
  const s = main === null ? null : await main.catch(() => null)
  if (s !== null) await s.kill()
})

async function consoleRun(args: string[], options: Parameters<typeof runCli>[1] = {}): Promise<Run & { args: string[] }> {
  const full = ['console', (await server()).url, ...args]
  return { ...(await runCli(full, options)), args: full }
}

const why = (r: Run & { args: string[] }): string => describeRun(r.args, r)

function expectExit(r: Run & { args: string[] }, code: number): void {
  assert.is(r.code, code, `expected exit ${code}${describeRun(r.args, r)}`)
}

/** The rows of `SELECT ...` through the console's --json output. */
async function rows(sql: string): Promise<unknown[][]> {
  const r = await consoleRun(['--json', '-e', sql])
  expectExit(r, 0)
  return (JSON.parse(r.stdout.trim()) as { rows: unknown[][] }).rows
}

test('-e statements run in order: aligned tables, footers with rows affected and commit positions, exit 0', async () => {
  const r = await consoleRun([
    '-e', 'CREATE TABLE s1 (id TEXT PRIMARY KEY, n INTEGER, note TEXT);',
    '-e', "INSERT INTO s1 VALUES ('a', 1, 'semi;colon'), ('bb', 22, NULL); SELECT id, n, note FROM s1 ORDER BY id;",
  ])
  expectExit(r, 0)
  assert.is(r.stderr, '')
  const lines = r.stdout.split('\n')
  assert.match(lines[0] as string, /^CREATE TABLE {2}commit \{batch: \d+, seq: \d+\}$/)
  assert.match(lines[1] as string, /^INSERT: 2 rows affected {2}commit \{batch: \d+, seq: \d+\}$/)
  assert.equal(lines.slice(2, 6), [
    ' id | n  |    note',
    '----+----+------------',
    ' a  |  1 | semi;colon',
    ' bb | 22 | NULL',
  ])
  assert.match(lines[6] as string, /^\(2 rows\) {2}commit \{batch: \d+, seq: \d+\}$/)
})

test('an IF [NOT] EXISTS that skipped says so on stderr as psql\'s NOTICE, and in --json\'s object', async () => {
  const r = await consoleRun(['-e', 'CREATE TABLE notice1 (k INTEGER PRIMARY KEY); CREATE TABLE IF NOT EXISTS notice1 (k INTEGER PRIMARY KEY); DROP TABLE IF EXISTS notice_none;'])
  expectExit(r, 0)
  assert.is(r.stderr, 'NOTICE: table notice1 already exists, skipping\nNOTICE: table notice_none does not exist, skipping\n', why(r))
  assert.equal(r.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/ {2}commit .*$/, '')), ['CREATE TABLE', 'CREATE TABLE', 'DROP TABLE'], why(r))
  const json = await consoleRun(['--json', '-e', 'CREATE TABLE IF NOT EXISTS notice1 (k INTEGER PRIMARY KEY);'])
  expectExit(json, 0)
  assert.is((JSON.parse(json.stdout.trim()) as { notice?: string }).notice, 'table notice1 already exists, skipping', why(json))
  assert.is(json.stderr, '', 'with --json the notice is in the object only')
})

test('exit 1 at the first failed statement, the error on stderr; the statements after it are not sent', async () => {
  const r = await consoleRun([
    '-e', 'CREATE TABLE s2 (k INTEGER PRIMARY KEY);',
    '-e', 'INSERT INTO s2 VALUES (1); INSERT INTO s2 VALUES (1);',
    '-e', 'INSERT INTO s2 VALUES (2);',
  ])
  expectExit(r, 1)
  assert.match(r.stderr, /^ERROR DUPLICATE_KEY: .+\n/, why(r))
  assert.match(r.stderr, /rolled back: the transaction ran at commit \{batch: \d+, seq: \d+\}/, why(r))
  assert.is(r.stdout.match(/INSERT: 1 row affected/g)?.length, 1, r.stdout)
  assert.equal(await rows('SELECT k FROM s2 ORDER BY k'), [[1]])
})

test('-f FILE: multi-line statements, ; in strings and comments; a SYNTAX_ERROR shows file:line and a caret', async () => {
  const { dir, cleanup } = tempDir('acheron-console-')
  try {
    const file = join(dir, 'setup.sql')
    writeFileSync(file, [
      '-- a setup script; this ; is in a comment',
      'CREATE TABLE s3 (',
      '  k INTEGER PRIMARY KEY,',
      '  t TEXT',
      ');',
      "INSERT INTO s3 VALUES (1, 'one;'), /* ; */ (2, 'it''s');",
      'SELECT COUNT(*) AS n',
      '  FROM s3 WHER k = 1;',
      'INSERT INTO s3 VALUES (3, \'never\');',
      '',
    ].join('\n'))
    const r = await consoleRun(['-f', file])
    expectExit(r, 1)
    assert.match(r.stdout, /CREATE TABLE/, why(r))
    assert.match(r.stdout, /INSERT: 2 rows affected/, why(r))
    const err = r.stderr.split('\n')
    assert.match(err[0] as string, /^ERROR SYNTAX_ERROR: /)
    assert.is(err[1], `${file}:8:   FROM s3 WHER k = 1;`)
    assert.is(err[2], `${' '.repeat(`${file}:8:   FROM s3 WHER `.length)}^`)
    assert.equal(await rows('SELECT k, t FROM s3 ORDER BY k'), [[1, 'one;'], [2, "it's"]])
  } finally {
    cleanup()
  }
})

test('--json: one wire result object per statement on stdout ($int, $blob); an error is one JSON object on stderr', async () => {
  const r = await consoleRun(['--json',
    '-e', 'CREATE TABLE s4 (k INTEGER PRIMARY KEY, b BLOB);',
    '-e', "INSERT INTO s4 VALUES (9007199254740993, X'00ff'); SELECT k, b FROM s4;",
    '-e', 'SELECT nope FROM s4;',
    '-e', 'DROP TABLE s4;',
  ])
  expectExit(r, 1)
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.is(out.length, 3)
  // `types` (docs/protocol.md) only on a result with columns.
  for (const o of out) assert.equal(Object.keys(o).sort(), ['columns', 'commit', 'rows', 'rowsAffected', ...((o.columns as unknown[]).length > 0 ? ['types'] : [])])
  assert.equal(out[2]?.types, ['INTEGER', 'BLOB'])
  assert.is(out[1]?.rowsAffected, 1)
  assert.equal(out[2]?.columns, ['k', 'b'])
  assert.equal(out[2]?.rows, [[{ $int: '9007199254740993' }, { $blob: 'AP8=' }]])
  const error = JSON.parse(r.stderr.trim()) as Record<string, unknown>
  assert.is(error.code, 'UNKNOWN_COLUMN')
  assert.is(error.statement, 3)
  assert.is(error.line, 1)
  assert.is(error.column, 8)
  assert.is(error.source, '-e #3')
  assert.ok((await rows('SHOW TABLES')).some((t) => t[0] === 's4'), 'DROP TABLE after the failure was not run')
})

test('BEGIN; ...; COMMIT; is sent as one transaction: a failure inside leaves none of it', async () => {
  const ok = await consoleRun(['-e', 'CREATE TABLE s5 (k INTEGER PRIMARY KEY); BEGIN; INSERT INTO s5 VALUES (1); INSERT INTO s5 VALUES (2); COMMIT;'])
  expectExit(ok, 0)
  const commits = [...ok.stdout.matchAll(/^(BEGIN|INSERT: 1 row affected|COMMIT) {2}(commit \{.*\})$/gm)].map((m) => m[2])
  assert.is(commits.length, 4, ok.stdout)
  assert.is(new Set(commits).size, 1, `one transaction, one commit position: ${ok.stdout}`)
  const bad = await consoleRun(['-e', 'BEGIN;', '-e', 'INSERT INTO s5 VALUES (3);', '-e', 'INSERT INTO s5 VALUES (1);', '-e', 'COMMIT;'])
  expectExit(bad, 1)
  assert.match(bad.stderr, /^ERROR DUPLICATE_KEY/, why(bad))
  assert.match(bad.stderr, /-e #3:1: INSERT INTO s5 VALUES \(1\);/, why(bad))
  assert.equal(await rows('SELECT k FROM s5 ORDER BY k'), [[1], [2]])
  // Each -e may leave out its last `;`, also inside a BEGIN block that spans several of them.
  const bare = await consoleRun(['-e', 'BEGIN', '-e', 'INSERT INTO s5 VALUES (7) -- seven', '-e', 'UPDATE s5 SET k = k WHERE k = 7', '-e', 'COMMIT'])
  expectExit(bare, 0)
  assert.is(bare.stderr, '', why(bare))
  assert.equal(await rows('SELECT k FROM s5 ORDER BY k'), [[1], [2], [7]])
})

test("a zone modifier read from a row: the caret points at the modifier given, not at the table (SELECT, UPDATE, BEGIN … COMMIT)", async () => {
  expectExit(await consoleRun(['-e', "CREATE TABLE zm (k INTEGER PRIMARY KEY, t TEXT, m TEXT); INSERT INTO zm VALUES (1, '2026-01-02', 'localtime');"]), 0)
  const caretUnder = (r: Run & { args: string[] }, label: string, line: string, under: string): void => {
    const err = r.stderr.split('\n')
    assert.match(err[0] as string, /^ERROR CONSTRAINT: date modifier 'localtime' refused: /, why(r))
    assert.is(err[1], `${label} ${line}`, why(r))
    assert.is(err[2], `${' '.repeat(`${label} `.length + line.indexOf(under))}^`, why(r))
  }
  const select = 'SELECT k, datetime(t, m) FROM zm;'
  const r1 = await consoleRun(['-e', select])
  expectExit(r1, 1)
  caretUnder(r1, 'LINE 1:', select, 'm)')
  // On the statement's second line, in an UPDATE (nothing written), and inside a held block.
  const r2 = await consoleRun(['-e', "UPDATE zm\n  SET t = date('2026-01-02', '+1 day', m) WHERE k = 1;"])
  expectExit(r2, 1)
  caretUnder(r2, 'LINE 2:', "  SET t = date('2026-01-02', '+1 day', m) WHERE k = 1;", 'm)')
  const r3 = await consoleRun(['-e', 'BEGIN;', '-e', 'INSERT INTO zm VALUES (2, NULL, NULL);', '-e', 'SELECT time(t, m) AS at FROM zm;', '-e', 'COMMIT;'])
  expectExit(r3, 1)
  caretUnder(r3, '-e #3:1:', 'SELECT time(t, m) AS at FROM zm;', 'm)')
  assert.equal(await rows('SELECT k, t FROM zm ORDER BY k'), [[1, '2026-01-02']])
})

test("CREATE FUNCTION ... FROM WASM FILE: read by the console (-e: from the current directory), then CALL", async () => {
  const r = await consoleRun([
    '-e', 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);',
    '-e', "CREATE FUNCTION account.deposit FROM WASM FILE 'dist/guest/bank.wasm';",
    '-e', "CALL account.deposit('alice', 40); CALL account.deposit('alice', 2);",
  ])
  expectExit(r, 0)
  assert.match(r.stdout, /CREATE FUNCTION {2}commit/, why(r))
  assert.match(r.stdout, / result\n--------\n +42\n\(1 row(, 1 affected)?\) {2}commit/, why(r))
  const create = "CREATE FUNCTION account.withdraw FROM WASM FILE 'no/such.wasm';"
  const missing = await consoleRun(['-e', create])
  expectExit(missing, 1)
  assert.equal(missing.stderr.split('\n').slice(1, 3), [`LINE 1: ${create}`, `${' '.repeat('LINE 1: '.length + create.indexOf('FILE'))}^`])
  assert.match(missing.stderr, /^ERROR INVALID_WASM: cannot read FROM WASM FILE 'no\/such.wasm': no such file or directory\n/, why(missing))
})

test('-f: FROM WASM FILE paths are relative to the script file, wherever the console runs', async () => {
  const { dir, cleanup } = tempDir('acheron-console-')
  try {
    copyFileSync(BANK_WASM, join(dir, 'bank.wasm'))
    writeFileSync(join(dir, 'bank.sql'), [
      'CREATE TABLE acct6 (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);',
      "CREATE FUNCTION acct6.deposit FROM WASM FILE 'bank.wasm';",
      "CREATE FUNCTION acct6.balance FROM WASM FILE 'bank.wasm';",
      "CALL acct6.deposit('bob', 7);",
      "CALL acct6.balance('bob');",
    ].join('\n'))
    const r = await consoleRun(['--json', '-f', join(dir, 'bank.sql')], { cwd: '/' })
    expectExit(r, 0)
    const last = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { rows: unknown[][] }
    assert.equal(last.rows, [[7]])
  } finally {
    cleanup()
  }
})

test('a /* comment left open is the server\'s SYNTAX_ERROR, through -e, -f and stdin: the statement before it is not run without it (it deleted every row)', async () => {
  expectExit(await consoleRun(['-e', 'CREATE TABLE s9 (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO s9 VALUES (1, 1), (2, 2), (3, 3);']), 0)
  const { dir, cleanup } = tempDir()
  try {
    const file = join(dir, 'open.sql')
    writeFileSync(file, 'DELETE FROM s9 /* WHERE id = 2;\n')
    const runs = [
      await consoleRun(['-e', 'DELETE FROM s9 /* WHERE id = 2']),
      await consoleRun(['-f', file]),
      await runCli(['console', (await server()).url], { stdin: 'DELETE FROM s9 /* WHERE id = 2;\n' }),
    ]
    for (const r of runs) {
      assert.is(r.code, 1, describeRun(['console'], r))
      assert.match(r.stderr, /SYNTAX_ERROR: unterminated \/\* comment/, describeRun(['console'], r))
      assert.not.match(r.stdout, /DELETE/, describeRun(['console'], r))
    }
  } finally {
    cleanup()
  }
  assert.equal(await rows('SELECT id FROM s9 ORDER BY id'), [[1], [2], [3]])
})

test('a /* comment left open after the last statement is the server\'s SYNTAX_ERROR at it, exit 1: the statements it swallowed were skipped, with exit 0', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const file = join(dir, 'open-after.sql')
    writeFileSync(file, 'SELECT 41;\n/* forgot to close\nSELECT 42;\n')
    for (const r of [await consoleRun(['-f', file]), await consoleRun(['-e', 'SELECT 41; /* SELECT 42;'])]) {
      assert.is(r.code, 1, why(r))
      assert.match(r.stdout, /\b41\b/, why(r))
      assert.not.match(r.stdout, /\b42\b/, why(r))
      assert.match(r.stderr, /SYNTAX_ERROR: unterminated \/\* comment\n(LINE 1|\S*open-after\.sql:2): /, why(r))
    }
  } finally {
    cleanup()
  }
})

test('statements piped on stdin (no -e/-f) run as a script', async () => {
  const r = await runCli(['console', (await server()).url], { stdin: 'CREATE TABLE s7 (k INTEGER PRIMARY KEY);\nINSERT INTO s7 VALUES (5);\nSELECT k FROM s7;\n' })
  assert.is(r.code, 0, describeRun(['console'], r))
  assert.match(r.stdout, / k\n---\n 5\n\(1 row\)/, describeRun(['console'], r))
})

test('no server: a message in words, naming the URL, and exit 1; --json keeps the error object', async () => {
  const url = `ws://127.0.0.1:${await freePort()}`
  const r = await runCli(['console', url, '-e', 'SELECT 1;'])
  assert.is(r.code, 1, describeRun(['console', url], r))
  // Said as psql says it (it was "ERROR INTERNAL: cannot connect ... ECONNREFUSED").
  assert.is(r.stderr, `acheron console: cannot connect to ${url}: connection refused. Is "acheron serve" running there (and is the URL's port its port)?\n`)
  assert.is(r.stdout, '')
  // --json keeps the error object, for scripts.
  const json = await runCli(['console', url, '--json', '-e', 'SELECT 1;'])
  assert.is(json.code, 1)
  assert.is((JSON.parse(json.stderr) as { code: string }).code, 'INTERNAL')
})

test('--token: refused without it (UNAUTHORIZED, exit 1), accepted with it', async () => {
  const guarded = await startServer({ args: ['--token', 's3cret', '--workers', '0'] })
  try {
    const without = await runCli(['console', guarded.url, '-e', 'SHOW TABLES;'])
    assert.is(without.code, 1, describeRun(['console'], without))
    assert.match(without.stderr, /^ERROR UNAUTHORIZED: the server asks for a token: give --token T \(its --admin-token or --app-token\)/, describeRun(['console'], without))
    const wrong = await runCli(['console', guarded.url, '--token', 'nope', '-e', 'SHOW TABLES;'])
    assert.is(wrong.code, 1, describeRun(['console'], wrong))
    assert.match(wrong.stderr, /^ERROR UNAUTHORIZED: the server refused the token given with --token/, describeRun(['console'], wrong))
    // Longer than any server accepts: the SDK refused it unsent, so no server refused it (it said so).
    const long = await runCli(['console', guarded.url, '--token', 'a'.repeat(9000), '-e', 'SHOW TABLES;'])
    assert.is(long.code, 1, describeRun(['console'], long))
    assert.is(long.stderr, 'ERROR UNAUTHORIZED: the token given with --token cannot be used (the token is 9000 bytes, more than a server accepts (AUTH_TOKEN_BYTES_MAX, 8192 bytes of UTF-8): use a shorter token; nothing was sent)\n', describeRun(['console'], long))
    const json = await runCli(['console', guarded.url, '--json', '-e', 'SHOW TABLES;'])
    assert.is((JSON.parse(json.stderr) as { code: string }).code, 'UNAUTHORIZED')
    const withToken = await runCli(['console', guarded.url, '--token', 's3cret', '-e', 'SHOW TABLES;'])
    assert.is(withToken.code, 0, describeRun(['console'], withToken))
    assert.match(withToken.stdout, /\(0 rows\)/)
  } finally {
    await guarded.kill()
  }
})

test('ROLLBACK drops a BEGIN block unsent, and outside a block only says so (stderr); the script goes on, exit 0', async () => {
  const r = await consoleRun([
    '-e', 'CREATE TABLE rb (k INTEGER PRIMARY KEY);',
    '-e', 'BEGIN; INSERT INTO rb VALUES (1); ROLLBACK;',
    '-e', 'ROLLBACK; INSERT INTO rb VALUES (2);',
    '-e', 'BEGIN; ROLLBACK;',
  ])
  expectExit(r, 0)
  // It counts the statements written after the BEGIN (it counted the BEGIN too: "2 statements" here).
  assert.is(r.stderr, 'ROLLBACK: the BEGIN block (1 statement) was not sent; nothing of it ran\nROLLBACK: no transaction in progress (nothing was sent)\nROLLBACK: the empty BEGIN block was not sent; nothing of it ran\n', why(r))
  assert.equal(await rows('SELECT k FROM rb ORDER BY k;'), [[2]])
})

/** Runs `acheron console URL ARGS` in a shell with stdout into a real pipe (`| wc -lc`, as a user's `| wc -l`) or into a file. */
async function shellOutput(args: readonly string[], into: 'pipe' | 'file', dir: string): Promise<{ lines: number; bytes: number; status: string }> {
  const run = `${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote((await server()).url)} ${args.map(shellQuote).join(' ')}`
  const file = shellQuote(join(dir, 'out.txt'))
  const cmd = into === 'pipe' ? `${run} | wc -lc; echo "exit \${PIPESTATUS[0]}"` : `${run} > ${file}; s=$?; wc -lc < ${file}; echo "exit $s"`
  const out = await new Promise<string>((resolve, reject) => {
    execFile('bash', ['-c', cmd], { maxBuffer: 1 << 20, timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)))
  })
  const [counts, status] = out.trim().split('\n')
  const [lines, bytes] = (counts ?? '').trim().split(/\s+/).map(Number)
  return { lines: lines ?? NaN, bytes: bytes ?? NaN, status: status ?? '' }
}

test('a long result written into a pipe arrives whole before the console exits (it used to stop at 256 KiB, exit 0); `| head` ends it quietly', async () => {
  const rowsN = 30_000
  const { dir, cleanup } = tempDir('acheron-console-pipe-')
  const script = join(dir, 'load.sql')
  writeFileSync(script, `CREATE TABLE piped (k INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO piped VALUES ${Array.from({ length: rowsN }, (_, i) => `(${i}, 'value number ${i}')`).join(', ')};\n`)
  expectExit(await consoleRun(['-f', script]), 0)
  for (const args of [['-e', 'SELECT * FROM piped;'], ['--json', '-e', 'SELECT * FROM piped;']]) {
    const toFile = await shellOutput(args, 'file', dir)
    // A table: header, rule, one line a row, footer, blank line; --json: one line.
    assert.equal(toFile, { lines: args[0] === '--json' ? 1 : rowsN + 4, bytes: toFile.bytes, status: 'exit 0' })
    assert.ok(toFile.bytes > 512 << 10, `${toFile.bytes} bytes`)
    assert.equal(await shellOutput(args, 'pipe', dir), toFile, args.join(' '))
  }
  // A reader that stops early (`| head -1`) ends the console quietly: exit 0, no EPIPE stack on stderr.
  const run = `${shellQuote(process.execPath)} ${shellQuote(MAIN)} console ${shellQuote((await server()).url)} -e 'SELECT * FROM piped;'`
  const early = await new Promise<string>((resolve, reject) => {
    execFile('bash', ['-c', `${run} 2>${shellQuote(join(dir, 'err.txt'))} | head -1 >/dev/null; echo "exit \${PIPESTATUS[0]}"; cat ${shellQuote(join(dir, 'err.txt'))}`],
      { timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)))
  })
  assert.is(early.trim(), 'exit 0')
  cleanup()
})

test('150,000 rows, aligned and with \\x on, print whole (a spread of every width into Math.max overflowed the stack)', async () => {
  const n = 150_000
  const select = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) SELECT i, 'x' AS t FROM n;`
  const aligned = await consoleRun(['-e', select])
  expectExit(aligned, 0)
  assert.is(aligned.stderr, '', why(aligned))
  assert.match(aligned.stdout, new RegExp(`^ +i +\\| t\n-{8}\\+---\n +1 \\| x\n[\\s\\S]*\n ${n} \\| x\n\\(${n} rows\\) {2}commit`), why(aligned))
  const expanded = await consoleRun(['-e', '\\x on', '-e', select])
  expectExit(expanded, 0)
  assert.is(expanded.stderr, '', why(expanded))
  assert.match(expanded.stdout, new RegExp(`\n-\\[ RECORD ${n} \\]\ni \\| ${n}\nt \\| x\n\\(${n} rows\\) {2}commit`), why(expanded))
})

/** `t.say(key, text)` aborts its transaction with `text` as the message (TXN_ABORTED). */
const ABORT_WITH_ARG = abiModule(`
  (func (export "say") (local $n i32)
    (local.set $n (call $arg_len (i32.const 0)))
    (call $arg_read (i32.const 0) (i32.const 1024))
    (call $abort_txn (i32.const 1024) (local.get $n)))`)

test('an error message is escaped as a cell is: a function\'s abort message and a duplicate key with U+202E and other format characters, its line breaks kept', async () => {
  const hex = Buffer.from(ABORT_WITH_ARG).toString('hex')
  const setup = await consoleRun(['-e', 'CREATE TABLE s_bidi (k TEXT PRIMARY KEY);', '-e', `CREATE FUNCTION s_bidi.say FROM WASM X'${hex}';`])
  expectExit(setup, 0)
  const aborted = await consoleRun(['-e', "CALL s_bidi.say('a', 'pay \u202etxt.exe\u2066 \u0085\u200b\nsecond line\u200f');"])
  expectExit(aborted, 1)
  assert.ok(aborted.stderr.startsWith('ERROR TXN_ABORTED: pay \\u202etxt.exe\\u2066 \\x85\\u200b\nsecond line\\u200f\n'), why(aborted))
  const duplicate = await consoleRun(['-e', "INSERT INTO s_bidi VALUES ('\u202ekey'), ('\u202ekey');"])
  expectExit(duplicate, 1)
  assert.match(duplicate.stderr, /^ERROR DUPLICATE_KEY: [^\n]*\\u202ekey/, why(duplicate))
  // A syntax error after them: the line under it is escaped as well, and the caret under the right column.
  const syntax = await consoleRun(['-e', "SELECT '\u202etxt.exe\u2066' FROM s_bidi WHERE k = = 1;"])
  expectExit(syntax, 1)
  const [, shown, caret] = syntax.stderr.split('\n')
  assert.is(shown, "LINE 1: SELECT '\\u202etxt.exe\\u2066' FROM s_bidi WHERE k = = 1;", why(syntax))
  // Under the second '=' of the line as shown (expected an expression there).
  assert.is(shown?.slice((caret?.length ?? 0) - 3, caret?.length), '= =', why(syntax))
  for (const r of [aborted, duplicate, syntax]) assert.not.match(r.stderr, /[\u202e\u2066\u200f\u200b\u0085]/, why(r))
})

test('usage: acheron --help lists the console; a bad option exits 2 with the console usage', async () => {
  const help = await runCli(['--help'])
  assert.is(help.code, 0)
  assert.match(help.stdout, /console \[URL\] \[--token T\] \[-e SQL\]\.\.\. \[-f FILE\]/)
  const bad = await runCli(['console', '--bogus'])
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /unknown option --bogus\nusage: acheron console/, describeRun(['console', '--bogus'], bad))
})

test.run()
