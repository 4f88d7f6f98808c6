// What an operator gets from a bad `acheron serve` / `acheron demo` command line or environment: a message
// naming the option (or variable) and what is wrong with it, exit 2 for a command line that cannot run and
// 1 for a failure at run time, and the data directory not created or left as a clean stop leaves it.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeRun, runCli } from '../console/support.js'
import { startServer } from '../support/server-process.js'
import { tempDir } from '../support/tmp.js'

const HINT = '(acheron serve --help lists its options)\n'

test('a bad limit in the environment is refused by its name before the data directory is opened', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const data = join(dir, 'd')
    for (const [name, value, min] of [['ACHERON_PAYLOAD_BYTES_MAX', 'abc', 1], ['ACHERON_CONNECTIONS_MAX', '0', 1], ['ACHERON_AUTH_DEADLINE_MS', '-5', 1]] as const) {
      const args = ['serve', '--port', '0', '--data', data]
      const r = await runCli(args, { env: { [name]: value } })
      assert.is(r.code, 2, describeRun(args, r))
      // Named as the variable it is (it was "--ACHERON_PAYLOAD_BYTES_MAX", an option that does not exist).
      assert.is(r.stderr, `acheron: ${name} must be an integer >= ${min}, not ${value}\n${HINT}`)
      assert.is(r.stdout, '')
      // Checked after the open, the refusal left the database open: acheron.db-wal, -shm and the lock's journal.
      assert.not.ok(existsSync(data), `${name}: the data directory was created: ${existsSync(data) ? readdirSync(data).join(' ') : ''}`)
    }
  } finally {
    cleanup()
  }
})

test('token and TLS options that contradict each other are a bad command line (exit 2), refused before anything starts', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const data = join(dir, 'd')
    const file = join(dir, 'token')
    writeFileSync(file, 'from-a-file\n')
    const blank = join(dir, 'blank-token')
    writeFileSync(blank, ' \n')
    const long = join(dir, 'long-token')
    writeFileSync(long, `${'é'.repeat(4097)}\n`)
    const cases: [string[], string][] = [
      [['--admin-token-file', blank], `--admin-token-file ${blank} is empty (or holds only whitespace)`],
      [['--token', 'a', '--token-file', file], 'give --token or --token-file, not both'],
      [['--token', 'a', '--admin-token', 'b'], 'give --token or --admin-token, not both (--token is the admin token)'],
      [['--admin-token', 'same', '--app-token', 'same'], 'the admin and application tokens must differ'],
      [['--admin-token', ''], 'the admin-token is empty'],
      [['--tls-cert', file], 'give --tls-cert and --tls-key together'],
      // Longer than an auth frame may carry: a browser, which has only the auth frame, could never use it.
      [['--app-token', 'a'.repeat(8193)], 'the app-token is 8193 bytes, more than a client may present (AUTH_TOKEN_BYTES_MAX, 8192 bytes of UTF-8): use a shorter token'],
      [['--admin-token-file', long], `the token in --admin-token-file ${long} is 8194 bytes, more than a client may present (AUTH_TOKEN_BYTES_MAX, 8192 bytes of UTF-8): use a shorter token`],
    ]
    for (const [extra, message] of cases) {
      const args = ['serve', '--port', '0', '--data', data, ...extra]
      const r = await runCli(args)
      assert.is(r.code, 2, describeRun(args, r))
      assert.is(r.stderr, `acheron: ${message}\n${HINT}`, describeRun(args, r))
      assert.not.ok(existsSync(data))
    }
  } finally {
    cleanup()
  }
})

test('a token or TLS file that cannot be read is named with its option (exit 1), before the data directory is opened', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const data = join(dir, 'd')
    const missing = join(dir, 'missing.pem')
    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, 'not a PEM file\n')
    const cases: [string[], RegExp][] = [
      [['--admin-token-file', missing], /^acheron: --admin-token-file .*missing\.pem: cannot read it \(no such file or directory\)\n/],
      [['--app-token-file', dir], /^acheron: --app-token-file .*: cannot read it \(it is a directory\)\n/],
      [['--tls-cert', missing, '--tls-key', garbage], /^acheron: --tls-cert .*missing\.pem: cannot read it \(no such file or directory\)\n/],
      // OpenSSL's own words alone ("error:0480006C:PEM routines::no start line") named neither file.
      [['--tls-cert', garbage, '--tls-key', garbage], /^acheron: --tls-cert .*garbage\.pem and --tls-key .*garbage\.pem are not a PEM certificate and its private key \(.*no start line\)/],
    ]
    for (const [extra, pattern] of cases) {
      const args = ['serve', '--port', '0', '--data', data, ...extra]
      const r = await runCli(args)
      assert.is(r.code, 1, describeRun(args, r))
      assert.match(r.stderr, pattern, describeRun(args, r))
      assert.is(r.stdout, '')
      assert.not.ok(existsSync(data), describeRun(args, r))
    }
  } finally {
    cleanup()
  }
})

// openssl, as the TLS tests of test/server/access.test.ts (README: npm test wants it).
test('a certificate and a key that are not a pair are refused naming both options', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const make = (name: string): void => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}-cert.pem`), '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' })
    }
    make('a')
    make('b')
    const data = join(dir, 'd')
    const args = ['serve', '--port', '0', '--data', data, '--tls-cert', join(dir, 'a-cert.pem'), '--tls-key', join(dir, 'b-key.pem')]
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    assert.match(r.stderr, /^acheron: --tls-cert .*a-cert\.pem and --tls-key .*b-key\.pem are not a PEM certificate and its private key \(.*key values mismatch\)/, describeRun(args, r))
    assert.not.ok(existsSync(data))
  } finally {
    cleanup()
  }
})

test('serve --partitions beyond the most a table may have is refused at the start, not at every CREATE TABLE', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const data = join(dir, 'd')
    // Node's timers keep at most 2^31-1 ms: a longer interval was taken and fired after 1 ms, again and again.
    for (const flag of ['--checkpoint-interval-ms', '--trace-base-interval-ms']) {
      const args = ['serve', '--port', '0', '--data', data, flag, '99999999999']
      const r = await runCli(args)
      assert.is(r.code, 2, describeRun(args, r))
      assert.is(r.stderr, `acheron: ${flag} must be an integer from 0 to 2147483647, not 99999999999\n${HINT}`)
      assert.not.ok(existsSync(data))
    }
    // Either end of the range names the whole range (0 was told ">= 1", as if there were no upper bound).
    for (const value of ['257', '0']) {
      const args = ['serve', '--port', '0', '--data', data, '--partitions', value]
      const r = await runCli(args)
      assert.is(r.code, 2, describeRun(args, r))
      assert.is(r.stderr, `acheron: --partitions must be an integer from 1 to 256, not ${value}\n${HINT}`)
      assert.not.ok(existsSync(data))
    }
  } finally {
    cleanup()
  }
})

test('demo refuses a bad --transfers, --workers or --protocol before it creates anything (it ran NaN transfers, or failed as an invariant)', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const data = join(dir, 'd')
    const cases: [string[], string][] = [
      [['--transfers', 'abc'], '--transfers must be an integer >= 0, not abc'],
      [['--workers', 'abc'], '--workers must be an integer from 0 to 64, not abc'],
      [['--protocol', 'foo'], '--protocol must be aria, calvin or serial, not foo'],
      [['--sync', 'maybe'], '--sync must be full, normal or off, not maybe'],
    ]
    for (const [extra, message] of cases) {
      const args = ['demo', '--data', data, ...extra]
      const r = await runCli(args)
      assert.is(r.code, 2, describeRun(args, r))
      assert.is(r.stderr, `acheron: ${message}\n(acheron demo --help lists its options)\n`, describeRun(args, r))
      assert.is(r.stdout, '')
      assert.not.ok(existsSync(data), describeRun(args, r))
    }
  } finally {
    cleanup()
  }
})

test('a --data that is a file, or whose lock file cannot be opened, is named (SQLite said only "unable to open database file")', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    for (const command of [['serve', '--port', '0'], ['verify'], ['demo', '--transfers', '1']]) {
      const args = [...command, '--data', file]
      const r = await runCli(args)
      assert.is(r.code, 1, describeRun(args, r))
      assert.is(r.stderr, `acheron: data directory ${file} is not a directory\n`, describeRun(args, r))
    }
    const data = join(dir, 'd')
    mkdirSync(join(data, 'acheron.lock'), { recursive: true })
    const args = ['serve', '--port', '0', '--data', data]
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    assert.match(r.stderr, new RegExp(`^acheron: cannot open the lock file ${join(data, 'acheron.lock').replace(/[.]/g, '\\.')} of the data directory: unable to open database file \\(is the directory writable by this user\\?\\)\n$`), describeRun(args, r))
  } finally {
    cleanup()
  }
})

test('serve --host [::1], an IPv6 address written as in a URL, listens there (it failed: "the host name [::1] does not resolve")', async () => {
  const server = await startServer({ args: ['--host', '[::1]'] })
  try {
    assert.is(server.host, '[::1]', server.readyLine)
    assert.is(server.url, `ws://[::1]:${server.port}`)
  } finally {
    const exit = await server.stop('SIGTERM')
    assert.is(exit.code, 0, server.stderr())
  }
})

test('verify of a directory that holds no Acheron data says so and writes nothing into it (it left an acheron.lock behind)', async () => {
  const { dir, cleanup } = tempDir()
  try {
    writeFileSync(join(dir, 'notes.txt'), 'not a database\n')
    const args = ['verify', '--data', dir]
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    assert.is(r.stdout, `${dir} is not an Acheron data directory: it has neither acheron.db nor log/\n`)
    assert.equal(readdirSync(dir), ['notes.txt'])
  } finally {
    cleanup()
  }
})

test('an empty --data is a bad command line, not a directory to stat (it said "ENOENT: no such file or directory, stat \'\'")', async () => {
  for (const command of [['serve', '--port', '0'], ['demo'], ['verify']]) {
    const args = [...command, '--data', '']
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.is(r.stderr, `acheron: --data needs a directory, not an empty string\n(acheron ${command[0]} --help lists its options)\n`, describeRun(args, r))
  }
})

test('a pause threshold for unread replies at or above the closing one is refused: the connection would be closed before it paused', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const data = join(dir, 'd')
    const args = ['serve', '--port', '0', '--data', data]
    const r = await runCli(args, { env: { ACHERON_REPLY_BUFFER_BYTES_PAUSE: '2000000', ACHERON_REPLY_BUFFER_BYTES_MAX: '1000000' } })
    assert.is(r.code, 2, describeRun(args, r))
    assert.is(r.stderr, `acheron: ACHERON_REPLY_BUFFER_BYTES_PAUSE (2000000) must be below ACHERON_REPLY_BUFFER_BYTES_MAX (1000000): past the pause a slow reader's connection stops being read, past the maximum it is closed\n${HINT}`)
    assert.not.ok(existsSync(data))
    // So is a hard maximum below the maximum, and a stall time that is not a positive integer.
    const hard = await runCli(args, { env: { ACHERON_REPLY_BUFFER_BYTES_PAUSE: '500000', ACHERON_REPLY_BUFFER_BYTES_MAX: '1000000', ACHERON_REPLY_BUFFER_BYTES_HARD_MAX: '999999' } })
    assert.is(hard.code, 2, describeRun(args, hard))
    assert.is(hard.stderr, `acheron: ACHERON_REPLY_BUFFER_BYTES_HARD_MAX (999999) must be at least ACHERON_REPLY_BUFFER_BYTES_MAX (1000000): past the maximum a connection that stopped reading is closed, past the hard maximum any connection is\n${HINT}`)
    const stall = await runCli(args, { env: { ACHERON_REPLY_STALL_MS: '0' } })
    assert.is(stall.code, 2, describeRun(args, stall))
    assert.is(stall.stderr, `acheron: ACHERON_REPLY_STALL_MS must be an integer >= 1, not 0\n${HINT}`)
    assert.not.ok(existsSync(data))
  } finally {
    cleanup()
  }
})

test('SIGHUP (the terminal closed) stops serve as SIGTERM does: the batch in flight finished, exit 0, no pid file left', async () => {
  const server = await startServer()
  const exit = await server.stop('SIGHUP')
  assert.equal(exit, { code: 0, signal: null }, server.stderr())
  assert.match(server.stderr(), /SIGHUP: finishing the batch in flight, then exiting/)
  assert.match(server.stderr(), /"msg":"stopped"/)
  assert.not.ok(existsSync(join(server.dataDir, 'acheron.pid')), 'a clean stop removes the pid file')
})

test('serve --protocol says at start which protocol it serves, and --help lists the research options', async () => {
  const server = await startServer({ args: ['--protocol', 'calvin'] })
  try {
    assert.match(server.stderr(), /concurrency control: the protocol 'calvin' \(--protocol calvin\)/)
  } finally {
    assert.is((await server.stop()).code, 0)
  }
  const help = await runCli(['serve', '--help'])
  assert.match(help.stdout, /\n  --protocol NAME\|FILE +concurrency control/)
  assert.match(help.stdout, /\n  --mutant NAME +serve a deliberately broken engine/)
})

test.run()
