// The research harness's mutants that live on a cluster (three local NATS servers and nodes that fail
// over): each is caught by its property. Files of their own, since each takes minutes (their scenarios
// wait out writer leases) and their time varies with the machine: this one runs every cluster mutant
// but those of CLUSTER_MUTANTS_ALONE, which harness-cluster-NAME.test.ts run.
import { existsSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MUTANTS } from '../../src/testing/index.js'
import { CATCHERS, CLUSTER_MUTANTS_ALONE, clusterMutantTests } from './mutant-catchers.js'

const clustered = MUTANTS.filter((m) => m.cluster === true).map((m) => m.name)

test('the cluster has mutants, each with a catcher; those with a file of their own are among them', () => {
  assert.ok(clustered.length >= 3, clustered.join(', '))
  for (const name of clustered) assert.ok((CATCHERS[name] ?? []).length > 0, name)
  for (const [name, file] of Object.entries(CLUSTER_MUTANTS_ALONE)) {
    assert.ok(clustered.includes(name), `${name} is not a cluster mutant`)
    assert.ok(existsSync(new URL(`./harness-cluster-${file}.test.js`, import.meta.url)), `${name}: no harness-cluster-${file}.test.js`)
  }
})

clusterMutantTests(clustered.filter((name) => CLUSTER_MUTANTS_ALONE[name] === undefined))

test.run()
