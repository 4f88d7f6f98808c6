// `acheron bench --peers` (CONTRACT §7): the same workload on Acheron, PostgreSQL 15 and SQLite in one run,
// one row each and the two throughput ratios. Needs the PostgreSQL binaries; without them it is skipped
// loudly (test/support/postgres.ts). No assertion about which system is faster.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeRun, runCli } from '../console/support.js'
import { postgresTest } from '../support/postgres.js'
import { benchTable } from './support.js'

postgresTest('bench ycsbt --peers: a row per system, and the Acheron/PostgreSQL and Acheron/SQLite ratios', async () => {
  const args = ['bench', 'ycsbt', '--peers', '--duration', '1', '--warmup', '0', '--clients', '2', '--keys', '1000']
  const r = await runCli(args)
  assert.is(r.code, 0, describeRun(args, r))
  const rows = benchTable(r.stdout)
  assert.equal([...rows.keys()], ['Acheron', 'PostgreSQL', 'SQLite'], describeRun(args, r))
  for (const [system, row] of rows) {
    assert.ok(Number(row['txn/s']) > 0, `${system}: ${row['txn/s']}`)
    assert.ok(Number(row['p50 ms']) > 0, `${system} p50: ${row['p50 ms']}`)
  }
  assert.is(rows.get('PostgreSQL')!['clients × in flight'], '2 × 1')
  assert.is(rows.get('SQLite')!['clients × in flight'], '1 thread, 1000/commit')
  // A serialization failure is retried by the client: PostgreSQL's retries never exceed its conflicts.
  const pg = rows.get('PostgreSQL')!
  assert.ok(Number(pg.retries) <= Number(pg['conflict aborts']), JSON.stringify(pg))
  assert.match(r.stdout, /^Acheron \/ PostgreSQL throughput: \d+\.\d\d$/m)
  // Two significant digits below 0.1 (a 2-client Acheron against SQLite alone is often ~0.005), else two decimals.
  assert.match(r.stdout, /^Acheron \/ SQLite throughput: (0\.0\d*[1-9]\d|\d+\.\d\d)$/m)
  assert.match(r.stdout, /SERIALIZABLE, enable_seqscan off, fsync and synchronous_commit on/)
  assert.match(r.stdout, /^- checked after the run on every system: transfers move value and never create it/m)
  assert.not.match(r.stderr, /INVARIANT BROKEN/)
})

test('bench --peers with PostgreSQL missing says so loudly and runs the rest', async () => {
  const args = ['bench', 'ycsbt', '--peers', '--duration', '0.5', '--warmup', '0', '--clients', '2', '--keys', '1000']
  const r = await runCli(args, { env: { PG_BIN: '/nonexistent/postgresql/bin' } })
  assert.is(r.code, 0, describeRun(args, r))
  assert.match(r.stderr, /WARNING: PostgreSQL IS NOT RUN: no PostgreSQL binaries: \/nonexistent\/postgresql\/bin\/initdb does not exist/)
  const rows = benchTable(r.stdout)
  assert.equal([...rows.keys()], ['Acheron', 'PostgreSQL', 'SQLite'])
  assert.match(rows.get('PostgreSQL')!['clients × in flight'], /^NOT RUN: no PostgreSQL binaries/)
  assert.ok(Number(rows.get('SQLite')!['txn/s']) > 0)
  assert.match(r.stdout, /^Acheron \/ PostgreSQL throughput: not measured \(NOT RUN: no PostgreSQL binaries/m)
})

test.run()
