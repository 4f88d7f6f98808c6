// The research harness's mutants that live on a cluster (three local NATS servers and nodes that fail
// over): each is caught by its property. A file of their own, since each takes minutes (their scenarios
// wait out writer leases) and their time varies with the machine.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MUTANTS } from '../../src/testing/index.js'
import { natsTest } from '../support/nats.js'
import { CATCHERS, quiet } from './mutant-catchers.js'

const clustered = MUTANTS.filter((m) => m.cluster === true)

test('the cluster has mutants, each with a catcher', () => {
  assert.ok(clustered.length >= 3, clustered.map((m) => m.name).join(', '))
  for (const m of clustered) assert.ok((CATCHERS[m.name] ?? []).length > 0, m.name)
})

for (const m of clustered) {
  for (const { property, runs } of CATCHERS[m.name] ?? []) {
    // It needs nats-server (skipped, and counted so, where it is missing).
    natsTest(`mutant ${m.name} is caught by ${property}`, async () => {
      const r = await quiet({ seed: 5, runs, txns: 100, workers: 2, crash: false, mutant: m.name, properties: [property] })
      assert.is(r.failed, 1, `not caught in ${runs} runs:\n${r.lines.join('\n')}`)
    })
  }
}

test.run()
