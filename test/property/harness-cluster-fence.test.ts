// The cluster mutant fenced-append-acked, caught by the crash property (see harness-cluster.test.ts).
import { test } from 'uvu'
import { clusterMutantTests } from './mutant-catchers.js'

clusterMutantTests(['fenced-append-acked'])

test.run()
