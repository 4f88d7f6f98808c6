// The acheron command's own words (CONTRACT §8): --version, each command's --help its own usage with
// defaults (they all printed the global usage), and a port out of range refused in words before
// anything starts (it printed Node's internal RangeError).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeRun, ROOT, runCli } from '../console/support.js'
import { LOCAL_NATS_SERVERS_MAX } from '../../src/cluster/local-nats.js'

test('--version prints the package version', async () => {
  const version = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag])
    assert.is(r.code, 0, describeRun([flag], r))
    assert.is(r.stdout, `acheron ${version}\n`)
  }
})

test('each command\'s --help prints that command\'s own usage, with its defaults', async () => {
  const expected: Record<string, RegExp> = {
    serve: /^usage: acheron serve \[options\][\s\S]*--port P +port \(default 7878/,
    console: /^usage: acheron console \[URL\][\s\S]*\(default ws:\/\/127\.0\.0\.1:7878\)/,
    check: /^usage: acheron check \[options\][\s\S]*--runs N +runs per property \(default 100\)/,
    demo: /^usage: acheron demo \[options\][\s\S]*--transfers N +transfers, up to 10000 in flight at once \(default 20000\)/,
    verify: /^usage: acheron verify --data DIR/,
    bench: /^usage: acheron bench ycsbt\|smallbank\|tpcc \[options\][\s\S]*--clients N +client connections \(default 32\)[\s\S]*--theta Z .*\(default 0\)[\s\S]*--warehouses N +tpcc: warehouses \(default 1/,
  }
  for (const [command, pattern] of Object.entries(expected)) {
    const r = await runCli([command, '--help'])
    assert.is(r.code, 0, describeRun([command, '--help'], r))
    assert.match(r.stdout, pattern, `${command} --help`)
  }
  const global = await runCli(['--help'])
  assert.match(global.stdout, /^usage: acheron <command> \[options\]/)
})

test('serve --help gives the default of each storage option (they were listed as "storage tuning" with none)', async () => {
  const r = await runCli(['serve', '--help'])
  assert.is(r.code, 0)
  assert.match(r.stdout, /--checkpoint-interval-ms N .*\(default 1000; 0: after every batch\)/)
  assert.match(r.stdout, /--log-segment-bytes N .*\(default 64 MiB\)/)
  assert.match(r.stdout, /--log-segments-kept N .*\(default 2\)/)
})

test('serve --port out of range is refused in words before anything starts', async () => {
  const r = await runCli(['serve', '--port', '99999', '--data', '/nonexistent/never-created'])
  assert.is(r.code, 2, describeRun(['serve', '--port', '99999'], r))
  assert.is(r.stderr, 'acheron: --port must be a TCP port, 0 to 65535 (0 picks a free one), not 99999\n(acheron serve --help lists its options)\n')
  assert.is(r.stdout, '')
})

test('serve on a port in use says so in the options\' terms, exits 1 and creates no data directory', async () => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  const port = (holder.address() as AddressInfo).port
  const dir = mkdtempSync(join(tmpdir(), 'acheron-port-in-use-'))
  try {
    const args = ['serve', '--port', String(port), '--data', join(dir, 'd')]
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    assert.ok(r.stderr.endsWith(`acheron: cannot listen on 127.0.0.1:${port}: another process is using the port (choose another with --port, or 0 for any free one)\n`), describeRun(args, r))
    assert.is(r.stdout, '')
    // The port is tried before the data directory is opened: nothing was created (it was initialised, and
    // before that left open with -wal and -shm beside it). A port lost to a race after the probe still
    // closes the database as a clean stop does (main.ts, listenFailure's caller).
    assert.not.ok(existsSync(join(dir, 'd')), existsSync(join(dir, 'd')) ? readdirSync(join(dir, 'd')).join(' ') : '')
  } finally {
    holder.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('serve --cluster stands for --log-nats --failover, so it takes neither beside it; --share-phase1 and --follower-reads need a stream; check --cluster stands alone too', async () => {
  for (const extra of [['--follow'], ['--failover'], ['--log-nats', 'nats://127.0.0.1:4222']]) {
    const args = ['serve', '--cluster', 'nats://127.0.0.1:4222', ...extra, '--data', '/nonexistent/never-created']
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.is(r.stderr, 'acheron: --cluster is --log-nats URLS --failover on the stream ACHERON_CLUSTER: give it without --log-nats, --follow or --failover\n(acheron serve --help lists its options)\n')
  }
  // --share-phase1 and --follower-reads are on or off, and only on a stream.
  for (const [extra, message] of [
    [['--cluster', 'nats://127.0.0.1:4222', '--share-phase1', 'yes'], 'acheron: --share-phase1 is on or off, not yes\n'],
    [['--share-phase1', 'on'], 'acheron: --share-phase1 goes with --log-nats (or --cluster)\n'],
    [['--cluster', 'nats://127.0.0.1:4222', '--follower-reads', 'maybe'], 'acheron: --follower-reads is on or off, not maybe\n'],
    [['--follower-reads', 'off'], 'acheron: --follower-reads goes with --log-nats (or --cluster)\n'],
  ] as const) {
    const args = ['serve', ...extra, '--data', '/nonexistent/never-created']
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.ok(r.stderr.startsWith(message), describeRun(args, r))
  }
  const check = await runCli(['check', '--cluster', '--nats', '3'])
  assert.is(check.code, 2)
  assert.match(check.stderr, /--cluster is --nats 3 --failover with NATS servers killed too: give it alone/)
})

test('a command line that cannot run exits 2 for every command (as an unknown command does); a failure at run time exits 1', async () => {
  for (const args of [['serve', '--bogus'], ['serve', '--sync', 'x'], ['serve', '--workers', '65'], ['demo', '--workers', '65'], ['demo', '--bogus'], ['verify'], ['check', '--runs', 'x'], ['check', '--mutant', 'skip-ww-check', '--protocol', 'calvin'], ['cluster', '--nodes', '9'], ['bench'], ['console', '--bogus'], ['fn', 'init'], ['bogus']]) {
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.ok(r.stderr.length > 0, describeRun(args, r))
  }
  const missing = await runCli(['verify', '--data', '/nonexistent/never-created'])
  assert.is(missing.code, 1, describeRun(['verify', '--data', '/nonexistent/never-created'], missing))
})

test('an unknown option of a command that takes positionals (fn init, bench) is named alone, without parseArgs\' tip on `--` and its unbalanced quotes', async () => {
  const cases: [string[], string][] = [
    [['fn', 'init', 'demo', '--dir', 'x'], "acheron fn: Unknown option '--dir'"],
    [['bench', 'ycsbt', '--bogus'], "acheron: Unknown option '--bogus'"],
  ]
  for (const [args, first] of cases) {
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.is(r.stderr.split('\n')[0], first, describeRun(args, r))
  }
})

test('check: an unknown --property or --mutant, a --protocol module that is not there, or --workers or --partitions out of range, is a usage error (exit 2), not a failed check (exit 1)', async () => {
  // Exit 1 is what a caught bug gives: a typo must not read as one in a script or in CI.
  const cases: [string[], RegExp][] = [
    [['check', '--property', 'bogus', '--runs', '1'], /unknown property 'bogus' \(known: replay, determinism, elle, crash, trace\)/],
    [['check', '--mutant', 'bogus', '--runs', '1'], /unknown mutant 'bogus' \(known: skip-ww-check, /],
    [['check', '--protocol', './never-there.js', '--runs', '1'], /--protocol: cannot load \.\/never-there\.js/],
    // A path belongs to one property: it ran under every default property's arbitrary.
    [['check', '--path', '0:0', '--runs', '1'], /--path replays one failing run of one property: give it with exactly one --property/],
    [['check', '--path', '0:0', '--property', 'replay', '--property', 'elle', '--runs', '1'], /--path replays one failing run of one property/],
    // These ran, and reported the engine's refusal as a FAIL of replay with a shrunk counterexample.
    [['check', '--workers', '65', '--runs', '1'], /--workers must be an integer from 0 to 64, not 65/],
    [['check', '--partitions', '257', '--runs', '1'], /--partitions must be an integer from 1 to 256, not 257/],
    // These ran: the last --mutant alone, the listing without a word of the unknown name, seed 16.
    [['check', '--mutant', 'skip-ww-check', '--mutant', 'double-apply', '--runs', '1'], /--mutant was given twice \(skip-ww-check and double-apply\): give it once/],
    [['check', '--list-mutants', '--mutant', 'nope'], /--list-mutants lists the mutants and runs nothing: give it alone \(not with --mutant\)/],
    [['check', '--seed', '0x10', '--runs', '1'], /--seed must be an integer from 0 to 4294967295, not 0x10/],
    [['check', '--runs', '1.0'], /--runs must be an integer >= 1, not 1\.0/],
    [['serve', '--port', '1e3'], /--port must be an integer/],
    [['bench', 'ycsbt', '--duration', '0x2'], /--duration must be a number from/],
    [['bench', 'ycsbt', '--clients', '2,,3'], /--clients must be an integer from 1 to \d+, not ""$/m],
  ]
  for (const [args, message] of cases) {
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.match(r.stderr, message, describeRun(args, r))
  }
})

test('check --list-mutants puts every description in one column: names past 24 characters ran into theirs', async () => {
  const r = await runCli(['check', '--list-mutants'])
  assert.is(r.code, 0, describeRun(['check', '--list-mutants'], r))
  const lines = r.stdout.trimEnd().split('\n')
  const columns = new Set(lines.map((l) => /^\S+ +/.exec(l)?.[0].length))
  assert.is(columns.size, 1, r.stdout)
  for (const l of lines) assert.match(l, /^\S+  +\S/, l)
})

test('demo keeps to a directory of its own by default, not the server\'s ./acheron-data (it replaced account.* functions there)', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'acheron-demo-default-'))
  try {
    const r = await runCli(['demo', '--transfers', '10', '--sync', 'off'], { cwd })
    assert.is(r.code, 0, describeRun(['demo'], r))
    assert.ok(existsSync(join(cwd, 'acheron-demo-data', 'acheron.db')), readdirSync(cwd).join(' '))
    assert.not.ok(existsSync(join(cwd, 'acheron-data')), 'the server\'s default directory is left alone')
    assert.match((await runCli(['demo', '--help'])).stdout, /--data DIR +data directory \(default \.\/acheron-demo-data, not the server's \.\/acheron-data/)
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})


test('check --seed past 32 bits is refused: fast-check would run the workloads of its low 32 bits', async () => {
  // --seed 4294967297 printed "seed 4294967297" and ran exactly what --seed 1 runs.
  const args = ['check', '--seed', '4294967297', '--runs', '1', '--property', 'replay']
  const r = await runCli(args)
  assert.is(r.code, 2, describeRun(args, r))
  assert.match(r.stderr, /--seed must be an integer from 0 to 4294967295, not 4294967297/)
  assert.is(r.stdout, '')
})


test('check, bench, serve, demo, cluster and fn refuse a negative or empty number in their own words (exit 2), as they refuse one too large', async () => {
  // node:util parseArgs read `--seed -3` as an option and answered "Option '--seed' argument is
  // ambiguous"; `--seed ""` ran seed 0. serve, demo, cluster and fn still said so until 2026-12-07.
  const cases: [string[], string][] = [
    [['serve', '--checkpoint-interval-ms', '-1'], '--checkpoint-interval-ms must be an integer from 0 to 2147483647, not -1'],
    [['serve', '--port', '-5'], '--port must be an integer >= 0, not -5'],
    [['demo', '--transfers', '-3'], '--transfers must be an integer >= 0, not -3'],
    [['cluster', '--nodes', '-2'], '--nodes must be an integer from 1 to 5, not -2'],
    [['check', '--seed', '-3'], '--seed must be an integer from 0 to 4294967295, not -3'],
    [['check', '--runs', '-1', '--property', 'replay'], '--runs must be an integer >= 1, not -1'],
    [['check', '--txns', '-0.5'], '--txns must be an integer >= 1, not -0.5'],
    [['check', '--seed', ''], '--seed must be an integer from 0 to 4294967295, not ""'],
    [['bench', 'ycsbt', '--seed', '-1'], '--seed must be an integer from 0 to 4294967295, not -1'],
  ]
  for (const [args, message] of cases) {
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.is(r.stderr, `acheron: ${message}\n(acheron ${args[0]} --help lists its options)\n`, describeRun(args, r))
    assert.is(r.stdout, '')
  }
})


test('check --nats past LOCAL_NATS_SERVERS_MAX is refused before any NATS server starts; --help and docs/research.md give the range', async () => {
  // It had no upper bound: --nats 1000 set out to start a thousand nats-server processes.
  const args = ['check', '--crash', '--nats', String(LOCAL_NATS_SERVERS_MAX + 1), '--runs', '1']
  const r = await runCli(args)
  assert.is(r.code, 2, describeRun(args, r))
  assert.is(r.stderr, `acheron: --nats must be an integer from 1 to ${LOCAL_NATS_SERVERS_MAX}, not ${LOCAL_NATS_SERVERS_MAX + 1}\n(acheron check --help lists its options)\n`)
  assert.is(r.stdout, '')
  const help = await runCli(['check', '--help'])
  assert.match(help.stdout, new RegExp(`--nats N [^]*?\\(nats-server; 1 to ${LOCAL_NATS_SERVERS_MAX};`))
  assert.match(readFileSync(join(ROOT, 'docs', 'research.md'), 'utf8'), new RegExp(`\\| \`--nats N\` \\| [^|]*1 to ${LOCAL_NATS_SERVERS_MAX} \\(\`LOCAL_NATS_SERVERS_MAX\``))
})


test('check --crash with --property adds crash to the properties named, as it adds it to the defaults', async () => {
  // `--crash --property replay` ran replay alone, and said nothing of the crash property it dropped.
  const args = ['check', '--crash', '--property', 'replay', '--property', 'replay', '--runs', '1', '--txns', '3', '--seed', '1', '--workers', '0', '--no-shrink']
  const r = await runCli(args)
  assert.is(r.code, 0, describeRun(args, r))
  assert.match(r.stdout, /^acheron check: seed 1, 1 runs of replay, crash, 3 transactions/)
  assert.match(r.stdout, /\nok {3}replay .*\nok {3}crash .*\n2 passed, 0 failed\n$/)
  // A --path is one property's run: --crash there makes two, which is refused in those words.
  const withPath = ['check', '--crash', '--property', 'replay', '--path', '0']
  const p = await runCli(withPath)
  assert.is(p.code, 2, describeRun(withPath, p))
  assert.match(p.stderr, /exactly one --property .*; --crash adds crash to the properties named/)
})


test('check --path that replays no run is refused (exit 2), not reported as a pass', async () => {
  // A path past --runs ran nothing and said "ok replay 0 runs", exit 0: a failure "replayed" as a pass.
  const past = ['check', '--property', 'replay', '--path', '99:0', '--runs', '2', '--txns', '5', '--seed', '1']
  const r = await runCli(past)
  assert.is(r.code, 2, describeRun(past, r))
  assert.match(r.stderr, /^acheron: --path 99:0 replays no run of replay here \(its run 99 is past the 2 runs asked for\): give it with the --seed, --runs, --txns and --partitions its failure printed/)
  assert.not.match(r.stdout, /^ok/m)
  // One these options do not generate said fast-check's bare "Unable to replay, got wrong path=…", exit 1.
  const wrong = ['check', '--property', 'replay', '--path', '0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0', '--runs', '2', '--txns', '5', '--seed', '1']
  const w = await runCli(wrong)
  assert.is(w.code, 2, describeRun(wrong, w))
  assert.match(w.stderr, /replays no run of replay here \(fast-check: Unable to replay/)
  // Paths no failure prints: fast-check took '0:-1', '0:0.5', '0::0' and '' for other paths and replayed those.
  for (const path of ['0:-1', '0:0.5', '0::0', '', 'abc', '01:0']) {
    const odd = ['check', '--property', 'replay', '--path', path, '--runs', '2', '--txns', '5', '--seed', '1']
    const o = await runCli(odd)
    assert.is(o.code, 2, describeRun(odd, o))
    assert.ok(o.stderr.startsWith(`acheron: --path ${path} replays no run of replay here (a path is the run and its shrink steps, whole numbers from 0 joined by ':', as a failure prints it)`), describeRun(odd, o))
    assert.is(o.stdout.includes('passed') || o.stdout.includes('FAIL'), false, describeRun(odd, o))
  }
})

test('check --nats with properties that do not run on NATS says it changes nothing (it was ignored silently)', async () => {
  const args = ['check', '--nats', '1', '--property', 'replay', '--runs', '1', '--txns', '5', '--workers', '0', '--seed', '1']
  const r = await runCli(args)
  assert.is(r.code, 0, describeRun(args, r))
  assert.match(r.stdout, /^note: --nats puts the batch log of the crash property \(and, with --failover, elle's\) on NATS; none of the properties named runs there, so --nats 1 changes nothing here$/m)
  assert.not.match(r.stderr, /nats-server/, 'no NATS server was started')
})

test.run()
