// `acheron check --shrink-seconds N`: shrinking stops N seconds after the first failure, and the smallest
// counterexample found by then is printed, said to be cut short, and replays by its path. Before, a crash
// counterexample took 901 s to shrink while the researcher waited without a word.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCheck, SHRINK_SECONDS_DEFAULT, type CheckOptions } from '../../src/testing/check.js'

const options = (extra: Partial<CheckOptions>, out: string[]): CheckOptions => ({
  seed: 1, runs: 20, txns: 30, workers: 0, crash: false, mutant: 'skip-ww-check', shrink: true, properties: ['replay'], out: (l) => out.push(l), ...extra,
})

test('a budget of 0 s prints the first failure (no shrink), said to be cut short; it replays by its path', async () => {
  const said: string[] = []
  const cut = await runCheck(options({ shrinkSecondsMax: 0 }, said))
  const failure = cut.properties[0]?.failure
  assert.ok(failure !== undefined, said.join('\n'))
  assert.match(said.join('\n'), /FAIL replay {7}at run \d+ \([\d.]+s, 0 shrinks, shrinking cut short after 0 s: --shrink-seconds gives it more\)/)
  assert.not.ok(failure.path.includes(':'), `no shrink step in the path ${failure.path}`)
  const again: string[] = []
  const replayed = await runCheck(options({ path: failure.path }, again))
  assert.is(replayed.failed, 1, again.join('\n'))
  assert.is(replayed.properties[0]?.failure?.counterexample, failure.counterexample)
  // Within the default budget the same failure shrinks, to a smaller counterexample, not said to be cut.
  const full: string[] = []
  const shrunk = await runCheck(options({}, full))
  assert.ok(SHRINK_SECONDS_DEFAULT >= 60)
  assert.match(full.join('\n'), /FAIL replay {7}at run \d+ \([\d.]+s, [1-9]\d* shrinks\): /)
  assert.ok((shrunk.properties[0]?.failure?.counterexample.length ?? Infinity) < failure.counterexample.length, full.join('\n'))
})

test.run()
