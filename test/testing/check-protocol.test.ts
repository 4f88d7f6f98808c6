// A Protocol object handed to runCheck (docs/research.md, "From code") runs in this process; the crash
// property runs its engine in an `acheron serve` child, which can only load a protocol by name or module
// path. Without one the child served aria while the header said the researcher's protocol: a protocol
// that threw on every batch passed the crash property.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { replayProtocolArg, runCheck, type CheckOptions } from '../../src/testing/check.js'
import { engineUnderTestArgs } from '../../src/testing/harness-serve.js'
import fc from 'fast-check'
import { declaredOrderReplay, EngineCache, type CheckConfig } from '../../src/testing/index.js'
import { protocolByName } from '../../src/txn/protocols/index.js'
import type { Protocol } from '../../src/txn/protocols/protocol.js'

const boom: Protocol = { name: 'boom', runBatch: () => Promise.reject(new Error('boom protocol')) }

function options(extra: Partial<CheckOptions>): CheckOptions {
  return { seed: 1, runs: 1, txns: 20, workers: 0, crash: true, mutant: null, shrink: false, properties: ['crash'], out: () => {}, ...extra }
}

test('a Protocol object without protocolSpec is refused by the crash property, not replaced by aria', async () => {
  const lines: string[] = []
  try {
    await runCheck(options({ protocol: boom, out: (l) => lines.push(l) }))
    assert.unreachable(`the crash property ran without the protocol: ${lines.join(' / ')}`)
  } catch (err) {
    assert.match((err as Error).message, /protocolSpec/)
  }
  // The built-in protocols are known to the child by name.
  assert.equal(engineUnderTestArgs({ txns: 1, workers: 0, mutant: null, protocol: protocolByName('calvin') }), ['--protocol', 'calvin'])
})

test('with protocolSpec the crash property serves that module: a protocol that throws fails it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-boom-'))
  try {
    const file = join(dir, 'boom.js')
    writeFileSync(file, "export default { name: 'boom', async runBatch() { throw new Error('boom protocol') } }\n")
    const report = await runCheck(options({ protocol: boom, protocolSpec: file }))
    assert.is(report.failed, 1)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a researcher\'s own fast-check suite can keep engines across runs (docs/research.md): EngineCache is exported', async () => {
  // Without it every run (and every shrink) opened a fresh engine, seconds each: a failing suite took minutes.
  // One cache per configuration: it keys its engines by property, not by protocol.
  const engines = new EngineCache()
  const brokenEngines = new EngineCache()
  try {
    const config: CheckConfig = { txns: 20, workers: 0, mutant: null, engines }
    await fc.assert(fc.asyncProperty(declaredOrderReplay.arbitrary(config), (w) => declaredOrderReplay.check(w, config)), { numRuns: 3, seed: 1 })
    const broken: CheckConfig = { ...config, engines: brokenEngines, protocol: { name: 'no-check', runBatch: async (txns, exec) => ({ executions: await exec.runOnSnapshot(txns), fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }) } }
    const out = await fc.check(fc.asyncProperty(declaredOrderReplay.arbitrary(broken), (w) => declaredOrderReplay.check(w, broken)), { numRuns: 20, seed: 3, endOnFailure: true })
    assert.ok(out.failed, 'a protocol that keeps every phase-1 execution passed 20 runs')
  } finally {
    await engines.close()
    await brokenEngines.close()
  }
})

test('one EngineCache shared by two protocols runs each on its own engine: a broken one after a correct one fails', async () => {
  // The cache keyed its engines by property alone: the second protocol ran on the first's engine, and
  // a protocol that keeps every phase-1 execution passed after a correct one (docs/research.md).
  const engines = new EngineCache()
  const keepAll: Protocol = { name: 'no-check', runBatch: async (txns, exec) => ({ executions: await exec.runOnSnapshot(txns), fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }) }
  try {
    const good: CheckConfig = { txns: 20, workers: 0, mutant: null, engines, protocol: protocolByName('calvin') }
    await fc.assert(fc.asyncProperty(declaredOrderReplay.arbitrary(good), (w) => declaredOrderReplay.check(w, good)), { numRuns: 2, seed: 3 })
    const broken: CheckConfig = { ...good, protocol: keepAll }
    const out = await fc.check(fc.asyncProperty(declaredOrderReplay.arbitrary(broken), (w) => declaredOrderReplay.check(w, broken)), { numRuns: 20, seed: 3, endOnFailure: true })
    assert.ok(out.failed, 'a protocol that keeps every phase-1 execution passed 20 runs on a cache a correct protocol used first')
  } finally {
    await engines.close()
  }
})

test('a protocol whose runBatch resolves to no BatchRun fails naming the protocol and what it gave', async () => {
  // It failed with "Cannot read properties of undefined (reading 'length')", naming neither.
  for (const [value, said] of [[42, /protocol bad-run: runBatch resolved to 42, not a BatchRun/], [{ runs: [] }, /protocol bad-run: runBatch resolved to an object without an `executions` array \(keys: runs\)/]] as const) {
    const bad: Protocol = { name: 'bad-run', runBatch: async (txns, exec) => { await exec.runOnSnapshot(txns); return value as never } }
    const lines: string[] = []
    const report = await runCheck(options({ crash: false, properties: ['replay'], protocol: bad, out: (l) => lines.push(l) }))
    assert.is(report.failed, 1)
    assert.match(lines.join('\n'), said)
  }
})

test('a run that does not finish is said while it waits (a runBatch that never settles hung check silently)', async () => {
  const serial = protocolByName('serial')
  // Its first batch settles only after a while, as one that hangs looks at first; then it runs serially.
  let held = false
  const slow: Protocol = {
    name: 'slow-first',
    runBatch: async (txns, exec) => {
      if (!held) {
        held = true
        await new Promise((r) => setTimeout(r, 1_500))
      }
      return serial.runBatch(txns, exec)
    },
  }
  const notices: string[] = []
  const report = await runCheck(options({ protocol: slow, protocolSpec: 'slow-first.js', crash: false, properties: ['replay'], notice: (l) => notices.push(l), stalledRunNoticeMs: 300 }))
  assert.is(report.failed, 0, 'the run finished once the batch settled')
  assert.ok(notices.length >= 2, `said while it waited: ${notices.join(' / ')}`)
  assert.match(notices[0] as string, /^acheron check: replay run 1 \(seed 1\) has not finished after 0 s; a protocol whose runBatch never settles stops it here for good \(protocol slow-first\.js\)$/)
})


test('the replay command of a failure under a Protocol object names that protocol, never aria by default', async () => {
  // From code, without protocolSpec, the printed command named no protocol: run as printed, it replayed
  // the counterexample on aria, which passed it.
  const noCheck: Protocol = { name: 'no-check', runBatch: async (txns, exec) => ({ executions: await exec.runOnSnapshot(txns), fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }) }
  const lines: string[] = []
  const report = await runCheck({ seed: 3, runs: 20, txns: 20, workers: 0, crash: false, mutant: null, shrink: false, properties: ['replay'], protocol: noCheck, out: (l) => lines.push(l) })
  assert.is(report.failed, 1, lines.join('\n'))
  const replay = lines.find((l) => l.trim().startsWith('replay: acheron check'))
  assert.ok(replay !== undefined, lines.join('\n'))
  assert.match(replay, / --protocol '<the module that exports no-check>'$/)
  // A built-in protocol object is named as the command line knows it; a module path as given.
  assert.is(replayProtocolArg({ protocol: protocolByName('calvin') }, false), ' --protocol calvin')
  assert.is(replayProtocolArg({ protocol: noCheck, protocolSpec: './my protocol.js' }, false), " --protocol './my protocol.js'")
  assert.is(replayProtocolArg({ protocol: noCheck }, true), '')
})


test('a BatchRun that breaks its contract (or resolves leaving a call of its running) fails naming the protocol, not as an engine invariant', async () => {
  // It said "acheron invariant violated: executions in id order" (or "one final execution per
  // transaction"): an engine bug by its words, naming neither the protocol nor which execution.
  const cases: [Protocol, RegExp][] = [
    [{ name: 'reversed', runBatch: async (txns, exec) => ({ executions: (await exec.runOnSnapshot(txns)).reverse(), fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }) },
      /protocol reversed: execution 0 is of transaction id (\d+), where transaction id (?!\1)\d+ is \(one final execution per transaction, in id order; the batch's ids are \d+ to \d+\)/],
    [{ name: 'short', runBatch: async (txns, exec) => ({ executions: (await exec.runOnSnapshot(txns)).slice(1), fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }) },
      /protocol short: runBatch gave (\d+) executions? for a batch of \d+ transactions? \(one final execution per transaction, in id order\)/],
    // Resolves with correct executions, a call of its still running: it went unnoticed.
    [{ name: 'leaky', runBatch: async (txns, exec) => {
      const executions = await exec.runOnSnapshot(txns)
      void exec.runOnSnapshot(txns).catch(() => {})
      return { executions, fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }
    } },
      /protocol leaky: runBatch resolved while 1 of its runOnSnapshot or runWalks calls still ran/],
  ]
  for (const [protocol, said] of cases) {
    const lines: string[] = []
    const report = await runCheck(options({ crash: false, properties: ['replay'], runs: 5, protocol, out: (l) => lines.push(l) }))
    assert.is(report.failed, 1, lines.join('\n'))
    assert.match(lines.join('\n'), said)
    assert.not.match(lines.join('\n'), /invariant violated/)
  }
})


test('a mutant checked only by properties that cannot catch it says so: its pass is no miss of the harness', async () => {
  // It passed in silence, read as a mutant the harness misses (ack-before-durable is caught by crash alone).
  const lines: string[] = []
  const report = await runCheck(options({ crash: false, properties: ['replay'], txns: 3, mutant: 'ack-before-durable', out: (l) => lines.push(l) }))
  assert.is(report.failed, 0, lines.join('\n'))
  assert.is(lines[1], 'note: mutant ack-before-durable is caught by crash, none of the properties named: a pass here does not say the harness misses it')
  const caught: string[] = []
  await runCheck(options({ crash: false, properties: ['replay'], runs: 5, mutant: 'skip-ww-check', out: (l) => caught.push(l) }))
  assert.not.match(caught.join('\n'), /^note: /m)
})

test.run()
