// `acheron check --path P` replays one counterexample. fast-check's own replay went on past it, through the
// runs or the shrinks after it, and a replay that passed printed fast-check's count: "1111 passed" for
// a path of seed 1, after 42 s, for what was asked as one run.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { runCheck, type CheckOptions } from '../../src/testing/check.js'
import { replayPath } from '../../src/testing/path-replay.js'

const sumAbove = (limit: number) => async (xs: number[]): Promise<void> => {
  if (xs.reduce((a, b) => a + b, 0) > limit) throw new Error(`sum above ${limit}`)
}

test('replayPath runs the input at the path once: the shrunk counterexample fast-check printed', async () => {
  const arb = fc.array(fc.nat(1000))
  const failing = await fc.check(fc.asyncProperty(arb, sumAbove(700)), { seed: 7, numRuns: 100 })
  assert.ok(failing.failed && failing.counterexamplePath !== null && failing.counterexamplePath.includes(':'))
  const seen: number[][] = []
  const replayed = await replayPath(fc.asyncProperty(arb, sumAbove(700)), 7, failing.counterexamplePath as string, async (xs) => { seen.push(xs); await sumAbove(700)(xs) })
  assert.equal(seen, [failing.counterexample?.[0]])
  assert.ok(replayed.failed)
  assert.is(replayed.numRuns, 1)
  assert.equal(replayed.counterexample, failing.counterexample)
  // Once fixed, it passes, still one run: fc.check given the path ran every shrink after it.
  const runs: number[][] = []
  const fixed = await replayPath(fc.asyncProperty(arb, sumAbove(1e9)), 7, failing.counterexamplePath as string, async (xs) => { runs.push(xs) })
  assert.equal(runs, [failing.counterexample?.[0]])
  assert.equal({ failed: fixed.failed, numRuns: fixed.numRuns }, { failed: false, numRuns: 1 })
})

test('check --path: a counterexample that now passes is reported as that one run, not fast-check\'s count', async () => {
  const options = (extra: Partial<CheckOptions>, out: string[]): CheckOptions => ({
    seed: 1, runs: 20, txns: 30, workers: 0, crash: false, mutant: null, shrink: true, properties: ['replay'], out: (l) => out.push(l), ...extra,
  })
  const found: string[] = []
  const broken = await runCheck(options({ mutant: 'skip-ww-check' }, found))
  const failure = broken.properties[0]?.failure
  assert.ok(failure !== undefined && failure.path.includes(':'), found.join('\n'))
  // The broken engine fails the replayed counterexample again, in one run.
  const again: string[] = []
  const still = await runCheck(options({ mutant: 'skip-ww-check', path: failure.path }, again))
  assert.equal({ failed: still.failed, passed: still.passed, runs: still.properties[0]?.runs }, { failed: 1, passed: 0, runs: 1 }, again.join('\n'))
  assert.is(still.properties[0]?.failure?.counterexample, failure.counterexample)
  assert.match(again.join('\n'), `FAIL replay       the counterexample at --path ${failure.path} (1 run, `)
  // The correct engine passes it: one run, said so.
  const fixed: string[] = []
  const passes = await runCheck(options({ path: failure.path }, fixed))
  assert.equal({ failed: passes.failed, passed: passes.passed, runs: passes.properties[0]?.runs }, { failed: 0, passed: 1, runs: 1 }, fixed.join('\n'))
  assert.match(fixed.join('\n'), new RegExp(`\\nok {3}replay {7}the counterexample at --path ${failure.path} passed \\(1 run\\) .*\\n1 passed, 0 failed$`))
})

test.run()
