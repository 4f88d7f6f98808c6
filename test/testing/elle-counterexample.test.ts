// An `elle` failure names its transactions T1, T2, … by the order they were issued, which the printed
// counterexample (clients and their transactions) does not show; it said neither what each appended nor
// which client sent it, so a researcher could not find T5 in the counterexample. The failure now says
// each one the anomalies name: its client and place in the counterexample, its operations and outcome.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCheck } from '../../src/testing/check.js'
import { involvedTxns } from '../../src/testing/list-append.js'
import type { Protocol } from '../../src/txn/protocols/protocol.js'

test('each transaction an anomaly names is said with its client, place, operations and outcome', () => {
  const history = [
    { id: 1, process: 0, type: 'ok' as const, invoke: 0, complete: 1, ops: [{ f: 'append' as const, key: '2', value: 1 }] },
    { id: 2, process: 1, type: 'fail' as const, invoke: 0, complete: 1, ops: [{ f: 'append' as const, key: '2', value: 2 }] },
    { id: 3, process: 0, type: 'ok' as const, invoke: 2, complete: 3, ops: [{ f: 'read' as const, key: '2', value: [2] }, { f: 'read' as const, key: '3', value: null }] },
  ]
  assert.is(involvedTxns(history, [3, 1]), 'the transactions: T1 is clients[0][0]: append 1 to key 2 (committed); T3 is clients[0][1]: read key 2 = [2], read key 3 = ? (committed)')
})

test('a failing elle run names the transactions of its anomaly as the counterexample holds them', async () => {
  const noCheck: Protocol = { name: 'no-check', runBatch: async (txns, exec) => ({ executions: await exec.runOnSnapshot(txns), fallbackTxns: 0, walkRounds: 0, lockMisses: 0 }) }
  const lines: string[] = []
  const report = await runCheck({ seed: 3, runs: 10, txns: 30, workers: 0, crash: false, mutant: null, shrink: false, properties: ['elle'], protocol: noCheck, out: (l) => lines.push(l) })
  assert.is(report.failed, 1, lines.join('\n'))
  const message = report.properties[0]?.failure?.message ?? ''
  const named = new Set([...(message.split('; the transactions: ')[0] ?? '').matchAll(/\bT(\d+)\b/g)].map((m) => m[1]))
  assert.ok(named.size > 0, message)
  for (const t of named) assert.match(message, new RegExp(`; (the transactions: )?T${t} is clients\\[\\d+\\]\\[\\d+\\]: (append|read) `), `T${t} is not said: ${message}`)
})

test.run()
