// The research harness itself (`acheron check`, `acheron/testing`): the real engine passes every
// property, every mutant is caught, a failure's replay command reproduces it, and a protocol plugs in
// from its one file.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MUTANTS, selectedProperties } from '../../src/testing/index.js'
import { CATCHERS, quiet } from './mutant-catchers.js'
import { protocolByName } from '../../src/txn/protocols/index.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const PROTOCOL_FILE = (name: string) => fileURLToPath(new URL(`../../src/txn/protocols/${name}.js`, import.meta.url))
const SUMMARY = /^(\d+) passed, (\d+) failed$/m

function check(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'check', ...args], { encoding: 'utf8', timeout: 10 * 60_000 })
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') }
}

test('--list-mutants names the required engine bugs, the batch log and checkpoint ones included', () => {
  const { code, out } = check(['--list-mutants'])
  assert.is(code, 0)
  for (const m of ['skip-ww-check', 'skip-raw-check', 'stale-snapshot', 'arrival-order-tiebreak', 'double-apply', 'ack-before-durable',
    'wrong-recovery-position', 'replay-from-wrong-position', 'checkpoint-first-image', 'log-zeros-over-entries', 'replay-reads-clock',
    'repartition-reads-catalog-layout', 'add-column-reads-catalog-columns', 'rename-reads-catalog-key', 'add-reuses-dropped-place', 'walk-ahead-misses-unreleased-writes', 'contended-sample-unchecked', 'snapshot-resumes-late',
    'fenced-append-acked', 'writer-skips-start-fence', 'follower-reads-ignore-position', 'commit-trace-skips-batch-prefix', 'trace-base-unheld', 'trace-base-batch-behind']) {
    assert.match(out, new RegExp(`^${m} `, 'm'), m)
  }
  assert.is(MUTANTS.length, 26)
})

test('the real engine passes replay, determinism, the anomaly checker and crash recovery', async () => {
  const r = await quiet({ seed: 1234, runs: 4, txns: 60, workers: 2, crash: true, mutant: null })
  assert.is(r.failed, 0, r.lines.join('\n'))
  assert.match(r.lines.at(-1) ?? '', SUMMARY)
})

test('the real engine passes trace: committed positions re-run by EXPLAIN COMMIT end as their replies did', async () => {
  const r = await quiet({ seed: 99, runs: 4, txns: 60, workers: 2, crash: false, mutant: null, properties: ['trace'] })
  assert.is(r.failed, 0, r.lines.join('\n'))
  assert.match(r.lines.at(-1) ?? '', /^4 passed, 0 failed$/)
})

test('with no worker threads (the default on two cores), walks that run ahead of the release pass too', async () => {
  for (const protocol of ['aria', 'serial']) {
    const r = await quiet({ seed: 4321, runs: 4, txns: 60, workers: 0, crash: false, mutant: null, protocol: protocolByName(protocol) })
    assert.is(r.failed, 0, r.lines.join('\n'))
  }
})

for (const name of ['aria', 'calvin', 'serial']) {
  test(`the built-in ${name}, plugged in from its one file, passes the harness unchanged`, () => {
    const { code, out } = check(['--seed', '99', '--runs', '3', '--txns', '50', '--protocol', PROTOCOL_FILE(name)])
    assert.is(code, 0, out)
    assert.match(out, `protocol ${name}`)
    assert.match(out, /^9 passed, 0 failed$/m)
  })
}


test('every mutant has a catcher here, and naming it turns on every property able to catch it', () => {
  for (const m of MUTANTS) {
    assert.ok((CATCHERS[m.name] ?? []).length > 0, `${m.name} has a catching property in this suite`)
    const names = selectedProperties({ crash: false, mutant: m.name }).map((p) => p.name)
    for (const p of m.caughtBy) assert.ok(names.includes(p), `--mutant ${m.name} runs ${p}`)
  }
  assert.ok(selectedProperties({ crash: false, mutant: 'ack-before-durable' }).some((p) => p.name === 'crash'), 'a durability mutant turns on crash')
})

// The cluster's mutants (m.cluster) are caught in harness-cluster.test.ts: each of them takes minutes.
for (const m of MUTANTS.filter((m) => m.cluster !== true)) {
  for (const { property, runs } of CATCHERS[m.name] ?? []) {
    test(`mutant ${m.name} is caught by ${property}`, async () => {
      const r = await quiet({ seed: 5, runs, txns: 100, workers: 2, crash: false, mutant: m.name, properties: [property] })
      assert.is(r.failed, 1, `not caught in ${runs} runs:\n${r.lines.join('\n')}`)
    })
  }
}

test('a failure prints the seed, a counterexample and a replay command that reproduces it', () => {
  const first = check(['--seed', '17', '--runs', '20', '--txns', '40', '--property', 'replay', '--mutant', 'skip-ww-check'])
  assert.is(first.code, 1, first.out)
  assert.match(first.out, /^0 passed, 1 failed$|^\d+ passed, 1 failed$/m)
  assert.match(first.out, /counterexample: \{"tables"/)
  const replay = /replay: acheron check (.*)$/m.exec(first.out)?.[1]
  assert.ok(replay !== undefined, first.out)
  const args = [...replay.matchAll(/'([^']*)'|(\S+)/g)].map((x) => x[1] ?? x[2] ?? '')
  const again = check(args)
  assert.is(again.code, 1, again.out)
  // Without the engine's own batch numbers, which count every run before the failing one.
  const failure = (out: string) => /^FAIL replay .*?: (.*)$/m.exec(out)?.[1]?.replace(/ \(engine batch \d+\)/g, '')
  assert.is(failure(again.out), failure(first.out), 'the replay fails the same way')
})

test.run()
