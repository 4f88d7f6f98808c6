// The research harness's crash property on a JetStream batch log (`acheron check --crash --nats N
// [--failover]`, and `--cluster`, which also kills NATS servers and runs the anomaly checker there):
// each scenario's server logs to a stream of its own, is SIGKILLed at a chosen event (a message stored
// but never acknowledged, a purge, a reply count), and restarts on a new, empty data directory. The
// real engine passes; a mutant that acknowledges before the log entry is durable is caught.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCheck } from '../../src/testing/check.js'
import { natsTest } from '../support/nats.js'

const quiet = (): void => {}

natsTest('the crash property passes on a stream of one NATS server and on an R3 stream of three', async () => {
  for (const nats of [1, 3]) {
    const report = await runCheck({ seed: 11, runs: nats === 1 ? 6 : 2, txns: 40, workers: 0, crash: true, properties: ['crash'], mutant: null, shrink: false, nats, out: quiet })
    assert.is(report.failed, 0, `${nats} NATS servers: ${report.properties[0]?.failure?.message ?? ''}`)
    assert.is(report.passed, nats === 1 ? 6 : 2)
  }
})

natsTest('ack-before-durable is caught by the crash property on the JetStream log', async () => {
  const lines: string[] = []
  const report = await runCheck({ seed: 7, runs: 20, txns: 60, workers: 0, crash: false, mutant: 'ack-before-durable', properties: ['crash'], shrink: false, nats: 1, out: (l) => lines.push(l) })
  assert.is(report.failed, 1, lines.join('\n'))
  assert.match(lines.join('\n'), /--nats 1/)
})

natsTest('--failover: the kill is a fail-over from a writer to its follower; the real engine passes, ack-before-durable is caught', async () => {
  const ok = await runCheck({ seed: 5, runs: 3, txns: 40, workers: 0, crash: true, properties: ['crash'], mutant: null, shrink: false, nats: 3, failover: true, out: quiet })
  assert.is(ok.failed, 0, ok.properties[0]?.failure?.message ?? '')
  const lines: string[] = []
  const caught = await runCheck({ seed: 5, runs: 10, txns: 100, workers: 0, crash: true, properties: ['crash'], mutant: 'ack-before-durable', shrink: false, nats: 3, failover: true, out: (l) => lines.push(l) })
  assert.is(caught.failed, 1, lines.join('\n'))
  assert.match(lines.join('\n'), /--nats 3 --failover/)
})

natsTest('--cluster: a NATS server is killed too, and the anomaly checker runs on a writer and a follower; the real engine passes both, skip-ww-check is caught over the cluster', async () => {
  const lines: string[] = []
  const ok = await runCheck({ seed: 9, runs: 3, txns: 40, workers: 0, crash: true, properties: ['crash', 'elle'], mutant: null, shrink: false, cluster: true, out: (l) => lines.push(l) })
  assert.is(ok.failed, 0, lines.join('\n'))
  assert.match(lines[0] ?? '', /3 NATS servers \(R3\), writer and follower: the kill is a fail-over, and a NATS server is killed too/)
  const caught: string[] = []
  const report = await runCheck({ seed: 9, runs: 30, txns: 60, workers: 0, crash: false, properties: ['elle'], mutant: 'skip-ww-check', shrink: false, cluster: true, out: (l) => caught.push(l) })
  assert.is(report.failed, 1, caught.join('\n'))
  assert.match(caught.join('\n'), /--cluster/)
})

test.run()
