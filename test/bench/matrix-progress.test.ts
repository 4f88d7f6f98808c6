// The matrix an `acheron bench` command expands to (lists of options → groups of points, the peers once
// per group) and the text of its progress line, on fixed inputs.
import { PassThrough } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expand, parseList, plan, settingsLabel } from '../../src/bench/matrix.js'
import { formatProgress, progressLine } from '../../src/bench/progress.js'
import type { BenchSettings } from '../../src/bench/settings.js'
import { TPCC } from '../../src/bench/tpcc.js'
import { YCSBT } from '../../src/bench/workloads.js'

const BASE: BenchSettings = { workload: YCSBT, keys: 1000, warehouses: 1, items: 100, clients: 32, inflight: 1, durationS: 1, warmupS: 0, theta: 0, seed: 1, partitions: 8, workers: undefined, protocol: 'aria', sqliteGroup: 10 }

test('lists parse item by item, in words, once each', () => {
  assert.equal(parseList(undefined, 7, Number), [7])
  assert.equal(parseList('0,0.6,0.6,0.99', 0, Number), [0, 0.6, 0.99])
  assert.throws(() => parseList('1,x', 0, (v) => { if (Number.isNaN(Number(v))) throw new Error(`not ${v}`); return Number(v) }), /not x/)
})

test('every combination runs; the peers once per combination of the options they have', () => {
  const groups = expand(BASE, { theta: [0, 0.99], warehouses: [1], clients: [4, 32], inflight: [1], protocol: ['aria', 'calvin', 'serial'], workers: [1, 2] })
  assert.is(groups.length, 4)
  assert.equal(groups.map((g) => [g.peers.theta, g.peers.clients]), [[0, 4], [0, 32], [0.99, 4], [0.99, 32]])
  for (const g of groups) {
    assert.equal(g.acheron.map((s) => `${s.protocol}/${s.workers}`), ['aria/1', 'aria/2', 'calvin/1', 'calvin/2', 'serial/1', 'serial/2'])
    for (const s of g.acheron) assert.equal([s.theta, s.clients, s.keys], [g.peers.theta, g.peers.clients, 1000])
  }
})

test('the plan: Acheron at each point of a group, then PostgreSQL once per group, SQLite once per data point', () => {
  const groups = expand(BASE, { theta: [0, 0.99], warehouses: [1], clients: [4, 32], inflight: [1], protocol: ['aria', 'serial'], workers: [undefined] })
  const steps = plan(groups, true).map((s) => `${s.system} θ${s.settings.theta} ${s.settings.clients}${s.system === 'acheron' ? ` ${s.settings.protocol}` : ''}`)
  assert.equal(steps, [
    'acheron θ0 4 aria', 'acheron θ0 4 serial', 'postgres θ0 4', 'sqlite θ0 4',
    'acheron θ0 32 aria', 'acheron θ0 32 serial', 'postgres θ0 32',
    'acheron θ0.99 4 aria', 'acheron θ0.99 4 serial', 'postgres θ0.99 4', 'sqlite θ0.99 4',
    'acheron θ0.99 32 aria', 'acheron θ0.99 32 serial', 'postgres θ0.99 32',
  ])
  assert.equal(plan(groups, false).map((s) => s.system), Array(8).fill('acheron'))
})

test('the settings column names the point', () => {
  assert.is(settingsLabel({ ...BASE, theta: 0.99, protocol: 'calvin', workers: 2 }, 'acheron'), 'θ 0.99, calvin, 2 workers')
  assert.is(settingsLabel(BASE, 'acheron'), 'θ 0, aria, default workers')
  assert.is(settingsLabel({ ...BASE, workers: 1 }, 'acheron'), 'θ 0, aria, 1 worker')
  assert.is(settingsLabel({ ...BASE, theta: 0.6 }, 'peer'), 'θ 0.6')
  assert.is(settingsLabel({ ...BASE, workload: TPCC, warehouses: 8 }, 'peer'), 'W 8')
})

test('the progress line names the workload, step, system, point and seconds left', () => {
  const p = { workload: 'ycsbt', system: 'PostgreSQL', point: 'θ 0.99', step: 3, steps: 12, measureS: 12, secondsAfter: 27 }
  assert.is(formatProgress({ ...p, secondsLeft: 6.2 }), 'acheron bench ycsbt [3/12] PostgreSQL θ 0.99: 7 s left (34 s in all, plus loading)')
  assert.is(formatProgress({ ...p, secondsLeft: null }), 'acheron bench ycsbt [3/12] PostgreSQL θ 0.99: loading (39 s in all, plus loading)', 'while loading, all of its seconds are still to come')
})

test('no progress line when stderr is not a terminal', () => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream
  let written = ''
  ;(stream as unknown as PassThrough).on('data', (d: Buffer) => (written += d.toString()))
  const line = progressLine(stream)
  line.begin({ workload: 'ycsbt', system: 'Acheron', point: 'θ 0', step: 1, steps: 1, measureS: 3, secondsAfter: 0 })
  line.measuring()
  line.clear()
  assert.is(written, '')
})

test.run()
