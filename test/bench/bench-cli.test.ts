// `acheron bench` as a user runs it (CONTRACT §7, §8): a real process that starts a real server, prints the
// documented table with a nonzero throughput, and refuses bad options in words before starting anything.
// No test here asserts a speed: only that the numbers are there and consistent.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeRun, runCli } from '../console/support.js'
import { parseResults, type SavedRecord } from '../../src/bench/record.js'
import { benchRows, benchTable } from './support.js'

const SMALL = ['--duration', '1', '--warmup', '0', '--clients', '2']

const SCALES: Record<string, string[]> = {
  ycsbt: ['--keys', '1000'],
  smallbank: ['--keys', '1000'],
  tpcc: ['--warehouses', '1', '--items', '1000'],
}

for (const [workload, scale] of Object.entries(SCALES)) {
  test(`bench ${workload} prints the table with a nonzero throughput for Acheron`, async () => {
    const args = ['bench', workload, ...SMALL, ...scale]
    const r = await runCli(args)
    assert.is(r.code, 0, describeRun(args, r))
    assert.match(r.stdout, new RegExp(`^acheron bench ${workload}: `))
    const rows = benchTable(r.stdout)
    assert.equal([...rows.keys()], ['Acheron'], describeRun(args, r))
    const a = rows.get('Acheron')!
    assert.is(a['clients × in flight'], '2 × 1')
    assert.ok(Number(a['txn/s']) > 0, describeRun(args, r))
    for (const c of ['p50 ms', 'p99 ms', 'max ms'] as const) assert.ok(Number(a[c]) > 0, `${c}: ${a[c]}`)
    assert.ok(Number(a['p50 ms']) <= Number(a['p99 ms']) && Number(a['p99 ms']) <= Number(a['max ms']))
    assert.match(a['abort rate'], /^\d+\.\d\d%$/)
    assert.is(a.retries, '0')
    assert.is(a.failed, '0')
    assert.not.match(r.stdout, /Acheron \/ PostgreSQL/, 'ratios only with --peers')
    // YCSB-T's total and TPC-C's year-to-date sums are checked after the run; SmallBank has no such invariant.
    if (workload !== 'smallbank') assert.match(r.stdout, /^- checked after the run on every system: /m)
    assert.not.match(r.stderr, /INVARIANT BROKEN/)
    // No --protocol: the server runs its own default, and the heading says so.
    assert.match(r.stderr + r.stdout, /Acheron: protocol default,/)
  })
}

test('bench --json prints one JSON object per system with the contract\'s fields', async () => {
  // An empty baseline (/dev/null) compares with nothing, and is no error.
  const args = ['bench', 'ycsbt', ...SMALL, '--keys', '1000', '--duration', '0.5', '--json', '--seed', '7', '--protocol', 'calvin', '--baseline', '/dev/null']
  const r = await runCli(args)
  assert.is(r.code, 0, describeRun(args, r))
  const lines = r.stdout.trim().split('\n')
  assert.is(lines.length, 1, describeRun(args, r))
  const o = JSON.parse(lines[0] as string) as Record<string, unknown>
  for (const k of ['workload', 'system', 'settings', 'txnPerSec', 'p50Ms', 'p99Ms', 'maxMs', 'aborts', 'retries']) assert.ok(k in o, `no ${k} in ${lines[0]}`)
  assert.is(o.workload, 'ycsbt')
  assert.is(o.system, 'acheron')
  assert.ok((o.txnPerSec as number) > 0)
  assert.is((o.settings as { seed: number }).seed, 7)
  assert.is((o.settings as { protocol: string }).protocol, 'calvin', 'the settings name the protocol the server was started with')
  assert.match(r.stderr, /^acheron bench ycsbt: /, 'the headings go to stderr with --json')
  assert.not.match(r.stderr, /compared with|WARNING/, r.stderr)
})

test('a baseline or results file that cannot serve is refused before the run, naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-files-'))
  try {
    const notJson = join(dir, 'not.json')
    writeFileSync(notJson, '{"records": [')
    const cases: [string[], RegExp][] = [
      [['--baseline', join(dir, 'missing.json')], new RegExp(`^acheron: --baseline ${dir}/missing\.json: no such file\n`)],
      [['--baseline', notJson], new RegExp(`^acheron: --baseline: ${dir}/not\.json is not JSON: `)],
      // The run's points would be lost at the end, when they are merged into the file.
      [['--save', notJson], new RegExp(`^acheron: --save: ${dir}/not\.json is not JSON: `)],
      // One that cannot be written failed only after the whole run, with a bare ENOENT.
      [['--save', join(dir, 'no-such-dir', 'x.json')], new RegExp(`^acheron: --save ${dir}/no-such-dir/x\.json: cannot be written \\(ENOENT: `)],
    ]
    for (const [extra, pattern] of cases) {
      const args = ['bench', 'ycsbt', ...SMALL, ...extra]
      const r = await runCli(args)
      assert.is(r.code, 2, describeRun(args, r))
      assert.match(r.stderr, pattern, describeRun(args, r))
      assert.not.match(r.stderr, /Acheron: protocol/, 'nothing started')
      assert.is(r.stdout, '', describeRun(args, r))
    }
    assert.is(readFileSync(notJson, 'utf8'), '{"records": [', 'the file is left as it was')
    assert.equal(readdirSync(dir), ['not.json'], 'the probe of a --save file leaves nothing behind')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a matrix in one command: a row per point naming its settings, --save keeps them, --baseline warns of a regression', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-cli-'))
  try {
    const save = join(dir, 'results.json')
    const baseline = join(dir, 'baseline.json')
    // A committed point far faster than this machine can be: the same point must draw a warning naming its row.
    const fast: SavedRecord = {
      workload: 'ycsbt', system: 'acheron',
      settings: { keys: 1000, theta: 0.5, seed: 1, durationS: 10, warmupS: 2, load: '2 × 1', clients: 2, inflight: 1, partitions: 8, workers: null, protocol: 'serial', sync: 'full' },
      txnPerSec: 1e9, p50Ms: 0.001, p99Ms: 0.001, maxMs: 0.001, aborts: 0, abortRate: 0, conflictAborts: 0, retries: 0, failed: 0, serverCores: 1, clientCores: 1,
      command: 'acheron bench ycsbt', machine: { cores: 2, cpu: 'x', memoryGiB: 1, node: 'v20', loadavg: [0, 0, 0] }, date: '2026-01-01T00:00:00.000Z',
    }
    writeFileSync(baseline, JSON.stringify({ records: [fast] }))
    const args = ['bench', 'ycsbt', ...SMALL, '--keys', '1000', '--duration', '0.3', '--theta', '0,0.5', '--protocol', 'serial', '--save', save, '--baseline', baseline]
    const r = await runCli(args)
    assert.is(r.code, 0, describeRun(args, r))
    assert.equal(benchRows(r.stdout).map((row) => `${row.system}: ${row.settings}`),
      ['Acheron: θ 0, serial, default workers', 'Acheron: θ 0.5, serial, default workers'], describeRun(args, r))
    // Below 100 txn/s (a loaded machine, 0.3 s) the figure has two decimals: "throughput 57.33, was …".
    assert.match(r.stderr, /^acheron bench: WARNING: regression at ycsbt θ 0\.5, 2 × 1, serial, default workers: absolute, no peer in both runs: throughput \d+(\.\d\d)?, was 1000000000 /m, r.stderr)
    assert.is(r.stderr.match(/WARNING/g)?.length, 1, r.stderr)
    assert.not.match(r.stderr, /\r|\x1b/, 'no progress line when stderr is not a terminal')
    const saved = parseResults(readFileSync(save, 'utf8'), save).records
    assert.is(saved.length, 2)
    for (const rec of saved) {
      assert.is(rec.command, `acheron ${args.join(' ')}`)
      assert.ok(rec.machine.cores > 0 && rec.machine.node.startsWith('v'))
      assert.is(rec.date, saved[0]!.date, 'one date per run')
      assert.ok(rec.txnPerSec > 0)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('bad options are refused in words, with exit 2, before anything starts', async () => {
  const cases: [string[], RegExp][] = [
    [['bench', 'ycsbt', '--theta', '1'], /^acheron: --theta must be a number in \[0, 1\) .*not 1\n\(acheron bench --help lists its options\)\n$/],
    [['bench', 'ycsbt', '--protocol', 'occ'], /^acheron: --protocol must be aria, calvin, serial or default, not occ\n\(acheron bench --help lists its options\)\n$/],
    [['bench', 'ycsbt', '--theta=-0.5'], /^acheron: --theta must be a number in \[0, 1\)/],
    [['bench', 'ycsbt', '--theta', '0,0.9,1'], /^acheron: --theta must be a number in \[0, 1\) .*not 1\n\(acheron bench --help lists its options\)\n$/],
    [['bench', 'ycsbt', '--protocol', 'aria,occ'], /^acheron: --protocol must be aria, calvin, serial or default, not occ\n\(acheron bench --help lists its options\)\n$/],
    [['bench', 'ycsbt', '--peers', '--clients', '8,121'], /^acheron: with --peers, --clients × --inflight must be at most 120/],
    [['bench', 'ycsbt', '--save', ''], /^acheron: --save needs a file name\n\(acheron bench --help lists its options\)\n$/],
    [['bench', 'ycsbt', '--theta', 'zipf'], /^acheron: --theta must be a number in \[0, 1\)/],
    [['bench', 'ycsbt', '--clients', '0'], /^acheron: --clients must be an integer from 1 to 1000, not 0\n/],
    [['bench', 'ycsbt', '--clients', '2.5'], /^acheron: --clients must be an integer/],
    [['bench', 'ycsbt', '--duration', 'ten'], /^acheron: --duration must be a number from 0\.1 to 3600, not ten\n\(acheron bench --help lists its options\)\n$/],
    [['bench', 'ycsbt', '--keys', '1'], /^acheron: --keys must be an integer from 2/],
    [['bench', 'ycsbt', '--clients', '100', '--inflight', '200'], /^acheron: --clients × --inflight must be at most 10000/],
    [['bench', 'ycsbt', '--peers', '--clients', '64', '--inflight', '2'], /^acheron: with --peers, --clients × --inflight must be at most 120/],
    [['bench', 'ycsbt', '--workers', 'x'], /^acheron: --workers must be an integer/],
    [['bench'], /^acheron: give a workload: acheron bench ycsbt\|smallbank\|tpcc/],
    [['bench', 'tatp'], /^acheron: 'tatp' is not a workload: give ycsbt, smallbank or tpcc\n/],
    [['bench', 'ycsbt', 'smallbank'], /^acheron: one workload at a time/],
    [['bench', 'ycsbt', '--bogus'], /^acheron: Unknown option '--bogus'/],
    [['bench', 'tpcc', '--theta', '0.5'], /^acheron: --theta is for ycsbt and smallbank: tpcc draws its keys as TPC-C does/],
    [['bench', 'tpcc', '--warehouses', '0'], /^acheron: --warehouses must be an integer from 1 to 100, not 0\n/],
    [['bench', 'smallbank', '--warehouses', '8'], /^acheron: --warehouses is for tpcc; smallbank has --keys and --theta\n/],
  ]
  // A command line that cannot run exits 2, as an unknown command does, and names the --help to read.
  for (const [args, pattern] of cases) {
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.match(r.stderr, /\n\(acheron bench --help lists its options\)\n$/, describeRun(args, r))
    assert.match(r.stderr, pattern, describeRun(args, r))
    assert.is(r.stdout, '', describeRun(args, r))
  }
})


test.run()
